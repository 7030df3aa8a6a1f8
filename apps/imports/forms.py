from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .jobs import KINDS, upload_problems

HELP = {
    "patients": "patient_ref, site, sex, birth_year",
    "exposures": "patient_ref, product_code, start_date, end_date, dose_mg_per_day, route, lot_number (site optional)",
    "reactions": "reaction_ref, patient_ref, product_code, onset_date, resolution_date, severity, ctcae_grade, "
                 "symptoms, seriousness, outcome (injection_site, diameter_mm, meddra_llt_code, site optional)",
}


class ImportUploadForm(forms.Form):
    """Up to three CSV files; each is checked (size, UTF-8, columns) before anything is queued."""

    patients = forms.FileField(required=False, label=_("Patients CSV"))
    exposures = forms.FileField(required=False, label=_("Exposures CSV"))
    reactions = forms.FileField(required=False, label=_("Reactions CSV"))
    dry_run = forms.BooleanField(required=False, label=_("Dry run: check every row, write nothing"))
    confirm_duplicates = forms.BooleanField(
        required=False, label=_("Import probable duplicates (same patient, product and onset date)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in KINDS:  # the columns are the files' own (English) header names
            self.fields[kind].help_text = format_html('{} <code lang="en">{}</code>', _("Columns:"), HELP[kind])

    def clean(self):
        data = super().clean()
        given = [kind for kind in KINDS if data.get(kind)]
        if not given and not self.errors:
            raise forms.ValidationError(_("Choose at least one file to import."))
        for kind in given:
            for problem in upload_problems(kind, data[kind]):
                self.add_error(kind, problem)
        return data
