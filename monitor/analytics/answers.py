"""What the analytics endpoints answer, as plain data (the views add caching and HTTP)."""

from monitor.analytics.selectors import (
    Grid,
    Series,
    correlation,
    pair_series,
    volatility,
)


def volatility_answer(params: dict) -> dict:
    grid = params["grid"]
    annualize = params["annualize"]
    found = [volatility(s, grid, annualize=annualize) for s in pair_series(params["pairs"], grid)]
    return {
        **_window(params, grid),
        "annualize": annualize,
        "periods_per_year": grid.periods_per_year,
        "pairs": [
            {
                **_series(v.series, v.observations, v.reason),
                "volatility": v.deviation,
                "annualized": v.annualized,
            }
            for v in found
        ],
    }


def correlation_answer(params: dict) -> dict:
    grid = params["grid"]
    found = correlation(pair_series(params["pairs"], grid))
    return {
        **_window(params, grid),
        "pairs": [_name(s) for s in found.series],
        "observations": found.observations,
        "matrix": found.matrix,
        "reason": found.reason,
        "series": [
            _series(s, s.observations, reason)
            for s, reason in zip(found.series, found.reasons, strict=True)
        ],
    }


def _window(params: dict, grid: Grid) -> dict:
    return {
        "window": params["window"],
        "interval": str(grid.interval),
        "start": grid.start.isoformat(),
        "end": grid.end.isoformat(),
        "buckets": grid.slots,
    }


def _series(series: Series, observations: int, reason: str | None) -> dict:
    base, target = series.pair
    return {
        "pair": _name(series),
        "base": base,
        "target": target,
        "path": series.path,
        "via": series.via,
        "buckets": series.buckets,
        "observations": observations,
        "reason": reason,
    }


def _name(series: Series) -> str:
    return "/".join(series.pair)
