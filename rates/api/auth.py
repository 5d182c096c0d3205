"""API keys and throttling.

Anonymous clients are throttled per IP address (KOEL_ANON_RATE). A key issued in the admin
(rates.models.ApiKey), sent as `X-API-Key: <key>` or `Authorization: Api-Key <key>`, lifts the
limit; an unknown or revoked key is a 401, not a silent fall-back to anonymous.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import AnonRateThrottle

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
    """Throttles requests without a key (or a logged-in session) per client address.

    A fixed window counted with Redis INCR: atomic (concurrent requests cannot slip past the
    limit as with DRF's read-modify-write history list) and one round trip per request.
    """

    scope = "anonymous"
    cache = cache  # django-redis: INCR and EXPIRE in one pipeline

    def get_rate(self) -> str:
        return settings.KOEL_ANON_RATE  # read per request, so a settings change applies

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        if self.rate is None:
            return True
        window = int(self.duration)
        now = int(time.time())
        start = now - now % window
        key = self.cache.client.make_key(f"throttle:{self.get_ident(request)}:{start}")
        with self.cache.client.get_client(write=True).pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count, _ = pipe.execute()
        self._retry_after = start + window - now
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1, self._retry_after)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
