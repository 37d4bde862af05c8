"""What reviewers do to a partial invoice: fix matches, add and edit lines, attach the copy,
approve or reject, and (admins) give an unrouted invoice its venue.

Any member who works at the invoice's venue may review it (staff included, per DESIGN.md);
unrouted invoices are for admins. Only pending invoices change; approval is the one place an
invoice moves stock, and it does so through the ledger.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from distributors.services import DistributorsError, upsert_account_from_feed
from inventory_site.errors import PermissionDenied
from invoices.models import InvoiceLine, PartialInvoice
from invoices.services.errors import InvoicesError
from invoices.services.pipeline import _lock_distributor_ingest, _new_item_for_line, _note, match_and_build_line
from items.errors import ItemsError
from items.models import Item, ItemIdentifier, StockMovement
from items.services.catalog import record_cost, record_identifier
from items.services.ledger import record_movement
from items.sizes import parse_size
from venues.models import Membership, Organization, StorageArea, Venue
from venues.services import notify_venue_users, record_audit, require_role

ALL_ROLES = (Membership.Role.ADMIN, Membership.Role.MANAGER, Membership.Role.STAFF)

# Content sniffing: what the bytes are, not what the name or the browser says.
_SIGNATURES = ((b"%PDF-", "pdf", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
               (b"\xff\xd8\xff", "jpg", "image/jpeg"))  # fmt: skip


def _require_reviewer(actor, organization: Organization, venue: Venue | None) -> Membership | None:
    """A member who works at `venue`; for an unrouted invoice (no venue), an admin."""
    membership = require_role(actor=actor, organization=organization, roles=ALL_ROLES)
    if membership is None:  # the system
        return None
    if venue is None:
        if not membership.is_admin:
            raise PermissionDenied("Only an admin can handle an invoice that has no venue yet.")
        return membership
    limited = list(membership.venues.values_list("pk", flat=True))
    if limited and venue.pk not in limited:
        raise PermissionDenied(f"You do not work at {venue.name}.")
    return membership


def _locked_pending(organization, invoice: PartialInvoice) -> PartialInvoice:
    invoice = (
        PartialInvoice.objects.for_org(organization).select_for_update(of=("self",))
        .select_related("venue", "distributor").get(pk=invoice.pk)
    )  # fmt: skip
    if invoice.status != PartialInvoice.Status.PENDING_REVIEW:
        raise InvoicesError(f"Invoice {invoice.invoice_number} is already {invoice.get_status_display().lower()}; "
                            f"it can no longer be changed.")  # fmt: skip
    return invoice


def _locked_line(organization, line: InvoiceLine) -> tuple[PartialInvoice, InvoiceLine]:
    invoice = _locked_pending(organization, line.invoice)
    line = InvoiceLine.objects.for_org(organization).select_for_update(of=("self",)).get(pk=line.pk, invoice=invoice)
    return invoice, line


def _who(actor) -> str:
    if actor is None:
        return "the system"
    return actor.get_full_name() or actor.email


def _decimal(value, what: str, *, allow_blank=False, positive=False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_blank:
            return None
        raise InvoicesError(f"{what} is required.")
    try:
        number = Decimal(str(value).strip().replace("$", "").replace(",", ""))
    except InvalidOperation:
        raise InvoicesError(f"{what} '{value}' is not a number.") from None
    if not number.is_finite():
        raise InvoicesError(f"{what} '{value}' is not a number.")
    if positive and number < 0:
        raise InvoicesError(f"{what} can't be negative.")
    return number


def _live_item(organization, item: Item) -> Item:
    item = Item.objects.for_org(organization).get(pk=item.pk)
    if item.merged_into_id:
        raise InvoicesError(f"{item} was merged into another item; choose that one.")
    return item


def teach_sku(*, organization, distributor, sku: str, item: Item, source: str) -> None:
    """Remember that this distributor's SKU names `item` (a reviewer said so): the next invoice
    links by SKU. Another item that carried the SKU keeps it only as history."""
    sku = (sku or "").strip()
    if not sku:
        return
    ItemIdentifier.objects.for_org(organization).filter(
        kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=distributor, scope="", value=sku, is_current=True
    ).exclude(item=item).update(is_current=False)
    record_identifier(organization=organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, value=sku,
                      distributor=distributor, source=source[:80])  # fmt: skip


def _relink_pending(organization, invoice: PartialInvoice, sku: str, item: Item, *, reason: str) -> int:
    """Lines of other pending invoices from this distributor with the same SKU follow the correction."""
    if not sku:
        return 0
    return (
        InvoiceLine.objects.for_org(organization)
        .filter(invoice__distributor=invoice.distributor, invoice__status=PartialInvoice.Status.PENDING_REVIEW,
                distributor_sku=sku, is_inventory=True)
        .exclude(invoice=invoice).exclude(match=InvoiceLine.Match.MANUAL).exclude(item=item)
        .update(item=item, match=InvoiceLine.Match.SKU, match_score=Decimal(100), match_reason=reason[:300])
    )  # fmt: skip


# --- lines ---------------------------------------------------------------------------------------


@transaction.atomic
def set_line_item(*, actor, organization: Organization, line: InvoiceLine, item: Item) -> InvoiceLine:
    """Link a line to the item a reviewer chose; the distributor's SKU is remembered for it."""
    _require_reviewer(actor, organization, line.invoice.venue)
    invoice, line = _locked_line(organization, line)
    item = _live_item(organization, item)
    previous = line.item
    line.item, line.match, line.match_score, line.is_inventory = item, InvoiceLine.Match.MANUAL, None, True
    line.match_reason = f"chosen by {_who(actor)}"[:300]
    line.matched_by = actor if getattr(actor, "pk", None) else None
    line.save(update_fields=["item", "match", "match_score", "match_reason", "is_inventory", "matched_by"])
    teach_sku(organization=organization, distributor=invoice.distributor, sku=line.distributor_sku, item=item,
              source=f"reviewer, invoice {invoice.invoice_number}")  # fmt: skip
    _relink_pending(organization, invoice, line.distributor_sku, item,
                    reason=f"distributor SKU {line.distributor_sku} (taught by {_who(actor)})")  # fmt: skip
    invoice.notes = _note(invoice.notes, f"line {line.line_number}: {previous or 'no item'} → {item} by {_who(actor)}")
    invoice.save(update_fields=["notes"])
    return line


