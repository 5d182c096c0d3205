"""Replays stored answers in front of Django: a cached read costs one Redis round trip.

Read endpoints answer through rates.http.caching.cached_answer, which marks the request when its
answer may be replayed (a 200 anyone could have been given). On the way out, `ReplayApp` stores
that response exactly as Django sent it (status, every header the middleware added, body) under
a key made of the request line and the request headers a response can depend on, with the cache
generation the answer was built under (rates.cache). An equal request later is answered from
Redis without entering Django, as long as no write has committed since (one Lua script reads the
entry and the current generation atomically, and counts the request against the anonymous
throttle when Django counted the original).

Anything Django might answer differently goes to Django: other methods, conditional requests,
API keys, logged-in sessions, a client over its throttle budget (Django sends the 429), and
paths this process has not yet seen replayed (so other pages pay no Redis round trip).
KOEL_REPLAY=0 turns it off.
"""

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from rates.cache import GENERATION, raw_key
from rates.http.throttle import COUNTED, anonymous_window

logger = logging.getLogger(__name__)

# Set in the WSGI environ by cached_answer: the generation the answer was built under, and how
# long the answer may live.
REPLAYABLE = "koel.replay.generation"
LIFETIME = "koel.replay.lifetime"

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
# Paths remembered per process; past this many the memory starts over.
MAX_PATHS = 10_000
DAY = 86_400

# KEYS: the entry, the generation, the client's throttle counter. ARGV: the window's seconds.
# Returns nil on a miss or a stale entry, else {status, headers, body, requests counted}.
_LOOKUP = """
local entry = redis.call('HMGET', KEYS[1], 'generation', 'counted', 'status', 'headers', 'body')
if not entry[3] then return nil end
local generation = redis.call('GET', KEYS[2]) or ''
if entry[1] ~= generation then return nil end
local counted = 0
if entry[2] == '1' and KEYS[3] ~= '' then
  counted = redis.call('INCR', KEYS[3])
  if counted == 1 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
end
return {entry[3], entry[4], entry[5], counted}
"""


def mark_replayable(
    request: HttpRequest, generation: str, *, lifetime: float | None = None
) -> None:
    """Let ReplayApp store this request's response, valid until `generation` changes and for at
    most `lifetime` seconds (as long as the answer stays in the cache)."""
    request.META[REPLAYABLE] = generation
    if lifetime is not None:
        request.META[LIFETIME] = max(1, int(lifetime))


class ReplayApp:
    """WSGI middleware around Django's handler (koel.wsgi)."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.paths: set[str] = set()
        self._lookup = _Lookup()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not settings.KOEL_REPLAY or not self._replayable(environ):
            return self.app(environ, start_response)
        if environ.get("PATH_INFO") in self.paths:
            found = self._find(environ)
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

    def _find(self, environ: dict) -> tuple[str, list, bytes] | None:
        client = caches["default"].client  # resolved once: each lookup through the proxy costs
        window = anonymous_window(_client(environ), make_key=client.make_key)
        keys = [client.make_key(_entry_key(environ)), client.make_key(GENERATION)]
        try:
            found = self._lookup(
                client.get_client(write=True).connection_pool,
                [*keys, window.key if window else ""],
                window.expiry if window else 0,
            )
        except (redis.RedisError, OSError):
            logger.warning("replay lookup failed; Django answers", exc_info=True)
            return None
        if found is None:
            return None
        status, headers, body, counted = found
        if window is not None and counted > window.limit:
            return None  # over budget: Django answers with the 429 and its Retry-After
        return status.decode(), [tuple(pair) for pair in json.loads(headers)], body

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
            self._store(
                raw_key(_entry_key(environ)), environ, sent["status"], sent["headers"], body
            )
        return [body]

    def _store(self, key: str, environ: dict, status: str, headers: list, body: bytes) -> None:
        entry = {
            "generation": environ[REPLAYABLE],
            "counted": "1" if environ.get(COUNTED) else "0",
            "status": status,
            "headers": json.dumps(headers),
            "body": body,
        }
        try:
            with cache.client.get_client(write=True).pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.hset(key, mapping=entry)
                pipe.expire(key, min(_lifetime(), environ.get(LIFETIME, DAY)))
                pipe.execute()
        except redis.RedisError:
            logger.warning("replay store failed", exc_info=True)
            return
        if len(self.paths) >= MAX_PATHS:
            self.paths.clear()
        self.paths.add(environ.get("PATH_INFO"))


class _Lookup:
    """Runs the lookup script on a Redis connection of the calling thread's own.

    The replay is all Redis round trip: through the client, taking a connection from the pool
    and giving it back (with redis-py's retry and observability layers) cost more CPU than the
    rest of the replay together. A server thread asks one question at a time, so it keeps its
    own connection, made with the pool's settings (URL, password, socket options).
    """

    def __init__(self) -> None:
        self.sha = hashlib.sha1(_LOOKUP.encode(), usedforsecurity=False).hexdigest()
        self.local = threading.local()

    def __call__(self, pool: redis.ConnectionPool, keys: list[str], seconds: int):
        connection = self._connection(pool)
        try:
            try:
                connection.send_command("EVALSHA", self.sha, len(keys), *keys, seconds)
                return connection.read_response()
            except redis.exceptions.NoScriptError:
                # A restarted or flushed server: EVAL loads the script again.
                connection.send_command("EVAL", _LOOKUP, len(keys), *keys, seconds)
                return connection.read_response()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            connection.disconnect()  # the next call connects afresh
            raise

    def _connection(self, pool: redis.ConnectionPool):
        held = getattr(self.local, "held", None)
        if held is None or held[0] is not pool:
            held = (pool, pool.connection_class(**pool.connection_kwargs))
            self.local.held = held
        return held[1]


def _lifetime() -> int:
    # As long as cached_answer keeps an answer, and not past midnight UTC: "latest", open
    # ranges and the currency lists of the compatible APIs move then without any write.
    until_midnight = DAY - int(time.time()) % DAY
    return max(1, min(settings.KOEL_API_CACHE_SECONDS, until_midnight))


def _entry_key(environ: dict) -> str:
    parts = [
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
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
