"""API keys for the compatible APIs (Open Exchange Rates' app_id, Fixer's access_key).

Every key check goes through `key_is_valid`. Until Koel's own key model lands, a key is valid when
it is listed in the KOEL_COMPAT_KEYS setting or when `rates.models.ApiKey.verify(raw)` (looked up
lazily, so this module works before and after that model exists) accepts it.
"""

import hmac

from django.conf import settings

# Longer values, or values with control characters, are never keys: they are refused before
# anything (a database lookup) sees them.
MAX_KEY_LENGTH = 256


def key_is_valid(raw: str) -> bool:
    """True when `raw` is a key Koel issued (or one configured in KOEL_COMPAT_KEYS)."""
    if not raw or len(raw) > MAX_KEY_LENGTH or not raw.isprintable():
        return False
    if _configured(raw):
        return True
    verify = _model_verify()
    return bool(verify(raw)) if verify is not None else False


def _configured(raw: str) -> bool:
    keys = getattr(settings, "KOEL_COMPAT_KEYS", ()) or ()
    if isinstance(keys, str):
        keys = [keys]
    wanted = raw.encode()
    # Every configured key is compared, in constant time, so timing says nothing about which.
    matches = [hmac.compare_digest(wanted, str(key).encode()) for key in keys if key]
    return any(matches)


def _model_verify():
    """`ApiKey.verify` once the key model exists in rates.models, else None."""
    from rates import models  # lazily: importable before the app registry is ready

    api_key = getattr(models, "ApiKey", None)
    verify = getattr(api_key, "verify", None)
    return verify if callable(verify) else None


# Set on request.META by the first check of a request's key (the layers' throttle, then their
# door, rates.compat.throttle and rates.compat.http): (raw key, whether it is valid).
KEY_CHECKED = "koel.compat.key_checked"


def request_key_is_valid(request, raw: str) -> bool:
    """`key_is_valid(raw)`, checked once per request however many times it is asked."""
    remembered = request.META.get(KEY_CHECKED)
    if remembered is not None and remembered[0] == raw:
        return remembered[1]
    valid = key_is_valid(raw)
    request.META[KEY_CHECKED] = (raw, valid)
    return valid
