"""Read queries for the Items page and the item detail. Every function takes the organization.

Search uses the trigram GIN indexes of the catalog (`UPPER(name)`, `UPPER(producer)` on items,
`UPPER(value)` on identifiers) through the database function `backstock_search_items`
(items/migrations/0003): under row-level security PostgreSQL keeps `LIKE` off indexes, so
the function, which enforces the tenant itself, finds the ids and the query around it reads
the items as usual. Typing in the search box stays fast on a catalog of 20,000 items
(bench/items_search.py measures it). Every list query has a fixed number of SQL queries
whatever the number of items: on-hand totals and pars are subqueries, not per-row lookups.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Lookup,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Upper
from django.shortcuts import get_object_or_404

from distributors.models import Distributor
from items.models import Item, ItemCost, ItemIdentifier, ItemPar, StockLevel, StockMovement
from venues.models import Organization, Venue

PAGE_SIZE = 50
MOVEMENTS_PAGE_SIZE = 25
COST_HISTORY_LIMIT = 25

# value -> (label, ORDER BY). "relevance" is the default while searching: exact SKU / UPC hits
# first, then names that start with what was typed, then the rest, each group by name.
SORTS: dict[str, tuple[str, tuple]] = {
    "relevance": ("Best match", ("search_rank", "name", "size_ml", "pk")),
    "name": ("Name", ("name", "size_ml", "pk")),
    "category": ("Category", ("category", "name", "size_ml", "pk")),
    "cost": ("Cost, lowest first", (F("cost_per_unit").asc(nulls_last=True), "name", "pk")),
    "-cost": ("Cost, highest first", (F("cost_per_unit").desc(nulls_last=True), "name", "pk")),
    "on_hand": ("On hand, lowest first", ("on_hand", "name", "pk")),
    "-on_hand": ("On hand, highest first", ("-on_hand", "name", "pk")),
    "-updated": ("Recently updated", ("-updated_at", "-pk")),
}
DEFAULT_SORT = "name"


class Archived:
    ACTIVE = ""  # the default: archived items are hidden
    ONLY = "only"
    ALL = "all"
    CHOICES = [(ACTIVE, "Active items"), (ONLY, "Archived items"), (ALL, "Active and archived")]


@dataclass(frozen=True)
class ItemFilters:
    """What the Items page is narrowed to. Objects are already scoped to the organization."""

    category: str = ""
    distributor: Distributor | None = None
    venue: Venue | None = None
    low_stock: bool = False
    archived: str = Archived.ACTIVE

    @property
    def any(self) -> bool:
        return bool(self.category or self.distributor or self.venue or self.low_stock or self.archived)


def search_words(query: str | None) -> list[str]:
    """The words of a search, upper-cased; every one must match."""
    return [word.upper() for word in (query or "").split()][:8]


def _on_hand(*, venue: Venue | None, item_ref="pk", venue_ref=None):
    """Units on hand of the outer item: at one venue, or at all of them; quarantine excluded."""
    levels = StockLevel.objects.filter(item=OuterRef(item_ref), storage_area__is_quarantine=False)
    if venue_ref is not None:
        levels = levels.filter(storage_area__venue=OuterRef(venue_ref))
    elif venue is not None:
        levels = levels.filter(storage_area__venue=venue)
    total = levels.order_by().values("item").annotate(total=Sum("quantity")).values("total")
    return Coalesce(Subquery(total), Value(Decimal(0)), output_field=DecimalField(max_digits=14, decimal_places=3))


def _is_code_like(word: str) -> bool:
    # SKUs, UPCs and GTINs carry digits; a word without one (or shorter than three characters)
    # is looked up in names and producers only. backstock_search_items applies the same rule.
    return len(word) >= 3 and any(ch.isdigit() for ch in word)


class _NamedBy(Lookup):
    """`id = ANY(ARRAY(SELECT backstock_search_items(org, words)))`: the items every word names.

    Three characters or more: anywhere in the name or producer, and (with a digit) in any of
    the item's codes, current or earlier, or at the start of its UPC. One or two characters:
    the start of a word of the name or producer. The database function does it through the
    trigram indexes (items/migrations/0003: row-level security keeps LIKE off them) and
    answers only for the organization the connection is scoped to. ARRAY(...) makes it run
    once per query, before the items are read by id.
    """

    lookup_name = "named_by"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        organization_id, words = self.rhs
        sql = f"{lhs} = ANY(ARRAY(SELECT backstock_search_items(%s, %s::text[])))"
        return sql, [*lhs_params, organization_id, list(words)]


Item._meta.pk.register_lookup(_NamedBy)  # on the Item id field only


def _matching_items(*, organization: Organization, query: str, filters: ItemFilters, sort: str) -> QuerySet[Item]:
    """The matching items in order, with nothing but what filtering and ordering need."""
    items = Item.objects.for_org(organization).alias(uname=Upper("name"))

    if filters.archived == Archived.ONLY:
        items = items.filter(archived=True)
    elif filters.archived != Archived.ALL:
        items = items.filter(archived=False)
    if filters.category:
        items = items.filter(category=filters.category)
    if filters.distributor is not None:
        skus = ItemIdentifier.objects.for_org(organization).filter(
            kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=filters.distributor
        )
        items = items.filter(Q(preferred_distributor=filters.distributor) | Q(pk__in=skus.values("item_id")))
    if filters.venue is not None:
        stocked = StockLevel.objects.for_org(organization).filter(storage_area__venue=filters.venue)
        with_par = ItemPar.objects.for_org(organization).filter(venue=filters.venue)
        items = items.filter(Q(pk__in=stocked.values("item_id")) | Q(pk__in=with_par.values("item_id")))
    if filters.low_stock:
        # Below par at the chosen venue, or at any venue that has a par for the item.
        pars = ItemPar.objects.for_org(organization).filter(item=OuterRef("pk"))
        if filters.venue is not None:
            pars = pars.filter(venue=filters.venue)
        below = pars.annotate(stock=_on_hand(venue=None, item_ref="item_id", venue_ref="venue_id")).filter(
            par__gt=F("stock")
        )
        items = items.filter(Exists(below))

    words = search_words(query)
    if words:
        items = items.filter(pk__named_by=(organization.pk, words))

    sort = effective_sort(sort, query)
    if sort in ("on_hand", "-on_hand"):
        items = items.alias(on_hand=_on_hand(venue=filters.venue))
    if sort == "relevance":
        phrase = " ".join(words)
        ranks = [When(uname__startswith=phrase, then=Value(1))]
        if _is_code_like(phrase):
            # Exact codes through the (organization, kind, value) index: as typed, upper, lower.
            typed = " ".join((query or "").split())
            exact = ItemIdentifier.objects.for_org(organization).filter(
                kind__in=ItemIdentifier.Kind.values, value__in={typed, phrase, phrase.lower()}
            )
            ranks.insert(0, When(Q(pk__in=exact.values("item_id")) | Q(upc=phrase) | Q(case_gtin=phrase), then=Value(0)))
        items = items.alias(search_rank=Case(*ranks, default=Value(2), output_field=IntegerField()))
    return items.order_by(*SORTS[sort][1])


def _with_details(items: QuerySet[Item], *, venue: Venue | None) -> QuerySet[Item]:
    """What a row of the list shows: on hand (and par at `venue`), distributor, current SKUs."""
    items = items.annotate(on_hand=_on_hand(venue=venue))
    if venue is not None:
        par = ItemPar.objects.filter(item=OuterRef("pk"), venue=venue).values("par")[:1]
        items = items.annotate(par=Subquery(par))
    current_skus = (
        ItemIdentifier.objects.filter(is_current=True, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU)
        .select_related("distributor")
        .order_by("distributor__name", "value")
    )
    return items.select_related("preferred_distributor").prefetch_related(
        Prefetch("identifiers", queryset=current_skus, to_attr="current_skus")
    )


def search_items(
    *, organization: Organization, query: str = "", filters: ItemFilters | None = None, sort: str = ""
) -> QuerySet[Item]:
    """The organization's items matching `query` (all its words) and `filters`, sorted.

    Words are matched as `_NamedBy` says (names and producers; codes for words with a digit;
    one or two characters at the start of a word), best matches first. Each item carries
    `on_hand` (units at `filters.venue`, or at every venue; quarantine excluded), with a
    venue its `par` there, its preferred distributor and its current distributor SKUs
    (`current_skus`). `page_of_items` is the cheaper way to show one page.
    """
    filters = filters or ItemFilters()
    matching = _matching_items(organization=organization, query=query, filters=filters, sort=sort)
    return _with_details(matching, venue=filters.venue)


def effective_sort(sort: str, query: str) -> str:
    """The sort that applies: `sort` if it is one, else best match while searching, else name."""
    words = search_words(query)
    if sort not in SORTS or (sort == "relevance" and not words):
        return "relevance" if words else DEFAULT_SORT
    return sort


def page_of_items(
    *, organization: Organization, query: str = "", filters: ItemFilters | None = None, sort: str = "", page=None
) -> Page:
    """One page (PAGE_SIZE items) of `search_items`; a page number out of range gives the last.

    For a search, one query does it all: the search, the filters, COUNT(*) OVER () for the
    total (instead of a COUNT and then the page, each searching), the order, and the fifty rows
    with what they show (on hand and par are computed after the LIMIT); a second reads their
    current SKUs. Browsing without a search counts, then reads the page in name order.
    """
    filters = filters or ItemFilters()
    matching = _matching_items(organization=organization, query=query, filters=filters, sort=sort)
    if not search_words(query):
        # Browsing, not searching: the total is a COUNT and the page follows an index on the
        # name; a window over every item of the catalog would cost more than both.
        return Paginator(_with_details(matching, venue=filters.venue), PAGE_SIZE).get_page(page)
    paginator = Paginator(matching, PAGE_SIZE)
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    rows = _with_details(matching, venue=filters.venue).annotate(total=Window(Count("pk")))
    offset = (number - 1) * PAGE_SIZE
    found = list(rows[offset : offset + PAGE_SIZE])
    if found:
        paginator.count = found[0].total  # a cached_property: set, it is not asked again
    elif number > 1:  # past the last page (a stale link): show the last one
        number = paginator.num_pages
        offset = (number - 1) * PAGE_SIZE
        found = list(rows[offset : offset + PAGE_SIZE])
    else:
        paginator.count = 0
    return Page(found, number, paginator)


def list_distributor_choices(*, organization: Organization) -> list[Distributor]:
    """Distributors an item may name: the shared directory and the organization's own."""
    return list(Distributor.objects.for_org(organization).filter(is_active=True).order_by("name", "pk"))


