"""A stock count on a phone: start it, walk the shelf with the keyboard, finish, see the result."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from items.models import StockCount, StockLevel, StockMovement
from items.services import ledger
from items.services.catalog import create_item
from venues import services as venue_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def mark_page(page):
    """Tag the window; the tag survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__noFullReload = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.__noFullReload === true")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def back_bar(tenant):
    """Back bar stocks 2 Jameson and 5 Tito's; Aperol is in the catalog but not on record there."""
    organization = tenant.organization
    area = venue_services.create_storage_area(actor=tenant.admin, organization=organization, venue=tenant.venue,
                                              name="Back bar")  # fmt: skip
    items = {}
    for name, size, quantity in (("Jameson Irish Whiskey", "1L", 2), ("Tito's Handmade Vodka", "750ML", 5),
                                 ("Aperol", "750ML", 0)):  # fmt: skip
        items[name], _ = create_item(actor=tenant.admin, organization=organization, name=name, size=size)
        if quantity:
            ledger.record_movement(organization=organization, item=items[name], storage_area=area, quantity=quantity,
                                   kind=StockMovement.Kind.RECEIPT)  # fmt: skip
    return area, items


def test_a_bartender_counts_the_back_bar_on_a_phone_with_the_keyboard_and_finishes(page_for, tenant, back_bar):
    area, items = back_bar
    page = page_for(tenant.staff)
    page.set_viewport_size(PHONE)

    page.goto("/items/stock/counts/")
    page.get_by_role("button", name="Start a count of Back bar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Count of Back bar")
    rows = page.get_by_test_id("count-row")
    expect(rows).to_have_count(2)  # what the ledger says is there, listed so the counter walks the shelf
    expect(rows.nth(0)).to_contain_text("Jameson Irish Whiskey")
    expect(rows.nth(1)).to_contain_text("Tito's Handmade Vodka")
    assert fits_the_screen(page)
    mark_page(page)

    # Type, Enter, type, Enter …: full units and tenths of each line, then on to the next.
    page.get_by_label("Full units of Jameson Irish Whiskey 1L").focus()
    for keys in ("2", "5", "3", "4"):
        page.keyboard.type(keys)
        page.keyboard.press("Enter")
    expect(page.get_by_label("Add an item: type or scan its name, SKU or UPC")).to_be_focused()
    # Something on the shelf the ledger didn't know about: search, Enter adds it, count it.
    page.keyboard.type("aperol")
    expect(page.get_by_test_id("search-result").first).to_contain_text("Aperol")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Full units of Aperol 750ML")).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Tenths of an open Aperol 750ML")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Add an item: type or scan its name, SKU or UPC")).to_be_focused()

    for name, counted in (("Jameson Irish Whiskey", "2.5"), ("Tito's Handmade Vodka", "3.4"), ("Aperol", "1")):
        status = rows.filter(has_text=name).get_by_test_id("line-status")
        expect(status).to_contain_text("✓ Saved")
        expect(status).to_contain_text(counted)
    expect(rows).to_have_count(3)
    assert still_the_same_page(page)  # every line saved with htmx, no reload
    assert fits_the_screen(page)

    page.get_by_role("link", name="Review and finish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish the count of Back bar")
    review = page.get_by_test_id("review-row")
    expect(review.filter(has_text="Tito's")).to_contain_text("-1.6")
    expect(review.filter(has_text="Jameson")).to_contain_text("+0.5")
    expect(review.filter(has_text="Aperol")).to_contain_text("+1")
    expect(page.get_by_text("3 items will be adjusted (net -0.1 units).")).to_be_visible()
    page.get_by_role("button", name="Finish count").click()

    expect(page.locator("#messages")).to_contain_text("Count of Back bar finished: 3 items counted, 3 adjusted.")
    expect(page.get_by_test_id("count-status")).to_have_text("Finished")
    result = page.get_by_test_id("result-row")
    for name, adjustment, now in (("Tito's", "-1.6", "3.4"), ("Jameson", "+0.5", "2.5"), ("Aperol", "+1", "1")):
        expect(result.filter(has_text=name).get_by_test_id("adjustment")).to_have_text(adjustment)
        expect(result.filter(has_text=name).get_by_test_id("level-now")).to_have_text(now)
    assert fits_the_screen(page)

    count = StockCount.objects.get()
    assert count.status == StockCount.Status.FINISHED and count.finished_by == tenant.staff
    levels = {lvl.item.name: lvl.quantity for lvl in StockLevel.objects.filter(storage_area=area).select_related("item")}
    assert levels == {"Jameson Irish Whiskey": Decimal("2.5"), "Tito's Handmade Vodka": Decimal("3.4"), "Aperol": 1}
