"""Product Connect: a raw document is stored once, then parsed, routed, matched and upserted.

Each step is idempotent, so a worker killed at any point and the document processed again ends
with every invoice exactly once:

- `store_document` keeps the bytes exactly as received, once per checksum (a re-delivery finds
  the stored row and only adds a note).
- `process_document` parses the stored bytes (pure, repeatable), then upserts each invoice in
  its own transaction: routed to a venue by distributor + account number, skipped when that
  venue's Product Connect is off, unique per distributor + invoice number (a re-send updates a
  pending invoice and is ignored once approved or rejected; the same content again changes
  nothing), its lines matched to items (invoices/matching.py) and unknown beverages created as
  new items at once, the distributor account and rep upserted. A last step notifies the venue's
  users of the invoices not yet announced and records the document's outcome.

Ingest of one organization + distributor is serialized by a transaction-scoped advisory lock,
so two workers never create the same new item twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import DataError, IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from distributors.models import Distributor, DistributorAccount
from distributors.services import DistributorsError, create_distributor, upsert_account_from_feed
from invoices.feeds import detect_format
from invoices.feeds.csv_feed import parse_csv
from invoices.feeds.document import FeedParseError, ParsedDocument, ParsedInvoice, ParsedLine
from invoices.feeds.edi import parse_810
from invoices.feeds.json_feed import parse_json_page
from invoices.matching import match_line
from invoices.models import FeedDocument, InvoiceLine, PartialInvoice
from invoices.services.errors import InvoicesError
from items.errors import ItemsError
from items.importing.fields import category_from_item, category_from_text
from items.models import Item, ItemIdentifier
from items.services.catalog import create_item, record_identifier
from items.sizes import find_size, parse_size
from venues.models import Membership, Organization, Venue
from venues.services import notify_venue_users, record_audit

logger = logging.getLogger(__name__)

PARSERS = {"csv": parse_csv, "json": parse_json_page, "edi810": parse_810}
MAX_NOTES = 50  # notes kept on one document or invoice; re-deliveries beyond that are not noted


@dataclass
class StoredDocument:
    document: FeedDocument
    created: bool


@dataclass
class InvoiceOutcome:
    invoice_number: str
    status: str  # created / updated / unchanged / ignored / skipped / failed
    invoice: PartialInvoice | None = None
    message: str = ""


@dataclass
class DocumentOutcome:
    document: FeedDocument
    status: str
    invoices: list[InvoiceOutcome] = field(default_factory=list)
    error: str = ""


def _note(notes: list, text: str) -> list:
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    return notes + [f"{stamp}: {text}"] if len(notes) < MAX_NOTES else notes


# --- 1. store ---------------------------------------------------------------------------------


def store_document(*, organization: Organization, content: bytes, distributor: Distributor | None = None, feed=None,
                   filename: str = "", format: str = "auto", route_to_venue: Venue | None = None) -> StoredDocument:  # fmt: skip
    """Keep the raw bytes before anything reads them; once per checksum per organization."""
    if not isinstance(content, bytes | bytearray | memoryview):
        raise InvoicesError("A feed document must be bytes.")
    content = bytes(content)
    checksum = hashlib.sha256(content).hexdigest()
    where = f" from {feed.name}" if feed is not None else ""
    with transaction.atomic():
        document, created = FeedDocument.objects.get_or_create(
            organization=organization, checksum=checksum,
            defaults={"feed": feed, "distributor": distributor, "filename": filename[:255], "size": len(content),
                      "format": "" if format == "auto" else format, "content": content,
                      "route_to_venue": route_to_venue},
        )  # fmt: skip
        if not created:
            document = FeedDocument.objects.select_for_update(of=("self",)).get(pk=document.pk)
            document.notes = _note(document.notes, f"received again{where} ({filename or 'same content'}); "
                                                   f"already stored, not imported twice")  # fmt: skip
            fields = ["notes"]
            if document.status in (FeedDocument.Status.FAILED, FeedDocument.Status.RECEIVED):
                # Sent again with what the first delivery lacked (the distributor, the venue):
                # take it, so processing it again can succeed.
                for name, value in (("distributor", distributor), ("route_to_venue", route_to_venue), ("feed", feed)):
                    if value is not None and getattr(document, f"{name}_id") is None:
                        setattr(document, name, value)
                        fields.append(name)
                if format != "auto" and document.format != format:
                    document.format = format
                    fields.append("format")
            document.save(update_fields=fields)
    return StoredDocument(document, created)


def receive_document(**kwargs) -> DocumentOutcome:
    """Store and process one document now, in this process (uploads, `ingest_invoices`)."""
    stored = store_document(**kwargs)
    return process_document(organization=kwargs["organization"], document_id=stored.document.pk)


# --- 2. parse ---------------------------------------------------------------------------------


def parse_document(document: FeedDocument) -> ParsedDocument:
    """Pure: the same stored bytes always parse the same way. Raises FeedParseError."""
    content = bytes(document.content)
    # No file name here: process_document puts it in front of every parse error already.
    fmt = document.format or detect_format(content)
    if fmt not in PARSERS:
        raise FeedParseError(f"unknown format '{fmt}'")
    return PARSERS[fmt](content)


# --- 3. route ---------------------------------------------------------------------------------


def _resolve_distributor(organization, document: FeedDocument, parsed: ParsedInvoice, memo: dict) -> Distributor | None:
    """The document's own distributor, unless the invoice names another (one feed, several)."""
    named = (parsed.distributor_code or "").strip(), " ".join((parsed.distributor_name or "").split())
    if not any(named):
        return document.distributor
    if named in memo:
        return memo[named]
    code, name = named
    visible = Distributor.objects.for_org(organization)
    found = None
    if code:
        found = visible.filter(code__iexact=code).order_by("organization_id").first()
    if found is None and name:
        found = visible.filter(name__iexact=name).order_by("organization_id").first()
    if found is None and document.distributor is not None:
        found = document.distributor  # the feed's distributor spells itself differently: trust the feed
    if found is None and name:
        # Not remembered in `memo`: if this invoice's transaction rolls back, so does the new
        # distributor, and the next invoice must look again.
        return create_distributor(actor=None, organization=organization, name=name, code=code)
    memo[named] = found
    return found


