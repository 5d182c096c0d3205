"""The signed-in user's own alert firings, as the monitor page shows them: how many fired per
pair and per condition over the last days, and the newest ones in order. Test firings (sent
from the alerts page to try a channel) are left out: no rate crossed anything.

Plain JSON-ready data: the page renders it on the server and /monitor/alerts/ answers the same
to the page's script when a firing arrives on the stream or the page is polling."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from alerts.models import AlertFiring, Condition

# The distribution counts this many days back; the timeline lists this many firings.
DISTRIBUTION_DAYS = 30
TIMELINE_LENGTH = 30


def firing_summary(user) -> dict | None:
    """{"days", "total", "by_pair": [{"key": "EUR/USD", "label", "count"}], "by_condition":
    [{"key": "above", "label", "count"}], "timeline": [firing…]} of `user`'s rules (every
    condition listed, the pairs that fired most first); None for an anonymous user."""
    if not user.is_authenticated:
        return None
    since = timezone.now() - timedelta(days=DISTRIBUTION_DAYS)
    own = AlertFiring.objects.filter(rule__owner=user, is_test=False)
    recent = own.filter(fired_at__gte=since)
    by_pair = (
        recent.values_list("rule__base", "rule__target")
        .annotate(n=Count("id"))
        .order_by("-n", "rule__base", "rule__target")
    )
    by_condition = dict(recent.values_list("rule__condition").annotate(n=Count("id")))
    timeline = own.select_related("rule").order_by("-fired_at", "-id")[:TIMELINE_LENGTH]
    return {
        "days": DISTRIBUTION_DAYS,
        "total": sum(by_condition.values()),
        "by_pair": [{"key": f"{b}/{t}", "label": f"{b}/{t}", "count": n} for b, t, n in by_pair],
        "by_condition": [
            {"key": value, "label": label, "count": by_condition.get(value, 0)}
            for value, label in Condition.choices
        ],
        "timeline": [firing_event(firing) for firing in timeline],
    }


def firing_event(firing: AlertFiring) -> dict:
    """A firing in the shape of the stream's `firing` event (docs/monitor.md), its decimals
    without trailing zeros, and the rule's own name ("" when it has none)."""
    rule = firing.rule
    return {
        "id": firing.id,
        "rule": rule.id,
        "rule_name": str(rule),
        "name": rule.name,
        "pair": f"{rule.base}/{rule.target}",
        "condition": rule.condition,
        "threshold": _plain(rule.threshold),
        "rate": _plain(firing.rate),
        "reference_rate": _plain(firing.reference_rate),
        "observed_at": firing.observed_at.isoformat(),
        "fired_at": firing.fired_at.isoformat(),
    }


def _plain(value: Decimal | None) -> str | None:
    """A stored decimal without trailing zeros, never in exponent form (10, not 1E+1)."""
    return None if value is None else format(value.normalize(), "f")
