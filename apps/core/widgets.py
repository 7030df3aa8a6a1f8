"""Form widgets that use the browser's native controls."""
from django import forms
from django_filters.widgets import DateRangeWidget as FilterDateRangeWidget
from django_filters.widgets import RangeWidget


class DateInput(forms.DateInput):
    """A native date picker; the value must be ISO formatted for it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateRangeWidget(FilterDateRangeWidget):
    """Two native date pickers (…_after / …_before) for django-filter ranges."""

    def __init__(self, attrs=None):
        # Skip RangeWidget.__init__, which hard-codes two text inputs.
        super(RangeWidget, self).__init__((DateInput, DateInput), attrs)
