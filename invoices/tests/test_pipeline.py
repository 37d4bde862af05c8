"""The Product Connect pipeline end to end on real PostgreSQL: a document is stored once, routed,
matched and upserted into the inbox; reviewers correct it; approval moves stock and costs.

Every pipeline and review call runs inside the organization's tenant scope (row-level security
as the app and the worker have it); the test's own assertions read through the test bypass.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from distributors.models import Distributor, DistributorAccount, SalesRep
from distributors.services import create_account
from inventory_site.errors import PermissionDenied
from inventory_site.tenancy import tenant_context
from invoices.models import FeedDocument, InvoiceLine, PartialInvoice
from invoices.services import (
    InvoicesError,
    add_line,
    approve_invoice,
    assign_venue,
    process_document,
    receive_document,
    set_line_item,
    store_document,
)
from items.models import Item, ItemCost, ItemIdentifier, StockLevel, StockMovement
from items.services.catalog import create_item
from items.services.ledger import find_ledger_mismatches
from venues.models import AuditLogEntry, Notification
from venues.services import set_product_connect

pytestmark = pytest.mark.django_db

ACCOUNT = "ACC-100"
COLUMNS = ("account_number", "invoice_number", "invoice_date", "line_number", "distributor_sku", "upc", "description",
           "category", "size", "units_per_case", "quantity", "uom", "unit_price", "sales_rep_name", "sales_rep_email",
           "sales_rep_phone")  # fmt: skip
JACK = {"distributor_sku": "SG-100", "description": "JACK DANIELS OLD #7 BLK", "size": "750ML", "units_per_case": 12,
        "unit_price": "243.24"}  # fmt: skip
TITOS = {"distributor_sku": "SG-200", "description": "TITOS HANDMADE VODKA", "size": "1L", "units_per_case": 12,
         "unit_price": "239.88"}  # fmt: skip
APEROL = {"distributor_sku": "SG-300", "description": "APEROL APERITIVO", "size": "1L", "units_per_case": 6,
          "unit_price": "135.00"}  # fmt: skip


# --- documents ----------------------------------------------------------------------------------


def row(invoice: str = "INV-1", line: int = 1, product: dict = JACK, **values) -> dict:
    """One CSV row (one invoice line) in the documented feed format."""
    data = {"account_number": ACCOUNT, "invoice_number": invoice, "invoice_date": "2024-03-01", "line_number": line,
            "upc": "", "category": "spirits", "quantity": 2, "uom": "CS", **product}  # fmt: skip
    data.update(values)
    return data


def csv_bytes(*rows: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


# --- set-up -------------------------------------------------------------------------------------


@dataclass
class Shop:
    tenant: object
    organization: object
    venue: object
    area: object
    distributor: object
    account: object

    def ingest(self, content: bytes, *, venue=None, distributor="default", filename: str = "feed.csv"):
        """Store and process a document as the worker does: as the system, under RLS."""
        with tenant_context(organization_id=self.organization.pk):
            return receive_document(organization=self.organization, content=content, filename=filename,
                                    distributor=self.distributor if distributor == "default" else distributor,
                                    route_to_venue=venue)  # fmt: skip

    def act(self, service, *, actor=None, **kwargs):
        """A reviewer's action, under RLS as in a request."""
        actor = actor or self.tenant.manager
        with tenant_context(organization_id=self.organization.pk, user_id=actor.pk):
            return service(actor=actor, organization=self.organization, **kwargs)

    def invoice(self, number: str) -> PartialInvoice:
        return PartialInvoice.objects.get(organization=self.organization, invoice_number=number)

    def lines(self, number: str) -> list[InvoiceLine]:
        return list(self.invoice(number).lines.select_related("item").order_by("line_number"))

    def level(self, item) -> Decimal:
        found = StockLevel.objects.filter(item=item, storage_area=self.area).first()
        return found.quantity if found else Decimal(0)

    def items(self):
        return Item.objects.filter(organization=self.organization)

    def tenant_scope(self):
        return tenant_context(organization_id=self.organization.pk)

    def store(self, content: bytes, *, filename: str = "feed.csv") -> FeedDocument:
        """Only the first step (a pull stores, a task processes later)."""
        with self.tenant_scope():
            return store_document(organization=self.organization, content=content, filename=filename,
                                  distributor=self.distributor).document  # fmt: skip

    def process(self, document: FeedDocument):
        with self.tenant_scope():
            return process_document(organization=self.organization, document_id=document.pk)

    def organization_invoices(self):
        return PartialInvoice.objects.filter(organization=self.organization).order_by("invoice_number")


