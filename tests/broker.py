"""The Celery broker's Redis, as the Celery app itself connects to it: with the embedded Redis the
broker URL is kombu's `redis+socket://`, which redis-py cannot parse."""

from collections.abc import Iterator
from contextlib import contextmanager

from koel.celery import app


@contextmanager
def broker_redis() -> Iterator:
    """A redis-py client on the broker's database (the default queue is the list "celery")."""
    with app.connection_for_write() as connection:
        yield connection.default_channel.client
