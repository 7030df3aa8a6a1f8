"""Every file the application hands out: a sanitised, RFC 6266-encoded name, no caching, and an entry in
the access log (who, what, how many rows, when)."""
import re

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from apps.audit.services import log_download

UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
FILENAME_MAX_LENGTH = 150


def safe_filename(name, default="download"):
    """Only letters, digits and . _ - (anything else becomes _), no leading dot, at most 150 characters."""
    cleaned = UNSAFE_FILENAME_CHARACTERS.sub("_", name).lstrip("._")
    return cleaned[-FILENAME_MAX_LENGTH:] or default


def name_download(response, filename, *, inline=False):
    """Set Content-Disposition (RFC 6266) with the sanitised file name, and forbid caching the content."""
    response["Content-Disposition"] = content_disposition_header(not inline, safe_filename(filename))
    response["Cache-Control"] = "no-store"
    return response


def download(request, content, *, content_type, filename, inline=False, rows=None):
    """A file response for `request`, named safely and recorded in the access log."""
    response = name_download(HttpResponse(content, content_type=content_type), filename, inline=inline)
    log_download(request, what=safe_filename(filename), rows=rows)
    return response