@pytest.fixture
def shop(tenant) -> Shop:
    """A venue with Product Connect on and its account ACC-100 at Southern Glazer's (shared directory)."""
    organization = tenant.organization
    venue = set_product_connect(actor=tenant.admin, organization=organization, venue=tenant.venue, enabled=True)
    # The directory is seeded by a migration, but a transactional test elsewhere in the run
    # flushes every table afterwards; so make sure the shared row is there.
    distributor = Distributor.objects.filter(organization=None, code="SGWS").first() or Distributor.objects.create(
        name="Southern Glazer's Wine & Spirits", slug="southern-glazers-wine-spirits", code="SGWS"
    )
    account = create_account(actor=tenant.admin, organization=organization, venue=venue, distributor=distributor,
                             account_number=ACCOUNT)  # fmt: skip
    area = venue.storage_areas.get(is_primary=True)
    return Shop(tenant, organization, venue, area, distributor, account)


def sku_of(item, distributor) -> set[str]:
    current = ItemIdentifier.objects.filter(item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                                            distributor=distributor, is_current=True)  # fmt: skip
    return set(current.values_list("value", flat=True))


# --- routing ------------------------------------------------------------------------------------


def test_an_invoice_is_routed_by_account_number_known_items_link_and_unknown_beverages_become_items(shop, other_tenant):
    titos, _ = create_item(actor=shop.tenant.manager, organization=shop.organization, name="Tito's Handmade Vodka",
                           size="1L", units_per_case=12, category="spirits")  # fmt: skip

    outcome = shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, TITOS, quantity=1)))

    assert (outcome.status, outcome.error) == ("processed", "")
    assert [(o.invoice_number, o.status) for o in outcome.invoices] == [("INV-1", "created")]
    invoice = shop.invoice("INV-1")
    assert (invoice.venue, invoice.distributor, invoice.account_number) == (shop.venue, shop.distributor, ACCOUNT)
    assert (invoice.status, invoice.invoice_date) == ("pending_review", date(2024, 3, 1))
    assert invoice.document == outcome.document
    jack_line, titos_line = shop.lines("INV-1")
    assert (jack_line.match, jack_line.created_item, jack_line.match_score) == ("new", True, None)
    jack = jack_line.item
    assert (jack.name, jack.size_label, jack.units_per_case) == ("JACK DANIELS OLD #7 BLK", "750ML", 12)
    assert jack.category == "spirits"
    assert sku_of(jack, shop.distributor) == {"SG-100"}
    assert titos_line.item == titos and titos_line.match == "name" and not titos_line.created_item
    assert titos_line.match_score >= 85 and "name" in titos_line.match_reason.lower()
    assert (titos_line.quantity, titos_line.uom, titos_line.unit_price) == (1, "CS", Decimal("239.88"))
    assert shop.items().count() == 2
    assert not Item.objects.filter(organization=other_tenant.organization).exists()
    assert FeedDocument.objects.get().status == "processed"


def test_an_unknown_account_waits_unrouted_and_creates_no_items_until_an_admin_assigns_a_venue(shop):
    shop.ingest(csv_bytes(row("INV-7", 1, JACK, account_number="ACC-999")), filename="first.csv")
    shop.ingest(csv_bytes(row("INV-8", 1, TITOS, account_number="ACC-999")), filename="second.csv")

    first, second = shop.invoice("INV-7"), shop.invoice("INV-8")
    assert first.venue is None and second.venue is None
    assert any("ACC-999" in note and "belongs to no venue" in note for note in first.notes)
    (line,) = shop.lines("INV-7")
    assert (line.item, line.match, line.created_item, line.is_inventory) == (None, "none", False, True)
    assert not shop.items().exists()
    # Only admins hear about invoices without a venue.
    told = Notification.objects.filter(kind="invoices.unrouted").values_list("user", flat=True)
    assert set(told) == {shop.tenant.admin.pk}
    with pytest.raises(PermissionDenied):
        shop.act(assign_venue, actor=shop.tenant.staff, invoice=first, venue=shop.venue)
    with pytest.raises(InvoicesError, match="no venue yet"):
        shop.act(approve_invoice, actor=shop.tenant.admin, invoice=first)

    routed = shop.act(assign_venue, actor=shop.tenant.admin, invoice=first, venue=shop.venue)

    assert {i.invoice_number for i in routed} == {"INV-7", "INV-8"}
    assert shop.invoice("INV-7").venue == shop.venue and shop.invoice("INV-8").venue == shop.venue
    (line,) = shop.lines("INV-7")
    assert (line.match, line.created_item, line.item.name) == ("new", True, "JACK DANIELS OLD #7 BLK")
    (line,) = shop.lines("INV-8")
    assert (line.match, line.item.name) == ("new", "TITOS HANDMADE VODKA")
    account = DistributorAccount.objects.get(distributor=shop.distributor, account_number="ACC-999")
    assert account.venue == shop.venue
    # The account is remembered: the distributor's next invoice routes itself and links by SKU.
    shop.ingest(csv_bytes(row("INV-9", 1, JACK, account_number="acc-999")))
    assert shop.invoice("INV-9").venue == shop.venue
    assert shop.lines("INV-9")[0].match == "sku"
    assert shop.items().count() == 2


