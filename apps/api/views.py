"""REST API v1: thin viewsets over the web's selectors (reads) and services (writes)."""
from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from apps.accounts.models import Site
from apps.core.policy import API
from apps.exposures.filters import ExposureFilter
from apps.exposures.models import ExposurePeriod
from apps.exposures.selectors import exposure_list
from apps.exposures.services import exposure_create
from apps.patients.filters import PatientFilter
from apps.patients.models import Patient
from apps.patients.selectors import patient_list
from apps.patients.services import patient_create
from apps.products.models import Product, ReferenceProfile
from apps.reactions.filters import ReactionFilter
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.selectors import reaction_list
from apps.reactions.services import reaction_create, reaction_submit, reaction_update
from apps.reports import selectors as report_selectors
from apps.reports import services as report_services
from apps.reports.forms import RunReportForm
from apps.reports.models import AggregateReport

from . import serializers
from .idempotency import HEADER, idempotent

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False,
    description="A key of your choice (at most 255 characters): a retried POST with the same key and body "
                "returns the first response instead of creating a second record.")


class IdPagination(CursorPagination):
    """Cursor pages, newest first: stable while records are added."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ScopedFilterBackend(DjangoFilterBackend):
    """The listing's own FilterSet, told who asks (site choices and 'include voided' depend on it)."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "user": request.user}


def include_voided(request):
    return request.query_params.get("include_voided") in ("true", "on", "1")


class ApiViewSet(viewsets.GenericViewSet):
    access = API
    pagination_class = IdPagination
    lookup_value_regex = r"\d+"
    filter_backends = [ScopedFilterBackend]
    action_rules = {}


def created(serializer_class, instance, request):
    return Response(serializer_class(instance, context={"request": request}).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_PARAMETER]))
class PatientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = serializers.PatientSerializer
    queryset = Patient.objects.none()  # the schema's model; requests use the scoped selector
    filterset_class = PatientFilter
    action_rules = {"list": "read", "retrieve": "read", "create": "enter_data"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if self.action == "retrieve":  # a voided record is still readable by its id, as on the web
            return patient_list(user=self.request.user, include_voided=True)
        return patient_list(user=self.request.user, include_voided=include_voided(self.request))

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = patient_create(site=data["site"], patient_ref=data["patient_ref"], sex=data.get("sex", "unknown"),
                                 birth_year=data.get("birth_year"), actor=request.user)
        return created(self.serializer_class, patient, request)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_PARAMETER]))
class ExposureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = serializers.ExposureSerializer
    queryset = ExposurePeriod.objects.none()
    filterset_class = ExposureFilter
    action_rules = {"list": "read", "retrieve": "read", "create": "enter_data"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if self.action == "retrieve":
            return exposure_list(user=self.request.user, include_voided=True)
        return exposure_list(user=self.request.user, include_voided=include_voided(self.request))

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = exposure_create(actor=request.user, **serializer.validated_data)
        return created(self.serializer_class, period, request)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_PARAMETER]),
                    submit=extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER]))
class ReactionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = serializers.ReactionSerializer
    queryset = InjectionSiteReaction.objects.none()
    filterset_class = ReactionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_rules = {"list": "read", "retrieve": "read", "create": "enter_data", "partial_update": "enter_data",
                    "submit": "enter_data"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if self.action == "list":
            return reaction_list(user=self.request.user, include_voided=include_voided(self.request))
        return reaction_list(user=self.request.user, include_voided=True)

    def get_serializer_class(self):
        return serializers.ReactionUpdateSerializer if self.action == "partial_update" else self.serializer_class

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        reaction = reaction_create(actor=request.user, confirm_duplicate=confirm, **data)
        return created(self.serializer_class, reaction, request)

    def partial_update(self, request, *args, **kwargs):
        reaction = self.get_object()
        serializer = self.get_serializer(reaction, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        confirm = data.pop("confirm_duplicate", False)
        expected = data.pop("expected_version", None)
        reaction = reaction_update(reaction=reaction, actor=request.user, expected_version=expected,
                                   confirm_duplicate=confirm, **data)
        return Response(self.serializer_class(reaction, context={"request": request}).data)

    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, pk=None):
        """Send a draft to the reviewers: from then on the reporter cannot change it."""
        reaction = reaction_submit(reaction=self.get_object(), actor=request.user)
        return Response(self.serializer_class(reaction, context={"request": request}).data)


@extend_schema_view(create=extend_schema(request=serializers.ReportRequestSerializer,
                                         responses={201: serializers.ReportSerializer},
                                         parameters=[IDEMPOTENCY_PARAMETER]))
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = serializers.ReportSerializer
    queryset = AggregateReport.objects.none()
    filter_backends = []
    action_rules = {"list": "reports", "retrieve": "reports", "create": "reports"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return report_selectors.report_list(user=self.request.user)

    @idempotent
    def create(self, request, *args, **kwargs):
        """Request a report: validated by the web's own form, queued to the worker (or the snapshot that answers it)."""
        typed = serializers.ReportRequestSerializer(data=request.data)
        typed.is_valid(raise_exception=True)
        data = dict(typed.initial_data.items())
        product = Product.objects.filter(code=data["product"]).values_list("pk", flat=True).first()
        site = Site.objects.filter(code=data["site"]).values_list("pk", flat=True).first() if data.get("site") else ""
        unknown = {**({"product": ["No product with this code."]} if product is None else {}),
                   **({"site": ["No site with this code."]} if site is None else {})}
        if unknown:
            raise ValidationError(unknown)
        form = RunReportForm({**data, "product": product, "site": site}, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        cleaned = form.cleaned_data
        with transaction.atomic():
            report = report_services.report_request(
                product=cleaned["product"], as_of=cleaned["as_of"], site=cleaned["site"],
                dose_mg_per_day=cleaned["dose_mg_per_day"], exposure_start_from=cleaned["exposure_start_from"],
                exposure_start_to=cleaned["exposure_start_to"], reference_profile=cleaned["reference_profile"],
                requested_by=request.user)
        return created(self.serializer_class, report, request)


class ReferenceProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = serializers.ReferenceProfileSerializer
    filter_backends = []
    action_rules = {"list": "read", "retrieve": "read"}

    def get_queryset(self):
        return ReferenceProfile.objects.select_related("product")
