"""The invoices inbox, the review page and its HTMX actions, unrouted invoices, the digital copy,
the nav badge and the notifications page, driven through the test client.

Invoices arrive the way they do in production: a CSV feed document through
`invoices.services.receive_document`, routed by the venue's account number.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from distributors.services import create_account, create_distributor
from invoices.models import InvoiceLine, PartialInvoice
from invoices.services import approve_invoice, receive_document
from items.models import Item, ItemIdentifier, StockLevel, StockMovement
from items.services.catalog import create_item, record_identifier
from venues import services as venue_services
from venues.models import Membership, Notification
from venues.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = "ACCT-1001"
HEADER = ("account_number,invoice_number,invoice_date,line_number,distributor_sku,upc,description,category,size,"
          "units_per_case,quantity,uom,unit_price,extended_amount\n")

# A tiny but valid PDF (what a scanner or "print to PDF" writes starts the same way).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- the world ------------------------------------------------------------------------------


@pytest.fixture
def southern(tenant):
    return create_distributor(actor=tenant.admin, organization=tenant.organization, name="Southern Glazer's")


@pytest.fixture
def connected(tenant, southern):
    """The tenant's venue has Product Connect on and account ACCT-1001 at Southern."""
    venue_services.set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue,
                                       enabled=True)  # fmt: skip
    create_account(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, distributor=southern,
                   account_number=ACCOUNT)  # fmt: skip
    tenant.venue.refresh_from_db()
    return tenant


@pytest.fixture
def bourbon(tenant, southern):
    """Buffalo Trace 750ML, $24.00 a bottle, known to Southern as SG-100."""
    item, _ = create_item(actor=tenant.admin, organization=tenant.organization, name="Buffalo Trace Bourbon",
                          size="750ML", category=Item.Category.SPIRITS, units_per_case=12,
                          cost_per_unit=Decimal("24.00"))  # fmt: skip
    record_identifier(organization=tenant.organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                      value="SG-100", distributor=southern, source="test")  # fmt: skip
    # The cost is from before the invoices of these tests (an older cost never overwrites a newer one).
    Item.objects.filter(pk=item.pk).update(cost_date=date(2024, 1, 2))
    item.refresh_from_db()
    return item


@pytest.fixture
def vodka(tenant):
    """Tito's 1L, in the catalog without any SKU of Southern's."""
    item, _ = create_item(actor=tenant.admin, organization=tenant.organization, name="Tito's Handmade Vodka",
                          size="1L", category=Item.Category.SPIRITS, units_per_case=12,
                          cost_per_unit=Decimal("21.00"))  # fmt: skip
    return item


def csv_for(number: str, lines: list[str], *, account: str = ACCOUNT, day: str = "2024-03-05") -> bytes:
    return (HEADER + "".join(f"{account},{number},{day},{line}\n" for line in lines)).encode()


def deliver(tenant, southern, number="INV-1", lines=None, **kwargs) -> PartialInvoice:
    """A feed document with one invoice arrives; returns the invoice."""
    lines = lines or [
        # Known by SKU; the case price moved from $24.00 to $27.50 a bottle (+15%).
        "1,SG-100,,BUFFALO TRACE BOURBON 750ML,spirits,750ML,12,2,CS,330.00,660.00",
        # Not a beverage: kept, never stock.
        "2,FUEL,,FUEL SURCHARGE,,,1,1,EA,5.00,5.00",
    ]
    outcome = receive_document(organization=tenant.organization, content=csv_for(number, lines, **kwargs),
                               distributor=southern, filename=f"{number}.csv")  # fmt: skip
    assert outcome.status == "processed", outcome.error
    return PartialInvoice.objects.get(organization=tenant.organization, invoice_number=number)


def htmx(target=None) -> dict:
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    return headers


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def line(invoice, number) -> InvoiceLine:
    return invoice.lines.get(line_number=number)


def review_url(invoice):
    return reverse("invoices:review", args=[invoice.pk])


def limited_staff(tenant, venue, email="limited@example.test"):
    """A staff member who works only at `venue`."""
    user = UserFactory(email=email)
    membership = Membership.objects.create(organization=tenant.organization, user=user, role=Membership.Role.STAFF)
    membership.venues.set([venue])
    return user


def second_venue(tenant, name="Riverside Patio Bar"):
    return venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name=name, state="IA")


# --- the inbox ------------------------------------------------------------------------------