def test_a_venue_with_product_connect_off_receives_nothing(shop):
    set_product_connect(actor=shop.tenant.admin, organization=shop.organization, venue=shop.venue, enabled=False)
    accounts = DistributorAccount.objects.count()

    routed = shop.ingest(csv_bytes(row("INV-1", 1, JACK, sales_rep_name="Pat Rep", sales_rep_email="pat@sgws.test")))
    forced = shop.ingest(csv_bytes(row("INV-2", 1, TITOS, account_number="ACC-NEW")), venue=shop.venue)

    for outcome in (routed, forced):
        assert outcome.status == "skipped"
        assert outcome.document.status == "skipped"
        assert "Product Connect is off" in outcome.invoices[0].message
        assert any("Product Connect is off" in note for note in outcome.document.notes)
    assert not PartialInvoice.objects.exists()
    assert not shop.items().exists()
    assert DistributorAccount.objects.count() == accounts and not SalesRep.objects.exists()


# --- re-sends -----------------------------------------------------------------------------------


def test_a_resent_pending_invoice_is_updated_keeping_reviewer_lines_and_manual_matches(shop):
    aperol, _ = create_item(actor=shop.tenant.manager, organization=shop.organization, name="Aperol", size="1L",
                            units_per_case=6, category="spirits")  # fmt: skip
    shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, APEROL | {"description": "APRL APERITIVO ITALY"})))
    invoice = shop.invoice("INV-1")
    jack_line, aperol_line = shop.lines("INV-1")
    shop.act(set_line_item, line=aperol_line, item=aperol)
    titos, _ = create_item(actor=shop.tenant.manager, organization=shop.organization, name="Tito's Handmade Vodka",
                           size="1L", units_per_case=12)  # fmt: skip
    shop.act(add_line, invoice=invoice, item=titos, quantity=3, uom="EA", unit_price="19.99")

    outcome = shop.ingest(csv_bytes(row("INV-1", 1, JACK, quantity=3),
                                    row("INV-1", 2, APEROL | {"description": "APRL APERITIVO ITALY"}),
                                    row("INV-1", 3, TITOS, quantity=1)))  # fmt: skip

    assert [o.status for o in outcome.invoices] == ["updated"]
    lines = shop.lines("INV-1")
    assert [(l.line_number, l.distributor_sku, l.quantity, l.added_by_reviewer) for l in lines] == [
        (1, "SG-100", 3, False), (2, "SG-300", 2, False), (3, "SG-200", 1, False),
        (4, "", 3, True),  # the reviewer's own line moves after the feed's lines
    ]  # fmt: skip
    assert lines[0].item == jack_line.item and lines[0].match == "sku"  # the item the first delivery created
    assert (lines[1].item, lines[1].match) == (aperol, "manual")  # the reviewer's choice survives the re-send
    assert (lines[2].item, lines[2].match) == (titos, "name")
    assert (lines[3].item, lines[3].match) == (titos, "manual")
    invoice.refresh_from_db()
    assert invoice.status == "pending_review" and any("updated by a re-send" in note for note in invoice.notes)
    assert PartialInvoice.objects.count() == 1


