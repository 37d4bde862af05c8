"""Read queries of the invoices pages: the inbox, the review page, unrouted invoices, the nav badge.

Every function takes the organization (and, where the user's venues matter, the venues they
work at). Flags are computed by the database in the same query as the rows, so a list or a
200-line invoice costs a fixed number of queries:

- total mismatch: the stated total differs from the lines (extended amount, else quantity x
  unit price, plus the line's own charges) by more than a cent;
- price moved: an inventory line's unit cost (the case price divided by the pack for CS)
  differs from the item's current cost per unit by more than
  settings.INVOICE_PRICE_CHANGE_FLAG_PERCENT percent (only meaningful while the invoice is
  pending: approving it makes its price the item's cost);
- unmatched: an inventory line with no item (approval refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, NullIf
from django.shortcuts import get_object_or_404

from invoices.models import InvoiceLine, PartialInvoice
from items.models import Item, ItemIdentifier
from venues.models import Notification, Organization, StorageArea, Venue

INBOX_PAGE_SIZE = 50
TOTAL_TOLERANCE = Decimal("0.01")
STATUSES = [s.value for s in PartialInvoice.Status]

_MONEY = DecimalField(max_digits=16, decimal_places=4)


class _ChargesTotal(Func):
    """The sum of a line's `charges` JSON list ([{"amount": "1.50"}, ...]); 0 when there are none."""

    template = "(SELECT COALESCE(SUM((c.value->>'amount')::numeric), 0) FROM jsonb_array_elements(%(expressions)s) c)"
    output_field = _MONEY


def line_amount(prefix: str = ""):
    """What a line adds to the invoice: its extended amount (or quantity x price) plus its charges."""
    p = prefix
    times = ExpressionWrapper(F(f"{p}quantity") * F(f"{p}unit_price"), output_field=_MONEY)
    base = Coalesce(F(f"{p}extended_amount"), times, Value(Decimal(0)), output_field=_MONEY)
    return ExpressionWrapper(base + _ChargesTotal(F(f"{p}charges")), output_field=_MONEY)


def unit_cost_expression():
    """The line's price per unit (a bottle, a can, a keg): the case price divided by the pack for CS."""
    pack = Coalesce(NullIf(F("units_per_case"), Value(0)), F("item__units_per_case"), Value(1),
                    output_field=IntegerField())  # fmt: skip
    return Case(
        When(uom="CS", then=ExpressionWrapper(F("unit_price") / pack, output_field=_MONEY)),
        default=F("unit_price"),
        output_field=_MONEY,
    )


def _flag_ratio() -> Decimal:
    return Decimal(settings.INVOICE_PRICE_CHANGE_FLAG_PERCENT) / Decimal(100)


def price_moved_q() -> Q:
    """Lines (annotated with `unit_cost`) whose price moved more than the flag percent from the item's cost."""
    return Q(
        is_inventory=True,
        item__isnull=False,
        unit_price__isnull=False,
        item__cost_per_unit__gt=0,
        unit_cost_change__gt=ExpressionWrapper(F("item__cost_per_unit") * Value(_flag_ratio()), output_field=_MONEY),
    )


def annotate_line_flags(lines: QuerySet[InvoiceLine]) -> QuerySet[InvoiceLine]:
    """Each line with `unit_cost`, `amount` and `price_moved` (see the module docstring)."""
    lines = lines.annotate(unit_cost=unit_cost_expression())
    lines = lines.annotate(unit_cost_change=Abs(F("unit_cost") - F("item__cost_per_unit")), amount=line_amount())
    return lines.annotate(
        price_moved=ExpressionWrapper(price_moved_q(), output_field=BooleanField()),
    )


def _count_lines(invoice_lines: QuerySet[InvoiceLine]):
    counted = invoice_lines.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), Value(0), output_field=IntegerField())


def with_figures(invoices: QuerySet[PartialInvoice]) -> QuerySet[PartialInvoice]:
    """Invoices with `line_count`, `lines_total`, `unmatched_count` and `price_move_count`.

    Correlated subqueries (not one GROUP BY over a join) keep each figure independent and let
    the invoice rows be read with their related rows as usual.
    """
    lines = InvoiceLine.objects.all()
    totals = (
        lines.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(total=Sum(line_amount()))
        .values("total")
    )  # fmt: skip
    moved = annotate_line_flags(InvoiceLine.objects.all()).filter(price_moved_q())
    return invoices.annotate(
        line_count=_count_lines(lines),
        lines_total=ExpressionWrapper(
            Coalesce(Subquery(totals), Value(Decimal(0)), output_field=_MONEY) + _ChargesTotal(F("charges")),
            output_field=_MONEY,
        ),
        unmatched_count=_count_lines(lines.filter(is_inventory=True, item__isnull=True)),
        price_move_count=_count_lines(moved),
    )


