"""Source health and the circuit breaker.

Closed: the source is tried. After KOEL_BREAKER_FAILURES consecutive failures the circuit opens:
the source is skipped until KOEL_BREAKER_COOLDOWN_MINUTES have passed. Then it is half-open: the
next run tries it once; success closes the circuit, failure opens it for another cool-down.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from rates.models import Source


class Circuit(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True)
class Availability:
    usable: bool
    reason: str  # why not, or the circuit state when usable


def circuit_state(source: Source, now: datetime | None = None) -> Circuit:
    now = now or timezone.now()
    if source.consecutive_failures < settings.KOEL_BREAKER_FAILURES:
        return Circuit.CLOSED
    if source.circuit_open_until and now < source.circuit_open_until:
        return Circuit.OPEN
    return Circuit.HALF_OPEN


def source_availability(source: Source, now: datetime | None = None) -> Availability:
    """Whether a scrape may use `source` now, and why not."""
    if not source.enabled:
        return Availability(False, "disabled")
    if source.api_key_setting and not getattr(settings, source.api_key_setting, ""):
        return Availability(False, f"no API key ({source.api_key_setting} is empty)")
    state = circuit_state(source, now)
    if state is Circuit.OPEN:
        until = source.circuit_open_until.isoformat(timespec="seconds")
        return Availability(False, f"circuit open until {until}")
    return Availability(True, str(state))


def source_attempt_record(code: str, *, ok: bool, seconds: float, error: str = "") -> None:
    """Count one attempt of a source; opens the circuit on the Nth consecutive failure."""
    now = timezone.now()
    counters = {"attempts": F("attempts") + 1, "total_latency": F("total_latency") + seconds}
    if ok:
        Source.objects.filter(code=code).update(
            **counters,
            successes=F("successes") + 1,
            last_success_at=now,
            consecutive_failures=0,
            circuit_open_until=None,
        )
        return
    Source.objects.filter(code=code).update(
        **counters,
        last_failure_at=now,
        last_error=error[:2000],
        consecutive_failures=F("consecutive_failures") + 1,
    )
    cooldown = timedelta(minutes=settings.KOEL_BREAKER_COOLDOWN_MINUTES)
    Source.objects.filter(
        code=code, consecutive_failures__gte=settings.KOEL_BREAKER_FAILURES
    ).update(circuit_open_until=now + cooldown)
