from django.urls import path

from pages import views_pair

urlpatterns = [
    path("pair/", views_pair.pair_redirect, name="pair-pick"),
    path("pair/<str:base>/<str:target>/", views_pair.pair, name="pair"),
    path("pair/<str:base>/<str:target>/sources/", views_pair.pair_sources, name="pair-sources"),
]
