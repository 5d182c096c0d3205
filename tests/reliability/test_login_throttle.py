"""Password guessing is throttled (django-axes, koel/settings.py): after AXES_FAILURE_LIMIT wrong
passwords for one username from one address, that pair is refused — the right password too —
with a 429 page until the cool-off ends; other users and other addresses are not affected; a
success resets the count. The admin lists the attempts and lockouts."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery"  # noqa: S105  (a test user's)
LOGINS = ["/admin/login/", "/accounts/login/"]


@pytest.fixture
def users(db):
    model = get_user_model()
    model.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    model.objects.create_user("reader", "reader@example.org", PASSWORD, is_staff=True)


def attempt(client, path, username, password, address="203.0.113.5"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def guess(client, path, username, times, address="203.0.113.5"):
    return [
        attempt(client, path, username, f"wrong-{i}", address).status_code for i in range(times)
    ]


@pytest.mark.parametrize("path", LOGINS)
def test_the_right_password_is_refused_after_too_many_wrong_ones(client, users, settings, path):
    statuses = guess(client, path, "boss", settings.AXES_FAILURE_LIMIT)
    locked = attempt(client, path, "boss", PASSWORD)

    assert 429 not in statuses[:-1]
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", LOGINS)
def test_the_lockout_is_per_username_and_address(client, users, settings, path):
    guess(client, path, "boss", settings.AXES_FAILURE_LIMIT)

    other_user = attempt(client, path, "reader", PASSWORD)
    client.logout()
    other_address = attempt(client, path, "boss", PASSWORD, address="203.0.113.6")

    assert other_user.status_code == 302
    assert other_address.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, users, settings):
    guess(client, "/admin/login/", "boss", settings.AXES_FAILURE_LIMIT)
    assert attempt(client, "/admin/login/", "boss", PASSWORD).status_code == 429

    # The attempts as if made a cool-off ago (axes compares their time with the clock's).
    for row in AccessAttempt.objects.all():
        row.attempt_time -= settings.AXES_COOLOFF_TIME + timedelta(seconds=5)
        row.save(update_fields=["attempt_time"])
    assert attempt(client, "/admin/login/", "boss", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, users, settings):
    guess(client, "/accounts/login/", "boss", settings.AXES_FAILURE_LIMIT - 1)
    assert attempt(client, "/accounts/login/", "boss", PASSWORD).status_code == 302
    client.logout()

    statuses = guess(client, "/accounts/login/", "boss", settings.AXES_FAILURE_LIMIT - 1)
    assert attempt(client, "/accounts/login/", "boss", PASSWORD).status_code == 302
    assert 429 not in statuses


def test_the_admin_lists_attempts_and_lockouts(client, users, settings):
    guess(client, "/admin/login/", "reader", settings.AXES_FAILURE_LIMIT)
    client.force_login(get_user_model().objects.get(username="boss"))

    attempts = client.get("/admin/axes/accessattempt/")
    failures = client.get("/admin/axes/accessfailurelog/")

    assert attempts.status_code == failures.status_code == 200
    assert b"reader" in attempts.content
    assert b"203.0.113.5" in attempts.content