def test_the_inbox_lists_pending_invoices_with_their_figures_and_flags(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern)

    response = client_for(connected.staff).get(reverse("invoices:index"))

    html = response.content.decode()
    assert response.status_code == 200
    row = html.split('data-testid="invoice-row"')[1].split("</tr>")[0]
    assert "Southern Glazer&#x27;s" in row and "INV-1" in row and connected.venue.name in row
    assert "Mar 5, 2024" in row and ">2<" in row and "$665.00" in row
    assert 'data-testid="flag-prices"' in row and "1 price moved" in row
    assert 'data-testid="flag-unmatched"' not in row
    assert f'href="{review_url(invoice)}"' in row
    assert re.search(r'data-testid="tab-pending_review">Pending review <span class="tab-count">1</span>', html)


def test_the_tabs_switch_with_htmx_and_without_javascript(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern)
    approve_invoice(actor=connected.manager, organization=connected.organization, invoice=invoice)
    deliver(connected, southern, "INV-2")
    client = client_for(connected.staff)

    partial = client.get(reverse("invoices:index"), {"status": "approved"}, headers=htmx("inbox"))
    plain = client.get(reverse("invoices:index"), {"status": "approved"})

    assert partial.content.decode().lstrip().startswith('<div id="inbox"')
    assert "<html" not in partial.content.decode()
    for response in (partial, plain):
        rows = response.content.decode().split('data-testid="invoice-row"')[1:]
        assert len(rows) == 1 and "INV-1" in rows[0]
    assert 'aria-current="page" data-testid="tab-approved"' in plain.content.decode()


def test_an_empty_inbox_says_how_invoices_arrive(client_for, tenant):
    html = client_for(tenant.admin).get(reverse("invoices:index")).content.decode()

    empty = html.split('data-testid="no-invoices"')[1].split("</div>")[0]
    assert "No invoices yet." in empty and "Turn on Product Connect for a venue" in empty
    assert f'href="{reverse("manage:index")}"' in empty and 'href="/invoices/feeds/"' in empty


def test_staff_limited_to_another_venue_see_neither_the_invoice_nor_its_badge(client_for, connected, southern, bourbon):
    deliver(connected, southern)
    patio = second_venue(connected)
    outsider = limited_staff(connected, patio)

    theirs = client_for(connected.staff).get(reverse("invoices:index")).content.decode()
    limited = client_for(outsider).get(reverse("invoices:index")).content.decode()

    assert re.search(r'data-testid="nav-invoices-badge">.*?1.*?</span>', theirs)
    assert "INV-1" not in limited and 'data-testid="no-invoices"' in limited
    assert re.search(r'data-testid="nav-invoices-badge"></span>', limited)


def test_the_inbox_can_be_narrowed_to_one_venue(client_for, connected, southern, bourbon):
    deliver(connected, southern)
    patio = second_venue(connected)
    client = client_for(connected.admin)

    at_patio = client.get(reverse("invoices:index"), {"venue": patio.pk}).content.decode()
    at_bar = client.get(reverse("invoices:index"), {"venue": connected.venue.pk}).content.decode()

    assert "INV-1" not in at_patio and "INV-1" in at_bar


def test_the_badge_and_the_bell_cost_one_query_on_every_page(client_for, connected, southern, bourbon):
    deliver(connected, southern)
    client = client_for(connected.staff)
    client.get(reverse("dashboard"))

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("dashboard")).content.decode()

    counting = [q["sql"] for q in queries.captured_queries if "invoices_partialinvoice" in q["sql"]]
    assert len(counting) == 1 and "venues_notification" in counting[0]
    assert re.search(r'data-testid="nav-invoices-badge"><span class="sr-only">, </span>1<', html)


# --- unrouted invoices ----------------------------------------------------------------------


def test_unrouted_invoices_are_listed_for_admins_and_assigned_to_a_venue_with_htmx(
    client_for, connected, southern, bourbon
):
    first = deliver(connected, southern, "INV-U1", account="NEW-77")
    second = deliver(connected, southern, "INV-U2", account="NEW-77")
    client = client_for(connected.admin)

    inbox = client.get(reverse("invoices:index")).content.decode()
    listing = client.get(reverse("invoices:unrouted")).content.decode()
    response = client.post(reverse("invoices:assign", args=[first.pk]), {"venue": connected.venue.pk}, headers=htmx())

    assert 'data-testid="unrouted-link"' in inbox and "2 invoices without a venue" in inbox
    rows = listing.split('data-testid="unrouted-row"')[1:]
    assert len(rows) == 2 and "NEW-77" in rows[0] and "INV-U1" in rows[0] and ">2<" in rows[0]
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="unrouted-{first.pk}"')
    assert f"Assigned to {connected.venue.name}" in html
    assert f'<tr id="unrouted-{second.pk}" data-testid="unrouted-row" hx-swap-oob="true">' in html
    first.refresh_from_db(), second.refresh_from_db()
    assert first.venue == connected.venue and second.venue == connected.venue
    assert "INV-U1 goes to" in text_of(response) and "with 1 more from account #NEW-77" in text_of(response)


