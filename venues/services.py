"""Every change to organizations, venues, storage areas, members and invitations.

Each function is one business action in one transaction, takes keyword-only arguments
with the acting user and the organization, writes its audit entry in the same
transaction, and raises a `VenuesError` (shown to the user) when a rule says no.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from inventory_site.errors import BackstockError
from inventory_site.errors import PermissionDenied as BackstockPermissionDenied
from inventory_site.tenancy import rls_bypass, tenant_context
from venues.models import (
    US_STATE_CODES,
    AuditLogEntry,
    Invitation,
    Membership,
    Notification,
    Organization,
    StorageArea,
    User,
    Venue,
)

INVITATION_LIFETIME = timedelta(days=7)

# Venue fields an admin may edit, in the order the audit summary names them.
VENUE_EDITABLE_FIELDS = (
    "name", "address_line1", "address_line2", "city", "state", "postal_code", "country", "timezone",
    "product_connect_enabled",
)  # fmt: skip


class VenuesError(BackstockError):
    pass


class LastAdminError(VenuesError):
    pass


# --- helpers --------------------------------------------------------------------------------


def record_audit(
    *, organization: Organization, actor, action: str, obj=None, summary: str, changes: dict | None = None
) -> AuditLogEntry:
    """Write one audit entry; call inside the service's transaction."""
    return AuditLogEntry.objects.create(
        organization=organization,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        summary=summary[:300],
        changes=changes or {},
    )


def notify_venue_users(*, organization: Organization, venue: Venue | None, kind: str, message: str, url: str = "",
                       email_subject: str = "", email_body: str = "", roles: tuple[str, ...] | None = None) -> int:  # fmt: skip
    """Tell every member who works at `venue` (all members when None), in the app and by email.

    Members limited to other venues are left out; `roles` narrows it further (unrouted
    invoices go to admins only). The emails go out after the caller's transaction commits, so
    a rolled-back change never mails anyone. Returns the number of people notified.
    """
    memberships = Membership.objects.for_org(organization).select_related("user").filter(user__is_active=True)
    if roles:
        memberships = memberships.filter(role__in=roles)
    if venue is not None:
        limited = set(
            Membership.venues.through.objects.filter(membership__organization=organization).values_list(
                "membership_id", "venue_id"
            )
        )
        limited_ids = {m for m, _ in limited}
        allowed = {m for m, v in limited if v == venue.pk}
        memberships = [m for m in memberships if m.pk not in limited_ids or m.pk in allowed]
    users = [m.user for m in memberships]
    Notification.objects.bulk_create(
        Notification(organization=organization, user=user, venue=venue, kind=kind, message=message[:300], url=url)
        for user in users
    )
    recipients = [u.email for u in users if u.email]
    if recipients and email_subject:
        body = email_body or message
        if url:
            body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{url}" if getattr(settings, "SITE_URL", "") else body

        def send():
            for address in recipients:  # one message each: members never see each other's addresses
                send_mail(email_subject, body, None, [address], fail_silently=True)

        transaction.on_commit(send)
    return len(users)


