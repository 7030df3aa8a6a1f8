"""Sessions end after inactivity and after 12 hours; passwords are long and not common; users change
their own password; one address cannot spray logins; the demo users exist only in debug runs."""
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_a_session_ends_after_30_minutes_without_a_request(client, reporter, settings):
    client.force_login(reporter)
    assert client.get(reverse("patients:list")).status_code == 200
    age_session(client, pv_seen_at=settings.SESSION_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get(reverse("patients:list")).status_code == 200  # 29 minutes: still signed in
    age_session(client, pv_seen_at=settings.SESSION_IDLE_TIMEOUT_SECONDS + 1)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("patients:list")).status_code == 302  # signed out for good


def test_a_busy_session_still_ends_12_hours_after_the_login(client, reporter, settings):
    assert settings.SESSION_ABSOLUTE_LIFETIME_SECONDS == 12 * 3600
    client.force_login(reporter)
    client.get(reverse("patients:list"))
    age_session(client, pv_login_at=12 * 3600 + 1, pv_seen_at=10)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("password", "message"), [
    ("abcdefghijk", "at least 12 characters"), ("password1234", "too common")])
def test_passwords_are_at_least_12_characters_and_not_common(password, message):
    with pytest.raises(ValidationError, match=message):
        validate_password(password)
    validate_password("a-long-passphrase-of-mine")


def test_a_user_changes_their_own_password(client, reporter):
    client.force_login(reporter)
    url = reverse("password_change")
    assert client.get(url).status_code == 200
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200 and "at least 12 characters" in response.content.decode()
    new = "a-long-passphrase-of-mine"
    response = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(pk=reporter.pk).check_password(new)


def test_one_address_cannot_spray_logins_over_many_usernames(client, settings):
    settings.LOGIN_FAILURES_PER_IP = 5
    victim = UserFactory(username="victim", roles=["reporter"])
    for n in range(5):  # five usernames, one failure each: axes' per-username lockout never fires
        client.post(reverse("login"), {"username": f"guess-{n}", "password": "wrong-password-1"})
    response = client.post(reverse("login"), {"username": victim.username, "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    other_address = client.post(reverse("login"), {"username": victim.username, "password": PASSWORD},
                                REMOTE_ADDR="10.9.9.9")
    assert other_address.status_code == 302


def test_the_demo_users_are_made_only_in_debug_runs(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("setup_demo")
    assert not User.objects.filter(username="reviewer").exists()
    settings.DEBUG = True
    call_command("setup_demo")
    assert User.objects.filter(username="reviewer").exists()