def test_a_resent_invoice_is_ignored_with_a_note_once_approved_and_the_same_content_changes_nothing(shop):
    shop.ingest(csv_bytes(row("INV-1", 1, JACK)), filename="monday.csv")
    # The same invoice inside another document (with a new one): nothing about INV-1 changes.
    again = shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-2", 1, TITOS)), filename="tuesday.csv")
    assert [(o.invoice_number, o.status) for o in again.invoices] == [("INV-1", "unchanged"), ("INV-2", "created")]
    invoice = shop.invoice("INV-1")
    line_ids = [l.pk for l in shop.lines("INV-1")]

    result = shop.act(approve_invoice, invoice=invoice)
    assert result.movements == 1
    resent = shop.ingest(csv_bytes(row("INV-1", 1, JACK, quantity=5)), filename="wednesday.csv")

    assert [(o.invoice_number, o.status) for o in resent.invoices] == [("INV-1", "ignored")]
    assert "already approved" in resent.invoices[0].message
    invoice.refresh_from_db()
    assert invoice.status == "approved"
    assert any("wednesday.csv" in note and "ignored because it was already approved" in note for note in invoice.notes)
    assert [(l.pk, l.quantity) for l in shop.lines("INV-1")] == [(line_ids[0], 2)]
    assert any("already approved" in note for note in FeedDocument.objects.get(filename="wednesday.csv").notes)
    assert shop.level(invoice.lines.get().item) == 24


# --- lines --------------------------------------------------------------------------------------


def test_a_credit_memo_lowers_stock_on_approval_and_leaves_the_cost_alone(shop):
    shop.ingest(csv_bytes(row("INV-1", 1, JACK, quantity=2)))
    shop.act(approve_invoice, invoice=shop.invoice("INV-1"))
    jack = shop.lines("INV-1")[0].item
    jack.refresh_from_db()
    cost = (jack.cost_per_unit, jack.cost_per_case, jack.cost_date)
    assert cost == (Decimal("20.2700"), Decimal("243.24"), date(2024, 3, 1))

    shop.ingest(csv_bytes(row("RINV-1", 1, JACK, quantity=-1, unit_price="199.00", invoice_date="2024-03-05")))
    memo = shop.invoice("RINV-1")
    assert memo.is_credit_memo and shop.lines("RINV-1")[0].item == jack
    result = shop.act(approve_invoice, invoice=memo)

    assert (result.movements, result.costs_recorded) == (1, 0)
    assert shop.level(jack) == 12
    movement = StockMovement.objects.get(source_type="invoice", source_id=str(memo.pk))
    assert (movement.quantity, movement.kind, movement.business_date) == (-12, "receipt", date(2024, 3, 5))
    assert "Credit memo RINV-1" in movement.reason
    jack.refresh_from_db()
    assert (jack.cost_per_unit, jack.cost_per_case, jack.cost_date) == cost
    assert ItemCost.objects.filter(item=jack).count() == 1
    assert find_ledger_mismatches(organization=shop.organization) == []


def test_deposits_glassware_and_fees_stay_on_the_invoice_as_non_inventory_and_never_create_items(shop):
    content = csv_bytes(
        row("INV-1", 1, JACK),
        row("INV-1", 2, {"distributor_sku": "DEP-05", "description": "BOTTLE DEPOSIT", "size": "", "units_per_case": 1,
                         "unit_price": "0.05"}, category="", quantity=24, uom="EA"),
        row("INV-1", 3, {"distributor_sku": "GL-12", "description": "ROCKS GLASSWARE 12CT", "size": "",
                         "units_per_case": 12, "unit_price": "18.00"}, category="SUPPLIES", quantity=1),
        row("INV-1", 4, {"distributor_sku": "FEE", "description": "DELIVERY FEE", "size": "", "units_per_case": 1,
                         "unit_price": "15.00"}, category="", quantity=1, uom="EA"),
    )  # fmt: skip

    shop.ingest(content)

    lines = shop.lines("INV-1")
    assert [(l.line_number, l.is_inventory, l.match, l.item_id is None) for l in lines] == [
        (1, True, "new", False), (2, False, "none", True), (3, False, "none", True), (4, False, "none", True),
    ]  # fmt: skip
    assert all("not a beverage" in l.match_reason for l in lines[1:])
    assert list(shop.items().values_list("name", flat=True)) == ["JACK DANIELS OLD #7 BLK"]
    assert lines[1].unit_price == Decimal("0.05") and lines[3].extended_amount is None

    result = shop.act(approve_invoice, invoice=shop.invoice("INV-1"))
    assert result.movements == 1
    assert StockMovement.objects.filter(organization=shop.organization).count() == 1


