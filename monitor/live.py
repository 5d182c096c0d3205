"""Selectors of the live group."""

from monitor.models import LivePair


def live_pairs() -> list[tuple[str, str]]:
    """The active live pairs (base, target), in display order."""
    return list(LivePair.objects.filter(active=True).values_list("base", "target"))


def live_currencies() -> list[str]:
    """Every currency of the active live pairs, sorted."""
    return sorted({code for pair in live_pairs() for code in pair})
