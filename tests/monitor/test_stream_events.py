"""The stream delivers what committed, only that, in order, and resumes after a reconnect.

Each test watches pairs of its own: the server may still be handing out the previous test's
last event when the next test's stream joins (harmless in use, but not what a test expects).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from monitor.models import LivePair
from monitor.stream.publish import channel_key
from rates.ingest.services import rates_upsert
from rates.types import RateRow
from tests.monitor.sse import Stream

pytestmark = pytest.mark.usefixtures("committed_catalog")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def land(base: str, target: str, rate: str, minutes: int = 0, source: str = "ecb") -> None:
    row = RateRow(base, target, Decimal(rate), T0 + timedelta(minutes=minutes))
    rates_upsert(source=source, rows=[row])


def open_stream(base: str, query: str, **headers) -> Stream:
    stream = Stream(base, f"/api/v1/stream/{query}", headers)
    assert stream.status == 200, stream.body()
    return stream


def test_a_committed_ingest_arrives_as_a_rate_event(stream_server):
    with open_stream(stream_server, "?pairs=EUR/JPY") as stream:
        assert stream.response.getheader("Content-Type") == "text/event-stream"
        land("EUR", "JPY", "162.25")
        message = stream.next_event()

    assert message.event == "rate"
    assert message.id
    assert message.json() == {
        "pair": "EUR/JPY",
        "base": "EUR",
        "target": "JPY",
        "rate": "162.25",
        "observed_at": "2026-12-07T09:00:00+00:00",
        "source": "ecb",
        "derived": False,
    }


def test_a_rolled_back_ingest_sends_nothing(stream_server):
    with open_stream(stream_server, "?pairs=EUR/CHF") as stream:
        with transaction.atomic():
            land("EUR", "CHF", "1.5000")
            transaction.set_rollback(True)
        assert stream.quiet_for(1.0)
        land("EUR", "CHF", "0.9401", minutes=1)
        message = stream.next_event()

    assert message.json()["rate"] == "0.9401"  # the next committed one; never the rolled-back


def test_only_the_chosen_pairs_arrive(stream_server):
    with open_stream(stream_server, "?pairs=aud/nzd") as stream:
        land("AUD", "USD", "0.6612")
        land("AUD", "NZD", "1.0825")
        message = stream.next_event()

    assert (message.json()["pair"], message.json()["rate"]) == ("AUD/NZD", "1.0825")


def test_without_pairs_the_live_pairs_arrive(stream_server):
    LivePair.objects.all().delete()
    LivePair.objects.create(base="GBP", target="USD", position=1)
    with open_stream(stream_server, "") as stream:
        land("GBP", "CAD", "1.7400")
        land("GBP", "USD", "1.2700")
        message = stream.next_event()

    assert message.json()["pair"] == "GBP/USD"


def test_a_reconnecting_client_gets_what_it_missed_in_order(stream_server):
    with open_stream(stream_server, "?pairs=EUR/SEK") as stream:
        land("EUR", "SEK", "11.0001", minutes=1)
        first = stream.next_event()
    land("EUR", "SEK", "11.0002", minutes=2)
    land("EUR", "NOK", "11.5000", minutes=2)  # not a chosen pair: not replayed
    land("EUR", "SEK", "11.0003", minutes=3)

    with open_stream(stream_server, "?pairs=EUR/SEK", **{"Last-Event-ID": first.id}) as stream:
        missed = [stream.next_event(), stream.next_event()]
        land("EUR", "SEK", "11.0004", minutes=4)
        live = stream.next_event()

    assert [m.json()["rate"] for m in missed] == ["11.0002", "11.0003"]
    assert live.json()["rate"] == "11.0004"
    assert first.id < missed[0].id < missed[1].id < live.id  # same-length ids from one clock


def test_an_unknown_last_event_id_is_a_400(stream_server):
    stream = Stream(stream_server, "/api/v1/stream/?pairs=EUR/USD", {"Last-Event-ID": "abc"})

    assert stream.status == 400
    assert b'"field":"Last-Event-ID"' in stream.body()


def test_a_quiet_stream_gets_heartbeats_and_one_retry(stream_server):
    with open_stream(stream_server, "?pairs=CHF/SEK") as stream:  # a pair no test writes
        opening = stream.next(timeout=2)
        beat = stream.next(timeout=2)

    assert (opening.comments, opening.data) == ([], "")  # `retry: …` only
    assert beat.comments == ["heartbeat"]


def test_the_channel_names_the_redis_database(settings):
    # Pub/sub is global to a Redis server: without the database in the name, a Koel on db 3
    # would hear the events of one on db 4.
    settings.REDIS_URL = "redis://127.0.0.1:6379/3"
    on_3 = channel_key()
    settings.REDIS_URL = "redis://127.0.0.1:6379/4"

    assert on_3.endswith(":db3")
    assert channel_key() == on_3.removesuffix("3") + "4"
