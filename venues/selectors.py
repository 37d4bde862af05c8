"""Read queries for the tenant area. Every function takes the organization it reads from."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from venues.models import AuditLogEntry, Invitation, Membership, Organization, StorageArea, Venue


def list_memberships_for_user(*, user) -> list[Membership]:
    """The user's memberships in every organization (RLS lets a user see their own)."""
    return list(
        # Venue limits are not prefetched: before an organization is chosen, row-level security
        # hides every venue. The middleware reads them inside the organization's scope.
        Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
    )  # fmt: skip


def accessible_venues(*, membership: Membership) -> QuerySet[Venue]:
    """Venues the member may work in: all active ones, or the ones the membership lists."""
    venues = Venue.objects.for_org(membership.organization).filter(is_active=True)
    limited = [v.pk for v in membership.venues.all()]
    if limited:
        venues = venues.filter(pk__in=limited)
    return venues.order_by("name")


def list_venues(*, organization: Organization) -> QuerySet[Venue]:
    primary = StorageArea.objects.filter(is_primary=True)
    return (
        Venue.objects.for_org(organization)
        .prefetch_related(Prefetch("storage_areas", queryset=StorageArea.objects.order_by("-is_primary", "name")))
        .prefetch_related(Prefetch("storage_areas", queryset=primary, to_attr="primary_areas"))
        .order_by("-is_active", "name")
    )


def get_venue(*, organization: Organization, pk: int) -> Venue:
    return get_object_or_404(Venue.objects.for_org(organization), pk=pk)


def get_venue_by_slug(*, organization: Organization, slug: str) -> Venue:
    return get_object_or_404(Venue.objects.for_org(organization), slug=slug)


def get_storage_area(*, organization: Organization, pk: int) -> StorageArea:
    return get_object_or_404(StorageArea.objects.for_org(organization).select_related("venue"), pk=pk)


def list_members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.for_org(organization).select_related("user").prefetch_related("venues")


def get_membership(*, organization: Organization, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.for_org(organization).select_related("user"), pk=pk)


def list_pending_invitations(*, organization: Organization) -> list[Invitation]:
    invitations = Invitation.objects.for_org(organization).filter(accepted_at=None, revoked_at=None)
    return [i for i in invitations.select_related("invited_by") if i.is_pending]


def get_invitation(*, organization: Organization, pk: int) -> Invitation:
    return get_object_or_404(Invitation.objects.for_org(organization), pk=pk)


def list_audit_log(*, organization: Organization, limit: int = 50) -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.for_org(organization).select_related("actor")[:limit]


def dashboard_figures(*, organization: Organization, venue: Venue | None) -> dict:
    """Headline numbers for the dashboard. Later areas add theirs here."""
    from django.apps import apps

    figures = {
        "storage_area_count": StorageArea.objects.for_org(organization).filter(is_active=True).count(),
        "member_count": Membership.objects.for_org(organization).count(),
        "product_connect_venues": Venue.objects.for_org(organization).filter(product_connect_enabled=True).count(),
    }
    if apps.is_installed("items"):
        Item = apps.get_model("items", "Item")
        figures["item_count"] = Item.objects.for_org(organization).filter(archived=False).count()
    if apps.is_installed("distributors"):
        DistributorAccount = apps.get_model("distributors", "DistributorAccount")
        figures["accounts_to_verify"] = (
            DistributorAccount.objects.for_org(organization)
            .filter(is_active=True, status=DistributorAccount.Status.IMPORTED)
            .count()
        )
    return figures


def list_storage_areas(*, organization: Organization, venue: Venue) -> QuerySet[StorageArea]:
    """A venue's storage areas, the primary first."""
    return StorageArea.objects.for_org(organization).filter(venue=venue).order_by("-is_primary", "name")


def list_all_audit_log(*, organization: Organization) -> QuerySet[AuditLogEntry]:
    """The whole audit log of an organization, newest first (paginate it)."""
    return AuditLogEntry.objects.for_org(organization).select_related("actor").order_by("-created_at", "-id")


def list_venue_choices(*, organization: Organization) -> QuerySet[Venue]:
    """The organization's venues for a choice list (no prefetching)."""
    return Venue.objects.for_org(organization).order_by("-is_active", "name")


NOTIFICATIONS_PAGE_SIZE = 50


def page_of_notifications(*, organization: Organization, user, page=None):
    """The user's notifications in the organization, newest first, NOTIFICATIONS_PAGE_SIZE a page."""
    from django.core.paginator import Paginator

    from venues.models import Notification

    notifications = Notification.objects.for_org(organization).filter(user=user).select_related("venue")
    notifications = notifications.order_by("-created_at", "-id")
    return Paginator(notifications, NOTIFICATIONS_PAGE_SIZE).get_page(page)
