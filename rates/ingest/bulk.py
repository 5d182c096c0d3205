"""The SQL steps of rates.ingest.services.rates_upsert; nothing else should call these.

A batch is streamed as COPY text either straight into rates_exchangerate (when no stored row can
share its keys: a scraper's steady state) or into a temporary staging table merged with
INSERT … ON CONFLICT (re-imports and back-fills). The source's newest quote per pair is folded
into its rates_latestrates rows (one per base) in Python and written back, 155 rows per scrape.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg.errors
from django.db import IntegrityError, connection, transaction

from rates.types import RateRow

COLUMNS = "base_id, target_id, observed_at, source_id, rate, derived"

# Rows per COPY message: the server parses one chunk while the next is formatted.
CHUNK_ROWS = 2000

_STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS koel_ingest_stage (
    base_id varchar(3) NOT NULL,
    target_id varchar(3) NOT NULL,
    observed_at timestamptz NOT NULL,
    source_id varchar(40) NOT NULL,
    rate numeric NOT NULL,
    derived boolean NOT NULL
)
"""

# Unchanged rows are left alone, so a re-import rewrites nothing and reports 0 written.
_MERGE_STAGE = f"""
INSERT INTO rates_exchangerate AS r ({COLUMNS})
SELECT {COLUMNS} FROM koel_ingest_stage
ON CONFLICT (base_id, target_id, observed_at, source_id) DO UPDATE
    SET rate = EXCLUDED.rate, derived = EXCLUDED.derived
    WHERE (r.rate, r.derived) IS DISTINCT FROM (EXCLUDED.rate, EXCLUDED.derived)
"""  # noqa: S608 - COLUMNS is a constant

_LATEST_STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS koel_latest_stage (
    base_id varchar(3) NOT NULL,
    quotes text NOT NULL,
    newest timestamptz NOT NULL
)
"""

_WRITE_LATEST = """
INSERT INTO rates_latestrates (base_id, source_id, quotes, newest)
SELECT base_id, %s, quotes, newest FROM koel_latest_stage
ON CONFLICT (base_id, source_id) DO UPDATE SET quotes = EXCLUDED.quotes, newest = EXCLUDED.newest
"""

# How many of a batch's possibly colliding keys are looked up before trying the direct COPY.
SAMPLE_KEYS = 64


@dataclass(frozen=True, slots=True)
class StoredLatest:
    """One rates_latestrates row as the write path needs it."""

    newest: datetime
    quotes: str  # JSON {target: [rate, observed_at, derived]}


class Batch:
    """A validated, deduplicated batch of one source, with what the SQL steps need from it."""

    def __init__(self, source: str, rows: Iterable[RateRow]) -> None:
        self.source = source
        unique: dict[tuple, RateRow] = {}
        for row in rows:
            unique[(row.base, row.target, row.observed_at)] = row  # the last one wins
        self.rows = list(unique.values())
        self.newest_per_pair, instants = _newest_per_pair(self.rows)
        self.first, self.last = min(instants), max(instants)
        # A batch has few distinct instants: each is formatted once.
        self._iso: dict[datetime, str] = {moment: moment.isoformat() for moment in instants}

    def iso(self, moment: datetime) -> str:
        return self._iso[moment]

    def copy_chunks(self) -> Iterator[bytes]:
        """The rows in COPY's text format (COLUMNS order), CHUNK_ROWS rows per chunk.

        Formatted by hand rather than with psycopg's per-row `write_row`: the values are
        validated codes, Decimals, booleans and a few distinct instants, so each line is one
        f-string; bench/ingest.py measures both.
        """
        source = _copy_escape(self.source)
        iso = self._iso
        for start in range(0, len(self.rows), CHUNK_ROWS):
            lines = [
                f"{row.base}\t{row.target}\t{iso[row.observed_at]}\t{source}\t"
                f"{row.rate}\t{'t' if row.derived else 'f'}\n"
                for row in self.rows[start : start + CHUNK_ROWS]
            ]
            yield "".join(lines).encode()


def lock_source(source: str) -> None:
    """Serialise writers of one source until commit: the direct-COPY decision and the
    rates_latestrates rows must not race with another batch of the same source."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('koel.ingest'), hashtext(%s))", [source]
        )


def stored_latest(source: str, bases: Iterable[str]) -> dict[str, StoredLatest]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT base_id, newest, quotes FROM rates_latestrates "
            "WHERE source_id = %s AND base_id = ANY(%s)",
            [source, sorted(set(bases))],
        )
        return {base: StoredLatest(newest, quotes) for base, newest, quotes in cursor.fetchall()}


def risky_rows(batch: Batch, stored: dict[str, StoredLatest]) -> list[RateRow]:
    """Rows that could share a key with a stored row: not newer than anything the source ever
    gave for their base (`newest` only grows, so a newer row cannot collide)."""
    return [
        row
        for row in batch.rows
        if row.base in stored and row.observed_at <= stored[row.base].newest
    ]


