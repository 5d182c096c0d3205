"""What each read endpoint answers, as plain data (the views add caching and HTTP).

Latest rates are blended (rates.reads.blending) where sources quote the pair; what no source quotes
is answered through the selectors (inverse, then cross via a pivot). Rates at an instant come
from the selectors directly. Decimals are strings: a rate is exactly what was stored.
"""

import csv
import io
from datetime import UTC
from decimal import Decimal, localcontext

from rates.exceptions import RateNotFound
from rates.models import Currency
from rates.reads.blending import Blend, latest_for_base
from rates.reads.history import rate_history
from rates.reads.resolution import DERIVED, invert
from rates.reads.selectors import (
    ARITHMETIC,
    rate_get,
    rates_for_base,
    require_known,
    round_amount,
)
from rates.types import Quote, RatePath

from .params import Moment


def rates_targets(params: dict) -> list[str]:
    """The targets a rates request asks for: `target`, `symbols`, or every active currency."""
    if "target" in params:
        return [params["target"]]
    if params.get("symbols"):
        return params["symbols"]
    active = Currency.objects.filter(active=True).exclude(code=params["base"])
    return list(active.values_list("code", flat=True))


def rates_answer(params: dict, wanted: list[str]) -> dict:
    """The answer about `wanted` targets (see rates_targets)."""
    base, at = params["base"], params.get("at")
    require_known([base, *wanted])
    if at is None:
        items = _latest_items(base, wanted, params.get("source"), params.get("expand"))
    else:
        found = {q.target: q for q in rates_for_base(base=base, targets=wanted, at=at.instant)}
        items = {t: _quote_item(q) for t, q in found.items()}
    for target, item in items.items():
        item["target"] = target
    if not items:
        where = "" if at is None else f" at {at.instant.isoformat()}"
        raise RateNotFound(f"No rate from {base} to {', '.join(wanted[:10])}{where}.")
    amount = params.get("amount")
    digits = _digits(items) if amount is not None else {}
    rates = []
    for target in wanted:
        if target in items:
            item = items[target]
            if amount is not None:
                item["converted"] = str(_convert(amount, Decimal(item["rate"]), digits[target]))
            rates.append(item)
    return {
        "base": base,
        **_requested(at),
        "amount": None if amount is None else str(amount),
        "rates": rates,
        "missing": [t for t in wanted if t not in items],
    }


def convert_answer(params: dict) -> dict:
    base, target, at = params["from"], params["to"], params.get("date")
    require_known([base, target])
    if at is None:
        items = _latest_items(base, [target], None, None)
        item = items.get(target)
        if item is None:
            raise RateNotFound(f"No rate from {base} to {target}.")
    else:
        item = _quote_item(rate_get(base=base, target=target, at=at.instant))
    amount = params["amount"]
    converted = _convert(amount, Decimal(item["rate"]), _digits({target: item})[target])
    return {
        "from": base,
        "to": target,
        "amount": str(amount),
        "converted": str(converted),
        **_requested(at),
        **{k: item[k] for k in ("rate", "observed_at", "rate_date", "source", "sources")},
        **{k: item[k] for k in ("derived", "path", "via")},
    }


def history_answer(params: dict) -> dict:
    history = rate_history(
        base=params["base"],
        target=params["target"],
        start=params["start_instant"],
        end=params["end_instant"],
        interval=params["interval"],
        source=params.get("source"),
    )
    buckets = history.buckets
    first, last = buckets[0].open, buckets[-1].close
    change = last - first
    return {
        "base": history.base,
        "target": history.target,
        "interval": str(history.interval),
        "start": params["start_instant"].isoformat(),
        "end": params["end_instant"].isoformat(),
        "path": str(history.path),
        "via": history.via,
        "summary": {
            "min": str(min(b.low for b in buckets)),
            "max": str(max(b.high for b in buckets)),
            "first": str(first),
            "last": str(last),
            "change": str(change),
            "change_pct": str(DERIVED.multiply(DERIVED.divide(change, first), 100)),
        },
        "points": [
            {
                "start": b.start.isoformat(),
                "value": str(b.close),
                "open": str(b.open),
                "high": str(b.high),
                "low": str(b.low),
                "close": str(b.close),
                "count": b.count,
                "last_observed_at": b.last_observed_at.isoformat(),
            }
            for b in buckets
        ],
    }


def history_csv(answer: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = ["start", "value", "open", "high", "low", "close", "count", "last_observed_at"]
    writer.writerow(columns)
    for point in answer["points"]:
        writer.writerow([point[c] for c in columns])
    return out.getvalue().encode()


def _latest_items(base, targets, source, expand) -> dict[str, dict]:
    return {
        target: _blend_item(answer, expand == "sources")
        if isinstance(answer, Blend)
        else _quote_item(answer)
        for target, answer in latest_for_base(base=base, targets=targets, source=source).items()
    }


def _blend_item(blend: Blend, expand: bool) -> dict:
    used = blend.used
    direct = any(not q.inverse for q in used)
    item = _item(
        rate=blend.rate,
        observed_at=blend.observed_at,
        sources=list(blend.sources),
        derived=blend.derived,
        path=RatePath.DIRECT if direct else RatePath.INVERSE,
        via=None,
    )
    if expand:
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
            for q in blend.quotes
        ]
    return item


def _quote_item(quote: Quote) -> dict:
    return _item(
        rate=quote.rate,
        observed_at=quote.observed_at,
        sources=list(quote.sources),
        derived=quote.derived,
        path=quote.path,
        via=quote.via,
    )


def _item(*, rate, observed_at, sources, derived, path, via) -> dict:
    return {
        "rate": str(rate),
        "inverse": str(invert(rate)),
        "observed_at": observed_at.astimezone(UTC).isoformat(),
        "rate_date": observed_at.astimezone(UTC).date().isoformat(),
        "source": sources[0] if len(sources) == 1 else "blend",
        "sources": sources,
        "derived": derived,
        "path": str(path),
        "via": via,
    }


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


def _digits(items: dict) -> dict[str, tuple[int, int]]:
    rows = Currency.objects.filter(code__in=list(items)).values_list(
        "code", "decimal_digits", "rounding"
    )
    return {code: (digits, rounding) for code, digits, rounding in rows}


def _convert(amount: Decimal, rate: Decimal, digits: tuple[int, int]) -> Decimal:
    with localcontext(ARITHMETIC):
        return round_amount(amount * rate, *digits)
