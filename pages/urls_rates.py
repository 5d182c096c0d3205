from django.urls import path

from pages import views_pair, views_tables

urlpatterns = [
    path("pair/", views_pair.pair_redirect, name="pair-pick"),
    path("pair/<str:base>/<str:target>/", views_pair.pair, name="pair"),
    path("pair/<str:base>/<str:target>/sources/", views_pair.pair_sources, name="pair-sources"),
]

urlpatterns += [
    path("rates/", views_tables.rates_pick, name="rates-pick"),
    path("rates/<str:base>/", views_tables.rates_page, name="rates-table"),
    path("currencies/", views_tables.currencies_page, name="currencies"),
]
