"""History is an audit trail: the app's pages only show it, and in the Django admin nobody reverts a
record to an older version (it would set a reviewed case back to a draft with an old version number)."""
from datetime import date

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.products.models import Product, ReferenceProfile
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import reaction_update
from tests.factories import ReactionFactory, UserFactory

pytestmark = pytest.mark.django_db

HISTORY_MODELS = (InjectionSiteReaction, Patient, ExposurePeriod, Product, ReferenceProfile)


def grant_all(user, model):
    """Every model and history permission on `model`, as a careless admin could grant them."""
    for target in (model, model.history.model):
        opts = target._meta
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label=opts.app_label,
                                                             codename__endswith=f"_{opts.model_name}"))


@pytest.fixture
def edited(exposure, product):
    """A reaction saved twice: first mild, then moderate."""
    reaction = ReactionFactory(patient=exposure.patient, product=product, status="draft", severity="mild",
                               onset_date=date(2025, 1, 10), resolution_date=date(2025, 1, 30))
    return reaction_update(reaction=reaction, severity="moderate")


def revert_data(user, reaction, version):
    """The admin's own revert form for `version`, filled as the page would send it back."""
    model_admin = admin_site._registry[InjectionSiteReaction]
    request = RequestFactory().get("/")
    request.user = user
    instance = version.instance
    form = model_admin.get_form(request, instance)(instance=instance)
    data = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        data[bound.name] = "on" if value is True else value
    return data


def revert(client, user, reaction):
    oldest = reaction.history.order_by("history_id").first()
    url = reverse("admin:reactions_injectionsitereaction_simple_history", args=[reaction.pk, oldest.history_id])
    client.force_login(user)
    return client.post(url, revert_data(user, reaction, oldest))


@pytest.mark.parametrize("roles", [["reviewer"], ["reporter"], ["analyst"], []])
def test_a_staff_user_without_the_admin_role_cannot_revert_history(client, edited, roles):
    staff = UserFactory(username="staff", is_staff=True, roles=roles)
    grant_all(staff, InjectionSiteReaction)
    history_rows = edited.history.count()
    response = revert(client, staff, edited)
    assert response.status_code == 403
    edited.refresh_from_db()
    assert edited.severity == "moderate" and edited.history.count() == history_rows


def test_a_staff_user_with_only_view_permission_cannot_revert_by_posting_the_form(client, edited):
    staff = UserFactory(username="viewer", is_staff=True, roles=["admin"])
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_injectionsitereaction",
                                                                        "view_historicalinjectionsitereaction"]))
    history_rows = edited.history.count()
    assert revert(client, staff, edited).status_code == 403
    edited.refresh_from_db()
    assert edited.severity == "moderate" and edited.history.count() == history_rows


def test_not_even_a_superuser_can_revert(client, edited, admin_user):
    history_rows, version = edited.history.count(), edited.version
    assert revert(client, admin_user, edited).status_code == 403
    edited.refresh_from_db()
    assert (edited.severity, edited.version, edited.history.count()) == ("moderate", version, history_rows)


def test_a_staff_user_of_the_admin_role_with_every_permission_cannot_revert(client, edited):
    staff = UserFactory(username="site-admin", is_staff=True, roles=["admin"])
    grant_all(staff, InjectionSiteReaction)
    assert revert(client, staff, edited).status_code == 403
    edited.refresh_from_db()
    assert edited.severity == "moderate"


@pytest.mark.parametrize("model", HISTORY_MODELS, ids=lambda m: m.__name__)
def test_every_history_admin_refuses_reverts_even_to_the_admin_role(rf, model):
    staff = UserFactory(username="staff", is_staff=True, roles=["admin"])
    grant_all(staff, model)
    request = rf.get("/")
    request.user = staff
    model_admin = admin_site._registry[model]
    assert model_admin.has_view_history_permission(request)
    assert not model_admin.has_change_history_permission(request)
    assert model_admin.revert_disabled(request)


def test_no_historical_model_is_editable_in_the_admin():
    registered = {model._meta.label for model in admin_site._registry}
    assert not [label for label in registered if ".Historical" in label]
