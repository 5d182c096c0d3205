"""manage.py apikey create | list | revoke."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rates.models import ApiKey

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_key_once_and_stores_only_its_hash():
    out, err = _run("create", "deploy bot")
    raw = out.strip()
    key = ApiKey.objects.get()
    assert key.name == "deploy bot"
    assert key.prefix == raw[: ApiKey.PREFIX_LENGTH]
    assert raw not in key.hashed_key  # only the hash is kept
    assert ApiKey.verify(raw)
    assert key.prefix in err


def test_create_refuses_an_empty_or_too_long_name():
    with pytest.raises(CommandError, match="needs a name"):
        _run("create", "   ")
    with pytest.raises(CommandError, match="at most 100"):
        _run("create", "x" * 101)
    assert not ApiKey.objects.exists()


def test_list_shows_prefixes_and_names_never_keys():
    raw = _run("create", "ci")[0].strip()
    out, _ = _run("list")
    assert raw[: ApiKey.PREFIX_LENGTH] in out
    assert "ci" in out
    assert raw not in out


def test_list_without_keys_says_so():
    assert _run("list")[0].strip() == "No API keys."


def test_revoke_makes_the_key_unusable():
    raw = _run("create", "old")[0].strip()
    out, _ = _run("revoke", raw[: ApiKey.PREFIX_LENGTH])
    assert "Revoked" in out
    assert not ApiKey.verify(raw)
    revoked = ApiKey.objects.get().revoked_at
    row = _run("list")[0].splitlines()[1]
    assert row.count(f"{revoked:%Y-%m-%d %H:%M}") == 2  # created and revoked, never used


def test_revoke_names_an_unknown_prefix():
    with pytest.raises(CommandError, match="No API key with prefix 'nothere'"):
        _run("revoke", "nothere")


def test_revoke_twice_says_when_it_was_revoked():
    raw = _run("create", "old")[0].strip()
    _run("revoke", raw[: ApiKey.PREFIX_LENGTH])
    with pytest.raises(CommandError, match="was revoked at"):
        _run("revoke", raw[: ApiKey.PREFIX_LENGTH])


def test_an_unknown_action_is_a_usage_error():
    with pytest.raises(CommandError, match="invalid choice"):
        _run("rotate")


def test_no_key_starts_with_a_dash(monkeypatch):
    # token_urlsafe draws "-" first about once in 64: such a prefix read as an option.
    draws = iter(["-" + "a" * 42, "_" + "b" * 42])
    monkeypatch.setattr("rates.models.keys.secrets.token_urlsafe", lambda n: next(draws))
    raw = _run("create", "dashless")[0].strip()
    assert raw == "_" + "b" * 42
    _run("revoke", raw[: ApiKey.PREFIX_LENGTH])


def test_an_old_key_starting_with_a_dash_is_revoked_after_double_dash():
    key, _raw = ApiKey.issue("made before")
    ApiKey.objects.filter(id=key.id).update(prefix="-" + key.prefix[1:])
    _run("revoke", "--", "-" + key.prefix[1:])
    key.refresh_from_db()
    assert key.revoked_at is not None
