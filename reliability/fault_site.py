"""The demo's saved responses (scrapers/demo/, `manage.py serve_fixtures`) served with faults.

Every source answers under `/<source>/…` as in the offline demo, dated `now + days` (days=-1: a
scrape of yesterday). A source given a fault kind in `faults` misbehaves in that way instead:

    down        503 with a one-line error page (retried, then failed over)
    throttled   429 with Retry-After: 1, on every request
    timeout     the right body, but only after `hang` seconds (beyond DOWNLOAD_TIMEOUT)
    garbled     200 with bytes that are neither UTF-8 nor the source's format
    layout      200, the same numbers in a changed layout (JSON wrapped one level deeper;
                XML/HTML tags renamed; CSV columns renamed)
    x100, div100, zero, negative, nan
                200, every decimal number in the body multiplied by 100, divided by 100,
                replaced by 0, negated or replaced by NaN (a site quoting absurd values)
    stale       200, the right rates dated 400 days ago
"""

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from scrapers.management.commands.serve_fixtures import ROBOTS_TXT, Routes, load_fixtures, render
from tests.scrapers.replay import ReplayServer, Reply

STALE_DAYS = 400
# A decimal number, not part of a longer token, nor an XML version ("1.0") or a unit ("1.00 USD"
# in x_rates' header, Frankfurter's "amount": changed with the rates, it would keep them right);
# or a whole number where a rate stands (a JSON value of a currency code or "rate", an XML rate
# attribute: ISK 136, BBD 2), which a decimal-only pattern would leave right. Dates, counts and
# Unix times stand elsewhere.
# Where a whole-number rate stands (fixed-width look-behinds, hence each spacing spelt out).
RATE_PLACES = ['"[A-Za-z]{3}":', '"[A-Za-z]{3}": ', '"rate":', '"rate": ', "rate='", 'rate="']
NUMBER = re.compile(
    r'(?<![\w.])(?<!version=")(?<!version=\')(?<!"amount":)(?<!"amount": )'
    r"(\d+\.\d+)(?![\w.])(?! [A-Z]{3}\b)"
    rf"|(?:{'|'.join(f'(?<={place})' for place in RATE_PLACES)})(\d+)(?![\w.])"
)
GARBLED = bytes(range(128, 256)) * 8


def _numbers(change: Callable[[Decimal], str]) -> Callable[[str], str]:
    return lambda text: NUMBER.sub(lambda match: change(Decimal(match[1] or match[2])), text)


ABSURD: dict[str, Callable[[str], str]] = {
    # Positional notation: str() of a small Decimal is "7.7E-7", which no source writes (a
    # parser rejecting it would fail the crawl instead of quoting an absurd value).
    "x100": _numbers(lambda number: f"{number * 100:f}"),
    "div100": _numbers(lambda number: f"{number / 100:f}"),
    "zero": _numbers(lambda number: "0"),
    "negative": _numbers(lambda number: f"-{number}"),
    "nan": _numbers(lambda number: "NaN"),
}
KINDS = ["down", "throttled", "timeout", "garbled", "layout", *ABSURD, "stale"]


def relayout(body: str, content_type: str) -> str:
    """The same data in a layout the source's parser was not written for."""
    if "json" in content_type:
        return json.dumps({"data": json.loads(body), "version": 2})
    if "csv" in content_type:
        head, _, rest = body.partition("\n")
        return ",".join(f"v2_{name}" for name in head.split(",")) + "\n" + rest
    return re.sub(r"<(/?)([A-Za-z][\w:-]*)", r"<\1v2-\2", body)


class FaultSite(ReplayServer):
    """The test suite's replay server (tests/scrapers/replay.py) on 127.0.0.1 answering with the
    demo's responses, `faults` applied: {source code: kind}. `counts` counts the requests each
    source got (robots.txt aside)."""

    def __init__(self, *, hang: float = 5.0) -> None:
        super().__init__({})
        self.fixtures = Routes(load_fixtures())
        self.faults: dict[str, str] = {}
        self.days = 0
        self.hang = hang
        self.counts: dict[str, int] = {}

    def _next_reply(self, raw_path: str, headers: dict) -> Reply:
        """One request's reply, its source's fault applied."""
        if urlsplit(raw_path).path == "/robots.txt":
            return Reply(200, ROBOTS_TXT)
        source = urlsplit(raw_path).path.lstrip("/").partition("/")[0]
        self.counts[source] = self.counts.get(source, 0) + 1
        kind = self.faults.get(source)
        if kind == "down":
            return Reply(503, b"<html><h1>503 Service Unavailable</h1></html>", "text/html")
        if kind == "throttled":
            return Reply(429, b"rate limit exceeded", headers={"Retry-After": "1"})
        fixture = self.fixtures.find(raw_path)
        if fixture is None:
            return Reply(404, f"404 not found: {raw_path}\n".encode())
        if kind == "garbled":
            return Reply(200, GARBLED, fixture.content_type)
        days = self.days - (STALE_DAYS if kind == "stale" else 0)
        text = render(fixture.template, datetime.now(UTC) + timedelta(days=days))
        if kind == "layout":
            text = relayout(text, fixture.content_type)
        elif kind in ABSURD:
            text = ABSURD[kind](text)
        delay = self.hang if kind == "timeout" else 0.0
        return Reply(200, text.encode("utf-8"), fixture.content_type, delay=delay)
