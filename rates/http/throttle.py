"""The anonymous clients' request budget: a fixed window counted in Redis.

Shared by DRF's throttle (rates.api.auth.AnonymousThrottle) and the replay of stored answers
(rates.http.replay), so that a client's requests count the same whichever of the two answers them.
INCR is atomic: concurrent requests cannot slip past the limit, as they can with DRF's
read-modify-write history list.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from rates.cache import raw_key
from rates.redis_link import run

# Set in the WSGI environ by a request the anonymous throttle counted: its stored answer, when
# replayed, must be counted too (rates.http.replay).
COUNTED = "koel.throttle.counted"
# Set in the WSGI environ by the replay's lookup when it counted the request already (it counts
# every request to a path whose answers are counted, replayed or not): the throttle takes that
# count rather than counting the request twice.
PRECOUNTED = "koel.throttle.precounted"


@dataclass(frozen=True)
class Window:
    key: str  # the Redis key of this client's counter for the current window
    limit: int
    seconds: int
    retry_after: int  # seconds until the window ends

    @property
    def expiry(self) -> int:
        """Seconds the counter is kept: the window and a second's slack for clock edges."""
        return self.seconds + 1


def anonymous_window(
    ident: str, now: float | None = None, make_key: Callable[[str], str] = raw_key
) -> Window | None:
    """The current window of client `ident`, or None when anonymous requests are not limited.
    `make_key` turns a cache key into its Redis key (rates.http.replay passes the resolved one)."""
    rate = settings.KOEL_ANON_RATE  # read per request, so a settings change applies
    if not rate:
        return None
    limit, duration = SimpleRateThrottle.parse_rate(None, rate)
    seconds = int(duration)
    now = int(time.time() if now is None else now)
    start = now - now % seconds
    return Window(make_key(f"throttle:{ident}:{start}"), limit, seconds, start + seconds - now)


def count(window: Window) -> int:
    """Count one request in `window`; the number of requests in it so far (one round trip)."""
    counted, _ = run(("INCR", window.key), ("EXPIRE", window.key, window.expiry))
    return counted
