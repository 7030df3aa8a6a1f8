import django_tables2 as tables

NOWRAP = {"td": {"class": "text-nowrap"}}

from apps.core.ui import flag

from .models import ExposurePeriod


class ExposureTable(tables.Table):
    patient = tables.Column(accessor="patient__patient_ref", verbose_name="Patient",
                            linkify=("patients:detail", {"pk": tables.A("patient_id")}))
    site = tables.Column(accessor="patient__site__code", verbose_name="Site", attrs=NOWRAP)
    product = tables.Column(order_by=("product__code",))
    start_date = tables.DateColumn(format="Y-m-d", attrs=NOWRAP,
                                   linkify=("exposures:detail", {"pk": tables.A("pk")}))
    end_date = tables.DateColumn(format="Y-m-d", attrs=NOWRAP, default="ongoing")
    voided = tables.Column(accessor="voided_at", verbose_name="Voided")

    class Meta:
        model = ExposurePeriod
        fields = ("patient", "site", "product", "start_date", "end_date", "dose_mg_per_day", "route",
                  "lot_number", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = "No exposure periods match."
        order_by = ("patient", "start_date")

    def render_voided(self, value):
        return flag("Voided", "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