def test_only_admins_see_unrouted_invoices(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern, "INV-U1", account="NEW-77")

    for user in (connected.manager, connected.staff):
        client = client_for(user)
        assert client.get(reverse("invoices:unrouted")).status_code == 403
        assign = client.post(reverse("invoices:assign", args=[invoice.pk]), {"venue": connected.venue.pk})
        assert assign.status_code == 403
        assert client.get(review_url(invoice)).status_code == 403
        assert "unrouted-link" not in client.get(reverse("invoices:index")).content.decode()
    invoice.refresh_from_db()
    assert invoice.venue is None


def test_assigning_to_a_venue_without_product_connect_says_why_next_to_the_choice(
    client_for, connected, southern, bourbon
):
    invoice = deliver(connected, southern, "INV-U1", account="NEW-77")
    patio = second_venue(connected)  # Product Connect off
    client = client_for(connected.admin)

    response = client.post(reverse("invoices:assign", args=[invoice.pk]), {"venue": patio.pk}, headers=htmx())
    blank = client.post(reverse("invoices:assign", args=[invoice.pk]), {"venue": ""}, headers=htmx())

    row = response.content.decode().split("</tr>")[0]
    assert "Choose a venue with Product Connect on (turn it on in Manage Organization)." in row
    assert "Choose the venue this invoice belongs to." in blank.content.decode().split("</tr>")[0]
    invoice.refresh_from_db()
    assert invoice.venue is None


# --- the review page ------------------------------------------------------------------------


def test_the_review_page_shows_the_header_lines_matches_and_flags(client_for, connected, southern, bourbon, vodka):
    invoice = deliver(connected, southern, lines=[
        "1,SG-100,,BUFFALO TRACE BOURBON 750ML,spirits,750ML,12,2,CS,330.00,660.00",
        "2,SG-555,,TITOS HANDMADE VODKA 1L,spirits,1L,12,6,EA,21.50,129.00",
        "3,SG-777,,GLENFAKE 12YR SINGLE MALT 750ML,spirits,750ML,6,1,CS,300.00,300.00",
        "4,FUEL,,FUEL SURCHARGE,,,1,1,EA,5.00,5.00",
    ])  # fmt: skip
    PartialInvoice.objects.filter(pk=invoice.pk).update(stated_total=Decimal("1100.00"))

    response = client_for(connected.staff).get(review_url(invoice))

    html = response.content.decode()
    assert response.status_code == 200
    summary = html.split('data-testid="summary"')[1].split("</section>")[0]
    assert "$1,100.00" in summary and "$1,094.00" in summary
    assert 'data-testid="flag-total"' in summary and "$6.00 less than the stated total" in summary
    assert 'data-testid="flag-prices"' in summary
    assert "Receive 3 items (36 units) into Main storage at Copper Tap Group Bar dated Mar 5, 2024" in summary
    rows = {r.split('data-line="')[1].split('"')[0]: r for r in html.split('data-testid="line-row"')[1:]}
    assert f'href="{reverse("items:detail", args=[bourbon.pk])}"' in rows["1"] and "Distributor SKU" in rows["1"]
    assert "Price +15% ($27.50 vs $24.00/unit)" in rows["1"]
    assert re.search(r"Name, size and pack \d\d", rows["2"]) and "Tito&#x27;s Handmade Vodka" in rows["2"]
    assert "New item" in rows["3"] and 'data-testid="line-flag-price"' not in rows["3"]
    assert "Not stock" in rows["4"] and "FUEL SURCHARGE" in rows["4"]
    for column in ("SG-100", "750ML", ">12<", ">2<", ">CS<", "$330.00", "$660.00"):
        assert column in rows["1"], column


