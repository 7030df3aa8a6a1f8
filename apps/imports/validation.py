"""Row validation at import speed: the model's full_clean(), with each field check run once per distinct value.

full_clean() = clean_fields() (each field's to_python, choices, blank/null and validators such
as max_length or a regex) + clean() (the model's rules) + uniqueness and constraints. The
importer settles uniqueness itself (it matches rows to stored records), so those two are left
out, as they were. A field check depends on the value only, so its answer is kept per field
and value and reused: the code, the date or the symptom list of one row costs a dict lookup
for the next row with the same value. clean() runs for every row, as it depends on the row.
Relations are checked every time (their check queries the database; they are empty or
left to the importer, which finds patients and products itself).
"""
from itertools import compress
from operator import attrgetter, is_not

from django.core.exceptions import ValidationError
from django.db.models.base import DatabaseDefault

from .writing import MEMO_LIMIT, memo_key


class RowChecker:
    """full_clean(exclude=..., validate_unique=False, validate_constraints=False) for many rows of one model."""

    def __init__(self, model, *, exclude=()):
        fields = [field for field in model._meta.fields if field.name not in exclude and not field.generated]
        # Per field: the outcome of each value checked (None for relations), and the last value that
        # passed unchanged: the same object again (a default of every new row) needs no lookup.
        self.plan = [(field, field.attname, None if field.is_relation else {}) for field in fields]
        self.last_passed = [_NOTHING] * len(fields)
        getter = attrgetter(*(field.attname for field in fields))
        self.values_of = getter if len(fields) > 1 else lambda instance: (getter(instance),)

    def errors(self, instance) -> dict:
        """{field name: [ValidationError]} as full_clean() would raise them; cleaned values are set back."""
        errors = {}
        last_passed = self.last_passed
        values = self.values_of(instance)
        for index in compress(range(len(last_passed)), map(is_not, values, last_passed)):
            field, attname, memo = self.plan[index]
            raw = values[index]
            outcome = None
            if memo is not None:
                try:
                    key = memo_key(raw)
                    outcome = memo.get(key)
                except TypeError:  # unhashable: checked every time
                    memo = None
            if outcome is None:
                outcome = _check(field, raw, instance)
                if memo is not None and len(memo) < MEMO_LIMIT:
                    memo[key] = outcome
            changed, value, field_errors = outcome
            if field_errors:
                errors[field.name] = list(field_errors)
            elif changed:
                setattr(instance, attname, list(value) if isinstance(value, list) else value)
            elif memo is not None and not isinstance(raw, list):  # a list could change in place
                last_passed[index] = raw
        try:
            instance.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        return errors


_NOTHING = object()


def _check(field, raw, instance):
    """What clean_fields() does with one value: (changed by to_python, the cleaned value, the errors)."""
    if field.blank and raw in field.empty_values or isinstance(raw, DatabaseDefault):
        return False, raw, None
    try:
        value = field.clean(raw, instance)
    except ValidationError as exc:
        return False, raw, exc.error_list
    return type(value) is not type(raw) or value != raw, value, None
