from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from alerts.models import AlertRule
from koel.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_retries():
    # With task_eager_propagates an eager task's self.retry() raises Retry to the caller; without
    # it Celery re-runs the task at once, as a worker would after the countdown. Errors other
    # than Retry are still visible: deliveries record them.
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


@pytest.fixture
def private_targets(settings):
    """Deliveries may go to private addresses: the tests' receivers listen on 127.0.0.1, which
    Koel refuses by default (alerts.targets)."""
    settings.KOEL_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("watcher", "watcher@example.com", "pw")


@pytest.fixture
def api(owner):
    """A REST client logged in as the owner."""
    client = APIClient()
    client.force_login(owner)
    return client


@pytest.fixture
def quoted(store):
    """EUR/USD and EUR/GBP quoted, so rules on them (and their cross) validate."""
    day = "2026-01-05T16:00"
    store("ecb", ("EUR", "USD", "1.1", day), ("EUR", "GBP", "0.85", day))


@pytest.fixture
def rule(owner, currencies):
    """Create a rule: rule("EUR", "USD", "above", "1.2", hysteresis="0.01")."""

    def build(base, target, condition, threshold, **fields):
        fields.setdefault("notify_email", False)
        fields.setdefault("cooldown", timedelta(0))
        for name in ("hysteresis",):
            if name in fields:
                fields[name] = Decimal(fields[name])
        return AlertRule.objects.create(
            owner=fields.pop("owner", owner),
            base=base,
            target=target,
            condition=condition,
            threshold=Decimal(threshold),
            **fields,
        )

    return build


@pytest.fixture
def land(store, django_capture_on_commit_callbacks):
    """Write rates as a committed ingest: the on-commit callbacks (the rates_landed signal,
    then the evaluation and deliveries it queues) run as they would after a real commit."""

    def write(source, *specs):
        with django_capture_on_commit_callbacks(execute=True):
            return store(source, *specs)

    return write
