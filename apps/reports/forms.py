from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Site
from apps.core.roles import scoped_site
from apps.core.forms import as_of_not_in_future
from apps.core.models import today
from apps.core.widgets import DateInput
from apps.products.models import Product, ReferenceProfile


class RunReportForm(forms.Form):
    """The "run now" parameters; a site-bound user can only ask about their own site."""

    product = forms.ModelChoiceField(queryset=Product.objects.all(), label=_("Product"))
    as_of = forms.DateField(label=_("As of"), widget=DateInput,
                            validators=[as_of_not_in_future])
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, empty_label=_("All sites"),
                                  label=_("Site"))
    dose_mg_per_day = forms.DecimalField(label=_("Dose (mg/day)"), required=False, min_value=0.01, max_digits=8,
                                         decimal_places=2, help_text=_("Only exposure periods at this dose."))
    exposure_start_from = forms.DateField(required=False, label=_("Exposure start from"), widget=DateInput,
                                          help_text=_("Only exposure periods starting on or after this date."))
    exposure_start_to = forms.DateField(required=False, label=_("Exposure start to"), widget=DateInput,
                                        help_text=_("Only exposure periods starting on or before this date."))
    reference_profile = forms.ModelChoiceField(label=_("Reference profile"),queryset=ReferenceProfile.objects.select_related("product"),
                                               required=False, empty_label=_("The product's current profile"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # suggestions for the empty form only
            self.fields["as_of"].initial = today()
            self.fields["product"].initial = Product.objects.filter(code="anakinra").first()
        site = scoped_site(user)
        if site is not None:
            self.fields["site"].queryset = Site.objects.filter(pk=site.pk)
            self.fields["site"].required = True
            self.fields["site"].empty_label = None
            self.fields["site"].initial = site

    def clean(self):
        data = super().clean()
        profile, product = data.get("reference_profile"), data.get("product")
        if profile and product and profile.product_id != product.pk:
            self.add_error("reference_profile", f"This reference profile belongs to {profile.product}, not {product}.")
        if product and not profile and product.current_reference_profile() is None:
            self.add_error("reference_profile", f"{product} has no current reference profile; choose one.")
        return data


class ScheduleForm(forms.Form):
    """A product's monthly report: day of the month and time (the server's time zone)."""

    day_of_month = forms.IntegerField(label=_("Day of the month"), min_value=1, max_value=28, help_text=_("1 to 28, so that every month has it."))
    hour = forms.IntegerField(label=_("Hour"), min_value=0, max_value=23)
    minute = forms.IntegerField(label=_("Minute"), min_value=0, max_value=59)
    enabled = forms.BooleanField(required=False, label=_("Enabled"), initial=True)
