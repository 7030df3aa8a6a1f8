"""Reaction entry forms (REDCap-like): typed inputs only; every clinical rule runs in the services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.policy import may_review
from apps.audit.models import SignedAct
from apps.audit.signatures import SignatureFormMixin
from apps.core.forms import ReasonForChangeMixin, ServiceModelForm, VersionedFormMixin
from apps.core.widgets import DateInput
from apps.exposures.selectors import latest_exposed_product

from .models import InjectionSiteReaction
from .services import EDITABLE_FIELDS

LABELS = {
    "reaction_ref": _("Reaction reference"),
    "product": _("Product"),
    "onset_date": _("Onset date"),
    "resolution_date": _("Resolution date"),
    "severity": _("Severity (intensity)"),
    "ctcae_grade": _("CTCAE grade"),
    "seriousness": _("Seriousness criteria (ICH E2A)"),
    "symptoms": _("Symptoms at the injection site"),
    "outcome": _("Outcome"),
    "action_taken": _("Action taken with the product"),
    "injection_site": _("Injection site"),
    "diameter_mm": _("Largest diameter (mm)"),
    "reporter_qualification": _("Reporter qualification"),
    "narrative": _("Narrative"),
    "meddra_llt_code": _("MedDRA LLT code"),
    "meddra_version": _("MedDRA version"),
    "causality": _("Causality"),
}
HELP_TEXTS = {
    "severity": _("How intense the reaction is (mild/moderate/severe). Not the same as seriousness. "
                  "Mild goes with CTCAE grade 1, moderate with 2, severe with 3 to 5."),
    "seriousness": _("Regulatory seriousness, independent of severity: tick every criterion met; "
                     "leave all unticked for a non-serious reaction."),
    "ctcae_grade": _("Optional. Grade 5 means death and requires the outcome 'Fatal'."),
    "outcome": _("At the time of last observation. A recovered reaction needs a resolution date."),
    "symptoms": _("Tick at least one."),
    "onset_date": _("Cannot be before the patient's first exposure to the product."),
    "resolution_date": _("Leave empty while the reaction is ongoing."),
    "meddra_llt_code": _("8 digits, e.g. 10022061 (injection site erythema)."),
    "causality": _("WHO-UMC category, assessed by the reviewer."),
}
WIDGETS = {
    "onset_date": DateInput,
    "received_date": DateInput,
    "latest_information_date": DateInput,
    "resolution_date": DateInput,
    "narrative": forms.Textarea(attrs={"rows": 4}),
}


SECTIONS = (
    (_("Report"), ("reaction_ref", "product", "received_date", "latest_information_date")),
    (_("Event"), ("onset_date", "resolution_date", "injection_site", "diameter_mm", "symptoms")),
    (_("Severity, seriousness and outcome"), ("severity", "ctcae_grade", "seriousness", "outcome", "action_taken")),
    (_("Reporter, coding and assessment"), ("reporter_qualification", "meddra_llt_code", "meddra_version",
                                            "causality")),
    (_("Narrative"), ("narrative",)),
    (_("Reason for change"), ("reason",)),
)


class DuplicateConfirmMixin(forms.Form):
    @property
    def sections(self):
        """The sections that have fields on this form (the edit form has no 'Report' fields)."""
        return [(title, names) for title, names in SECTIONS if any(name in self.fields for name in names)]

    confirm_duplicate = forms.BooleanField(
        required=False, label=_("I checked: this is not a duplicate"),
        help_text=_("Tick only after checking the listed reaction(s) describe a different event."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_date"].required = False

    def clean_received_date(self):
        """Left empty, day zero stays as it was (a new case: the day it is entered)."""
        return self.cleaned_data.get("received_date") or self.instance.received_date

    @property
    def duplicate_suspected(self):
        """True once the service has flagged a probable duplicate (or the user already confirmed)."""
        return self.has_error("onset_date", "probable_duplicate") or bool(self.data.get("confirm_duplicate"))


class ReactionCreateForm(DuplicateConfirmMixin, ServiceModelForm):
    class Meta:
        model = InjectionSiteReaction
        fields = ["reaction_ref", "product", *EDITABLE_FIELDS, "causality"]
        labels = LABELS
        help_texts = {**HELP_TEXTS, "reaction_ref": _("Unique reference of this report, e.g. site-01-P-001-R1."),
                      "product": _("Preselected from the patient's most recent exposure.")}
        widgets = WIDGETS

    def __init__(self, *args, user, patient, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_review(user):
            del self.fields["causality"]
        if not self.is_bound:  # suggestions for the empty form only: a POST does not need them
            product = latest_exposed_product(patient)
            if product is not None:
                self.fields["product"].initial = product.pk
            count = patient.reactions.count() + 1
            self.fields["reaction_ref"].initial = f"{patient.site.code}-{patient.patient_ref}-R{count}"


class ReactionUpdateForm(VersionedFormMixin, ReasonForChangeMixin, DuplicateConfirmMixin, ServiceModelForm):
    class Meta:
        model = InjectionSiteReaction
        fields = [*EDITABLE_FIELDS, "causality"]
        labels = LABELS
        help_texts = HELP_TEXTS
        widgets = WIDGETS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_review(user):
            del self.fields["causality"]


class ReactionReviewForm(SignatureFormMixin, ServiceModelForm):
    signature_act = SignedAct.REVIEW

    class Meta:
        model = InjectionSiteReaction
        fields = ["causality", "meddra_llt_code", "meddra_version"]
        labels = LABELS
        help_texts = {"meddra_llt_code": HELP_TEXTS["meddra_llt_code"],
                      "causality": _("WHO-UMC category. Saving locks the report: it can no longer be edited.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causality"].required = True


class ReturnForm(SignatureFormMixin, forms.Form):
    """A reviewer's question that sends a case (or follow-up) back to its site, signed."""

    signature_act = SignedAct.RETURN
    field_order = ["question", "password", "meaning"]

    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                               help_text=_("What the site should check or add. The site answers by editing "
                                           "the case and submitting it again."))


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class PatientPickForm(forms.Form):
    patient_ref = forms.CharField(label=_("Patient reference"), max_length=50, required=False,
                                  help_text=_("The site's own reference of the patient, e.g. P-001."))


FOLLOW_UP_HELP = _("The new information: what changed, and who reported it.")


class ReactionFollowUpForm(DuplicateConfirmMixin, ServiceModelForm):
    """The case's fields as the follow-up will make them, its receipt date and what changed."""

    received_on = forms.DateField(label=_("Date the new information was received"), widget=DateInput)
    summary = forms.CharField(label=_("What changed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
                              help_text=FOLLOW_UP_HELP)

    class Meta(ReactionUpdateForm.Meta):
        """The same case fields as an edit of the case."""

    def __init__(self, *args, user, follow_up=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["confirm_duplicate"]
        if not may_review(user):
            del self.fields["causality"]
        if follow_up is not None:
            self.fields["received_on"].initial = follow_up.received_on
            self.fields["summary"].initial = follow_up.summary

    @property
    def sections(self):
        return [(_("Follow-up"), ("received_on", "summary")), *super().sections]
