from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def plain(value: Decimal) -> str:
    """A stored decimal without its trailing zeros and never in exponent form (10, not 1E+1)."""
    return format(value.normalize(), "f")
