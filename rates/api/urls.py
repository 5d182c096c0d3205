from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("currencies", views.CurrencyViewSet, basename="currency")
router.register("sources", views.SourceViewSet, basename="source")
router.register("runs", views.RunViewSet, basename="run")

app_name = "api"
urlpatterns = [
    path("rates/", views.RatesView.as_view(), name="rates"),
    path("rates/history/", views.HistoryView.as_view(), name="history"),
    path("convert/", views.ConvertView.as_view(), name="convert"),
    *router.urls,
]
