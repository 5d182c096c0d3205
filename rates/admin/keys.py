"""API keys: issued here (shown once, stored hashed) and revoked."""

from django.contrib import admin
from django.utils import timezone

from rates.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Issue keys (shown once, stored hashed) and revoke them (set `revoked at`)."""

    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = obj.set_new_key()
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"API key for {obj.name}: {raw} — copy it now: only its hash is stored.",
            "warning",
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.")
