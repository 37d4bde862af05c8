"""The Items page in a real browser: search as you type, the item page, adding an item by hand."""

import re

import pytest
from playwright.sync_api import expect

from distributors.models import Distributor
from items.models import ItemIdentifier
from items.services.catalog import create_item, record_identifier
from items.services.ledger import record_movement
from venues.models import StorageArea

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mark_page(page):
    """Tag the window; the tag survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__noFullReload = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.__noFullReload === true")


def add_item(tenant, name, *, sku, distributor, **fields):
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, category="spirits", **fields)
    record_identifier(organization=tenant.organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                      value=sku, distributor=distributor, source="test")  # fmt: skip
    return item


def test_a_user_finds_an_item_by_typing_part_of_its_sku_and_opens_it(page_for, tenant):
    southern = Distributor.objects.create(name="Southern Glazer's", slug="southern-browser-test")
    bourbon = add_item(tenant, "Buffalo Trace Bourbon", sku="SG-268264", distributor=southern, size="750ML",
                       upc="080244009236")  # fmt: skip
    add_item(tenant, "Eagle Rare 10 Year", sku="SG-110233", distributor=southern, size="750ML")
    add_item(tenant, "Blanton's Single Barrel", sku="SG-310977", distributor=southern, size="750ML")
    bar = StorageArea.objects.get(venue=tenant.venue, is_primary=True)
    record_movement(organization=tenant.organization, item=bourbon, storage_area=bar, quantity=9, kind="opening")
    page = page_for(tenant.staff)

    page.goto("/items/")
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    mark_page(page)
    page.get_by_label("Search by name, producer, SKU or UPC").press_sequentially("8264", delay=40)

    rows = page.get_by_test_id("item-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Buffalo Trace Bourbon")
    expect(rows.first).to_contain_text("SG-268264")
    expect(page.get_by_test_id("result-count")).to_contain_text("1 item matching “8264”")
    assert still_the_same_page(page), "the results changed without reloading the page"
    expect(page).to_have_url(re.compile(r"/items/\?.*q=8264"))

    rows.first.get_by_role("link", name="Buffalo Trace Bourbon").click()

    expect(page.get_by_test_id("item-title")).to_contain_text("Buffalo Trace Bourbon 750ML")
    codes = page.get_by_test_id("identifiers")
    expect(codes).to_contain_text("SG-268264")
    expect(codes).to_contain_text("Southern Glazer's")
    expect(codes).to_contain_text("080244009236")
    stock = page.get_by_test_id("venue-stock")
    expect(stock).to_contain_text("Copper Tap Group Bar")
    expect(stock.get_by_role("row").filter(has_text="Main storage")).to_contain_text("9")
    expect(page.get_by_test_id("on-hand-total")).to_contain_text("9 units")


def test_a_manager_adds_an_item_sees_a_bad_size_explained_next_to_the_field_fixes_it_and_saves(page_for, tenant):
    page = page_for(tenant.manager)

    page.goto("/items/")
    expect(page.get_by_test_id("no-items")).to_contain_text("No items yet.")
    page.get_by_role("link", name="Add an item", exact=True).click()
    page.get_by_label("Name").fill("Four Roses Small Batch")
    page.get_by_label("Category").select_option("Spirits")
    page.get_by_label("Size").fill("big")
    page.get_by_label("Units per case").fill("6")
    page.get_by_label("Unit UPC").fill("088352114033")
    page.get_by_role("button", name="Add item").click()

    size_field = page.locator(".field", has=page.get_by_label("Size"))
    expect(size_field.locator(".errorlist")).to_have_text(
        "Size 'big' is not a size Backstock understands (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)."
    )
    expect(page.get_by_label("Size")).to_have_value("big")
    expect(page.get_by_label("Name")).to_have_value("Four Roses Small Batch")
    expect(page.locator(".field", has=page.get_by_label("Name")).locator(".errorlist")).to_have_count(0)

    page.get_by_label("Size").fill("750ML")
    page.get_by_role("button", name="Add item").click()

    expect(page.get_by_test_id("item-title")).to_have_text("Four Roses Small Batch 750ML")
    expect(page.locator("#messages")).to_contain_text("Four Roses Small Batch 750ML added.")
    expect(page.get_by_test_id("item-upc")).to_contain_text("088352114033")
    page.get_by_role("link", name="Items", exact=True).first.click()
    expect(page.get_by_test_id("item-row")).to_have_count(1)
    expect(page.get_by_test_id("item-row")).to_contain_text("6/cs")
