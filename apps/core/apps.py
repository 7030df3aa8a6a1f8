import functools
import types

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        remember_table_signatures()


def remember_table_signatures():
    """django-tables2 inspects the signature of a column's render/value method for every cell it fills
    (inspect.signature: about 40% of a listing's or an export's CPU). A function's signature never
    changes, so it is worked out once per function here; other callables are inspected as before."""
    from django_tables2 import utils

    if getattr(utils.signature, "remembers", False):
        return
    inspect_signature = utils.signature

    @functools.cache
    def of_function(function, bound):
        if bound:
            return inspect_signature(types.MethodType(function, object()))
        return inspect_signature(function)

    def signature(fn):
        if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
            return of_function(fn.__func__, True)
        if isinstance(fn, types.FunctionType):
            return of_function(fn, False)
        return inspect_signature(fn)

    signature.remembers = True
    utils.signature = signature
