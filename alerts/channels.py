"""One function per channel: send a firing, or raise DeliveryError saying why not.

Webhook requests are signed: `X-Koel-Timestamp` carries the Unix time of the request and
`X-Koel-Signature` is `sha256=` + hex HMAC-SHA256, keyed with the rule's secret, of
`<timestamp>.<body>` (docs/alerts.md).
"""

import hashlib
import hmac
import http.client
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from alerts.models import AlertFiring, Channel
from alerts.targets import DEFAULT_PORTS, TargetRefused, connect_address, pinned_connection


class DeliveryError(Exception):
    """A channel could not deliver; the message says why. `http_status` is the receiver's answer
    when there was one; `final` means retrying cannot help (a refused target)."""

    def __init__(self, message: str, *, http_status: int | None = None, final: bool = False):
        super().__init__(message)
        self.http_status, self.final = http_status, final


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


def post_json(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the checked address of the URL's host (alerts.targets); returns the 2xx status.
    Redirects are not followed: one could lead anywhere, so a 3xx is a failure like a 4xx."""
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    try:
        address = connect_address(parts.hostname, port)
    except TargetRefused as exc:
        raise DeliveryError(f"{url} refused, nothing sent: {exc}", final=True) from exc
    except OSError as exc:
        raise DeliveryError(f"{url} unreachable: {exc}") from exc
    connection = pinned_connection(parts.scheme, parts.hostname, port, address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
        )
        with connection.getresponse() as response:
            response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{url} unreachable: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"{url} answered HTTP {response.status}", http_status=response.status)
    return response.status


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


def send_webhook(firing: AlertFiring) -> int:
    body = json.dumps(payload(firing), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Koel-Timestamp": timestamp,
        "X-Koel-Signature": signature(firing.rule.webhook_secret, timestamp, body),
    }
    return post_json(firing.rule.webhook_url, body, headers)


def send_slack(firing: AlertFiring) -> int:
    return post_json(firing.rule.slack_url, json.dumps({"text": summary(firing)}).encode(), {})


# Each sends one firing and returns the receiver's HTTP status, if it has one.
SENDERS: dict[str, Callable[[AlertFiring], int | None]] = {
    Channel.EMAIL: send_email,
    Channel.WEBHOOK: send_webhook,
    Channel.SLACK: send_slack,
}