def any_stored(source: str, rows: list[RateRow]) -> bool:
    """Whether any of (up to SAMPLE_KEYS, spread over) `rows` is already stored."""
    step = max(1, len(rows) // SAMPLE_KEYS)
    sample = rows[::step][:SAMPLE_KEYS]
    keys = ", ".join(["(%s, %s, %s::timestamptz)"] * len(sample))
    params = [value for row in sample for value in (row.base, row.target, row.observed_at)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM rates_exchangerate WHERE source_id = %s "  # noqa: S608
            f"AND (base_id, target_id, observed_at) IN ({keys}))",
            [source, *params],
        )
        return cursor.fetchone()[0]


def copy_or_merge(batch: Batch, meanwhile: Callable[[], None]) -> int:
    """COPY straight into rates_exchangerate; if a key turns out to be stored already, merge.

    `meanwhile` runs once the rows are sent, while the server is still parsing them.
    """
    try:
        with transaction.atomic():  # a savepoint: a failed COPY leaves the transaction usable
            _copy_into("rates_exchangerate", batch, meanwhile)
            return len(batch.rows)
    except (IntegrityError, psycopg.errors.UniqueViolation):
        return merge(batch, meanwhile)


def merge(batch: Batch, meanwhile: Callable[[], None]) -> int:
    """Upsert through the staging table; returns the rows inserted or changed."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_DDL)
        cursor.execute("TRUNCATE koel_ingest_stage")
        _copy_into("koel_ingest_stage", batch, meanwhile)
        cursor.execute(_MERGE_STAGE)
        written = cursor.rowcount
        cursor.execute("TRUNCATE koel_ingest_stage")
    return written


class LatestFold:
    """The source's rates_latestrates rows once the batch is in: each base's stored quotes with
    the batch's newer ones folded in. Pure Python, so it can run while a COPY is in flight."""

    def __init__(self, batch: Batch, stored: dict[str, StoredLatest]) -> None:
        self.batch = batch
        self.stored = stored
        self._rows: list[tuple[str, str, datetime]] | None = None

    def __call__(self) -> None:
        if self._rows is None:
            self._rows = [
                (base, *self._folded(targets, self.stored.get(base)))
                for base, targets in self.batch.newest_per_pair.items()
            ]

    def write(self) -> None:
        self()
        with connection.cursor() as cursor:
            cursor.execute(_LATEST_STAGE_DDL)
            cursor.execute("TRUNCATE koel_latest_stage")
            sql = "COPY koel_latest_stage (base_id, quotes, newest) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in self._rows:
                    copy.write_row(row)
            cursor.execute(_WRITE_LATEST, [self.batch.source])
            cursor.execute("TRUNCATE koel_latest_stage")

    def _folded(
        self, incoming: dict[str, RateRow], held: StoredLatest | None
    ) -> tuple[str, datetime]:
        """One base's quotes JSON after the batch, and its new `newest`."""
        iso = self.batch.iso
        quotes = json.loads(held.quotes) if held else {}
        times = [row.observed_at for row in incoming.values()]
        if held is None or min(times) > held.newest:  # every incoming quote is newer
            fresh = incoming.items()
        else:  # at the same instant the batch wins: it overwrote that stored row too
            fresh = [
                (target, row)
                for target, row in incoming.items()
                if target not in quotes
                or datetime.fromisoformat(quotes[target][1]) <= row.observed_at
            ]
        quotes.update({t: [str(r.rate), iso(r.observed_at), r.derived] for t, r in fresh})
        newest = max(times) if held is None else max(held.newest, *times)
        return json.dumps(quotes, separators=(",", ":")), newest


def changed_pairs(
    newest_per_pair: dict[str, dict[str, RateRow]], stored: dict[str, StoredLatest]
) -> dict[tuple[str, str], RateRow]:
    """{(base, target): the batch's newest row} of the pairs whose latest quote of this source
    the batch changes: a new pair, a newer observation at another rate, or a new rate at the
    stored instant. A re-sent quote (same rate, however new) changes nothing a watcher sees."""
    changed = {}
    for base, targets in newest_per_pair.items():
        held = stored.get(base)
        quotes = json.loads(held.quotes) if held else {}
        for target, row in targets.items():
            quote = quotes.get(target)
            if quote is None or (
                Decimal(quote[0]) != row.rate
                and datetime.fromisoformat(quote[1]) <= row.observed_at
            ):
                changed[(base, target)] = row
    return changed


def _copy_into(table: str, batch: Batch, meanwhile: Callable[[], None]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy,
    ):
        for chunk in batch.copy_chunks():
            copy.write(chunk)
        meanwhile()  # leaving the block waits for the server to finish the COPY


def _newest_per_pair(rows: list[RateRow]) -> tuple[dict[str, dict[str, RateRow]], set[datetime]]:
    """{base: {target: newest row}}, and the distinct instants of `rows`."""
    newest: dict[str, dict[str, RateRow]] = {}
    instants: set[datetime] = set()
    for row in rows:
        instants.add(row.observed_at)
        targets = newest.setdefault(row.base, {})
        held = targets.get(row.target)
        if held is None or held.observed_at <= row.observed_at:
            targets[row.target] = row
    return newest, instants


def _copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )
