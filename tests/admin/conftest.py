"""Fixtures of the admin's tests: the broker the "scrape now" tasks are sent to."""

import base64
import json

import pytest

from tests.broker import broker_redis


@pytest.fixture
def broker():
    """The Celery broker's default queue (Redis), emptied of what the test sent: `sent()` is
    the tasks sent so far as (task name, task id, args)."""
    with broker_redis() as client:
        yield from _watched(client)


def _watched(client):
    before = client.llen("celery")

    class Broker:
        @staticmethod
        def sent() -> list[tuple[str, str, list]]:
            # LPUSH puts new messages at the head: the test's are the first len - before (the
            # queue may hold others' leftovers: it is a shared Redis's).
            fresh = client.llen("celery") - before
            raws = client.lrange("celery", 0, fresh - 1) if fresh > 0 else []
            messages = [json.loads(raw) for raw in raws]
            return [(m["headers"]["task"], m["headers"]["id"], _args(m["body"])) for m in messages]

    yield Broker()
    # LPUSH puts new messages at the head: whatever the test sent is the first len - before.
    sent = client.llen("celery") - before
    if sent > 0:
        client.ltrim("celery", sent, -1)


def _args(body: str) -> list:
    # Celery's message protocol 2: the body is [args, kwargs, embed], JSON, base64-encoded.
    return json.loads(base64.b64decode(body))[0]
