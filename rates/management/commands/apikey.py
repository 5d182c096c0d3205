"""python manage.py apikey create NAME | list | revoke PREFIX

API keys without a browser, for deploy scripts. The key is printed once, on its own line, so
`KEY=$(manage.py apikey create ci | tail -1)` captures it; only its hash is stored.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rates.models import ApiKey


class Command(BaseCommand):
    help = "Issue (create NAME), list or revoke (revoke PREFIX) API keys."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|list|revoke")
        create = actions.add_parser("create", help="Issue a key and print it once.")
        create.add_argument("name", help="Who or what uses the key.")
        actions.add_parser("list", help="Every key: prefix, name, created, last used, revoked.")
        revoke = actions.add_parser("revoke", help="Revoke the key with this prefix.")
        revoke.add_argument(
            "prefix",
            help=f"The key's first {ApiKey.PREFIX_LENGTH} characters (one made before keys "
            "stopped starting with '-' is given after --: revoke -- -PREFIX).",
        )

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(self, *, name: str, **options) -> None:
        name = name.strip()
        if not name:
            raise CommandError("The key needs a name (who or what uses it).")
        limit = ApiKey._meta.get_field("name").max_length
        if len(name) > limit:
            raise CommandError(f"The name is {len(name)} characters long; at most {limit}.")
        key, raw = ApiKey.issue(name)
        self.stderr.write(f"API key {key.prefix} for {key.name}; copy it now, it is not stored:")
        self.stdout.write(raw)

    def _list(self, **options) -> None:
        keys = ApiKey.objects.order_by("created_at", "id")
        if not keys:
            self.stdout.write("No API keys.")
            return
        self.stdout.write(
            f"{'prefix':<8}  {'created':<16}  {'last used':<16}  {'revoked':<16}  name"
        )
        for key in keys:
            dates = (_minute(key.created_at), _minute(key.last_used_at), _minute(key.revoked_at))
            self.stdout.write(
                "  ".join([f"{key.prefix:<8}", *(f"{d:<16}" for d in dates), key.name])
            )

    def _revoke(self, *, prefix: str, **options) -> None:
        key = ApiKey.objects.filter(prefix=prefix.strip()).first()
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r} (see `manage.py apikey list`).")
        if key.revoked_at is not None:
            raise CommandError(
                f"API key {key.prefix} ({key.name}) was revoked at {key.revoked_at}."
            )
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        self.stdout.write(f"Revoked API key {key.prefix} ({key.name}).")


def _minute(at) -> str:
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M}"
