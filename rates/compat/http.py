"""The door of the Open Exchange Rates and Fixer layers: methods, keys, error bodies, serving.

Both layers answer only GET and HEAD, check an API key before anything else (before a cached
answer is looked up), turn their own typed errors into their own error bodies, and serve cached,
conditional JSON. What differs between them — how the key is sent, the errors that say it is
missing or wrong, the headers an answer varies on — is a `Layer`; the rest is here once.
(Frankfurter's layers have their own door, rates.compat.frankfurter.http: no keys, other bodies.)

An amount is never part of a cache key, in any layer: `cached_value` keeps the amount-free part
of an answer (a rate, the rows of a day) until a write touches its bases, and `uncached_answer`
applies the request's amount to it and answers without storing the result.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import RedisError

from rates.cache import snapshot
from rates.http.caching import Answer, cached_answer, json_bytes

from .keys import request_key_is_valid

T = TypeVar("T")


class CompatError(Exception):
    """An error a layer answers in its own body shape, with the HTTP status `status`."""

    status: int

    def body(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class Layer:
    """One compatible API's conventions at the door."""

    read_key: Callable[[HttpRequest], str]  # the raw key as the layer accepts it, '' if none
    missing_key: Callable[[], CompatError]
    invalid_key: Callable[[], CompatError]
    wrong_method: Callable[[str], CompatError]  # given the request's method
    vary: tuple[str, ...]  # headers a key may come in: a keyed answer varies on them

    def endpoint(self, *, key_required: bool = True) -> Callable:
        """GET/HEAD only, the key checked first when required, CompatError as the layer's body."""

        def decorate(view: Callable) -> Callable:
            @csrf_exempt
            @wraps(view)
            def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
                try:
                    if request.method not in ("GET", "HEAD"):
                        raise self.wrong_method(request.method)
                    if key_required:
                        self.require_key(request)
                    return view(request, *args, **kwargs)
                except CompatError as error:
                    return error_response(error.body(), error.status)

            return wrapper

        return decorate

    def require_key(self, request: HttpRequest) -> None:
        raw = self.read_key(request)
        if not raw:
            raise self.missing_key()
        if not request_key_is_valid(request, raw):
            raise self.invalid_key()

    def serve(
        self,
        request: HttpRequest,
        build: Callable[[], Answer],
        *,
        depends_on: Iterable[str],
        pretty: bool = False,
        keyed: bool = True,
        stored: bool = True,
    ) -> HttpResponse:
        """A cached, conditional (ETag / If-None-Match) answer; see rates.http.caching. An
        answer behind a key (`keyed`) varies on the headers the key may come in, so no shared
        cache hands it to a request without the key. Not `stored`: built per request (from
        `cached_value`s), as `uncached_answer`."""
        encode = pretty_json if pretty else json_bytes
        if stored:
            # Never replayed (rates.http.replay): these layers check a key in the query first.
            response = cached_answer(
                request, build, depends_on=depends_on, encode=encode, replay=False
            )
        else:
            response = uncached_answer(request, build, encode=encode)
        if keyed:
            patch_vary_headers(response, list(self.vary))
        return response


def cached_value(key: str, compute: Callable[[], T], *, depends_on: Iterable[str]) -> T:
    """compute(), kept in the cache under `key` until a write touches a base in `depends_on`
    (their versions, rates.cache, are part of the key). What compute raises is not kept."""
    try:
        versions = snapshot(depends_on)
    except RedisError:  # Redis down: computed from the database (rates/redis_outage.py)
        return compute()
    if versions.writing:  # a write of these bases is in flight: kept nowhere (rates.cache)
        return compute()
    full = f"compat:{key}:{versions.versions}"
    value = cache.get(full)
    if value is None:
        value = compute()
        cache.set(full, value, timeout=settings.KOEL_API_CACHE_SECONDS)
    return value


def uncached_answer(
    request: HttpRequest, build: Callable[[], Answer], *, encode: Callable | None = None
) -> HttpResponse:
    """The answer build() gives this request alone, with the headers of every cached answer
    (ETag and 304, Cache-Control, Last-Modified) but never stored, nor replayed: for an answer
    that applies the request's amount to a `cached_value`."""
    # rates.http.caching answers a non-cacheable Answer without storing it; its lookup under a
    # key that is then never written is the one round trip this costs beyond the value's.
    return cached_answer(
        request,
        lambda: replace(build(), cacheable=False),
        depends_on=(),
        encode=encode,
        replay=False,
    )


def pretty_json(payload: object) -> bytes:
    return json.dumps(payload, indent=2).encode()


def error_response(body: dict, status: int) -> HttpResponse:
    """An error in the layer's own body shape: never cached, a 405 says what is allowed. CORS is
    Koel's (KOEL_CORS_ORIGINS covers /api/ and /fixer/); OXR itself allows any origin."""
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    if status == 405:
        response["Allow"] = "GET, HEAD"
    return response