@transaction.atomic
def create_item_from_line(*, actor, organization: Organization, line: InvoiceLine, name: str | None = None,
                          size: str | None = None, units_per_case=None, category: str | None = None) -> Item:  # fmt: skip
    """A new item from what the line says (or what the reviewer typed), linked to the line."""
    _require_reviewer(actor, organization, line.invoice.venue)
    invoice, line = _locked_line(organization, line)
    if name is not None and not name.strip():
        raise InvoicesError("The new item needs a name.")
    if size:
        if parse_size(size) is None:
            raise InvoicesError(f"Size '{size}' is not a size Backstock understands (e.g. 750ML, 1.75L, 12OZ).")
    draft = InvoiceLine(description=(name or line.description).strip(), size=size or line.size, upc=line.upc,
                        brand=line.brand, category=category or line.category, distributor_sku=line.distributor_sku,
                        units_per_case=int(units_per_case) if units_per_case else line.units_per_case)  # fmt: skip
    try:
        item = _new_item_for_line(organization=organization, distributor=invoice.distributor, line=draft, actor=actor,
                                  source=f"invoice {invoice.invoice_number} line {line.line_number}")  # fmt: skip
    except ItemsError as exc:
        raise InvoicesError(str(exc)) from None
    if category and category in Item.Category.values and item.category != category:
        Item.objects.filter(pk=item.pk).update(category=category)
        item.category = category
    teach_sku(organization=organization, distributor=invoice.distributor, sku=line.distributor_sku, item=item,
              source=f"reviewer, invoice {invoice.invoice_number}")  # fmt: skip
    line.item, line.match, line.match_score, line.created_item, line.is_inventory = item, "new", None, True, True
    line.match_reason = f"new item created by {_who(actor)}"[:300]
    line.matched_by = actor if getattr(actor, "pk", None) else None
    line.save(update_fields=["item", "match", "match_score", "created_item", "match_reason", "is_inventory", "matched_by"])
    invoice.notes = _note(invoice.notes, f"line {line.line_number}: new item {item} created by {_who(actor)}")
    invoice.save(update_fields=["notes"])
    return item


