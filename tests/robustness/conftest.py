"""Shared pieces of the robustness tests: junk-value strategies and a row counter."""
import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def row_counts():
    """Rows of every project model, historical tables included (`label: count`)."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()
            if model._meta.app_label in PROJECT_APPS and not model._meta.proxy}


PROJECT_APPS = {"accounts", "products", "patients", "exposures", "reactions", "reports", "e2b", "imports"}
