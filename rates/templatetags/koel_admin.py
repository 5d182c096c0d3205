"""Filters of the admin dashboard's template."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def span(value: timedelta | None) -> str:
    """A duration in its two largest units: "2 d 3 h", "6 h 30 min", "4 min"; "—" for None."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")]
    first = next((i for i, (n, _) in enumerate(parts) if n), None)
    if first is None:
        return "under a minute"
    return " ".join(f"{n} {unit}" for n, unit in parts[first : first + 2] if n)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
