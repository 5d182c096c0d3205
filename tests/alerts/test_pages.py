"""Sign-up, log-in and the /alerts/ page: a user's own rules through server-rendered forms."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from alerts.models import AlertFiring, AlertRule, Delivery

PAGE = "/alerts/"
RULE = {
    "name": "EUR high",
    "base": "EUR",
    "target": "USD",
    "condition": "above",
    "threshold": "1.2",
    "window_hours": "24",
    "hysteresis": "0",
    "cooldown": "01:00:00",
    "active": "on",
}


@pytest.fixture
def browser(owner):
    client = Client()
    client.force_login(owner)
    return client


def field_errors(html: str, field: str) -> str:
    """The error list rendered next to one field (its id is id_<field>_error)."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert found, f"no error list beside {field}"
    return found.group(1)


def test_sign_up_logs_in_and_lands_on_alerts(db, currencies):
    client = Client()
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert 'for="id_username"' in page.content.decode()
    answer = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "a-Long-pass-93", "password2": "a-Long-pass-93"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == PAGE
    assert "Logged in as <strong>newbie</strong>" in client.get(PAGE).content.decode()


def test_sign_up_errors_beside_the_field(db):
    answer = Client().post(
        "/accounts/signup/", {"username": "x", "password1": "abc", "password2": "abd"}
    )
    assert answer.status_code == 200
    assert "didn’t match" in field_errors(answer.content.decode(), "password2")
    assert not get_user_model().objects.filter(username="x").exists()


def test_log_in_and_out(owner, currencies):
    client = Client()
    assert client.get(PAGE)["Location"] == "/accounts/login/?next=/alerts/"
    wrong = client.post("/accounts/login/", {"username": "watcher", "password": "nope"})
    assert wrong.status_code == 200
    assert "correct username" in wrong.content.decode()
    answer = client.post("/accounts/login/", {"username": "watcher", "password": "pw"})
    assert answer["Location"] == PAGE
    assert client.get(PAGE).status_code == 200
    client.post("/accounts/logout/")
    assert client.get(PAGE).status_code == 302


def test_create_edit_pause_delete_through_the_page(browser, owner, quoted):
    created = browser.post(PAGE, RULE)
    assert created.status_code == 302, created.content.decode()
    rule = AlertRule.objects.get(owner=owner)
    assert (rule.base, rule.target, str(rule.threshold.normalize())) == ("EUR", "USD", "1.2")
    assert "EUR high" in browser.get(PAGE).content.decode()

    AlertRule.objects.filter(id=rule.id).update(armed=False)
    edited = browser.post(f"{PAGE}{rule.id}/", {**RULE, "target": "GBP", "threshold": "0.9"})
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert (rule.target, str(rule.threshold.normalize()), rule.armed) == ("GBP", "0.9", True)

    browser.post(f"{PAGE}{rule.id}/toggle/")
    rule.refresh_from_db()
    assert rule.active is False
    assert "paused" in browser.get(PAGE).content.decode()

    browser.post(f"{PAGE}{rule.id}/delete/")
    assert not AlertRule.objects.filter(id=rule.id).exists()


def test_form_errors_next_to_the_field(browser, quoted):
    answer = browser.post(PAGE, {**RULE, "threshold": "0"})
    assert answer.status_code == 400
    assert "greater than 0" in field_errors(answer.content.decode(), "threshold")
    unquoted = browser.post(PAGE, {**RULE, "target": "JPY"})
    assert "no rate for EUR/JPY" in field_errors(unquoted.content.decode(), "target")
    assert not AlertRule.objects.exists()


def test_another_users_rule_is_404(browser, rule, quoted):
    stranger = get_user_model().objects.create_user("stranger", "s@example.com", "pw")
    theirs = rule("EUR", "USD", "above", "1.2", owner=stranger)
    assert browser.get(f"{PAGE}{theirs.id}/").status_code == 404
    assert browser.post(f"{PAGE}{theirs.id}/", RULE).status_code == 404
    assert browser.post(f"{PAGE}{theirs.id}/toggle/").status_code == 404
    assert browser.post(f"{PAGE}{theirs.id}/delete/").status_code == 404
    assert AlertRule.objects.get(id=theirs.id).active is True
    assert "stranger" not in browser.get(PAGE).content.decode()


def test_firings_listed_with_delivery_outcomes(browser, rule, quoted):
    mine = rule("EUR", "USD", "above", "10")
    firing = AlertFiring.objects.create(
        rule=mine,
        rate="1.1",
        observed_at="2026-01-05T16:00Z",
        source="ecb",
        fired_at="2026-01-05T16:01Z",
    )
    delivery = Delivery.objects.create(
        firing=firing, channel="webhook", outcome="failed", attempts=6, last_error="HTTP 500"
    )
    delivery.attempt_log.create(
        number=1,
        started_at="2026-01-05T16:01:02Z",
        duration_ms=41,
        outcome="failed",
        http_status=500,
        error="HTTP 500",
    )
    html = browser.get(PAGE).content.decode()
    assert "above the threshold 10<" in html  # not 1E+1
    assert "1 EUR = 1.1 USD" in html
    assert "webhook: failed (6 attempts) — HTTP 500" in html
    assert "2026-01-05 16:01:02 UTC</time>: failed, HTTP 500, 41 ms — HTTP 500" in html


def test_nav_is_the_same_for_everyone(browser, owner, quoted):
    # Pages are cached and replayed to anyone: the nav must not carry the user's name.
    html = browser.get("/currencies/").content.decode()
    assert 'href="/alerts/"' in html
    assert 'href="/accounts/login/"' in html
    assert owner.get_username() not in html
    assert "no-cache" in browser.get(PAGE)["Cache-Control"]


def test_password_change(browser, owner):
    url = "/accounts/password_change/"
    assert browser.get(url).status_code == 200
    wrong = browser.post(
        url, {"old_password": "nope", "new_password1": "x-Long-93", "new_password2": "x-Long-93"}
    )
    assert "incorrectly" in field_errors(wrong.content.decode(), "old_password")
    answer = browser.post(
        url,
        {
            "old_password": "pw",
            "new_password1": "x-Longer-pass-93",
            "new_password2": "x-Longer-pass-93",
        },
    )
    assert answer["Location"] == "/accounts/password_change/done/"
    owner.refresh_from_db()
    assert owner.check_password("x-Longer-pass-93")
