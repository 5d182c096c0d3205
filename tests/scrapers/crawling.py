"""Helpers for real crawls of one source, in a fresh process as in production, against the local
replay server (tests/scrapers/replay.py), and for reading raw captured HTTP responses."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from rates.ingest.loading import currencies_load, sources_load
from rates.models import Source

ROOT = Path(settings.BASE_DIR)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that uses this test run's database, plus `extra`."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    url = f"postgres://{quote(db['USER'] or '')}@{host}{port}/{db['NAME']}"
    prefix = settings.CACHES["default"]["KEY_PREFIX"]  # the test run's own cache namespace
    env = {"DATABASE_URL": url, "DEBUG": "1", "KOEL_CACHE_PREFIX": prefix}
    return {**os.environ, **env, **extra}


def crawl(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py crawl ARGS…` in a child process; keyword arguments are environment variables."""
    return subprocess.run(
        [sys.executable, "manage.py", "crawl", *args],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def load_reference_data(source: str) -> None:
    """Currencies and sources, committed (the crawl runs in another process and only sees
    committed rows; use with `transactional_db`), with no politeness delay for `source`."""
    currencies_load()
    sources_load()
    Source.objects.filter(code=source).update(politeness_delay=0)


def http_body(raw: bytes) -> bytes:
    """The body of a raw HTTP/1.1 response as read off a socket: drops the status line and headers
    and, for `Transfer-Encoding: chunked`, the chunk-size lines (RFC 9112 §7.1)."""
    head, separator, rest = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("no blank line after the HTTP headers")
    headers = {
        name.strip().lower(): value.strip().lower()
        for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
    }
    if headers.get(b"transfer-encoding") != b"chunked":
        return rest
    chunks, position = [], 0
    while True:
        end = rest.index(b"\r\n", position)
        size = int(rest[position:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(chunks)
        chunks.append(rest[end + 2 : end + 2 + size])
        position = end + 2 + size
        if rest[position : position + 2] != b"\r\n":
            raise ValueError(f"chunk of {size} bytes not followed by CRLF at {position}")
        position += 2
