"""Reads for the merge tool and its history (items/views_merge.py). Scoped by organization."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from items.models import Item, ItemCost, ItemMerge, StockMovement
from items.selectors import get_item, list_identifiers, list_stock_levels, search_items
from venues.models import Organization

__all__ = ["get_item", "get_merge", "item_for_comparison", "list_merges_of_item", "search_merge_candidates"]

TYPEAHEAD_LIMIT = 8


def get_merge(*, organization: Organization, pk: int) -> ItemMerge:
    """The organization's merge, or 404."""
    return get_object_or_404(ItemMerge.objects.for_org(organization), pk=pk)


def list_merges_of_item(*, organization: Organization, item: Item) -> QuerySet[ItemMerge]:
    """Merges into and out of `item`, newest first, with both items and the people."""
    return (
        ItemMerge.objects.for_org(organization).filter(Q(survivor=item) | Q(merged=item))
        .select_related("survivor", "merged", "performed_by", "undone_by").order_by("-performed_at", "-pk")
    )  # fmt: skip


def search_merge_candidates(*, organization: Organization, query: str, exclude: int | None = None) -> list[Item]:
    """Live items matching `query` by name, SKU or UPC (the Items page's search), a few at a time."""
    if not (query or "").strip():
        return []
    items = search_items(organization=organization, query=query).filter(merged_into=None)
    if exclude:
        items = items.exclude(pk=exclude)
    return list(items[:TYPEAHEAD_LIMIT])


def item_for_comparison(*, organization: Organization, item: Item) -> Item:
    """`item` with what the side-by-side comparison shows: codes, stock per area, history counts."""
    item.identifier_list = list_identifiers(organization=organization, item=item)
    item.level_list = [level for level in list_stock_levels(organization=organization, item=item) if level.quantity]
    item.movement_count = StockMovement.objects.for_org(organization).filter(item=item).count()
    item.cost_count = ItemCost.objects.for_org(organization).filter(item=item).count()
    item.stock_total = sum((level.quantity for level in item.level_list), 0)
    return item
