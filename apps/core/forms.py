"""Form plumbing shared by the data-entry screens.

Forms only collect and type the input; the services run every model rule (full_clean)
with the acting user, and their ValidationErrors are mapped back onto the form here.
"""
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from apps.audit.models import SignedAct
from apps.audit.signatures import SignatureFormMixin

from .models import REASON_MAX_LENGTH, today


def as_of_not_in_future(value):
    """An as-of date of a report or summary: the future holds no data yet."""
    if value > today():
        raise ValidationError(_("The as-of date cannot be in the future."))


# Labels and help texts that forms take from the models (which keep plain English, so that no
# migration changes); marked here for the catalogue and translated when a form is built.
MODEL_FIELD_WORDS = (
    gettext_noop("Birth year"), gettext_noop("Dose (mg/day)"), gettext_noop("End date"), gettext_noop("Lot number"),
    gettext_noop("Patient reference"), gettext_noop("Route"), gettext_noop("Sex"), gettext_noop("Site"),
    gettext_noop("Start date"), gettext_noop("Product"), gettext_noop("Leave empty while the exposure is ongoing."),
    gettext_noop("The site's pseudonymous code for the patient."),
)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm used for its fields only: model validation runs once, in the service."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.label, str):
                field.label = gettext(field.label)
            if isinstance(field.help_text, str) and field.help_text:
                field.help_text = gettext(field.help_text)

    def _post_clean(self):
        # ModelForm would build the instance and run full_clean() here; the service does both.
        pass


class ReasonForChangeMixin(forms.Form):
    """A 'reason for change' field, shown when the caller asks for it (the service says when it is required)."""

    reason = forms.CharField(
        required=False, max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason for change"),
        help_text=_("Required when reviewed cases report this record: it is recorded on their history."))

    def __init__(self, *args, ask_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_reason:
            del self.fields["reason"]


class VersionedFormMixin(forms.Form):
    """The version of the record the form showed, sent back so that the service can detect a lost update."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is None or instance.pk is None:
            del self.fields["version"]
        else:
            self.fields["version"].initial = instance.version

    def expected_version(self):
        """The version the editor saw (pop it from cleaned_data before the service gets the fields)."""
        return self.cleaned_data.pop("version", None)


class VoidForm(SignatureFormMixin, forms.Form):
    signature_act = SignedAct.VOID

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH,
        help_text=_("Why the record is voided (e.g. entered twice, wrong patient). Kept in the history."),
    )


def add_service_errors(form, error: ValidationError, field_map=None):
    """Put a service's ValidationError on the form: under the named field when the form has it,
    otherwise at the top of the form, prefixed with the field's name."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field_map.get(field, field)
        if target in form.fields:
            form.add_error(target, errors)
        elif target == NON_FIELD_ERRORS:
            form.add_error(None, errors)
        else:
            label = field.replace("_", " ")
            form.add_error(None, [f"{gettext(label.capitalize())}: {message}" for e in errors for message in e.messages])
