"""Template filters of the stock pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def qty(value, signed: str = "") -> str:
    """A quantity of units without trailing zeros: 3.400 -> "3.4", 12.000 -> "12"; |qty:"+" signs it."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number.normalize():f}" if number else "0"
    if signed and number > 0:
        text = "+" + text
    return text
