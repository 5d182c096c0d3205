"""HTTP benchmark of Koel's pages under the production server, beside the bare Django view.

What is measured, in one run on this machine:

* the server and its settings: bench/api.py's (granian as `koel.stack.processes()["web"]`
  starts it, DEBUG=0, bench/api_settings.py's URLconf with `/bench/bare`), with the static
  files collected first into a temporary STATIC_ROOT (whitenoise's hashed names, as the
  Dockerfile builds them);
* the load: wrk, 2 threads and 32 connections, --duration seconds per URL, bench/api.lua;
* the pages, cached as they are served (pages.page_cache: after the first request the HTML
  comes from Redis until a write or a minute passes):
    - converter  /?amount=100&base=EUR&target=USD
    - rates      /rates/USD/
    - pair       /pair/EUR/USD/ (its default range, a year of days)
    - pair Max   /pair/EUR/USD/?range=Max (25 years of months)
    - monitor    /monitor/ (never cached: the live snapshot, the last hour's chart and, for
      a signed-in reader, their firings are read on every request; anonymous here)
  and `/bench/bare` answering the bytes of the pair page (the ratio's denominator);
* in Chromium (Debian's, through Playwright): the pair page opened at ?range=Max — the bytes the
  browser received (the page, its CSS and JavaScript) and the time from navigation to the
  chart's first draw (pair.js marks it: `koel:chart-drawn`); then, on the default page, a press
  of "Max": the API answer's bytes and the time until the chart is redrawn; then /monitor/
  opened the same way (monitor.js marks its chart's first draw alike).

Goals (issue 10): every page >= 50% of the bare view's requests/s; Max paints in <= 300 ms with
<= 100 kB of data (issue 12: /monitor/'s first chart paint is held to the same). The database
in DATABASE_URL needs the ECB history (`manage.py bootstrap`).

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/pages.py --quick
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="koel-bench-pages-static-"))
os.environ["STATIC_ROOT"] = str(STATIC_ROOT)  # before bench.api sets Django up

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

from django.core.management import call_command  # noqa: E402

from bench.api import (  # noqa: E402
    HEADERS,
    LUA,
    clear_cache,
    ensure_database_ready,
    free_port,
    get,
    granian_server,
    require_tools,
)

CHROMIUM = os.environ.get("KOEL_CHROMIUM", "/usr/bin/chromium")
PAGES = {
    "converter": "/?amount=100&base=EUR&target=USD",
    "rates": "/rates/USD/",
    "pair": "/pair/EUR/USD/",
    "pair Max": "/pair/EUR/USD/?range=Max",
    "monitor": "/monitor/",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per URL (default 15)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 s per URL")
    args = parser.parse_args()
    if args.quick:
        args.duration = 3
    return args


def run_wrk(wrk: str, url: str, args: argparse.Namespace) -> dict:
    env = {
        **os.environ,
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in HEADERS.items()),
        "BENCH_CLIENTS": "0",
        "BENCH_VARY": "",
        "BENCH_SALT": "0",
        "BENCH_THREADS": str(args.threads),
    }
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "10s", "--latency", "-s", str(LUA), url]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=args.duration + 60
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"wrk failed on {url}:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def check_pages(base: str) -> bytes:
    """Every page answers 200 before it is measured; returns the pair page's body."""
    bodies = {}
    for name, path in PAGES.items():
        status, body = get(base + path)
        if status != 200:
            sys.exit(f"{name} ({path}) answered {status}:\n{body[:2000]!r}")
        bodies[name] = body
    return bodies["pair"]


_SWITCH = """async () => {
  const holder = document.getElementById("pair-chart");
  const start = performance.now();
  document.querySelector('a.range[data-range="Max"]').click();
  await new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (holder.dataset.interval === "month") { seen.disconnect(); resolve(); }
    });
    seen.observe(holder, { attributes: true });
  });
  await new Promise(requestAnimationFrame);
  const ms = performance.now() - start;
  const answer = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("interval=month"));
  return { ms, bytes: answer.length ? answer[0].encodedBodySize : null };
}"""

