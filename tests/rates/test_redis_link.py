"""rates.redis_link: the read path's Redis calls on the thread's own connection, against the real
Redis, readable by django-redis and the other way round."""

import pytest
import redis
from django.core.cache import cache
from redis.exceptions import ResponseError

from rates import redis_link
from rates.cache import catalog_pinned, catalog_token, raw_key, snapshot


def test_objects_put_are_read_by_django_redis_and_back():
    redis_link.put_object(raw_key("linked"), {"rate": "1.1"}, seconds=60)
    cache.set("from-django", ("a", 1))

    assert cache.get("linked") == {"rate": "1.1"}
    assert redis_link.get_object(raw_key("from-django")) == ("a", 1)
    assert redis_link.get_object(raw_key("absent")) is None
    assert 55 <= cache.ttl("linked") <= 60


def test_replies_come_in_order_from_one_call():
    key = raw_key("counter")

    assert redis_link.run(("INCR", key), ("INCR", key), ("GET", key)) == [1, 2, b"2"]


def test_an_error_reply_is_raised_and_leaves_the_connection_in_step():
    key = raw_key("text")
    redis_link.run(("SET", key, "not a number"))

    with pytest.raises(ResponseError):
        redis_link.run(("INCR", key), ("GET", key))

    # The GET's reply was read with the error: the next call gets its own replies.
    assert redis_link.run(("GET", key)) == [b"not a number"]


def test_a_killed_connection_raises_once_then_reconnects():
    (own_id,) = redis_link.run(("CLIENT", "ID"))
    cache.client.get_client(write=True).execute_command("CLIENT", "KILL", "ID", own_id)

    with pytest.raises((redis.ConnectionError, OSError)):
        redis_link.run(("PING",))

    assert redis_link.run(("PING",)) == [b"PONG"]


def test_a_snapshot_names_the_catalog_and_pins_it_for_the_answer_built_under_it():
    taken = snapshot(["EUR"])

    with catalog_pinned(taken.catalog_token):
        assert catalog_token().startswith(f"{taken.catalog_token}.")
    assert catalog_token() == f"{taken.catalog_token}.{catalog_token().rsplit('.', 1)[1]}"


def test_a_flushed_catalog_token_is_made_again_by_the_next_snapshot():
    first = snapshot(["EUR"]).catalog_token
    cache.delete("rates:catalog:token")

    second = snapshot(["EUR"]).catalog_token

    assert second != first
    assert snapshot(["EUR"]).catalog_token == second == catalog_token().rsplit(".", 1)[0]