def _route(organization, distributor, parsed: ParsedInvoice, forced_venue) -> tuple[Venue | None, list[str]]:
    """The venue whose account at `distributor` has the invoice's account number; None = unrouted."""
    notes = []
    number = " ".join((parsed.account_number or "").split())
    if forced_venue is not None:
        # A venue with Product Connect off receives nothing, not even an imported account.
        if number and forced_venue.product_connect_enabled:
            try:
                upsert_account_from_feed(organization=organization, venue=forced_venue, distributor=distributor,
                                         account_number=number, sales_rep=_rep(parsed))  # fmt: skip
            except DistributorsError as exc:
                notes.append(f"routed to {forced_venue.name} as asked; the account was left alone: {exc}")
        return forced_venue, notes
    if not number:
        return None, ["the invoice names no account number; an admin must choose the venue"]
    account = (
        DistributorAccount.objects.for_org(organization).select_related("venue")
        .filter(distributor=distributor, account_number__iexact=number, is_active=True).first()
    )  # fmt: skip
    if account is None:
        return None, [f"account #{number} at {distributor.name} belongs to no venue yet; an admin must choose one"]
    if parsed.sales_rep and account.venue.product_connect_enabled:
        try:
            upsert_account_from_feed(organization=organization, venue=account.venue, distributor=distributor,
                                     account_number=number, sales_rep=_rep(parsed))  # fmt: skip
        except DistributorsError as exc:
            notes.append(f"sales rep not recorded: {exc}")
    return account.venue, notes


def _rep(parsed: ParsedInvoice) -> dict | None:
    rep = parsed.sales_rep
    return {"name": rep.name, "email": rep.email, "phone": rep.phone} if rep else None


# --- 4. match ---------------------------------------------------------------------------------

