from django.urls import path

from monitor.analytics import views

app_name = "analytics"
urlpatterns = [
    path("volatility/", views.VolatilityView.as_view(), name="volatility"),
    path("correlation/", views.CorrelationView.as_view(), name="correlation"),
]
