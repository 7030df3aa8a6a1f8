"""factory-boy factories for the domain models (they bypass services: use them to arrange data)."""
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from apps.accounts.models import Site, User
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.products.models import Product
from apps.reactions.models import InjectionSiteReaction

PASSWORD = "test-password-123"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"site-{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Clinic {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or ():
            # get_or_create: transactional tests flush the groups the migration made.
            self.groups.add(Group.objects.get_or_create(name=name)[0])
        if create:
            self.save()


def anakinra():
    """The seeded product; re-seeded when a transactional test has flushed the migration data."""
    product = Product.objects.filter(code="anakinra").first()
    if product is None:
        from importlib import import_module

        from django.apps import apps

        import_module("apps.products.migrations.0002_seed_anakinra").seed(apps, None)
        import_module("apps.products.migrations.0003_product_is_biological").mark_biologicals(apps, None)
        product = Product.objects.get(code="anakinra")
    return product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    site = factory.SubFactory(SiteFactory)
    patient_ref = factory.Sequence(lambda n: f"P{n:05d}")
    sex = "female"
    birth_year = 1960


class ExposurePeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExposurePeriod

    patient = factory.SubFactory(PatientFactory)
    product = factory.LazyFunction(anakinra)
    start_date = date(2025, 1, 1)
    end_date = None
    dose_mg_per_day = Decimal("100")
    route = "subcutaneous"
    lot_number = "LOT-1"


class ReactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InjectionSiteReaction

    reaction_ref = factory.Sequence(lambda n: f"R{n:06d}")
    patient = factory.SubFactory(PatientFactory)
    product = factory.LazyFunction(anakinra)
    onset_date = date(2025, 1, 10)
    # 20 days after onset (2025-01-30 for the default onset): never before it, which the database refuses.
    resolution_date = factory.LazyAttribute(lambda o: o.onset_date and o.onset_date + timedelta(days=20))
    severity = "mild"
    symptoms = factory.LazyFunction(lambda: ["erythema"])
    seriousness = factory.LazyFunction(list)
    outcome = "recovered"
    status = "submitted"


def signed(user, act, meaning=None):
    """An electronic signature as the signature form hands it to a service (the password was checked there)."""
    from apps.audit.models import MEANINGS_OF_ACT
    from apps.audit.signatures import VerifiedSigner

    return VerifiedSigner(signer=user, act=act, meaning=meaning or MEANINGS_OF_ACT[act][0])


# The signature fields of a signed form, for the test users (all have PASSWORD).
SIGN_REVIEW = {"password": PASSWORD, "meaning": "reviewed_approved"}
SIGN_VOID = {"password": PASSWORD, "meaning": "voided"}
SIGN_EXPORT = {"password": PASSWORD, "meaning": "approved_for_submission"}
SIGN_RETURN = {"password": PASSWORD, "meaning": "returned"}
SIGN_FOLLOW_UP = {"password": PASSWORD, "meaning": "follow_up_approved"}
