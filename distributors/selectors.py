"""Read queries for distributors. Every function takes the organization it reads for.

An organization sees the shared directory plus its own distributors, and only its own
accounts and reps; counts over a shared distributor's accounts are filtered to the
organization here, not left to row-level security.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.shortcuts import get_object_or_404

from distributors.models import Distributor, DistributorAccount, SalesRep
from venues.models import Membership, Organization, Venue
from venues.selectors import accessible_venues

IMPORTED = DistributorAccount.Status.IMPORTED

# The accounts page's status filter: value -> (label, filter).
ACCOUNT_FILTERS = {
    "": ("All active accounts", Q(is_active=True)),
    "imported": ("Imported — please verify", Q(is_active=True, status=IMPORTED)),
    "verified": ("Verified", Q(is_active=True, status=DistributorAccount.Status.VERIFIED)),
    "inactive": ("Deactivated", Q(is_active=False)),
}


def list_distributors(*, organization: Organization, query: str = "", ours_only: bool = False) -> QuerySet[Distributor]:
    """Distributors the organization sees, with `account_count` (its active accounts there)
    and `to_verify` (of those, imported ones to verify). Ours (with accounts) first."""
    mine = Q(accounts__organization=organization, accounts__is_active=True)
    distributors = Distributor.objects.for_org(organization).annotate(
        account_count=Count("accounts", filter=mine),
        to_verify=Count("accounts", filter=mine & Q(accounts__status=IMPORTED)),
    )
    query = " ".join((query or "").split())
    if query:
        distributors = distributors.filter(Q(name__icontains=query) | Q(code__iexact=query))
    if ours_only:
        distributors = distributors.filter(account_count__gt=0)
    ours_first = Case(When(account_count__gt=0, then=Value(0)), default=Value(1))
    return distributors.order_by("-is_active", ours_first, "name")


def get_distributor(*, organization: Organization, pk: int) -> Distributor:
    """A distributor the organization sees (shared or its own); 404 for another's own."""
    return get_object_or_404(Distributor.objects.for_org(organization), pk=pk)


def get_own_distributor(*, organization: Organization, pk: int) -> Distributor:
    """One of the organization's own distributors (the editable kind); 404 otherwise."""
    return get_object_or_404(Distributor.objects.filter(organization=organization), pk=pk)


def _with_reps(accounts: QuerySet[DistributorAccount], organization) -> QuerySet[DistributorAccount]:
    reps = SalesRep.objects.for_org(organization).order_by("name", "pk")
    return accounts.select_related("venue", "distributor", "verified_by").prefetch_related(Prefetch("sales_reps", queryset=reps))


def list_accounts_at(*, organization: Organization, distributor: Distributor) -> QuerySet[DistributorAccount]:
    """The organization's accounts at one distributor, active first, with their reps."""
    accounts = DistributorAccount.objects.for_org(organization).filter(distributor=distributor)
    return _with_reps(accounts, organization).order_by("-is_active", "venue__name", "account_number")


def list_accounts(*, organization: Organization, status: str = "") -> QuerySet[DistributorAccount]:
    """Every account of the organization's venues, filtered by `ACCOUNT_FILTERS[status]`."""
    _label, condition = ACCOUNT_FILTERS.get(status, ACCOUNT_FILTERS[""])
    accounts = DistributorAccount.objects.for_org(organization).filter(condition)
    return _with_reps(accounts, organization).order_by("distributor__name", "venue__name", "account_number")


def get_account(*, organization: Organization, pk: int) -> DistributorAccount:
    return get_object_or_404(_with_reps(DistributorAccount.objects.for_org(organization), organization), pk=pk)


def get_sales_rep(*, organization: Organization, pk: int) -> SalesRep:
    return get_object_or_404(
        SalesRep.objects.for_org(organization).select_related("account__venue", "account__distributor"), pk=pk
    )


def count_accounts_to_verify(*, organization: Organization) -> int:
    return DistributorAccount.objects.for_org(organization).filter(is_active=True, status=IMPORTED).count()


def list_items_of(*, organization: Organization, distributor: Distributor) -> QuerySet:
    """The organization's items this distributor supplies: its preferred distributor, or one
    with a SKU of it. `sku` is the item's current SKU there (or the latest one seen).

    Items sit above distributors in the app graph, so the models are looked up, not imported.
    """
    if not apps.is_installed("items"):
        return DistributorAccount.objects.none()
    Item = apps.get_model("items", "Item")
    ItemIdentifier = apps.get_model("items", "ItemIdentifier")
    skus = ItemIdentifier.objects.for_org(organization).filter(
        item=OuterRef("pk"), kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=distributor
    )
    return (
        Item.objects.for_org(organization)
        .filter(archived=False)
        .annotate(sku=Subquery(skus.order_by("-is_current", "-last_seen", "-pk").values("value")[:1]))
        .filter(Q(preferred_distributor=distributor) | Exists(skus))
        .order_by("name", "size_ml", "pk")
    )


def list_venue_choices(*, membership: Membership, include: int | None = None) -> QuerySet[Venue]:
    """Venues a member may pick for an account: those they work in (and `include`, the
    account's current venue, so editing never drops it)."""
    venues = accessible_venues(membership=membership)
    if include is not None:
        venues = venues | Venue.objects.for_org(membership.organization).filter(pk=include)
    return venues.order_by("name")
