"""Form plumbing shared by the data-entry screens.

Forms only collect and type the input; the services run every model rule (full_clean)
with the acting user, and their ValidationErrors are mapped back onto the form here.
"""
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .models import today


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


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
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
