"""The stream's events: what is published to Redis, and the SSE frame a subscriber is sent.

A published event is four fields: its kind (`rate` or `firing`), the pair it is about, the id of
the user it is for (firings only; 0 for everyone) and its data as JSON. Redis gives it its id
(the replay log's stream id, e.g. `1765115231000-0`), which is also the SSE event id.
"""

import json
from dataclasses import dataclass

from rates.types import RateRow

RATE, FIRING = "rate", "firing"
EVERYONE = 0


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    pair: str  # "EUR/USD"
    owner: int  # the user a firing is for; EVERYONE for rates
    data: str  # JSON

    def fields(self) -> tuple[str, str, str, str]:
        return self.kind, self.pair, str(self.owner), self.data


@dataclass(frozen=True, slots=True)
class Landed:
    """An event as it came back from Redis, with its id and its SSE frame made once for every
    subscriber it goes to."""

    id: str
    order: tuple[int, int]  # the id as numbers, to compare
    event: Event
    frame: bytes


def landed(event_id: str, kind: str, pair: str, owner: str, data: str) -> Landed:
    event = Event(kind, pair, int(owner), data)
    frame = f"event: {kind}\nid: {event_id}\ndata: {data}\n\n".encode()
    return Landed(event_id, id_order(event_id), event, frame)


def id_order(event_id: str) -> tuple[int, int]:
    """A stream id (`<ms>-<seq>`) as numbers; ValueError when it is not one."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def rate_event(row: RateRow, source: str) -> Event:
    pair = f"{row.base}/{row.target}"
    data = {
        "pair": pair,
        "base": row.base,
        "target": row.target,
        "rate": str(row.rate),
        "observed_at": row.observed_at.isoformat(),
        "source": source,
        "derived": row.derived,
    }
    return Event(RATE, pair, EVERYONE, json.dumps(data, separators=(",", ":")))


def firing_event(firing) -> Event:
    """The event of one stored alerts.models.AlertFiring (its rule loaded)."""
    rule = firing.rule
    pair = f"{rule.base}/{rule.target}"
    reference = firing.reference_rate
    data = {
        "id": firing.id,
        "rule": rule.id,
        "rule_name": str(rule),
        "pair": pair,
        "condition": rule.condition,
        "threshold": str(rule.threshold),
        "rate": str(firing.rate),
        "reference_rate": None if reference is None else str(reference),
        "observed_at": firing.observed_at.isoformat(),
        "fired_at": firing.fired_at.isoformat(),
    }
    return Event(FIRING, pair, rule.owner_id, json.dumps(data, separators=(",", ":")))
