"""Source faults end to end (docs/reliability.md, "1. Source faults").

A case is one full scrape of the primary currencies (the scheduled run: every source by the
failover plan of scrapers/manager.py, each crawl in its own process) against a FaultSite where
some sources misbehave, on top of yesterday's good scrape (Koel scrapes daily: the quarantine
has yesterday's rates to compare with). After it, every pair of active currencies is asked of
rates.reads as a reader would (direct, inverse or cross), and one base of the API:

* coverage: pairs answered at all; fresh: answered from today's scrape;
* absurd: answers further than TOLERANCE from the demo's true rate (scrapers/demo/rates.csv),
  not positive, or dated by the stale fault's date without being marked stale;
* underived: cross or inverse answers not marked derived;
* unsaid: faulty sources the run asked whose failure the run's attempts do not record (failed,
  or rates quarantined), failed without the source's health keeping the error, or which the
  admin's page of the run does not name.

Each case starts from the same state: the rows, quarantine, latest-rates read model and source
health left by the seed scrape (`Baseline`) are restored first.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from rates.cache import bump_on_commit
from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.services import rates_upsert
from rates.models import (
    Currency,
    ExchangeRate,
    LatestRates,
    QuarantinedRate,
    ScrapeRun,
    Source,
    SourceKind,
)
from rates.reads import rates_for_bases
from rates.types import RatePath, RateRow
from scrapers.crawling import spider_codes
from scrapers.management.commands.build_demo import cross, per_euro
from scrapers.manager import scrape

from .fault_site import FaultSite

TOLERANCE = Decimal("0.05")  # the sources round the demo's rates to 4-14 digits
API_BASE = "EUR"
# Scrapy settings of every crawl: production's retries and timeout, shortened (each case runs
# ~10 crawls), and no politeness waits (the sources' own politeness_delay is set to 0 too).
CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "RETRY_TIMES": "1",
    "RETRY_BACKOFF_BASE": "0.05",
    "RETRY_AFTER_MAX": "2",
    "DOWNLOAD_TIMEOUT": "2",
}
API_KEYS = {"KOEL_EXCHANGERATE_API_KEY": "demo", "KOEL_FRED_API_KEY": "demo"}


def settings_for(site: FaultSite) -> dict:
    """The Django settings a case runs under (the environment needs API_KEYS too: the crawl
    processes read their keys from it)."""
    return {
        "KOEL_DEMO": True,
        "KOEL_DEMO_URL": site.url,
        "KOEL_CRAWL_SETTINGS": CRAWL_SETTINGS,
        "KOEL_CRAWL_TIME_LIMIT": 60,
        **API_KEYS,
    }


@dataclass(frozen=True)
class Baseline:
    oldest: datetime
    newest: datetime
    latest: list[LatestRates]
    sources: list[Source]
    quarantine_id: int


@dataclass
class Result:
    faults: dict[str, str]
    pairs: int
    covered: int
    fresh: int
    absurd: list[str]
    underived: list[str]
    unsaid: list[str]
    asked: list[str]  # the faulty sources the run asked
    run_id: int
    status: str

    @property
    def coverage(self) -> float:
        return 100 * self.covered / self.pairs

    @property
    def fresh_coverage(self) -> float:
        return 100 * self.fresh / self.pairs


def reference_data_load() -> None:
    """Currencies and sources as bootstrap loads them, with no politeness delay."""
    currencies_load()
    sources_load()
    Source.objects.update(politeness_delay=0)


def multi_pair_sources() -> list[str]:
    """The enabled multi-pair sources with a spider, in the manager's priority order."""
    return _enabled(SourceKind.MULTI_PAIR)


def single_pair_sources() -> list[str]:
    return _enabled(SourceKind.SINGLE_PAIR)


def _enabled(kind: str) -> list[str]:
    spiders = spider_codes()
    sources = Source.objects.filter(enabled=True, kind=kind).order_by("priority", "code")
    return [s.code for s in sources if s.code in spiders]


def seed(site: FaultSite) -> Baseline:
    """Yesterday's scrape, every source working: the state each case starts from."""
    site.faults, site.days = {}, -1
    run = scrape(scope="group", target="primary", trigger="reliability")
    site.days = 0
    if not run.rates_stored:
        raise RuntimeError(f"the seed scrape stored nothing: {run.errors}")
    return baseline_take()


def seed_quick(source: str = "fawazahmed0") -> Baseline:
    """Yesterday's true rates of every primary base as `source`'s, written directly (a second
    instead of a scrape's minute): what the quarantine and the reads fall back on."""
    truth, yesterday = per_euro(), timezone.now() - timedelta(days=1)
    codes = list(Currency.objects.filter(active=True).values_list("code", flat=True))
    bases = Currency.objects.filter(active=True, group="primary").values_list("code", flat=True)
    rows = [
        RateRow(base, target, cross(truth, base, target).quantize(Decimal("1e-12")), yesterday)
        for base in bases
        for target in codes
        if target != base
    ]
    rates_upsert(source=source, rows=rows)
    return baseline_take()


