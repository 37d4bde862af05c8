"""The merge tool in a real browser: from a duplicate suggestion to a merge, and back with Undo."""

import re

import pytest
from playwright.sync_api import expect

from items.models import Item, ItemIdentifier
from items.services.catalog import create_item, record_identifier
from items.services.ledger import record_movement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_item(tenant, name, *, stock, area, sku="", upc=""):
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, size="750ML",
                          units_per_case=12, upc=upc, category=Item.Category.SPIRITS)  # fmt: skip
    record_movement(organization=tenant.organization, item=item, storage_area=area, quantity=stock, kind="receipt")
    if sku:
        record_identifier(organization=tenant.organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                          value=sku, source="import")  # fmt: skip
    return item


def test_a_manager_merges_a_suggested_duplicate_and_undoes_it_from_the_items_history(page_for, tenant):
    area = tenant.venue.storage_areas.get(is_primary=True)
    old = make_item(tenant, "JACK DANIELS OLD #7 BLK LBL", stock=10, area=area, sku="26827", upc="82184090510")
    new = make_item(tenant, "Jack Daniel's Old No. 7 Black Label", stock=4, area=area)
    page = page_for(tenant.manager)

    # The suggestion, with its reason and both items.
    page.goto("/items/merge/suggestions/")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("Same name after normalization, size and pack")
    expect(suggestion).to_contain_text("JACK DANIELS OLD #7 BLK LBL")
    expect(suggestion).to_contain_text("Jack Daniel's Old No. 7 Black Label")
    suggestion.get_by_role("link", name="Review & merge").click()

    # Side by side, the newer item stays; the preview says what moves.
    compare = page.get_by_test_id("merge-compare")
    expect(compare).to_contain_text("26827")
    expect(page.get_by_test_id(f"role-{new.pk}")).to_have_text("Stays")
    expect(page.get_by_test_id(f"role-{old.pk}")).to_have_text("Merged away")
    preview = page.get_by_test_id("merge-preview")
    expect(preview.get_by_test_id("move-codes")).to_contain_text("SKU 26827")
    expect(preview.get_by_test_id("move-stock")).to_contain_text("14")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("confirm-merge").click()

    # The survivor's page: the old item's SKU and stock are here now.
    expect(page).to_have_url(re.compile(rf"/items/{new.pk}/$"))
    expect(page.locator("#messages")).to_contain_text("Merged JACK DANIELS OLD #7 BLK LBL 750ML into")
    expect(page.get_by_test_id("identifiers")).to_contain_text("26827")
    expect(page.get_by_test_id("on-hand-total")).to_contain_text("14")
    entry = page.get_by_test_id("merge-entry")
    expect(entry).to_contain_text("JACK DANIELS OLD #7 BLK LBL 750ML was merged into this item")

    page.once("dialog", lambda dialog: dialog.accept())
    entry.get_by_role("button", name="Undo merge").click()

    # Both items are back, each with its own stock.
    expect(page.locator("#messages")).to_contain_text("Merge undone: JACK DANIELS OLD #7 BLK LBL 750ML is back")
    expect(page.get_by_test_id("on-hand-total")).to_contain_text("4")
    expect(page.get_by_test_id("merge-undone")).to_have_text("Undone")
    page.get_by_test_id("merge-entry").get_by_role("link", name="JACK DANIELS OLD #7 BLK LBL 750ML").click()
    expect(page.get_by_test_id("item-title")).to_contain_text("JACK DANIELS OLD #7 BLK LBL")
    expect(page.get_by_test_id("archived-badge")).to_have_count(0)
    expect(page.get_by_test_id("on-hand-total")).to_contain_text("10")
    expect(page.get_by_test_id("identifiers")).to_contain_text("26827")
