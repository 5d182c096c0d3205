"""The OpenAPI examples and error responses of Koel's API (rates.api.views), kept apart from the
views so that those read as what they do."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from .serializers import ErrorResponse

BAD_REQUEST = OpenApiResponse(
    ErrorResponse,
    description="A parameter is missing, malformed or unknown (named in `field`).",
    examples=[
        OpenApiExample(
            "unknown currency",
            {
                "error": {
                    "code": "unknown_currency",
                    "message": "Unknown currency code: 'XYZ'",
                    "field": "base",
                }
            },
        )
    ],
)
NOT_FOUND = OpenApiResponse(
    ErrorResponse,
    description="No rate answers the question.",
    examples=[
        OpenApiExample(
            "no rate",
            {"error": {"code": "not_found", "message": "No rate USD -> XAU.", "field": None}},
        )
    ],
)
THROTTLED = OpenApiResponse(ErrorResponse, description="Too many requests; see Retry-After.")

RATES = OpenApiExample(
    "pair with amount",
    {
        "base": "USD",
        "requested_at": None,
        "requested_date": None,
        "amount": "100",
        "rates": [
            {
                "target": "EUR",
                "rate": "0.9223",
                "inverse": "1.08424590697170118",
                "observed_at": "2026-11-25T06:00:00+00:00",
                "rate_date": "2026-11-25",
                "source": "blend",
                "sources": ["floatrates", "open_er_api"],
                "derived": False,
                "path": "direct",
                "via": None,
                "stale": False,
                "age_seconds": 5400,
                "converted": "92.23",
            }
        ],
        "missing": [],
    },
    response_only=True,
)

CONVERT = OpenApiExample(
    "USD to JPY",
    {
        "from": "USD",
        "to": "JPY",
        "amount": "250",
        "converted": "38589",
        "requested_at": None,
        "requested_date": None,
        "rate": "154.356",
        "observed_at": "2026-11-25T06:00:00+00:00",
        "rate_date": "2026-11-25",
        "source": "open_er_api",
        "sources": ["open_er_api"],
        "derived": False,
        "path": "direct",
        "via": None,
        "stale": False,
        "age_seconds": 5400,
    },
    response_only=True,
)

HISTORY = OpenApiExample(
    "two days of EUR to JPY",
    {
        "base": "EUR",
        "target": "JPY",
        "interval": "day",
        "start": "2024-01-02T00:00:00+00:00",
        "end": "2024-01-04T00:00:00+00:00",
        "path": "direct",
        "via": None,
        "summary": {
            "min": "155.61",
            "max": "156.08",
            "first": "155.61",
            "last": "156.08",
            "change": "0.47",
            "change_pct": "0.302037144142407300",
        },
        "points": [
            {
                "start": "2024-01-02T00:00:00+00:00",
                "value": "155.61",
                "open": "155.61",
                "high": "155.61",
                "low": "155.61",
                "close": "155.61",
                "count": 1,
                "last_observed_at": "2024-01-02T15:00:00+00:00",
            },
            {
                "start": "2024-01-03T00:00:00+00:00",
                "value": "156.08",
                "open": "156.08",
                "high": "156.08",
                "low": "156.08",
                "close": "156.08",
                "count": 1,
                "last_observed_at": "2024-01-03T15:00:00+00:00",
            },
        ],
    },
    response_only=True,
)
