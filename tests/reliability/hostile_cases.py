"""Hostile values for every parameter of every endpoint (Koel's API, the Frankfurter, OXR and
Fixer layers, the pages): the cases of tests/reliability/test_hostile_values.py, which
reliability/run_hostile.py runs in full (`make test` runs every parameter with a few of them).

A case is (layer, url): one hostile value in one query parameter or path segment of an
otherwise good request, so that the value, not a missing parameter, is what is answered.
"""

import os
from urllib.parse import quote

KEY = "hostile-test-key"  # set as KOEL_COMPAT_KEYS by the tests

# What the value is, and its text (percent-encoded where it is no valid UTF-8 or holds a NUL).
VALUES = {
    "1e400": "1e400",
    "10,000 digits": "9" * 10_000,
    "10,000-digit fraction": "0." + "1" * 10_000,
    "negative": "-1",
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "1e-400": "1e-400",
    "hex": "0x1F",
    "SQL injection": "USD' OR '1'='1' --",
    "SQL injection 2": "1; DROP TABLE rates_exchangerate; --",
    "script": "<script>alert(1)</script>",
    "template": "{{7*7}}${jndi:ldap://x/a}",
    "path traversal": "../../../../etc/passwd",
    "NUL byte": "\x00",
    "bad UTF-8": b"\xff\xfe\xc3\x28",
    "overlong UTF-8": b"\xc0\xaf",
    "lone surrogate": b"\xed\xa0\x80",
    "emoji": "\U0001f4b8",
    "right-to-left": "\u202eDSU",
    "whitespace": " \t ",
    "100 KB": "A" * 100_000,
    "10,000 codes": ",".join(["USD"] * 10_000),
    "day 0001-01-01": "0001-01-01",
    "day 9999-12-31": "9999-12-31",
    "impossible day": "2024-02-30",
    "offset +20:00": "2026-11-20T12:00:00+20:00",
    "year 10000": "10000-01-01",
    "huge integer": "18446744073709551616",
}
# The ones `make test` tries on every parameter; reliability/run_hostile.py tries them all.
QUICK = (
    "1e400",
    "10,000 digits",
    "SQL injection",
    "NUL byte",
    "bad UTF-8",
    "100 KB",
    "day 0001-01-01",
    "offset +20:00",
)

OXR, FIXER = {"app_id": KEY}, {"access_key": KEY}
# layer: [(path, the good query, the parameters to make hostile)]
QUERIES = {
    "koel": [
        (
            "/api/v1/rates/",
            {"base": "EUR", "target": "USD"},
            ["base", "target", "symbols", "amount", "at", "source", "expand"],
        ),
        (
            "/api/v1/convert/",
            {"from": "EUR", "to": "USD", "amount": "10"},
            ["from", "to", "amount", "date"],
        ),
        (
            "/api/v1/rates/history/",
            {"base": "EUR", "target": "USD"},
            ["base", "target", "start", "end", "interval", "source", "format"],
        ),
        ("/api/v1/currencies/", {}, ["active", "group", "search", "limit", "offset"]),
        ("/api/v1/sources/", {}, ["limit", "offset"]),
        ("/api/v1/runs/", {}, ["scope", "target", "status", "trigger", "limit"]),
    ],
    "frankfurter v1": [
        ("/v1/latest", {}, ["from", "to", "amount", "base", "symbols"]),
        ("/v1/2024-01-02..2024-01-05", {}, ["from", "to", "amount"]),
    ],
    "frankfurter v2": [
        ("/v2/rates", {}, ["base", "quotes", "providers", "date", "from", "to", "group", "expand"]),
        ("/v2/rate/EUR/USD", {}, ["date", "providers"]),
        ("/v2/currencies", {}, ["scope", "providers"]),
    ],
    "oxr": [
        ("/api/latest.json", OXR, ["app_id", "base", "symbols", "show_alternative", "prettyprint"]),
        ("/api/historical/2024-01-02.json", OXR, ["base", "symbols"]),
        (
            "/api/time-series.json",
            {**OXR, "start": "2024-01-02", "end": "2024-01-05"},
            ["start", "end", "base", "symbols"],
        ),
        ("/api/convert/10/EUR/USD", OXR, ["app_id", "prettyprint"]),
        ("/api/currencies.json", {}, ["show_alternative", "show_inactive"]),
    ],
    "fixer": [
        ("/fixer/latest", FIXER, ["access_key", "base", "symbols"]),
        ("/fixer/2024-01-02", FIXER, ["base", "symbols"]),
        ("/fixer/symbols", FIXER, ["access_key"]),
    ],
    "pages": [
        ("/", {"from": "EUR", "to": "USD", "amount": "10"}, ["from", "to", "amount", "date"]),
        ("/pair/EUR/USD/", {}, ["range", "interval"]),
        ("/rates/EUR/", {}, ["at", "symbols"]),
        ("/currencies/", {}, ["q", "group"]),
    ],
}
# layer: path templates whose {} takes the value (the query, if any, is the good one).
PATHS = {
    "koel": ["/api/v1/currencies/{}/", "/api/v1/sources/{}/", "/api/v1/runs/{}/"],
    "frankfurter v1": ["/v1/{}", "/v1/{}..2024-01-05", "/v1/2024-01-02..{}"],
    "frankfurter v2": ["/v2/currency/{}", "/v2/rate/{}/USD", "/v2/rate/EUR/{}"],
    "oxr": [
        "/api/historical/{}.json?app_id=" + KEY,
        "/api/convert/{}/EUR/USD?app_id=" + KEY,
        "/api/convert/10/{}/USD?app_id=" + KEY,
    ],
    "fixer": ["/fixer/{}?access_key=" + KEY],
    "pages": ["/pair/{}/USD/", "/rates/{}/"],
}


def _encoded(value: str | bytes) -> str:
    return quote(value, safe="")


def chosen_values() -> dict[str, str | bytes]:
    if os.environ.get("KOEL_HOSTILE_FULL") == "1":
        return VALUES
    return {name: VALUES[name] for name in QUICK}


def query_cases(layer: str) -> list[tuple[str, str]]:
    """(what was tried, url) for each hostile value in each parameter of the layer's endpoints."""
    cases = []
    for path, good, names in QUERIES[layer]:
        for name in names:
            for label, value in chosen_values().items():
                query = {**good, name: value}
                text = "&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in query.items())
                cases.append((f"{path} {name}={label}", f"{path}?{text}"))
    return cases


def path_cases(layer: str) -> list[tuple[str, str]]:
    return [
        (f"{template} {{}}={label}", template.format(_encoded(value)))
        for template in PATHS[layer]
        for label, value in chosen_values().items()
    ]


def repeated_cases(layer: str) -> list[tuple[str, str]]:
    """Each parameter given twice, with two different good-looking values."""
    cases = []
    for path, good, names in QUERIES[layer]:
        for name in names:
            query = "&".join(f"{k}={_encoded(v)}" for k, v in good.items() if k != name)
            twice = f"{name}=USD&{name}=EUR"
            cases.append((f"{path} {name} twice", f"{path}?{query}&{twice}".replace("?&", "?")))
    return cases
