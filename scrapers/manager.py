"""The failsafe scrape manager: which sources to crawl, in what order, and what to do on failure.

For the bases of a run (a currency group, one base, or what one source quotes):

1. multi-pair sources in priority order, each asked only for bases it quotes that still miss
   targets; a failing source is recorded and the next one is tried;
2. single-pair sources for the (base, target) pairs still missing, within
   KOEL_SINGLE_PAIR_BUDGET requests per run;
3. pairs still missing are filled as cross rates through a pivot (or inverses) computed from
   rates this run stored, and stored with the derived flag under the source "koel".

Every crawl runs in a fresh process (`manage.py crawl … --report`) with a time limit; every rate
passes the quarantine (rates.ingest.acceptance) before it is published. Source health and the
circuit breaker are updated after every attempt; the run row shows progress as it goes.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from scrapy.spiderloader import SpiderLoader

from rates.ingest.services import rates_upsert
from rates.models import Currency, ScrapeRun, Source, SourceKind
from rates.reads import latest_observations, pivots, resolve
from rates.runs.health import source_attempt_record, source_availability
from rates.runs.services import run_attempt, run_finish, run_progress, run_start
from rates.types import RatePath, RateRow

from .management.commands.crawl import scrapy_settings

DERIVED_SOURCE = "koel"


class Scope:
    GROUP = "group"
    BASE = "base"
    SOURCE = "source"


@dataclass
class CrawlOutcome:
    ok: bool
    bases: dict[str, list[str]]  # base -> targets stored (quarantined ones excluded)
    written: int = 0
    quarantined: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class Coverage:
    """What each base still misses; the run is complete when nothing is."""

    missing: dict[str, set[str]]
    stored: dict[str, set[str]] = field(default_factory=dict)

    def add(self, bases: dict[str, list[str]]) -> None:
        for base, targets in bases.items():
            if base in self.missing:
                self.missing[base] -= set(targets)
                self.stored.setdefault(base, set()).update(targets)

    def bases_missing(self) -> list[str]:
        return [base for base, targets in self.missing.items() if targets]

    def done(self) -> int:
        return sum(1 for targets in self.missing.values() if not targets)


def scrape(*, scope: str, target: str, trigger: str = "manual", task_id: str = "") -> ScrapeRun:
    """Run one scrape of `scope` ("group", "base" or "source") `target` and return its run."""
    bases, sources = _plan(scope, target)
    wanted = set(_active_codes())
    coverage = Coverage({base: wanted - {base} for base in bases})
    run = run_start(
        scope=scope, target=target, trigger=trigger, bases_total=len(bases), task_id=task_id
    )
    for source in [s for s in sources if s.kind == SourceKind.MULTI_PAIR]:
        todo = [base for base in coverage.bases_missing() if _quotes_base(source, base)]
        if todo:
            _attempt(run, source, coverage, bases=todo)
    budget = settings.KOEL_SINGLE_PAIR_BUDGET
    for source in [s for s in sources if s.kind == SourceKind.SINGLE_PAIR]:
        for base in coverage.bases_missing():
            targets = sorted(coverage.missing[base])[:budget]
            if budget <= 0 or not _quotes_base(source, base):
                continue
            budget -= len(targets)
            _attempt(run, source, coverage, bases=[base], targets=targets)
    derived = 0 if scope == Scope.SOURCE else _fill_derived(coverage)
    errors = [
        f"{base}: no rate for {len(targets)} target(s): {', '.join(sorted(targets)[:10])}"
        for base, targets in coverage.missing.items()
        if targets and scope != Scope.SOURCE
    ]
    any_read = any(attempt.get("outcome") == "ok" for attempt in run.attempts)
    return run_finish(run, any_read=any_read, derived=derived, errors=errors)


def _plan(scope: str, target: str) -> tuple[list[str], list[Source]]:
    """The bases of the run and the sources it may use, in priority order."""
    with_spider = set(SpiderLoader.from_settings(scrapy_settings()).list())
    sources = [
        s
        for s in Source.objects.filter(enabled=True).order_by("priority", "code")
        if s.code in with_spider
    ]
    active = _active_codes()
    if scope == Scope.GROUP:
        group = Currency.objects.filter(active=True, group=target)
        bases = list(group.values_list("code", flat=True))
    elif scope == Scope.BASE:
        bases = [target] if target in active else []
    elif scope == Scope.SOURCE:
        sources = [s for s in sources if s.code == target]
        bases = [b for b in active if sources and _quotes_base(sources[0], b)]
    else:
        raise ValueError(f"unknown scope {scope!r}")
    if not bases:
        raise ValueError(f"nothing to scrape for {scope} {target!r}")
    return sorted(bases), sources


def _active_codes() -> list[str]:
    return list(Currency.objects.filter(active=True).values_list("code", flat=True))


def _quotes_base(source: Source, base: str) -> bool:
    return (not source.bases or base in source.bases) and (
        not source.currencies or base in source.currencies
    )


def _attempt(
    run: ScrapeRun, source: Source, coverage: Coverage, *, bases: list[str], targets=()
) -> None:
    """Crawl `source` for `bases` unless its circuit or settings say no; record everything."""
    attempt = {"source": source.code, "bases": bases, "targets": list(targets)}
    availability = source_availability(source)
    if not availability.usable:
        attempt.update(outcome="skipped", reason=availability.reason)
        run_attempt(run, attempt, stored=0, quarantined=0)
        return
    outcome = crawl(source, bases=bases, targets=targets)
    source_attempt_record(source.code, ok=outcome.ok, seconds=outcome.seconds, error=outcome.error)
    coverage.add(outcome.bases)
    attempt.update(
        outcome="ok" if outcome.ok else "failed",
        rates=sum(len(t) for t in outcome.bases.values()),
        written=outcome.written,
        quarantined=outcome.quarantined,
        requests=outcome.requests,
        seconds=outcome.seconds,
        error=outcome.error,
    )
    run_attempt(run, attempt, stored=outcome.written, quarantined=outcome.quarantined)
    run_progress(run, bases_done=coverage.done())


def crawl(source: Source, *, bases: list[str], targets=()) -> CrawlOutcome:
    """`manage.py crawl` in a fresh process, killed after KOEL_CRAWL_TIME_LIMIT seconds."""
    with tempfile.TemporaryDirectory(prefix="koel-crawl-") as workdir:
        report = Path(workdir) / "report.json"
        command = [sys.executable, "manage.py", "crawl", source.code, "--report", str(report)]
        command += [arg for base in bases for arg in ("--base", base)]
        command += [arg for target in targets for arg in ("--target", target)]
        for name, value in settings.KOEL_CRAWL_SETTINGS.items():
            command += ["--set", f"{name}={value}"]
        if settings.KOEL_DEMO:
            command += ["--base-url", f"{settings.KOEL_DEMO_URL.rstrip('/')}/{source.code}"]
        started = time.monotonic()
        try:
            finished = subprocess.run(
                command,
                cwd=settings.BASE_DIR,
                env=child_env(),
                capture_output=True,
                text=True,
                timeout=settings.KOEL_CRAWL_TIME_LIMIT,
            )
        except subprocess.TimeoutExpired:
            seconds = time.monotonic() - started
            limit = settings.KOEL_CRAWL_TIME_LIMIT
            return CrawlOutcome(False, {}, seconds=seconds, error=f"killed after {limit} s")
        seconds = round(time.monotonic() - started, 3)
        if not report.exists():
            return CrawlOutcome(False, {}, seconds=seconds, error=_last_line(finished.stderr))
        data = json.loads(report.read_text())
    error = "" if data["ok"] else (data["error"] or _failure(data, finished.stderr))
    return CrawlOutcome(
        ok=data["ok"],
        bases=data["bases"],
        written=data["written"],
        quarantined=data["quarantined"],
        requests=data["requests"],
        seconds=seconds,
        error=error,
    )


def child_env() -> dict[str, str]:
    """The environment of a crawl process: this one's, on the database and cache this process
    uses (they may differ from the environment's, e.g. under tests)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    url = f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"
    # The same cache namespace too, so the child's writes invalidate this process's reads.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return {**os.environ, "DATABASE_URL": url, "KOEL_CACHE_PREFIX": prefix}


def _failure(data: dict, stderr: str) -> str:
    reason = data.get("finish_reason", "")
    if reason and reason != "finished":
        return reason
    return _last_line(stderr) or f"{data.get('errors', 0)} error(s), {data['received']} rates"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][-500:] if lines else "crawl process failed without output"


def _fill_derived(coverage: Coverage) -> int:
    """Store inverse/cross rates for the pairs no source gave, for bases this run stored rates
    of: a base whose sources all failed gets nothing new (its last good rates stay served)."""
    bases = [base for base in coverage.bases_missing() if coverage.stored.get(base)]
    codes = set(bases) | {t for base in bases for t in coverage.missing[base]} | set(pivots())
    found = latest_observations(bases=codes, targets=codes)
    rows = []
    for base in bases:
        for target in sorted(coverage.missing[base]):
            quote_ = resolve(found, base, target, pivots())
            if quote_ is not None and quote_.path is not RatePath.DIRECT:
                rows.append(RateRow(base, target, quote_.rate, quote_.observed_at, derived=True))
    if not rows:
        return 0
    result = rates_upsert(source=DERIVED_SOURCE, rows=rows)
    coverage.add(_by_base(rows))
    return result.written


def _by_base(rows: list[RateRow]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row.base, []).append(row.target)
    return grouped
