"""Writes of rules and test notifications (the admin and the API call these)."""

from django.db import transaction
from django.utils import timezone

from alerts.delivery import deliveries_create
from alerts.evaluation import firing_for
from alerts.models import AlertFiring, AlertRule
from rates.exceptions import KoelError
from rates.reads import rate_for


class NoRateToSend(Exception):
    """A test notification needs a current rate of the rule's pair."""


@transaction.atomic
def firing_test_send(*, rule: AlertRule) -> AlertFiring:
    """A firing marked as a test, with the pair's current rate, delivered over every channel
    of the rule; the rule's state (armed, cooldown) is left alone."""
    try:
        answer = rate_for(rule.base, rule.target)
    except KoelError as exc:
        raise NoRateToSend(f"{rule}: {exc}") from exc
    firing = firing_for(rule, answer, None, timezone.now(), test=True)
    firing.save()
    deliveries_create(firings=[firing])
    return firing
