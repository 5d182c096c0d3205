import hashlib
import hmac
import json
import time

import pytest
from django.core import mail

from alerts.models import Delivery, Outcome
from tests.alerts.receiver import Receiver

# The receivers listen on 127.0.0.1 (refused by default: test_targets.py).
pytestmark = pytest.mark.usefixtures("private_targets")


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300) -> bool:
    """A receiver's check, written from docs/alerts.md: HMAC-SHA256 keyed with the rule's
    secret over `<X-Koel-Timestamp>.<raw body>`, hex, prefixed `sha256=`; a stale timestamp is
    refused."""
    timestamp = headers["X-Koel-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    message = timestamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Koel-Signature"])


def fire(land, rule, **channels):
    watch = rule("EUR", "USD", "above", "1.2", **channels)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    return watch


def test_webhook_is_signed_as_documented(land, rule):
    with Receiver([]) as receiver:
        watch = fire(land, rule, webhook_url=receiver.url)
    [(headers, body)] = receiver.requests
    assert verify(watch.webhook_secret, headers, body)
    assert not verify("another secret", headers, body)
    sent = json.loads(body)
    assert sent["rule"]["id"] == watch.id
    assert sent["rate"].startswith("1.25")
    assert sent["event"] == "alert.fired"
    delivery = Delivery.objects.get(channel="webhook")
    assert (delivery.outcome, delivery.attempts) == (Outcome.DELIVERED, 1)


def attempt_log(delivery) -> list[tuple]:
    return list(delivery.attempt_log.values_list("number", "outcome", "http_status", "error"))


def test_webhook_is_retried_and_every_attempt_recorded(land, rule):
    with Receiver([500, 503]) as receiver:
        fire(land, rule, webhook_url=receiver.url)
    assert len(receiver.requests) == 3  # two failures, then delivered
    delivery = Delivery.objects.get(channel="webhook")
    assert (delivery.outcome, delivery.attempts) == (Outcome.DELIVERED, 3)
    assert delivery.last_error == ""
    assert attempt_log(delivery) == [
        (1, "failed", 500, f"{receiver.url} answered HTTP 500"),
        (2, "failed", 503, f"{receiver.url} answered HTTP 503"),
        (3, "delivered", 200, ""),
    ]
    attempts = list(delivery.attempt_log.all())
    assert attempts[0].started_at < attempts[1].started_at < attempts[2].started_at
    assert delivery.last_attempt_at == attempts[2].started_at  # the summary is the newest's
    assert all(a.duration_ms < 10_000 for a in attempts)


def test_webhook_failing_every_attempt_ends_failed_with_its_error(land, rule):
    with Receiver([500] * 10) as receiver:
        fire(land, rule, webhook_url=receiver.url)
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.outcome == Outcome.FAILED
    assert delivery.attempts == 6  # the first try and five retries
    assert len(receiver.requests) == 6
    assert "HTTP 500" in delivery.last_error
    assert attempt_log(delivery) == [
        (n, "failed", 500, f"{receiver.url} answered HTTP 500") for n in range(1, 7)
    ]


def test_a_failing_channel_does_not_block_the_others(land, rule):
    with Receiver([]) as slack:
        # Nothing listens on port 9 of localhost: the webhook fails, Slack and email go out.
        dead = "http://127.0.0.1:9/hook"
        watch = fire(land, rule, webhook_url=dead, slack_url=slack.url, notify_email=True)
    outcomes = dict(Delivery.objects.values_list("channel", "outcome"))
    assert outcomes == {"webhook": "failed", "slack": "delivered", "email": "delivered"}
    [(_, body)] = slack.requests
    assert json.loads(body)["text"].startswith(f"Koel alert {watch}")
    assert len(mail.outbox) == 1


def test_email_has_plain_text_and_html(land, rule, owner):
    fire(land, rule, notify_email=True)
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert "1 EUR = 1.25" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<table>" in html
    assert "1 EUR = 1.25" in html
    delivery = Delivery.objects.get(channel="email")
    assert attempt_log(delivery) == [(1, "delivered", None, "")]  # mail has no HTTP status


def test_email_to_an_owner_without_address_fails_clearly(land, rule, owner):
    owner.email = ""
    owner.save(update_fields=["email"])
    fire(land, rule, notify_email=True)
    delivery = Delivery.objects.get(channel="email")
    assert delivery.outcome == Outcome.FAILED
    assert "no email address" in delivery.last_error
    assert mail.outbox == []
    error = "user watcher has no email address"
    assert attempt_log(delivery) == [(n, "failed", None, error) for n in range(1, 7)]


@pytest.mark.parametrize(("retries", "seconds"), [(0, 30), (1, 60), (3, 240), (10, 3600)])
def test_backoff_is_exponential_and_capped(retries, seconds):
    from alerts.sending import backoff

    assert backoff(retries).total_seconds() == seconds


def test_a_delivery_whose_rule_was_deleted_is_dropped(store, rule):
    from alerts.delivery import deliveries_create
    from alerts.services import firing_test_send
    from alerts.tasks import delivery_send

    store("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    watch = rule("EUR", "USD", "above", "1.2", webhook_url="http://127.0.0.1:9/hook")
    # Outside a captured commit the deliveries are created but never queued.
    firing = firing_test_send(rule=watch)
    [delivery] = firing.deliveries.all()
    watch.delete()
    assert delivery_send.delay(delivery.id).get() is True
    assert deliveries_create(firings=[]) == []
