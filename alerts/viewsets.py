"""REST: a user's own rules (CRUD) and firings (read-only). Another user's rule or firing is
simply not in the queryset, so its id answers 404 (OwnedMixin, which the data webhooks' viewsets
share)."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated

from alerts.models import AlertFiring, AlertRule
from alerts.serializers import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHENTICATED,
    AlertFiringSerializer,
    AlertRuleSerializer,
)

AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


class OwnedMixin:
    """Only the requesting user's rows: the class's `queryset` filtered by `owner_lookup`, so
    another user's id answers 404; a created row is the user's."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[^/]+"  # any id reaches the view: a malformed one is a JSON 404
    owner_lookup = "owner"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().filter(**{self.owner_lookup: self.request.user})

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user)


def documented(summary: str, ok: int, serializer, *errors: int):
    """extend_schema for one action: its answer and the errors it can give."""
    known = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
    answers = {ok: serializer, **{code: known[code] for code in (*errors, 401, 403)}}
    return extend_schema(summary=summary, responses=answers)


@extend_schema_view(
    list=documented("Your alert rules", 200, AlertRuleSerializer(many=True), 400),
    create=documented("Create an alert rule", 201, AlertRuleSerializer, 400),
    retrieve=documented("One of your alert rules", 200, AlertRuleSerializer, 404),
    update=documented("Replace an alert rule (re-arms it)", 200, AlertRuleSerializer, 400, 404),
    partial_update=documented(
        "Change an alert rule (re-arms it)", 200, AlertRuleSerializer, 400, 404
    ),
    destroy=documented("Delete an alert rule and its history", 204, None, 404),
)
class AlertRuleViewSet(OwnedMixin, viewsets.ModelViewSet):
    queryset = AlertRule.objects.order_by("id")
    serializer_class = AlertRuleSerializer

    def perform_update(self, serializer) -> None:
        # An edited rule may watch something else entirely: it starts armed.
        serializer.save(armed=True)


@extend_schema_view(
    list=documented(
        "Your alert history: firings, newest first", 200, AlertFiringSerializer(many=True), 400
    ),
    retrieve=documented("One firing with its deliveries", 200, AlertFiringSerializer, 404),
)
class AlertFiringViewSet(
    OwnedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = AlertFiring.objects.prefetch_related("deliveries__attempt_log").order_by(
        "-fired_at", "-id"
    )
    serializer_class = AlertFiringSerializer
    owner_lookup = "rule__owner"