def total_mismatch(stated_total, lines_total) -> Decimal | None:
    """The difference between the stated total and the lines, when it is more than a cent."""
    if stated_total is None or lines_total is None:
        return None
    difference = Decimal(lines_total) - Decimal(stated_total)
    return difference if abs(difference) > TOTAL_TOLERANCE else None


# --- the inbox ------------------------------------------------------------------------------


def _venue_ids(venues) -> list[int]:
    return [v.pk for v in venues]


def visible_invoices(*, organization: Organization, venues) -> QuerySet[PartialInvoice]:
    """Invoices of the venues the user works at (routed ones only; unrouted have their own list)."""
    return PartialInvoice.objects.for_org(organization).filter(venue_id__in=_venue_ids(venues))


def inbox_counts(*, organization: Organization, venues, venue: Venue | None = None,
                 include_unrouted: bool = False) -> dict[str, int]:  # fmt: skip
    """{status: count} for the tabs (at `venue` if given), and "unrouted" when asked; one query."""
    invoices = PartialInvoice.objects.for_org(organization)
    scope = Q(venue_id__in=[venue.pk] if venue is not None else _venue_ids(venues))
    unrouted = Q(venue__isnull=True, status=PartialInvoice.Status.PENDING_REVIEW)
    if include_unrouted:
        invoices = invoices.filter(scope | unrouted)
    else:
        invoices = invoices.filter(scope)
    aggregates = {status: Count("pk", filter=scope & Q(status=status)) for status in STATUSES}
    if include_unrouted:
        aggregates["unrouted"] = Count("pk", filter=unrouted)
    counts = {"unrouted": 0, **invoices.aggregate(**aggregates)}
    return {key: value or 0 for key, value in counts.items()}


def page_of_invoices(*, organization: Organization, venues, status: str, venue: Venue | None = None, page=None):
    """One page of the inbox tab `status`: newest invoice date first, with their figures."""
    invoices = visible_invoices(organization=organization, venues=venues).filter(status=status)
    if venue is not None:
        invoices = invoices.filter(venue=venue)
    if status == PartialInvoice.Status.PENDING_REVIEW:
        order = ("invoice_date", "created_at", "pk")  # the oldest waits longest: first
    else:
        order = ("-reviewed_at", "-invoice_date", "-pk")
    invoices = with_figures(invoices.select_related("distributor", "venue", "reviewed_by").order_by(*order))
    return Paginator(invoices, INBOX_PAGE_SIZE).get_page(page)


def list_unrouted(*, organization: Organization) -> list[PartialInvoice]:
    """Pending invoices no venue's account number matched, oldest first, with their line counts."""
    invoices = (
        PartialInvoice.objects.for_org(organization)
        .filter(venue__isnull=True, status=PartialInvoice.Status.PENDING_REVIEW)
        .select_related("distributor").order_by("invoice_date", "pk")
    )  # fmt: skip
    return list(invoices.annotate(line_count=_count_lines(InvoiceLine.objects.all())))


def list_product_connect_venues(*, organization: Organization) -> list[Venue]:
    """Venues an unrouted invoice may go to: active, with Product Connect on."""
    venues = Venue.objects.for_org(organization).filter(is_active=True, product_connect_enabled=True)
    return list(venues.order_by("name"))


def nav_counts(*, organization: Organization, user, venues) -> dict[str, int]:
    """Pending invoices at the user's venues and the user's unread notifications, in one query."""
    pending = (
        PartialInvoice.objects.for_org(organization)
        .filter(status=PartialInvoice.Status.PENDING_REVIEW, venue_id__in=_venue_ids(venues))
        .order_by().values("organization").annotate(n=Count("pk")).values("n")
    )  # fmt: skip
    unread = (
        Notification.objects.for_org(organization).filter(user=user, read_at__isnull=True)
        .order_by().values("organization").annotate(n=Count("pk")).values("n")
    )  # fmt: skip
    row = (
        Organization.objects.filter(pk=organization.pk)
        .annotate(pending=Coalesce(Subquery(pending), Value(0)), unread=Coalesce(Subquery(unread), Value(0)))
        .values("pending", "unread").first()
    )  # fmt: skip
    return row or {"pending": 0, "unread": 0}


# --- one invoice -----------------------------------------------------------------------------


def get_invoice(*, organization: Organization, pk) -> PartialInvoice:
    """The organization's invoice with its distributor, venue, document and reviewer, or 404."""
    invoices = PartialInvoice.objects.for_org(organization).select_related(
        "distributor", "venue", "reviewed_by", "document"
    )
    return get_object_or_404(invoices.defer("document__content"), pk=pk)


def get_line(*, organization: Organization, pk) -> InvoiceLine:
    """The organization's invoice line with its invoice (and that invoice's venue), or 404."""
    lines = InvoiceLine.objects.for_org(organization).select_related("invoice__distributor", "invoice__venue", "item")
    return get_object_or_404(annotate_line_flags(lines), pk=pk)


