"""Replays stored answers in front of Django: a cached read costs one Redis round trip.

Read endpoints answer through rates.http.caching.cached_answer, which marks the request when its
answer may be replayed (a 200 anyone could have been given). On the way out, `ReplayApp` stores
that response exactly as Django sent it (status, every header the middleware added, body) under
a key made of the request line and the request headers a response can depend on, with the cache
generation the answer was built under (rates.cache). An equal request later is answered from
Redis without entering Django, as long as no write has committed since (one Lua script reads the
entry and the current generation atomically, and counts the request against the anonymous
throttle when Django counted the original). On a path whose answers are counted, the lookup
counts a request it cannot answer too, and Django's throttle takes that count: one round trip
fewer for every miss.

An answer finished per request (an amount applied to a cached rate) is stored unfinished: the
payload and the name of its `Finisher`, under a key without the parameters the finisher reads.
A replay parses those parameters with the finisher (anything it refuses goes to Django, which
answers the 400), applies them and sends what Django would have: the same bytes, ETag and
Content-Length.

Each process remembers the entries it stored or fetched last (KOEL_REPLAY_MEMO_BYTES of them),
with the stamp every store writes: the lookup sends the stamp it holds and, while the entry
still has it, Redis answers "same" instead of the body (a 40 kB currency page stays in Redis).

Anything Django might answer differently goes to Django: other methods, conditional requests,
API keys, logged-in sessions, a client over its throttle budget (Django sends the 429), and
paths this process has not yet seen replayed (so other pages pay no Redis round trip).
KOEL_REPLAY=0 turns it off.
"""

import hashlib
import json
import logging
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import unquote_plus

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from rates.cache import GENERATION, raw_key
from rates.http.throttle import COUNTED, PRECOUNTED, anonymous_window
from rates.redis_link import run
from rates.redis_outage import FAILURES

logger = logging.getLogger(__name__)

# Set in the WSGI environ by cached_answer: the generation the answer was built under, how long
# the answer may live, and for a finished answer (finisher, unfinished payload, finished body).
REPLAYABLE = "koel.replay.generation"
LIFETIME = "koel.replay.lifetime"
FINISHED = "koel.replay.finished"

# What of the request a stored response may depend on, besides its path and query string; each
# is part of the key. (Cookies only matter through the session, and requests with one are not
# replayed.) The server's own name and scheme stand in for Host when a client sends none.
KEYED_ENVIRON = (
    "wsgi.url_scheme",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_HOST",
    "HTTP_ORIGIN",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
)
# Request headers that send a request to Django: its answer depends on who asks or on what
# the client already has.
PASSED_HEADERS = (
    "HTTP_AUTHORIZATION",
    "HTTP_X_API_KEY",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_RANGE",
)
# Response headers Vary may name for a response to be stored.
KEYED_VARY = {"host", "origin", "accept", "accept-encoding", "accept-language", "cookie"}
# Response headers that follow the body: a finished replay computes them for its own body.
BODY_HEADERS = {"etag", "content-length"}
# Paths remembered per process; past this many the memory starts over.
MAX_PATHS = 10_000
DAY = 86_400

# KEYS: the entry, the generation, the client's throttle counter. ARGV: the window's seconds,
# the entry's stamp the process holds ('' when none), '1' when the path's answers are counted.
# A missing or stale entry: {requests counted} for a counted path (Django answers, and takes
# that count instead of counting again), else nil. A fresh one: {requests counted, stamp} when
# the stamp is the one held, else {requests counted, stamp, status, headers, body, finisher}.
_LOOKUP = """
local entry = redis.call('HMGET', KEYS[1], 'generation', 'counted', 'stamp')
local fresh = entry[3] and entry[1] == (redis.call('GET', KEYS[2]) or '')
local counts = entry[2] == '1'
if not fresh then counts = ARGV[3] == '1' end
local counted = 0
if counts and KEYS[3] ~= '' then
  counted = redis.call('INCR', KEYS[3])
  if counted == 1 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
end
if not fresh then
  if ARGV[3] == '1' then return {counted} end
  return nil
end
if entry[3] == ARGV[2] then return {counted, entry[3]} end
local rest = redis.call('HMGET', KEYS[1], 'status', 'headers', 'body', 'finisher')
return {counted, entry[3], rest[1], rest[2], rest[3], rest[4] or ''}
"""


