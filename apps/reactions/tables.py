import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from apps.core.tables import ListingTable
from apps.core.ui import DateColumn, badge, flag

from .models import InjectionSiteReaction

NOWRAP = {"td": {"class": "text-nowrap"}}


class ReactionTable(ListingTable):
    """Sortable only by the reference and the onset (index-backed): sorting a million rows by any other
    column costs seconds; the filters above the table select by those columns instead."""

    reaction_ref = tables.Column(verbose_name=_("Reaction reference"), attrs=NOWRAP, linkify=("reactions:detail", {"pk": tables.A("pk")}), orderable=True)
    patient = tables.Column(accessor="patient__patient_ref", verbose_name=_("Patient"),
                            linkify=("patients:detail", {"pk": tables.A("patient_id")}))
    site = tables.Column(accessor="patient__site__code", verbose_name=_("Site"), attrs=NOWRAP)
    product = tables.Column(verbose_name=_("Product"))
    severity = tables.Column(verbose_name=_("Severity"))
    ctcae_grade = tables.Column(verbose_name=_("CTCAE grade"))
    outcome = tables.Column(verbose_name=_("Outcome"))
    status = tables.Column(verbose_name=_("Status"))
    # Descending gives the default order (newest onset first, then reference): both directions
    # read the index isr_list_onset_ref_idx.
    onset_date = DateColumn(attrs=NOWRAP, verbose_name=_("Onset"), order_by=("onset_date", "-reaction_ref"),
                            orderable=True)
    resolution_date = DateColumn(attrs=NOWRAP, verbose_name=_("Resolved"), default=_("ongoing"))
    duration = tables.Column(accessor="duration_days", verbose_name=_("Days"), default="")
    serious = tables.Column(accessor="seriousness", verbose_name=_("Serious"))
    late_onset_flag = tables.BooleanColumn(verbose_name=_("Late onset"), yesno="⚑,")
    voided = tables.Column(accessor="voided_at", verbose_name=_("Voided"))

    class Meta:
        model = InjectionSiteReaction
        fields = ("reaction_ref", "patient", "site", "product", "onset_date", "resolution_date", "duration",
                  "severity", "ctcae_grade", "serious", "outcome", "status", "late_onset_flag", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = _("No reactions match.")
        orderable = False
        order_by = ("-onset_date",)

    def render_severity(self, record):
        return badge("severity", record.severity, record.get_severity_display())

    def render_ctcae_grade(self, record):
        return badge("grade", record.ctcae_grade, f"G{record.ctcae_grade}")

    def render_status(self, record):
        return badge("status", record.status, record.get_status_display())

    def value_severity(self, record):
        return record.get_severity_display()

    def value_ctcae_grade(self, record):
        return record.ctcae_grade or ""

    def value_status(self, record):
        return record.get_status_display()

    def render_serious(self, record):
        return flag(_("Serious"), "text-bg-danger") if record.is_serious else _("no")

    def value_serious(self, record):
        return record.get_seriousness_display() if record.is_serious else "no"

    def value_late_onset_flag(self, value):
        return "yes" if value else "no"

    def render_voided(self, value):
        return flag(_("Voided"), "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
