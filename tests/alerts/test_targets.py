"""Koel does not POST to its own networks: a webhook, Slack or data-webhook URL whose host is or
resolves to a loopback, private, link-local, multicast, reserved or unspecified address is
refused when saved and again when sent (where the connection goes to the checked address), unless
KOEL_WEBHOOKS_ALLOW_PRIVATE is on. Name resolution is faked (it is the internet); the receivers
are real servers on 127.0.0.1."""

import socket
import ssl
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from alerts.models import AlertRule, DataDelivery, DataSubscription, Delivery
from alerts.targets import TargetRefused, address_kind, connect_address
from tests.alerts.receiver import Receiver

RULES = "/api/v1/alerts/"
SUBSCRIPTIONS = "/api/v1/alerts/subscriptions/"
REAL_GETADDRINFO = socket.getaddrinfo


def resolving(names: dict[str, list[str]]):
    """Patch name resolution: these names resolve to these addresses, others as usual."""

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            return [
                answer
                for address in names[host]
                for answer in REAL_GETADDRINFO(address, port, *args, **kwargs)
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    return patch("alerts.targets.socket.getaddrinfo", side_effect=getaddrinfo)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("::ffff:172.16.0.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "a link-local address"),  # cloud metadata
        ("fe80::1", "a link-local address"),
        ("224.0.0.251", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 - an address under test
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("93.184.215.14", ""),
        ("2606:4700:4700::1111", ""),
        ("::ffff:8.8.8.8", ""),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(address) == kind


def test_every_address_of_a_name_is_checked():
    with resolving({"mixed.example": ["93.184.215.14", "10.0.0.7"]}):
        with pytest.raises(TargetRefused, match=r"mixed.example resolves to 10.0.0.7, a private"):
            connect_address("mixed.example", 443)
        assert connect_address("93.184.215.14", 443) == "93.184.215.14"


RULE = {"base": "EUR", "target": "USD", "condition": "above", "threshold": "1.2"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost/hook", "localhost resolves to"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://[::ffff:10.0.0.1]/hook", "::ffff:10.0.0.1 is a private address"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
    ],
)
@pytest.mark.parametrize("field", ["webhook_url", "slack_url"])
def test_a_rule_naming_a_private_address_is_refused(api, quoted, field, url, reason):
    answer = api.post(RULES, {**RULE, field: url}, format="json")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith("Koel only sends to public addresses: ")
    assert reason in error["message"]


def test_a_name_resolving_to_a_private_address_is_refused(api, quoted):
    with resolving({"intranet.example": ["192.168.1.20"]}):
        answer = api.post(RULES, {**RULE, "webhook_url": "https://intranet.example/h"})
    assert answer.json()["error"] == {
        "code": "invalid",
        "message": "Koel only sends to public addresses: "
        "intranet.example resolves to 192.168.1.20, a private address.",
        "field": "webhook_url",
    }


def test_a_data_webhook_naming_a_private_address_is_refused(api, currencies):
    body = {"currencies": ["EUR"], "url": "http://10.0.0.5/rates"}
    answer = api.post(SUBSCRIPTIONS, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "url"
    assert "10.0.0.5 is a private address" in answer.json()["error"]["message"]
    assert not DataSubscription.objects.exists()


def test_the_page_and_admin_refuse_a_private_address(owner, admin_client, quoted):
    browser = Client()
    browser.force_login(owner)
    form = {**RULE, "window_hours": "24", "hysteresis": "0", "cooldown": "01:00:00"}
    answer = browser.post("/alerts/", {**form, "slack_url": "http://127.0.0.1/h"})
    assert answer.status_code == 400
    message = "Koel only sends to public addresses: 127.0.0.1 is a loopback address."
    assert answer.text.count(message) == 1  # once, next to its field
    admin_form = {**form, "owner": owner.id, "webhook_secret": "s", "webhook_url": "http://[::1]/"}
    refused = admin_client.post("/admin/alerts/alertrule/add/", admin_form)
    assert refused.status_code == 200
    assert "Koel only sends to public addresses: ::1 is a loopback address." in refused.text
    assert not AlertRule.objects.exists()


def test_private_addresses_are_accepted_when_allowed(api, quoted, private_targets):
    answer = api.post(RULES, {**RULE, "webhook_url": "http://192.168.1.20/h"}, format="json")
    assert answer.status_code == 201, answer.json()


def test_an_unresolvable_name_is_accepted_and_checked_when_sent(api, quoted):
    # Nothing resolves offline: the save lets it through, the sending resolves again.
    answer = api.post(RULES, {**RULE, "webhook_url": "https://hooks.example.invalid/h"})
    assert answer.status_code == 201, answer.json()


def fire(land, rule, **channels):
    rule("EUR", "USD", "above", "1.2", **channels)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    return Delivery.objects.get()


def test_a_private_target_is_refused_when_sent_and_nothing_connects(land, rule):
    # A rule saved while private targets were allowed (the ORM does not validate): now they
    # are not, so the send is refused before any connection, once, and not retried.
    with Receiver([]) as receiver:
        delivery = fire(land, rule, webhook_url=receiver.url)
    assert receiver.requests == []  # no connection was made
    assert (delivery.outcome, delivery.attempts) == ("failed", 1)
    [attempt] = delivery.attempt_log.all()
    assert (attempt.outcome, attempt.http_status) == ("failed", None)
    assert attempt.error == (
        f"{receiver.url} refused, nothing sent: 127.0.0.1 is a loopback address"
    )


def test_a_name_rebound_to_a_private_address_is_refused_when_sent(land, rule):
    # Saved when the name did not resolve (or resolved publicly); at send time it points home.
    with Receiver([]) as receiver, resolving({"rebound.example": ["127.0.0.1"]}):
        url = receiver.url.replace("127.0.0.1", "rebound.example")
        delivery = fire(land, rule, slack_url=url)
    assert receiver.requests == []
    assert delivery.outcome == "failed"
    assert delivery.last_error.endswith(
        "nothing sent: rebound.example resolves to 127.0.0.1, a loopback address"
    )


def test_the_connection_goes_to_the_checked_address_under_the_name(land, rule, private_targets):
    with Receiver([]) as receiver, resolving({"hooks.example": ["127.0.0.1"]}):
        url = receiver.url.replace("127.0.0.1", "hooks.example")
        delivery = fire(land, rule, webhook_url=url)
    [(headers, _)] = receiver.requests
    assert headers["Host"] == f"hooks.example:{receiver.server.server_port}"
    assert delivery.outcome == "delivered"


def test_a_data_webhook_to_a_private_target_is_refused_when_sent(land, owner, currencies):
    with Receiver([]) as receiver:
        DataSubscription.objects.create(owner=owner, currencies=["USD"], url=receiver.url)
        land("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
    assert receiver.requests == []
    delivery = DataDelivery.objects.get()
    assert (delivery.outcome, delivery.attempts) == ("failed", 1)
    assert delivery.attempt_log.get().error.endswith("127.0.0.1 is a loopback address")


def test_a_redirect_is_not_followed(land, rule, private_targets):
    # A 3xx could send the POST anywhere, the server's own network included.
    with Receiver([302] * 6) as receiver:
        delivery = fire(land, rule, webhook_url=receiver.url)
    assert delivery.outcome == "failed"
    assert delivery.attempt_log.first().http_status == 302


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.example only (no IP address in it): (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def trusting(cafile: str):
    """Koel's TLS context, trusting the test's certificate besides the system's authorities."""
    real = ssl.create_default_context

    def context():
        made = real()
        made.load_verify_locations(cafile)
        return made

    return patch("alerts.targets.ssl.create_default_context", side_effect=context)


def fire_over_tls(land, rule, certificate, name: str):
    """Fire a webhook to an HTTPS receiver on 127.0.0.1, addressed by a name resolving there."""
    with (
        Receiver([], tls=certificate) as receiver,
        resolving({name: ["127.0.0.1"]}),
        trusting(certificate[0]),
    ):
        delivery = fire(land, rule, webhook_url=receiver.url.replace("127.0.0.1", name))
    return receiver, delivery


def test_https_keeps_the_name_for_sni_and_the_certificate(land, rule, private_targets, certificate):
    # The certificate names hooks.example only: checked against the pinned 127.0.0.1 it would
    # fail, so a delivery proves the name was used for TLS while the socket went to the address.
    receiver, delivery = fire_over_tls(land, rule, certificate, "hooks.example")
    assert delivery.outcome == "delivered", delivery.last_error
    assert receiver.sni == ["hooks.example"]
    [(headers, _)] = receiver.requests
    assert headers["Host"] == f"hooks.example:{receiver.server.server_port}"


def test_https_refuses_a_certificate_for_another_name(land, rule, private_targets, certificate):
    receiver, delivery = fire_over_tls(land, rule, certificate, "other.example")
    assert receiver.requests == []
    assert delivery.outcome == "failed"
    assert "certificate verify failed" in delivery.last_error
