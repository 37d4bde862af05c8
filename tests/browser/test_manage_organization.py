"""Manage Organization in a real browser: editing venues in place, Product Connect, people."""

import re

import pytest
from playwright.sync_api import expect

from venues import services
from venues.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFF_GRAY = "rgb(154, 161, 173)"  # --off in backstock.css


def mark_page(page):
    """Tag the window; the tag survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__noFullReload = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.__noFullReload === true")


def test_an_admin_turns_product_connect_off_in_place_and_the_audit_log_says_so(page_for, tenant):
    services.set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, enabled=True)
    page = page_for(tenant.admin)

    page.goto("/")
    page.get_by_role("link", name="Manage Organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage Organization")
    row = page.locator(f"#venue-{tenant.venue.pk}")
    expect(row.get_by_test_id("product-connect-badge")).to_have_text("Product Connect on")
    mark_page(page)

    row.get_by_role("button", name="Edit Copper Tap Group Bar").click()
    switch = row.get_by_role("switch", name="Enable Product Connect")
    expect(switch).to_be_checked()
    switch.click()
    expect(switch).not_to_be_checked()
    expect(switch).to_have_css("background-color", OFF_GRAY)
    row.get_by_role("button", name="Save").click()

    expect(row.get_by_test_id("product-connect-badge")).to_have_text("Product Connect off")
    expect(row.get_by_role("switch")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Copper Tap Group Bar saved.")
    expect(page.get_by_test_id("audit-log")).to_contain_text("Product Connect turned off for Copper Tap Group Bar")
    assert still_the_same_page(page)

    page.reload()
    badge = page.locator(f"#venue-{tenant.venue.pk}").get_by_test_id("product-connect-badge")
    expect(badge).to_have_text("Product Connect off")
    expect(badge).to_have_class(re.compile(r"\boff\b"))
    expect(page.get_by_test_id("audit-log").get_by_role("row").nth(1)).to_contain_text(
        "Product Connect turned off for Copper Tap Group Bar"
    )
    assert not still_the_same_page(page)


def test_staff_have_no_manage_link_and_the_page_is_forbidden(page_for, tenant):
    page = page_for(tenant.staff)

    page.goto("/")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Manage Organization")).to_have_count(0)

    response = page.goto("/manage/")
    assert response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()


def test_a_venue_outside_the_us_shows_the_switch_disabled_with_the_reason(page_for, tenant):
    services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Toronto Taproom",
                          country="CA", timezone_name="America/Toronto")  # fmt: skip
    page = page_for(tenant.admin)
    page.goto("/manage/")

    page.get_by_role("button", name="Edit Toronto Taproom").click()

    switch = page.get_by_role("switch", name="Enable Product Connect")
    expect(switch).to_be_disabled()
    expect(switch).to_have_accessible_description(
        "Product Connect is only available for venues in the United States."
    )
    expect(page.get_by_text("Product Connect is only available for venues in the United States.")).to_be_visible()


def test_errors_show_inside_the_row_and_cancel_restores_it(page_for, tenant):
    page = page_for(tenant.admin)
    page.goto("/manage/")
    row = page.locator(f"#venue-{tenant.venue.pk}")
    mark_page(page)

    row.get_by_role("button", name="Edit Copper Tap Group Bar").click()
    row.get_by_label("Name").fill("")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(row.locator(".errorlist")).to_contain_text("This field is required.")

    row.get_by_role("link", name="Cancel").click()
    expect(row.locator(".venue-title")).to_have_text("Copper Tap Group Bar")
    assert still_the_same_page(page)


def test_adding_a_venue_and_a_storage_area_and_making_it_primary(page_for, tenant):
    page = page_for(tenant.admin)
    page.goto("/manage/")
    mark_page(page)

    page.get_by_text("Add a venue").click()
    add = page.locator(".add-venue form")
    add.get_by_label("Name").fill("The Copper Tap")
    add.get_by_label("City").fill("Ames")
    add.get_by_label("US state").select_option("IA")
    add.get_by_role("button", name="Add venue").click()
    expect(page.get_by_role("button", name="Edit The Copper Tap")).to_be_visible()

    card = page.get_by_role("group", name="The Copper Tap")
    expect(card.get_by_test_id("storage-area")).to_have_text(re.compile(r"Main storage\s+Primary"))
    card.get_by_label("Add a storage area to The Copper Tap").fill("Cellar")
    card.get_by_role("button", name="Add").click()
    expect(card.get_by_test_id("storage-area")).to_have_count(2)
    card.get_by_role("button", name="Make primary: Cellar at The Copper Tap").click()
    expect(card.get_by_test_id("storage-area").first).to_have_text(re.compile(r"Cellar\s+Primary"))
    expect(page.get_by_test_id("audit-log")).to_contain_text("Cellar is now the primary storage area of The Copper Tap")
    assert still_the_same_page(page)


def test_removing_a_member_asks_first_and_the_last_admin_stays(page_for, tenant):
    page = page_for(tenant.admin)
    page.goto("/manage/")
    staff_row = page.locator("tr", has_text=tenant.staff.email)

    page.once("dialog", lambda dialog: dialog.dismiss())
    staff_row.get_by_role("button", name=f"Remove {tenant.staff.display_name}").click()
    expect(staff_row).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    staff_row.get_by_role("button", name=f"Remove {tenant.staff.display_name}").click()
    expect(staff_row).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(f"{tenant.staff.email} no longer has access")
    assert not Membership.objects.filter(user=tenant.staff).exists()

    admin_row = page.locator("tr", has_text=tenant.admin.email)
    admin_row.get_by_label(f"Role of {tenant.admin.display_name}", exact=True).select_option("staff")
    admin_row.get_by_role("button", name=f"Save role of {tenant.admin.display_name}").click()
    expect(page.locator("#messages")).to_contain_text("is the last admin; make someone else admin first.")
    expect(admin_row.get_by_label(f"Role of {tenant.admin.display_name}", exact=True)).to_have_value("admin")
