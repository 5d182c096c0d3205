from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from rates import metrics, views

# Koel's own API first: Django tries the patterns in order, so its reads resolve at the first.
urlpatterns = [
    path("api/v1/alerts/", include("alerts.urls")),
    path("api/v1/", include("rates.api.urls")),
    path("accounts/", include("koel.accounts")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("alerts/", include("alerts.urls_pages")),
    path("", include("pages.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("health/", views.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("v1/", include("rates.compat.frankfurter.urls_v1")),
    path("v2/", include("rates.compat.frankfurter.urls_v2")),
    path("api/", include("rates.compat.urls_oxr")),
    path("fixer/", include("rates.compat.urls_fixer")),
]

# A path under /api/v1/ that no route matches is a JSON 404 in the API's envelope (issue 13).
handler404 = "rates.http.timeouts.not_found"
