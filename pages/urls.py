from django.urls import path

from pages import views

urlpatterns = [
    path("", views.converter, name="converter"),
]

# The rates pages (pair, rates table, currencies) keep their routes in their own module.
from pages.urls_rates import urlpatterns as rates_pages  # noqa: E402

urlpatterns += rates_pages
