from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "rates"
    verbose_name = "Exchange rates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the cache invalidation receivers)

        self._connect_replica_scopes()

    def _connect_replica_scopes(self) -> None:
        # Each request and each Celery task decides once where it reads (rates.replica).
        from celery.signals import task_postrun, task_prerun
        from django.core.signals import request_finished, request_started

        from . import replica

        if not replica.enabled():
            return
        request_started.connect(replica.scope_begin, dispatch_uid="koel-replica-begin")
        request_finished.connect(replica.scope_end, dispatch_uid="koel-replica-end")
        task_prerun.connect(replica.scope_begin, dispatch_uid="koel-replica-task-begin")
        task_postrun.connect(replica.scope_end, dispatch_uid="koel-replica-task-end")