@transaction.atomic
def add_line(*, actor, organization: Organization, invoice: PartialInvoice, item: Item, quantity, uom: str = "EA",
             unit_price=None, description: str = "") -> InvoiceLine:  # fmt: skip
    """A line the feed left out (a bottle on the truck but not on the invoice)."""
    _require_reviewer(actor, organization, invoice.venue)
    invoice = _locked_pending(organization, invoice)
    item = _live_item(organization, item)
    qty = _decimal(quantity, "Quantity")
    if qty == 0:
        raise InvoicesError("Quantity must not be zero.")
    price = _decimal(unit_price, "Unit price", allow_blank=True, positive=True)
    uom = (uom or "EA").upper()
    if uom not in ("CS", "EA"):
        raise InvoicesError("Unit must be CS (cases) or EA (bottles, cans, kegs).")
    number = (invoice.lines.aggregate(top=Max("line_number"))["top"] or 0) + 1
    line = InvoiceLine.objects.create(
        organization=organization, invoice=invoice, line_number=number, description=(description or item.name)[:300],
        size=item.size_label, units_per_case=item.units_per_case, quantity=qty, uom=uom, unit_price=price,
        extended_amount=(qty * price).quantize(Decimal("0.01")) if price is not None else None, item=item,
        match=InvoiceLine.Match.MANUAL, match_reason=f"added by {_who(actor)}", added_by_reviewer=True,
        matched_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    invoice.notes = _note(invoice.notes, f"line {number} ({item}) added by {_who(actor)}")
    invoice.save(update_fields=["notes"])
    return line


@transaction.atomic
def update_line(*, actor, organization: Organization, line: InvoiceLine, quantity=None, unit_price=None,
                uom: str | None = None, is_inventory: bool | None = None) -> InvoiceLine:  # fmt: skip
    """Correct what was delivered or what it cost; None leaves a value as it is."""
    _require_reviewer(actor, organization, line.invoice.venue)
    invoice, line = _locked_line(organization, line)
    changes = []
    old_quantity = line.quantity
    if quantity is not None:
        qty = _decimal(quantity, "Quantity")
        if qty != line.quantity:
            changes.append(f"quantity {line.quantity.normalize():f} → {qty.normalize():f}")
            line.quantity = qty
    if unit_price is not None:
        price = _decimal(unit_price, "Unit price", allow_blank=True, positive=True)
        if price != line.unit_price:
            changes.append(f"unit price {line.unit_price if line.unit_price is not None else '—'} → {price if price is not None else '—'}")
            line.unit_price = price
    if uom is not None:
        uom = uom.upper()
        if uom not in ("CS", "EA"):
            raise InvoicesError("Unit must be CS (cases) or EA (bottles, cans, kegs).")
        if uom != line.uom:
            changes.append(f"unit {line.uom} → {uom}")
            line.uom = uom
    if is_inventory is not None and is_inventory != line.is_inventory:
        changes.append("counted as stock" if is_inventory else "not stock")
        line.is_inventory = is_inventory
    if not changes:
        return line
    if line.unit_price is not None:
        line.extended_amount = (line.quantity * line.unit_price).quantize(Decimal("0.01"))
    elif unit_price is not None:
        line.extended_amount = None  # the price was cleared: no amount to show
    elif quantity is not None and line.extended_amount is not None and old_quantity:
        # No unit price, only the feed's line amount: it scales with the corrected quantity.
        line.extended_amount = (line.extended_amount * line.quantity / old_quantity).quantize(Decimal("0.01"))
    line.edited_by_reviewer = True  # a re-sent invoice keeps the correction
    line.save()
    invoice.notes = _note(invoice.notes, f"line {line.line_number}: {', '.join(changes)} by {_who(actor)}")
    invoice.save(update_fields=["notes"])
    return line


@transaction.atomic
def remove_line(*, actor, organization: Organization, line: InvoiceLine) -> None:
    """Only lines a reviewer added can go; the feed's lines are the distributor's record."""
    _require_reviewer(actor, organization, line.invoice.venue)
    invoice, line = _locked_line(organization, line)
    if not line.added_by_reviewer:
        raise InvoicesError(f"Line {line.line_number} came from the distributor; set its quantity to 0 instead.")
    line.delete()
    invoice.notes = _note(invoice.notes, f"line {line.line_number} ({line.description}) removed by {_who(actor)}")
    invoice.save(update_fields=["notes"])


# --- the digital copy -----------------------------------------------------------------------


def sniff_copy_type(head: bytes) -> tuple[str, str] | None:
    """(extension, content type) when the bytes are a PDF, PNG or JPEG; else None."""
    for signature, extension, content_type in _SIGNATURES:
        if head.startswith(signature):
            return extension, content_type
    return None


@transaction.atomic
def attach_copy(*, actor, organization: Organization, invoice: PartialInvoice, uploaded_file) -> PartialInvoice:
    """Keep the paper invoice's scan or PDF with the invoice; stored under the organization's folder."""
    _require_reviewer(actor, organization, invoice.venue)
    invoice = PartialInvoice.objects.for_org(organization).select_for_update(of=("self",)).get(pk=invoice.pk)
    limit = settings.INVOICE_ATTACHMENT_MAX_BYTES
    name = getattr(uploaded_file, "name", "") or "file"
    if uploaded_file.size > limit:
        raise InvoicesError(f"{name} is {uploaded_file.size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.")
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    kind = sniff_copy_type(head)
    if kind is None:
        raise InvoicesError(f"{name} is not a PDF, JPG or PNG file (its content says otherwise).")
    uploaded_file.seek(0)
    old = invoice.attachment.name if invoice.attachment else ""
    invoice.attachment.save(f"{organization.pk}/{uuid.uuid4().hex}.{kind[0]}", ContentFile(uploaded_file.read()), save=False)
    invoice.notes = _note(invoice.notes, f"copy attached ({name}) by {_who(actor)}")
    invoice.save(update_fields=["attachment", "notes"])
    if old:
        storage = invoice.attachment.storage
        transaction.on_commit(lambda: storage.delete(old))
    record_audit(organization=organization, actor=actor, action="invoice.copy_attached", obj=invoice,
                 summary=f"Copy of invoice {invoice.invoice_number} attached ({name})")  # fmt: skip
    return invoice


# --- approve / reject -------------------------------------------------------------------------


@dataclass
class ApprovalResult:
    invoice: PartialInvoice
    already_approved: bool = False
    movements: int = 0
    costs_recorded: int = 0
    newest_for: list[int] = field(default_factory=list)  # items whose cost/SKU/pack this invoice set


def _units(line: InvoiceLine) -> Decimal:
    if line.uom == "CS":
        return line.quantity * (line.units_per_case or line.item.units_per_case or 1)
    return line.quantity


def primary_area(organization, venue: Venue) -> StorageArea:
    area = StorageArea.objects.for_org(organization).filter(venue=venue, is_primary=True).first()
    if area is None:
        raise InvoicesError(f"{venue.name} has no primary storage area to receive into; make one primary in "
                            f"Manage Organization.")  # fmt: skip
    return area


@transaction.atomic
def approve_invoice(*, actor, organization: Organization, invoice: PartialInvoice) -> ApprovalResult:
    """Receive the stock at the invoice date and take its costs, once.

    The invoice row is locked first, so a double click or two reviewers at once approve once
    (the second sees it approved and changes nothing). Costs, SKUs and pack sizes change only
    for items where no later-dated approved invoice exists; the cost history keeps every one.
    """
    _require_reviewer(actor, organization, invoice.venue)
    invoice = (
        PartialInvoice.objects.for_org(organization).select_for_update(of=("self",))
        .select_related("venue", "distributor").get(pk=invoice.pk)
    )  # fmt: skip
    if invoice.status == PartialInvoice.Status.APPROVED:
        return ApprovalResult(invoice, already_approved=True)
    if invoice.status == PartialInvoice.Status.REJECTED:
        raise InvoicesError(f"Invoice {invoice.invoice_number} was rejected; it can't be approved.")
    if invoice.venue is None:
        raise InvoicesError(f"Invoice {invoice.invoice_number} has no venue yet; an admin must choose one first.")
    area = primary_area(organization, invoice.venue)
    lines = list(invoice.lines.filter(is_inventory=True).select_related("item").order_by("line_number"))
    missing = [line for line in lines if line.item_id is None and line.quantity != 0]
    if missing:
        first = missing[0]
        raise InvoicesError(f"Line {first.line_number} ({first.description or first.distributor_sku}) has no item: "
                            f"choose one, create one, or mark it as not stock"
                            + (f" ({len(missing) - 1} more like it)" if len(missing) > 1 else "") + ".")  # fmt: skip
    lines = [line for line in lines if line.item_id is not None]
    result = ApprovalResult(invoice)
    label = f"{'Credit memo' if invoice.is_credit_memo else 'Invoice'} {invoice.invoice_number} from {invoice.distributor.name}"

    # Stock: one movement per item, in item order (every writer locks levels in (item, area) order).
    per_item: dict[int, Decimal] = defaultdict(Decimal)
    items = {}
    for line in lines:
        per_item[line.item_id] += _units(line)
        items[line.item_id] = line.item
    for item_id in sorted(per_item):
        if per_item[item_id] == 0:
            continue
        record_movement(organization=organization, item=items[item_id], storage_area=area, quantity=per_item[item_id],
                        kind=StockMovement.Kind.RECEIPT, business_date=invoice.invoice_date, actor=actor,
                        reason=label, source_type="invoice", source_id=str(invoice.pk))  # fmt: skip
        result.movements += 1

    # Costs, SKUs, pack sizes: only where this invoice is the newest approved one for the item.
    later = dict(
        InvoiceLine.objects.for_org(organization)
        .filter(item_id__in=list(items), invoice__status=PartialInvoice.Status.APPROVED,
                invoice__invoice_date__gt=invoice.invoice_date, invoice__is_credit_memo=False)
        .values("item_id").annotate(latest=Max("invoice__invoice_date")).values_list("item_id", "latest")
    )  # fmt: skip
    # The SKUs these lines carry, as the organization knows them now: one query instead of a few per line.
    skus = {line.distributor_sku for line in lines if line.distributor_sku}
    current_owners: dict[str, set[int]] = defaultdict(set)
    known: set[tuple[int, str]] = set()
    for item_id, value, is_current in ItemIdentifier.objects.for_org(organization).filter(
        kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=invoice.distributor, scope="", value__in=skus
    ).values_list("item_id", "value", "is_current"):  # fmt: skip
        known.add((item_id, value))
        if is_current:
            current_owners[value].add(item_id)
    seen_skus = []
    source = f"invoice {invoice.invoice_number}"
    for line in lines:
        item = line.item
        newest = item.pk not in later
        if newest and line.units_per_case and line.units_per_case != item.units_per_case and line.quantity > 0:
            Item.objects.filter(pk=item.pk).update(units_per_case=line.units_per_case, updated_at=timezone.now())
            item.units_per_case = line.units_per_case
        sku = line.distributor_sku
        if sku and newest and current_owners[sku] == {item.pk}:
            seen_skus.append(sku)  # already this item's current SKU: only "last seen" moves
        elif sku and newest:
            teach_sku(organization=organization, distributor=invoice.distributor, sku=sku, item=item, source=source)
            current_owners[sku] = {item.pk}
            known.add((item.pk, sku))
        elif sku and (item.pk, sku) not in known:  # an older invoice adds its SKU to the history only
            identifier = record_identifier(organization=organization, item=item, value=sku, source=source,
                                           kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=invoice.distributor)  # fmt: skip
            ItemIdentifier.objects.filter(pk=identifier.pk).update(is_current=False)
            known.add((item.pk, sku))
        if line.unit_price is not None and line.quantity > 0 and not invoice.is_credit_memo:
            pack = line.units_per_case or item.units_per_case or 1
            if line.uom == "CS":
                per_case, per_unit = line.unit_price, (line.unit_price / pack).quantize(Decimal("0.0001"))
            else:
                per_unit, per_case = line.unit_price, (line.unit_price * pack).quantize(Decimal("0.01"))
            record_cost(organization=organization, item=item, cost_per_unit=per_unit, cost_per_case=per_case,
                        effective_date=invoice.invoice_date, source=Item.CostSource.INVOICE,
                        source_ref=f"invoice {invoice.invoice_number}", distributor=invoice.distributor, actor=actor)  # fmt: skip
            result.costs_recorded += 1
        if newest:
            result.newest_for.append(item.pk)

    if seen_skus:
        ItemIdentifier.objects.for_org(organization).filter(
            kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=invoice.distributor, scope="", value__in=seen_skus,
            is_current=True,
        ).update(last_seen=timezone.now())  # fmt: skip

    invoice.status = PartialInvoice.Status.APPROVED
    invoice.reviewed_by = actor if getattr(actor, "pk", None) else None
    invoice.reviewed_at = invoice.updated_at = timezone.now()
    invoice.notes = _note(invoice.notes, f"approved by {_who(actor)}: {result.movements} items received into {area.name}")
    invoice.save(update_fields=["status", "reviewed_by", "reviewed_at", "notes", "updated_at"])
    record_audit(organization=organization, actor=actor, action="invoice.approved", obj=invoice,
                 summary=f"{label} approved: {result.movements} items received into {area.name} "
                         f"({invoice.venue.name}) dated {invoice.invoice_date:%Y-%m-%d}")  # fmt: skip
    return result


@transaction.atomic
def reject_invoice(*, actor, organization: Organization, invoice: PartialInvoice, reason: str) -> PartialInvoice:
    """Nothing is received. Items the feed created stay (other invoices may name them)."""
    _require_reviewer(actor, organization, invoice.venue)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvoicesError("Say why the invoice is rejected (the distributor or a colleague will ask).")
    invoice = PartialInvoice.objects.for_org(organization).select_for_update(of=("self",)).get(pk=invoice.pk)
    if invoice.status == PartialInvoice.Status.REJECTED:
        return invoice
    invoice = _locked_pending(organization, invoice)
    invoice.status, invoice.rejection_reason = PartialInvoice.Status.REJECTED, reason[:300]
    invoice.reviewed_by = actor if getattr(actor, "pk", None) else None
    invoice.reviewed_at = timezone.now()
    invoice.notes = _note(invoice.notes, f"rejected by {_who(actor)}: {reason}")
    invoice.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "notes"])
    record_audit(organization=organization, actor=actor, action="invoice.rejected", obj=invoice,
                 summary=f"Invoice {invoice.invoice_number} from {invoice.distributor.name} rejected: {reason}")  # fmt: skip
    return invoice


