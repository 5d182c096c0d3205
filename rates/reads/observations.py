"""Loading stored observations: each source's latest quotes, or the observation in force at an
instant. The only module of rates.reads that reads rate tables (history aggregates its own).

"Latest" reads never touch the partitioned table: they use rates_latestrates, one row per (base,
source) whose JSON text holds every target's newest quote; the rows travel whole and Python picks
the wanted entries out (json.loads of a row is cheaper than PostgreSQL's jsonb conversion of it,
which was most of a base's query). Queries on the partitioned table carry both bounds on
observed_at as timezone-aware values, so PostgreSQL prunes partitions while planning (an unbounded
query plans over and locks all ~340 monthly partitions).
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings

from rates.db import fast_cursor, read_connection
from rates.reads.catalog import catalog
from rates.reads.checks import require_aware
from rates.types import Observation

# The rates_latestrates rows of these bases, whole: each holds every target's newest quote as
# JSON text, which Python parses faster than PostgreSQL converts it. The sources' priorities and
# the currencies' groups come from the catalog this process holds (rates.reads.catalog).
_LATEST_SQL = (
    "SELECT base_id, source_id, quotes FROM rates_latestrates WHERE base_id = ANY(%s::text[])"
)
# The same rows, each with the newest observation held of any base, as UTC text (loaded as a
# timestamptz it cost ~12 µs a row: Django's loader is Python; the text ~3 µs). The aggregate
# reads the table's small heap rows once (the quotes are TOASTed, never read by it).
_LATEST_NEWEST_SQL = (
    "SELECT base_id, source_id, quotes,"
    " ((SELECT max(newest) FROM rates_latestrates) AT TIME ZONE 'UTC')::text"
    " FROM rates_latestrates WHERE base_id = ANY(%s::text[])"
)

# Among observations of one pair: the newest; at the same instant a quoted rate beats a derived
# one, then the source with the better (lower) priority.
_AT_SQL = """
SELECT DISTINCT ON (r.base_id, r.target_id)
       r.base_id, r.target_id, r.rate, r.observed_at, r.source_id, r.derived
FROM rates_exchangerate r JOIN rates_source s ON s.code = r.source_id
WHERE r.observed_at > %(since)s AND r.observed_at <= %(at)s
  AND r.base_id = ANY(%(bases)s) AND r.target_id = ANY(%(targets)s) {source_filter}
ORDER BY 1, 2, 4 DESC, 6, s.priority, 5
"""

# The same for several instants at once: of each (instant, pair) asked, the observation in force
# at the instant `w.at` within the lookback window. The outer bounds on observed_at (the earliest
# window's start, the latest instant) are constants, so PostgreSQL still prunes partitions while
# planning.
_AT_MANY_SQL = """
SELECT DISTINCT ON (w.n, r.base_id, r.target_id)
       w.n, r.base_id, r.target_id, r.rate, r.observed_at, r.source_id, r.derived
FROM unnest(%(ns)s::int[], %(bases)s::text[], %(targets)s::text[]) AS w(n, base, target)
JOIN rates_exchangerate r ON r.base_id = w.base AND r.target_id = w.target
  AND r.observed_at > (%(ats)s::timestamptz[])[w.n] - %(lookback)s
  AND r.observed_at <= (%(ats)s::timestamptz[])[w.n]
JOIN rates_source s ON s.code = r.source_id
WHERE r.observed_at > %(since)s AND r.observed_at <= %(until)s
ORDER BY 1, 2, 3, 5 DESC, 7, s.priority, 6
"""

Ranked = tuple[Observation, int]  # an observation and its source's priority
# The priority of a source the held catalog does not know yet (added since it was read): last.
UNRANKED = 2**15


def latest_quotes(
    *, bases: Iterable[str], targets: Iterable[str], groups: dict[str, str] | None = None
) -> list[Ranked]:
    """Every source's latest observation of each stored pair (b, t), with the source's priority;
    the groups of the currencies met are added to `groups`."""
    found = []
    for b, t, rate, when, derived, source, priority, base_group, target_group in latest_rows(
        [(bases, targets)]
    ):
        found.append((Observation(b, t, rate, when, source, derived), priority))
        if groups is not None:
            groups[b], groups[t] = base_group, target_group
    return found


def latest_rows(blocks: Sequence[tuple[Iterable[str], Iterable[str]]]) -> list[tuple]:
    """(base, target, rate, observed_at, derived, source, priority, base group, target group):
    every source's latest quote of each stored pair (b, t) of any block (bases, targets), of
    currencies Koel knows, in one query."""
    wanted = _wanted_targets(blocks)
    return _decoded(_fetched(_LATEST_SQL, wanted), wanted)


def latest_rows_newest(
    blocks: Sequence[tuple[Iterable[str], Iterable[str]]],
) -> tuple[list[tuple], datetime | None]:
    """`latest_rows(blocks)` and, from the same statement, the newest observation Koel holds of
    any base (None when the blocks' bases have no row): no quote of any pair is newer."""
    wanted = _wanted_targets(blocks)
    rows = _fetched(_LATEST_NEWEST_SQL, wanted)
    newest = datetime.fromisoformat(rows[0][3]).replace(tzinfo=UTC) if rows else None
    return _decoded(rows, wanted), newest


def _wanted_targets(blocks: Sequence[tuple[Iterable[str], Iterable[str]]]) -> dict:
    wanted: dict[str, set[str]] = {}
    for bases, targets in blocks:
        targets = set(targets)
        for base in bases:
            wanted.setdefault(base, set()).update(targets)
    return wanted


def _fetched(sql: str, wanted: dict[str, set[str]]) -> list[tuple]:
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [_text_array(sorted(wanted))])
        return cursor.fetchall()