def list_lines(*, organization: Organization, invoice: PartialInvoice) -> list[InvoiceLine]:
    """Every line of the invoice in order, with its item and flags; one query however many lines."""
    lines = InvoiceLine.objects.for_org(organization).filter(invoice=invoice).select_related("item")
    return list(annotate_line_flags(lines).order_by("line_number", "pk"))


@dataclass
class InvoiceSummary:
    """What the review page's header says about an invoice's lines."""

    invoice: PartialInvoice
    lines: list[InvoiceLine]
    primary_area: StorageArea | None
    lines_total: Decimal = Decimal(0)
    mismatch: Decimal | None = None
    unmatched: list[InvoiceLine] = field(default_factory=list)
    price_moves: list[InvoiceLine] = field(default_factory=list)
    items_to_receive: int = 0  # distinct items whose stock approval changes
    units_to_receive: Decimal = Decimal(0)
    items: list[Item] = field(default_factory=list)  # the items of the inventory lines, in line order

    @property
    def line_count(self) -> int:
        return len(self.lines)


def _units(line: InvoiceLine) -> Decimal:
    if line.uom == "CS":
        return line.quantity * (line.units_per_case or (line.item.units_per_case if line.item else 1) or 1)
    return line.quantity


def summarize(*, invoice: PartialInvoice, lines: list[InvoiceLine], primary_area: StorageArea | None) -> InvoiceSummary:
    """Totals and flags of lines already read by `list_lines` (no query)."""
    summary = InvoiceSummary(invoice=invoice, lines=lines, primary_area=primary_area)
    invoice_charges = sum((Decimal(str(c.get("amount") or 0)) for c in invoice.charges or []), Decimal(0))
    summary.lines_total = (sum((line.amount for line in lines), Decimal(0)) + invoice_charges).quantize(Decimal("0.01"))
    summary.mismatch = total_mismatch(invoice.stated_total, summary.lines_total)
    stock = [line for line in lines if line.is_inventory]
    summary.unmatched = [line for line in stock if line.item_id is None]
    summary.price_moves = [line for line in stock if line.price_moved]
    per_item: dict[int, Decimal] = {}
    seen = {}
    for line in stock:
        if line.item_id is None:
            continue
        per_item[line.item_id] = per_item.get(line.item_id, Decimal(0)) + _units(line)
        seen.setdefault(line.item_id, line.item)
    summary.items_to_receive = sum(1 for units in per_item.values() if units != 0)
    summary.units_to_receive = sum(per_item.values(), Decimal(0))
    summary.items = list(seen.values())
    return summary


def get_primary_area(*, organization: Organization, venue: Venue | None) -> StorageArea | None:
    if venue is None:
        return None
    return StorageArea.objects.for_org(organization).filter(venue=venue, is_primary=True).first()


def invoice_summary(*, organization: Organization, invoice: PartialInvoice) -> InvoiceSummary:
    """The invoice's lines with their flags and what approving it would do (two queries)."""
    lines = list_lines(organization=organization, invoice=invoice)
    return summarize(invoice=invoice, lines=lines,
                     primary_area=get_primary_area(organization=organization, venue=invoice.venue))  # fmt: skip


def search_items_for_line(*, organization: Organization, query: str, limit: int = 8) -> list[Item]:
    """Items a reviewer may link a line to: the Items page's search, best match first.

    Distributors spell names their own way (TITOS for Tito's, BLK for Black): when the Items
    search finds nothing, the normalized words (items.normalize) are looked up in the items'
    normalized names, so typing what the invoice says still finds the item.
    """
    from items.normalize import name_tokens
    from items.selectors import search_items, search_words

    if not search_words(query):
        return []
    found = list(search_items(organization=organization, query=query)[:limit])
    if found:
        return found
    words = name_tokens(query, drop_size=False)
    if not words:
        return []
    items = Item.objects.for_org(organization).filter(archived=False, merged_into__isnull=True)
    for word in words[:8]:
        items = items.filter(name_key__contains=word)
    current_skus = ItemIdentifier.objects.filter(is_current=True, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU)
    current_skus = current_skus.order_by("value")
    items = items.prefetch_related(Prefetch("identifiers", queryset=current_skus, to_attr="current_skus"))
    return list(items.order_by("name", "size_ml", "pk")[:limit])


def get_item(*, organization: Organization, pk) -> Item | None:
    """The organization's item (not merged away), or None for no or a malformed pk."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Item.objects.for_org(organization).filter(pk=pk).first()


def count_lines(*, organization: Organization, invoice: PartialInvoice) -> int:
    return InvoiceLine.objects.for_org(organization).filter(invoice=invoice).count()
