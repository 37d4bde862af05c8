"""Read queries for the stock pages: counts, levels, movements, storage-area choices.

Every function takes the organization it reads from; the ones that name venues or storage
areas also take the venues the member may work in (`request.venues`), so a member limited
to one venue neither sees nor counts another venue's stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from items.codes import normalize_gtin
from items.models import Item, StockCount, StockCountLine, StockLevel, StockMovement
from venues.models import Organization, StorageArea

try:  # the Items page's search (name, SKU, UPC; trigram-backed) when it is there
    from items.selectors import search_items
except ImportError:  # pragma: no cover - a fallback while the Items page is being built
    search_items = None


def _venue_ids(venues: Iterable | None) -> list[int] | None:
    return None if venues is None else [v.pk for v in venues]


# --- items ------------------------------------------------------------------------------------


def get_item(*, organization: Organization, pk) -> Item:
    return get_object_or_404(Item.objects.for_org(organization), pk=pk)


def find_items(*, organization: Organization, query: str, limit: int = 8) -> list[Item]:
    """Items for a typeahead or a scan: exact codes (UPC, case GTIN, SKU) first, then the search."""
    query = (query or "").strip()
    if not query:
        return []
    items = Item.objects.for_org(organization).filter(archived=False)
    code = normalize_gtin(query) if query.isdigit() else None
    exact = Q(identifiers__value__iexact=query)
    if code is not None:
        exact |= Q(upc=code.value) | Q(case_gtin=code.value) | Q(identifiers__value=code.value)
    found = list(items.filter(exact).distinct().order_by("name", "size_ml")[:limit])
    if len(found) < limit:
        if search_items is not None:
            more = search_items(organization=organization, query=query)
        else:
            more = items.filter(Q(name__icontains=query) | Q(upc__startswith=query)).order_by("name")
        seen = {item.pk for item in found}
        for item in more[: limit * 2]:
            if item.pk not in seen:
                found.append(item)
                seen.add(item.pk)
            if len(found) >= limit:
                break
    return found


def exact_item_for_scan(*, organization: Organization, query: str) -> Item | None:
    """The one item a scanned or typed code names, if exactly one does."""
    query = (query or "").strip()
    if not query:
        return None
    code = normalize_gtin(query) if query.isdigit() else None
    exact = Q(identifiers__value__iexact=query)
    if code is not None:
        exact |= Q(upc=code.value) | Q(case_gtin=code.value) | Q(identifiers__value=code.value)
    matches = list(Item.objects.for_org(organization).filter(archived=False).filter(exact).distinct()[:2])
    return matches[0] if len(matches) == 1 else None


# --- storage areas ------------------------------------------------------------------------------


def list_storage_areas(*, organization: Organization, venues: Iterable | None = None,
                       quarantine: bool | None = False) -> QuerySet[StorageArea]:  # fmt: skip
    """Active storage areas (of the given venues), grouped by venue. quarantine=None: both kinds."""
    areas = StorageArea.objects.for_org(organization).filter(is_active=True, venue__is_active=True)
    venue_ids = _venue_ids(venues)
    if venue_ids is not None:
        areas = areas.filter(venue_id__in=venue_ids)
    if quarantine is not None:
        areas = areas.filter(is_quarantine=quarantine)
    return areas.select_related("venue").order_by("venue__name", "-is_primary", "name")


def get_storage_area(*, organization: Organization, pk, venues: Iterable | None = None) -> StorageArea:
    areas = StorageArea.objects.for_org(organization).select_related("venue")
    venue_ids = _venue_ids(venues)
    if venue_ids is not None:
        areas = areas.filter(venue_id__in=venue_ids)
    return get_object_or_404(areas, pk=pk)


def item_levels(*, organization: Organization, item: Item) -> dict[int, Decimal]:
    """storage area id -> units of the item there."""
    levels = StockLevel.objects.for_org(organization).filter(item=item)
    return {level.storage_area_id: level.quantity for level in levels}


def list_item_levels(*, organization: Organization, item: Item) -> QuerySet[StockLevel]:
    return (StockLevel.objects.for_org(organization).filter(item=item).exclude(quantity=0)
            .select_related("storage_area__venue").order_by("storage_area__venue__name", "storage_area__name"))  # fmt: skip


def list_area_movements(*, organization: Organization, storage_area: StorageArea) -> QuerySet[StockMovement]:
    return (
        StockMovement.objects.for_org(organization).filter(storage_area=storage_area)
        .select_related("item", "actor").order_by("-business_date", "-created_at", "-id")
    )  # fmt: skip


def area_stock_summary(*, organization: Organization, storage_area: StorageArea) -> dict:
    levels = StockLevel.objects.for_org(organization).filter(storage_area=storage_area).exclude(quantity=0)
    return {"items_in_stock": levels.filter(quantity__gt=0).count(), "negative": levels.filter(quantity__lt=0).count()}


# --- counts -------------------------------------------------------------------------------------


def list_counts(*, organization: Organization, venues: Iterable | None = None) -> QuerySet[StockCount]:
    counts = StockCount.objects.for_org(organization)
    venue_ids = _venue_ids(venues)
    if venue_ids is not None:
        counts = counts.filter(storage_area__venue_id__in=venue_ids)
    return (
        counts.select_related("storage_area__venue", "started_by", "finished_by")
        .annotate(line_count=Count("lines"),
                  adjusted_count=Count("lines", filter=Q(lines__adjustment__isnull=False) & ~Q(lines__adjustment=0)))
        .order_by("-started_at", "-id")
    )  # fmt: skip


def open_counts_by_area(*, organization: Organization, areas: Iterable[StorageArea]) -> dict[int, StockCount]:
    counts = StockCount.objects.for_org(organization).filter(
        storage_area__in=list(areas), status=StockCount.Status.OPEN
    ).select_related("started_by")
    return {count.storage_area_id: count for count in counts}


def get_count(*, organization: Organization, pk, venues: Iterable | None = None) -> StockCount:
    counts = StockCount.objects.for_org(organization).select_related("storage_area__venue", "started_by", "finished_by")
    venue_ids = _venue_ids(venues)
    if venue_ids is not None:
        counts = counts.filter(storage_area__venue_id__in=venue_ids)
    return get_object_or_404(counts, pk=pk)


@dataclass
class SheetRow:
    """One item on a count sheet: counted already (line) or expected on the shelf (stocked)."""

    item: Item
    line: StockCountLine | None
    stocked: bool  # the ledger has stock of it in the area


def count_sheet(*, organization: Organization, count: StockCount) -> list[SheetRow]:
    """What the counter walks: every item counted so far plus every item the area has stock of.

    The sheet is blind: it does not show how many the ledger expects, so the count is what is
    on the shelf, not what the screen suggests. Differences are shown on the finish step.
    """
    lines = {line.item_id: line for line in
             StockCountLine.objects.for_org(organization).filter(count=count).select_related("item")}  # fmt: skip
    stocked = {
        level.item_id: level.item
        for level in StockLevel.objects.for_org(organization).filter(storage_area_id=count.storage_area_id)
        .exclude(quantity=0).select_related("item")
    }  # fmt: skip
    rows = [SheetRow(item=line.item, line=line, stocked=item_id in stocked) for item_id, line in lines.items()]
    rows += [SheetRow(item=item, line=None, stocked=True) for item_id, item in stocked.items() if item_id not in lines]
    return sorted(rows, key=lambda row: (row.item.name.lower(), row.item.size_ml or 0, row.item.pk))


@dataclass
class ReviewRow:
    item: Item
    counted: Decimal | None  # None: not counted
    expected: Decimal  # the ledger's level now (finished counts: what it was at the finish)
    line: StockCountLine | None = None
    level_now: Decimal | None = None

    @property
    def difference(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass
class CountReview:
    counted: list[ReviewRow]
    not_counted: list[ReviewRow]

    @property
    def changes(self) -> list[ReviewRow]:
        return [row for row in self.counted if row.difference]

    @property
    def net(self) -> Decimal:
        return sum((row.difference for row in self.changes), Decimal(0))


def count_review(*, organization: Organization, count: StockCount) -> CountReview:
    """Counted vs expected per line, and the stocked items nobody counted.

    For an open count "expected" is the level now (what finishing would compare against);
    for a finished count it is what was stored on the line at the finish, with the level now.
    """
    lines = list(StockCountLine.objects.for_org(organization).filter(count=count).select_related("item"))
    levels = {
        level.item_id: level
        for level in StockLevel.objects.for_org(organization).filter(storage_area_id=count.storage_area_id)
        .select_related("item")
    }  # fmt: skip
    counted_ids = {line.item_id for line in lines}
    finished = count.status == StockCount.Status.FINISHED
    counted = []
    for line in lines:
        now = levels[line.item_id].quantity if line.item_id in levels else Decimal(0)
        expected = line.expected_quantity if finished and line.expected_quantity is not None else now
        counted.append(ReviewRow(item=line.item, counted=line.quantity, expected=expected, line=line, level_now=now))
    not_counted = [
        ReviewRow(item=level.item, counted=None, expected=level.quantity, level_now=level.quantity)
        for item_id, level in levels.items() if item_id not in counted_ids and level.quantity != 0
    ]  # fmt: skip
    key = lambda row: (row.item.name.lower(), row.item.size_ml or 0, row.item.pk)  # noqa: E731
    return CountReview(counted=sorted(counted, key=key), not_counted=sorted(not_counted, key=key))