BEVERAGE_CATEGORIES = {Item.Category.BEER, Item.Category.WINE, Item.Category.SPIRITS, Item.Category.NON_ALCOHOLIC}
# Lines that are never stock even when the distributor files them under a beverage category.
_NOT_STOCK = re.compile(
    r"\b(?:DEPOSITS?|DEP|FUEL|DELIVERY|FREIGHT|SHIPPING|FEES?|SURCHARGES?|SERVICE CHARGE|CO2|GLASSWARE|GLASSES|"
    r"NAPKINS?|STRAWS?|COASTERS?|OPENERS?|TAX(?:ES)?|POS MATERIALS?|MERCHANDISE|T ?SHIRTS?|APRONS?|PALLETS?|"
    r"EMPTY|EMPTIES|RENTAL|TAP HANDLES?|KEG SHELL)\b"
)


def _line_size(line: ParsedLine):
    if line.size:
        size = parse_size(line.size)
        if size:
            return size
    if line.volume_ml:
        return parse_size(f"{line.volume_ml}ML")
    size, _ = find_size(line.description or "")
    return size


def is_inventory_line(line: ParsedLine) -> bool:
    """Beer, wine, spirits and non-alcoholic drinks are stock; deposits, fees and glassware are not."""
    text = " ".join(re.sub(r"[^A-Z0-9 ]+", " ", (line.description or "").upper()).split())
    if _NOT_STOCK.search(text):
        return False
    if line.category:
        category = category_from_text(line.category)
        if category in BEVERAGE_CATEGORIES:
            return True
        if category == Item.Category.OTHER:
            return False
    if _line_size(line) is not None:
        return True
    return category_from_item(line.description or "") in BEVERAGE_CATEGORIES


def _new_item_for_line(*, organization, distributor, line, actor, source: str) -> Item:
    """A new item from what the line says; its SKU is recorded so the next invoice links by SKU."""
    name = " ".join((line.description or "").split()) or f"{distributor.name} item {line.distributor_sku}"
    size = _line_size(line) if isinstance(line, ParsedLine) else (parse_size(line.size) if line.size else None)
    if size is None:
        size, _ = find_size(name)
    category = (category_from_text(line.category) if line.category else None) or category_from_item(name)
    fields = {
        "name": name[:200], "category": category or Item.Category.OTHER, "producer": (line.brand or "")[:200],
        "units_per_case": line.units_per_case or 1, "preferred_distributor": distributor,
    }  # fmt: skip
    try:
        item, _ = create_item(actor=None, organization=organization, size=size.label if size else "",
                              upc=line.upc or "", audit=False, **fields)  # fmt: skip
    except ItemsError:
        item, _ = create_item(actor=None, organization=organization, audit=False, **fields)
    if line.distributor_sku:
        record_identifier(organization=organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                          value=line.distributor_sku, distributor=distributor, source=source[:80])  # fmt: skip
    record_audit(organization=organization, actor=actor, action="item.created", obj=item,
                 summary=f"Item {item} created from {source}")  # fmt: skip
    return item


def _line_fields(parsed: ParsedLine) -> dict:
    return {
        "distributor_sku": (parsed.distributor_sku or "")[:64], "upc": (parsed.upc or "")[:20],
        "description": (parsed.description or "")[:300], "brand": (parsed.brand or "")[:200],
        "category": (parsed.category or "")[:120],
        "size": (parsed.size or (f"{parsed.volume_ml.normalize():f}ML" if parsed.volume_ml else ""))[:40],
        "units_per_case": parsed.units_per_case, "quantity": parsed.quantity, "uom": parsed.uom,
        "unit_price": parsed.unit_price, "extended_amount": parsed.extended_amount,
        "charges": [{"code": c.code, "description": c.description, "amount": str(c.amount)} for c in parsed.charges],
    }  # fmt: skip


