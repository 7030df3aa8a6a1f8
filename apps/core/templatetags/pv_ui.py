"""Template helpers for Bootstrap forms and badges."""
from django import forms, template

from apps.core import ui

register = template.Library()


@register.filter
def bs_widget(bound_field):
    """Render a field's widget with the Bootstrap class its type needs (and is-invalid on error)."""
    widget = bound_field.field.widget
    if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select form-select-sm"
    else:
        css = "form-control form-control-sm"
    if bound_field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(bound_field):
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(bound_field):
    return isinstance(bound_field.field.widget, forms.CheckboxSelectMultiple)


@register.simple_tag
def badge(kind, value, label=None):
    return ui.badge(kind, value, label)


@register.filter
def field(form, name):
    """form|field:"name" → the bound field, or None when the form does not have it (e.g. role-specific)."""
    return form[name] if name in form.fields else None