def test_the_review_page_takes_the_same_number_of_queries_for_10_and_60_lines(
    client_for, connected, southern, django_assert_num_queries
):
    def invoice_with(number, count):
        lines = [f"{n},SKU-{number}-{n},,HOUSE SPIRIT {number} {n} 750ML,spirits,750ML,12,1,CS,120.00,120.00"
                 for n in range(1, count + 1)]  # fmt: skip
        return deliver(connected, southern, number, lines=lines)

    small, large = invoice_with("A", 10), invoice_with("B", 60)
    client = client_for(connected.staff)
    client.get(review_url(small))

    with django_assert_num_queries(REVIEW_QUERIES):
        first = client.get(review_url(small))
    with django_assert_num_queries(REVIEW_QUERIES):
        second = client.get(review_url(large))

    assert first.content.decode().count('data-testid="line-row"') == 10
    assert second.content.decode().count('data-testid="line-row"') == 60


# Signing in and the tenant scope (session, user, memberships, venues, RLS settings: 9), the
# invoice, its lines with their items and flags, the venue's primary storage area, and the nav
# counts (pending invoices and unread notifications in one query).
REVIEW_QUERIES = 13


def test_a_staff_member_limited_to_another_venue_gets_403_and_another_organization_404(
    client_for, connected, southern, bourbon, other_tenant
):
    invoice = deliver(connected, southern)
    outsider = limited_staff(connected, second_venue(connected))
    first = line(invoice, 1)

    client = client_for(outsider)
    assert client.get(review_url(invoice)).status_code == 403
    assert client.post(reverse("invoices:approve", args=[invoice.pk])).status_code == 403
    edit = client.post(reverse("invoices:line_update", args=[first.pk]), {"quantity": "9", "uom": "CS"})
    assert edit.status_code == 403
    assert client.get(reverse("invoices:copy", args=[invoice.pk])).status_code == 403
    other = client_for(other_tenant.admin)
    assert other.get(review_url(invoice)).status_code == 404
    assert other.post(reverse("invoices:line_match", args=[first.pk]), {"item": bourbon.pk}).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == PartialInvoice.Status.PENDING_REVIEW and line(invoice, 1).quantity == 2


# --- changing a line's item -----------------------------------------------------------------


def test_the_typeahead_finds_items_and_choosing_one_relinks_the_line_and_teaches_the_sku(
    client_for, connected, southern, bourbon, vodka
):
    invoice = deliver(connected, southern, lines=["1,SG-999,,MYSTERY VODKA 1LTR,spirits,1L,12,6,EA,22.00,132.00"])
    wrong = line(invoice, 1)
    client = client_for(connected.staff)

    editor = client.get(reverse("invoices:line", args=[wrong.pk]), {"mode": "match"}, headers=htmx())
    results = client.get(reverse("invoices:line_item_search", args=[wrong.pk]), {"q": "TITOS HANDMADE"}, headers=htmx())
    chosen = client.post(reverse("invoices:line_match", args=[wrong.pk]), {"item": vodka.pk, "q": "tito"},
                         headers=htmx())  # fmt: skip

    assert editor.content.decode().lstrip().startswith(f'<tr id="line-{wrong.pk}" class="editing"')
    assert 'data-testid="match-search"' in editor.content.decode() and "autofocus" in editor.content.decode()
    buttons = results.content.decode().split('data-testid="match-result"')[1:]
    assert len(buttons) == 1 and f'value="{vodka.pk}"' in results.content.decode() and "Handmade Vodka" in buttons[0]
    row = chosen.content.decode().split("</tr>")[0]
    assert "Chosen by you" in row and f'href="{reverse("items:detail", args=[vodka.pk])}"' in row
    assert "invoiceChanged" in chosen.headers["HX-Trigger"]
    assert "Line 1 now links to Tito&#x27;s Handmade Vodka 1L. Distributor SKU SG-999 is remembered for it." in (
        chosen.content.decode())
    wrong.refresh_from_db()
    assert wrong.item == vodka and wrong.match == InvoiceLine.Match.MANUAL
    assert ItemIdentifier.objects.filter(item=vodka, value="SG-999", distributor=southern, is_current=True).exists()


def test_another_reviewer_sees_who_chose_the_item(client_for, connected, southern, bourbon, vodka):
    invoice = deliver(connected, southern, lines=["1,SG-999,,MYSTERY VODKA 1LTR,spirits,1L,12,6,EA,22.00,132.00"])
    client_for(connected.staff).post(reverse("invoices:line_match", args=[line(invoice, 1).pk]), {"item": vodka.pk})

    html = client_for(connected.manager).get(review_url(invoice)).content.decode()

    assert f"Chosen by {connected.staff.get_full_name()}" in html and "Chosen by you" not in html


