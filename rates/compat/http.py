"""The door of the Open Exchange Rates and Fixer layers: methods, keys, error bodies, serving.

Both layers answer only GET and HEAD, check an API key before anything else (before a cached
answer is looked up), turn their own typed errors into their own error bodies, and serve cached,
conditional JSON. What differs between them — how the key is sent, the errors that say it is
missing or wrong, the headers an answer varies on — is a `Layer`; the rest is here once.
(Frankfurter's layers have their own door, rates.compat.frankfurter.http: no keys, other bodies.)
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from rates.http.caching import Answer, cached_answer, json_bytes

from .keys import key_is_valid


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
        if not key_is_valid(raw):
            raise self.invalid_key()

    def serve(
        self,
        request: HttpRequest,
        build: Callable[[], Answer],
        *,
        depends_on: Iterable[str],
        pretty: bool = False,
        keyed: bool = True,
    ) -> HttpResponse:
        """A cached, conditional (ETag / If-None-Match) answer; see rates.http.caching. An
        answer behind a key (`keyed`) varies on the headers the key may come in, so no shared
        cache hands it to a request without the key."""
        # Never replayed (rates.http.replay): these layers check a key from the query string first.
        encode = pretty_json if pretty else json_bytes
        response = cached_answer(request, build, depends_on=depends_on, encode=encode, replay=False)
        if keyed:
            patch_vary_headers(response, list(self.vary))
        return response


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
