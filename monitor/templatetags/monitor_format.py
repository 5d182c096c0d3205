from datetime import UTC, datetime

from django import template

register = template.Library()


@register.filter
def utc_minute(value: str | None) -> str:
    """An ISO-8601 instant of the snapshot or a firing as "2026-01-05 16:01 UTC" (as
    monitor.js writes the ones that arrive later)."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# (seconds in the unit, its symbol): the largest unit that fits an age names it.
_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


@register.filter
def age_text(seconds: int | None) -> str:
    """ "42 s ago", "3 min ago", "2 h ago" (monitor.js ticks it on in the same words)."""
    if seconds is None:
        return ""
    size, unit = next((size, unit) for size, unit in _UNITS if seconds >= size or size == 1)
    return f"{max(seconds, 0) // size} {unit} ago"


# How a firing's condition reads in the timeline (monitor.js words it the same).
_CONDITIONS = {"above": "above {}", "below": "below {}", "change_pct": "moved {} % or more"}


@register.filter
def firing_words(firing: dict) -> str:
    """ "above 1.08 (euro up)": the rule's condition and threshold, then its name if it has
    one."""
    words = _CONDITIONS[firing["condition"]].format(firing["threshold"])
    return f"{words} ({firing['name']})" if firing["name"] else words
