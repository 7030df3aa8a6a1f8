import django_tables2 as tables

from apps.core.tables import ListingTable
from apps.core.ui import DateColumn, flag

from .models import Patient


class PatientTable(ListingTable):
    """Sortable by site (the default order) and reference, both index-backed; not by sex, birth year or
    creation time, which would sort every patient."""

    patient_ref = tables.Column(linkify=("patients:detail", {"pk": tables.A("pk")}), order_by=("patient_ref", "id"),
                                orderable=True)
    site = tables.Column(order_by=("site__code", "patient_ref"), orderable=True)
    created_at = DateColumn(format="Y-m-d H:i", verbose_name="Created")
    voided = tables.Column(accessor="voided_at", verbose_name="Voided")

    class Meta:
        model = Patient
        fields = ("patient_ref", "site", "sex", "birth_year", "created_at", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = "No patients match."
        orderable = False

    def render_voided(self, value):
        return flag("Voided", "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
