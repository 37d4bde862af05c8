"""Celery tasks of Product Connect: thin wrappers around invoices.services.feeds and the pipeline.

    beat (every 5 s) -> enqueue_due_feeds -> pull_feed_task (one per due feed)
                                                -> process_document_task (one per stored document)
    beat (every 60 s) -> requeue_stale_documents (documents whose message was lost)

Every task is safe to run twice (acks_late redelivers a task whose worker died): a pull stores
each document once by checksum and moves the cursor only after the page is stored; processing
a document again never duplicates an invoice or a line.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from inventory_site.tasks import TenantTask

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, system_task=True, name="invoices.tasks.enqueue_due_feeds")
def enqueue_due_feeds() -> list[list[int]]:
    """Claim every due feed across organizations (an atomic UPDATE … RETURNING, so two beats
    never queue one feed twice) and queue its pull. Returns [[organization_id, feed_id], …]."""
    from invoices.services.feeds import claim_due_feeds

    claimed = claim_due_feeds()
    for organization_id, feed_id in claimed:
        pull_feed_task.delay(organization_id, feed_id)
    return [list(row) for row in claimed]


@shared_task(base=TenantTask, system_task=True, name="invoices.tasks.requeue_stale_documents")
def requeue_stale_documents(older_than_seconds: float | None = None) -> dict:
    """Queue again the documents stored but never processed (their message was lost)."""
    from invoices.services import feeds

    seconds = feeds.STALE_DOCUMENT_SECONDS if older_than_seconds is None else older_than_seconds
    found = feeds.requeue_stale_documents(older_than_seconds=seconds)
    for organization_id, document_id in found["requeued"]:
        process_document_task.delay(organization_id, document_id)
    return {"requeued": [list(row) for row in found["requeued"]], "given_up": [list(row) for row in found["given_up"]]}


@shared_task(base=TenantTask, acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=2,
             retry_backoff_max=120, retry_jitter=True, max_retries=5, name="invoices.tasks.pull_feed_task")  # fmt: skip
def pull_feed_task(organization_id: int, feed_id: int) -> dict:
    """Pull one feed, record how it went on the feed and queue each stored document."""
    from invoices.models import SupplierFeed
    from invoices.services.feeds import enqueue_processing, pull_feed
    from venues.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    feed = SupplierFeed.objects.for_org(organization).filter(pk=feed_id).first()
    if feed is None:  # deleted since it was queued
        return {"status": "gone"}
    result = pull_feed(organization=organization, feed=feed)
    if result is None:
        return {"status": "busy"}  # another pull of this feed is running; it gets the same documents
    enqueue_processing(organization_id, [document.pk for document in result.documents])
    return {"status": "failed" if result.error else "ok", "stored": result.stored, "duplicates": result.duplicates,
            "queued": len(result.documents), "error": result.error}  # fmt: skip


@shared_task(base=TenantTask, acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=2,
             retry_backoff_max=120, retry_jitter=True, max_retries=5,
             name="invoices.tasks.process_document_task")  # fmt: skip
def process_document_task(organization_id: int, document_id: int) -> dict:
    """Parse, route, match and upsert one stored document. A database error retries with
    backoff; bad content ends the document `failed` with a readable error (no retry)."""
    from invoices.models import FeedDocument
    from invoices.services.pipeline import process_document
    from venues.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    status = FeedDocument.objects.for_org(organization).filter(pk=document_id).values_list("status", flat=True).first()
    if status is None:
        return {"status": "gone"}
    if status in (FeedDocument.Status.PROCESSED, FeedDocument.Status.SKIPPED):
        return {"status": status}  # a duplicate message (the sweeper, a redelivery): it was done meanwhile
    outcome = process_document(organization=organization, document_id=document_id)
    counts: dict[str, int] = {}
    for invoice in outcome.invoices:
        counts[invoice.status] = counts.get(invoice.status, 0) + 1
    return {"status": outcome.status, "error": outcome.error[:500], "invoices": counts}
