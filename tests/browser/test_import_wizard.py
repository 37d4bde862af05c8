"""The Import Wizard in a real browser: a 30-row slice of the Iowa catalog with one bad row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A cut of the Iowa state catalog (items/fixtures/SOURCE.md), with Iowa's own headers.
IOWA_SLICE = Path(__file__).resolve().parents[2] / "items" / "fixtures" / "demo_items.csv"
BAD_ROW = 7


def iowa_slice() -> tuple[bytes, list[str], list[list[str]]]:
    """29 catalog rows and, as data row 7, one whose bottle volume is 'big'."""
    with IOWA_SLICE.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [next(reader) for _ in range(29)]
    bad = list(rows[0])
    bad[header.index("Item Number")] = "99999"
    bad[header.index("Item Description")] = "MYSTERY MAGNUM"
    bad[header.index("Bottle Volume (ml)")] = "big"
    rows.insert(BAD_ROW - 1, bad)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode(), header, rows


def test_a_manager_imports_an_iowa_slice_sees_the_bad_row_rejected_and_downloads_the_report(page_for, tenant):
    data, header, rows = iowa_slice()
    page = page_for(tenant.manager)

    page.goto("/items/")
    page.get_by_role("link", name="Import a catalog", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a catalog")
    page.get_by_label("Catalog file").set_input_files(
        {"name": "iowa-slice.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Upload and map columns").click()

    # Auto-mapped by Iowa's header names.
    expect(page.get_by_role("heading", level=1)).to_have_text("Map the columns of iowa-slice.csv")
    expect(page.get_by_label("Item Description")).to_have_value("name")
    expect(page.get_by_label("Item Number")).to_have_value("sku")
    expect(page.get_by_label("Bottle Volume (ml)")).to_have_value("size_ml")
    expect(page.get_by_label("Pack")).to_have_value("units_per_case")
    expect(page.get_by_label("State Bottle Cost")).to_have_value("cost")
    expect(page.get_by_label("Vendor Name")).to_have_value("producer")
    page.get_by_role("button", name="Preview the import").click()

    # The preview: 29 new items, the bad row rejected with its reason.
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of iowa-slice.csv")
    expect(page.get_by_test_id("count-created").locator(".stat")).to_have_text("29")
    expect(page.get_by_test_id("count-rejected").locator(".stat")).to_have_text("1")
    page.get_by_test_id("tab-rejected").click()
    expect(page.get_by_test_id("import-row")).to_have_count(1)
    expect(page.get_by_test_id("row-error")).to_have_text(
        f"Row {BAD_ROW}: size 'big' is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)"
    )
    assert "action=rejected" in page.url  # the filter is in the address, for the back button

    page.get_by_test_id("go-commit").click()
    expect(page.get_by_test_id("commit-form")).to_contain_text("create 29 items")
    page.get_by_role("button", name="Import now").click()

    # The result, and the rejected rows as CSV.
    expect(page.get_by_role("heading", level=1)).to_have_text("Imported iowa-slice.csv")
    expect(page.locator("#messages")).to_contain_text("29 created, 0 updated, 0 unchanged, 1 rejected")
    expect(page.get_by_test_id("count-created").locator(".stat")).to_have_text("29")
    expect(page.get_by_test_id("count-created").locator(".stat-label")).to_have_text("items created")
    with page.expect_download() as download_info:
        page.get_by_test_id("rejected-report").click()
    download = download_info.value
    assert download.suggested_filename == "iowa-slice-rejected-rows.csv"
    report = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert report[0] == ["Row", *header, "Error"]
    assert report[1:] == [[str(BAD_ROW), *[" ".join(v.split()) for v in rows[BAD_ROW - 1]],
                           f"Row {BAD_ROW}: size 'big' is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)"]]  # fmt: skip

    # The items are in the items list, findable by their Iowa SKU.
    page.get_by_role("link", name="Go to the items").click()
    page.get_by_label("Search by name, producer, SKU or UPC").fill("87509")
    results = page.get_by_test_id("item-results")
    expect(results).to_contain_text("1800 SILVER")
    expect(results).to_contain_text("375ML")
    expect(results).not_to_contain_text("MYSTERY MAGNUM")


def test_the_list_of_past_imports_links_back_to_each_result(page_for, tenant):
    from items.services.imports import import_file

    data, _, _ = iowa_slice()
    import_file(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                file_name="iowa-slice.csv", data=data)  # fmt: skip
    page = page_for(tenant.manager)

    page.goto("/items/import/")
    page.get_by_test_id("import-list").get_by_role("link", name="iowa-slice.csv").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Imported iowa-slice.csv")
    expect(page.get_by_test_id("count-rejected").locator(".stat")).to_have_text("1")
