"""Product Connect with the real parts: a Celery worker (and beat) in their own processes, the test
database, Redis, and a distributor's JSON feed on a real local HTTP server.

- A feed pointed at the distributor produces invoices for review (enqueue_due_feeds -> pull -> process).
- With beat running, a document that appears in a feed is in the inbox within a minute.
- A worker killed with -9 in the middle of a document, and a new one started: every invoice ends
  up exactly once with its lines exactly once, and no item is created twice.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter

import pytest

from invoices.models import FeedDocument, InvoiceLine, PartialInvoice, SupplierFeed
from invoices.services.feeds import create_feed
from invoices.services.pipeline import store_document
from invoices.tasks import enqueue_due_feeds, process_document_task, requeue_stale_documents
from invoices.tests.fake_distributor import PRODUCTS, make_invoice, set_up_product_connect
from items.models import Item

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, *, timeout: float, what: str, every: float = 0.2):
    """Poll another process's progress through the database (there is nothing to join on)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def http_feed(setup, server) -> SupplierFeed:
    return create_feed(actor=setup.tenant.admin, organization=setup.tenant.organization, distributor=setup.distributor,
                       name="Acme JSON", format="json", transport="http", url=server.url, token=server.token)  # fmt: skip


def test_a_feed_pointed_at_a_distributor_fills_the_inbox(celery_worker_process, tenant, distributor_server):
    setup = set_up_product_connect(tenant)
    org = tenant.organization
    distributor_server.add_page([make_invoice(f"W-{n}", account="1001", lines=3, first_product=n) for n in range(3)])
    distributor_server.add_page([make_invoice("W-3", account="1001", lines=2)])
    distributor_server.rate_limit_next("1")  # the distributor is busy at first
    feed = http_feed(setup, distributor_server)

    claimed = enqueue_due_feeds.delay().get(timeout=30)

    assert claimed == [[org.pk, feed.pk]]
    wait_until(lambda: FeedDocument.objects.filter(organization=org, status="processed").count() == 2, timeout=90,
               what="both pages to be processed")  # fmt: skip
    invoices = list(PartialInvoice.objects.filter(organization=org).order_by("invoice_number"))
    assert [i.invoice_number for i in invoices] == ["W-0", "W-1", "W-2", "W-3"]
    assert {(i.venue_id, i.status, i.distributor_id) for i in invoices} == {
        (tenant.venue.pk, PartialInvoice.Status.PENDING_REVIEW, setup.distributor.pk)}
    assert [i.lines.count() for i in invoices] == [3, 3, 3, 2]
    feed.refresh_from_db()
    assert (feed.cursor, feed.last_error) == ("c2", "") and feed.last_success_at is not None
    assert distributor_server.requests[0].answered == 429 and all(r.authorized for r in distributor_server.requests)
    # Claimed one schedule ahead: the next tick queues nothing.
    assert enqueue_due_feeds.delay().get(timeout=30) == []


def test_with_beat_running_a_new_document_reaches_the_inbox_within_a_minute(
    celery_worker_process, celery_beat_factory, tenant, distributor_server
):
    setup = set_up_product_connect(tenant)
    org = tenant.organization
    feed = http_feed(setup, distributor_server)  # the default schedule: every 30 s
    assert feed.schedule_seconds == 30
    celery_beat_factory()
    wait_until(lambda: SupplierFeed.objects.filter(pk=feed.pk, last_success_at__isnull=False).exists(), timeout=60,
               what="beat's first pull of the feed")  # fmt: skip

    # Just after a pull (the worst moment), the distributor publishes an invoice.
    appeared = time.monotonic()
    distributor_server.add_page([make_invoice("LATE-1", account="1001", lines=2)])
    wait_until(lambda: PartialInvoice.objects.filter(organization=org, invoice_number="LATE-1").exists(), timeout=75,
               what="the invoice in the inbox", every=0.5)  # fmt: skip
    latency = time.monotonic() - appeared

    assert latency < 60, f"the invoice took {latency:.0f} s to reach the inbox"


def big_document(*, invoices: int, lines: int) -> bytes:
    page = [make_invoice(f"K-{n:03d}", account="1001", lines=lines, first_product=n) for n in range(invoices)]
    return json.dumps({"invoices": page, "next_cursor": "c1"}).encode()


def test_a_worker_killed_mid_document_and_started_again_leaves_every_invoice_exactly_once(
    tenant, celery_worker_factory, tmp_path
):
    setup = set_up_product_connect(tenant)
    org = tenant.organization
    invoices, lines = 24, 5
    document = store_document(organization=org, content=big_document(invoices=invoices, lines=lines),
                              distributor=setup.distributor, filename="big.json", format="json").document  # fmt: skip
    # A worker of its own (its own queue), slowed down to 0.4 s per invoice (tests/celery_tasks.py).
    queue = f"kill9-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    progress = tmp_path / "progress.txt"
    first = celery_worker_factory(queue=queue, name="kill9-first", extra_env={
        "BACKSTOCK_TEST_SLOW_INVOICE_SECONDS": "0.4", "BACKSTOCK_TEST_PROGRESS_FILE": str(progress)})  # fmt: skip
    process_document_task.apply_async(args=[org.pk, document.pk], queue=queue)
    wait_until(lambda: progress.exists() and len(progress.read_text().split()) >= 8, timeout=60,
               what="the worker to be in the middle of the document")  # fmt: skip

    first.kill_hard()

    committed = PartialInvoice.objects.filter(organization=org, document=document).count()
    assert 0 < committed < invoices, "the kill should have landed in the middle of the document"
    document.refresh_from_db()
    assert document.status == FeedDocument.Status.RECEIVED

    # A new worker; the sweeper (beat runs it every minute for documents received > 2 min ago)
    # queues the interrupted document again.
    celery_worker_factory(queue=queue, name="kill9-second")
    swept = requeue_stale_documents.apply_async(kwargs={"older_than_seconds": 0}, queue=queue).get(timeout=30)
    assert swept["requeued"] == [[org.pk, document.pk]]
    wait_until(lambda: FeedDocument.objects.filter(pk=document.pk, status="processed").exists(), timeout=120,
               what="the document to be processed by the new worker")  # fmt: skip

    numbers = list(PartialInvoice.objects.filter(organization=org).values_list("invoice_number", flat=True))
    assert sorted(numbers) == [f"K-{n:03d}" for n in range(invoices)]  # each exactly once
    lines_seen = InvoiceLine.objects.filter(organization=org).values_list("invoice__invoice_number", "line_number")
    per_invoice = Counter(lines_seen)
    assert len(per_invoice) == invoices * lines and set(per_invoice.values()) == {1}  # each line exactly once
    # The products were created as new items once (a rolled-back invoice took its new items with it).
    assert Item.objects.filter(organization=org).count() == len(PRODUCTS)
    document.refresh_from_db()
    assert document.error == "" and document.attempts == 2
