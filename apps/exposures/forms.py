from django.utils.translation import gettext_lazy as _

from apps.core.forms import ServiceModelForm
from apps.core.widgets import DateInput

from .models import ExposurePeriod


class ExposureForm(ServiceModelForm):
    class Meta:
        model = ExposurePeriod
        fields = ["product", "start_date", "end_date", "dose_mg_per_day", "route", "lot_number"]
        widgets = {"start_date": DateInput, "end_date": DateInput}
        help_texts = {
            "start_date": _("First day on this dose of this product."),
            "dose_mg_per_day": _("A dose change is a new period: end this one and add another."),
        }
