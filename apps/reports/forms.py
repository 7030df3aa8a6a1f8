from django import forms

from apps.accounts.models import Site
from apps.accounts.roles import scoped_site
from apps.core.forms import as_of_not_in_future
from apps.core.models import today
from apps.products.models import Product, ReferenceProfile


class RunReportForm(forms.Form):
    """The "run now" parameters; a site-bound user can only ask about their own site."""

    product = forms.ModelChoiceField(queryset=Product.objects.all())
    as_of = forms.DateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}),
                            validators=[as_of_not_in_future])
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, empty_label="All sites")
    dose_mg_per_day = forms.DecimalField(label="Dose (mg/day)", required=False, min_value=0.01, max_digits=8,
                                         decimal_places=2, help_text="Only exposure periods at this dose.")
    exposure_start_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                          help_text="Only exposure periods starting on or after this date.")
    exposure_start_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                        help_text="Only exposure periods starting on or before this date.")
    reference_profile = forms.ModelChoiceField(queryset=ReferenceProfile.objects.select_related("product"),
                                               required=False, empty_label="The product's current profile")

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
