"""API keys and throttling.

Anonymous clients are throttled per IP address (KOEL_ANON_RATE). A key issued in the admin
(rates.models.ApiKey), sent as `X-API-Key: <key>` or `Authorization: Api-Key <key>`, lifts the
limit; an unknown or revoked key is a 401, not a silent fall-back to anonymous.
"""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import AnonRateThrottle

from rates.http.throttle import COUNTED, PRECOUNTED, anonymous_window, count
from rates.models import ApiKey


class KeyHolder:
    """The request's user when it came with a valid key: not a Django user, never staff."""

    is_authenticated = True
    is_staff = False
    is_anonymous = False

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"api key {self.key.prefix}"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        raw = request.headers.get("X-API-Key") or self._from_authorization(request)
        if not raw:
            return None
        key = ApiKey.find(raw.strip())
        if key is None:
            raise AuthenticationFailed("Unknown or revoked API key.")
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return KeyHolder(key), key

    def authenticate_header(self, request) -> str:
        return self.keyword

    def _from_authorization(self, request) -> str:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return value if scheme.lower() == self.keyword.lower() else ""


class AnonymousThrottle(AnonRateThrottle):
    """Throttles requests without a key (or a logged-in session) per client address, with the
    fixed window of rates.http.throttle (atomic, one round trip per request)."""

    scope = "anonymous"

    def get_rate(self) -> str:
        return settings.KOEL_ANON_RATE  # read per request, so a settings change applies

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        # A replay of this answer is throttled too (rates.http.replay), under the rate then in
        # force.
        request.META[COUNTED] = True
        window = anonymous_window(self.get_ident(request))
        if window is None:
            return True
        self._retry_after = window.retry_after
        try:
            counted = request.META.get(PRECOUNTED) or count(window)
        except RedisError:
            # Fail open: without Redis nothing is counted, and refusing every client would
            # turn a cache outage into a full one (logged once: rates/redis_outage.py).
            return True
        return counted <= window.limit

    def wait(self) -> float:
        return max(1, self._retry_after)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
