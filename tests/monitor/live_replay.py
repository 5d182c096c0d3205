"""Replayed answers of the live sources for the live-feed tests and bench/live_tick.py: Yahoo's
chart API and Wise's price gateway, one body per pair, generated from the project's own saved
responses (tests/scrapers/fixtures/) with the pair, price and time rewritten."""

import json
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from tests.scrapers.replay import NOT_FOUND, ReplayServer, Reply, as_reply

FIXTURES = Path(__file__).resolve().parents[1] / "scrapers" / "fixtures"
MAJORS = {
    ("EUR", "USD"): Decimal("1.0842"),
    ("GBP", "USD"): Decimal("1.2650"),
    ("USD", "JPY"): Decimal("154.31"),
    ("USD", "CHF"): Decimal("0.8812"),
    ("AUD", "USD"): Decimal("0.6521"),
    ("USD", "CAD"): Decimal("1.3950"),
    ("NZD", "USD"): Decimal("0.5911"),
    ("EUR", "GBP"): Decimal("0.8571"),
}
JSON = "application/json"


def yahoo_path(base: str, target: str) -> str:
    symbol = f"{target}=X" if base == "USD" else f"{base}{target}=X"
    return f"/v8/finance/chart/{symbol}"


def wise_path(base: str, target: str) -> str:
    return f"/gateway/v1/price?sourceCurrency={base}&targetCurrency={target}&targetAmount=1000"


def yahoo_body(base: str, target: str, price: Decimal, stamp: int | None = None) -> bytes:
    data = json.loads((FIXTURES / "yahoo" / "chart_EURUSD=X.json").read_bytes())
    meta = data["chart"]["result"][0]["meta"]
    meta["symbol"] = yahoo_path(base, target).rsplit("/", 1)[1]
    meta["currency"] = target
    meta["regularMarketPrice"] = float(price)
    meta["regularMarketTime"] = int(time.time()) - 5 if stamp is None else stamp
    return json.dumps(data).encode()


def wise_body(base: str, target: str, mid: Decimal) -> bytes:
    options = json.loads((FIXTURES / "wise" / "price_GBP-USD.json").read_bytes())
    for option in options:
        option.update(sourceCcy=base, targetCcy=target, midRate=float(mid))
    return json.dumps(options).encode()


def yahoo_routes(rates: Mapping = MAJORS, stamp: int | None = None) -> dict:
    return {
        yahoo_path(*pair): (200, yahoo_body(*pair, rate, stamp), JSON)
        for pair, rate in rates.items()
    }


def wise_routes(rates: Mapping = MAJORS) -> dict:
    return {wise_path(*pair): (200, wise_body(*pair, rate), JSON) for pair, rate in rates.items()}


class QueryReplayServer(ReplayServer):
    """The replay server, routing on the path with its query: Wise asks every pair of the
    same path."""

    def _next_reply(self, raw_path: str, headers: dict) -> Reply:
        with self._lock:
            self.requests.append((raw_path, headers))
            route = self.routes.get(raw_path, NOT_FOUND)
            if isinstance(route, Reply) or (route and isinstance(route[0], int)):
                return as_reply(route)
            served = self._served.get(raw_path, 0)
            self._served[raw_path] = served + 1
            return as_reply(route[min(served, len(route) - 1)])

    def paths(self) -> list[str]:
        """The paths asked for, with their queries, in order."""
        return [raw for raw, _ in self.requests]
