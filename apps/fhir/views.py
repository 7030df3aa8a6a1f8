"""FHIR R4 endpoints: read AdverseEvent / Patient / MedicationStatement, search AdverseEvent, POST a Bundle.

Same authentication, policy and site scoping as the REST API (apps/api); errors are OperationOutcomes.
"""
from datetime import date

from django.db import transaction
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError as PydanticError
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.policy import API
from apps.exposures.selectors import exposure_list
from apps.patients.selectors import patient_list
from apps.reactions.selectors import reaction_list

from .intake import IntakeError, create_draft
from .resources import adverse_event_resource, medication_statement_resource, patient_resource

MAX_BUNDLE_ENTRIES = 500
SEARCH_LIMIT = 200


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"


class FhirJSONParser(JSONParser):
    media_type = "application/fhir+json"


def outcome(issues, code="invalid"):
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": str(message), **({"expression": [where]} if where else {})}
        for where, message in issues]}).model_dump(mode="json", exclude_none=True)


def as_json(resource):
    return resource.model_dump(mode="json", exclude_none=True)


def fhir_exception_handler(exc, context):
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is not None:
        code = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported"}.get(response.status_code,
                                                                                           "invalid")
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = outcome([("", str(detail or response.data))], code=code)
    return response


class FhirView(APIView):
    access = API
    schema = None  # FHIR's own specification describes these, not the REST API's OpenAPI
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser]
    action_rules = {"get": "read"}

    def get_exception_handler(self):
        return fhir_exception_handler


def _get(queryset, pk):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise exceptions.NotFound("No such resource in your scope.")
    return found


class AdverseEventRead(FhirView):
    def get(self, request, pk):
        reaction = _get(reaction_list(user=request.user, include_voided=True).select_related("product"), pk)
        return Response(as_json(adverse_event_resource(reaction)))


class PatientRead(FhirView):
    def get(self, request, pk):
        return Response(as_json(patient_resource(_get(patient_list(user=request.user, include_voided=True), pk))))


class MedicationStatementRead(FhirView):
    def get(self, request, pk):
        period = _get(exposure_list(user=request.user, include_voided=True), pk)
        return Response(as_json(medication_statement_resource(period)))


def _date_filter(queryset, values):
    """FHIR date search on the onset: eq (default), ge, gt, le, lt with YYYY-MM-DD."""
    lookups = {"eq": "", "ge": "__gte", "gt": "__gt", "le": "__lte", "lt": "__lt"}
    for value in values:
        prefix = value[:2] if value[:2] in lookups else "eq"
        text = value[2:] if value[:2] in lookups else value
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            raise exceptions.ValidationError(f"date: give [eq|ge|gt|le|lt]YYYY-MM-DD, not {value!r}.") from error
        queryset = queryset.filter(**{f"onset_date{lookups[prefix]}": day})
    return queryset


class AdverseEventSearch(FhirView):
    """GET /fhir/AdverseEvent?subject=Patient/<id>&date=ge2025-01-01: a searchset Bundle, with the patients."""

    def get(self, request):
        queryset = reaction_list(user=request.user).select_related("product")
        subject = request.query_params.get("subject") or request.query_params.get("patient")
        if subject:
            patient_id = subject.split("/")[-1]
            if not patient_id.isdigit():
                raise exceptions.ValidationError("subject: give Patient/<id>.")
            queryset = queryset.filter(patient_id=int(patient_id))
        queryset = _date_filter(queryset, request.query_params.getlist("date"))
        reactions = list(queryset.order_by("onset_date", "pk")[:SEARCH_LIMIT])
        entries = [{"fullUrl": request.build_absolute_uri(f"/fhir/AdverseEvent/{r.pk}"),
                    "resource": as_json(adverse_event_resource(r)), "search": {"mode": "match"}} for r in reactions]
        for patient in {r.patient_id: r.patient for r in reactions}.values():
            entries.append({"fullUrl": request.build_absolute_uri(f"/fhir/Patient/{patient.pk}"),
                            "resource": as_json(patient_resource(patient)), "search": {"mode": "include"}})
        bundle = Bundle.model_validate({"resourceType": "Bundle", "type": "searchset", "total": len(reactions),
                                        "entry": entries})
        return Response(as_json(bundle))


class BundleIntake(FhirView):
    """POST /fhir/ a transaction or batch Bundle of AdverseEvents: all become drafts, or none (OperationOutcome)."""

    action_rules = {"post": "enter_data"}

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        if body.get("resourceType") != "Bundle" or body.get("type") not in ("transaction", "batch"):
            return Response(outcome([("Bundle.type", "POST a Bundle of type 'transaction' or 'batch'.")]),
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            Bundle.model_validate(body)
        except PydanticError as error:  # the structure is not FHIR: each error at its path
            return Response(outcome([("Bundle." + ".".join(str(part) for part in e["loc"]), e["msg"])
                                     for e in error.errors()[:20]]), status=status.HTTP_400_BAD_REQUEST)
        entries = body.get("entry") or []
        if not entries or len(entries) > MAX_BUNDLE_ENTRIES:
            return Response(outcome([("Bundle.entry", f"Send 1 to {MAX_BUNDLE_ENTRIES} entries.")]),
                            status=status.HTTP_400_BAD_REQUEST)
        issues, created = [], []
        with transaction.atomic():
            for index, entry in enumerate(entries):
                resource = entry.get("resource") or {}
                where = f"Bundle.entry[{index}].resource"
                if resource.get("resourceType") != "AdverseEvent":
                    issues.append((where, "Only AdverseEvent resources are accepted."))
                    continue
                try:
                    created.append(create_draft(resource=resource, user=request.user))
                except IntakeError as error:
                    issues += [(f"{where}.{field}", message) for field, message in error.issues]
            if issues:
                transaction.set_rollback(True)
        if issues:
            return Response(outcome(issues), status=status.HTTP_400_BAD_REQUEST)
        response = Bundle.model_validate({"resourceType": "Bundle", "type": f"{body['type']}-response", "entry": [
            {"response": {"status": "201 Created", "location": f"AdverseEvent/{reaction.pk}"},
             "resource": as_json(adverse_event_resource(reaction))} for reaction in created]})
        return Response(as_json(response), status=status.HTTP_200_OK)
