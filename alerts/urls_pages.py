from django.urls import path

from alerts import views_pages

app_name = "alerts-page"
urlpatterns = [
    path("", views_pages.index, name="index"),
    path("<int:rule_id>/", views_pages.edit, name="edit"),
    path("<int:rule_id>/toggle/", views_pages.toggle, name="toggle"),
    path("<int:rule_id>/delete/", views_pages.delete, name="delete"),
]
