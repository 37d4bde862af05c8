"""The scheduler's side of Product Connect: which feeds are due, claimed once however many
schedulers ask, and documents whose processing message was lost. The tasks themselves run in a
real worker in tests/test_feed_worker.py."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from distributors.services import create_distributor
from invoices.models import FeedDocument, SupplierFeed
from invoices.services.feeds import MAX_PROCESSING_ATTEMPTS, claim_due_feeds, create_feed, requeue_stale_documents
from invoices.services.pipeline import store_document
from invoices.tests.fake_distributor import set_up_product_connect
from inventory_site.tenancy import rls_bypass


def add_feed(setup, name, **fields) -> SupplierFeed:
    values = {"transport": "http", "url": "https://feeds.example.test/acme", "token": "t", **fields}
    return create_feed(actor=setup.tenant.admin, organization=setup.tenant.organization, distributor=setup.distributor,
                       name=name, **values)  # fmt: skip


@pytest.mark.django_db
def test_due_feeds_are_claimed_once_and_scheduled_one_period_ahead(product_connect, other_tenant):
    http = add_feed(product_connect, "HTTP", schedule_seconds=30)
    folder = add_feed(product_connect, "Folder", transport="folder", folder="acme")
    add_feed(product_connect, "Disabled", enabled=False)
    add_feed(product_connect, "Uploads", transport="upload")
    later = add_feed(product_connect, "Not due")
    SupplierFeed.objects.filter(pk=later.pk).update(next_pull_at=timezone.now() + timedelta(seconds=20))
    # Another organization without Product Connect anywhere: its feed is not pulled.
    b_distributor = create_distributor(actor=other_tenant.admin, organization=other_tenant.organization, name="B Wine")
    create_feed(actor=other_tenant.admin, organization=other_tenant.organization, distributor=b_distributor,
                name="B feed", transport="http", url="https://feeds.example.test/b")  # fmt: skip
    now = timezone.now()

    claimed = claim_due_feeds(now=now)

    org = product_connect.tenant.organization.pk
    assert claimed == [(org, http.pk), (org, folder.pk)]
    http.refresh_from_db()
    assert http.next_pull_at == now + timedelta(seconds=30)
    assert claim_due_feeds(now=now) == []  # the next scheduler tick finds nothing due
    assert claim_due_feeds(now=now + timedelta(seconds=21)) == [(org, later.pk)]
    assert claim_due_feeds(now=now + timedelta(seconds=31)) == [(org, http.pk), (org, folder.pk)]


@pytest.mark.django_db
def test_turning_product_connect_off_stops_the_pulls(product_connect):
    from venues.services import set_product_connect

    add_feed(product_connect, "HTTP")
    tenant = product_connect.tenant
    set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, enabled=False)

    assert claim_due_feeds() == []


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_moment_claim_each_feed_once(tenant):
    setup = set_up_product_connect(tenant)
    feeds = [add_feed(setup, f"Feed {n}").pk for n in range(20)]
    now = timezone.now()
    claims: list[list] = []
    start = threading.Barrier(4)

    def scheduler():
        try:
            with rls_bypass("test: a scheduler"):
                start.wait()
                claims.append(claim_due_feeds(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    claimed = [feed_id for claim in claims for _, feed_id in claim]
    assert len(claims) == 4
    assert sorted(claimed) == sorted(feeds)  # every feed once, none twice


@pytest.mark.django_db
def test_documents_whose_processing_message_was_lost_are_queued_again_once(product_connect):
    org = product_connect.tenant.organization
    lost = store_document(organization=org, content=b"lost", filename="lost.csv").document
    fresh = store_document(organization=org, content=b"fresh", filename="fresh.csv").document
    done = store_document(organization=org, content=b"done", filename="done.csv").document
    crashing = store_document(organization=org, content=b"crashes the worker", filename="big.csv").document
    three_minutes_ago = timezone.now() - timedelta(minutes=3)
    FeedDocument.objects.filter(pk__in=[lost.pk, done.pk, crashing.pk]).update(received_at=three_minutes_ago)
    FeedDocument.objects.filter(pk=done.pk).update(status=FeedDocument.Status.PROCESSED)
    FeedDocument.objects.filter(pk=crashing.pk).update(attempts=MAX_PROCESSING_ATTEMPTS)

    found = requeue_stale_documents()

    assert found == {"requeued": [(org.pk, lost.pk)], "given_up": [(org.pk, crashing.pk)]}
    assert requeue_stale_documents()["requeued"] == []  # not again while that message may be on its way
    crashing.refresh_from_db()
    assert crashing.status == FeedDocument.Status.FAILED
    assert crashing.error.startswith(f"processing was interrupted {MAX_PROCESSING_ATTEMPTS} times")
    fresh.refresh_from_db()
    assert fresh.status == FeedDocument.Status.RECEIVED
