"""Tags of the invoices pages and of the main navigation (the Invoices badge and the bell)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_counts(context) -> dict:
    """Pending invoices at the user's venues and unread notifications: one query per page.

    Only full pages (base.html) ask; htmx partials don't extend it, so they cost nothing.
    """
    request = context.get("request")
    organization = getattr(request, "organization", None)
    if organization is None or not request.user.is_authenticated:
        return {"pending": 0, "unread": 0}
    from invoices.selectors import nav_counts as counts

    return counts(organization=organization, user=request.user, venues=request.venues)


@register.simple_tag
def match_words(line, viewer: str = "") -> str:
    """Why the line has its item, in words: "Distributor SKU", "Name, size and pack 92", "Chosen by you"."""
    if not line.is_inventory:
        return "Not stock"
    reason = (line.match_reason or "").strip()
    match = line.match
    if match == "sku":
        return "Distributor SKU"
    if match == "upc":
        return "UPC, size and name"
    if match == "name":
        score = f" {Decimal(line.match_score):.0f}" if line.match_score is not None else ""
        return f"Name, size and pack{score}"
    if match == "new":
        who = _by(line, reason, "new item created by ", viewer)
        return f"New item, created by {who}" if who else "New item"
    if match == "manual":
        for prefix, verb in (("chosen by ", "Chosen by"), ("added by ", "Added by")):
            who = _by(line, reason, prefix, viewer)
            if who:
                return f"{verb} {who}"
        return reason[:1].upper() + reason[1:] if reason else "Chosen by a reviewer"
    return "Not matched"


def _by(line, reason: str, prefix: str, viewer) -> str:
    """Who the reason names; "you" when it is the viewer (a user, or their name as a string)."""
    if not reason.lower().startswith(prefix):
        return ""
    who = reason[len(prefix):]
    if getattr(viewer, "pk", None) is not None:
        return "you" if line.matched_by_id == viewer.pk else who
    return "you" if viewer and who == viewer else who


@register.filter
def percent_change(line) -> str:
    """+15% / -12% from the item's cost per unit, for a line annotated with `unit_cost`."""
    cost = getattr(line.item, "cost_per_unit", None) if line.item_id else None
    unit_cost = getattr(line, "unit_cost", None)
    if not cost or unit_cost is None:
        return ""
    change = (Decimal(unit_cost) - cost) / cost * 100
    return f"{change:+.0f}%"


@register.filter
def absolute(value):
    """|x| of a number (None stays None)."""
    return None if value is None else abs(value)
