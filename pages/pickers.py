"""What a currency picker offers: every active currency with its code, name, symbol and flag.

The flag (or a globe for a currency of many territories, a coin for one of none) is CLDR's,
stored on the currency when it was loaded (rates/currency_data.py)."""

from dataclasses import dataclass

from rates.reads import currency_list


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    name: str
    symbol: str
    icon: str
    digits: int

    @property
    def label(self) -> str:
        # The text a native <select> shows and the type-ahead matches: all four things a reader
        # may remember a currency by.
        symbol = f" ({self.symbol})" if self.symbol and self.symbol != self.code else ""
        return f"{self.icon} {self.code} — {self.name}{symbol}".strip()


def currency_options() -> list[Option]:
    return [
        Option(c.code, c.name, c.symbol, c.icon, c.decimal_digits)
        for c in currency_list(active=True)
    ]
