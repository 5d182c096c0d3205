"""Domain errors. Views map these to HTTP answers in one place; nothing here knows about HTTP."""

from dataclasses import dataclass


class KoelError(Exception):
    """Base of every error Koel raises on purpose."""


class UnknownCurrency(KoelError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Unknown currency code: {code!r}")
        self.code = code


class UnknownSource(KoelError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Unknown source: {code!r}")
        self.code = code


class RateNotFound(KoelError):
    """No observation (direct, inverse or cross) answers the question."""


class InvalidQuery(KoelError):
    """A read was asked with arguments that cannot have an answer (e.g. start after end)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RowError:
    index: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.index}: {self.field}: {self.message}"


class InvalidRateBatch(KoelError):
    """A batch of rates had bad rows; nothing of it was written."""

    MAX_LISTED = 10

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        listed = "; ".join(str(e) for e in errors[: self.MAX_LISTED])
        more = len(errors) - self.MAX_LISTED
        suffix = f"; and {more} more" if more > 0 else ""
        super().__init__(f"{len(errors)} invalid row(s), nothing written: {listed}{suffix}")
