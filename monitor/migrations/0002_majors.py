from django.db import migrations

MAJORS = (
    ("EUR", "USD"),
    ("GBP", "USD"),
    ("USD", "JPY"),
    ("USD", "CHF"),
    ("AUD", "USD"),
    ("USD", "CAD"),
    ("NZD", "USD"),
    ("EUR", "GBP"),
)


def seed(apps, schema_editor):
    """The default live group: the eight majors (frozen here: a migration must not change
    with monitor.models.MAJORS)."""
    LivePair = apps.get_model("monitor", "LivePair")
    for position, (base, target) in enumerate(MAJORS):
        LivePair.objects.get_or_create(base=base, target=target, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("monitor", "0001_live_pairs")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
