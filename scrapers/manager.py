"""The failsafe scrape manager: which sources to crawl, in what order, and what to do on failure.

For the bases of a run (a currency group, one base, or what one source quotes):

1. multi-pair sources in priority order, each asked only for bases it quotes that still miss
   targets; a failing source is recorded and the next one is tried;
2. single-pair sources for the (base, target) pairs still missing, within
   KOEL_SINGLE_PAIR_BUDGET requests per run;
3. pairs still missing, of bases this run stored rates of, are asked of rates.ingest.derived
   (inverse and cross rates through a pivot, under the source "koel").

Every crawl runs in a fresh process (`manage.py crawl … --report`, read back as a CrawlOutcome)
with a time limit; every rate, derived ones too, passes validation and the quarantine
(rates.ingest.acceptance) before it is published. Source health and the
circuit breaker are updated after every attempt; the run row shows progress as it goes.
"""

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from rates.ingest.derived import rates_derive
from rates.models import Currency, ScrapeRun, Source, SourceKind
from rates.runs.health import source_attempt_record, source_availability
from rates.runs.services import run_attempt, run_finish, run_progress, run_start

from .crawling import spider_codes
from .outcome import CrawlOutcome

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Scope:
    GROUP = "group"
    BASE = "base"
    SOURCE = "source"


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
    derived, held = (0, 0) if scope == Scope.SOURCE else _fill_derived(coverage)
    errors = [
        f"{base}: no rate for {len(targets)} target(s): {', '.join(sorted(targets)[:10])}"
        for base, targets in coverage.missing.items()
        if targets and scope != Scope.SOURCE
    ]
    any_read = any(attempt.get("outcome") == "ok" for attempt in run.attempts)
    return run_finish(run, any_read=any_read, derived=derived, derived_held=held, errors=errors)


def _plan(scope: str, target: str) -> tuple[list[str], list[Source]]:
    """The bases of the run and the sources it may use, in priority order."""
    with_spider = spider_codes()
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
        started = time.monotonic()
        try:
            finished = subprocess.run(
                _command(source, report, bases, targets),
                cwd=settings.BASE_DIR,
                env=child_env(),
                capture_output=True,
                text=True,
                timeout=settings.KOEL_CRAWL_TIME_LIMIT,
                preexec_fn=_die_with_parent,
            )
        except subprocess.TimeoutExpired:
            limit, seconds = settings.KOEL_CRAWL_TIME_LIMIT, time.monotonic() - started
            return CrawlOutcome(source.code, error=f"killed after {limit} s", seconds=seconds)
        seconds = round(time.monotonic() - started, 3)
        if not report.exists():
            return CrawlOutcome(source.code, error=_last_line(finished.stderr), seconds=seconds)
        outcome = CrawlOutcome.from_json(report.read_text())
    error = "" if outcome.ok else outcome.error or _failure(outcome, finished.stderr)
    return replace(outcome, seconds=seconds, error=error)


def _die_with_parent() -> None:
    """Run in the crawl process before it starts: it gets SIGKILL when the worker that started
    it dies. Else a worker killed mid-crawl leaves the crawl running, unwatched by any time
    limit, writing rates after its run was closed and beside the retried run's own crawl."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _command(source: Source, report: Path, bases: list[str], targets) -> list[str]:
    command = [sys.executable, "manage.py", "crawl", source.code, "--report", str(report)]
    command += [arg for base in bases for arg in ("--base", base)]
    command += [arg for target in targets for arg in ("--target", target)]
    for name, value in settings.KOEL_CRAWL_SETTINGS.items():
        command += ["--set", f"{name}={value}"]
    if settings.KOEL_DEMO:
        command += ["--base-url", f"{settings.KOEL_DEMO_URL.rstrip('/')}/{source.code}"]
    return command


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


def _failure(outcome: CrawlOutcome, stderr: str) -> str:
    if outcome.finish_reason and outcome.finish_reason != "finished":
        return outcome.finish_reason
    read = f"{outcome.received} rates ({outcome.rejected} rejected)"
    return _last_line(stderr) or f"{outcome.errors} error(s), {read}"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][-500:] if lines else "crawl process failed without output"


def _fill_derived(coverage: Coverage) -> tuple[int, int]:
    """Ask for inverse/cross rates of the pairs no source gave, for bases this run stored rates
    of: a base whose sources all failed gets nothing new (its last good rates stay served).
    Returns (rates written, rates held by the quarantine)."""
    bases = [base for base in coverage.bases_missing() if coverage.stored.get(base)]
    if not bases:
        return 0, 0
    result = rates_derive(missing={base: sorted(coverage.missing[base]) for base in bases})
    coverage.add(result.published_by_base())
    return result.written, result.quarantined
