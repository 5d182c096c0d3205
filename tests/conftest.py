"""Shared fixtures. Tests run against real PostgreSQL and Redis (see `make test`)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from koel.celery import app as celery_app
from rates.ingest import partitions as partitioning
from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.services import rates_upsert
from rates.models import Source
from rates.redis_outage import circuit
from rates.types import RateRow

BROWSER_FIXTURES = {"page", "page_without_js", "browser", "context"}


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API keeps its event loop running in the main thread from the first
    # browser test to the end of the session (pytest-playwright's browser is session-scoped):
    # a later test that runs an event loop of its own (asyncio.run) would fail. Browser tests
    # therefore run last, in their own order.
    browser = [item for item in items if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if browser:
        chosen = set(map(id, browser))
        items[:] = [item for item in items if id(item) not in chosen] + browser


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    # Tests share a Redis with whoever else uses it: give this run its own key prefix.
    # Assigned, not mutated in place, so Django's setting_changed signal drops the cache handler
    # created with the old prefix.
    default = {**settings.CACHES["default"], "KEY_PREFIX": "koel-test"}
    settings.CACHES = {**settings.CACHES, "default": default}
    yield
    cache.delete_pattern("*")


@pytest.fixture(autouse=True)
def _redis_circuit_closed():
    # The Redis outage circuit is per process: one test's stopped Redis must not leave the next
    # test answering "Redis is unavailable" for KOEL_REDIS_RETRY_SECONDS.
    circuit.reset()
    yield
    circuit.reset()


@pytest.fixture(autouse=True)
def _forget_known_partitions():
    # partitions_ensure remembers partitions once their transaction commits; a test that runs
    # on-commit callbacks inside its rolled-back transaction would leave stale names behind.
    yield
    partitioning._known.clear()


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # With DEBUG off (the settings' default) every request is redirected to HTTPS and templates
    # need collectstatic's manifest; the test client speaks plain HTTP and nothing is collected.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery():
    # Tasks run in the test's process and transaction; nothing is sent to the broker.
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "task_eager_propagates")}
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    celery_app.conf.update(saved)


@pytest.fixture
def currencies(db):
    """Every currency Koel knows (ISO 4217 + CLDR), as `bootstrap` loads them."""
    currencies_load()


@pytest.fixture
def sources(db):
    """The ECB source from the data file plus two test sources with known priorities."""
    sources_load()
    Source.objects.create(code="alpha", name="Alpha", priority=20)
    Source.objects.create(code="beta", name="Beta", priority=30)


@pytest.fixture
def rate_row():
    """Build a RateRow from short literals: rate_row("EUR", "USD", "1.1", "2024-01-02T16:00")."""

    def build(base: str, target: str, rate: str, when: str, *, derived: bool = False) -> RateRow:
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return RateRow(base, target, Decimal(rate), moment, derived)

    return build


@pytest.fixture
def store(currencies, sources, rate_row):
    """Write rates through the service: store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))."""

    def write(source: str, *specs: tuple[str, str, str, str]):
        return rates_upsert(source=source, rows=[rate_row(*spec) for spec in specs])

    return write