def get_distributor(*, organization: Organization, pk) -> Distributor | None:
    """A distributor the organization can see, or None (also for no or a malformed pk)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Distributor.objects.for_org(organization).filter(pk=pk).first()


def get_item(*, organization: Organization, pk: int) -> Item:
    """The organization's item, or 404."""
    return get_object_or_404(Item.objects.for_org(organization).select_related("preferred_distributor"), pk=pk)


@dataclass
class VenueStock:
    venue: Venue
    levels: list[StockLevel] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((level.quantity for level in self.levels), Decimal(0))


@dataclass
class ItemDetail:
    item: Item
    current_identifiers: list[ItemIdentifier]
    identifier_history: list[ItemIdentifier]
    stock_by_venue: list[VenueStock]
    quarantine: list[StockLevel]
    on_hand: Decimal
    costs: list[ItemCost]
    pars: list[tuple[Venue, Decimal | None]]  # every venue the user works in, with its par or None


def list_identifiers(*, organization: Organization, item: Item) -> list[ItemIdentifier]:
    return list(
        ItemIdentifier.objects.for_org(organization)
        .filter(item=item)
        .select_related("distributor")
        .order_by("-is_current", "kind", "distributor__name", "-last_seen", "value")
    )


def list_stock_levels(*, organization: Organization, item: Item) -> list[StockLevel]:
    return list(
        StockLevel.objects.for_org(organization)
        .filter(item=item)
        .select_related("storage_area__venue")
        .order_by("storage_area__venue__name", "-storage_area__is_primary", "storage_area__name")
    )


