"""What bench/api.py's uncached rows ask: questions that really miss, and the proof that they did.

A conversion's amount is applied to a cached rate, so a new amount is no longer a new question:
an uncached row varies what the answer is made of — the pair, the instant (`at=`), the range
(`start`/`end`) — and never asks the same question twice while its answer could still be cached.
Two ways, named in the output:

* **distinct questions** (`cycle=False`): the row's paths are all different and there are more of
  them than the run can ask (each wrk thread has its own share; bench/api.py checks that no
  thread reached the end of its share). The cache is cleared between runs, so rounds cannot
  share answers either.
* **as after an ingest** (`cycle=True`): "latest" has only so many questions (a pair among the
  currencies quoted on the newest day, or one of them as base), so the row cycles through them
  while a thread bumps the cache versions of those currencies and the generation every 20 ms
  to 1 s (often enough that no wrk thread asks a question twice in between), as a write of
  their rates does (`rates.cache.bump_on_commit`): every question comes round again only
  after its answer went stale.

Either way bench/api.py counts the cache entries each run stored (answers, not replay entries or
throttle counters): a row whose every request was a miss stores about one per request.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from math import gcd
from pathlib import Path

from django.core.cache import cache
from django.db import connection

from rates.cache import bump_on_commit

FIRST_DAY = date(1999, 1, 4)  # the ECB history's first day, a Monday
YEAR = timedelta(days=365)
# Cache keys of the server's prefix that are no answer (bench/api.py counts answers stored).
NOT_ANSWERS = ("throttle:", "replay:", "rates:")


@dataclass(frozen=True)
class Space:
    """The questions of one uncached row: a path template filled with a base (and a target when
    `targets` is given), and, when `days` > 0, a weekday from FIRST_DAY (`{day}`) or a year from
    it (`{start}`, `{end}`), spread through the history rather than in order."""

    template: str
    bases: tuple[str, ...]
    targets: tuple[str, ...] = ()
    days: int = 0
    cycle: bool = False
    how: str = ""  # what varies, for the output

    @property
    def combos(self) -> list[tuple[str, str]]:
        if not self.targets:
            return [(base, "") for base in self.bases]
        return [(b, t) for b in self.bases for t in self.targets if b != t]

    @property
    def size(self) -> int:
        return len(self.combos) * max(self.days, 1)

    def paths(self, offset: int = 0) -> Iterator[str]:
        """Every question once, starting at `offset` (another round, other questions first)."""
        combos, size = self.combos, self.size
        step = _coprime_step(self.days)
        for i in range(size):
            index = (i + offset) % size
            base, target = combos[index % len(combos)]
            day = _weekday((index // len(combos)) * step % self.days) if self.days else None
            yield self.template.format(
                base=base,
                target=target,
                day=day,
                start=day,
                end=day + YEAR if day else None,
            )

    def write(self, path: Path, limit: int, offset: int = 0) -> int:
        """The first `limit` questions (all of them when cycling), one a line; how many."""
        count = self.size if self.cycle else min(self.size, limit)
        path.write_text("\n".join(islice(self.paths(offset), count)) + "\n")
        return count


def _weekday(k: int) -> date:
    # Weekdays only: the ECB publishes on working days; a weekend would ask Friday's rates again.
    return FIRST_DAY + timedelta(days=k // 5 * 7 + k % 5)


def weekdays_until(last: date) -> int:
    """How many weekdays from FIRST_DAY to `last`, both included: `_weekday(k)` for k below it
    is at most `last`."""
    days = (last - FIRST_DAY).days + 1
    return days // 7 * 5 + min(days % 7, 5)


def _coprime_step(days: int) -> int:
    # Consecutive questions on days far apart (other partitions, not one month's pages in a row);
    # coprime with `days`, so the first `days` multiples are all different days.
    step = 7919  # a prime
    while days and gcd(step, days) != 1:
        step += 2
    return step


def ecb_currencies(newest: date) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(currencies quoted on the newest ECB day, those of them quoted on every ECB day), EUR
    included: the ones a latest question, resp. a question at any instant, can be about."""
    sql = """
        SELECT target_id, max(observed_at) >= %(newest)s, count(*) = max(count(*)) OVER ()
        FROM rates_exchangerate
        WHERE base_id = 'EUR' AND source_id = 'ecb'
          AND observed_at >= %(first)s AND observed_at < %(after)s
        GROUP BY target_id ORDER BY target_id
    """
    bounds = {
        "first": _midnight(FIRST_DAY),
        "newest": _midnight(newest),
        "after": _midnight(newest + timedelta(days=1)),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, bounds)
        rows = cursor.fetchall()
    current = sorted({"EUR", *(code for code, now, _ in rows if now)})
    always = sorted({"EUR", *(code for code, now, every_day in rows if now and every_day)})
    return tuple(current), tuple(always)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Bumper:
    """While in use, bumps the cache versions of `codes` and the generation every `interval`
    seconds, from a thread of this process: what a write of their rates does once it commits."""

    def __init__(self, codes: tuple[str, ...], interval: float) -> None:
        self.codes, self.interval = codes, interval
        self.bumps = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-bumper", daemon=True)

    def __enter__(self) -> "Bumper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                bump_on_commit(self.codes)  # outside a transaction: at once
                self.bumps += 1
                self._stop.wait(self.interval)
        finally:
            connection.close()  # the thread's own (on_commit asks it whether it autocommits)


def bump_interval(space: Space, fastest_rps: float) -> float:
    """Seconds between bumps so that, at `fastest_rps` (no miss is faster than the bare Django
    view), a thread asks at most half its share of a cycling row's questions between two bumps.
    At least 20 ms: each bump costs the server a round of misses and Redis a few commands."""
    return min(1.0, max(0.020, space.size / (2 * max(fastest_rps, 1.0))))


def stored_answers(prefix: str) -> int:
    """Cache entries of the server's prefix that are answers (what a miss stores)."""
    client = cache.client.get_client(write=False)
    skip = tuple(f"{prefix}:{cache.version}:{kind}".encode() for kind in NOT_ANSWERS)
    return sum(
        1 for key in client.scan_iter(match=f"{prefix}:*", count=2000) if not key.startswith(skip)
    )