@dataclass(frozen=True)
class Finisher:
    """Applies per-request query parameters (`ignore`, e.g. an amount) to a cached payload.

    `parse` turns the parameters present (name -> the one value given) into what `apply`
    takes, raising for anything Django's view would refuse; `encode` makes the body's bytes.
    Registered by name (`register_finisher`), so that a stored entry can name its own."""

    name: str
    ignore: frozenset[str]
    parse: Callable[[Mapping[str, str]], object]
    apply: Callable[[object, object], object]
    encode: Callable[[object], bytes]

    def body(self, payload: object, parsed: object) -> bytes:
        return self.encode(self.apply(payload, parsed))


FINISHERS: dict[str, Finisher] = {}


def register_finisher(finisher: Finisher) -> Finisher:
    FINISHERS[finisher.name] = finisher
    return finisher


def etag(body: bytes) -> str:
    """The ETag of a cached answer's body (rates.http.caching sends it, a finished replay too)."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'  # as quote_etag quotes a bare digest


def mark_replayable(
    request: HttpRequest,
    generation: str,
    *,
    lifetime: float | None = None,
    finished: tuple[Finisher, object, bytes] | None = None,
) -> None:
    """Let ReplayApp store this request's response, valid until `generation` changes and for at
    most `lifetime` seconds (as long as the answer stays in the cache). `finished`: the
    finisher, the payload it was given and the body it made, for an answer finished per
    request."""
    request.META[REPLAYABLE] = generation
    if lifetime is not None:
        request.META[LIFETIME] = max(1, int(lifetime))
    if finished is not None:
        request.META[FINISHED] = finished


@dataclass(frozen=True)
class _Entry:
    """A stored response as a process holds it: the body, or a finished answer's payload."""

    status: str
    headers: list[tuple[str, str]]
    body: object
    finisher: Finisher | None
    size: int  # bytes it took in Redis, what the memo counts
    # Of a finished entry: where its ETag and Content-Length are, (index, is the ETag).
    slots: tuple[tuple[int, bool], ...] = ()


