"""One function per channel: send a firing, or raise DeliveryError saying why not.

Webhook requests are signed: `X-Koel-Timestamp` carries the Unix time of the request and
`X-Koel-Signature` is `sha256=` + hex HMAC-SHA256, keyed with the rule's secret, of
`<timestamp>.<body>` (docs/alerts.md).
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from alerts.models import AlertFiring, Channel

TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """A channel could not deliver a firing; the message says why."""


def payload(firing: AlertFiring) -> dict:
    rule = firing.rule
    return {
        "event": "alert.test" if firing.is_test else "alert.fired",
        "firing_id": firing.id,
        "rule": {
            "id": rule.id,
            "name": str(rule),
            "base": rule.base,
            "target": rule.target,
            "condition": rule.condition,
            "threshold": str(rule.threshold),
            "window_hours": rule.window_hours,
        },
        "rate": str(firing.rate),
        "reference_rate": None if firing.reference_rate is None else str(firing.reference_rate),
        "observed_at": firing.observed_at.isoformat(),
        "source": firing.source,
        "fired_at": firing.fired_at.isoformat(),
    }


def summary(firing: AlertFiring) -> str:
    rule = firing.rule
    test = "[test] " if firing.is_test else ""
    return (
        f"{test}Koel alert {rule}: 1 {rule.base} = {firing.rate} {rule.target} "
        f"(observed {firing.observed_at:%Y-%m-%d %H:%M} UTC, {firing.source})"
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def post_json(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the URL is validated as http(s) on the rule
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"{url} unreachable: {exc}") from exc


def send_email(firing: AlertFiring) -> None:
    owner = firing.rule.owner
    if not owner.email:
        raise DeliveryError(f"user {owner.get_username()} has no email address")
    context = {"firing": firing, "rule": firing.rule, "summary": summary(firing)}
    send_mail(
        subject=summary(firing)[:150],
        message=render_to_string("alerts/firing.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
        html_message=render_to_string("alerts/firing.html", context),
    )


def send_webhook(firing: AlertFiring) -> None:
    body = json.dumps(payload(firing), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Koel-Timestamp": timestamp,
        "X-Koel-Signature": signature(firing.rule.webhook_secret, timestamp, body),
    }
    post_json(firing.rule.webhook_url, body, headers)


def send_slack(firing: AlertFiring) -> None:
    post_json(firing.rule.slack_url, json.dumps({"text": summary(firing)}).encode(), {})


SENDERS: dict[str, Callable[[AlertFiring], None]] = {
    Channel.EMAIL: send_email,
    Channel.WEBHOOK: send_webhook,
    Channel.SLACK: send_slack,
}
