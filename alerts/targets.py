"""Where Koel may POST. Webhook, Slack and data-webhook URLs are typed by users and fetched by the
server, so a URL whose host is, or resolves to, an address of the server's own networks
(loopback, private, link-local, multicast, reserved, unspecified or otherwise not global; IPv4
and IPv6, IPv4-mapped included) is refused: when it is saved (`public_target`, a validator) and
again when it is sent (`connect_address`), where the connection then goes to the address that was
checked, so a DNS answer changed in between (DNS rebinding) cannot slip a private one through.
`KOEL_WEBHOOKS_ALLOW_PRIVATE` lifts the refusal for receivers on a self-hosted LAN."""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

TIMEOUT_SECONDS = 10
DEFAULT_PORTS = {"http": 80, "https": 443}
# The first kind that applies names the refusal; "not global" catches the rest (e.g. the
# carrier-grade NAT range 100.64.0.0/10, which is neither private nor public).
KINDS = {
    "loopback": "a loopback address",
    "link_local": "a link-local address",
    "multicast": "a multicast address",
    "unspecified": "an unspecified address",
    "reserved": "a reserved address",
    "private": "a private address",
}


class TargetRefused(Exception):
    """The URL's host is, or resolves to, an address Koel does not send to."""


def address_kind(text: str) -> str:
    """What keeps Koel from sending to this address, e.g. "a loopback address" ("" if nothing)."""
    address = ipaddress.ip_address(text)
    if address.version == 6:
        # ::ffff:127.0.0.1 is 127.0.0.1, and 2002:7f00:1:: (6to4) leads to it.
        address = address.ipv4_mapped or address.sixtofour or address
    for flag, kind in KINDS.items():
        if getattr(address, f"is_{flag}"):
            return kind
    return "" if address.is_global else "not a public address"


def host_refusal(host: str, addresses: list[str]) -> str:
    """Why Koel does not send to host, given every address it resolves to ("" if it may)."""
    for address in addresses:
        if kind := address_kind(address):
            return (
                f"{host} is {kind}" if address == host else f"{host} resolves to {address}, {kind}"
            )
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (itself when it is one). Raises OSError."""
    if not host:  # getaddrinfo would answer the loopback addresses for no host at all
        raise OSError("the URL names no host")
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(answer[4][0] for answer in answers))


def public_target(url: str) -> None:
    """Validator of a delivery URL: refuses a host that is or resolves to a non-public address.
    A name that does not resolve now is let through: sending checks again."""
    if settings.KOEL_WEBHOOKS_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    try:
        addresses = resolve(parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme, 80))
    except (OSError, ValueError, UnicodeError):
        return
    if reason := host_refusal(parts.hostname, addresses):
        raise ValidationError(f"Koel only sends to public addresses: {reason}.")


def connect_address(host: str, port: int) -> str:
    """The address to connect to for host: every address it resolves to is checked (unless
    private targets are allowed), and the first is used. Raises TargetRefused, or OSError when
    the name does not resolve."""
    addresses = resolve(host, port)
    if not settings.KOEL_WEBHOOKS_ALLOW_PRIVATE and (reason := host_refusal(host, addresses)):
        raise TargetRefused(reason)
    return addresses[0]


def pinned_connection(scheme: str, host: str, port: int, address: str):
    """An HTTP(S) connection to `address` that still speaks to `host`: the Host header, TLS SNI
    and the certificate check use the name, only the TCP connection goes to the checked address."""
    if scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            host, port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    # http.client opens its socket through this attribute, with (host, port): the address that
    # was checked takes the name's place there and nowhere else.
    connection._create_connection = lambda _, timeout, source: socket.create_connection(
        (address, port), timeout, source
    )
    return connection
