import json

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from rates.ingest.loading import SOURCES_FILE, LoadResult, currencies_load, sources_load
from rates.models import Currency, Source
from rates.runs.schedules import schedules_load

pytestmark = pytest.mark.django_db

FIELDS = ("name", "name_plural", "symbol", "symbol_native", "decimal_digits", "rounding", "icon",
          "group", "active")  # fmt: skip
EXPECTED = {
    "USD": ("US Dollar", "US dollars", "$", "$", 2, 0, "🇺🇸", "primary", True),
    "EUR": ("Euro", "euros", "€", "€", 2, 0, "🇪🇺", "primary", True),
    "JPY": ("Japanese Yen", "Japanese yen", "¥", "￥", 0, 0, "🇯🇵", "primary", True),
    "CAD": ("Canadian Dollar", "Canadian dollars", "CA$", "$", 2, 0, "🇨🇦", "primary", True),
    "KWD": ("Kuwaiti Dinar", "Kuwaiti dinars", "KWD", "د.ك.\u200f", 3, 0, "🇰🇼", "secondary", True),
    "DEM": ("German Mark", "German marks", "DEM", "DEM", 2, 0, "🇩🇪", "secondary", False),
    "CYP": ("Cypriot Pound", "Cypriot pounds", "CYP", "CYP", 2, 0, "🇨🇾", "secondary", False),
}
PRIMARY = {"USD", "EUR", "JPY", "GBP", "CNY", "AUD", "CAD", "CHF", "HKD", "SGD", "SEK", "KRW",
           "NOK", "NZD", "INR"}  # fmt: skip


def test_currencies_load_creates_every_currency():
    result = currencies_load()

    assert result == LoadResult(created=Currency.objects.count(), updated=0, kept=0)
    assert Currency.objects.filter(active=True).count() >= 155
    assert not Currency.objects.filter(admin_edited=True).exists()


@pytest.mark.parametrize("code", EXPECTED)
def test_currencies_load_fills_cldr_metadata(code):
    currencies_load()

    assert Currency.objects.values_list(*FIELDS).get(code=code) == EXPECTED[code]


def test_currencies_load_marks_exactly_the_primary_currencies():
    currencies_load()

    assert set(Currency.objects.filter(group="primary").values_list("code", flat=True)) == PRIMARY


@pytest.mark.parametrize("code", ["XTS", "XXX"])
def test_currencies_load_leaves_out_test_codes(code):
    currencies_load()

    assert not Currency.objects.filter(code=code).exists()


@pytest.mark.parametrize(("code", "active"), [("XAU", False), ("XDR", False), ("XOF", True)])
def test_currencies_load_activates_only_legal_tender(code, active):
    currencies_load()

    assert Currency.objects.get(code=code).active is active


def test_currencies_load_twice_creates_nothing():
    currencies_load()
    count = Currency.objects.count()

    assert currencies_load() == LoadResult(created=0, updated=0, kept=0)
    assert Currency.objects.count() == count


def test_currencies_load_keeps_admin_edited_row():
    currencies_load()
    Currency.objects.filter(code="USD").update(name="Greenback", active=False, admin_edited=True)

    assert currencies_load() == LoadResult(created=0, updated=0, kept=1)

    usd = Currency.objects.get(code="USD")
    assert (usd.name, usd.active, usd.admin_edited) == ("Greenback", False, True)


def test_currencies_load_refreshes_drifted_row_nobody_edited():
    currencies_load()
    Currency.objects.filter(code="CAD").update(name="Old name", symbol="C$", decimal_digits=3)

    assert currencies_load() == LoadResult(created=0, updated=1, kept=0)

    cad = Currency.objects.get(code="CAD")
    assert (cad.name, cad.symbol, cad.decimal_digits) == ("Canadian Dollar", "CA$", 2)


def test_currencies_load_restores_deleted_row():
    currencies_load()
    Currency.objects.filter(code="NOK").delete()

    assert currencies_load().created == 1
    assert Currency.objects.get(code="NOK").name == "Norwegian Krone"


def test_sources_load_creates_each_listed_source_once():
    listed = len(json.loads(SOURCES_FILE.read_text()))
    assert listed >= 1
    assert sources_load() == LoadResult(created=listed, updated=0, kept=0)
    assert sources_load() == LoadResult(created=0, updated=0, kept=listed)

    assert Source.objects.count() == listed
    ecb = Source.objects.get(code="ecb")
    assert (ecb.code, ecb.kind, ecb.priority, ecb.enabled) == ("ecb", "multi", 10, True)


def test_sources_load_keeps_admin_edits():
    sources_load()
    Source.objects.filter(code="ecb").update(priority=99, enabled=False, name="Edited")

    sources_load()

    ecb = Source.objects.get(code="ecb")
    assert (ecb.priority, ecb.enabled, ecb.name) == (99, False, "Edited")


def test_sources_load_refreshes_spider_facts_but_not_choices():
    sources_load()
    Source.objects.filter(code="ecb").update(bases=["USD"], verified=False, priority=99)

    result = sources_load()

    ecb = Source.objects.get(code="ecb")
    assert (ecb.bases, ecb.verified, ecb.priority) == (["EUR"], True, 99)
    assert (result.created, result.updated) == (0, 1)


def test_schedules_load_creates_each_periodic_task_once():
    assert schedules_load() == 5  # partitions, heartbeat, sweep of runs, two groups
    assert schedules_load() == 0

    task = PeriodicTask.objects.get(name="koel: partition maintenance")
    assert task.task == "rates.tasks.maintain_partitions"
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week, str(cron.timezone)) == ("30", "0", "*", "UTC")
    assert CrontabSchedule.objects.count() == 5  # the second load reused the schedules


@pytest.mark.parametrize(
    ("name", "hours", "group"),
    [
        ("koel: scrape primary currencies", "0,6,12,18", "primary"),
        ("koel: scrape secondary currencies", "3,15", "secondary"),
    ],
)
def test_schedules_load_scrapes_each_group_on_its_cadence(name, hours, group):
    schedules_load()

    task = PeriodicTask.objects.get(name=name)
    assert (task.task, json.loads(task.args), task.enabled) == (
        "scrapers.tasks.scrape_group",
        [group],
        True,
    )
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == (
        "0",
        hours,
        "UTC",
    )


def test_schedules_load_keeps_admin_changes():
    schedules_load()
    other = CrontabSchedule.objects.create(minute="15", hour="3", timezone="UTC")
    PeriodicTask.objects.filter(name="koel: partition maintenance").update(
        enabled=False, crontab=other
    )

    assert schedules_load() == 0

    task = PeriodicTask.objects.get(name="koel: partition maintenance")
    assert (task.enabled, task.crontab_id) == (False, other.pk)
