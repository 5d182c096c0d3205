from rest_framework.routers import SimpleRouter

from alerts import viewsets, viewsets_data

# firings/ and subscriptions/ first: the rules' own routes sit at the root of api/v1/alerts/.
router = SimpleRouter(trailing_slash=True)
router.register("firings", viewsets.AlertFiringViewSet, basename="alert-firing")
router.register(
    "subscriptions/deliveries", viewsets_data.DataDeliveryViewSet, basename="data-delivery"
)
router.register(
    "subscriptions", viewsets_data.DataSubscriptionViewSet, basename="data-subscription"
)
router.register("", viewsets.AlertRuleViewSet, basename="alert-rule")

app_name = "alerts"
urlpatterns = router.urls
