"""Read queries of the feeds pages. Every function takes the organization it reads for."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from distributors.models import Distributor
from invoices.models import FeedDocument, PartialInvoice, SupplierFeed
from venues.models import Organization

DOCUMENT_STATUSES = [("", "All")] + list(FeedDocument.Status.choices)


def _with_counts(feeds: QuerySet[SupplierFeed]) -> QuerySet[SupplierFeed]:
    status = FeedDocument.Status
    return feeds.select_related("distributor").annotate(
        documents_received=Count("documents"),
        documents_processed=Count("documents", filter=Q(documents__status=status.PROCESSED)),
        documents_failed=Count("documents", filter=Q(documents__status=status.FAILED)),
        documents_skipped=Count("documents", filter=Q(documents__status=status.SKIPPED)),
        documents_waiting=Count("documents", filter=Q(documents__status=status.RECEIVED)),
    )


def list_feeds(*, organization: Organization) -> QuerySet[SupplierFeed]:
    """The organization's feeds with their document counts, by name."""
    return _with_counts(SupplierFeed.objects.for_org(organization)).order_by("name", "pk")


def get_feed(*, organization: Organization, pk: int) -> SupplierFeed:
    """One of the organization's feeds, with its document counts; 404 for anyone else's."""
    return get_object_or_404(_with_counts(SupplierFeed.objects.for_org(organization)), pk=pk)


def _invoices(organization: Organization) -> Prefetch:
    return Prefetch("invoices", queryset=PartialInvoice.objects.for_org(organization).select_related("venue")
                    .order_by("invoice_number"))  # fmt: skip


def list_feed_documents(*, organization: Organization, feed: SupplierFeed, status: str = "") -> QuerySet[FeedDocument]:
    """A feed's documents, newest first, with the invoices each produced (content not loaded)."""
    documents = FeedDocument.objects.for_org(organization).filter(feed=feed).defer("content")
    if status in FeedDocument.Status.values:
        documents = documents.filter(status=status)
    return documents.prefetch_related(_invoices(organization)).order_by("-received_at", "-pk")


def get_document(*, organization: Organization, pk: int) -> FeedDocument:
    """One of the organization's documents with its feed, distributor and invoices; 404 otherwise."""
    documents = FeedDocument.objects.for_org(organization).select_related("feed", "distributor", "route_to_venue")
    return get_object_or_404(documents.prefetch_related(_invoices(organization)), pk=pk)


def distributor_choices(*, organization: Organization, include: Distributor | None = None) -> QuerySet[Distributor]:
    """Distributors a feed may name: the shared directory and the organization's own, active ones
    (and the feed's current one, should it have been retired since)."""
    condition = Q(is_active=True)
    if include is not None:
        condition |= Q(pk=include.pk)
    return Distributor.objects.for_org(organization).filter(condition).order_by("name")
