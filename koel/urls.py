from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from monitor.stream.views import stream_redirect
from rates import metrics, views

REDOC_POLICY = {"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}

# Koel's own API first: Django tries the patterns in order, so its reads resolve at the first.
urlpatterns = [
    path("api/v1/alerts/", include("alerts.urls")),
    # Issue 12: the monitor's analytics (volatility, correlation), before rates' api/v1/.
    path("api/v1/analytics/", include("monitor.analytics.urls")),
    path("api/v1/monitor/", include("monitor.urls_live")),
    path("api/v1/", include("rates.api.urls")),
    # Served by the stream's ASGI server (koel/asgi.py); here, a redirect there.
    path("api/v1/stream/", stream_redirect, name="stream"),
    path("accounts/", include("koel.accounts")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("alerts/", include("alerts.urls_pages")),
    path("monitor/", include("monitor.urls_pages")),
    path("", include("pages.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("health/", views.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # ReDoc (styled-components) injects <style> elements at run time, without the nonce (with a
    # nonce in style-src a browser ignores 'unsafe-inline', so this page's style-src has none),
    # and runs its search in a worker made from a blob.
    path(
        "api/redoc/",
        csp_replace(REDOC_POLICY)(SpectacularRedocView.as_view(url_name="schema")),
        name="redoc",
    ),
    path("v1/", include("rates.compat.frankfurter.urls_v1")),
    path("v2/", include("rates.compat.frankfurter.urls_v2")),
    path("api/", include("rates.compat.urls_oxr")),
    path("fixer/", include("rates.compat.urls_fixer")),
]

# A path under /api/v1/ that no route matches is a JSON 404 in the API's envelope (issue 13).
handler404 = "rates.http.timeouts.not_found"