def match_and_build_line(*, organization, invoice: PartialInvoice, parsed: ParsedLine, cache: dict,
                         create_items: bool, kept: InvoiceLine | None = None) -> InvoiceLine:  # fmt: skip
    """One unsaved InvoiceLine, matched; a new item is created (and saved) when nothing fits.

    `kept` is the same line before a re-send: what a reviewer chose or corrected on it stays.
    """
    line = InvoiceLine(organization=organization, invoice=invoice, line_number=parsed.line_number, **_line_fields(parsed))
    line.is_inventory = is_inventory_line(parsed)
    if kept is not None and kept.edited_by_reviewer:
        line.quantity, line.unit_price, line.uom = kept.quantity, kept.unit_price, kept.uom
        line.is_inventory, line.extended_amount, line.edited_by_reviewer = kept.is_inventory, kept.extended_amount, True
    if not line.is_inventory:
        line.match, line.match_reason = InvoiceLine.Match.NONE, "not a beverage: kept on the invoice, never stock"
        if kept is not None and kept.edited_by_reviewer:
            line.match_reason = "marked not stock by a reviewer"
        return line
    if kept is not None and kept.matched_by_id and kept.item_id and not kept.item.merged_into_id:
        line.item, line.match, line.match_score, line.matched_by_id = kept.item, kept.match, None, kept.matched_by_id
        line.created_item, line.match_reason = kept.created_item, kept.match_reason
        return line
    result = match_line(organization=organization, distributor=invoice.distributor, line=parsed, candidates_cache=cache)
    if result.item is not None:
        line.item, line.match, line.match_score = result.item, result.method, Decimal(str(round(result.score, 2)))
        line.match_reason = result.reason[:300]
        return line
    if not create_items:
        line.match, line.match_score = InvoiceLine.Match.NONE, None
        line.match_reason = f"{result.reason}; a new item is created once the invoice has a venue"[:300]
        return line
    item = _new_item_for_line(organization=organization, distributor=invoice.distributor, line=parsed, actor=None,
                              source=f"invoice {invoice.invoice_number} from {invoice.distributor.name}")  # fmt: skip
    # The per-document candidate cache doesn't know the new item: forget that size so a later
    # line of the same document without a SKU finds it instead of creating a twin.
    for key in [k for k in cache if k[0] == "size" and k[2] == item.size_ml]:
        cache.pop(key)
    line.item, line.match, line.match_score, line.created_item = item, InvoiceLine.Match.NEW, None, True
    line.match_reason = f"new item: {result.reason}"[:300]
    return line


# --- 5. upsert --------------------------------------------------------------------------------


