from django import forms
from django.db.models import Exists, OuterRef

from apps.accounts.models import Site
from apps.core.roles import scoped_site
from apps.core.forms import as_of_not_in_future
from apps.core.models import today
from apps.products.models import Product, ReferenceProfile

from apps.cohort.scope import Scope


class SummaryFilterForm(forms.Form):
    """Product, site and as-of date of a summary; a site-bound user is always held to their site."""

    # The choices and the chosen product come from the one query in __init__ (no second look-up to validate).
    product = forms.TypedChoiceField(coerce=int, empty_value=None)
    site = forms.ModelChoiceField(queryset=Site.objects.order_by("code"), required=False, empty_label="All sites")
    as_of = forms.DateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}),
                            validators=[as_of_not_in_future],
                            help_text="Count exposures and reactions up to this date.")

    def __init__(self, data=None, *, user, **kwargs):
        defaults = {"as_of": today().isoformat()}
        # One query for the choices and the default (the first product with a current reference profile).
        products = list(Product.objects.order_by("code").annotate(has_reference=Exists(
            ReferenceProfile.objects.filter(product=OuterRef("pk"), is_primary=True))))
        product = next((p for p in products if p.has_reference), products[0] if products else None)
        if product is not None:
            defaults["product"] = str(product.pk)
        merged = defaults | {key: value for key, value in (data or {}).items() if value not in ("", None)}
        if data and "site" in data:
            merged.setdefault("site", data.get("site"))
        super().__init__(merged, **kwargs)
        self.user = user
        self.products = {p.pk: p for p in products}
        self.fields["product"].choices = [(p.pk, str(p)) for p in products]
        self.fixed_site = scoped_site(user)
        if self.fixed_site is not None:
            del self.fields["site"]
        else:
            self.fields["site"].choices = [("", "All sites")] + [
                (site.pk, str(site)) for site in Site.objects.order_by("code")]
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs["class"] = css

    def clean_product(self):
        return self.products[self.cleaned_data["product"]]

    def scope(self):
        site = self.fixed_site if self.fixed_site is not None else self.cleaned_data.get("site")
        return Scope(product=self.cleaned_data["product"], site=site, as_of=self.cleaned_data["as_of"])

    def reference(self):
        return self.cleaned_data["product"].current_reference_profile()

    def query_string(self):
        """The filter as URL parameters, for the CSV links."""
        scope = self.scope()
        params = {"product": scope.product.pk, "as_of": scope.as_of.isoformat()}
        if self.fixed_site is None and scope.site is not None:
            params["site"] = scope.site.pk
        from urllib.parse import urlencode

        return urlencode(params)