# --- unrouted -------------------------------------------------------------------------------


@transaction.atomic
def assign_venue(*, actor, organization: Organization, invoice: PartialInvoice, venue: Venue) -> list[PartialInvoice]:
    """Give an unrouted invoice its venue. The account number is remembered for that venue, so
    the distributor's next invoices route themselves, and the other waiting invoices of the same
    account go along. Returns every invoice that was routed."""
    _require_reviewer(actor, organization, None)
    if venue.organization_id != organization.pk:
        raise InvoicesError("That venue is not in this organization.")
    invoice = _locked_pending(organization, invoice)
    if invoice.venue_id is not None:
        raise InvoicesError(f"Invoice {invoice.invoice_number} already goes to {invoice.venue.name}.")
    if not venue.product_connect_enabled:
        raise InvoicesError(f"Product Connect is off for {venue.name}; turn it on in Manage Organization first.")
    routed = [invoice]
    _lock_distributor_ingest(organization.pk, invoice.distributor_id)  # no twin items with a running ingest
    if invoice.account_number:
        try:
            upsert_account_from_feed(organization=organization, venue=venue, distributor=invoice.distributor,
                                     account_number=invoice.account_number, actor=actor)  # fmt: skip
        except DistributorsError as exc:
            raise InvoicesError(str(exc)) from None
        routed += list(
            PartialInvoice.objects.for_org(organization).select_for_update(of=("self",)).select_related("distributor")
            .filter(distributor=invoice.distributor, account_number__iexact=invoice.account_number, venue__isnull=True,
                    status=PartialInvoice.Status.PENDING_REVIEW).exclude(pk=invoice.pk)
        )  # fmt: skip
    cache: dict = {}
    for each in routed:
        each.venue = venue
        each.notes = _note(each.notes, f"routed to {venue.name} by {_who(actor)}")
        each.save(update_fields=["venue", "notes"])
        _match_waiting_lines(organization, each, cache)
        record_audit(organization=organization, actor=actor, action="invoice.routed", obj=each,
                     summary=f"Invoice {each.invoice_number} from {each.distributor.name} routed to {venue.name}")  # fmt: skip
    count = len(routed)
    message = (f"{count} invoice{'s' if count > 1 else ''} from {invoice.distributor.name} for {venue.name} to review "
               f"(routed by {_who(actor)})")  # fmt: skip
    notify_venue_users(organization=organization, venue=venue, kind="invoices.new", message=message,
                       url=reverse("invoices:review", args=[invoice.pk]), email_subject=f"Backstock: {message}")  # fmt: skip
    return routed


def _match_waiting_lines(organization, invoice: PartialInvoice, cache: dict) -> None:
    """Lines that waited for a venue: match again, creating the items nothing fits."""
    from invoices.feeds.document import ParsedLine

    for line in invoice.lines.filter(is_inventory=True, item__isnull=True, added_by_reviewer=False):
        parsed = ParsedLine(line_number=line.line_number, distributor_sku=line.distributor_sku, upc=line.upc,
                            description=line.description, brand=line.brand, category=line.category, size=line.size,
                            units_per_case=line.units_per_case, quantity=line.quantity, uom=line.uom)  # fmt: skip
        built = match_and_build_line(organization=organization, invoice=invoice, parsed=parsed, cache=cache,
                                     create_items=True)  # fmt: skip
        InvoiceLine.objects.filter(pk=line.pk).update(
            item=built.item, match=built.match, match_score=built.match_score, match_reason=built.match_reason,
            created_item=built.created_item,
        )  # fmt: skip


__all__ = ["ApprovalResult", "add_line", "approve_invoice", "assign_venue", "attach_copy", "create_item_from_line",
           "primary_area", "reject_invoice", "remove_line", "set_line_item", "sniff_copy_type", "teach_sku",
           "update_line"]  # fmt: skip
