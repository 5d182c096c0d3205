"""The dashboard's selectors: schedule gaps, rates per day, codes with rates, group freshness."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from rates.reads import codes_with_rates, group_newest, rates_per_day
from rates.runs.overview import Freshness, group_freshness
from rates.runs.schedules import schedule_gap
from rates.templatetags.koel_admin import span


def task(**schedule) -> PeriodicTask:
    return PeriodicTask.objects.create(
        name=str(schedule), task="scrapers.tasks.scrape_group", **schedule
    )


def cron(**fields) -> CrontabSchedule:
    return CrontabSchedule.objects.create(timezone="UTC", **fields)


@pytest.mark.parametrize(
    ("fields", "gap"),
    [
        ({"minute": "0", "hour": "0,6,12,18"}, timedelta(hours=6)),
        ({"minute": "0", "hour": "3,15"}, timedelta(hours=12)),
        ({"minute": "0", "hour": "1,2"}, timedelta(hours=23)),  # 02:00 to the next 01:00
        ({"minute": "*/15", "hour": "*"}, timedelta(minutes=15)),
        ({"minute": "0", "hour": "9", "day_of_week": "1-5"}, timedelta(days=3)),  # Fri to Mon
        ({"minute": "0", "hour": "0", "day_of_month": "1"}, None),  # monthly: not regular
        ({"minute": "0", "hour": "25"}, None),  # unparsable: no verdict rather than an error
    ],
)
def test_schedule_gap_of_a_crontab(db, fields, gap):
    assert schedule_gap(task(crontab=cron(**fields))) == gap


def test_schedule_gap_of_an_interval(db):
    every, _ = IntervalSchedule.objects.get_or_create(every=90, period="minutes")

    assert schedule_gap(task(interval=every)) == timedelta(minutes=90)


def test_rates_per_day_counts_each_day_between_both_bounds(store):
    store(
        "ecb",
        ("EUR", "USD", "1.1", "2026-03-01T00:00"),  # the first day's first instant: in
        ("EUR", "JPY", "160", "2026-03-03T23:59"),
        ("EUR", "GBP", "0.85", "2026-03-04T00:00"),  # the day after `today`: out
        ("EUR", "CHF", "0.95", "2026-02-28T23:59"),  # the day before the first: out
    )

    counts = rates_per_day(days=3, today=date(2026, 3, 3))

    assert [(c.day.day, c.rates, c.derived) for c in counts] == [(1, 1, 0), (2, 0, 0), (3, 1, 0)]


def test_rates_per_day_refuses_fewer_than_one_day(db):
    with pytest.raises(ValueError, match="days must be at least 1"):
        rates_per_day(days=0)


def test_codes_with_rates_are_bases_and_targets_of_latest_rates(store):
    assert codes_with_rates() == set()

    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))

    assert codes_with_rates() == {"EUR", "USD"}


def test_group_newest_names_the_least_recently_quoted_base(store):
    store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"), ("USD", "EUR", "0.9", "2024-01-05T16:00")
    )

    primary = next(g for g in group_newest() if g.group == "primary")

    assert (primary.bases, primary.bases_with_rates) == (15, 2)
    assert primary.newest == datetime(2024, 1, 5, 16, tzinfo=UTC)
    assert primary.stalest is None  # 13 primary bases have no rate at all
    assert primary.stalest_base not in ("EUR", "USD")


def test_group_freshness_without_schedules_is_unscheduled(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))

    states = {g.rates.group: g.state for g in group_freshness()}

    assert states == {"primary": Freshness.UNSCHEDULED, "secondary": Freshness.NO_RATES}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (timedelta(seconds=30), "under a minute"),
        (timedelta(minutes=4), "4 min"),
        (timedelta(hours=6, minutes=30), "6 h 30 min"),
        (timedelta(days=2, hours=3, minutes=5), "2 d 3 h"),
        (timedelta(days=1, minutes=5), "1 d"),
    ],
)
def test_span_filter(value, shown):
    assert span(value) == shown
