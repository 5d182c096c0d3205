import calendar
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from rates.ingest.loading import SOURCES_FILE
from rates.models import Currency, ExchangeRate, Source
from rates.table import existing_partitions
from rates.tasks import maintain_partitions

pytestmark = pytest.mark.django_db

LISTED_SOURCES = len(json.loads(SOURCES_FILE.read_text()))


def month_names(first: int, last: int) -> list[str]:
    """Partition names from `first` to `last` months away from today (UTC), computed by hand."""
    today = datetime.now(UTC)
    names = []
    for offset in range(first, last + 1):
        index = today.year * 12 + today.month - 1 + offset
        month = calendar.month_abbr[index % 12 + 1].lower()
        names.append(f"rates_exchangerate_{index // 12}_{month}")
    return names


@pytest.fixture
def no_admin_env(monkeypatch):
    for name in ("KOEL_ADMIN_USER", "KOEL_ADMIN_PASSWORD", "KOEL_ADMIN_EMAIL"):
        monkeypatch.delenv(name, raising=False)


def bootstrap(*args: str) -> list[str]:
    out = StringIO()
    call_command("bootstrap", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_maintain_partitions_returns_created_and_dropped(settings):
    settings.KOEL_PARTITIONS_AHEAD = 3

    result = maintain_partitions.apply()

    assert result.successful()
    assert result.get() == {"created": month_names(-1, 3), "dropped": []}
    assert maintain_partitions.apply().get() == {"created": [], "dropped": []}


def test_maintain_partitions_runs_through_delay(settings):
    settings.KOEL_PARTITIONS_AHEAD = 0

    assert maintain_partitions.delay().get(timeout=10) == {
        "created": month_names(-1, 0),
        "dropped": [],
    }


def test_bootstrap_sets_everything_up(settings, no_admin_env):
    settings.KOEL_PARTITIONS_AHEAD = 3

    lines = bootstrap("--skip-history")

    assert lines == [
        f"currencies: {Currency.objects.count()} created, 0 updated, 0 kept as edited in admin",
        f"sources: {LISTED_SOURCES} created, 0 refreshed, 0 unchanged",
        "schedules: 5 created",  # the group scrapes, partitions, heartbeat, the runs sweep
        "partitions: 5 created",
    ]
    assert Currency.objects.filter(active=True).count() >= 155
    assert Source.objects.count() == LISTED_SOURCES
    assert Source.objects.filter(code="ecb").exists()
    assert PeriodicTask.objects.filter(task="rates.tasks.maintain_partitions").count() == 1
    assert PeriodicTask.objects.filter(task="rates.tasks.heartbeat").count() == 1
    assert set(month_names(-1, 3)) < set(existing_partitions())
    assert ExchangeRate.objects.count() == 0
    assert not get_user_model().objects.exists()


def test_bootstrap_again_changes_nothing_and_keeps_admin_edits(no_admin_env):
    bootstrap("--skip-history")
    Currency.objects.filter(code="USD").update(name="Greenback", admin_edited=True)

    assert bootstrap("--skip-history") == [
        "currencies: 0 created, 0 updated, 1 kept as edited in admin",
        f"sources: 0 created, 0 refreshed, {LISTED_SOURCES} unchanged",
        "schedules: 0 created",
        "partitions: 0 created",
    ]
    assert Currency.objects.get(code="USD").name == "Greenback"


def test_bootstrap_creates_superuser_from_environment(monkeypatch, no_admin_env):
    monkeypatch.setenv("KOEL_ADMIN_USER", "boss")
    monkeypatch.setenv("KOEL_ADMIN_PASSWORD", "s3cret-Pass")
    monkeypatch.setenv("KOEL_ADMIN_EMAIL", "boss@example.com")

    assert bootstrap("--skip-history")[-1] == "admin user 'boss' created"

    user = get_user_model().objects.get()
    assert (user.username, user.email, user.is_staff, user.is_superuser) == (
        "boss",
        "boss@example.com",
        True,
        True,
    )
    assert user.check_password("s3cret-Pass")


def test_bootstrap_leaves_existing_admin_user_alone(monkeypatch, no_admin_env):
    get_user_model().objects.create_user("boss", password="changed-in-admin-1")  # noqa: S106 - test data
    monkeypatch.setenv("KOEL_ADMIN_USER", "boss")
    monkeypatch.setenv("KOEL_ADMIN_PASSWORD", "from-env-2")

    assert bootstrap("--skip-history")[-1] == "admin user 'boss' exists; left as it is"

    user = get_user_model().objects.get()
    assert user.check_password("changed-in-admin-1")  # a password set in the admin survives


def test_bootstrap_needs_both_admin_variables(monkeypatch, no_admin_env):
    monkeypatch.setenv("KOEL_ADMIN_USER", "boss")

    bootstrap("--skip-history")

    assert not get_user_model().objects.exists()


def test_bootstrap_imports_ecb_history_on_first_start(monkeypatch, tmp_path, no_admin_env):
    history = tmp_path / "eurofxref-hist.csv"
    history.write_text("Date,USD,JPY,\n2024-01-02,1.0956,155.68,\n")
    # Stands in for the bundled 7,000-day file, which test_ecb_history imports in full.
    monkeypatch.setattr("rates.management.commands.import_ecb_history.BUNDLED_FILE", history)

    lines = bootstrap()

    assert "No ECB rates yet: importing the ECB history (first start only)." in lines
    assert ExchangeRate.objects.filter(source="ecb").count() == 2
    assert not any("importing" in line for line in bootstrap())  # ECB rates exist now
