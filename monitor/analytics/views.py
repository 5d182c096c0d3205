"""GET /api/v1/analytics/volatility/ and /correlation/: validate, answer, cache.

Answers are cached like the API's other reads (rates.http.caching.cached_answer): under the
versions of the pairs' currencies and the pivots (a cross rate reads both legs), so a tick that
lands invalidates them. A window ending now moves without any write: such an answer lives at most
KOEL_API_MAX_AGE seconds, like a latest rate.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from monitor.analytics import answers
from monitor.analytics.params import CorrelationParams, VolatilityParams
from monitor.analytics.serializers import CORRELATION, VOLATILITY, CorrelationOut, VolatilityOut
from rates.api.examples import BAD_REQUEST, THROTTLED
from rates.api.params import parse
from rates.http.caching import Answer, cached_answer
from rates.reads import pivots

METHOD = (
    " Each bucket's value is the pair's last rate observed in it (direct, inverse or cross, as "
    "every reader of Koel gets the pair); log returns ln(close_t / close_t−1) are taken between "
    "adjacent buckets only, so a gap (a bucket without a rate) is not spanned. Buckets follow "
    "the interval's UTC grid (days from midnight, weeks from Monday); the window is "
    "[end − window, end), its first and last bucket possibly partial."
)


def _cached(request: Request, params: dict, build) -> object:
    codes = {code for pair in params["pairs"] for code in pair}
    max_seconds = settings.KOEL_API_MAX_AGE if params["latest"] else None

    def answer() -> Answer:
        return Answer(200, build(params), max_seconds=max_seconds)

    # The pairs are in the key: without `pairs`, they are the live group's, editable in admin.
    vary = (tuple(params["pairs"]),)
    return cached_answer(request, answer, depends_on={*codes, *pivots()}, vary=vary)


def _documented(name: str, summary: str, description: str, params, answer, example):
    return extend_schema(
        operation_id=f"analytics_{name}",
        summary=summary,
        description=description + METHOD,
        parameters=[params],
        responses={200: answer, 400: BAD_REQUEST, 429: THROTTLED},
        examples=[example],
    )


class VolatilityView(APIView):
    @_documented(
        "volatility",
        "Volatility of pairs: standard deviation of log returns",
        "Per pair, the sample standard deviation (n − 1) of its log returns over the window, "
        "per interval, with the number of returns used (`observations`). With "
        "`annualize=true`, also × sqrt(`periods_per_year`), the periods of a 365-day year "
        "(calendar buckets, not trading days): sqrt(365) for days, sqrt(105120) for 5 "
        "minutes. Null, with a `reason`, below 2 returns; 0 for a pair that did not move.",
        VolatilityParams,
        VolatilityOut,
        VOLATILITY,
    )
    def get(self, request: Request):
        params = parse(VolatilityParams, request.query_params)
        return _cached(request, params, answers.volatility_answer)


class CorrelationView(APIView):
    @_documented(
        "correlation",
        "Correlation matrix of pairs' log returns",
        "Pearson correlation of the pairs' log returns at the buckets where every pair has "
        "one (`observations` says how many), pairs in the order asked (2 to 20). Null where "
        "undefined: below 2 common returns (`reason`), or for a pair whose returns there are "
        "constant, which has no variance (that series' `reason`).",
        CorrelationParams,
        CorrelationOut,
        CORRELATION,
    )
    def get(self, request: Request):
        params = parse(CorrelationParams, request.query_params)
        return _cached(request, params, answers.correlation_answer)
