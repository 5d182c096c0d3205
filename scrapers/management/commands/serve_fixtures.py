"""python manage.py serve_fixtures [--port N] [--host 127.0.0.1] — the offline demo's "internet".

A small threaded HTTP server that answers, for every source with a spider, the requests that
spider makes, from saved responses under scrapers/demo/ (docs/demo.md). Each source has its own
path prefix: `/<source code>/<path and query the spider requests>`, which is what the crawls ask
for when KOEL_DEMO is on (the manager passes `--base-url {KOEL_DEMO_URL}/{source code}`).
scrapers/demo/manifest.json maps each source to its saved responses:

    {"ecb": [{"path": "/stats/eurofxref/eurofxref-daily.xml", "file": "ecb/eurofxref-daily.xml",
              "content_type": "text/xml"}], …}

A `*` in a path matches any text up to the next `/`, `?` or `&` (the API key in the URLs of fred
and exchangerate_api). /robots.txt allows everything. Any other path gets a 404 with a one-line
text body, as a site without that page would: the manager then fails over to the next source or
fills the pair as a cross rate.

Dates are moved to now. The saved files are templates whose placeholders are filled in at every
request from the current time (UTC), so each body carries today's date and the demo's rates are
fresh (and pass the quarantine); the rates themselves are fixed:

    {{date}}      2026-11-25                          today's date (UTC)
    {{iso}}       2026-11-25T15:22:22+00:00            now, ISO 8601
    {{rfc1123}}   Wed, 25 Nov 2026 15:22:22 GMT        now, as in HTTP dates
    {{unix}}      1795620142                           now, Unix seconds
    {{unix_ms}}   1795620142000                        now, Unix milliseconds
    {{now:FMT}}   now formatted by strftime FMT: {{now:%Y/%m/%d}} gives 2026/11/25

Every name takes an offset in days: {{unix+1}} is this time tomorrow, {{date-1}} yesterday.
Each request is logged on stdout in one line. Ctrl-C or SIGTERM stops the server.
"""

import json
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from scrapers.crawling import spider_codes

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
PLACEHOLDER = re.compile(r"\{\{(date|iso|rfc1123|unix|unix_ms|now)([+-]\d+)?(?::([^}]+))?\}\}")
ROBOTS_TXT = b"User-agent: *\nDisallow:\n"


@dataclass(frozen=True)
class Fixture:
    source: str
    path: str  # path and query, as the spider requests them below its base URL; may hold `*`
    file: str  # relative to the demo directory
    content_type: str
    template: str


def render(template: str, now: datetime) -> str:
    """Fill the placeholders of `template` (see the module doc) for the instant `now`."""

    def fill(match: re.Match) -> str:
        name, offset, fmt = match.groups()
        when = now + timedelta(days=int(offset or 0))
        if fmt is not None and name != "now":
            raise ValueError(f"only {{{{now:FORMAT}}}} takes a format: {match[0]}")
        if name == "now":
            return when.strftime(fmt) if fmt else when.isoformat(timespec="seconds")
        return {
            "date": lambda: when.date().isoformat(),
            "iso": lambda: when.isoformat(timespec="seconds"),
            "rfc1123": lambda: format_datetime(when, usegmt=True),
            "unix": lambda: str(int(when.timestamp())),
            "unix_ms": lambda: str(int(when.timestamp() * 1000)),
        }[name]()

    return PLACEHOLDER.sub(fill, template)


def load_fixtures(directory: Path = DEMO_DIR) -> list[Fixture]:
    """The saved responses the manifest lists, each checked to render (no unknown placeholder)."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    fixtures = []
    for source, entries in manifest.items():
        for entry in entries:
            template = (directory / entry["file"]).read_text(encoding="utf-8")
            fixture = Fixture(source, entry["path"], entry["file"], entry["content_type"], template)
            if "{{" in render(template, datetime.now(UTC)):
                raise ValueError(f"{entry['file']}: unknown placeholder (see serve_fixtures)")
            fixtures.append(fixture)
    return fixtures


class Routes:
    """Finds the fixture of a request path: `/<source>/<path and query>`."""

    def __init__(self, fixtures: list[Fixture]) -> None:
        self.exact = {(f.source, unquote(f.path)): f for f in fixtures if "*" not in f.path}
        self.patterns = [
            (f.source, re.compile(r"[^/?&]*".join(map(re.escape, unquote(f.path).split("*")))), f)
            for f in fixtures
            if "*" in f.path
        ]
        self.sources = sorted({f.source for f in fixtures})

    def find(self, raw_path: str) -> Fixture | None:
        parts = urlsplit(raw_path)
        source, _, rest = parts.path.lstrip("/").partition("/")
        path = unquote(f"/{rest}" + (f"?{parts.query}" if parts.query else ""))
        if fixture := self.exact.get((source, path)):
            return fixture
        for pattern_source, pattern, fixture in self.patterns:
            if pattern_source == source and pattern.fullmatch(path):
                return fixture
        return None


def fixture_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    directory: Path = DEMO_DIR,
    log: Callable[[str], None] | None = None,
) -> ThreadingHTTPServer:
    """A server (not started: call serve_forever) answering from the fixtures of `directory`;
    `log` gets one line per request (default: printed on stdout)."""
    routes = Routes(load_fixtures(directory))
    log = log or partial(print, flush=True)

    class Handler(BaseHTTPRequestHandler):
        server_version = "KoelFixtures/1.0"

        def do_GET(self) -> None:
            now = datetime.now(UTC)
            fixture = routes.find(self.path)
            if fixture is not None:
                status, content_type = 200, fixture.content_type
                body, note = render(fixture.template, now).encode("utf-8"), fixture.file
            elif urlsplit(self.path).path == "/robots.txt":
                status, content_type, body, note = 200, "text/plain", ROBOTS_TXT, "robots.txt"
            else:
                status, content_type, note = 404, "text/plain; charset=utf-8", "no saved response"
                body = f"404 not found: no saved response for {self.path}\n".encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                note += " (client went away)"
            log(f"{now:%Y-%m-%d %H:%M:%S} GET {self.path} {status} {len(body)} B {note}")

        def log_message(self, format: str, *args) -> None:
            pass  # do_GET logs one line per request itself

    server = ThreadingHTTPServer((host, port), Handler)
    server.routes = routes
    return server


class Command(BaseCommand):
    help = (
        "Serve the saved responses of every source under /<source>/… on 127.0.0.1 (the offline "
        "demo: KOEL_DEMO=1 points every crawl at it). Dates in the bodies are moved to now."
    )
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        default_port = urlsplit(settings.KOEL_DEMO_URL).port or 80
        parser.add_argument(
            "--port", type=int, default=default_port, help="Default: KOEL_DEMO_URL's port."
        )
        parser.add_argument("--host", default="127.0.0.1", help="Default: 127.0.0.1.")

    def handle(self, *args, host: str, port: int, **options) -> None:
        server = fixture_server(host, port)
        spiders = spider_codes()
        missing = sorted(spiders - set(server.routes.sources))
        url = f"http://{host}:{server.server_address[1]}"
        self.stdout.write(
            f"serving saved responses of {len(server.routes.sources)} sources on {url}/<source>/ "
            f"({', '.join(server.routes.sources)}); dates are moved to now. Ctrl-C stops."
        )
        if missing:
            self.stdout.write(f"no saved responses (404) for: {', '.join(missing)}")
        self.stdout.flush()
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            self.stdout.write("serve_fixtures stopped")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
