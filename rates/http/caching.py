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
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date
from redis.exceptions import RedisError

from rates.cache import catalog_pinned, raw_key, snapshot
from rates.http.replay import Finisher, etag, mark_replayable, register_finisher
from rates.redis_link import get_object, put_object

DAY = 86_400


@dataclass(frozen=True)
class Answer:
    status: int
    payload: object
    last_modified: datetime | None = None
    content_type: str = "application/json"
    # Error answers are not cached: they are cheap and some depend on time ("no data yet").
    cacheable: bool = True
    # At most this long in the cache (and replayed): an answer that says how old its data is
    # (`age_seconds`) must not be served long after it was built.
    max_seconds: int | None = None


@dataclass(frozen=True)
class _Stored:
    status: int
    body: object  # bytes, or the payload to finish per request
    content_type: str
    modified: str | None
    expires: float  # time.time() past which the cache no longer holds it


def cached_answer(
    request: HttpRequest,
    build: Callable[[], Answer],
    *,
    depends_on: Iterable[str],
    vary: Iterable[str] = (),
    encode: Callable[[object], bytes] | None = None,
    replay: bool = True,
    finish: Finisher | None = None,
) -> HttpResponse:
    """The response for `request`, from the cache when an equal request was answered since
    the last write to the bases in `depends_on`; `vary` adds anything else the answer depends
    on (e.g. the Accept header's choice). With `replay`, a 200 may also be stored whole and
    replayed to equal requests before they reach Django (rates.http.replay): pass False when the
    view checked something a replay would skip (a key in the query string).

    With `finish` (a registered `finisher`), the payload (not its bytes) is cached and finished
    per request with the query parameters it reads (an amount): they are not part of the key,
    and one cached rate serves every amount, here and in the replay. The view has validated
    those parameters already; the finisher's `encode` is used, not `encode`."""
    encode = encode or json_bytes
    ignore = finish.ignore if finish is not None else frozenset()
    try:
        versions = snapshot(depends_on)
    except RedisError:  # Redis down: answer from the database (rates/redis_outage.py)
        return _uncached(request, build(), finish, encode)
    if versions.writing:
        # A write of these bases is in flight: what is read now may be from before its COMMIT,
        # so it is answered and kept nowhere (rates.cache).
        with catalog_pinned(versions.catalog_token):
            return _uncached(request, build(), finish, encode)
    key = _key(request, versions.versions, vary, ignore, finished=finish is not None)
    stored = _cached(key)
    if stored is None:
        with catalog_pinned(versions.catalog_token):
            answer = build()
        stored = _store(answer, None if answer.status != 200 else finish, encode)
        if not (answer.cacheable and answer.status == 200):
            return _response(request, stored)
        if not _keep(key, stored):
            return _uncached(request, answer, finish, encode)
    finished = None
    if finish is not None:
        body = _finished(request, finish, stored.body)
        finished = (finish, stored.body, body)
        stored = replace(stored, body=body)
    if replay:
        lifetime = stored.expires - time.time()
        mark_replayable(request, versions.generation, lifetime=lifetime, finished=finished)
    return _response(request, stored)


def finisher(
    name: str,
    *,
    ignore: Iterable[str],
    parse: Callable[[Mapping[str, str]], object],
    apply: Callable[[object, object], object],
    encode: Callable[[object], bytes] | None = None,
) -> Finisher:
    """Register how a view finishes its cached payload per request (see `cached_answer`):
    `parse` reads the parameters in `ignore` (name -> value, as the request gave them) and
    raises for anything the view refuses; `apply` applies what it read to the payload."""
    return register_finisher(Finisher(name, frozenset(ignore), parse, apply, encode or json_bytes))


def _cached(key: str) -> _Stored | None:
    try:
        return get_object(key)
    except RedisError:  # gone since the snapshot: a miss, answered from the database
        return None


def _keep(key: str, stored: _Stored) -> bool:
    """Store the answer; False when Redis is gone (it is then neither stored nor replayed)."""
    try:
        put_object(key, stored, seconds=stored.expires - time.time())
    except RedisError:
        return False
    return True


def _uncached(request, answer: Answer, finish: Finisher | None, encode) -> HttpResponse:
    """The answer as built, finished when it is a 200 to finish, and never replayed."""
    finishing = finish if answer.status == 200 else None
    stored = _store(answer, finishing, encode)
    if finishing is not None:
        stored = replace(stored, body=_finished(request, finishing, stored.body))
    return _response(request, stored)


def _finished(request: HttpRequest, finish: Finisher, payload: object) -> bytes:
    return finish.body(payload, finish.parse(_given(request, finish.ignore)))


def _given(request: HttpRequest, names: frozenset) -> dict[str, str]:
    # The value a view's parameters read: QueryDict's last of each name.
    return {name: request.GET[name] for name in names if name in request.GET}


def _store(answer: Answer, finish: Finisher | None, encode: Callable) -> _Stored:
    body = answer.payload
    if finish is None and not isinstance(body, bytes):
        body = encode(body)
    modified = http_date(answer.last_modified.timestamp()) if answer.last_modified else None
    seconds = min(settings.KOEL_API_CACHE_SECONDS, answer.max_seconds or DAY)
    return _Stored(answer.status, body, answer.content_type, modified, time.time() + seconds)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # the compatible APIs answer numbers; they round first
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# One encoder for every answer: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"))


def json_bytes(payload: object) -> bytes:
    return _ENCODER.encode(payload).encode()


def _key(request: HttpRequest, versions: str, vary, ignore: frozenset, *, finished: bool) -> str:
    query = sorted((k, tuple(request.GET.getlist(k))) for k in request.GET if k not in ignore)
    raw = repr((request.path, query, tuple(vary), finished))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return raw_key(f"answer2:{digest}:{versions}")  # 2: entries are _Stored, no longer tuples


def _response(request: HttpRequest, stored: _Stored) -> HttpResponse:
    status, body, content_type, modified = (
        stored.status,
        stored.body,
        stored.content_type,
        stored.modified,
    )
    tag = etag(body)
    if status == 200 and _matches(tag, request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    if status == 200:
        response["ETag"] = tag
        response["Cache-Control"] = f"public, max-age={settings.KOEL_API_MAX_AGE}"
        if modified:
            response["Last-Modified"] = modified
    else:
        response["Cache-Control"] = "no-store"
    return response


def _matches(tag: str, header: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2); `*` matches any current answer."""
    tags = _etags(header)
    return tag in tags or "*" in tags


def _etags(header: str) -> set[str]:
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    return tags | {tag.removeprefix("W/") for tag in tags}
