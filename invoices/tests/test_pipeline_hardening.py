"""What the pipeline does with what real feeds get wrong: values too big for their columns, two
copies of one invoice processed out of order, a document sent again with what it lacked, a
re-send after a reviewer corrected lines, and feed addresses on the server's own network."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices import transport
from invoices.models import FeedDocument
from invoices.services import set_line_item, update_line
from invoices.services.feeds import FeedFieldError, create_feed
from invoices.services.pipeline import process_document
from invoices.tests.test_pipeline import ACCOUNT, JACK, TITOS, csv_bytes, row, shop  # noqa: F401  (fixture)
from invoices.transport import FeedTransportError, PullPolicy, fetch
from items.services.catalog import create_item

pytestmark = pytest.mark.django_db


def test_a_value_too_big_for_its_column_fails_that_invoice_by_name_and_the_others_go_through(shop):
    long_sku = {**TITOS, "distributor_sku": "X" * 70}
    outcome = shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-2", 1, long_sku), row("INV-3", 1, JACK,
                                                                                            quantity="9" * 13)))
    statuses = {o.invoice_number: o.status for o in outcome.invoices}
    assert statuses == {"INV-1": "created", "INV-2": "failed", "INV-3": "failed"}
    assert outcome.document.status == FeedDocument.Status.PROCESSED
    assert "longer than 64 characters" in outcome.error and "quantity" in outcome.error and "too large" in outcome.error
    assert "row 3" in outcome.error  # the place: the CSV row of the bad line
    assert [i.invoice_number for i in shop.organization_invoices()] == ["INV-1"]


def test_an_older_copy_processed_after_a_newer_one_does_not_undo_it(shop):
    older = shop.store(csv_bytes(row("INV-1", 1, JACK)), filename="monday.csv")
    newer = shop.store(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, TITOS)), filename="tuesday.csv")
    shop.process(newer)
    outcome = shop.process(older)  # e.g. "Process again" on Monday's file
    assert [o.status for o in outcome.invoices] == ["ignored"]
    assert [line.distributor_sku for line in shop.lines("INV-1")] == ["SG-100", "SG-200"]
    assert any("older copy" in note for note in shop.invoice("INV-1").notes)


def test_a_document_that_failed_for_want_of_a_distributor_succeeds_when_sent_again_with_one(shop):
    content = csv_bytes(row("INV-7", 1, JACK))
    first = shop.ingest(content, distributor=None, venue=shop.venue)
    assert first.status == "failed" and "names no distributor" in first.error
    second = shop.ingest(content, venue=shop.venue)  # the same bytes, now naming the distributor
    assert second.document.pk == first.document.pk  # stored once
    assert second.status == "processed" and shop.invoice("INV-7").distributor == shop.distributor


def test_a_re_send_keeps_what_a_reviewer_corrected(shop):
    with shop.tenant_scope():
        chosen, _ = create_item(actor=None, organization=shop.organization, name="Titos Vodka Liter", size="1L")
    shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, TITOS, quantity=3)))
    jack_line, titos_line = shop.lines("INV-1")
    shop.act(update_line, line=jack_line, quantity="1", is_inventory=True)
    shop.act(set_line_item, line=titos_line, item=chosen)
    # The distributor re-sends the invoice with a third line; lines 1 and 2 are as before.
    outcome = shop.ingest(csv_bytes(row("INV-1", 1, JACK), row("INV-1", 2, TITOS, quantity=3),
                                    row("INV-1", 3, JACK, distributor_sku="SG-101")), filename="resend.csv")  # fmt: skip
    assert [o.status for o in outcome.invoices] == ["updated"]
    lines = shop.lines("INV-1")
    assert len(lines) == 3
    assert lines[0].quantity == Decimal(1) and lines[0].edited_by_reviewer  # the reviewer's count stays
    assert lines[1].item == chosen and lines[1].match == "manual" and lines[1].matched_by == shop.tenant.manager


def test_a_feed_address_on_the_servers_own_network_is_refused(shop, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    for url in ("http://127.0.0.1:8000/feed", "http://169.254.169.254/latest", "http://10.0.0.5", "http://[::1]/"):
        with pytest.raises(FeedFieldError, match="private or local network"):
            with shop.tenant_scope():
                create_feed(actor=shop.tenant.admin, organization=shop.organization, distributor=shop.distributor,
                            name="Internal", transport="http", url=url, token="t")  # fmt: skip
        with pytest.raises(FeedTransportError, match="private or local network"):
            fetch(f"{url.rstrip('/')}/invoices?since=", token="t", policy=PullPolicy(attempts=1), sleep=lambda s: None)
    transport.check_public_address("https://feeds.example.test/acme")  # unresolvable: left to the fetch
    transport.check_public_address("https://8.8.8.8/")  # a public address is fine


def test_a_connection_that_lands_on_a_private_address_is_refused_even_if_the_name_looked_public(settings):
    """DNS rebinding: the address checked before the fetch and the one connected to may differ;
    the connection itself is checked too."""
    import socket

    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        with pytest.raises(FeedTransportError, match=r"private or local network address \(127\.0\.0\.1\)"):
            transport._public_create_connection(listener.getsockname(), 2)
        settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True
        transport._public_create_connection(listener.getsockname(), 2).close()  # allowed when configured
    finally:
        listener.close()
