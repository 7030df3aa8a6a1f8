"""TOTP two-factor sign-in (django-otp): required for reviewers and administrators when MFA_REQUIRED
(production), optional otherwise; a wrong code lets nobody in."""
import time

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0):06d}"


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED = True


def test_a_reviewer_adds_an_authenticator_before_reaching_any_page(client, reviewer, mfa_required):
    sign_in(client, reviewer)
    response = client.get(reverse("reactions:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_setup"))
    setup = client.get(response["Location"])
    assert setup.status_code == 200 and "mfa-secret" in setup.content.decode()
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert client.post(reverse("mfa_setup"), {"token": "000000" if code(device) != "000000" else "111111"}
                       ).status_code == 400
    assert client.get(reverse("reactions:list")).status_code == 302  # still not through
    time.sleep(1.1)  # django-otp throttles a device for a second after a wrong code
    response = client.post(reverse("mfa_setup"), {"token": code(device), "next": reverse("reactions:list")})
    # Through: the recovery codes, shown once, with the way on to the page asked for.
    assert response.status_code == 200 and f'href="{reverse("reactions:list")}"' in response.content.decode()
    assert client.get(reverse("reactions:list")).status_code == 200


def test_the_next_sign_in_asks_for_the_code_and_a_wrong_code_lets_nobody_in(client, reviewer, mfa_required):
    device = TOTPDevice.objects.create(user=reviewer, name="app", confirmed=True)
    sign_in(client, reviewer)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_verify"))
    wrong = "123456" if code(device) != "123456" else "654321"
    assert client.post(reverse("mfa_verify"), {"token": wrong}).status_code == 400
    assert client.get(reverse("patients:list")).status_code == 302
    time.sleep(1.1)  # django-otp throttles a device for a second after a wrong code
    assert client.post(reverse("mfa_verify"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200


def test_reporters_and_analysts_need_no_second_factor_and_nobody_does_in_debug_runs(client, reporter, analyst,
                                                                                      reviewer, settings):
    settings.MFA_REQUIRED = True
    for user in (reporter, analyst):
        client.force_login(user)
        assert client.get(reverse("patients:list")).status_code == 200
    settings.MFA_REQUIRED = False
    client.force_login(reviewer)
    assert client.get(reverse("patients:list")).status_code == 200


def test_mfa_is_required_by_default_in_production():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "MFA_REQUIRED", "DJANGO_SETTINGS_MODULE")}
    env.update(SECRET_KEY="x" * 50, ALLOWED_HOSTS="pv.example.org", CELERY_BROKER_URL="redis://redis:6379/0")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                             "print(settings.MFA_REQUIRED)"], cwd=Path(__file__).resolve().parents[2], env={
                                **env, "DJANGO_SETTINGS_MODULE": "pv_tracker.settings"},
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr


def test_the_setup_shows_a_qr_code_and_hands_out_recovery_codes_that_sign_in_once(client, reviewer, mfa_required):
    import re

    sign_in(client, reviewer)
    setup = client.get(reverse("mfa_setup")).content.decode()
    qr = re.search(r'<div id="mfa-qr"[^>]*>(.*?)</div>', setup, re.S).group(1)
    assert qr.startswith("<svg") and "<path" in qr  # drawn here, no image from an outside service
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    done = client.post(reverse("mfa_setup"), {"token": code(device), "next": reverse("reactions:list")})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert len(set(codes)) == 10 and reverse("reactions:list") in done.content.decode()

    client.logout()
    sign_in(client, reviewer)
    assert client.get(reverse("patients:list"))["Location"].startswith(reverse("mfa_verify"))
    assert client.post(reverse("mfa_verify"), {"token": codes[0].upper()}).status_code == 302  # instead of the app
    assert client.get(reverse("patients:list")).status_code == 200
    client.logout()
    sign_in(client, reviewer)
    time.sleep(1.1)
    assert client.post(reverse("mfa_verify"), {"token": codes[0]}).status_code == 400  # used up
    assert client.get(reverse("patients:list")).status_code == 302


def test_the_sign_in_steps_are_in_italian(client, reviewer, mfa_required):
    client.cookies["django_language"] = "it"
    sign_in(client, reviewer)
    page = client.get(reverse("mfa_setup")).content.decode()
    assert "Add your authenticator app" not in page and "autenticazione" in page.lower()