def test_a_new_items_sku_is_recorded_so_the_next_invoice_links_to_it(shop):
    shop.ingest(csv_bytes(row("INV-1", 1, JACK)))
    created = shop.lines("INV-1")[0].item

    # Printed differently next week; the SKU says it is the same product.
    shop.ingest(csv_bytes(row("INV-2", 1, JACK | {"description": "JACK DANIEL'S #7 BLACK LABEL TENN WHSKY"})))

    (line,) = shop.lines("INV-2")
    assert (line.item, line.match, line.created_item, line.match_score) == (created, "sku", False, 100)
    assert "SG-100" in line.match_reason
    assert shop.items().count() == 1


def test_a_reviewers_correction_teaches_the_sku_and_the_next_invoice_links_to_the_corrected_item(shop):
    house, _ = create_item(actor=shop.tenant.manager, organization=shop.organization,
                           name="Jack Daniel's Old No. 7 Tennessee Whiskey", size="750ML", units_per_case=12)  # fmt: skip
    strange = JACK | {"distributor_sku": "SG-777", "description": "JD OLD NO7 TN WHSKY GIFT PK"}
    shop.ingest(csv_bytes(row("INV-1", 1, strange)))
    (line,) = shop.lines("INV-1")
    assert line.item != house  # the matcher did not dare

    shop.act(set_line_item, actor=shop.tenant.staff, line=line, item=house)

    line.refresh_from_db()
    assert (line.item, line.match, line.match_score) == (house, "manual", None)
    assert "SG-777" in sku_of(house, shop.distributor)
    shop.ingest(csv_bytes(row("INV-2", 1, strange)))
    (next_line,) = shop.lines("INV-2")
    assert (next_line.item, next_line.match, next_line.created_item) == (house, "sku", False)


def test_the_sales_rep_and_account_from_the_feed_are_recorded_as_imported(shop):
    rep = {"sales_rep_name": "Pat Rivera", "sales_rep_email": "pat.rivera@sgws.test", "sales_rep_phone": "515-555-0100"}
    shop.ingest(csv_bytes(row("INV-1", 1, JACK, **rep)))
    shop.ingest(csv_bytes(row("INV-2", 1, TITOS, account_number="ACC-555", **rep)), venue=shop.venue)

    known = DistributorAccount.objects.get(pk=shop.account.pk)
    (pat,) = SalesRep.objects.filter(account=known)
    assert (pat.name, pat.email, pat.phone) == ("Pat Rivera", "pat.rivera@sgws.test", "515-555-0100")
    assert pat.status == "imported"
    assert known.status == "imported"  # a new rep on it: a manager should have a look
    new = DistributorAccount.objects.get(distributor=shop.distributor, account_number="ACC-555")
    assert (new.venue, new.status) == (shop.venue, "imported")
    assert new.get_status_display() == "Imported — please verify"
    assert SalesRep.objects.get(account=new).status == "imported"
    assert AuditLogEntry.objects.filter(action="distributor_account.imported").count() == 1

    # The same rep again changes nothing.
    shop.ingest(csv_bytes(row("INV-3", 1, JACK, **rep)))
    assert SalesRep.objects.filter(account=known).count() == 1


# --- documents ----------------------------------------------------------------------------------


def test_the_same_bytes_delivered_twice_are_stored_once_and_imported_once(shop):
    content = csv_bytes(row("INV-1", 1, JACK), row("INV-2", 1, TITOS))
    first = shop.ingest(content, filename="today.csv")
    second = shop.ingest(content, filename="today-again.csv")

    assert first.document.pk == second.document.pk
    assert FeedDocument.objects.count() == 1
    assert [o.status for o in second.invoices] == ["unchanged", "unchanged"]
    document = FeedDocument.objects.get()
    assert any("received again" in note and "today-again.csv" in note for note in document.notes)
    assert (PartialInvoice.objects.count(), InvoiceLine.objects.count(), shop.items().count()) == (2, 2, 2)


def test_a_png_is_stored_and_fails_as_not_a_csv_json_or_x12_file(shop):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

    outcome = shop.ingest(png, filename="scan.png")

    assert outcome.status == "failed"
    assert outcome.error == "scan.png: not a CSV, JSON or X12 file"
    document = FeedDocument.objects.get()
    assert (document.status, document.error, bytes(document.content)) == ("failed", outcome.error, png)
    assert not PartialInvoice.objects.exists()