def test_choosing_no_item_or_another_organizations_item_is_refused_next_to_the_search(
    client_for, connected, southern, bourbon, other_tenant
):
    invoice = deliver(connected, southern)
    theirs, _ = create_item(actor=other_tenant.admin, organization=other_tenant.organization, name="Riverside Rye")
    client = client_for(connected.staff)

    for value in ("", theirs.pk, "abc"):
        response = client.post(reverse("invoices:line_match", args=[line(invoice, 1).pk]), {"item": value},
                               headers=htmx())  # fmt: skip
        row = response.content.decode().split("</tr>")[0]
        assert 'data-testid="line-error"' in row and "Choose the item from the list" in row
        assert "HX-Trigger" not in response.headers
    assert line(invoice, 1).item == bourbon


def test_without_javascript_the_row_tools_are_links_back_to_the_page(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern)
    first = line(invoice, 1)
    client = client_for(connected.staff)

    redirect = client.get(reverse("invoices:line", args=[first.pk]), {"mode": "match"})
    page = client.get(review_url(invoice), {"line": first.pk, "mode": "match", "q": "buffalo"})

    assert redirect.status_code == 302
    assert redirect["Location"] == f"{review_url(invoice)}?line={first.pk}&mode=match#line-{first.pk}"
    html = page.content.decode()
    assert f'<tr id="line-{first.pk}" class="editing"' in html and 'data-testid="match-result"' in html


def test_a_new_item_is_created_from_a_line_with_what_the_reviewer_corrected(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern)
    first = line(invoice, 1)
    client = client_for(connected.staff)

    form = client.get(reverse("invoices:line_new_item", args=[first.pk]), headers=htmx()).content.decode()
    fields = {"name": "Buffalo Trace Kosher Wheat", "units_per_case": 6, "category": "spirits"}
    bad = client.post(reverse("invoices:line_new_item", args=[first.pk]), {**fields, "size": "huge"}, headers=htmx())
    good = client.post(reverse("invoices:line_new_item", args=[first.pk]), {**fields, "size": "750ML"}, headers=htmx())

    assert 'value="BUFFALO TRACE BOURBON 750ML"' in form and 'value="750ML"' in form and 'value="12"' in form
    assert '<option value="spirits" selected>' in form
    assert "Size &#x27;huge&#x27; is not a size Backstock understands" in bad.content.decode().split("</tr>")[0]
    created = Item.objects.get(organization=connected.organization, name="Buffalo Trace Kosher Wheat")
    assert created.units_per_case == 6 and created.size_label == "750ML"
    row = good.content.decode().split("</tr>")[0]
    assert f'href="{reverse("items:detail", args=[created.pk])}"' in row and "New item, created by you" in row
    first.refresh_from_db()
    assert first.item == created and first.created_item


# --- adding, editing and removing lines -----------------------------------------------------


def test_a_missing_line_is_added_with_the_typeahead_and_removed_again(client_for, connected, southern, bourbon, vodka):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)

    results = client.get(reverse("invoices:item_search", args=[invoice.pk]), {"q": "tito"}, headers=htmx())
    added = client.post(reverse("invoices:line_add", args=[invoice.pk]),
                        {"item": vodka.pk, "quantity": "3", "uom": "EA", "unit_price": "21.00", "q": "tito"},
                        headers=htmx())  # fmt: skip

    assert 'type="radio" name="item" value="%d"' % vodka.pk in results.content.decode()
    new = invoice.lines.get(added_by_reviewer=True)
    assert new.line_number == 3 and new.item == vodka and new.quantity == 3 and new.extended_amount == Decimal("63.00")
    html = added.content.decode()
    assert html.lstrip().startswith('<section id="lines"') and html.count('data-testid="line-row"') == 3
    assert "Added by you" in html and "Line 3 added: 3 EA of Tito&#x27;s Handmade Vodka 1L." in html
    assert "invoiceChanged" in added.headers["HX-Trigger"]

    removed = client.post(reverse("invoices:line_remove", args=[new.pk]), headers=htmx())
    refused = client.post(reverse("invoices:line_remove", args=[line(invoice, 1).pk]), headers=htmx())

    assert removed.status_code == 200 and "<tr" not in removed.content.decode()
    assert not invoice.lines.filter(pk=new.pk).exists()
    refusal = refused.content.decode().split("</tr>")[0]
    assert "Line 1 came from the distributor; set its quantity to 0 instead." in refusal
    assert invoice.lines.count() == 2


