"""GET /api/v1/monitor/live/: the live snapshot (monitor.live.live_snapshot), read-only, for
anyone, throttled like Koel's other API reads (REST_FRAMEWORK's default throttle)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from monitor.live import live_snapshot
from rates.api.examples import THROTTLED


class FeedOut(serializers.Serializer):
    state = serializers.ChoiceField(["up", "down", "idle"])
    reason = serializers.CharField(allow_null=True, help_text="Why it is down, or what it missed.")
    last_tick_at = serializers.DateTimeField(allow_null=True)
    source = serializers.CharField(allow_null=True, help_text="The source of most pairs.")
    interval_seconds = serializers.IntegerField(allow_null=True)


class LiveRateOut(serializers.Serializer):
    pair = serializers.CharField()
    base = serializers.CharField()
    target = serializers.CharField()
    rate = serializers.CharField(allow_null=True, help_text="1 base = rate target (a decimal).")
    open = serializers.CharField(allow_null=True, help_text="The rate in force at 00:00 UTC.")
    change_pct = serializers.CharField(allow_null=True, help_text="% change since the open.")
    source = serializers.CharField(allow_null=True)
    observed_at = serializers.DateTimeField(allow_null=True)
    derived = serializers.BooleanField()


class LiveSnapshotOut(serializers.Serializer):
    feed = FeedOut()
    pairs = LiveRateOut(many=True, help_text="The live pairs' latest live quotes, in order.")
    crosses = LiveRateOut(many=True, help_text="Every pair among the live currencies, derived.")


EXAMPLE = OpenApiExample(
    "feed up",
    {
        "feed": {
            "state": "up",
            "reason": None,
            "last_tick_at": "2026-12-07T14:30:00.412000+00:00",
            "source": "yahoo",
            "interval_seconds": 30,
        },
        "pairs": [
            {
                "pair": "EUR/USD",
                "base": "EUR",
                "target": "USD",
                "rate": "1.0842",
                "open": "1.0810",
                "change_pct": "0.296",
                "source": "yahoo",
                "observed_at": "2026-12-07T14:29:58+00:00",
                "derived": False,
            }
        ],
        "crosses": [
            {
                "pair": "GBP/JPY",
                "base": "GBP",
                "target": "JPY",
                "rate": "195.6113",
                "open": "195.2031",
                "change_pct": "0.209",
                "source": "koel",
                "observed_at": "2026-12-07T14:29:58+00:00",
                "derived": True,
            }
        ],
    },
)


class LiveSnapshotView(APIView):
    @extend_schema(
        operation_id="monitor_live",
        summary="The live feed: its state, the live pairs and their cross rates",
        description=(
            "The live pairs' latest quotes from the live sources (refreshed every "
            "`interval_seconds`), every cross rate among their currencies (derived by Koel "
            "each tick), each with its change since the rate in force at 00:00 UTC today. "
            "`feed.state` is `down` with a `reason` when no live source answered, the tick "
            "was refused by the politeness budget or no tick ran for three intervals."
        ),
        responses={200: LiveSnapshotOut, 429: THROTTLED},
        examples=[EXAMPLE],
        tags=["monitor"],
    )
    def get(self, request: Request) -> Response:
        return Response(live_snapshot())
