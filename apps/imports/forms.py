from django import forms

from .jobs import KINDS, upload_problems

HELP = {
    "patients": "patient_ref, site, sex, birth_year",
    "exposures": "patient_ref, product_code, start_date, end_date, dose_mg_per_day, route, lot_number (site optional)",
    "reactions": "reaction_ref, patient_ref, product_code, onset_date, resolution_date, severity, ctcae_grade, "
                 "symptoms, seriousness, outcome (injection_site, diameter_mm, meddra_llt_code, site optional)",
}


class ImportUploadForm(forms.Form):
    """Up to three CSV files; each is checked (size, UTF-8, columns) before anything is queued."""

    patients = forms.FileField(required=False, label="Patients CSV", help_text=HELP["patients"])
    exposures = forms.FileField(required=False, label="Exposures CSV", help_text=HELP["exposures"])
    reactions = forms.FileField(required=False, label="Reactions CSV", help_text=HELP["reactions"])
    dry_run = forms.BooleanField(required=False, label="Dry run: check every row, write nothing")
    confirm_duplicates = forms.BooleanField(
        required=False, label="Import probable duplicates (same patient, product and onset date)")

    def clean(self):
        data = super().clean()
        given = [kind for kind in KINDS if data.get(kind)]
        if not given and not self.errors:
            raise forms.ValidationError("Choose at least one file to import.")
        for kind in given:
            for problem in upload_problems(kind, data[kind]):
                self.add_error(kind, problem)
        return data
