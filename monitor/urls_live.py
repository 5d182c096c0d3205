from django.urls import path

from monitor.api import LiveSnapshotView

app_name = "monitor_live"
urlpatterns = [path("live/", LiveSnapshotView.as_view(), name="live")]
