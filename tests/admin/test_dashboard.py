"""The admin dashboard: freshness per group against its schedule, sources, last runs, rates per
day, the quarantine's count; linked from the admin index."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from rates.ingest.acceptance import rates_accept
from rates.ingest.services import rates_upsert
from rates.models import RunStatus, ScrapeRun, Source
from rates.runs.schedules import schedules_load

DASHBOARD = reverse("admin:dashboard")


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).replace(microsecond=0).isoformat()


def row(html: str, attribute: str, value: str) -> str:
    """The <tr> of the dashboard whose data-`attribute` is `value`."""
    match = re.search(rf'<tr[^>]*data-{attribute}="{value}".*?</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(0)


@pytest.fixture
def scheduled(db):
    schedules_load()


def test_the_admin_index_links_the_dashboard(admin_client, db):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert f'href="{DASHBOARD}"' in response.text
    assert 'id="koel-dashboard-link"' in response.text


def test_dashboard_shows_a_stale_group_as_stale_and_a_fresh_one_as_fresh(
    admin_client, store, scheduled
):
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(days=2))))  # primary: every 6 h
    store("ecb", ("PLN", "USD", "0.25", at(timedelta(hours=3))))  # secondary: every 12 h

    response = admin_client.get(DASHBOARD)

    assert response.status_code == 200
    primary = row(response.text, "group", "primary")
    secondary = row(response.text, "group", "secondary")
    assert 'data-state="stale"' in primary
    assert "6 h 30 min" in primary  # stale after: the schedule's gap and the grace
    assert "2 d" in primary
    assert 'data-state="fresh"' in secondary
    assert "3 h" in secondary
    assert "12 h 30 min" in secondary


def test_a_group_is_stale_only_past_its_schedule_gap(admin_client, store, scheduled):
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(hours=6, minutes=20))))

    primary = row(admin_client.get(DASHBOARD).text, "group", "primary")

    assert 'data-state="fresh"' in primary


def test_an_admin_changed_schedule_changes_the_verdict(admin_client, store, scheduled):
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(hours=20))))
    task = PeriodicTask.objects.get(name="koel: scrape primary currencies")
    assert 'data-state="stale"' in row(admin_client.get(DASHBOARD).text, "group", "primary")

    task.crontab.hour = "0"  # once a day
    task.crontab.save()

    assert 'data-state="fresh"' in row(admin_client.get(DASHBOARD).text, "group", "primary")


def test_a_disabled_schedule_leaves_nothing_to_measure_against(admin_client, store, scheduled):
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(days=2))))
    PeriodicTask.objects.filter(name="koel: scrape primary currencies").update(enabled=False)

    primary = row(admin_client.get(DASHBOARD).text, "group", "primary")

    assert 'data-state="no regular schedule"' in primary
    assert "(disabled)" in primary


def test_a_group_with_no_rates_says_so(admin_client, currencies, sources, scheduled):
    primary = row(admin_client.get(DASHBOARD).text, "group", "primary")

    assert 'data-state="no rates"' in primary
    assert "0/15" in primary


def test_dashboard_links_each_group_schedule_for_editing(admin_client, currencies, scheduled):
    response = admin_client.get(DASHBOARD)

    for name, group in [
        ("koel: scrape primary currencies", "primary"),
        ("koel: scrape secondary currencies", "secondary"),
    ]:
        task = PeriodicTask.objects.get(name=name)
        edit = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
        assert f'href="{edit}"' in row(response.text, "group", group)
    assert reverse("admin:django_celery_beat_periodictask_changelist") in response.text


def test_a_group_without_schedule_offers_to_add_one(admin_client, currencies):
    primary = row(admin_client.get(DASHBOARD).text, "group", "primary")

    assert reverse("admin:django_celery_beat_periodictask_add") in primary
    assert 'data-state="no rates"' in primary


def test_dashboard_shows_sources_up_down_and_circuit_open(admin_client, sources, currencies):
    now = timezone.now()
    Source.objects.filter(code="ecb").update(attempts=4, successes=4, last_success_at=now)
    Source.objects.filter(code="alpha").update(
        attempts=4, successes=3, consecutive_failures=1, last_error="HTTP 503 from alpha"
    )
    Source.objects.filter(code="beta").update(
        attempts=5, successes=2, consecutive_failures=3, circuit_open_until=now + timedelta(hours=1)
    )

    html = admin_client.get(DASHBOARD).text

    ecb, alpha, beta = (row(html, "source", code) for code in ("ecb", "alpha", "beta"))
    assert 'data-state="up"' in ecb
    assert "100%" in ecb
    assert 'data-state="down"' in alpha
    assert "75%" in alpha
    assert "HTTP 503 from alpha" in alpha
    assert 'data-state="circuit open"' in beta
    assert "40%" in beta
    assert "circuit open until" in beta
    untried = row(html, "source", "frankfurter")
    assert 'data-state="never tried"' in untried
    assert "closed" not in untried  # a usable source's circuit state is no note


def test_dashboard_lists_the_last_runs_with_their_outcome(admin_client, currencies):
    ok = ScrapeRun.objects.create(
        scope="group", target="primary", status=RunStatus.SUCCEEDED, rates_stored=2310
    )
    bad = ScrapeRun.objects.create(
        scope="base", target="JPY", status=RunStatus.FAILED, errors=["every source failed"]
    )

    html = admin_client.get(DASHBOARD).text

    assert html.index(f'data-run="{bad.id}"') < html.index(f'data-run="{ok.id}"')  # newest first
    assert "succeeded" in row(html, "run", str(ok.id))
    assert "2310" in row(html, "run", str(ok.id))
    failed = row(html, "run", str(bad.id))
    assert "failed" in failed
    assert "every source failed" in failed
    assert reverse("admin:rates_scraperun_change", args=[bad.id]) in failed


def test_dashboard_counts_and_links_the_open_quarantine(admin_client, store, rate_row):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))
    rates_accept(source="alpha", rows=[rate_row("EUR", "USD", "9.9", "2024-01-03T16:00")])

    html = admin_client.get(DASHBOARD).text

    link = reverse("admin:rates_quarantinedrate_changelist") + "?status__exact=held"
    assert f'<a href="{link}">1 held rate</a>' in html


def test_dashboard_charts_rates_per_day(admin_client, store, rate_row):
    yesterday = at(timedelta(days=1))
    store("ecb", ("EUR", "USD", "1.1", yesterday), ("EUR", "JPY", "160", yesterday))
    store("ecb", ("EUR", "GBP", "0.85", at(timedelta(days=45))))  # outside the 30 days
    derived = rate_row("USD", "JPY", "150", at(timedelta(0)), derived=True)
    rates_upsert(source="koel", rows=[derived])

    response = admin_client.get(DASHBOARD)

    bars = response.context["chart"].bars
    assert len(bars) == 30
    assert [(b.rates, b.derived) for b in bars[-2:]] == [(2, 0), (1, 1)]
    assert sum(b.rates for b in bars) == 3
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert f'data-day="{day}" data-rates="2"' in response.text
    assert "<svg" in response.text
    assert "3 rates" in response.text
