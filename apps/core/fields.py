"""A multi-select stored as delimited text, so that it aggregates in SQL on any backend."""
from django import forms
from django.core.exceptions import ValidationError
from django.db import models

DELIMITER = ","


def contains_code(field_name, code):
    """Lookup kwargs matching rows whose multi-select `field_name` includes `code`.

    Values are stored as ",a,b," so a `contains` on ",code," never matches a prefix of
    another code; this works on SQLite and PostgreSQL and in COUNT(... FILTER ...).
    """
    return {f"{field_name}__contains": f"{DELIMITER}{code}{DELIMITER}"}


class MultiChoiceField(models.CharField):
    """A list of choice codes, stored as ',code1,code2,' in a CharField."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, (list, tuple, set)):
            return list(value)
        return [code for code in value.split(DELIMITER) if code]

    def get_prep_value(self, value):
        if isinstance(value, str) and value.startswith(DELIMITER):
            return value  # an already-delimited lookup value such as ",pain,"
        codes = self.to_python(value)
        if not codes:
            return ""
        order = [code for code, _ in self.flatchoices]
        codes = sorted(set(codes), key=lambda c: order.index(c) if c in order else len(order))
        return DELIMITER + DELIMITER.join(codes) + DELIMITER

    def validate(self, value, model_instance):
        valid = {code for code, _ in self.flatchoices}
        unknown = [code for code in self.to_python(value) if code not in valid]
        if unknown:
            raise ValidationError(
                "Unknown value(s) %(values)s; allowed: %(allowed)s.",
                code="invalid_choice",
                params={"values": ", ".join(unknown), "allowed": ", ".join(sorted(valid))},
            )
        if not self.blank and not value:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.choices,
            "required": not self.blank,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        defaults.pop("coerce", None)
        defaults.pop("empty_value", None)
        defaults.pop("choices_form_class", None)
        return forms.MultipleChoiceField(
            choices=defaults["choices"],
            required=defaults["required"],
            widget=defaults["widget"],
            label=defaults.get("label"),
            help_text=defaults.get("help_text", ""),
        )

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 255:
            del kwargs["max_length"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        if kwargs.get("default") is list:
            del kwargs["default"]
        return name, path, args, kwargs

    def get_choices_display(self, value):
        labels = dict(self.flatchoices)
        return ", ".join(str(labels.get(code, code)) for code in self.to_python(value))
