"""Reaction entry forms (REDCap-like): typed inputs only; every clinical rule runs in the services."""
from django import forms

from apps.accounts.roles import is_reviewer
from apps.core.forms import ServiceModelForm
from apps.core.widgets import DateInput
from apps.exposures.selectors import latest_exposed_product

from .models import InjectionSiteReaction
from .services import EDITABLE_FIELDS

LABELS = {
    "severity": "Severity (intensity)",
    "seriousness": "Seriousness criteria (ICH E2A)",
    "symptoms": "Symptoms at the injection site",
}
HELP_TEXTS = {
    "severity": "How intense the reaction is (mild/moderate/severe). Not the same as seriousness.",
    "seriousness": "Regulatory seriousness, independent of severity: tick every criterion met; "
                   "leave all unticked for a non-serious reaction.",
    "ctcae_grade": "Optional. Grade 5 means death and requires the outcome 'Fatal'.",
    "outcome": "At the time of last observation. A recovered reaction needs a resolution date.",
    "symptoms": "Tick at least one.",
    "onset_date": "Cannot be before the patient's first exposure to the product.",
    "meddra_llt_code": "8 digits, e.g. 10022061 (injection site erythema).",
}
WIDGETS = {
    "onset_date": DateInput,
    "resolution_date": DateInput,
    "narrative": forms.Textarea(attrs={"rows": 4}),
}


SECTIONS = (
    ("Report", ("reaction_ref", "product")),
    ("Event", ("onset_date", "resolution_date", "injection_site", "diameter_mm", "symptoms")),
    ("Severity, seriousness and outcome", ("severity", "ctcae_grade", "seriousness", "outcome", "action_taken")),
    ("Reporter, coding and assessment", ("reporter_qualification", "meddra_llt_code", "meddra_version",
                                         "causality")),
    ("Narrative", ("narrative",)),
)


class DuplicateConfirmMixin(forms.Form):
    @property
    def sections(self):
        """The sections that have fields on this form (the edit form has no 'Report' fields)."""
        return [(title, names) for title, names in SECTIONS if any(name in self.fields for name in names)]

    confirm_duplicate = forms.BooleanField(
        required=False, label="I checked: this is not a duplicate",
        help_text="Tick only after checking the listed reaction(s) describe a different event.")

    @property
    def duplicate_suspected(self):
        """True once the service has flagged a probable duplicate (or the user already confirmed)."""
        return self.has_error("onset_date", "probable_duplicate") or bool(self.data.get("confirm_duplicate"))


class ReactionCreateForm(DuplicateConfirmMixin, ServiceModelForm):
    class Meta:
        model = InjectionSiteReaction
        fields = ["reaction_ref", "product", *EDITABLE_FIELDS, "causality"]
        labels = LABELS
        help_texts = {**HELP_TEXTS, "reaction_ref": "Unique reference of this report, e.g. site-01-P-001-R1.",
                      "product": "Preselected from the patient's most recent exposure."}
        widgets = WIDGETS

    def __init__(self, *args, user, patient, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_reviewer(user):
            del self.fields["causality"]
        if not self.is_bound:  # suggestions for the empty form only: a POST does not need them
            product = latest_exposed_product(patient)
            if product is not None:
                self.fields["product"].initial = product.pk
            count = patient.reactions.count() + 1
            self.fields["reaction_ref"].initial = f"{patient.site.code}-{patient.patient_ref}-R{count}"


class ReactionUpdateForm(DuplicateConfirmMixin, ServiceModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = InjectionSiteReaction
        fields = [*EDITABLE_FIELDS, "causality"]
        labels = LABELS
        help_texts = HELP_TEXTS
        widgets = WIDGETS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_reviewer(user):
            del self.fields["causality"]
        self.fields["version"].initial = self.instance.version


class ReactionReviewForm(ServiceModelForm):
    class Meta:
        model = InjectionSiteReaction
        fields = ["causality", "meddra_llt_code", "meddra_version"]
        help_texts = {"meddra_llt_code": HELP_TEXTS["meddra_llt_code"],
                      "causality": "WHO-UMC category. Saving locks the report: it can no longer be edited."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causality"].required = True
