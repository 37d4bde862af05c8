"""Distributors: a directory shared by every organization, the ones an organization adds
itself, each venue's account at a distributor, and the sales reps on those accounts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from venues.models import Organization, TenantModel, TenantQuerySet, Venue


class DistributorQuerySet(models.QuerySet):
    def for_org(self, organization):
        """The shared directory plus the organization's own distributors."""
        if organization is None:
            return self.none()
        return self.filter(Q(organization__isnull=True) | Q(organization=organization))


class Distributor(models.Model):
    """A wholesaler or supplier. `organization` is empty for the shared directory.

    Row-level security shows shared rows to everyone and an organization's own rows only
    to it (see inventory_site/rls.py).
    """

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Empty for the shared directory; set for a distributor an organization added itself.",
    )  # fmt: skip
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    code = models.CharField(max_length=40, blank=True, help_text="Short code used in feeds (e.g. a DUNS or EDI id).")
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    objects = DistributorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="distributor_slug_unique", nulls_distinct=False
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.organization_id is None


class DistributorAccount(TenantModel):
    """A venue's customer account at a distributor; feeds route invoices by its number."""

    class Status(models.TextChoices):
        VERIFIED = "verified", "Verified"
        IMPORTED = "imported", "Imported — please verify"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="distributor_accounts")
    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="accounts")
    account_number = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VERIFIED)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["distributor__name", "venue__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "distributor", "account_number"], name="account_number_unique_per_distributor"
            ),
        ]

    def __str__(self):
        return f"{self.distributor} #{self.account_number} ({self.venue})"


class SalesRep(TenantModel):
    """A distributor's salesperson on one account."""

    account = models.ForeignKey(DistributorAccount, on_delete=models.CASCADE, related_name="sales_reps")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=DistributorAccount.Status.choices, default=DistributorAccount.Status.VERIFIED)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