def test_adding_a_line_without_an_item_or_with_a_bad_quantity_says_so_next_to_the_field(
    client_for, connected, southern, bourbon, vodka
):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)

    def add(data):
        return client.post(reverse("invoices:line_add", args=[invoice.pk]), data, headers=htmx()).content.decode()

    no_item = add({"quantity": "3", "uom": "EA", "q": "tito"})
    zero = add({"item": vodka.pk, "quantity": "0", "uom": "EA"})
    words = add({"item": vodka.pk, "quantity": "two", "uom": "EA"})

    assert "Pick the item from the list." in no_item.split('data-testid="add-error-item"')[1]
    assert 'data-testid="add-result"' in no_item  # the results for what was typed stay on screen
    assert "Quantity must not be zero." in zero.split('id="id_add-quantity"')[1].split("</div>")[0]
    assert "Quantity &#x27;two&#x27; is not a number." in words.split('id="id_add-quantity"')[1].split("</div>")[0]
    assert invoice.lines.count() == 2


def test_quantity_price_and_unit_are_edited_inline_and_a_line_is_marked_not_stock(
    client_for, connected, southern, bourbon
):
    invoice = deliver(connected, southern)
    first = line(invoice, 1)
    client = client_for(connected.staff)

    form = client.get(reverse("invoices:line", args=[first.pk]), {"mode": "edit"}, headers=htmx()).content.decode()
    bad = client.post(reverse("invoices:line_update", args=[first.pk]),
                      {"quantity": "-x", "unit_price": "1", "uom": "CS"}, headers=htmx()).content.decode()  # fmt: skip
    saved = client.post(reverse("invoices:line_update", args=[first.pk]),
                        {"quantity": "3", "unit_price": "288.00", "uom": "CS"}, headers=htmx())  # fmt: skip

    assert 'name="quantity" value="2"' in form and 'name="unit_price" value="330"' in form
    assert "Quantity &#x27;-x&#x27; is not a number." in bad.split("</tr>")[0]
    row = saved.content.decode().split("</tr>")[0]
    assert 'data-testid="line-qty">3<' in row and "$288.00" in row and "$864.00" in row
    assert 'data-testid="line-flag-price"' not in row  # $24.00 a bottle again
    first.refresh_from_db()
    assert first.quantity == 3 and first.unit_price == Decimal("288.00") and first.extended_amount == Decimal("864.00")

    not_stock = client.post(reverse("invoices:line_update", args=[first.pk]), {"is_inventory": "0"}, headers=htmx())

    assert 'data-testid="line-flag-not-stock"' in not_stock.content.decode().split("</tr>")[0]
    first.refresh_from_db()
    assert not first.is_inventory


# --- the digital copy -----------------------------------------------------------------------


def test_a_pdf_copy_is_attached_and_served_inline_only_to_members(
    client_for, connected, southern, bourbon, other_tenant
):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)

    response = client.post(reverse("invoices:attach", args=[invoice.pk]),
                           {"copy": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")},
                           headers=htmx())  # fmt: skip
    served = client.get(reverse("invoices:copy", args=[invoice.pk]))

    region = response.content.decode().split("</section>")[0]
    assert region.lstrip().startswith('<section id="attachment"')
    assert f'href="{reverse("invoices:copy", args=[invoice.pk])}"' in region and "View copy" in region
    assert served.status_code == 200 and b"".join(served.streaming_content) == PDF
    assert served["Content-Type"] == "application/pdf" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;") and "invoice-INV-1.pdf" in served["Content-Disposition"]
    invoice.refresh_from_db()
    assert invoice.attachment.name.startswith(f"invoices/{connected.organization.pk}/")
    assert invoice.attachment.name not in region and "/media/" not in region  # never a public file URL
    assert client_for(other_tenant.admin).get(reverse("invoices:copy", args=[invoice.pk])).status_code == 404
    client_for(connected.staff)  # back to A's staff for the rest
    assert client.get(reverse("invoices:copy", args=[invoice.pk])).status_code == 200


def test_a_png_copy_is_served_as_a_png(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)

    client.post(reverse("invoices:attach", args=[invoice.pk]), {"copy": SimpleUploadedFile("scan.jpg", PNG)})
    served = client.get(reverse("invoices:copy", args=[invoice.pk]))

    assert served["Content-Type"] == "image/png" and "invoice-INV-1.png" in served["Content-Disposition"]


def test_a_text_file_named_pdf_and_a_file_over_the_limit_are_refused_next_to_the_field(
    client_for, connected, southern, bourbon, settings
):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)
    settings.INVOICE_ATTACHMENT_MAX_BYTES = 1024

    fake = client.post(reverse("invoices:attach", args=[invoice.pk]),
                       {"copy": SimpleUploadedFile("invoice.pdf", b"just some text, not a PDF at all\n" * 3,
                                                   content_type="application/pdf")}, headers=htmx())  # fmt: skip
    big = client.post(reverse("invoices:attach", args=[invoice.pk]),
                      {"copy": SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, content_type="application/pdf")},
                      headers=htmx())  # fmt: skip

    fake_error = fake.content.decode().split('data-testid="attach-error"')[1].split("</div>")[0]
    assert "invoice.pdf is not a PDF, JPG or PNG file (its content says otherwise)." in fake_error
    big_error = big.content.decode().split('data-testid="attach-error"')[1].split("</div>")[0]
    assert "big.pdf is" in big_error and "the limit is" in big_error
    invoice.refresh_from_db()
    assert not invoice.attachment
    assert client.get(reverse("invoices:copy", args=[invoice.pk])).status_code == 404


