from rest_framework.routers import SimpleRouter

from alerts import viewsets

# firings/ first: the rules' own routes sit at the root of api/v1/alerts/.
router = SimpleRouter(trailing_slash=True)
router.register("firings", viewsets.AlertFiringViewSet, basename="alert-firing")
router.register("", viewsets.AlertRuleViewSet, basename="alert-rule")

app_name = "alerts"
urlpatterns = router.urls