def _decoded(rows: list[tuple], wanted: dict[str, set[str]]) -> list[tuple]:
    """The wanted quotes of the fetched rows, as `latest_rows` gives them."""
    if not rows:
        return []
    held_catalog = catalog()
    groups, priorities = held_catalog.groups, held_catalog.priorities
    found = []
    for base, source, quotes, *_newest in rows:
        base_group = groups.get(base)
        if base_group is None:
            continue
        priority = priorities.get(source, UNRANKED)
        held = json.loads(quotes)
        for target in wanted[base]:
            quote, target_group = held.get(target), groups.get(target)
            if quote is not None and target_group is not None:
                rate, when, derived = quote
                when = datetime.fromisoformat(when)
                found.append(
                    (
                        base,
                        target,
                        Decimal(rate),
                        when,
                        derived,
                        source,
                        priority,
                        base_group,
                        target_group,
                    )
                )
    return found


def _text_array(codes: list[str]) -> str | list[str]:
    """Codes (letters only) as one array literal: psycopg's dumping of a list, element by
    element, was a tenth of a base's read. Anything else is left to psycopg."""
    if all(code.isalpha() and code.isascii() for code in codes):
        return "{" + ",".join(codes) + "}"
    return codes


def latest_observations(*, bases: Iterable[str], targets: Iterable[str]) -> dict:
    """{(base, target): Observation}: of each stored pair, the one source's latest observation
    that is newest (at the same instant quoted beats derived, then the better priority)."""
    ranked: dict[tuple[str, str], tuple] = {}
    for observation, priority in latest_quotes(bases=bases, targets=targets):
        rank = (observation.observed_at, not observation.derived, -priority)
        pair = (observation.base, observation.target)
        held = ranked.get(pair)
        if held is None or rank > held[0]:
            ranked[pair] = (rank, observation)
    return {pair: observation for pair, (_rank, observation) in ranked.items()}


def observations_at(
    *, bases: Iterable[str], targets: Iterable[str], at: datetime, source: str | None = None
) -> dict:
    """{(base, target): Observation} in force at `at`: the newest at or before it within
    KOEL_RATE_LOOKBACK_DAYS (`source`: of that source only)."""
    require_aware(at, "at")
    lookback = timedelta(days=settings.KOEL_RATE_LOOKBACK_DAYS)
    params = {"bases": sorted(set(bases)), "targets": sorted(set(targets))}
    params.update(since=_before(at, lookback), at=at, source=source)
    source_filter = "" if source is None else "AND r.source_id = %(source)s"
    with fast_cursor() as cursor:
        cursor.execute(_AT_SQL.format(source_filter=source_filter), params)
        return {(row[0], row[1]): Observation(*row) for row in cursor.fetchall()}


def observations_at_instants(
    wanted: Mapping[datetime, Iterable[tuple[str, str]]],
) -> dict[datetime, dict]:
    """{at: {(base, target): Observation}}: of each instant's pairs the observation in force
    then (as `observations_at`), in one query whatever the number of pairs and instants."""
    for at in wanted:
        require_aware(at, "at")
    instants = list(wanted)
    found: dict[datetime, dict] = {at: {} for at in instants}
    # Each pair asked names its instant by number (1-based, as SQL arrays).
    asked = [(n, pair) for n, at in enumerate(instants, 1) for pair in set(wanted[at])]
    if not asked:
        return found
    lookback = timedelta(days=settings.KOEL_RATE_LOOKBACK_DAYS)
    params = {
        "ns": "{" + ",".join(str(n) for n, _ in asked) + "}",
        "bases": _text_array([base for _, (base, _) in asked]),
        "targets": _text_array([target for _, (_, target) in asked]),
        "ats": instants,
        "lookback": lookback,
        "since": _before(min(instants), lookback),
        "until": max(instants),
    }
    with fast_cursor() as cursor:
        cursor.execute(_AT_MANY_SQL, params)
        for n, *row in cursor.fetchall():
            found[instants[n - 1]][(row[0], row[1])] = Observation(*row)
    return found


def _before(at: datetime, span: timedelta) -> datetime:
    """`at - span`, or the earliest instant there is when that is before year 1."""
    try:
        return at - span
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def newest_observation(*, bases: Iterable[str] | None = None) -> datetime | None:
    """The newest observation Koel holds (of these bases' rows), None without any: what
    "latest" is relative to, rather than today."""
    sql, params = "SELECT max(newest) FROM rates_latestrates", {}
    if bases is not None:
        sql, params = f"{sql} WHERE base_id = ANY(%(bases)s)", {"bases": sorted(set(bases))}
    with fast_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