@transaction.atomic
def mark_notifications_read(*, actor, organization: Organization, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them when `ids` is None)."""
    unread = Notification.objects.for_org(organization).filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def require_role(*, actor, organization: Organization, roles: tuple[str, ...]) -> Membership | None:
    """Raise unless the actor holds one of `roles` in the organization. None = system actor."""
    if actor is None:
        return None
    membership = Membership.objects.for_org(organization).filter(user=actor).first()
    if membership is None or membership.role not in roles:
        raise BackstockPermissionDenied("You do not have permission to do that in this organization.")
    return membership


def _require_admin(actor, organization):
    return require_role(actor=actor, organization=organization, roles=(Membership.Role.ADMIN,))


def _unique_slug(queryset, base: str, *, max_length: int = 80, exclude_pk=None) -> str:
    root = (slugify(base) or "item")[: max_length - 6]
    slug, n = root, 2
    taken = queryset.exclude(pk=exclude_pk) if exclude_pk else queryset
    while taken.filter(slug=slug).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


def _validate_location(*, country: str, state: str) -> None:
    if country == "US":
        if state not in US_STATE_CODES:
            raise VenuesError(f"'{state or '(blank)'}' is not a US state code; choose the venue's state.")
    elif state:
        raise VenuesError("Leave the US state blank for a venue outside the United States.")


# --- organizations and venues -----------------------------------------------------------------


@transaction.atomic
def create_organization(
    *,
    name: str,
    venue_name: str,
    state: str,
    admin_email: str,
    admin_password: str | None = None,
    country: str = "US",
    timezone_name: str = "America/New_York",
) -> tuple[Organization, Venue, User, str | None]:
    """Create an organization, its first venue with a primary storage area, and an admin.

    Returns (organization, venue, admin, generated_password). The password is generated
    (and returned) only when the admin is a new user and none was given. A system action
    (signup, operators), so it runs with an explicit RLS bypass.
    """
    if not name.strip():
        raise VenuesError("The organization needs a name.")
    state = (state or "").upper()
    _validate_location(country=country, state=state)
    with rls_bypass("create_organization: the tenant does not exist yet"):
        organization = Organization.objects.create(
            name=name.strip(), slug=_unique_slug(Organization.objects.all(), name)
        )
        generated = None
        email = admin_email.strip().lower()
        admin = User.objects.filter(email__iexact=email).first()
        if admin is None:
            if not admin_password:
                admin_password = generated = secrets.token_urlsafe(12)
            admin = User.objects.create_user(email=email, password=admin_password)
        elif admin_password:
            admin.set_password(admin_password)
            admin.save(update_fields=["password"])
    with tenant_context(organization_id=organization.pk):
        Membership.objects.create(organization=organization, user=admin, role=Membership.Role.ADMIN)
        venue = _create_venue(
            organization=organization,
            name=venue_name,
            state=state,
            country=country,
            timezone_name=timezone_name,
        )
        record_audit(
            organization=organization,
            actor=None,
            action="organization.created",
            obj=organization,
            summary=f"Organization {organization.name} created with venue {venue.name}; admin {admin.email}",
        )
    return organization, venue, admin, generated


def _create_venue(*, organization, name, state, country="US", timezone_name="America/New_York", **fields) -> Venue:
    if not name.strip():
        raise VenuesError("The venue needs a name.")
    venue = Venue.objects.create(
        organization=organization,
        name=name.strip(),
        slug=_unique_slug(Venue.objects.for_org(organization), name),
        state=state,
        country=country,
        timezone=timezone_name,
        **fields,
    )
    StorageArea.objects.create(organization=organization, venue=venue, name="Main storage", is_primary=True)
    return venue


@transaction.atomic
def create_venue(*, actor, organization: Organization, name: str, state: str = "", country: str = "US",
                 timezone_name: str = "America/New_York", **fields) -> Venue:  # fmt: skip
    """Add a venue with a primary storage area. Product Connect starts off."""
    _require_admin(actor, organization)
    state = (state or "").upper()
    _validate_location(country=country, state=state)
    if fields.get("product_connect_enabled") and country != "US":
        raise VenuesError("Product Connect is only available for venues in the United States.")
    venue = _create_venue(
        organization=organization, name=name, state=state, country=country, timezone_name=timezone_name, **fields
    )
    record_audit(organization=organization, actor=actor, action="venue.created", obj=venue,
                 summary=f"Venue {venue.name} added")  # fmt: skip
    return venue


@transaction.atomic
def update_venue(*, actor, organization: Organization, venue: Venue, **changes) -> Venue:
    """Change a venue's details and Product Connect toggle; audits each changed field.

    Product Connect cannot be on for a venue outside the United States.
    """
    _require_admin(actor, organization)
    venue = Venue.objects.for_org(organization).select_for_update().get(pk=venue.pk)
    unknown = set(changes) - set(VENUE_EDITABLE_FIELDS)
    if unknown:
        raise VenuesError(f"Cannot change {', '.join(sorted(unknown))} here.")
    before = {field: getattr(venue, field) for field in changes}
    for field, value in changes.items():
        setattr(venue, field, value.strip() if isinstance(value, str) and field != "state" else value)
    venue.state = (venue.state or "").upper()
    _validate_location(country=venue.country, state=venue.state)
    if venue.product_connect_enabled and not venue.is_in_us:
        raise VenuesError(venue.product_connect_unavailable_reason)
    if not venue.name:
        raise VenuesError("The venue needs a name.")
    changed = {f: [before[f], getattr(venue, f)] for f in changes if before[f] != getattr(venue, f)}
    if not changed:
        return venue
    venue.save(update_fields=list(changed))
    toggled = changed.pop("product_connect_enabled", None)
    if toggled is not None:
        state = "on" if venue.product_connect_enabled else "off"
        record_audit(
            organization=organization, actor=actor, obj=venue,
            action=f"venue.product_connect_{'enabled' if venue.product_connect_enabled else 'disabled'}",
            summary=f"Product Connect turned {state} for {venue.name}",
            changes={"product_connect_enabled": toggled},
        )  # fmt: skip
    if changed:
        record_audit(
            organization=organization, actor=actor, obj=venue, action="venue.updated",
            summary=f"Venue {venue.name} updated: {', '.join(Venue._meta.get_field(f).verbose_name for f in changed)}",
            changes={f: [str(a), str(b)] for f, (a, b) in changed.items()},
        )  # fmt: skip
    return venue


def set_product_connect(*, actor, organization: Organization, venue: Venue, enabled: bool) -> Venue:
    return update_venue(actor=actor, organization=organization, venue=venue, product_connect_enabled=enabled)


# --- storage areas --------------------------------------------------------------------------


@transaction.atomic
def create_storage_area(*, actor, organization: Organization, venue: Venue, name: str) -> StorageArea:
    require_role(actor=actor, organization=organization, roles=(Membership.Role.ADMIN, Membership.Role.MANAGER))
    name = name.strip()
    if not name:
        raise VenuesError("The storage area needs a name.")
    if StorageArea.objects.for_org(organization).filter(venue=venue, name__iexact=name).exists():
        raise VenuesError(f"{venue.name} already has a storage area named {name}.")
    area = StorageArea.objects.create(organization=organization, venue=venue, name=name, is_primary=False)
    record_audit(organization=organization, actor=actor, action="storage_area.created", obj=area,
                 summary=f"Storage area {name} added to {venue.name}")  # fmt: skip
    return area


@transaction.atomic
def rename_storage_area(*, actor, organization: Organization, area: StorageArea, name: str) -> StorageArea:
    require_role(actor=actor, organization=organization, roles=(Membership.Role.ADMIN, Membership.Role.MANAGER))
    name = name.strip()
    if not name:
        raise VenuesError("The storage area needs a name.")
    clash = StorageArea.objects.for_org(organization).filter(venue=area.venue_id, name__iexact=name)
    if clash.exclude(pk=area.pk).exists():
        raise VenuesError(f"{area.venue.name} already has a storage area named {name}.")
    old = area.name
    area.name = name
    area.save(update_fields=["name"])
    record_audit(organization=organization, actor=actor, action="storage_area.renamed", obj=area,
                 summary=f"Storage area {old} renamed to {name}", changes={"name": [old, name]})  # fmt: skip
    return area


@transaction.atomic
def set_primary_storage_area(*, actor, organization: Organization, area: StorageArea) -> StorageArea:
    """Make `area` its venue's primary storage area (exactly one per venue)."""
    _require_admin(actor, organization)
    siblings = StorageArea.objects.for_org(organization).select_for_update().filter(venue=area.venue_id)
    siblings.exclude(pk=area.pk).filter(is_primary=True).update(is_primary=False)
    siblings.filter(pk=area.pk).update(is_primary=True, is_active=True)
    area.refresh_from_db()
    record_audit(organization=organization, actor=actor, action="storage_area.primary_changed", obj=area,
                 summary=f"{area.name} is now the primary storage area of {area.venue.name}")  # fmt: skip
    return area


