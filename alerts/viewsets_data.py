"""REST: a user's own data subscriptions (CRUD) and their deliveries (read-only). Another
user's id is not in the queryset, so it answers 404."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from alerts.models import DataDelivery, DataSubscription
from alerts.serializers_data import DataDeliverySerializer, DataSubscriptionSerializer
from alerts.viewsets import AUTHENTICATION, documented

ONE = DataSubscriptionSerializer


@extend_schema_view(
    list=documented("Your data webhooks", 200, ONE(many=True)),
    create=documented("Subscribe a URL to new rates of some currencies", 201, ONE, 400),
    retrieve=documented("One of your data webhooks", 200, ONE, 404),
    update=documented("Replace a data webhook", 200, ONE, 400, 404),
    partial_update=documented("Change a data webhook", 200, ONE, 400, 404),
    destroy=documented("Delete a data webhook and its deliveries", 204, None, 404),
)
class DataSubscriptionViewSet(viewsets.ModelViewSet):
    queryset = DataSubscription.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = DataSubscriptionSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[^/]+"  # any id reaches the view: a malformed one is a JSON 404

    def get_queryset(self) -> QuerySet[DataSubscription]:
        return DataSubscription.objects.filter(owner=self.request.user).order_by("id")

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user)


@extend_schema_view(
    list=documented("Your data webhooks' deliveries", 200, DataDeliverySerializer(many=True)),
    retrieve=documented("One data delivery", 200, DataDeliverySerializer, 404),
)
class DataDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = DataDelivery.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = DataDeliverySerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[DataDelivery]:
        return DataDelivery.objects.filter(subscription__owner=self.request.user)