def baseline_take() -> Baseline:
    stored = ExchangeRate.objects.all()
    return Baseline(
        oldest=stored.order_by("observed_at").values_list("observed_at", flat=True)[0],
        newest=stored.order_by("-observed_at").values_list("observed_at", flat=True)[0],
        latest=list(LatestRates.objects.all()),
        sources=list(Source.objects.all()),
        quarantine_id=max(QuarantinedRate.objects.values_list("id", flat=True), default=0),
    )


@transaction.atomic
def restore(baseline: Baseline) -> None:
    """Back to the seed's state: its rows, latest rates, sources' health and quarantine."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {ExchangeRate._meta.db_table} "  # noqa: S608 (a model's table name)
            "WHERE observed_at < %s OR observed_at > %s",
            [baseline.oldest, baseline.newest],
        )
    QuarantinedRate.objects.filter(id__gt=baseline.quarantine_id).delete()
    LatestRates.objects.all().delete()
    LatestRates.objects.bulk_create(baseline.latest)
    fields = [f.name for f in Source._meta.concrete_fields if not f.primary_key]
    Source.objects.bulk_update(baseline.sources, fields)  # health, circuit, counters
    bump_on_commit(Currency.objects.filter(active=True).values_list("code", flat=True))


def run_case(site: FaultSite, baseline: Baseline, faults: dict[str, str]) -> Result:
    """One full scrape with `faults` ({source: kind}), measured (see the module doc)."""
    restore(baseline)
    site.faults, site.counts = dict(faults), {}
    run = scrape(scope="group", target="primary", trigger="reliability")
    asked = sorted(code for code in faults if site.counts.get(code))
    codes = sorted(Currency.objects.filter(active=True).values_list("code", flat=True))
    answers = rates_for_bases({base: codes for base in codes})
    truth = per_euro()
    stale_kind = "stale" in faults.values()
    result = Result(
        faults, len(codes) * (len(codes) - 1), 0, 0, [], [], [], asked, run.id, run.status
    )
    now = timezone.now()
    for base in codes:
        for target in codes:
            if base != target:
                _check(result, answers.get(base, {}).get(target), truth, baseline, now, stale_kind)
    result.absurd += _api_absurd(truth)
    result.unsaid = _unsaid(run, asked)
    return result


def _check(result: Result, answer, truth, baseline: Baseline, now, stale_kind: bool) -> None:
    if answer is None:
        return
    result.covered += 1
    result.fresh += answer.observed_at > baseline.newest
    pair = f"{answer.base}->{answer.target}"
    if _absurd(answer.rate, cross(truth, answer.base, answer.target)):
        result.absurd.append(f"{pair} {answer.rate} ({'/'.join(answer.sources)})")
    elif stale_kind and answer.observed_at < baseline.oldest and not answer.stale(now):
        result.absurd.append(f"{pair} dated {answer.observed_at:%Y-%m-%d}, not marked stale")
    if answer.path != RatePath.DIRECT and not answer.derived:
        result.underived.append(f"{pair} {answer.path} not marked derived")


def _absurd(rate: Decimal, true: Decimal) -> bool:
    return not rate.is_finite() or rate <= 0 or abs(rate / true - 1) > TOLERANCE


def _api_absurd(truth) -> list[str]:
    """What the API answers a reader for one base, against the true rates."""
    response = Client().get("/api/v1/rates/", {"base": API_BASE})
    if response.status_code != 200:
        return [f"API /api/v1/rates/?base={API_BASE}: {response.status_code}"]
    return [
        f"API {API_BASE}->{row['target']} {row['rate']}"
        for row in response.json()["rates"]
        if _absurd(Decimal(str(row["rate"])), cross(truth, API_BASE, row["target"]))
    ]


def _unsaid(run: ScrapeRun, asked: list[str]) -> list[str]:
    """The asked faulty sources whose failure the run, the source's health or the admin's page
    of the run leaves unsaid."""
    run.refresh_from_db()
    page = _admin_run_page(run)
    unsaid = []
    for code in asked:
        attempts = [a for a in run.attempts if a["source"] == code]
        failed = any(a.get("outcome") == "failed" for a in attempts)
        if not failed and not any(a.get("quarantined") for a in attempts):
            unsaid.append(f"{code}: run attempts {[a.get('outcome') for a in attempts]}")
        elif failed and not Source.objects.get(code=code).last_error:
            unsaid.append(f"{code}: failed, but its health keeps no error")
        elif code not in page:
            unsaid.append(f"{code}: not on the admin's run page")
    return unsaid


def _admin_run_page(run: ScrapeRun) -> str:
    user, _ = get_user_model().objects.get_or_create(
        username="reliability", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    response = client.get(f"/admin/rates/scraperun/{run.id}/change/")
    if response.status_code != 200:
        return f"(admin run page answered {response.status_code})"
    return response.content.decode()
