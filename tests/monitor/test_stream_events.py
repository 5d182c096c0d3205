"""The stream delivers what committed, only that, in order, and resumes after a reconnect."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from monitor.models import LivePair
from rates.ingest.services import rates_upsert
from rates.types import RateRow
from tests.monitor.sse import Stream

pytestmark = pytest.mark.usefixtures("committed_catalog")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def land(base: str, target: str, rate: str, minutes: int = 0, source: str = "ecb") -> None:
    row = RateRow(base, target, Decimal(rate), T0 + timedelta(minutes=minutes))
    rates_upsert(source=source, rows=[row])


def open_stream(base: str, query: str = "?pairs=EUR/USD", **headers) -> Stream:
    stream = Stream(base, f"/api/v1/stream/{query}", headers)
    assert stream.status == 200, stream.body()
    return stream


def test_a_committed_ingest_arrives_as_a_rate_event(stream_server):
    with open_stream(stream_server) as stream:
        assert stream.response.getheader("Content-Type") == "text/event-stream"
        land("EUR", "USD", "1.0842")
        message = stream.next_event()

    assert message.event == "rate"
    assert message.id
    assert message.json() == {
        "pair": "EUR/USD",
        "base": "EUR",
        "target": "USD",
        "rate": "1.0842",
        "observed_at": "2026-12-07T09:00:00+00:00",
        "source": "ecb",
        "derived": False,
    }


def test_a_rolled_back_ingest_sends_nothing(stream_server):
    with open_stream(stream_server) as stream:
        with transaction.atomic():
            land("EUR", "USD", "1.5000")
            transaction.set_rollback(True)
        assert stream.quiet_for(1.0)
        land("EUR", "USD", "1.0901", minutes=1)
        message = stream.next_event()

    assert message.json()["rate"] == "1.0901"  # the next committed one; never the rolled-back


def test_only_the_chosen_pairs_arrive(stream_server):
    with open_stream(stream_server, "?pairs=usd/jpy") as stream:
        land("EUR", "USD", "1.0842")
        land("USD", "JPY", "150.25")
        message = stream.next_event()

    assert (message.json()["pair"], message.json()["rate"]) == ("USD/JPY", "150.25")


def test_without_pairs_the_live_pairs_arrive(stream_server):
    LivePair.objects.all().delete()
    LivePair.objects.create(base="GBP", target="USD", position=1)
    with open_stream(stream_server, "") as stream:
        land("EUR", "USD", "1.0842")
        land("GBP", "USD", "1.2700")
        message = stream.next_event()

    assert message.json()["pair"] == "GBP/USD"


def test_a_reconnecting_client_gets_what_it_missed_in_order(stream_server):
    with open_stream(stream_server) as stream:
        land("EUR", "USD", "1.0001", minutes=1)
        first = stream.next_event()
    land("EUR", "USD", "1.0002", minutes=2)
    land("USD", "JPY", "150.00", minutes=2)  # not a chosen pair: not replayed
    land("EUR", "USD", "1.0003", minutes=3)

    with open_stream(stream_server, **{"Last-Event-ID": first.id}) as stream:
        missed = [stream.next_event(), stream.next_event()]
        land("EUR", "USD", "1.0004", minutes=4)
        live = stream.next_event()

    assert [m.json()["rate"] for m in missed] == ["1.0002", "1.0003"]
    assert live.json()["rate"] == "1.0004"
    assert first.id < missed[0].id < missed[1].id < live.id  # same-length ids from one clock


def test_an_unknown_last_event_id_is_a_400(stream_server):
    stream = Stream(stream_server, "/api/v1/stream/?pairs=EUR/USD", {"Last-Event-ID": "abc"})

    assert stream.status == 400
    assert b'"field":"Last-Event-ID"' in stream.body()


def test_a_quiet_stream_gets_heartbeats_and_one_retry(stream_server):
    with open_stream(stream_server) as stream:
        opening = stream.next(timeout=2)
        beat = stream.next(timeout=2)

    assert (opening.comments, opening.data) == ([], "")  # `retry: …` only
    assert beat.comments == ["heartbeat"]
