from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "rates"
    verbose_name = "Exchange rates"
    default_auto_field = "django.db.models.BigAutoField"
