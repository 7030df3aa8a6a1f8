import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from apps.core.tables import ListingTable
from apps.core.ui import DateColumn, flag

from .models import ExposurePeriod

NOWRAP = {"td": {"class": "text-nowrap"}}


class ExposureTable(ListingTable):
    """Newest start first; sortable only by start date (index-backed): sorting 150,000 periods by patient,
    site or dose through joins costs half a second; the filters select by those instead."""

    patient = tables.Column(accessor="patient__patient_ref", verbose_name=_("Patient"),
                            linkify=("patients:detail", {"pk": tables.A("patient_id")}))
    site = tables.Column(accessor="patient__site__code", verbose_name=_("Site"), attrs=NOWRAP)
    product = tables.Column(verbose_name=_("Product"))
    start_date = DateColumn(verbose_name=_("Start date"), attrs=NOWRAP, linkify=("exposures:detail", {"pk": tables.A("pk")}),
                            order_by=("start_date", "id"), orderable=True)
    end_date = DateColumn(verbose_name=_("End date"), attrs=NOWRAP, default=_("ongoing"))
    dose_mg_per_day = tables.Column(verbose_name=_("Dose (mg/day)"))
    route = tables.Column(verbose_name=_("Route"))
    lot_number = tables.Column(verbose_name=_("Lot number"))
    voided = tables.Column(accessor="voided_at", verbose_name=_("Voided"))

    class Meta:
        model = ExposurePeriod
        fields = ("patient", "site", "product", "start_date", "end_date", "dose_mg_per_day", "route",
                  "lot_number", "voided")
        attrs = {"class": "table table-sm table-hover table-striped align-middle"}
        empty_text = _("No exposure periods match.")
        orderable = False
        order_by = ("-start_date",)

    def render_voided(self, value):
        return flag(_("Voided"), "text-bg-dark")

    def value_voided(self, value):
        return value.isoformat() if value else ""
