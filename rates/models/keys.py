"""API keys issued in the admin (stored hashed)."""

import hashlib
import hmac
import secrets

from django.db import models


class ApiKey(models.Model):
    """A key issued in the admin that lifts the anonymous rate limit.

    Only a SHA-256 hash is stored (keys are 32 random bytes, so a fast hash is enough); the key
    itself is shown once, when the admin creates it. The first characters are kept in clear as
    `prefix` to find the row and to tell keys apart in lists. Revoking keeps the row.
    """

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set to revoke the key; requests with it are refused."
    )

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str) -> tuple["ApiKey", str]:
        """Create a key; returns the row and the key, which is not stored anywhere."""
        key = cls(name=name)
        raw = key.set_new_key()
        key.save()
        return key, raw

    def set_new_key(self) -> str:
        """Give this (unsaved) row a fresh key and return it: the admin shows it once."""
        raw = secrets.token_urlsafe(32)
        # A key (and so its prefix) starting with "-" reads as an option on a command line
        # (`manage.py apikey revoke PREFIX`, curl -H in a deploy script): draw again.
        while raw.startswith("-"):
            raw = secrets.token_urlsafe(32)
        self.prefix, self.hashed_key = raw[: self.PREFIX_LENGTH], _sha256(raw)
        return raw

    @classmethod
    def find(cls, raw: str) -> "ApiKey | None":
        """The live key matching `raw`, or None (unknown, malformed or revoked)."""
        if not raw or len(raw) < cls.PREFIX_LENGTH or len(raw) > 200:
            return None
        key = cls.objects.filter(prefix=raw[: cls.PREFIX_LENGTH], revoked_at__isnull=True).first()
        if key is None or not hmac.compare_digest(key.hashed_key, _sha256(raw)):
            return None
        return key

    @classmethod
    def verify(cls, raw: str) -> bool:
        return cls.find(raw) is not None


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
