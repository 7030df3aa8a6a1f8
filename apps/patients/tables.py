import django_tables2 as tables

from apps.core.ui import flag

from .models import Patient


class PatientTable(tables.Table):
    patient_ref = tables.Column(linkify=("patients:detail", {"pk": tables.A("pk")}))
    site = tables.Column(order_by=("site__code",))
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Created")
    voided = tables.Column(accessor="voided_at", verbose_name="Voided", orderable=True)

    class Meta:
        model = Patient
        fields = ("patient_ref", "site", "sex", "birth_year", "created_at", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = "No patients match."

    def render_voided(self, value):
        return flag("Voided", "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
