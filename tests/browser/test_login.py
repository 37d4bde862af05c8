"""Signing in and out in a real browser."""

import pytest
from playwright.sync_api import expect

from venues.tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signing_in_shows_the_dashboard_with_the_active_organization(page_for, tenant):
    page = page_for(None)
    page.goto("/")
    page.get_by_label("Email").fill(tenant.manager.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Copper Tap Group")
    expect(page.get_by_test_id("active-organization")).to_have_text("Copper Tap Group")


def test_a_wrong_password_says_so_clearly_and_stays_on_the_sign_in_page(page_for, tenant):
    page = page_for(None)
    page.goto("/login/")
    page.get_by_label("Email").fill(tenant.manager.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("do not match")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Backstock")
