"""What each read endpoint answers, as plain data (the views add caching and HTTP).

Every rate comes from rates.reads (`rate_for`, `rates_for_base`: the one rule for which quote
wins), every conversion from `rates.reads.convert`'s arithmetic. Decimals are strings: a rate is
exactly what was stored. An amount is applied to an answer after the cache (`with_amount`,
`converted`), so one cached answer serves every amount.

Latest rates say how old they are: `age_seconds` (when the answer was built; answers are rebuilt
at least every KOEL_API_MAX_AGE seconds) and `stale`, true once the rate is older than its pair's
refresh window (KOEL_BLEND_WINDOW_HOURS: the group's schedule).
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from rates.exceptions import RateNotFound
from rates.reads import active_codes, apply_rate, history, invert, rate_for, rates_for_base
from rates.reads.resolution import DERIVED
from rates.types import Bucket, RateAnswer

from .params import Moment


def rates_targets(params: dict) -> list[str]:
    """The targets a rates request asks for: `target`, `symbols`, or every active currency."""
    if "target" in params:
        return [params["target"]]
    if params.get("symbols"):
        return params["symbols"]
    return [code for code in active_codes() if code != params["base"]]


def rates_answer(params: dict, wanted: list[str]) -> dict:
    """The answer about `wanted` targets (see rates_targets), without an amount."""
    base, at = params["base"], params.get("at")
    instant = None if at is None else at.instant
    found = rates_for_base(base, targets=wanted, at=instant, source=params.get("source"))
    if not found:
        where = "" if at is None else f" at {instant.isoformat()}"
        raise RateNotFound(f"No rate from {base} to {', '.join(wanted[:10])}{where}.")
    now = timezone.now() if at is None else None
    expand = params.get("expand") == "sources"
    return {
        "base": base,
        **_requested(at),
        "amount": None,
        "rates": [
            {**_item(found[t], now, inverse=True, expand=expand), "target": t}
            for t in wanted
            if t in found
        ],
        "missing": [t for t in wanted if t not in found],
    }


def with_amount(answer: dict, digits: dict[str, tuple[int, int]], amount: Decimal) -> dict:
    """A rates answer with `amount` converted at each of its (cached) rates."""
    rates = [
        {**item, "converted": converted(amount, item["rate"], digits[item["target"]])}
        for item in answer["rates"]
    ]
    return {**answer, "amount": str(amount), "rates": rates}


def convert_answer(params: dict) -> dict:
    """The rate a conversion uses, without the amount (see `with_converted`)."""
    base, target, at = params["from"], params["to"], params.get("date")
    try:
        answer = rate_for(base, target, at=None if at is None else at.instant)
    except RateNotFound:
        if at is None:
            raise RateNotFound(f"No rate from {base} to {target}.") from None
        raise
    now = timezone.now() if at is None else None
    return {"from": base, "to": target, **_requested(at), **_item(answer, now)}


def with_converted(answer: dict, digits: tuple[int, int], amount: Decimal) -> dict:
    """A conversion: `amount` at the (cached) rate of `answer`."""
    result = {"from": answer["from"], "to": answer["to"], "amount": str(amount)}
    result["converted"] = converted(amount, answer["rate"], digits)
    return {**result, **answer}


def converted(amount: Decimal, rate: str, digits: tuple[int, int]) -> str:
    return str(apply_rate(amount, Decimal(rate), digits))


def _item(answer: RateAnswer, now: datetime | None, *, inverse=False, expand=False) -> dict:
    observed_at = answer.observed_at.astimezone(UTC)
    item = {"rate": str(answer.rate)}
    if inverse:
        item["inverse"] = str(invert(answer.rate))
    item.update(
        observed_at=observed_at.isoformat(),
        rate_date=observed_at.date().isoformat(),
        source=answer.sources[0] if len(answer.sources) == 1 else "blend",
        sources=list(answer.sources),
        derived=answer.derived,
        path=str(answer.path),
        via=answer.via,
    )
    if now is not None:
        item["stale"] = answer.stale(now)
        item["age_seconds"] = max(0, int(answer.age(now).total_seconds()))
    if expand and answer.quotes:
        item["quotes"] = [
            {
                "source": q.source,
                "rate": str(q.rate),
                "observed_at": q.observed_at.isoformat(),
                "inverse": q.inverse,
                "derived": q.derived,
                "excluded": q.excluded,
                "reason": q.reason or None,
            }
            for q in answer.quotes
        ]
    return item


def _requested(at: Moment | None) -> dict:
    """What was asked. For the latest rates both are null: the answer is whatever is newest (each
    rate's observed_at says when that was), and a cached answer must not carry the time of the
    request that first computed it."""
    if at is None:
        return {"requested_at": None, "requested_date": None}
    return {
        "requested_at": at.instant.astimezone(UTC).isoformat(),
        "requested_date": (at.day or at.instant.astimezone(UTC).date()).isoformat(),
    }


def history_answer(params: dict) -> dict:
    found = history(
        params["base"],
        params["target"],
        start=params["start_instant"],
        end=params["end_instant"],
        interval=params["interval"],
        source=params.get("source"),
    )
    buckets = found.buckets
    first, last = buckets[0].open, buckets[-1].close
    change = last - first
    return {
        "base": found.base,
        "target": found.target,
        "interval": str(found.interval),
        "start": params["start_instant"].isoformat(),
        "end": params["end_instant"].isoformat(),
        "path": str(found.path),
        "via": found.via,
        "summary": {
            "min": str(min(b.low for b in buckets)),
            "max": str(max(b.high for b in buckets)),
            "first": str(first),
            "last": str(last),
            "change": str(change),
            "change_pct": str(DERIVED.multiply(DERIVED.divide(change, first), 100)),
        },
        "points": [_point(b) for b in buckets],
    }


def _point(bucket: Bucket) -> dict:
    close = str(bucket.close)
    return {
        "start": _iso(bucket.start),
        "value": close,
        "open": str(bucket.open),
        "high": str(bucket.high),
        "low": str(bucket.low),
        "close": close,
        "count": bucket.count,
        "last_observed_at": _iso(bucket.last_observed_at),
    }


# Instants as text, remembered: histories share their bucket starts (every daily history of a
# year has the same ~365) and the sources' publication times, and formatting them was a tenth of
# an uncached history's CPU. Keyed with the time zone: equal instants in two zones print apart.
_ISO: dict[tuple[datetime, object], str] = {}
_ISO_MAX = 65_536


def _iso(moment: datetime) -> str:
    key = (moment, moment.tzinfo)
    text = _ISO.get(key)
    if text is None:
        if len(_ISO) >= _ISO_MAX:
            _ISO.clear()  # a bound, not an LRU: refilled by the next few histories
        text = _ISO[key] = moment.isoformat()
    return text
