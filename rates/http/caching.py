"""Cached, conditional JSON answers for the read endpoints (Koel's API and the compatible ones).

An answer is stored in the cache under a key made of everything that changes it (the path and
every query parameter, sorted, plus whatever the caller adds) and the cache versions of the bases
it depends on (rates.cache): when rates of one of those bases land, the versions change and the
old entry is never asked for again — no stale answer after a write commits. Responses carry an
ETag (a hash of the body), Cache-Control and, when the caller knows it, Last-Modified; a request
whose If-None-Match matches gets 304 without a body.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, quote_etag

from rates.cache import snapshot
from rates.http.replay import mark_replayable


@dataclass(frozen=True)
class Answer:
    status: int
    payload: object
    last_modified: datetime | None = None
    content_type: str = "application/json"
    # Error answers are not cached: they are cheap and some depend on time ("no data yet").
    cacheable: bool = True


def cached_answer(
    request: HttpRequest,
    build: Callable[[], Answer],
    *,
    depends_on: Iterable[str],
    vary: Iterable[str] = (),
    encode: Callable[[object], bytes] | None = None,
    replay: bool = True,
) -> HttpResponse:
    """The response for `request`, from the cache when an equal request was answered since
    the last write to the bases in `depends_on`; `vary` adds anything else the answer depends
    on (e.g. the Accept header's choice). With `replay`, a 200 may also be stored whole and
    replayed to equal requests before they reach Django (rates.http.replay): pass False when the
    view checked something a replay would skip (a key in the query string)."""
    encode = encode or json_bytes
    versions = snapshot(depends_on)
    key = _key(request, versions.versions, vary)
    stored = cache.get(key)
    if stored is None:
        answer = build()
        body = answer.payload if isinstance(answer.payload, bytes) else encode(answer.payload)
        modified = http_date(answer.last_modified.timestamp()) if answer.last_modified else None
        stored = (answer.status, body, answer.content_type, modified)
        if not (answer.cacheable and answer.status == 200):
            return _response(request, *stored)
        cache.set(key, stored, timeout=settings.KOEL_API_CACHE_SECONDS)
    if replay:
        mark_replayable(request, versions.generation)
    return _response(request, *stored)


def json_bytes(payload: object) -> bytes:
    return json.dumps(payload, default=_json_default, separators=(",", ":")).encode()


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # the compatible APIs answer numbers; they round first
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _key(request: HttpRequest, versions: str, vary: Iterable[str]) -> str:
    query = sorted((k, tuple(request.GET.getlist(k))) for k in request.GET)
    raw = repr((request.path, query, tuple(vary)))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"answer:{digest}:{versions}"


def _response(request, status, body, content_type, modified) -> HttpResponse:
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    if status == 200 and etag in _etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    if status == 200:
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={settings.KOEL_API_MAX_AGE}"
        if modified:
            response["Last-Modified"] = modified
    else:
        response["Cache-Control"] = "no-store"
    return response


def _etags(header: str) -> set[str]:
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    return tags | {tag.removeprefix("W/") for tag in tags}
