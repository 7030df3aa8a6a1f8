"""View building blocks shared by patients, exposures and reactions."""
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from apps.audit.models import Signature
from apps.core.fields import MultiChoiceField

from . import policy
from .exports import SafeExportMixin
from .forms import VoidForm, add_service_errors

TRUE_VALUES = ("on", "true", "True", "1", "yes")

HISTORY_HIDDEN_FIELDS = ("created_at", "updated_at", "version")

HISTORY_TYPES = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
# Field names and workflow reasons are stored or declared in English; these marks put them in the
# catalogue so that the history page shows them in the reader's language.
HISTORY_WORDS = (
    gettext_noop("Status"), gettext_noop("Seriousness"), gettext_noop("Reporter"), gettext_noop("Reviewed by"),
    gettext_noop("Reviewed at"), gettext_noop("Late onset flag"), gettext_noop("Duplicate confirmed"),
    gettext_noop("Case version"), gettext_noop("Date of the most recent information"), gettext_noop("Voided at"),
    gettext_noop("Voided by"), gettext_noop("Void reason"), gettext_noop("Sex"), gettext_noop("Birth year"),
    gettext_noop("Start date"), gettext_noop("End date"), gettext_noop("Dose mg per day"), gettext_noop("Route"),
    gettext_noop("Lot number"), gettext_noop("Received on"), gettext_noop("Summary"),
    gettext_noop("Submitted for review"), gettext_noop("Resubmitted after a question"),
    gettext_noop("Returned to the site with a question"), gettext_noop("Reviewed and locked"), gettext_noop("Edited"),
    gettext_noop("CSV import"), gettext_noop("Follow-up reviewed and locked"),
)


def field_label(field):
    """A model field's name for readers, in their language when the catalogue has it."""
    return gettext(capfirst(str(field.verbose_name)))


def permission_denied(request, exception=None):
    """The one 403 page: it says why (the policy's reason), never just "forbidden"."""
    reason = str(exception) if exception is not None and str(exception) else "You are not allowed to do this."
    return render(request, "core/forbidden.html", {"reason": reason}, status=403)


class RecordAccessMixin:
    """Load the record and ask the policy before any form shows (check_access raises PermissionDenied/Http404)."""

    def check_access(self):
        """Load self.record (or the parent record) and refuse early."""

    def dispatch(self, request, *args, **kwargs):
        self.check_access()
        return super().dispatch(request, *args, **kwargs)


class ServiceFormView(RecordAccessMixin, FormView):
    """A form whose valid data goes to a service; the service's errors come back on the form."""

    access = policy.may_enter_data
    template_name = "core/form_page.html"
    error_field_map = None
    page_title = ""
    cancel_url = None

    def perform(self, form):
        """Call the service with form.cleaned_data and return the saved record."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc, self.error_field_map)
            return self.form_invalid(form)
        return super().form_valid(form)

    def get_success_url(self):
        return self.object.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("page_title", self.page_title)
        context.setdefault("cancel_url", self.cancel_url)
        return context


class RecordFormView(ServiceFormView):
    """Edit one record: `get_record` loads it in the user's scope, `decide` is the policy's answer."""

    def get_record(self):
        raise NotImplementedError

    def decide(self, record):
        raise NotImplementedError

    def check_access(self):
        self.record = self.get_record()
        self.decide(self.record).require()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(record=self.record, cancel_url=self.record.get_absolute_url())
        return context


class VoidView(RecordFormView):
    """Ask for a reason, then void the record through its service."""

    form_class = VoidForm
    template_name = "core/void.html"
    error_field_map = {"void_reason": "reason"}

    def void(self, record, reason, signature):
        raise NotImplementedError

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "signing_request": self.request}

    def perform(self, form):
        return self.void(self.record, form.cleaned_data["reason"], form.signature)


MAX_PER_PAGE = 100


class BoundedLazyPaginator(LazyPaginator):
    """`?per_page=` is honoured between 1 and MAX_PER_PAGE rows: one request cannot ask for a million."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, max(1, min(int(per_page), MAX_PER_PAGE)), *args, **kwargs)


class ScopedListView(SafeExportMixin, SingleTableMixin, FilterView):
    """A sortable, filterable table of what the user may see, exportable as CSV/XLSX.

    The export runs on the same filtered, site-scoped queryset as the page (all pages).
    Pages are lazy (no COUNT of a million rows): "next" shows while one more row exists.
    """

    access = policy.may_use
    template_name = "core/list.html"
    table_pagination = {"per_page": 25}
    paginator_class = BoundedLazyPaginator
    page_title = ""
    new_url = None
    new_label = None

    def list_queryset(self, *, user, include_voided):
        raise NotImplementedError

    def include_voided(self):
        return self.request.GET.get("include_voided") in TRUE_VALUES

    def get_queryset(self):
        return self.list_queryset(user=self.request.user, include_voided=self.include_voided())

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(page_title=self.page_title, new_url=self.new_url, new_label=self.new_label,
                       export_formats=self.export_formats)
        return context


class RecordDetailView(TemplateView):
    """One record's page, with the policy's decisions behind its buttons as `actions`."""

    access = policy.may_use
    context_object_name = "record"

    def get_record(self):
        raise NotImplementedError

    def record_actions(self, record):
        return {}

    def get_context_data(self, **kwargs):
        record = self.get_record()
        return super().get_context_data(**{self.context_object_name: record, "record": record,
                                           "actions": self.record_actions(record),
                                           "signatures": Signature.objects.of(record)}, **kwargs)


class HistoryView(TemplateView):
    """Read-only audit trail of one record: who changed which field, from what to what."""

    access = policy.may_use
    template_name = "core/history.html"
    http_method_names = ["get", "head", "options"]

    def get_record(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        record = self.get_record()
        return super().get_context_data(record=record, rows=history_rows(record),
                                        signatures=Signature.objects.of(record),
                                        back_url=record.get_absolute_url(), **kwargs)


def history_rows(record, hidden=HISTORY_HIDDEN_FIELDS):
    """Every saved version of `record`, newest first, with its changes against the version before."""
    versions = list(record.history.all().select_related("history_user"))
    rows = []
    for index, version in enumerate(versions):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        changes = []
        if previous is not None:
            delta = version.diff_against(previous, excluded_fields=hidden)
            for change in delta.changes:
                field = record._meta.get_field(change.field)
                changes.append({"field": field_label(field), "old": display_value(field, change.old),
                                "new": display_value(field, change.new)})
        rows.append({
            "when": version.history_date,
            "who": version.history_user,
            "type": HISTORY_TYPES.get(version.history_type, version.get_history_type_display()),
            "created": version.history_type == "+",
            "reason": gettext(version.history_change_reason) if version.history_change_reason else "",
            "changes": changes,
        })
    return rows


def display_value(field, value):
    """A field value as a reader expects it: labels for codes, names for related records."""
    if value in (None, "", []):
        return "—"
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if isinstance(field, MultiChoiceField):
        return field.get_choices_display(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)
