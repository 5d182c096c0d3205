"""REST: a user's own data subscriptions (CRUD) and their deliveries (read-only), each with
every attempt. Another user's id is not in the queryset, so it answers 404."""

from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, viewsets

from alerts.models import DataDelivery, DataSubscription
from alerts.serializers_data import DataDeliverySerializer, DataSubscriptionSerializer
from alerts.viewsets import OwnedMixin, documented

ONE = DataSubscriptionSerializer


@extend_schema_view(
    list=documented("Your data webhooks", 200, ONE(many=True), 400),
    create=documented("Subscribe a URL to new rates of some currencies", 201, ONE, 400),
    retrieve=documented("One of your data webhooks", 200, ONE, 404),
    update=documented("Replace a data webhook", 200, ONE, 400, 404),
    partial_update=documented("Change a data webhook", 200, ONE, 400, 404),
    destroy=documented("Delete a data webhook and its deliveries", 204, None, 404),
)
class DataSubscriptionViewSet(OwnedMixin, viewsets.ModelViewSet):
    queryset = DataSubscription.objects.order_by("id")
    serializer_class = DataSubscriptionSerializer


@extend_schema_view(
    list=documented("Your data webhooks' deliveries", 200, DataDeliverySerializer(many=True), 400),
    retrieve=documented("One data delivery with its attempts", 200, DataDeliverySerializer, 404),
)
class DataDeliveryViewSet(
    OwnedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = DataDelivery.objects.prefetch_related("attempt_log")
    serializer_class = DataDeliverySerializer
    owner_lookup = "subscription__owner"