def list_cost_history(*, organization: Organization, item: Item, limit: int = COST_HISTORY_LIMIT) -> list[ItemCost]:
    return list(
        ItemCost.objects.for_org(organization)
        .filter(item=item)
        .select_related("distributor", "recorded_by")
        .order_by("-effective_date", "-recorded_at", "-pk")[:limit]
    )


def list_pars(*, organization: Organization, item: Item, venues) -> list[tuple[Venue, Decimal | None]]:
    pars = dict(ItemPar.objects.for_org(organization).filter(item=item).values_list("venue_id", "par"))
    return [(venue, pars.get(venue.pk)) for venue in venues]


def page_of_movements(*, organization: Organization, item: Item, page=None):
    """Movements of the item, newest first, MOVEMENTS_PAGE_SIZE a page."""
    movements = (
        StockMovement.objects.for_org(organization)
        .filter(item=item)
        .select_related("storage_area__venue", "actor")
        .order_by("-business_date", "-created_at", "-pk")
    )
    return Paginator(movements, MOVEMENTS_PAGE_SIZE).get_page(page)


def item_detail(*, organization: Organization, item: Item, venues) -> ItemDetail:
    """Everything the item page shows except movements (paged on their own) and merges.

    `venues` are the venues the user works in (request.venues): their pars are listed.
    """
    identifiers = list_identifiers(organization=organization, item=item)
    by_venue: OrderedDict[int, VenueStock] = OrderedDict()
    quarantine = []
    for level in list_stock_levels(organization=organization, item=item):
        if level.storage_area.is_quarantine:
            quarantine.append(level)
            continue
        venue = level.storage_area.venue
        by_venue.setdefault(venue.pk, VenueStock(venue=venue)).levels.append(level)
    stock = list(by_venue.values())
    return ItemDetail(
        item=item,
        current_identifiers=[i for i in identifiers if i.is_current],
        identifier_history=[i for i in identifiers if not i.is_current],
        stock_by_venue=stock,
        quarantine=quarantine,
        on_hand=sum((v.total for v in stock), Decimal(0)),
        costs=list_cost_history(organization=organization, item=item),
        pars=list_pars(organization=organization, item=item, venues=venues),
    )