# --- members and invitations ----------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite_user(
    *, actor, organization: Organization, email: str, role: str, venues=(), accept_url_builder
) -> tuple[Invitation, str]:
    """Invite someone by email. Returns the invitation and its one-time token.

    `accept_url_builder(token)` makes the absolute link put in the email (the view knows
    the host). The email is sent after the transaction commits.
    """
    _require_admin(actor, organization)
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise VenuesError("Enter the email address of the person to invite.")
    if role not in Membership.Role.values:
        raise VenuesError(f"'{role}' is not a role; choose admin, manager or staff.")
    if Membership.objects.for_org(organization).filter(user__email__iexact=email).exists():
        raise VenuesError(f"{email} is already a member of {organization.name}.")
    # A new invitation replaces any earlier one for the same address.
    Invitation.objects.for_org(organization).filter(email__iexact=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=_hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    if venues:
        invitation.venues.set(venues)
    record_audit(organization=organization, actor=actor, action="member.invited", obj=invitation,
                 summary=f"{email} invited as {Membership.Role(role).label}")  # fmt: skip
    link = accept_url_builder(token)
    inviter = actor.display_name if actor else "Backstock"
    body = render_to_string(
        "venues/email/invitation.txt",
        {"organization": organization, "inviter": inviter, "role": Membership.Role(role).label, "link": link,
         "expires_at": invitation.expires_at},
    )  # fmt: skip
    transaction.on_commit(
        lambda: send_mail(
            f"{inviter} invited you to {organization.name} on Backstock",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """The pending invitation for a token, from any organization (the invitee has none yet)."""
    with rls_bypass("find_invitation: the invitee is not a member yet"):
        invitation = (
            Invitation.objects.select_related("organization").filter(token_hash=_hash_token(token or "")).first()
        )
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user: User | None = None, password: str | None = None,
                      first_name: str = "", last_name: str = "") -> Membership:  # fmt: skip
    """Turn an invitation into a membership, creating the user account if needed."""
    invitation = find_invitation(token)
    if invitation is None:
        raise VenuesError("This invitation link is invalid, was already used, or has expired. Ask for a new one.")
    organization = invitation.organization
    with rls_bypass("accept_invitation: the invitee is not a member yet"):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise VenuesError("This invitation was already used.")
        if user is None:
            user = User.objects.filter(email__iexact=invitation.email).first()
            if user is None:
                if not password:
                    raise VenuesError("Choose a password for your new account.")
                user = User.objects.create_user(
                    email=invitation.email, password=password, first_name=first_name, last_name=last_name
                )
        elif user.email.lower() != invitation.email.lower():
            raise VenuesError(f"This invitation is for {invitation.email}; sign in with that address to accept it.")
        venue_ids = list(invitation.venues.values_list("pk", flat=True))
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    with tenant_context(organization_id=organization.pk, user_id=user.pk):
        try:
            with transaction.atomic():
                membership = Membership.objects.create(organization=organization, user=user, role=invitation.role)
        except IntegrityError:
            raise VenuesError(f"You are already a member of {organization.name}.") from None
        if venue_ids:
            membership.venues.set(venue_ids)
        record_audit(organization=organization, actor=user, action="member.joined", obj=membership,
                     summary=f"{user.email} joined as {membership.get_role_display()}")  # fmt: skip
    return membership


@transaction.atomic
def revoke_invitation(*, actor, organization: Organization, invitation: Invitation) -> Invitation:
    _require_admin(actor, organization)
    if not invitation.is_pending:
        raise VenuesError(f"The invitation for {invitation.email} was already used, revoked or has expired.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_audit(organization=organization, actor=actor, action="member.invitation_revoked", obj=invitation,
                 summary=f"Invitation for {invitation.email} revoked")  # fmt: skip
    return invitation


def _admins_left_after(organization, *, excluding: Membership) -> int:
    return (
        Membership.objects.for_org(organization).filter(role=Membership.Role.ADMIN).exclude(pk=excluding.pk).count()
    )


@transaction.atomic
def change_member_role(*, actor, organization: Organization, membership: Membership, role: str,
                       venues=None) -> Membership:  # fmt: skip
    """Change a member's role (and optionally limit them to some venues). Audited."""
    _require_admin(actor, organization)
    if role not in Membership.Role.values:
        raise VenuesError(f"'{role}' is not a role; choose admin, manager or staff.")
    membership = Membership.objects.for_org(organization).select_for_update().get(pk=membership.pk)
    old_role = membership.role
    if old_role == Membership.Role.ADMIN and role != old_role and not _admins_left_after(organization, excluding=membership):
        raise LastAdminError(f"{membership.user.email} is the last admin; make someone else admin first.")
    changes = {}
    if role != old_role:
        membership.role = role
        membership.save(update_fields=["role"])
        changes["role"] = [old_role, role]
    if venues is not None:
        old = sorted(v.pk for v in membership.venues.all())
        new = sorted(v.pk for v in venues)
        if old != new:
            membership.venues.set(venues)
            changes["venues"] = [old, new]
    if changes:
        record_audit(
            organization=organization, actor=actor, obj=membership, action="member.role_changed",
            summary=f"{membership.user.email}: {Membership.Role(old_role).label} → {membership.get_role_display()}"
            if "role" in changes else f"{membership.user.email}: venues changed",
            changes=changes,
        )  # fmt: skip
    return membership


@transaction.atomic
def remove_member(*, actor, organization: Organization, membership: Membership) -> None:
    _require_admin(actor, organization)
    if membership.role == Membership.Role.ADMIN and not _admins_left_after(organization, excluding=membership):
        raise LastAdminError(f"{membership.user.email} is the last admin and cannot be removed.")
    email = membership.user.email
    record_audit(organization=organization, actor=actor, obj=membership, action="member.removed",
                 summary=f"{email} removed from {organization.name}")  # fmt: skip
    membership.delete()
