"""The access log: exports, downloads, logins and failed logins, shown to administrators, never deleted."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.audit.models import AccessEvent, AccessKind
from tests.e2b.conftest import make_case  # noqa: F401 (a fixture)
from tests.factories import PASSWORD, SIGN_EXPORT

pytestmark = pytest.mark.django_db


def test_a_listing_export_is_logged_with_its_filter_and_row_count(client, reporter, patient):
    client.force_login(reporter)
    response = client.get(reverse("patients:list"), {"_export": "csv", "q": "P-0"})
    assert response.status_code == 200
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert (event.user, event.rows) == (reporter, 1)
    assert "q=P-0" in event.filter and "_export=csv" in event.filter and event.what.startswith("patients-")


def test_downloads_are_logged(client, reviewer, sender, make_case):
    reaction = make_case()
    client.force_login(reviewer)
    client.post(reverse("e2b:reaction_export", args=[reaction.pk]), SIGN_EXPORT)
    client.get(reverse("e2b:case_form_pdf", args=[reaction.pk]))
    logged = list(AccessEvent.objects.filter(kind=AccessKind.DOWNLOAD).order_by("id").values_list("what", "rows"))
    assert logged == [(f"GB-PVTRACK-{reaction.reaction_ref}-v1.xml", 1), (f"case-form-{reaction.reaction_ref}.pdf", 1)]


def test_logins_and_failures_are_logged_and_shown_to_administrators_only(client, reporter, admin_user, patient):
    client.post(reverse("login"), {"username": reporter.username, "password": "wrong-password"})
    client.post(reverse("login"), {"username": reporter.username, "password": PASSWORD})
    client.get(reverse("patients:list"), {"_export": "csv"})
    kinds = list(AccessEvent.objects.order_by("id").values_list("kind", "username"))
    assert kinds == [(AccessKind.LOGIN_FAILED, reporter.username), (AccessKind.LOGIN, reporter.username),
                     (AccessKind.EXPORT, reporter.username)]
    assert client.get(reverse("audit:access_log")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("audit:access_log")).content.decode().split('id="access-log"')[1]
    for text in ("Failed login", "Login", "Listing export", "_export=csv"):
        assert text in page
    only_failures = client.get(reverse("audit:access_log"), {"kind": "login_failed"}).content.decode()
    only_failures = only_failures.split('id="access-log"')[1]
    assert "Failed login" in only_failures and "Listing export" not in only_failures


def test_the_access_log_cannot_be_changed_or_deleted(client, reporter, admin_user):
    client.post(reverse("login"), {"username": reporter.username, "password": "wrong-password"})
    event = AccessEvent.objects.get()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        AccessEvent.objects.all().delete()
    with pytest.raises(ValidationError):
        event.save()
    client.force_login(admin_user)
    assert client.post(reverse("admin:audit_accessevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AccessEvent.objects.filter(pk=event.pk).exists()
