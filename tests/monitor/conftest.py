"""The monitor page's fixtures: live rates written through the write service, and alert
firings of two users."""

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from alerts.models import AlertFiring, AlertRule
from monitor.models import LivePair

# The default live group, as its migration seeds it (a transactional test's flush removes it).
MAJORS = importlib.import_module("monitor.migrations.0002_majors").MAJORS


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.fixture
def live_rates(store):
    """EUR/USD and USD/JPY: the rate in force at today's 00:00 UTC, then a newer one a minute
    ago (EUR/USD up 0.296 %, USD/JPY down), in the default live group; returns the newer ones'
    instant."""
    for position, (base, target) in enumerate(MAJORS):
        LivePair.objects.get_or_create(base=base, target=target, defaults={"position": position})
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    before, latest = midnight - timedelta(hours=1), now - timedelta(minutes=1)
    store(
        "yahoo",
        ("EUR", "USD", "1.0810", iso(before)),
        ("USD", "JPY", "150.00", iso(before)),
        ("EUR", "USD", "1.0842", iso(latest)),
        ("USD", "JPY", "149.25", iso(latest)),
    )
    return latest


@pytest.fixture
def watcher(db):
    return get_user_model().objects.create_user("watcher", "watcher@example.com", "pw")


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user("stranger", "stranger@example.com", "pw")


@pytest.fixture
def fired(currencies):
    """fired(user, "EUR", "USD", "above", "1.08", rate="1.0842"): a rule of `user` and a
    firing of it, fired `ago` before now."""

    def fire(user, base, target, condition, threshold, *, rate, ago=timedelta(minutes=5), **kw):
        rule = AlertRule.objects.create(
            owner=user,
            base=base,
            target=target,
            condition=condition,
            threshold=Decimal(threshold),
            notify_email=False,
            name=kw.pop("name", ""),
        )
        when = timezone.now() - ago
        return AlertFiring.objects.create(
            rule=rule, rate=Decimal(rate), observed_at=when, source="yahoo", fired_at=when, **kw
        )

    return fire


# The browser fixtures and hooks of tests/pages (Debian's Chromium, screenshots of failures,
# ORM calls between Playwright's calls) serve the monitor's browser tests too.
from tests.pages.conftest import (  # noqa: E402, F401
    browser_type_launch_args,
    page,
    pytest_runtest_makereport,
    pytest_runtest_protocol,
)


@pytest.fixture
def signed_in(client, watcher, live_server):
    """Log `watcher` in for a browser: sign_in(page) gives the page the session's cookie."""
    client.force_login(watcher)
    cookie = client.cookies["sessionid"]

    def sign_in(browser_page):
        browser_page.context.add_cookies(
            [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
        )

    return sign_in
