import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from apps.core.tables import ListingTable
from apps.core.ui import DateColumn, flag

from .models import Patient


class PatientTable(ListingTable):
    """Sortable by site (the default order) and reference, both index-backed; not by sex, birth year or
    creation time, which would sort every patient."""

    patient_ref = tables.Column(verbose_name=_("Patient reference"), linkify=("patients:detail", {"pk": tables.A("pk")}), order_by=("patient_ref", "id"),
                                orderable=True)
    site = tables.Column(verbose_name=_("Site"), order_by=("site__code", "patient_ref"), orderable=True)
    sex = tables.Column(verbose_name=_("Sex"))
    birth_year = tables.Column(verbose_name=_("Birth year"))
    created_at = DateColumn(format="Y-m-d H:i", verbose_name=_("Created"))
    voided = tables.Column(accessor="voided_at", verbose_name=_("Voided"))

    class Meta:
        model = Patient
        fields = ("patient_ref", "site", "sex", "birth_year", "created_at", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = _("No patients match.")
        orderable = False

    def render_voided(self, value):
        return flag(_("Voided"), "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
