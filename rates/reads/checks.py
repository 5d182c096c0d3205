"""Checks every read makes of its arguments before it touches the database."""

from datetime import datetime

from django.conf import settings

from rates.exceptions import InvalidQuery


def require_pair(base: str, target: str) -> None:
    if base == target:
        raise InvalidQuery(f"Base and target are both {base}.", field="target")


def require_aware(moment: datetime, field: str) -> None:
    if moment.tzinfo is None:
        # A naive bound cannot be compared at plan time and would scan every partition.
        raise InvalidQuery(f"{field} must carry a time zone.", field=field)


def not_found_message(base: str, target: str, at: datetime | None) -> str:
    if at is None:
        return f"No rate {base} -> {target}."
    days = settings.KOEL_RATE_LOOKBACK_DAYS
    return f"No rate {base} -> {target} in the {days} days up to {at.isoformat()}."