class ReplayApp:
    """WSGI middleware around Django's handler (koel.wsgi)."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        # Paths replayed, each with the finisher of its finished entries (None: none seen), and
        # those whose answers the anonymous throttle counts (counted by the lookup, hit or miss).
        self.paths: dict[str, Finisher | None] = {}
        self.counted_paths: set[str] = set()
        self._lookup = _Lookup()
        self.memo = _Memo(settings.KOEL_REPLAY_MEMO_BYTES)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not settings.KOEL_REPLAY or not self._replayable(environ):
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO")
        if path in self.paths:
            found = self._replay(environ, self.paths[path])
            if found is not None:
                status, headers, body = found
                start_response(status, headers)
                return [body]
        return self._answer_and_store(environ, start_response)

    def _replayable(self, environ: dict) -> bool:
        if environ.get("REQUEST_METHOD") != "GET":
            return False
        if any(name in environ for name in PASSED_HEADERS):
            return False
        return f"{settings.SESSION_COOKIE_NAME}=" not in environ.get("HTTP_COOKIE", "")

    def _replay(self, environ: dict, finisher: Finisher | None) -> tuple[str, list, bytes] | None:
        query = environ.get("QUERY_STRING", "")
        split = None if finisher is None else _split(query, finisher.ignore)
        if split is None or not split[1]:
            if finisher is not None and split is None:
                return None  # a parameter given twice: Django reads it its own way
            entry = self._find(environ, _entry_key(environ, query))
            return None if entry is None else (entry.status, list(entry.headers), entry.body)
        kept, given = split
        parsed = _parse(finisher, given) if query.isascii() else None
        if parsed is None:
            return None  # Django answers what the finisher refused, with its 400
        entry = self._find(environ, _entry_key(environ, kept, finisher))
        if entry is None or entry.finisher is not finisher:
            return None
        body = finisher.body(entry.body, parsed)
        return entry.status, _with_body_headers(entry, body), body

    def _find(self, environ: dict, key: str) -> _Entry | None:
        client = caches["default"].client  # resolved once: each lookup through the proxy costs
        window = anonymous_window(_client(environ), make_key=client.make_key)
        keys = [client.make_key(key), client.make_key(GENERATION)]
        held = self.memo.get(key)
        counts = "1" if environ.get("PATH_INFO") in self.counted_paths else "0"
        try:
            found = self._lookup(
                [*keys, window.key if window else ""],
                window.expiry if window else 0,
                held[0] if held else "",
                counts,
            )
        except FAILURES:
            return None  # Redis gone: the circuit logs it once; Django answers from the database
        except redis.RedisError:
            logger.warning("replay lookup failed; Django answers", exc_info=True)
            return None
        if found is None:
            return None
        counted = found[0]
        if counted:
            environ[PRECOUNTED] = counted  # if Django answers, its throttle takes this count
        if len(found) == 1:
            return None  # no fresh entry
        stamp = found[1].decode()
        if window is not None and counted > window.limit:
            return None  # over budget: Django answers with the 429 and its Retry-After
        if held is not None and stamp == held[0]:
            return held[1]
        entry = _decode(*found[2:])
        if entry is not None:
            self.memo.put(key, stamp, entry)
        return entry

    def _answer_and_store(self, environ: dict, start_response: Callable):
        sent = {}

        def remember(status, headers, exc_info=None):
            sent.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        response = self.app(environ, remember)
        if REPLAYABLE not in environ:
            return response
        try:
            body = b"".join(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()
        if _storable(sent["status"], sent["headers"]):
            self._store(environ, _Entry(sent["status"], sent["headers"], body, None, len(body)))
        return [body]

    def _store(self, environ: dict, entry: _Entry) -> None:
        finished = environ.get(FINISHED)
        finisher, query = None, environ.get("QUERY_STRING", "")
        if finished is not None:
            finisher, payload, body = finished
            split = _split(query, finisher.ignore)
            if body != entry.body or split is None:
                return  # something after the view changed the bytes, or a repeated parameter
            entry, query = _finished_entry(entry, finisher, payload), split[0]
        key = _entry_key(environ, query, finisher)
        stamp = uuid.uuid4().hex
        fields = {
            "generation": environ[REPLAYABLE],
            "counted": "1" if environ.get(COUNTED) else "0",
            "stamp": stamp,
            "status": entry.status,
            "headers": json.dumps(entry.headers),
            "body": entry.body if finisher is None else pickle.dumps(entry.body),
            "finisher": "" if finisher is None else finisher.name,
        }
        try:
            with cache.client.get_client(write=True).pipeline(transaction=True) as pipe:
                pipe.delete(raw_key(key))
                pipe.hset(raw_key(key), mapping=fields)
                pipe.expire(raw_key(key), min(_lifetime(), environ.get(LIFETIME, DAY)))
                pipe.execute()
        except redis.RedisError:
            logger.warning("replay store failed", exc_info=True)
            return
        self.memo.put(key, stamp, entry)
        self._remember_path(environ.get("PATH_INFO"), finisher, counted=bool(environ.get(COUNTED)))

    def _remember_path(self, path: str, finisher: Finisher | None, *, counted: bool) -> None:
        if len(self.paths) >= MAX_PATHS:
            self.paths.clear()
            self.counted_paths.clear()
        if finisher is not None or path not in self.paths:
            self.paths[path] = finisher
        if counted:
            self.counted_paths.add(path)


class _Memo:
    """The entries a process stored or fetched last, with their stamps, up to `capacity` bytes
    (least recently used out first). Shared by the server's threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[str, tuple[str, _Entry]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[str, _Entry] | None:
        with self.lock:
            held = self.entries.get(key)
            if held is not None:
                self.entries.move_to_end(key)
            return held

    def put(self, key: str, stamp: str, entry: _Entry) -> None:
        if entry.size > self.capacity:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[1].size
            self.entries[key] = (stamp, entry)
            self.size += entry.size
            while self.size > self.capacity:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped.size