def _content_hash(parsed: ParsedInvoice) -> str:
    data = asdict(parsed)
    data.pop("place", None)
    for line in data["lines"]:
        line.pop("place", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _lock_distributor_ingest(organization_id: int, distributor_id: int) -> None:
    # Two workers ingesting for the same organization + distributor would both create the new
    # item for an unknown SKU; this lock (released at commit) makes them take turns.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [organization_id, distributor_id])


def _write_lines(*, organization, invoice: PartialInvoice, parsed: ParsedInvoice, cache: dict, create_items: bool) -> None:
    """Replace the feed's lines of a pending invoice; keep reviewer-added lines and manual matches."""
    existing = list(invoice.lines.select_related("item")) if invoice.pk else []
    reviewed = {(l.line_number, l.distributor_sku): l for l in existing
                if not l.added_by_reviewer and (l.matched_by_id or l.edited_by_reviewer)}  # fmt: skip
    reviewer_lines = [l for l in existing if l.added_by_reviewer]
    InvoiceLine.objects.filter(pk__in=[l.pk for l in existing if not l.added_by_reviewer]).delete()
    lines = [
        match_and_build_line(organization=organization, invoice=invoice, parsed=p, cache=cache, create_items=create_items,
                             kept=reviewed.get((p.line_number, p.distributor_sku)))  # fmt: skip
        for p in parsed.lines
    ]
    top = max((l.line_number for l in lines), default=0)
    if reviewer_lines and any(l.line_number <= top for l in reviewer_lines):
        # Reviewer lines go after the feed's lines; two steps so the unique numbers never collide.
        for offset, line in enumerate(reviewer_lines, start=1):
            InvoiceLine.objects.filter(pk=line.pk).update(line_number=1_000_000 + offset)
        for offset, line in enumerate(reviewer_lines, start=1):
            InvoiceLine.objects.filter(pk=line.pk).update(line_number=top + offset)
    InvoiceLine.objects.bulk_create(lines)


# What the columns hold; a feed value beyond them is an error of that invoice, not a crash.
_MAX_QUANTITY = Decimal(10) ** 11
_MAX_PRICE = Decimal(10) ** 10
_MAX_AMOUNT = Decimal(10) ** 12


def _beyond_limits(parsed: ParsedInvoice) -> list[str]:
    problems = []
    where = parsed.place or f"invoice {parsed.invoice_number[:30]}"
    if len(parsed.invoice_number or "") > 80:
        problems.append(f"{where}: the invoice number is longer than 80 characters")
    if len(" ".join((parsed.account_number or "").split())) > 60:
        problems.append(f"{where}: the account number is longer than 60 characters")
    for line in parsed.lines:
        at = line.place or f"{where}, line {line.line_number}"
        if line.line_number > 2_147_483_647 or line.line_number < 0:
            problems.append(f"{at}: line number {line.line_number} is out of range")
        if len(line.distributor_sku or "") > 64:
            problems.append(f"{at}: the SKU '{line.distributor_sku[:20]}…' is longer than 64 characters")
        if len(line.upc or "") > 20:
            problems.append(f"{at}: the UPC '{line.upc[:20]}…' is longer than 20 characters")
        for value, limit, what in ((line.quantity, _MAX_QUANTITY, "quantity"), (line.unit_price, _MAX_PRICE, "unit price"),
                                   (line.extended_amount, _MAX_AMOUNT, "amount")):  # fmt: skip
            if value is not None and abs(value) >= limit:
                problems.append(f"{at}: {what} {value} is too large")
    return problems


def _is_older(document: FeedDocument, than_id: int | None) -> bool:
    """Was `document` received before the document (id) an invoice was last written from?"""
    if not than_id or than_id == document.pk:
        return False
    other = FeedDocument.objects.filter(pk=than_id).values_list("received_at", flat=True).first()
    return other is not None and (document.received_at, document.pk) < (other, than_id)


def upsert_invoice(*, organization, document: FeedDocument, parsed: ParsedInvoice, cache: dict,
                   distributor_memo: dict) -> InvoiceOutcome:  # fmt: skip
    """One parsed invoice into the inbox, in one transaction. Safe to repeat."""
    number = (parsed.invoice_number or "(no number)")[:80]
    if parsed.errors:
        return InvoiceOutcome(number, "failed", message="; ".join(parsed.errors))
    if problems := _beyond_limits(parsed):
        return InvoiceOutcome(number, "failed", message="; ".join(problems))
    with transaction.atomic():
        distributor = _resolve_distributor(organization, document, parsed, distributor_memo)
        if distributor is None:
            return InvoiceOutcome(number, "failed", message=f"invoice {number}{_at(parsed)}: names no distributor, and "
                                  f"the document came without one (choose the distributor when you upload it)")  # fmt: skip
        _lock_distributor_ingest(organization.pk, distributor.pk)
        venue, route_notes = _route(organization, distributor, parsed, document.route_to_venue)
        if venue is not None and not venue.product_connect_enabled:
            # Nothing of a skipped invoice stays: not a distributor created for it, not an account.
            transaction.set_rollback(True)
            return InvoiceOutcome(number, "skipped", message=f"invoice {number} for {venue.name}: Product Connect is "
                                  f"off for this venue, so it was not imported")  # fmt: skip
        content_hash = _content_hash(parsed)
        invoice = (
            PartialInvoice.objects.for_org(organization).select_for_update(of=("self",))
            .filter(distributor=distributor, invoice_number=parsed.invoice_number).first()
        )  # fmt: skip
        header = {
            "venue": venue, "account_number": (parsed.account_number or "")[:60], "invoice_date": parsed.invoice_date,
            "delivery_date": parsed.delivery_date, "is_credit_memo": parsed.is_credit_memo,
            "stated_total": parsed.total, "document": document, "content_hash": content_hash,
            "charges": [{"code": c.code, "description": c.description, "amount": str(c.amount)} for c in parsed.charges],
        }  # fmt: skip
        source = f"document {document.filename or document.pk}"
        if invoice is None:
            invoice = PartialInvoice(organization=organization, distributor=distributor,
                                     invoice_number=parsed.invoice_number[:80], **header)  # fmt: skip
            invoice.notes = [_note([], f"received in {source}")[0]] + [_note([], n)[0] for n in route_notes + parsed.warnings]
            invoice.save()
            status = "created"
        elif _is_older(document, invoice.document_id):
            # Two copies processed out of order (parallel workers, "Process again" on an old
            # file): the newer one already wrote this invoice, the older one must not undo it.
            if invoice.content_hash != content_hash:
                invoice.notes = _note(invoice.notes, f"an older copy arrived in {source} after a newer one; ignored")
                invoice.save(update_fields=["notes"])
            return InvoiceOutcome(number, "ignored", invoice, f"invoice {number}: {source} holds an older copy than "
                                  f"the one already in the inbox; ignored")  # fmt: skip
        elif invoice.status != PartialInvoice.Status.PENDING_REVIEW:
            if invoice.content_hash != content_hash or invoice.document_id != document.pk:
                invoice.notes = _note(invoice.notes, f"re-sent in {source}; ignored because it was already "
                                                     f"{invoice.get_status_display().lower()}")  # fmt: skip
                invoice.save(update_fields=["notes"])
            return InvoiceOutcome(number, "ignored", invoice, f"invoice {number} was already "
                                  f"{invoice.get_status_display().lower()}; the re-send was ignored")  # fmt: skip
        elif invoice.content_hash == content_hash:
            return InvoiceOutcome(number, "unchanged", invoice, f"invoice {number} is already in the inbox, unchanged")
        else:
            keep_venue = invoice.venue if venue is None else venue  # an admin's assignment outlives a re-send
            for name, value in header.items():
                setattr(invoice, name, value)
            invoice.venue = keep_venue
            invoice.notes = _note(invoice.notes, f"updated by a re-send in {source}")
            invoice.updated_at = timezone.now()
            invoice.save()
            status = "updated"
        _write_lines(organization=organization, invoice=invoice, parsed=parsed, cache=cache,
                     create_items=invoice.venue_id is not None)  # fmt: skip
        return InvoiceOutcome(number, status, invoice, f"invoice {number} {status}")


def _at(parsed: ParsedInvoice) -> str:
    return f" ({parsed.place})" if parsed.place else ""


# --- 6. the document as a whole ----------------------------------------------------------------


def process_document(*, organization: Organization, document_id: int) -> DocumentOutcome:
    """Parse, route, match and upsert every invoice of a stored document. Idempotent.

    Bad input never raises: the document ends `failed` with a readable error (and the other
    documents go on). Database errors do raise, so the Celery task retries with backoff.
    """
    document = FeedDocument.objects.for_org(organization).select_related("distributor", "route_to_venue").get(pk=document_id)
    FeedDocument.objects.filter(pk=document.pk).update(attempts=document.attempts + 1)
    try:
        parsed = parse_document(document)
    except FeedParseError as exc:
        return _finish(document, "failed", [], error=f"{document.filename or 'the document'}: {exc}")
    except Exception:  # a parser bug must not block the feed: fail this document, log the trace
        logger.exception("parsing feed document %s failed", document.pk)
        return _finish(document, "failed", [], error="the document could not be read (an internal error was logged)")
    if not parsed.invoices:
        return _finish(document, "failed", [], error=f"{document.filename or 'the document'}: no invoices in it"
                       + (f" ({'; '.join(parsed.warnings)})" if parsed.warnings else ""))  # fmt: skip
    cache: dict = {}
    memo: dict = {}
    outcomes = []
    for parsed_invoice in parsed.invoices:
        try:
            outcomes.append(upsert_invoice(organization=organization, document=document, parsed=parsed_invoice,
                                           cache=cache, distributor_memo=memo))  # fmt: skip
        except (InvoicesError, ItemsError, DistributorsError) as exc:
            outcomes.append(InvoiceOutcome(parsed_invoice.invoice_number, "failed", message=f"invoice "
                                           f"{parsed_invoice.invoice_number}{_at(parsed_invoice)}: {exc}"))  # fmt: skip
        except (DataError, IntegrityError):
            # A value the checks above did not foresee; the invoice's transaction rolled back.
            # Fail this invoice, keep going with the others (a retry would fail the same way).
            logger.exception("invoice %s of feed document %s could not be stored", parsed_invoice.invoice_number,
                             document.pk)  # fmt: skip
            outcomes.append(InvoiceOutcome(parsed_invoice.invoice_number, "failed", message=f"invoice "
                                           f"{parsed_invoice.invoice_number[:80]}{_at(parsed_invoice)}: a value does "
                                           f"not fit (too long or too large); the error was logged"))  # fmt: skip
    statuses = {o.status for o in outcomes}
    if statuses <= {"failed"}:
        status = "failed"
    elif statuses <= {"skipped", "failed"}:
        status = "skipped"
    else:
        status = "processed"
    errors = [o.message for o in outcomes if o.status == "failed"]
    return _finish(document, status, outcomes, error="; ".join(errors), warnings=parsed.warnings)


@transaction.atomic
def _finish(document: FeedDocument, status: str, outcomes: list[InvoiceOutcome], *, error: str = "",
            warnings: list[str] | None = None) -> DocumentOutcome:  # fmt: skip
    organization = document.organization
    document = FeedDocument.objects.select_for_update(of=("self",)).get(pk=document.pk)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    notes = document.notes
    if summary:
        notes = _note(notes, f"invoices: {summary}")
    for outcome in outcomes:
        if outcome.status in ("skipped", "ignored"):
            notes = _note(notes, outcome.message)
    for warning in warnings or []:
        notes = _note(notes, warning)
    document.status, document.error = status, error[:5000]
    document.notes, document.processed_at = notes, timezone.now()
    document.save(update_fields=["status", "error", "notes", "processed_at"])
    _notify_new_invoices(organization, document)
    return DocumentOutcome(document, status, outcomes, error)


def _notify_new_invoices(organization, document: FeedDocument) -> None:
    """One message per venue for this document's invoices nobody has been told about yet."""
    fresh = list(
        PartialInvoice.objects.for_org(organization).select_for_update(of=("self",)).select_related("venue", "distributor")
        .filter(document=document, notified_at__isnull=True, status=PartialInvoice.Status.PENDING_REVIEW)
    )  # fmt: skip
    by_venue: dict[int | None, list[PartialInvoice]] = {}
    for invoice in fresh:
        by_venue.setdefault(invoice.venue_id, []).append(invoice)
    for venue_id, invoices in by_venue.items():
        venue = invoices[0].venue
        names = sorted({i.distributor.name for i in invoices})
        count = len(invoices)
        noun = "invoice" if count == 1 else "invoices"
        if venue is None:
            message = f"{count} {noun} from {', '.join(names)} need a venue: the account number is unknown"
            notify_venue_users(organization=organization, venue=None, kind="invoices.unrouted", message=message,
                               url=reverse("invoices:unrouted"), email_subject=f"Backstock: {message}",
                               roles=(Membership.Role.ADMIN,))  # fmt: skip
        else:
            numbers = ", ".join(i.invoice_number for i in invoices[:5]) + ("…" if count > 5 else "")
            message = f"{count} new {noun} from {', '.join(names)} for {venue.name} to review ({numbers})"
            url = reverse("invoices:review", args=[invoices[0].pk]) if count == 1 else reverse("invoices:index")
            notify_venue_users(organization=organization, venue=venue, kind="invoices.new", message=message, url=url,
                               email_subject=f"Backstock: {message}")  # fmt: skip
    PartialInvoice.objects.filter(pk__in=[i.pk for i in fresh]).update(notified_at=timezone.now())


def pending_documents(*, organization) -> list[int]:
    """Stored documents not yet processed (a crash after storing), oldest first."""
    return list(
        FeedDocument.objects.for_org(organization).filter(status=FeedDocument.Status.RECEIVED)
        .order_by("received_at").values_list("pk", flat=True)
    )  # fmt: skip


__all__ = ["DocumentOutcome", "InvoiceOutcome", "StoredDocument", "is_inventory_line", "process_document",
           "receive_document", "store_document", "upsert_invoice", "match_and_build_line", "pending_documents"]  # fmt: skip
