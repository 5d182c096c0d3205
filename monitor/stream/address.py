"""Where the stream is served, and which browser origins may read it.

The stream has its own server (the ASGI one, port KOEL_STREAM_PORT), so the site's pages read
it cross-origin: a page of an origin whose host Koel serves (ALLOWED_HOSTS, any port) is
answered with credentials allowed, so its EventSource({withCredentials: true}) carries the
session and receives the user's firings. Other origins follow KOEL_CORS_ORIGINS (rates only,
through django-cors-headers as on the rest of the API).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

STREAM_PATH = "/api/v1/stream/"


def stream_url(request) -> str:
    """The stream's absolute URL for a page served by `request`: KOEL_STREAM_URL when set,
    else the request's scheme and host on port KOEL_STREAM_PORT."""
    base = settings.KOEL_STREAM_URL
    if not base:
        host, _ = split_domain_port(request.get_host())
        base = f"{request.scheme}://{host}:{settings.KOEL_STREAM_PORT}"
    return base.rstrip("/") + STREAM_PATH


def stream_origin(request) -> str:
    """The origin (scheme://host[:port]) of the stream's URL for this page: what the page's
    Content-Security-Policy must allow the page to connect to."""
    parts = urlsplit(stream_url(request))
    return f"{parts.scheme}://{parts.netloc}"


def cors_headers(request) -> dict[str, str]:
    """CORS headers for the request's Origin (see the module's docstring); none for others."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return {}
    host = urlsplit(origin).hostname
    if host and validate_host(host, allowed_hosts()):
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }
    if settings.KOEL_CORS_ORIGINS == ["*"]:
        return {"Access-Control-Allow-Origin": "*"}
    if origin in settings.KOEL_CORS_ORIGINS:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


def allowed_hosts() -> list[str]:
    # As Django's own host check: with DEBUG and no ALLOWED_HOSTS, the local names.
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS
