"""Source faults, the whole matrix (docs/reliability.md, "1. Source faults").

Every case is a full scrape of the primary currencies (the failover manager, one crawl process
per source) against the demo's saved responses served by reliability/fault_site.py, on top of
yesterday's good scrape, then every pair of active currencies read back (rates.reads) and the
API's EUR rates (reliability/source_faults.py says what is measured):

* k = 0: no fault; it also shows which sources the run asks at all;
* each source the run asks × each fault kind (down, throttled, timeout, garbled, layout, x100,
  div100, zero, negative, nan, stale), the others working;
* k = 1..n failing sources: the first k of every enabled source in failover order (fawazahmed0,
  the one multi-pair source quoting every active currency, last of the multi-pair ones), the
  i-th failing source with the i-th fault kind in turn.

Goals of every row: 100 % coverage; 100 % of it from today's scrape while fawazahmed0 works;
nothing absurd published; cross and inverse answers marked derived; every faulty source the run
asked recorded as failed (or its rates quarantined) in the run's attempts and named on the
admin's page of the run. It prints one table row per case as it finishes and exits 1 when a
goal is missed.

It runs on a throw-away database (the given one's name + "_reliability_sources_<pid>",
created, migrated and dropped again) and its own cache prefix, never on the data of a running Koel:

    .venv/bin/python -m koel.stack exec .venv/bin/python reliability/run_sources.py
        [--kinds down,x100] [--sources ecb,open_er_api] [--no-matrix] [--no-k]
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the crawl processes run manage.py from here
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402
import time  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from koel.celery import app as celery_app  # noqa: E402
from reliability.fault_site import KINDS, FaultSite  # noqa: E402
from reliability.source_faults import (  # noqa: E402
    API_KEYS,
    Result,
    multi_pair_sources,
    reference_data_load,
    run_case,
    seed,
    settings_for,
    single_pair_sources,
)

FULL = "fawazahmed0"  # quotes all 156 active currencies (scrapers/demo/README.md)
HEAD = (
    f"{'case':<34} {'asked':>5} {'run':<9} {'cover':>6} {'fresh':>6} "
    f"{'absurd':>6} {'underiv':>7} {'unsaid':>6} {'secs':>5}  goal"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help="Fault kinds of the matrix.")
    parser.add_argument("--sources", default="", help="Sources of the matrix (default: asked).")
    parser.add_argument("--no-matrix", action="store_true", help="Skip source x kind.")
    parser.add_argument("--no-k", action="store_true", help="Skip k = 1..n.")
    return parser.parse_args()


def isolate() -> str:
    """A throw-away database and cache namespace; readers' settings as the test client needs."""
    setup_test_environment()  # the test client's host is allowed
    settings.CACHES["default"]["KEY_PREFIX"] = f"koel-reliability-sources-{os.getpid()}"
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    celery_app.conf.update(task_always_eager=True)  # signals' tasks run here, no broker needed
    name = settings.DATABASES["default"]["NAME"]
    # Per process, as the cache prefix: two runs of subsets side by side must not drop each
    # other's database (create_test_db's autoclobber would).
    test_name = f"{name}_reliability_sources_{os.getpid()}"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = test_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return name


def goal_missed(result: Result) -> list[str]:
    missed = []
    if result.coverage < 100:
        missed.append(f"coverage {result.coverage:.2f}%")
    if result.faults.get(FULL) is None and result.fresh_coverage < 100:
        missed.append(f"fresh {result.fresh_coverage:.2f}% while {FULL} works")
    missed += [f"absurd: {line}" for line in result.absurd[:3]]
    missed += [f"underived: {line}" for line in result.underived[:3]]
    missed += [f"unsaid: {line}" for line in result.unsaid]
    return missed


def show(name: str, result: Result, seconds: float) -> bool:
    missed = goal_missed(result)
    print(
        f"{name:<34} {len(result.asked):>5} {result.status:<9} {result.coverage:>5.1f}% "
        f"{result.fresh_coverage:>5.1f}% {len(result.absurd):>6} {len(result.underived):>7} "
        f"{len(result.unsaid):>6} {seconds:>5.0f}  {'; '.join(missed) or 'met'}",
        flush=True,
    )
    return not missed


def cases(args, asked: list[str]) -> list[tuple[str, dict[str, str]]]:
    kinds = args.kinds.split(",")
    sources = args.sources.split(",") if args.sources else asked
    planned = []
    if not args.no_matrix:
        planned += [(f"{s} {k}", {s: k}) for s in sources for k in kinds]
    if not args.no_k:
        multi = multi_pair_sources()
        order = [s for s in multi if s != FULL] + [FULL] + single_pair_sources()
        for k in range(1, len(order) + 1):
            faults = {source: KINDS[i % len(KINDS)] for i, source in enumerate(order[:k])}
            planned.append((f"k={k} (to {order[k - 1]})", faults))
    return planned


def main() -> int:
    args = parse_args()
    for name, value in API_KEYS.items():
        os.environ[name] = value
    original = isolate()
    ok = True
    try:
        with FaultSite(hang=4) as site:
            for name, value in settings_for(site).items():
                setattr(settings, name, value)
            reference_data_load()
            started = time.monotonic()
            baseline = seed(site)
            print(f"seed: yesterday's scrape in {time.monotonic() - started:.0f} s", flush=True)
            print(HEAD, flush=True)
            started = time.monotonic()
            site.counts = {}
            first = run_case(site, baseline, {})
            asked = [s for s in multi_pair_sources() + single_pair_sources() if site.counts.get(s)]
            ok &= show("k=0 (no fault)", first, time.monotonic() - started)
            print(f"# asked with no fault: {', '.join(asked)}", flush=True)
            for name, faults in cases(args, asked):
                started = time.monotonic()
                result = run_case(site, baseline, faults)
                ok &= show(name, result, time.monotonic() - started)
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
    print("all goals met" if ok else "GOALS MISSED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
