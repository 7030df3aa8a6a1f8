"""Small HTML pieces shared by tables and templates (badges), so both look the same."""
from django.utils.html import format_html

BADGE_CLASSES = {
    "status": {"draft": "text-bg-secondary", "submitted": "text-bg-primary", "reviewed": "text-bg-success"},
    "severity": {"mild": "text-bg-info", "moderate": "text-bg-warning", "severe": "text-bg-danger"},
    "grade": {1: "text-bg-info", 2: "text-bg-warning", 3: "text-bg-danger", 4: "text-bg-danger",
              5: "text-bg-dark"},
}


def badge(kind, value, label=None):
    """A Bootstrap badge coloured by the kind of value (status, severity, grade)."""
    if value in (None, ""):
        return "—"
    css = BADGE_CLASSES.get(kind, {}).get(value, "text-bg-light border")
    return format_html('<span class="badge {}">{}</span>', css, label if label is not None else value)


def flag(text, css="text-bg-warning"):
    return format_html('<span class="badge {}">{}</span>', css, text)
