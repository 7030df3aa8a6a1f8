"""Shapes of the API's records. Typing only: every rule runs in the services, as for the forms."""
from decimal import Decimal

from rest_framework import serializers

from apps.accounts.models import Site
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.products.models import Product, ReferenceProfile
from apps.reactions.choices import Seriousness, Symptom
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import EDITABLE_FIELDS
from apps.reports.models import AggregateReport


class ListField(serializers.MultipleChoiceField):
    """A multi-choice value as a JSON list in request and response (DRF's default is a set)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            self.fail("not_a_list", input_type=type(data).__name__)
        return sorted(super().to_internal_value(data))

    def to_representation(self, value):
        return list(value or [])


class ScopedRelatedField(serializers.SlugRelatedField):
    """A related record by its code, looked up among those the caller may see."""

    def __init__(self, *args, scope=None, **kwargs):
        self.scope = scope
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return self.scope(queryset, request.user) if self.scope and request else queryset


def _own_sites(queryset, user):
    return queryset.filter(pk=user.site_id) if user.site_id else queryset


class PatientSerializer(serializers.ModelSerializer):
    site = ScopedRelatedField(slug_field="code", queryset=Site.objects.all(), scope=_own_sites)
    voided = serializers.BooleanField(source="is_voided", read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "site", "patient_ref", "sex", "birth_year", "voided", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the service runs the model's own checks (unique reference per site)


class PatientRelatedField(serializers.PrimaryKeyRelatedField):
    """A patient id among the live patients the caller may see (another site's is 'does not exist')."""

    def get_queryset(self):
        from apps.patients.selectors import patient_list

        return patient_list(user=self.context["request"].user)


class ExposureSerializer(serializers.ModelSerializer):
    patient = PatientRelatedField()
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all())
    voided = serializers.BooleanField(source="is_voided", read_only=True)

    class Meta:
        model = ExposurePeriod
        fields = ["id", "patient", "product", "start_date", "end_date", "dose_mg_per_day", "route", "lot_number",
                  "voided", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"dose_mg_per_day": {"min_value": Decimal("0.01")}}


REACTION_READ_ONLY = ["status", "version", "late_onset_flag", "duplicate_confirmed", "reviewed_at", "created_at",
                      "updated_at"]


class ReactionSerializer(serializers.ModelSerializer):
    patient = PatientRelatedField()
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all())
    symptoms = ListField(choices=Symptom.choices)
    seriousness = ListField(choices=Seriousness.choices, required=False)
    voided = serializers.BooleanField(source="is_voided", read_only=True)
    confirm_duplicate = serializers.BooleanField(write_only=True, required=False, default=False,
                                                 help_text="Confirm a probable duplicate (same patient, product, onset).")

    class Meta:
        model = InjectionSiteReaction
        fields = ["id", "reaction_ref", "patient", "product", *EDITABLE_FIELDS, "causality", "voided",
                  "confirm_duplicate", *REACTION_READ_ONLY]
        read_only_fields = REACTION_READ_ONLY
        validators = []
        extra_kwargs = {"reaction_ref": {"validators": []}}


class ReactionUpdateSerializer(ReactionSerializer):
    """A partial edit: the record's fields except its identity, and the version the editor read."""

    expected_version = serializers.IntegerField(write_only=True, required=False, min_value=1,
                                                help_text="The version you read; a newer one gives a conflict.")
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=2000,
                                   help_text="Why the case changes: required once it is submitted (kept in its history).")

    class Meta(ReactionSerializer.Meta):
        fields = [name for name in ReactionSerializer.Meta.fields if name not in ("patient", "product", "reaction_ref")]
        fields += ["expected_version", "reason"]


class ReferenceProfileSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReferenceProfile
        fields = ["id", "product", "label", "source_citation", "source_url", "source_document", "effective_date",
                  "isr_incidence", "isr_incidence_n", "comparator_incidence", "mild_moderate_share",
                  "mild_moderate_n", "duration_min_days", "duration_max_days", "safety_database_patients",
                  "exposed_6_months", "exposed_12_months", "dose_mg_per_day", "is_current", "notes"]


class ReportSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    site = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                        help_text="Site code; null for a report of all sites.")

    class Meta:
        model = AggregateReport
        fields = ["id", "product", "as_of", "site", "dose_mg_per_day", "exposure_start_from", "exposure_start_to",
                  "reference_profile", "status", "error", "same_as", "scheduled", "requested_at", "finished_at",
                  "results"]
        read_only_fields = fields


class ReportRequestSerializer(serializers.Serializer):
    """The parameters of the web's 'run now' form (validated by that form)."""

    product = serializers.CharField(help_text="Product code, e.g. anakinra.")
    as_of = serializers.DateField()
    site = serializers.CharField(required=False, allow_blank=True, help_text="Site code; empty for all sites.")
    dose_mg_per_day = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    exposure_start_from = serializers.DateField(required=False, allow_null=True)
    exposure_start_to = serializers.DateField(required=False, allow_null=True)
    reference_profile = serializers.IntegerField(required=False, allow_null=True)
