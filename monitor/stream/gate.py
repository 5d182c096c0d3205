"""Opening a stream: the API's authentication, throttle and parameter rules, in DRF as every
other endpoint of /api/v1/ has them, run once when a client connects.

API keys (rates.api.auth), a DRF token or a session identify the caller; anonymous callers are
throttled per address as on the rest of the API (rates.api.auth.AnonymousThrottle, counted in
the same Redis window as the replayed reads). Errors use the API's envelope.
"""

import re
from dataclasses import dataclass

from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from monitor.live import live_pairs
from monitor.stream.events import id_order
from rates.api.auth import ApiKeyAuthentication
from rates.api.params import StrictParams, parse
from rates.reads import known_codes

PAIR = re.compile(r"^[A-Z]{3}/[A-Z]{3}$")
MAX_PAIRS = 100
LAST_EVENT_ID = "Last-Event-ID"


@dataclass(frozen=True)
class Opening:
    pairs: frozenset[str]
    owner: int | None  # the user whose alert firings the stream carries; None: rates only
    last_event: tuple[int, int] | None  # resume after this event


class PairListField(serializers.CharField):
    """Comma-separated pairs, e.g. `EUR/USD,USD/JPY`, of currencies Koel knows."""

    def to_internal_value(self, data) -> list[str]:
        pairs = list(
            dict.fromkeys(p.strip().upper() for p in super().to_internal_value(data).split(","))
        )
        bad = [pair for pair in pairs if not PAIR.match(pair)]
        if bad:
            raise serializers.ValidationError(f"Not pairs like EUR/USD: {', '.join(bad)}.")
        if len(pairs) > MAX_PAIRS:
            raise serializers.ValidationError(f"At most {MAX_PAIRS} pairs.")
        codes = {code for pair in pairs for code in pair.split("/")}
        unknown = sorted(codes - known_codes(codes))
        if unknown:
            raise serializers.ValidationError(f"Unknown currency code: {unknown[0]!r}.")
        same = [pair for pair in pairs if pair[:3] == pair[4:]]
        if same:
            raise serializers.ValidationError(f"A pair needs two different currencies: {same[0]}.")
        return pairs


class StreamParams(StrictParams):
    pairs = PairListField(required=False)


class FirstRenderer(BaseContentNegotiation):
    """Errors are JSON whatever the Accept header (an EventSource sends text/event-stream)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StreamGate(APIView):
    authentication_classes = [ApiKeyAuthentication, TokenAuthentication, SessionAuthentication]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRenderer

    def get(self, request) -> Response:
        params = parse(StreamParams, request.query_params)
        pairs = params.get("pairs") or [f"{base}/{target}" for base, target in live_pairs()]
        user = request.user
        owner = user.id if getattr(user, "pk", None) is not None else None  # a key has no user
        return Response(Opening(frozenset(pairs), owner, last_event(request)))


def last_event(request) -> tuple[int, int] | None:
    given = request.headers.get(LAST_EVENT_ID, "").strip()
    if not given:
        return None
    try:
        return id_order(given)
    except ValueError:
        raise serializers.ValidationError(
            {LAST_EVENT_ID: ["Not an event id of this stream."]}
        ) from None


gate = StreamGate.as_view()
