"""Distributors in a real browser: adding a distributor, an account with its rep, and verifying
an account a supplier feed imported, all without full page reloads where htmx does the work.

Transactional tests flush the database, so the seeded shared directory is not there: each
test creates the distributors it needs.
"""

import os
import re
from pathlib import Path

import pytest
from django.utils.text import slugify
from playwright.sync_api import expect

from distributors import services
from distributors.models import Distributor, DistributorAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("BACKSTOCK_SCREENSHOTS")  # a folder to save screenshots into, if set


def mark_page(page):
    """Tag the window; the tag survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__noFullReload = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.__noFullReload === true")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def shared_distributor(name: str, code: str = "") -> Distributor:
    # Only migrations write the shared directory; test code writes through its RLS bypass. The
    # seeded row is there when this test runs before any other flushed the database.
    distributor, _ = Distributor.objects.get_or_create(organization=None, slug=slugify(name),
                                                       defaults={"name": name, "code": code})  # fmt: skip
    return distributor


def test_a_manager_adds_a_distributor_and_an_account_with_a_rep(page_for, tenant):
    page = page_for(tenant.manager)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Distributors").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Distributors")

    page.get_by_text("Add a distributor of your own").click()
    page.get_by_label("Name", exact=True).fill("Hawkeye Beverage")
    page.get_by_label("Phone").fill("515-555-0100")
    page.get_by_role("button", name="Add distributor").click()

    expect(page.get_by_test_id("distributor-name")).to_have_text("Hawkeye Beverage")
    expect(page.locator("#messages")).to_contain_text("Hawkeye Beverage added.")
    expect(page.get_by_test_id("no-accounts")).to_be_visible()
    mark_page(page)

    form = page.locator("#accounts form")
    expect(form.get_by_label("Venue")).to_have_value(str(tenant.venue.pk))
    form.get_by_label("Account number").fill("10042")
    form.get_by_label("Sales rep's name").fill("Pat Kowalski")
    form.get_by_label("Sales rep's email").fill("pat@hawkeye.test")
    form.get_by_label("Sales rep's phone").press("Tab")
    form.get_by_role("button", name="Add account").click()

    card = page.get_by_role("group", name=re.compile(r"Copper Tap Group Bar #10042"))
    expect(card.get_by_test_id("account-status")).to_have_text("Verified")
    expect(card.get_by_test_id("sales-rep")).to_contain_text("Pat Kowalski")
    expect(card.get_by_test_id("sales-rep")).to_contain_text("pat@hawkeye.test")
    expect(page.locator("#messages")).to_contain_text("Account #10042 at Hawkeye Beverage added for Copper Tap Group Bar.")
    assert still_the_same_page(page)

    # A second rep, added with the keyboard only.
    card.get_by_text("Add a sales rep").focus()
    page.keyboard.press("Enter")
    card.get_by_label("Name", exact=True).fill("Lee Park")
    page.keyboard.press("Enter")
    expect(card.get_by_test_id("sales-rep")).to_have_count(2)
    assert still_the_same_page(page)

    page.reload()
    card = page.get_by_role("group", name=re.compile(r"Copper Tap Group Bar #10042"))
    expect(card.get_by_test_id("sales-rep")).to_have_count(2)
    page.goto("/distributors/?show=ours")
    expect(page.get_by_test_id("distributor-row")).to_have_count(1)
    expect(page.get_by_test_id("distributor-row")).to_contain_text("1 account")


def test_an_imported_account_is_verified_in_place(page_for, tenant):
    distributor = shared_distributor("Iowa Alcoholic Beverages Division", "IA-ABD")
    services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue, distributor=distributor,
                                      account_number="4617", sales_rep={"name": "Dana Reyes", "email": "dana@abd.test"})  # fmt: skip
    page = page_for(tenant.manager)

    page.goto("/distributors/")
    page.get_by_label("Search by name").fill("iowa alc")
    rows = page.get_by_test_id("distributor-row")
    expect(rows).to_have_count(1)
    expect(rows.get_by_test_id("verify-badge")).to_have_text("1 to verify")
    rows.get_by_role("link", name="Iowa Alcoholic Beverages Division").click()

    card = page.get_by_role("group", name=re.compile(r"#4617"))
    expect(card.get_by_test_id("account-status")).to_have_text("Imported — please verify")
    expect(card.get_by_test_id("sales-rep")).to_contain_text("Imported")
    screenshot(page, "distributor-page-imported")
    mark_page(page)

    card.get_by_role("button", name="Verify account #4617 of Copper Tap Group Bar").click()

    expect(card.get_by_test_id("account-status")).to_have_text("Verified")
    expect(card.get_by_role("button", name=re.compile("^Verify"))).to_have_count(0)
    expect(card.get_by_test_id("sales-rep")).not_to_contain_text("Imported")
    expect(page.locator("#messages")).to_contain_text("Account #4617 at Iowa Alcoholic Beverages Division verified.")
    assert still_the_same_page(page)
    assert DistributorAccount.objects.get(account_number="4617").verified_by == tenant.manager
    screenshot(page, "distributor-page-verified")
