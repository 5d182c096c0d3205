"""Cache invalidation when currencies or sources change through the ORM (the admin's forms,
list edits and deletes). Bulk loads (rates.ingest.loading) bump the catalog themselves; health
counters are written with queryset.update() and send no signal, as they change no answer."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from rates.cache import bump_catalog_on_commit
from rates.models import Currency, Source


@receiver([post_save, post_delete], sender=Currency)
@receiver([post_save, post_delete], sender=Source)
def catalog_changed(sender, **kwargs) -> None:
    bump_catalog_on_commit()
