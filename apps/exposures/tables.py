import django_tables2 as tables

from apps.core.tables import ListingTable
from apps.core.ui import DateColumn, flag

from .models import ExposurePeriod

NOWRAP = {"td": {"class": "text-nowrap"}}


class ExposureTable(ListingTable):
    """Newest start first; sortable only by start date (index-backed): sorting 150,000 periods by patient,
    site or dose through joins costs half a second; the filters select by those instead."""

    patient = tables.Column(accessor="patient__patient_ref", verbose_name="Patient",
                            linkify=("patients:detail", {"pk": tables.A("patient_id")}))
    site = tables.Column(accessor="patient__site__code", verbose_name="Site", attrs=NOWRAP)
    product = tables.Column()
    start_date = DateColumn(attrs=NOWRAP, linkify=("exposures:detail", {"pk": tables.A("pk")}),
                            order_by=("start_date", "id"), orderable=True)
    end_date = DateColumn(attrs=NOWRAP, default="ongoing")
    voided = tables.Column(accessor="voided_at", verbose_name="Voided")

    class Meta:
        model = ExposurePeriod
        fields = ("patient", "site", "product", "start_date", "end_date", "dose_mg_per_day", "route",
                  "lot_number", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = "No exposure periods match."
        orderable = False
        order_by = ("-start_date",)

    def render_voided(self, value):
        return flag("Voided", "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
