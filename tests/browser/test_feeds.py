"""Supplier feeds in a real browser: add an HTTP feed, Pull now, and watch the pull and its
documents arrive on the page without reloading it (htmx polling while work is pending).

The worker's part (the pull, the processing) runs here in the test process, through the same
services the Celery tasks call; tests/test_feed_worker.py runs them in a real worker.
"""

import pytest
from playwright.sync_api import expect

from invoices.models import FeedDocument, SupplierFeed
from invoices.services.feeds import pull_feed
from invoices.services.pipeline import process_document
from invoices.tests.fake_distributor import make_invoice, set_up_product_connect
from invoices.transport import PullPolicy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_adds_a_feed_pulls_it_now_and_watches_its_invoice_arrive(page_for, tenant, distributor_server):
    setup = set_up_product_connect(tenant)
    distributor_server.add_page([make_invoice("B-1", account="1001", lines=2)])
    page = page_for(tenant.manager)
    page.goto("/invoices/")
    page.get_by_role("link", name="Supplier feeds").first.click()
    expect(page.get_by_test_id("empty")).to_contain_text("No feeds yet.")

    page.get_by_test_id("add-feed").click()
    page.get_by_label("Name").fill("Acme JSON")
    page.get_by_label("Distributor").select_option(label="Acme Wholesale")
    page.get_by_label("How documents arrive").select_option(label="HTTP(S) URL with a token")
    page.get_by_label("Format").select_option(label="JSON over HTTP")
    page.get_by_label("Feed address").fill(distributor_server.url)
    page.get_by_label("Token").fill("test-token")
    page.get_by_role("button", name="Add feed").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme JSON")
    expect(page.locator("#messages")).to_contain_text("Feed Acme JSON added.")
    expect(page.get_by_test_id("no-documents")).to_be_visible()
    page.evaluate("window.__noFullReload = true")

    page.get_by_test_id("pull-now").click()
    expect(page.get_by_test_id("pull-state")).to_have_text("Pull queued")
    expect(page.locator("#messages")).to_contain_text("Pull of Acme JSON queued")

    # A worker pulls the feed: the header stops polling and the documents reload.
    feed = SupplierFeed.objects.get(organization=tenant.organization)
    pull_feed(organization=tenant.organization, feed=feed, policy=PullPolicy(backoff=0.01))
    expect(page.get_by_test_id("pull-state")).to_have_count(0, timeout=10_000)
    expect(page.get_by_test_id("last-pulled")).to_be_visible()
    # ("Received", or already "Processed" should a test worker of this run have taken the queued pull.)
    expect(page.get_by_test_id("document-status")).to_have_count(1, timeout=10_000)

    # A worker processes the document: its row shows the outcome and the invoice.
    document = FeedDocument.objects.get(organization=tenant.organization)
    process_document(organization=tenant.organization, document_id=document.pk)  # idempotent
    expect(page.get_by_test_id("document-status")).to_have_text("Processed", timeout=10_000)
    expect(page.get_by_role("link", name="#B-1")).to_be_visible()
    assert page.evaluate("window.__noFullReload === true")  # all of it without a page load
    assert setup.distributor.name in page.content()