# --- approve and reject ---------------------------------------------------------------------


def test_approving_receives_the_stock_at_the_invoice_date_once_and_the_page_turns_read_only(
    client_for, connected, southern, bourbon
):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)

    confirm = client.get(reverse("invoices:approve", args=[invoice.pk])).content.decode()
    first = client.post(reverse("invoices:approve", args=[invoice.pk]), headers=htmx())
    second = client.post(reverse("invoices:approve", args=[invoice.pk]), headers=htmx())

    assert "Receive 1 item (24 units) into Main storage at Copper Tap Group Bar dated Mar 5, 2024" in confirm
    html = first.content.decode()
    assert html.lstrip().startswith('<div id="invoice"') and 'data-testid="approved-banner"' in html
    assert f'href="{reverse("items:detail", args=[bourbon.pk])}" data-testid="touched-item"' in html
    assert ("Invoice INV-1 approved: 1 item received into Main storage at Copper Tap Group Bar, dated Mar 5, 2024."
            in html)
    for control in ('data-testid="approve"', 'data-testid="change-item"', 'data-testid="edit-line"',
                    'data-testid="add-line"', 'data-testid="toggle-stock"', 'data-testid="reject"'):  # fmt: skip
        assert control not in html, control
    assert re.search(r'<span id="nav-invoices-badge" [^>]*hx-swap-oob="true"></span>', html)  # none pending now
    assert "already approved; nothing was received twice" in second.content.decode()
    movements = StockMovement.objects.filter(organization=connected.organization, item=bourbon,
                                             kind=StockMovement.Kind.RECEIPT, source_type="invoice")  # fmt: skip
    assert [(m.quantity, m.business_date) for m in movements] == [(Decimal(24), date(2024, 3, 5))]
    bourbon.refresh_from_db()
    assert bourbon.cost_per_unit == Decimal("27.5000") and bourbon.cost_per_case == Decimal("330.00")
    assert StockLevel.objects.get(item=bourbon).quantity == 24
    page = client.get(review_url(invoice)).content.decode()
    assert 'data-testid="approve"' not in page and 'data-testid="line-flag-price"' not in page


def test_approving_with_an_unmatched_line_shows_why_next_to_the_button(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern, "INV-U1", account="NEW-77")  # unrouted: its lines wait unmatched
    client_for(connected.admin).post(reverse("invoices:assign", args=[invoice.pk]), {"venue": connected.venue.pk})
    first = line(invoice, 1)
    InvoiceLine.objects.filter(pk=first.pk).update(item=None, match=InvoiceLine.Match.NONE)
    client = client_for(connected.staff)

    response = client.post(reverse("invoices:approve", args=[invoice.pk]), headers=htmx())

    error = response.content.decode().split('data-testid="approve-error"')[1].split("</p>")[0]
    assert "Line 1 (BUFFALO TRACE BOURBON 750ML) has no item: choose one, create one, or mark it as not stock." in error
    invoice.refresh_from_db()
    assert invoice.status == PartialInvoice.Status.PENDING_REVIEW
    assert not StockMovement.objects.filter(organization=connected.organization, source_type="invoice").exists()


