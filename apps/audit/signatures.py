"""Electronic signatures: re-authenticate the signer, check the meaning, record the signature.

A signed act (review and lock, return, follow-up lock, void, E2B export) asks for the signer's password
again and the meaning of the signature. `verify_signer` checks both through the authentication backends
(so that wrong passwords count towards the lockout, and show in the access log); the act's service then
calls `record_signature` in its own transaction, so that a refused act leaves no signature and a wrong
password signs and changes nothing.
"""
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import MEANINGS_OF_ACT, Signature

WRONG_PASSWORD = gettext_lazy("The password is not correct: nothing was signed or changed.")


@dataclass(frozen=True)
class VerifiedSigner:
    """A signer who has just re-entered their password, and what their signature means."""

    signer: object
    act: str
    meaning: str


def verify_signer(*, request, user, password, act, meaning) -> VerifiedSigner:
    errors = {}
    if meaning not in MEANINGS_OF_ACT[act]:
        errors["meaning"] = _("Choose the meaning of your signature.")
    signer = authenticate(request, username=user.get_username(), password=password or "") if password else None
    if signer is None or signer.pk != user.pk:
        errors["password"] = WRONG_PASSWORD
    if errors:
        raise ValidationError(errors)
    return VerifiedSigner(signer=user, act=act, meaning=meaning)


def require_signature(signature, *, actor, act):
    """The service's check: the act is signed by the actor, for this act (None actor = the system)."""
    if actor is None:
        return
    if signature is None:
        raise PermissionDenied("This act needs your electronic signature (your password and its meaning).")
    if signature.signer.pk != actor.pk or signature.act != act:
        raise PermissionDenied("The signature is not the acting user's signature of this act.")


def printed_name(user):
    full = user.get_full_name().strip()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def record_signature(signature: VerifiedSigner, record) -> Signature:
    return Signature.objects.create(
        signer=signature.signer, printed_name=printed_name(signature.signer), signed_at=timezone.now(),
        time_zone=settings.TIME_ZONE, act=signature.act, meaning=signature.meaning,
        record_type=record._meta.label_lower, record_id=record.pk, record_version=getattr(record, "version", None))


def signature_note(signature: VerifiedSigner):
    """How the act reads in the record's history."""
    with translation.override("en"):  # the audit trail is stored in one language
        meaning = str(dict(Signature._meta.get_field("meaning").choices)[signature.meaning])
    return f"signed by {printed_name(signature.signer)}: {meaning}"


class SignatureFormMixin(forms.Form):
    """The signature part of a form: the signer's password and the meaning, checked in clean().

    The view passes `signing_request`; after a valid form, `form.signature` is the VerifiedSigner
    to hand to the service."""

    signature_act = None

    password = forms.CharField(label=gettext_lazy("Your password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy("Your electronic signature: enter your password again."))
    meaning = forms.ChoiceField(label=gettext_lazy("Meaning of your signature"))

    def __init__(self, *args, signing_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.signing_request = signing_request
        labels = dict(Signature._meta.get_field("meaning").choices)
        meanings = MEANINGS_OF_ACT[self.signature_act]
        self.fields["meaning"].choices = [(code, labels[code]) for code in meanings]
        if len(meanings) == 1:
            self.fields["meaning"].initial = meanings[0]
        self.signature = None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.signature = verify_signer(request=self.signing_request, user=self.signing_request.user,
                                               password=cleaned.get("password"), act=self.signature_act,
                                               meaning=cleaned.get("meaning"))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        cleaned.pop("password", None)
        cleaned.pop("meaning", None)
        return cleaned
