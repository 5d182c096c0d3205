"""API views: validate parameters, hand over to rates.api.answers or the models, cache.

Read endpoints answer through rates.http.caching.cached_answer: versioned cache keys (a write
to a base invalidates every answer that read it), ETag / Last-Modified / Cache-Control, 304 on
a matching If-None-Match.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rates.http.caching import Answer, cached_answer
from rates.models import Currency, ScrapeRun, Source
from rates.reads import check_amount, currency_coverage, currency_digits, pivots
from rates.runs.services import run_queue

from . import answers, examples
from .examples import BAD_REQUEST, NOT_FOUND, THROTTLED
from .exports import EXPORTS, XLSX, CsvRenderer, XlsxRenderer, filename
from .finishers import CONVERT_AMOUNT, RATES_AMOUNT
from .negotiation import JSON
from .params import ConvertParams, HistoryParams, RatesParams, RunParams, parse
from .serializers import (
    ConvertOut,
    CurrencyDetailSerializer,
    CurrencySerializer,
    ErrorResponse,
    HistoryOut,
    QueuedRunOut,
    RatesOut,
    RunSerializer,
    SourceSerializer,
)


def _params(params_class, request: Request) -> dict:
    return parse(params_class, request.query_params)


def _answer(payload: dict, *, latest: bool, digits: list[str] | None = None) -> Answer:
    """A 200 whose Last-Modified is the newest observation it reports. A latest answer says how
    old its rates are, so it lives at most KOEL_API_MAX_AGE seconds. With `digits` (the targets
    an amount is converted to), the payload cached is the answer and those targets' minor units,
    which the view's `finish` applies the amount with."""
    instants = [r["observed_at"] for r in payload.get("rates", [])]
    if "observed_at" in payload:
        instants.append(payload["observed_at"])
    stored = payload if digits is None else {"answer": payload, "digits": currency_digits(digits)}
    max_seconds = settings.KOEL_API_MAX_AGE if latest else None
    return Answer(200, stored, last_modified=_newest(instants), max_seconds=max_seconds)


def _newest(instants: list[str]) -> datetime | None:
    return max(map(datetime.fromisoformat, instants), default=None)


def _depends(*codes: str) -> set[str]:
    """The bases whose rows an answer about these codes may read (pivots for cross rates)."""
    return {*codes, *pivots()}


class RatesView(APIView):
    @extend_schema(
        operation_id="rates",
        summary="Latest rates (or the rates at a date) for a base",
        description=(
            "One pair (`target`), chosen targets (`symbols`) or every active currency. Latest "
            "rates are the median of the sources quoting the pair within its refresh window, "
            "outliers excluded (see `expand=sources`); `source` pins one source. With `at`, "
            "the rate in force then. `requested_at`/`requested_date` say what was asked, each "
            "rate's `observed_at`/`rate_date` what answered it: a Friday rate on a Sunday shows. "
            "Latest rates are the newest Koel holds, however old: `stale` says when one is older "
            "than its pair's refresh window, `age_seconds` how old it is. An `amount` is applied "
            "to the cached rates."
        ),
        parameters=[RatesParams],
        responses={200: RatesOut, 400: BAD_REQUEST, 404: NOT_FOUND, 429: THROTTLED},
        examples=[
            examples.RATES,
        ],
    )
    def get(self, request: Request):
        params = _params(RatesParams, request)
        wanted = answers.rates_targets(params)
        depends_on = _depends(params["base"], *wanted)
        latest, amount = params.get("at") is None, params.get("amount")
        if amount is None:
            return cached_answer(
                request,
                lambda: _answer(answers.rates_answer(params, wanted), latest=latest),
                depends_on=depends_on,
            )
        check_amount(amount)

        def build() -> Answer:
            return _answer(answers.rates_answer(params, wanted), latest=latest, digits=wanted)

        return cached_answer(request, build, depends_on=depends_on, finish=RATES_AMOUNT)


