"""View building blocks shared by patients, exposures and reactions."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from apps.accounts.roles import can_enter_data
from apps.core.fields import MultiChoiceField

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


class PermissionDeniedPageMixin:
    """Show a service's PermissionDenied as a 403 page that tells the user why."""

    def check_access(self):
        """Load the record and refuse early (raise PermissionDenied / Http404), before any form shows."""

    def dispatch(self, request, *args, **kwargs):
        try:
            self.check_access()
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as exc:
            reason = str(exc) or "You are not allowed to do this."
            return render(request, "core/forbidden.html", {"reason": reason}, status=403)


class ServiceFormView(LoginRequiredMixin, PermissionDeniedPageMixin, FormView):
    """A form whose valid data goes to a service; the service's errors come back on the form."""

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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("page_title", self.page_title)
        context.setdefault("cancel_url", self.cancel_url)
        return context


class VoidView(ServiceFormView):
    """Ask for a reason, then void the record through its service."""

    form_class = VoidForm
    template_name = "core/void.html"
    error_field_map = {"void_reason": "reason"}

    def get_record(self):
        raise NotImplementedError

    def void(self, record, reason):
        raise NotImplementedError

    def check_access(self):
        self.record = self.get_record()
        if not can_enter_data(self.request.user):
            raise PermissionDenied(_("Your role can read data but cannot enter or change it."))
        if self.record.is_voided:
            raise PermissionDenied(_("The record is already voided."))

    def perform(self, form):
        return self.void(self.record, form.cleaned_data["reason"])

    def get_success_url(self):
        return self.detail_url(self.record)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(record=self.record, cancel_url=self.detail_url(self.record))
        return context


class ScopedListView(LoginRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    """A sortable, filterable table of what the user may see, exportable as CSV/XLSX.

    The export runs on the same filtered, site-scoped queryset as the page (all pages).
    Pages are lazy (no COUNT of a million rows): "next" shows while one more row exists.
    """

    template_name = "core/list.html"
    table_pagination = {"per_page": 25}
    paginator_class = LazyPaginator
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


class HistoryView(LoginRequiredMixin, TemplateView):
    """Read-only audit trail of one record: who changed which field, from what to what."""

    template_name = "core/history.html"

    def get_record(self):
        raise NotImplementedError

    def detail_url(self, record):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        record = self.get_record()
        return super().get_context_data(record=record, rows=history_rows(record),
                                        back_url=self.detail_url(record), **kwargs)


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
