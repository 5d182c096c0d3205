"""REST: a user's own rules (CRUD) and firings (read-only). Another user's rule or firing is
simply not in the queryset, so its id answers 404."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated

from alerts.models import AlertFiring, AlertRule
from alerts.serializers import AlertFiringSerializer, AlertRuleSerializer

AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


@extend_schema_view(
    list=extend_schema(summary="Your alert rules"),
    create=extend_schema(summary="Create an alert rule"),
    retrieve=extend_schema(summary="One of your alert rules"),
    update=extend_schema(summary="Replace an alert rule (re-arms it)"),
    partial_update=extend_schema(summary="Change an alert rule (re-arms it)"),
    destroy=extend_schema(summary="Delete an alert rule and its history"),
)
class AlertRuleViewSet(viewsets.ModelViewSet):
    serializer_class = AlertRuleSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[AlertRule]:
        return AlertRule.objects.filter(owner=self.request.user).order_by("id")

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user)

    def perform_update(self, serializer) -> None:
        # An edited rule may watch something else entirely: it starts armed.
        serializer.save(armed=True)


@extend_schema_view(
    list=extend_schema(summary="Your alert history: firings, newest first, with deliveries"),
    retrieve=extend_schema(summary="One firing with its deliveries"),
)
class AlertFiringViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertFiringSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[AlertFiring]:
        firings = AlertFiring.objects.filter(rule__owner=self.request.user)
        return firings.prefetch_related("deliveries").order_by("-fired_at", "-id")
