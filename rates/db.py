"""Database helpers for the read path."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from psycopg.types.datetime import TimestamptzLoader

from rates import replica


@contextmanager
def fast_cursor() -> Iterator:
    """A Django cursor that loads timestamptz values with psycopg's C loader.

    Django registers a Python subclass of psycopg's TimestamptzLoader on every connection (to
    attach its time zone), and on a year of daily buckets that loader was most of the client's
    time (bench/queries.py). psycopg swaps the plain class for its C implementation, which gives
    the same aware datetimes in the session's time zone: UTC, which Django sets when USE_TZ is on.
    """
    with read_connection().cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        yield cursor


def read_connection():
    """The connection rates.reads' raw queries go through: the primary, or the streaming
    replica when rates.replica says it has every committed write."""
    return connections[replica.read_alias()]
