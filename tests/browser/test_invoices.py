"""Product Connect end to end in a browser: a feed document arrives, the invoice waits in the
inbox, a staff member fixes a match, adds a missing line, attaches the PDF and approves; the
item pages then show the new stock and cost."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from distributors.services import create_account, create_distributor
from invoices.models import InvoiceLine, PartialInvoice
from invoices.services import receive_document
from items.models import Item, ItemIdentifier, StockLevel
from items.services.catalog import create_item, record_identifier
from venues import services as venue_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEED = (
    "account_number,invoice_number,invoice_date,line_number,distributor_sku,description,category,size,units_per_case,"
    "quantity,uom,unit_price,extended_amount\n"
    # Known by its SKU: 1 case of 12 at $300.00, $25.00 a bottle (the venue paid $24.00 before).
    "HW-4410,INV-90017,2024-04-02,1,HW-100,BUFFALO TRACE BOURBON 750ML,spirits,750ML,12,1,CS,300.00,300.00\n"
    # Tito's as the distributor spells it, under a SKU nobody knows: Backstock can't tell, so it
    # becomes a new item, and the reviewer points it at the venue's Tito's instead.
    "HW-4410,INV-90017,2024-04-02,2,HW-2718,TTO HNDMD VDK 1LTR,spirits,1L,12,6,EA,21.50,129.00\n"
)


def pdf_bytes() -> bytes:
    """A small, valid one-page PDF (correct cross-reference offsets), as a scanner would save."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>"]  # fmt: skip
    stream = b"BT /F1 12 Tf 72 720 Td (Invoice INV-90017) Tj ET"
    objects.append(b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def mark_page(page):
    """Tag the window; the tag survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__noFullReload = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.__noFullReload === true")


@pytest.fixture
def heartland(tenant):
    """Product Connect on at the bar, its account HW-4410 at Heartland, and three items in the catalog."""
    org = tenant.organization
    venue_services.set_product_connect(actor=tenant.admin, organization=org, venue=tenant.venue, enabled=True)
    distributor = create_distributor(actor=tenant.admin, organization=org, name="Heartland Wholesale")
    create_account(actor=tenant.admin, organization=org, venue=tenant.venue, distributor=distributor,
                   account_number="HW-4410")  # fmt: skip
    items = {}
    for key, name, size, cost in (("bourbon", "Buffalo Trace Bourbon", "750ML", "24.00"),
                                  ("vodka", "Tito's Handmade Vodka", "1L", "20.00"),
                                  ("aperol", "Aperol Aperitivo", "750ML", "22.00")):  # fmt: skip
        items[key], _ = create_item(actor=tenant.admin, organization=org, name=name, size=size, units_per_case=12,
                                    category=Item.Category.SPIRITS, cost_per_unit=Decimal(cost))  # fmt: skip
    # Costs from before this invoice (an older cost never overwrites a newer one, and these are older).
    Item.objects.filter(pk__in=[i.pk for i in items.values()]).update(cost_date=date(2024, 1, 2))
    record_identifier(organization=org, item=items["bourbon"], kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                      value="HW-100", distributor=distributor, source="catalog")  # fmt: skip
    return distributor, items


def test_a_feed_invoice_is_fixed_completed_attached_and_approved_by_staff(page_for, tenant, heartland):
    distributor, items = heartland
    bourbon, vodka, aperol = items["bourbon"], items["vodka"], items["aperol"]

    # A feed document arrives (the worker runs this same pipeline).
    outcome = receive_document(organization=tenant.organization, content=FEED.encode(), distributor=distributor,
                               filename="heartland-2024-04-02.csv")  # fmt: skip
    assert outcome.status == "processed", outcome.error
    invoice = PartialInvoice.objects.get(invoice_number="INV-90017")
    assert invoice.venue == tenant.venue
    duplicate = InvoiceLine.objects.get(invoice=invoice, line_number=2).item
    assert duplicate is not None and duplicate.pk != vodka.pk  # the wrong link the reviewer has to fix

    page = page_for(tenant.staff)
    page.goto("/invoices/")
    expect(page.get_by_test_id("nav-invoices-badge")).to_have_text(re.compile(r"^\W*1\W*pending"))
    row = page.get_by_test_id("invoice-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Heartland Wholesale")
    expect(row).to_contain_text("INV-90017")
    expect(row).to_contain_text("Apr 2, 2024")
    row.get_by_role("link", name="INV-90017").click()

    expect(page.get_by_test_id("invoice-title")).to_contain_text("Invoice INV-90017")
    mark_page(page)
    lines = page.get_by_test_id("line-row")
    expect(lines).to_have_count(2)
    expect(lines.nth(0).get_by_test_id("match-kind")).to_have_text("Distributor SKU")
    expect(lines.nth(1).get_by_test_id("match-kind")).to_have_text("New item")

    # 1. Fix the wrong match with the typeahead, from the keyboard.
    lines.nth(1).get_by_test_id("change-item").click()
    search = page.get_by_test_id("match-search")
    expect(search).to_be_focused()
    search.fill("")
    search.press_sequentially("tito", delay=20)
    result = page.get_by_test_id("match-result").filter(has_text="Tito's Handmade Vodka")
    expect(result).to_have_count(1)
    result.focus()
    page.keyboard.press("Enter")
    fixed = page.locator(f"#line-{InvoiceLine.objects.get(invoice=invoice, line_number=2).pk}")
    expect(fixed.get_by_test_id("match-kind")).to_have_text("Chosen by you")
    expect(fixed.get_by_test_id("line-item")).to_have_text("Tito's Handmade Vodka 1L")
    expect(page.locator("#messages")).to_contain_text("Line 2 now links to Tito's Handmade Vodka 1L.")

    # 2. Add the bottle that came on the truck but not on the invoice.
    add = page.get_by_test_id("add-line")
    add.get_by_test_id("add-search").press_sequentially("aperol", delay=20)
    choice = add.get_by_test_id("add-result")
    expect(choice).to_have_count(1)
    choice.check()
    add.get_by_label("Quantity").fill("2")
    add.get_by_label("Unit", exact=True).select_option("EA")
    add.get_by_label("Unit price").fill("28.00")
    add.get_by_test_id("add-line-submit").click()
    expect(lines).to_have_count(3)
    expect(lines.nth(2)).to_contain_text("Aperol Aperitivo 750ML")
    expect(lines.nth(2).get_by_test_id("match-kind")).to_have_text("Added by you")
    expect(page.get_by_test_id("approve-text")).to_contain_text("Receive 3 items (20 units) into Main storage")

    # 3. Attach the PDF of the paper invoice.
    page.set_input_files("#id_copy", files=[{"name": "INV-90017.pdf", "mimeType": "application/pdf",
                                             "buffer": pdf_bytes()}])  # fmt: skip
    page.get_by_test_id("attach").click()
    view_copy = page.get_by_test_id("view-copy")
    expect(view_copy).to_be_visible()
    served = page.request.get(view_copy.get_attribute("href"))
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert served.body() == pdf_bytes() and served.headers["x-content-type-options"] == "nosniff"

    # 4. Approve, after reading what it will do.
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approved-banner")).to_be_visible()
    assert dialogs == ["Receive 3 items (20 units) into Main storage at Copper Tap Group Bar dated Apr 2, 2024, "
                       "and approve the invoice?"]  # fmt: skip
    expect(page.get_by_test_id("invoice-status")).to_have_text("Approved")
    expect(page.locator("#messages")).to_contain_text("Invoice INV-90017 approved: 3 items received into Main storage")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    expect(page.get_by_test_id("change-item")).to_have_count(0)
    expect(page.get_by_test_id("nav-invoices-badge")).to_have_text("")
    assert still_the_same_page(page)  # every step above was an htmx swap

    # The item pages show the stock received and the new cost.
    review = page.url
    for item, on_hand, cost in ((bourbon, "12", "$25.00 / unit"), (vodka, "6", "$21.50 / unit"),
                                (aperol, "2", "$28.00 / unit")):  # fmt: skip
        page.get_by_test_id("approved-banner").get_by_role("link", name=str(item)).click()
        expect(page.get_by_test_id("item-title")).to_contain_text(item.name)
        expect(page.get_by_test_id("on-hand-total")).to_have_text(f"{on_hand} units")
        expect(page.locator(".item-facts")).to_contain_text(cost)
        page.go_back()  # the review page is never cached: back shows it approved, as it is now
        expect(page).to_have_url(review)
        expect(page.get_by_test_id("invoice-status")).to_have_text("Approved")

    levels = {lvl.item_id: lvl.quantity for lvl in StockLevel.objects.filter(storage_area__venue=tenant.venue)}
    assert levels == {bourbon.pk: 12, vodka.pk: 6, aperol.pk: 2}
    assert not StockLevel.objects.filter(item=duplicate).exists()
    invoice.refresh_from_db()
    assert invoice.status == PartialInvoice.Status.APPROVED and invoice.reviewed_by == tenant.staff
    assert invoice.attachment.read() == pdf_bytes()
    assert ItemIdentifier.objects.filter(item=vodka, value="HW-2718", is_current=True).exists()


def test_an_admin_routes_waiting_invoices_and_reads_the_notifications(page_for, tenant, heartland):
    distributor, _ = heartland
    unknown = FEED.replace("HW-4410", "HW-9999")
    second = unknown.replace("INV-90017", "INV-90018")
    for number, content in (("INV-90017", unknown), ("INV-90018", second)):
        outcome = receive_document(organization=tenant.organization, content=content.encode(), distributor=distributor,
                                   filename=f"{number}.csv")  # fmt: skip
        assert outcome.status == "processed", outcome.error
    assert PartialInvoice.objects.filter(venue__isnull=True).count() == 2

    page = page_for(tenant.admin)
    page.goto("/invoices/")
    expect(page.get_by_test_id("bell-count")).to_have_text("2")  # one "need a venue" message per document
    expect(page.get_by_test_id("no-invoices")).to_be_visible()
    page.get_by_test_id("unrouted-link").click()
    rows = page.get_by_test_id("unrouted-row")
    expect(rows).to_have_count(2)
    mark_page(page)

    rows.nth(0).get_by_label("Venue for invoice INV-90017").select_option(label=tenant.venue.name)
    rows.nth(0).get_by_role("button", name="Assign").click()

    # The row and the other invoice of the same account update in place.
    expect(rows.get_by_test_id("assigned")).to_have_count(2)
    expect(page.locator("#messages")).to_contain_text("with 1 more from account #HW-9999")
    assert still_the_same_page(page)
    assert PartialInvoice.objects.filter(venue=tenant.venue).count() == 2

    page.get_by_role("link", name="Invoices", exact=False).first.click()
    expect(page.get_by_test_id("invoice-row")).to_have_count(2)
    expect(page.get_by_test_id("nav-invoices-badge")).to_contain_text("2")
    mark_page(page)
    page.get_by_test_id("tab-approved").click()
    expect(page.get_by_test_id("no-invoices")).to_contain_text("No approved invoices")
    expect(page).to_have_url(re.compile(r"\?status=approved"))
    assert still_the_same_page(page)

    page.get_by_test_id("bell").click()
    notes = page.get_by_test_id("notification")
    expect(notes.first).to_contain_text("for Copper Tap Group Bar to review")  # routing told the venue's users
    expect(page.get_by_test_id("unread")).to_have_count(3)
    page.get_by_test_id("mark-all-read").click()
    expect(page.get_by_test_id("unread")).to_have_count(0)
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
