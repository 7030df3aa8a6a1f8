"""Two-factor sign-in (TOTP, django-otp): required for reviewers and administrators when MFA_REQUIRED
(on by default in production, off in `make run`), available to everyone. After the password, the user
enters the 6-digit code of their authenticator app; the first time, they add the app by scanning its QR
code (or typing its key) and receive recovery codes, each good for one sign-in without the app."""
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.policy import access, may_use, needs_mfa

MFA_EXEMPT_URLS = {"login", "logout", "mfa_setup", "mfa_verify"}
RECOVERY_CODES = 10


class TokenForm(forms.Form):
    token = forms.CharField(label=gettext_lazy("Code from your authenticator app"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class SignInTokenForm(TokenForm):
    token = forms.CharField(label=gettext_lazy("Code from your authenticator app, or a recovery code"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}))


def recovery_codes_issue(user) -> list[str]:
    """New one-time recovery codes (the previous ones stop working), shown to the user once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery codes",
                                                         defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _number in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def qr_svg(config_url) -> str:
    """The authenticator app's otpauth:// address as an inline SVG QR code (made here: no external service)."""
    return segno.make(config_url, error="m").svg_inline(scale=4, title=_("QR code of your authenticator key"))


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("dashboard:home")


@access(may_use)
def mfa_setup(request):
    """Add an authenticator app: show the key of a new (unconfirmed) device; a correct code confirms it."""
    if user_has_device(request.user):
        return redirect("mfa_verify")
    device = (TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
              or TOTPDevice.objects.create(user=request.user, name="authenticator app", confirmed=False))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            return render(request, "registration/mfa_recovery_codes.html", {
                "codes": recovery_codes_issue(request.user), "next_url": _next_url(request)})
        form.add_error("token", _("The code is not correct (check the time of your device), try again."))
    return render(request, "registration/mfa_setup.html", {
        "form": form, "secret": b32encode(device.bin_key).decode(), "config_url": device.config_url,
        "qr_svg": qr_svg(device.config_url), "next": request.GET.get("next", "")},
        status=400 if form.errors else 200)


@access(may_use)
def mfa_verify(request):
    """The second step of the sign-in: the code of the user's authenticator app."""
    if not user_has_device(request.user):
        return redirect(f"{reverse('mfa_setup')}?next={request.GET.get('next', '')}")
    form = SignInTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].strip().lower())  # a recovery code is used up
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not correct, try again."))
    return render(request, "registration/mfa_verify.html", {"form": form, "next": request.GET.get("next", "")},
                  status=400 if form.errors else 200)


class MfaRequiredMiddleware:
    """A reviewer or administrator whose session has not passed the second factor is sent to it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not (settings.MFA_REQUIRED and user.is_authenticated and needs_mfa(user)) or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in MFA_EXEMPT_URLS:
            return None
        target = "mfa_verify" if user_has_device(user) else "mfa_setup"
        return redirect(f"{reverse(target)}?next={request.get_full_path()}")