class _Lookup:
    """Runs the lookup script on the calling thread's own Redis connection (rates.redis_link):
    through the client, taking a connection from the pool and giving it back cost more CPU than
    the rest of the replay together."""

    def __init__(self) -> None:
        self.sha = hashlib.sha1(_LOOKUP.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, keys: list[str], seconds: int, stamp: str, counts: str):
        try:
            (found,) = run(("EVALSHA", self.sha, len(keys), *keys, seconds, stamp, counts))
        except redis.exceptions.NoScriptError:
            # A restarted or flushed server: EVAL loads the script again.
            (found,) = run(("EVAL", _LOOKUP, len(keys), *keys, seconds, stamp, counts))
        return found


def _decode(status: bytes, headers: bytes, body: bytes, finisher: bytes) -> _Entry | None:
    """An entry as fetched; None when it names a finisher this process does not have."""
    pairs = [tuple(pair) for pair in json.loads(headers)]
    if not finisher:
        return _Entry(status.decode(), pairs, body, None, len(body) + len(headers))
    known = FINISHERS.get(finisher.decode())
    if known is None:
        return None
    # Unpickled from the Redis Django's cache unpickles from too: the same trust.
    payload = pickle.loads(body)  # noqa: S301
    size = len(body) + len(headers)
    return _Entry(status.decode(), pairs, payload, known, size, _slots(pairs))


def _finished_entry(entry: _Entry, finisher: Finisher, payload: object) -> _Entry:
    size = len(pickle.dumps(payload))
    return _Entry(entry.status, entry.headers, payload, finisher, size, _slots(entry.headers))


def _slots(headers: list[tuple[str, str]]) -> tuple[tuple[int, bool], ...]:
    return tuple(
        (index, name.lower() == "etag")
        for index, (name, _) in enumerate(headers)
        if name.lower() in BODY_HEADERS
    )


def _with_body_headers(entry: _Entry, body: bytes) -> list[tuple[str, str]]:
    headers = list(entry.headers)
    for index, is_etag in entry.slots:
        headers[index] = (headers[index][0], etag(body) if is_etag else str(len(body)))
    return headers


def _split(query: str, names: frozenset[str]) -> tuple[str, dict[str, str]] | None:
    """`query` without the parameters in `names`, and their values (decoded as Django's
    QueryDict decodes them); None when one is given twice."""
    kept, given = [], {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            name, value = unquote_plus(name), unquote_plus(value)
        if name not in names:
            kept.append(pair)
        elif name in given:
            return None
        else:
            given[name] = value
    return "&".join(kept), given


def _parse(finisher: Finisher, given: dict[str, str]) -> object | None:
    """The finisher's reading of its parameters; None when it refuses them (Django answers)."""
    try:
        return finisher.parse(given)
    except Exception:  # whatever the view's validation raises: Django answers
        return None


def _lifetime() -> int:
    # As long as cached_answer keeps an answer, and not past midnight UTC: "latest", open
    # ranges and the currency lists of the compatible APIs move then without any write.
    until_midnight = DAY - int(time.time()) % DAY
    return max(1, min(settings.KOEL_API_CACHE_SECONDS, until_midnight))


def _entry_key(environ: dict, query: str, finisher: Finisher | None = None) -> str:
    """The entry's key (unprefixed). A finished entry's is made of the query without its
    finisher's parameters (`_split`) and names the finisher: one entry serves every amount, and
    is never taken for a plain one."""
    parts = [
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        query,
        "" if finisher is None else f"finished:{finisher.name}",
    ]
    parts += [str(environ.get(name, "")) for name in KEYED_ENVIRON]
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:40]
    return f"replay:{digest}"


def _client(environ: dict) -> str:
    # DRF's own reading of the client address (REMOTE_ADDR, or X-Forwarded-For behind
    # KOEL_NUM_PROXIES proxies), so both count the same client.
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    headers = {} if forwarded is None else {"x-forwarded-for": forwarded}
    return BaseThrottle().get_ident(SimpleNamespace(META=environ, headers=headers))


def _storable(status: str, headers: list) -> bool:
    if not status.startswith("200 "):
        return False
    names = {name.lower() for name, _ in headers}
    if "set-cookie" in names:
        return False
    varied = {
        part.strip().lower()
        for name, value in headers
        if name.lower() == "vary"
        for part in value.split(",")
    }
    return varied <= KEYED_VARY