_LOAD = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const drawn = performance.getEntriesByName("koel:chart-drawn")[0];
  return {
    html: nav.encodedBodySize,
    total: nav.transferSize + resources.reduce((sum, e) => sum + e.transferSize, 0),
    resources: resources.map((e) => [e.name.split("/").pop(), e.transferSize]),
    paint_ms: drawn ? drawn.startTime : null,
    points: document.querySelector("#pair-chart, #monitor-chart").dataset.drawn,
  };
}"""


def browser_figures(base: str) -> dict:
    """The Max range in Chromium: loaded with the page, and switched to from the default."""
    # Imported here: only this step needs it.
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(extra_http_headers=HEADERS)
        page.goto(base + PAGES["pair Max"], wait_until="load")
        page.wait_for_function("performance.getEntriesByName('koel:chart-drawn').length > 0")
        loaded = page.evaluate(_LOAD)
        page.goto(base + PAGES["pair"], wait_until="load")
        switched = page.evaluate(_SWITCH)
        page.goto(base + PAGES["monitor"], wait_until="load")
        page.wait_for_function("performance.getEntriesByName('koel:chart-drawn').length > 0")
        monitor = page.evaluate(_LOAD)
        browser.close()
    return {"loaded": loaded, "switched": switched, "monitor": monitor}


def report(rows: dict[str, dict], bare: dict, chrome: dict) -> None:
    print(f"{'page':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'errors':>7}")
    for name, row in {"bare view": bare, **rows}.items():
        ratio = row["rps"] / bare["rps"] * 100
        p50, p99 = row["p50_us"] / 1e3, row["p99_us"] / 1e3
        print(
            f"{name:<12} {row['rps']:>8.0f} {p50:>8.2f} {p99:>8.2f} "
            f"{ratio:>7.0f}% {row['errors']:>7}"
        )
    loaded, switched = chrome["loaded"], chrome["switched"]
    print(
        f"Max on load: {loaded['points']} points, HTML {loaded['html'] / 1e3:.1f} kB, "
        f"everything received {loaded['total'] / 1e3:.1f} kB, "
        f"first chart paint {loaded['paint_ms']:.0f} ms after navigation"
    )
    print(f"  received: {loaded['resources']}")
    size = switched["bytes"]
    print(
        f"Max pressed: API answer {size / 1e3 if size else float('nan'):.1f} kB, "
        f"redrawn {switched['ms']:.0f} ms after the press"
    )
    monitor = chrome["monitor"]
    print(
        f"Monitor on load: {monitor['points']} chart points, HTML {monitor['html'] / 1e3:.1f} kB, "
        f"everything received {monitor['total'] / 1e3:.1f} kB, "
        f"first chart paint {monitor['paint_ms']:.0f} ms after navigation"
    )
    slow = [n for n, r in rows.items() if r["rps"] < bare["rps"] / 2]
    print("Goal >= 50% of the bare view:", "met" if not slow else f"missed by {', '.join(slow)}")
    fast = loaded["paint_ms"] <= 300 and loaded["total"] <= 100_000
    print("Goal Max <= 300 ms, <= 100 kB:", "met" if fast else "missed")
    fast = monitor["paint_ms"] <= 300 and monitor["total"] <= 100_000
    print("Goal monitor <= 300 ms, <= 100 kB:", "met" if fast else "missed")


def main(args: argparse.Namespace) -> None:
    tools = require_tools()
    if not Path(CHROMIUM).exists():
        sys.exit(f"No Chromium at {CHROMIUM}: apt-get install -y chromium (or KOEL_CHROMIUM)")
    ensure_database_ready()
    call_command("collectstatic", "--noinput", verbosity=0)
    clear_cache()
    with tempfile.TemporaryDirectory(prefix="koel-bench-pages-") as tmp:
        workdir = Path(tmp)
        body_file = workdir / "bare.body"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with granian_server(port, workdir, body_file):
            body_file.write_bytes(check_pages(base))
            bare = run_wrk(tools["wrk"], f"{base}/bench/bare", args)
            rows = {name: run_wrk(tools["wrk"], base + path, args) for name, path in PAGES.items()}
            chrome = browser_figures(base)
    clear_cache()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per URL; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    report(rows, bare, chrome)


if __name__ == "__main__":
    try:
        main(parse_args())
    finally:
        shutil.rmtree(STATIC_ROOT, ignore_errors=True)