class ConvertView(APIView):
    @extend_schema(
        operation_id="convert",
        summary="Convert an amount",
        description=(
            "`amount` of `from` in `to`, at the latest rate or the rate in force at the end of "
            "`date` (UTC), rounded to the target's minor unit, halves away from zero. At the "
            "latest rate, `stale` and `age_seconds` say how old that rate is."
        ),
        parameters=[ConvertParams],
        responses={200: ConvertOut, 400: BAD_REQUEST, 404: NOT_FOUND, 429: THROTTLED},
        examples=[
            examples.CONVERT,
        ],
    )
    def get(self, request: Request):
        params = _params(ConvertParams, request)
        base, target = params["from"], params["to"]
        check_amount(params["amount"])

        def build() -> Answer:
            latest = params.get("date") is None
            return _answer(answers.convert_answer(params), latest=latest, digits=[target])

        return cached_answer(
            request, build, depends_on=_depends(base, target), finish=CONVERT_AMOUNT
        )


HISTORY_ERRORS = {400: BAD_REQUEST, 404: NOT_FOUND, 429: THROTTLED}


class HistoryView(APIView):
    # JSON first: no Accept header, or */*, gets JSON (rates.api.negotiation).
    renderer_classes = [JSONRenderer, CsvRenderer, XlsxRenderer]

    @extend_schema(
        operation_id="history",
        summary="History of a pair in buckets",
        description=(
            "Minute, 5-minute, 15-minute, hour, day, week or month buckets between `start` and "
            "`end` with each bucket's value (its last rate) and open/high/low/close, plus min, "
            "max, change and percentage change over the range. `format=csv` answers text/csv, "
            "`format=xlsx` an XLSX workbook (sheets History and Summary: number cells, which "
            "spreadsheets hold as doubles, and UTC date cells); without `format`, the Accept "
            "header chooses (text/csv, " + XLSX + "). A workbook comes with a "
            "Content-Disposition filename. Errors are JSON whatever was asked."
        ),
        parameters=[HistoryParams],
        responses={
            (200, "application/json"): HistoryOut,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX): OpenApiTypes.BINARY,
            **{(code, JSON): answer for code, answer in HISTORY_ERRORS.items()},
        },
        examples=[
            examples.HISTORY,
        ],
    )
    def get(self, request: Request):
        params = _params(HistoryParams, request)
        kind = params.get("format") or request.accepted_renderer.format
        export = EXPORTS.get(kind)

        def build() -> Answer:
            answer = answers.history_answer(params)
            modified = _newest([p["last_observed_at"] for p in answer["points"]])
            if export is None:
                return Answer(200, answer, last_modified=modified)
            body = export.write(answer)
            return Answer(200, body, last_modified=modified, content_type=export.media_type)

        depends_on = _depends(params["base"], params["target"])
        response = cached_answer(request, build, depends_on=depends_on, vary=(kind,))
        if export is not None and export.named and response.status_code in (200, 304):
            name = filename(params, export.extension)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def handle_exception(self, exc):
        # An error is the API's JSON envelope, also when Accept asked for a file.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSON
        return super().handle_exception(exc)


