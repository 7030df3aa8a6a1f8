"""Idempotency-Key for POSTs: the first successful response is stored and replayed to every retry."""
import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request):
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record, fingerprint):
    if record.request_fingerprint != fingerprint:
        return Response({HEADER: ["This key was already used for a different request."]},
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(action):
    """Wrap a POST action: with the header, run it at most once per (user, key)."""

    @functools.wraps(action)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return action(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response({HEADER: [f"Use at most {MAX_KEY_LENGTH} characters."]}, status=status.HTTP_400_BAD_REQUEST)
        fingerprint = _fingerprint(request)
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                response = action(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyRecord.objects.create(user=request.user, key=key, request_fingerprint=fingerprint,
                                                     status_code=response.status_code, response_body=response.data)
                    # The service's own writes and the record commit together, or neither does.
        except IntegrityError:
            # A concurrent retry with the same key committed first: its record and response stand.
            record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if record is None:
                raise
            return _replay(record, fingerprint)
        return response

    return wrapper
