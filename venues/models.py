"""The tenant: organizations, their venues and storage areas, users, memberships, audit log."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.timezone import now as timezone_now

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("DC", "District of Columbia"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"),
    ("ME", "Maine"), ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"),
    ("PA", "Pennsylvania"), ("PR", "Puerto Rico"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"),
    ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip
US_STATE_CODES = {code for code, _ in US_STATES}

# Non-US countries a venue may be in (ISO 3166-1 alpha-2). Product Connect is US-only.
COUNTRIES = [
    ("US", "United States"), ("CA", "Canada"), ("MX", "Mexico"), ("GB", "United Kingdom"),
    ("IE", "Ireland"), ("FR", "France"), ("DE", "Germany"), ("ES", "Spain"), ("IT", "Italy"),
    ("AU", "Australia"), ("NZ", "New Zealand"), ("JP", "Japan"),
]  # fmt: skip

TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
US_TIMEZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Detroit",
    "America/Indiana/Indianapolis", "America/Boise",
]  # fmt: skip


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who signs in with an email address. Belongs to organizations via Membership."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Organization(models.Model):
    """The tenant. Every tenant-owned row points at one."""

    class BackOrderAccess(models.TextChoices):
        NONE = "none", "None"
        ADMIN_ONLY = "admin", "Admin only"
        ALL_USERS = "all", "All users"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    backorder_access = models.CharField(
        max_length=10, choices=BackOrderAccess.choices, default=BackOrderAccess.ADMIN_ONLY
    )
    next_backorder_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone_now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization):
        """The only way views reach tenant rows: scoped to one organization."""
        if organization is None:
            return self.none()
        return self.filter(organization=organization)


class TenantModel(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Venue(TenantModel):
    """A location that keeps stock: a bar, a restaurant, a bottle shop."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        "US state", max_length=2, blank=True, choices=US_STATES, help_text="Blank for a venue outside the US."
    )
    postal_code = models.CharField("ZIP / postal code", max_length=20, blank=True)
    country = models.CharField(max_length=2, choices=COUNTRIES, default="US")
    timezone = models.CharField(max_length=64, default="America/New_York")
    product_connect_enabled = models.BooleanField(
        "Product Connect",
        default=False,
        help_text="Supplier invoice feeds create partial invoices for this venue.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone_now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="venue_slug_unique_per_org"),
            models.CheckConstraint(
                condition=Q(country="US", state__gt="") | (~Q(country="US") & Q(state="")),
                name="venue_us_needs_state",
            ),
            models.CheckConstraint(
                condition=Q(country="US") | Q(product_connect_enabled=False),
                name="venue_product_connect_us_only",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_in_us(self) -> bool:
        return self.country == "US"

    @property
    def product_connect_unavailable_reason(self) -> str:
        if not self.is_in_us:
            return "Product Connect is only available for venues in the United States."
        return ""

    @property
    def location_label(self) -> str:
        if self.is_in_us:
            return ", ".join(part for part in [self.city, self.state] if part)
        return ", ".join(part for part in [self.city, self.get_country_display()] if part)


class StorageArea(TenantModel):
    """Where stock sits inside a venue (bar, cellar, walk-in). One per venue is primary."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="storage_areas")
    name = models.CharField(max_length=100)
    is_primary = models.BooleanField(
        default=False, help_text="Invoices are received and back orders are filled here."
    )
    # Stock held back (damaged, recalled, awaiting credit): not available to sell or count.
    is_quarantine = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="storage_area_name_unique_per_venue"),
            models.UniqueConstraint(
                fields=["venue"], condition=Q(is_primary=True), name="one_primary_storage_area_per_venue"
            ),
        ]

    def __str__(self):
        return f"{self.venue.name} — {self.name}" if self.venue_id else self.name


class Membership(TenantModel):
    """A user's role in one organization, optionally limited to some venues."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MANAGER = "manager", "Manager"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    venues = models.ManyToManyField(
        Venue, blank=True, related_name="limited_memberships", help_text="Empty means every venue."
    )
    created_at = models.DateTimeField(default=timezone_now)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_user_and_org"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} at {self.organization}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_manager_or_admin(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.MANAGER)


class Invitation(TenantModel):
    """An email invitation to join an organization with a role. The token is stored hashed."""

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    venues = models.ManyToManyField(Venue, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone_now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone_now()


class AuditLogEntry(TenantModel):
    """Who did what, when. Written by services in the same transaction as the change."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone_now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log entries"

    def __str__(self):
        return self.summary


class Notification(TenantModel):
    """An in-app message for one user (e.g. "3 new invoices from Southern Glazer's to review").

    Written by services with `venues.services.notify_venue_users`, which also sends the email.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60, db_index=True)
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone_now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.message