def test_a_csv_with_broken_rows_fails_those_invoices_and_imports_the_good_ones(shop):
    content = csv_bytes(
        row("INV-GOOD-1", 1, JACK),
        row("INV-BAD-DATE", 1, TITOS, invoice_date="2024-13-45"),
        row("INV-GOOD-2", 1, APEROL),
        row("INV-BAD-SKU", 1, JACK | {"distributor_sku": ""}),
        row("INV-BAD-QTY", 1, TITOS, quantity="two cases"),
        row("INV-GOOD-2", 2, TITOS),
    )

    outcome = shop.ingest(content, filename="broken.csv")

    statuses = {o.invoice_number: o.status for o in outcome.invoices}
    assert statuses == {"INV-GOOD-1": "created", "INV-BAD-DATE": "failed", "INV-GOOD-2": "created",
                        "INV-BAD-SKU": "failed", "INV-BAD-QTY": "failed"}  # fmt: skip
    assert outcome.status == "processed"
    messages = {o.invoice_number: o.message for o in outcome.invoices}
    assert "row 3: invoice_date '2024-13-45' is not a date" in messages["INV-BAD-DATE"]
    assert "row 5: distributor_sku is empty" in messages["INV-BAD-SKU"]
    assert "row 6: quantity 'two cases' is not a number" in messages["INV-BAD-QTY"]
    for message in ("row 3", "row 5", "row 6"):
        assert message in outcome.document.error
    assert set(PartialInvoice.objects.values_list("invoice_number", flat=True)) == {"INV-GOOD-1", "INV-GOOD-2"}
    assert len(shop.lines("INV-GOOD-2")) == 2
    assert sorted(shop.items().values_list("name", flat=True)) == ["APEROL APERITIVO", "JACK DANIELS OLD #7 BLK",
                                                                   "TITOS HANDMADE VODKA"]  # fmt: skip


def test_processing_a_document_again_changes_nothing(shop):
    outcome = shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, TITOS)))
    before = list(InvoiceLine.objects.order_by("pk").values_list("pk", "item_id", "match"))

    with tenant_context(organization_id=shop.organization.pk):
        again = process_document(organization=shop.organization, document_id=outcome.document.pk)

    assert [o.status for o in again.invoices] == ["unchanged"]
    assert list(InvoiceLine.objects.order_by("pk").values_list("pk", "item_id", "match")) == before
    assert shop.items().count() == 2
    assert FeedDocument.objects.get().attempts == 2


# --- approval -----------------------------------------------------------------------------------