class StrictBooleanFilter(filters.ChoiceFilter):
    """`true` or `false` (also 1/0, any case); anything else is a 400 naming the field, where
    django-filter's BooleanFilter reads `active=maybe` as "not given" and lists everything."""

    SPELLINGS = {"true": True, "1": True, "false": False, "0": False}

    def __init__(self, **kwargs) -> None:
        spellings = [*self.SPELLINGS, "True", "False", "TRUE", "FALSE"]
        super().__init__(choices=[(word, word) for word in spellings], **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(**{self.field_name: self.SPELLINGS[value.lower()]})


class CurrencyFilter(filters.FilterSet):
    active = StrictBooleanFilter(help_text="true or false.")

    class Meta:
        model = Currency
        fields = ["active", "group"]


class ComparableLookup:
    """A looked-up value PostgreSQL cannot compare with text (one holding a NUL byte:
    `/currencies/%00/`) is a 404 like any other unknown one, not a DataError and a 500."""

    def get_object(self):
        if "\x00" in self.kwargs[self.lookup_url_kwarg or self.lookup_field]:
            raise NotFound()
        return super().get_object()


LIST_ERRORS = {400: BAD_REQUEST, 429: THROTTLED}
DETAIL_ERRORS = {404: OpenApiResponse(ErrorResponse, description="No such object."), 429: THROTTLED}


@extend_schema_view(
    list=extend_schema(responses={200: CurrencySerializer(many=True), **LIST_ERRORS}),
)
class CurrencyViewSet(ComparableLookup, viewsets.ReadOnlyModelViewSet):
    """Currencies Koel knows: filter by `active` and `group`, `search` by code or name."""

    queryset = Currency.objects.all()
    serializer_class = CurrencySerializer
    filterset_class = CurrencyFilter
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    search_fields = ["code", "name"]
    lookup_value_regex = "[^/]+"  # anything: a bad code is a JSON 404, not Django's HTML one

    def get_object(self) -> Currency:
        self.kwargs["pk"] = self.kwargs["pk"].upper()
        return super().get_object()

    def list(self, request: Request, *args, **kwargs):
        """Cached like every read: the catalog version is in every key, so an edit of a currency
        invalidates it. The page links name the host asked, so the key varies on it."""

        def build() -> Answer:
            return Answer(200, super(CurrencyViewSet, self).list(request, *args, **kwargs).data)

        return cached_answer(
            request,
            build,
            depends_on=(),
            vary=(request.build_absolute_uri("/"),),
            encode=JSONRenderer().render,
        )

    @extend_schema(responses={200: CurrencyDetailSerializer, **DETAIL_ERRORS})
    def retrieve(self, request: Request, *args, **kwargs):
        currency = self.get_object()

        def build() -> Answer:
            data = {**CurrencySerializer(currency).data, **currency_coverage(currency.code)}
            return Answer(200, CurrencyDetailSerializer(data).data)

        return cached_answer(request, build, depends_on={currency.code})


@extend_schema_view(
    list=extend_schema(responses={200: SourceSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: SourceSerializer, **DETAIL_ERRORS}),
)
class SourceViewSet(ComparableLookup, viewsets.ReadOnlyModelViewSet):
    """Where rates come from, with health: last success/failure, success rate, latency and
    the circuit breaker's state."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    lookup_value_regex = "[^/]+"


class RunFilter(filters.FilterSet):
    class Meta:
        model = ScrapeRun
        fields = ["scope", "target", "status", "trigger"]


@extend_schema_view(
    list=extend_schema(responses={200: RunSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: RunSerializer, **DETAIL_ERRORS}),
)
class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scrape runs with their progress; staff can start one."""

    queryset = ScrapeRun.objects.all()
    serializer_class = RunSerializer
    filterset_class = RunFilter
    lookup_value_regex = "[^/]+"

    def get_object(self) -> ScrapeRun:
        if not self.kwargs["pk"].isdigit():
            raise NotFound()
        return super().get_object()

    def get_permissions(self):
        if self.action == "create":
            return [IsAdminUser()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet:
        return ScrapeRun.objects.order_by("-started_at")

    @extend_schema(
        request=RunParams,
        responses={
            202: QueuedRunOut,
            400: BAD_REQUEST,
            401: OpenApiResponse(ErrorResponse, description="Not logged in."),
            403: OpenApiResponse(ErrorResponse, description="Not staff."),
        },
        description="Queue a scrape of a group, a base or a source (staff only).",
    )
    def create(self, request: Request, *args, **kwargs):
        params = RunParams(data=request.data)
        params.is_valid(raise_exception=True)
        scope, target = params.validated_data["scope"], params.validated_data["target"]
        run = run_queue(scope=scope, target=target, trigger="api")
        body = {
            "run": run.id,
            "task_id": run.task_id,
            "scope": scope,
            "target": target,
            "status": run.status,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)
