"""Number formats of the items pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity as people write it: 6.500 -> 6.5, 10.000 -> 10, -2.250 -> -2.25 (never 1E+1)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@register.filter
def money(value) -> str:
    """$ and two decimals ("24.5" -> "$24.50"), or an em dash for no value."""
    if value is None or value == "":
        return "—"
    try:
        return f"${Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


_CATEGORY_LABELS = None


@register.filter
def category_label(value) -> str:
    """Beer, Wine, Spirits… for a category value (cheaper than get_category_display per row)."""
    global _CATEGORY_LABELS
    if _CATEGORY_LABELS is None:
        from items.models import Item

        _CATEGORY_LABELS = dict(Item.Category.choices)
    return _CATEGORY_LABELS.get(value, value)
