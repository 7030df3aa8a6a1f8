import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_logs_in_with_the_right_password(client, reporter, password):
    response = client.post(reverse("login"), {"username": reporter.username, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, reporter, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": reporter.username, "password": "wrong"})
        assert response.status_code == 200
        assert "Please try again" in response.content.decode()
    last_failure = client.post(reverse("login"), {"username": reporter.username, "password": "wrong"})
    assert last_failure.status_code == 429
    locked = client.post(reverse("login"), {"username": reporter.username, "password": password})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
