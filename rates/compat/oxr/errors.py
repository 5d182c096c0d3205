"""OXR's error body, {"error": true, "status", "message", "description"}, and its door: the key
as app_id or "Authorization: Token <key>" (see rates.compat.oxr)."""

from datetime import date

from django.http import HttpRequest

from ..http import CompatError, Layer

ECHO = 32  # characters of a rejected value quoted back in a description


class OxrError(CompatError):
    def __init__(self, status: int, message: str, description: str) -> None:
        super().__init__(description)
        self.status, self.message, self.description = status, message, description

    def body(self) -> dict:
        return {
            "error": True,
            "status": self.status,
            "message": self.message,
            "description": self.description,
        }


def _app_id(request: HttpRequest) -> str:
    """The app_id parameter, else the token of an 'Authorization: Token <app_id>' header."""
    if "app_id" in request.GET:
        return request.GET["app_id"].strip()
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "token" else ""


def _missing_key() -> OxrError:
    return OxrError(
        401,
        "missing_app_id",
        "No App ID provided - pass your Koel API key as app_id=... or in an "
        "'Authorization: Token ...' header.",
    )


def _invalid_key() -> OxrError:
    return OxrError(
        401, "invalid_app_id", "Invalid App ID provided - ask a Koel administrator for an API key."
    )


def _wrong_method(method: str) -> OxrError:
    return OxrError(405, "method_not_allowed", f"{method} is not allowed; use GET.")


OXR = Layer(
    read_key=_app_id,
    missing_key=_missing_key,
    invalid_key=_invalid_key,
    wrong_method=_wrong_method,
    vary=("Authorization",),
)


def not_available(day: date) -> OxrError:
    return OxrError(
        400,
        "not_available",
        f"Historical rates for the requested date [{day.isoformat()}] are not available - "
        "please try a different date.",
    )


def invalid_base(raw: str) -> OxrError:
    return OxrError(
        400,
        "invalid_base",
        f"Invalid `base` currency [{raw[:ECHO]}] - see currencies.json for the codes.",
    )
