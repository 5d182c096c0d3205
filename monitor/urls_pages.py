from django.urls import path

from monitor import views_page

urlpatterns = [
    path("", views_page.monitor_page, name="monitor"),
    path("series/", views_page.monitor_series, name="monitor-series"),
    path("alerts/", views_page.monitor_alerts, name="monitor-alerts"),
]