def test_approval_receives_stock_at_the_primary_area_dated_by_the_invoice_date_and_takes_the_costs(shop):
    shop.ingest(csv_bytes(row("INV-1", 1, JACK, quantity=2, invoice_date="2024-02-20"),
                          row("INV-1", 2, TITOS, quantity=5, uom="EA", unit_price="19.99", invoice_date="2024-02-20")))  # fmt: skip
    invoice = shop.invoice("INV-1")
    jack, titos = (line.item for line in shop.lines("INV-1"))

    result = shop.act(approve_invoice, invoice=invoice)

    assert (result.already_approved, result.movements, result.costs_recorded) == (False, 2, 2)
    assert (shop.level(jack), shop.level(titos)) == (24, 5)
    movements = StockMovement.objects.filter(source_type="invoice", source_id=str(invoice.pk))
    assert {(m.item_id, m.storage_area_id, m.kind, m.business_date, m.actor_id) for m in movements} == {
        (jack.pk, shop.area.pk, "receipt", date(2024, 2, 20), shop.tenant.manager.pk),
        (titos.pk, shop.area.pk, "receipt", date(2024, 2, 20), shop.tenant.manager.pk),
    }  # fmt: skip
    jack.refresh_from_db()
    titos.refresh_from_db()
    assert (jack.cost_per_case, jack.cost_per_unit, jack.cost_date, jack.cost_source) == (
        Decimal("243.24"), Decimal("20.2700"), date(2024, 2, 20), "invoice")  # fmt: skip
    assert (titos.cost_per_unit, titos.cost_per_case) == (Decimal("19.9900"), Decimal("239.88"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reviewed_by) == ("approved", shop.tenant.manager)
    entry = AuditLogEntry.objects.get(action="invoice.approved")
    assert (entry.actor, entry.object_id) == (shop.tenant.manager, str(invoice.pk))
    assert "2 items received into" in entry.summary and "dated 2024-02-20" in entry.summary
    # A second click changes nothing.
    again = shop.act(approve_invoice, invoice=invoice)
    assert again.already_approved and again.movements == 0
    assert movements.count() == 2
    assert find_ledger_mismatches(organization=shop.organization) == []


def test_an_older_invoice_approved_later_never_overwrites_the_newer_cost_or_pack(shop):
    shop.ingest(csv_bytes(row("INV-NEW", 1, JACK, invoice_date="2024-03-10", unit_price="250.00")))
    shop.ingest(csv_bytes(row("INV-OLD", 1, JACK | {"units_per_case": 6}, invoice_date="2024-03-01",
                              unit_price="120.00")))  # fmt: skip
    jack = shop.lines("INV-NEW")[0].item
    assert shop.lines("INV-OLD")[0].item == jack

    shop.act(approve_invoice, invoice=shop.invoice("INV-NEW"))
    older = shop.act(approve_invoice, invoice=shop.invoice("INV-OLD"))

    assert older.newest_for == []
    jack.refresh_from_db()
    assert (jack.cost_per_case, jack.cost_per_unit, jack.cost_date, jack.units_per_case) == (
        Decimal("250.00"), Decimal("20.8333"), date(2024, 3, 10), 12)  # fmt: skip
    history = list(ItemCost.objects.filter(item=jack).order_by("effective_date").values_list(
        "effective_date", "cost_per_case", "source_ref"))  # fmt: skip
    assert history == [(date(2024, 3, 1), Decimal("120.00"), "invoice INV-OLD"),
                       (date(2024, 3, 10), Decimal("250.00"), "invoice INV-NEW")]  # fmt: skip
    # Both deliveries are in stock, each dated by its own invoice.
    assert shop.level(jack) == 2 * 12 + 2 * 6
    assert sorted(StockMovement.objects.filter(item=jack).values_list("business_date", "quantity")) == [
        (date(2024, 3, 1), 12), (date(2024, 3, 10), 24)]  # fmt: skip
    assert sku_of(jack, shop.distributor) == {"SG-100"}
    assert find_ledger_mismatches(organization=shop.organization) == []


# --- notifications ------------------------------------------------------------------------------


def test_new_invoices_notify_the_venues_users_once_in_the_app_and_by_email(
    shop, mailoutbox, django_capture_on_commit_callbacks
):
    content = csv_bytes(row("INV-1", 1, JACK))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = shop.ingest(content)
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(organization_id=shop.organization.pk):
            process_document(organization=shop.organization, document_id=outcome.document.pk)
        shop.ingest(content, filename="again.csv")  # the same delivery twice
        shop.ingest(csv_bytes(row("INV-1", 1, JACK, quantity=4)))  # a re-send that updates it

    invoice = shop.invoice("INV-1")
    people = {shop.tenant.admin, shop.tenant.manager, shop.tenant.staff}
    notes = Notification.objects.filter(organization=shop.organization, kind="invoices.new")
    assert {n.user for n in notes} == people and notes.count() == 3
    note = notes.first()
    assert note.venue == shop.venue and "INV-1" in note.message and note.url == f"/invoices/{invoice.pk}/"
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in people)
    assert all("INV-1" in m.subject for m in mailoutbox)
    assert invoice.notified_at is not None


# --- two reviewers at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_receive_the_stock_once(shop):
    shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, TITOS), row("INV-1", 3, APEROL)))
    invoice = shop.invoice("INV-1")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def approve(actor):
        try:
            with tenant_context(organization_id=shop.organization.pk, user_id=actor.pk):
                barrier.wait(timeout=30)
                results.append(approve_invoice(actor=actor, organization=shop.organization, invoice=invoice))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (shop.tenant.manager, shop.tenant.staff)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(r.already_approved for r in results) == [False, True]
    assert StockMovement.objects.filter(source_type="invoice", source_id=str(invoice.pk)).count() == 3
    assert ItemCost.objects.filter(source_ref="invoice INV-1").count() == 3
    assert AuditLogEntry.objects.filter(action="invoice.approved").count() == 1
    assert {shop.level(line.item) for line in shop.lines("INV-1")} == {24, 12}
    assert find_ledger_mismatches(organization=shop.organization) == []