def test_rejecting_needs_a_reason_and_then_receives_nothing(client_for, connected, southern, bourbon):
    invoice = deliver(connected, southern)
    client = client_for(connected.staff)

    blank = client.post(reverse("invoices:reject", args=[invoice.pk]), {"reason": "  "}, headers=htmx())
    blank = blank.content.decode()
    done = client.post(reverse("invoices:reject", args=[invoice.pk]), {"reason": "Not our delivery"}, headers=htmx())

    assert "This field is required." in blank.split('data-testid="reject-error"')[1].split("</div>")[0]
    html = done.content.decode()
    assert 'data-testid="rejected-banner"' in html and "Not our delivery" in html
    assert 'data-testid="approve"' not in html
    invoice.refresh_from_db()
    assert invoice.status == PartialInvoice.Status.REJECTED and invoice.rejection_reason == "Not our delivery"
    assert client.post(reverse("invoices:approve", args=[invoice.pk]), headers=htmx()).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == PartialInvoice.Status.REJECTED
    assert not StockMovement.objects.filter(organization=connected.organization, source_type="invoice").exists()


def test_changes_to_a_decided_invoice_are_refused_with_the_reason(client_for, connected, southern, bourbon, vodka):
    invoice = deliver(connected, southern)
    approve_invoice(actor=connected.manager, organization=connected.organization, invoice=invoice)
    client = client_for(connected.staff)

    response = client.post(reverse("invoices:line_match", args=[line(invoice, 1).pk]), {"item": vodka.pk},
                           headers=htmx())  # fmt: skip
    editor = client.get(reverse("invoices:line", args=[line(invoice, 1).pk]), {"mode": "edit"}, headers=htmx())

    assert "Invoice INV-1 is already approved; it can no longer be changed." in response.content.decode()
    assert 'class="editing"' not in editor.content.decode() and 'data-testid="edit-line"' not in editor.content.decode()
    assert line(invoice, 1).item == bourbon


# --- notifications --------------------------------------------------------------------------


def test_new_invoices_ring_the_bell_and_the_notifications_page_marks_them_read(
    client_for, connected, southern, bourbon, other_tenant
):
    deliver(connected, southern, "INV-1")
    deliver(connected, southern, "INV-2")
    Notification.objects.create(organization=other_tenant.organization, user=other_tenant.staff, kind="x",
                                message="Riverside secret")  # fmt: skip
    client = client_for(connected.staff)

    dashboard = client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("notifications")).content.decode()
    read = client.post(reverse("notifications_read"), headers=htmx()).content.decode()
    after = client.get(reverse("dashboard")).content.decode()

    assert 'data-testid="bell-count">2<' in dashboard
    items = page.split('data-testid="notification"')[1:]
    assert len(items) == 2 and "INV-2" in items[0] and "INV-1" in items[1]  # newest first
    newest = PartialInvoice.objects.get(invoice_number="INV-2")
    assert f'href="{reverse("invoices:review", args=[newest.pk])}"' in items[0]
    assert "Riverside" not in page
    assert 'data-testid="unread"' not in read and "2 notifications marked as read." in read
    assert '<a class="bell" id="bell" href="/notifications/" data-testid="bell" hx-swap-oob="true"' in read
    assert 'data-testid="bell-count"' not in after
    assert Notification.objects.filter(user=other_tenant.staff, read_at__isnull=True).count() == 1


def test_a_credit_memo_says_so_and_approving_it_takes_the_stock_back(client_for, connected, southern, bourbon):
    receipt = deliver(connected, southern, "INV-1")
    approve_invoice(actor=connected.manager, organization=connected.organization, invoice=receipt)
    returned = "1,SG-100,,BUFFALO TRACE BOURBON 750ML,spirits,750ML,12,-3,EA,27.50,-82.50"
    memo = deliver(connected, southern, "CM-1", lines=[returned])
    client = client_for(connected.staff)

    page = client.get(review_url(memo)).content.decode()
    client.post(reverse("invoices:approve", args=[memo.pk]), headers=htmx())

    assert 'data-testid="credit-memo"' in page and "Credit memo CM-1" in page
    assert "Return 1 item (3 units) from Main storage at Copper Tap Group Bar dated Mar 5, 2024" in page
    assert f'href="{reverse("invoices:document", args=[memo.document_id])}" data-testid="document-link"' in page
    assert StockLevel.objects.get(item=bourbon).quantity == 21
