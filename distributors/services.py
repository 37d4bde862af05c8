"""Every change to distributors, distributor accounts and sales reps.

Each function is one business action in one transaction, takes keyword-only arguments
with the acting user and the organization, checks the actor's role (admins and managers
change distributors; staff only read), writes its audit entry in the same transaction,
and raises a `DistributorsError` (shown to the user as it is) when a rule says no.

The shared directory (distributors with no organization) is read-only for organizations:
it is seeded by migrations. An organization adds its own distributors for anyone missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from distributors.models import Distributor, DistributorAccount, SalesRep
from inventory_site.errors import BackstockError
from venues.models import Membership, Organization, Venue
from venues.services import record_audit, require_role

CHANGE_ROLES = (Membership.Role.ADMIN, Membership.Role.MANAGER)
IMPORTED = DistributorAccount.Status.IMPORTED
VERIFIED = DistributorAccount.Status.VERIFIED

# Distributor fields an organization may edit on its own distributors.
DISTRIBUTOR_EDITABLE_FIELDS = ("name", "code", "website", "phone", "email", "is_active")
ACCOUNT_EDITABLE_FIELDS = ("venue", "account_number", "notes")
SALES_REP_FIELDS = ("name", "email", "phone")


class DistributorsError(BackstockError):
    pass


class SharedDistributorReadOnly(DistributorsError):
    pass


class DistributorNameTaken(DistributorsError):
    pass


class AccountNumberTaken(DistributorsError):
    pass


class AccountUpsert(NamedTuple):
    """What `upsert_account_from_feed` did."""

    account: DistributorAccount
    sales_rep: SalesRep | None
    created: bool  # a new account
    changed: bool  # anything was created or updated (the account is now "please verify")


# --- helpers --------------------------------------------------------------------------------


def _require_manager(actor, organization: Organization) -> None:
    require_role(actor=actor, organization=organization, roles=CHANGE_ROLES)


def _clean(value) -> str:
    return " ".join(str(value or "").split())


def _check_visible(organization: Organization, distributor: Distributor) -> None:
    """Services get scoped objects; this refuses one another organization owns all the same."""
    if distributor.organization_id not in (None, organization.pk):
        raise DistributorsError("That distributor does not belong to your organization.")


def _visible_distributor(organization: Organization, distributor: Distributor) -> Distributor:
    """The distributor as stored now (it may have been retired meanwhile), if the organization sees it."""
    _check_visible(organization, distributor)
    fresh = Distributor.objects.for_org(organization).filter(pk=distributor.pk).first()
    if fresh is None:
        raise DistributorsError("That distributor does not belong to your organization.")
    return fresh


def _check_venue(organization: Organization, venue: Venue) -> None:
    if venue is None or venue.organization_id != organization.pk:
        raise DistributorsError(f"Choose one of {organization.name}'s venues.")


def _check_email(email: str, *, what: str) -> None:
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DistributorsError(f"'{email}' is not an email address; check the {what}.") from None


def _lock_organization(organization: Organization) -> None:
    # Name and account-number checks read then write; holding the organization's row makes
    # two simultaneous adds in one organization wait for each other instead of both passing.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


def _name_clash(organization: Organization, name: str, *, exclude_pk=None) -> Distributor | None:
    same = Distributor.objects.for_org(organization).filter(name__iexact=name)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    return same.first()


def _clash_message(clash: Distributor) -> str:
    if clash.is_shared:
        return (f"{clash.name} is already in the shared distributor directory; open it and add your "
                f"account there instead of adding it again.")  # fmt: skip
    retired = " (retired; edit it to make it active again)" if not clash.is_active else ""
    return f"Your organization already has a distributor named {clash.name}{retired}."


def _unique_slug(organization: Organization, name: str, *, exclude_pk=None) -> str:
    # Unique among everything the organization sees, so a slug names one distributor to it.
    root = (slugify(name) or "distributor")[:74]
    taken = Distributor.objects.for_org(organization)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    taken = set(taken.filter(slug__startswith=root).values_list("slug", flat=True))
    slug, n = root, 2
    while slug in taken:
        slug, n = f"{root}-{n}", n + 1
    return slug


def _account_number_clash(organization, distributor, number, *, exclude_pk=None) -> str | None:
    same = DistributorAccount.objects.for_org(organization).filter(distributor=distributor, account_number__iexact=number)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    clash = same.select_related("venue").first()
    if clash is None:
        return None
    inactive = " It is deactivated; reactivate it instead of adding it again." if not clash.is_active else ""
    return (f"Account #{clash.account_number} at {distributor.name} is already {clash.venue.name}'s; "
            f"each account number belongs to one venue.{inactive}")  # fmt: skip


def _rep_fields(data: Mapping | None) -> dict[str, str]:
    data = data or {}
    return {
        "name": _clean(data.get("name")),
        "email": _clean(data.get("email")).lower(),
        "phone": _clean(data.get("phone")),
    }


def _check_rep(account: DistributorAccount, fields: dict, *, exclude_pk=None) -> None:
    if not fields["name"]:
        raise DistributorsError("The sales rep needs a name.")
    _check_email(fields["email"], what="sales rep's email")
    reps = SalesRep.objects.filter(organization_id=account.organization_id, account=account)
    if exclude_pk is not None:
        reps = reps.exclude(pk=exclude_pk)
    if fields["email"] and reps.filter(email__iexact=fields["email"]).exists():
        raise DistributorsError(f"{fields['email']} is already a sales rep on account #{account.account_number}.")
    if not fields["email"] and reps.filter(name__iexact=fields["name"], email="").exists():
        raise DistributorsError(f"{fields['name']} is already a sales rep on account #{account.account_number}.")


# --- distributors ---------------------------------------------------------------------------


@transaction.atomic
def create_distributor(*, actor, organization: Organization, name: str, code: str = "", website: str = "",
                       phone: str = "", email: str = "") -> Distributor:  # fmt: skip
    """Add a distributor of the organization's own (for one the shared directory lacks).

    Raises DistributorsError when the name is blank or the organization already sees a
    distributor of that name (its own or the shared directory's, in any letter case).
    """
    _require_manager(actor, organization)
    name = _clean(name)
    if not name:
        raise DistributorsError("The distributor needs a name.")
    email = _clean(email).lower()
    _check_email(email, what="distributor's email")
    _lock_organization(organization)
    if clash := _name_clash(organization, name):
        raise DistributorNameTaken(_clash_message(clash))
    distributor = Distributor.objects.create(
        organization=organization, name=name, slug=_unique_slug(organization, name), code=_clean(code),
        website=(website or "").strip(), phone=_clean(phone), email=email,
    )  # fmt: skip
    record_audit(organization=organization, actor=actor, action="distributor.created", obj=distributor,
                 summary=f"Distributor {distributor.name} added")  # fmt: skip
    return distributor


@transaction.atomic
def update_distributor(*, actor, organization: Organization, distributor: Distributor, **changes) -> Distributor:
    """Change one of the organization's own distributors (name, code, contact, active).

    Raises SharedDistributorReadOnly for a distributor of the shared directory, and
    DistributorsError for a blank or already-taken name or an unknown field.
    """
    _require_manager(actor, organization)
    _check_visible(organization, distributor)
    if distributor.is_shared:
        raise SharedDistributorReadOnly(
            f"{distributor.name} is in the shared directory, which every organization uses; its details "
            f"cannot be changed here. Add your own distributor if yours differs."
        )
    unknown = set(changes) - set(DISTRIBUTOR_EDITABLE_FIELDS)
    if unknown:
        raise DistributorsError(f"Cannot change {', '.join(sorted(unknown))} here.")
    _lock_organization(organization)
    distributor = Distributor.objects.for_org(organization).select_for_update().get(pk=distributor.pk)
    for field in ("name", "code", "phone"):
        if field in changes:
            changes[field] = _clean(changes[field])
    if "email" in changes:
        changes["email"] = _clean(changes["email"]).lower()
        _check_email(changes["email"], what="distributor's email")
    if "website" in changes:
        changes["website"] = (changes["website"] or "").strip()
    if "is_active" in changes:
        changes["is_active"] = bool(changes["is_active"])
    if "name" in changes:
        if not changes["name"]:
            raise DistributorsError("The distributor needs a name.")
        if clash := _name_clash(organization, changes["name"], exclude_pk=distributor.pk):
            raise DistributorNameTaken(_clash_message(clash))
    changed = {f: [getattr(distributor, f), v] for f, v in changes.items() if getattr(distributor, f) != v}
    if not changed:
        return distributor
    for field, (_old, new) in changed.items():
        setattr(distributor, field, new)
    fields = list(changed)
    if "name" in changed:
        distributor.slug = _unique_slug(organization, distributor.name, exclude_pk=distributor.pk)
        fields.append("slug")
    distributor.save(update_fields=fields)
    if set(changed) == {"is_active"}:
        action = "distributor.reactivated" if distributor.is_active else "distributor.retired"
        summary = f"Distributor {distributor.name} {'made active again' if distributor.is_active else 'retired'}"
    else:
        action = "distributor.updated"
        summary = f"Distributor {distributor.name} updated: {', '.join(changed)}"
    record_audit(organization=organization, actor=actor, action=action, obj=distributor, summary=summary,
                 changes={f: [str(a), str(b)] for f, (a, b) in changed.items()})  # fmt: skip
    return distributor


# --- accounts -------------------------------------------------------------------------------


@transaction.atomic
def create_account(*, actor, organization: Organization, venue: Venue, distributor: Distributor,
                   account_number: str, notes: str = "", sales_rep: Mapping | None = None) -> DistributorAccount:  # fmt: skip
    """Record a venue's account at a distributor (verified: a person entered it).

    `sales_rep` (name, email, phone), when given with a name, adds the account's rep too.
    Raises DistributorsError for another organization's venue, a retired distributor, a
    blank number, or a number the organization already has at that distributor.
    """
    _require_manager(actor, organization)
    _check_venue(organization, venue)
    distributor = _visible_distributor(organization, distributor)
    if not distributor.is_active:
        raise DistributorsError(f"{distributor.name} is retired; make it active again before adding an account.")
    number = _clean(account_number)
    if not number:
        raise DistributorsError(f"Enter {venue.name}'s account number at {distributor.name}.")
    rep = _rep_fields(sales_rep)
    _lock_organization(organization)
    if message := _account_number_clash(organization, distributor, number):
        raise AccountNumberTaken(message)
    account = DistributorAccount.objects.create(
        organization=organization, venue=venue, distributor=distributor, account_number=number,
        notes=(notes or "").strip(), status=VERIFIED, verified_at=timezone.now(),
        verified_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    record_audit(organization=organization, actor=actor, action="distributor_account.created", obj=account,
                 summary=f"Account #{number} at {distributor.name} added for {venue.name}")  # fmt: skip
    if rep["name"] or rep["email"] or rep["phone"]:
        _add_rep(actor=actor, organization=organization, account=account, fields=rep, status=VERIFIED)
    return account


@transaction.atomic
def update_account(*, actor, organization: Organization, account: DistributorAccount, **changes) -> DistributorAccount:
    """Change an account's venue, number or notes. Its status stays as it was."""
    _require_manager(actor, organization)
    unknown = set(changes) - set(ACCOUNT_EDITABLE_FIELDS)
    if unknown:
        raise DistributorsError(f"Cannot change {', '.join(sorted(unknown))} here.")
    _lock_organization(organization)
    account = DistributorAccount.objects.for_org(organization).select_for_update(of=("self",)).select_related(
        "distributor", "venue").get(pk=account.pk)  # fmt: skip
    if "venue" in changes:
        _check_venue(organization, changes["venue"])
    if "account_number" in changes:
        changes["account_number"] = _clean(changes["account_number"])
        if not changes["account_number"]:
            raise DistributorsError(f"Enter the account number at {account.distributor.name}.")
        if message := _account_number_clash(organization, account.distributor, changes["account_number"],
                                            exclude_pk=account.pk):  # fmt: skip
            raise AccountNumberTaken(message)
    if "notes" in changes:
        changes["notes"] = (changes["notes"] or "").strip()
    changed = {f: [getattr(account, f), v] for f, v in changes.items() if getattr(account, f) != v}
    if not changed:
        return account
    for field, (_old, new) in changed.items():
        setattr(account, field, new)
    account.save(update_fields=list(changed))
    record_audit(
        organization=organization, actor=actor, action="distributor_account.updated", obj=account,
        summary=f"Account #{account.account_number} at {account.distributor.name} ({account.venue.name}) updated: "
                f"{', '.join(f.replace('_', ' ') for f in changed)}",
        changes={f: [str(a), str(b)] for f, (a, b) in changed.items()},
    )  # fmt: skip
    return account


@transaction.atomic
def verify_account(*, actor, organization: Organization, account: DistributorAccount) -> DistributorAccount:
    """A person confirmed an account (and its reps) that a feed imported: all become verified."""
    _require_manager(actor, organization)
    account = DistributorAccount.objects.for_org(organization).select_for_update(of=("self",)).select_related(
        "distributor", "venue").get(pk=account.pk)  # fmt: skip
    reps = SalesRep.objects.for_org(organization).filter(account=account, status=IMPORTED)
    if account.status == VERIFIED and not reps.exists():
        raise DistributorsError(f"Account #{account.account_number} at {account.distributor.name} is already verified.")
    rep_names = list(reps.values_list("name", flat=True))
    reps.update(status=VERIFIED)
    account.status = VERIFIED
    account.verified_at = timezone.now()
    account.verified_by = actor if getattr(actor, "pk", None) else None
    account.save(update_fields=["status", "verified_at", "verified_by"])
    also = f" with sales rep{'s' if len(rep_names) > 1 else ''} {', '.join(rep_names)}" if rep_names else ""
    record_audit(organization=organization, actor=actor, action="distributor_account.verified", obj=account,
                 summary=f"Account #{account.account_number} at {account.distributor.name} ({account.venue.name}) "
                         f"verified{also}")  # fmt: skip
    return account


@transaction.atomic
def set_account_active(*, actor, organization: Organization, account: DistributorAccount,
                       active: bool) -> DistributorAccount:  # fmt: skip
    """Deactivate an account the venue no longer uses (kept for past invoices), or reactivate it."""
    _require_manager(actor, organization)
    account = DistributorAccount.objects.for_org(organization).select_for_update(of=("self",)).select_related(
        "distributor", "venue").get(pk=account.pk)  # fmt: skip
    if account.is_active == active:
        state = "active" if active else "deactivated"
        raise DistributorsError(f"Account #{account.account_number} at {account.distributor.name} is already {state}.")
    if active and not account.distributor.is_active:
        raise DistributorsError(f"{account.distributor.name} is retired; make it active again first.")
    account.is_active = active
    account.save(update_fields=["is_active"])
    verb = "reactivated" if active else "deactivated"
    record_audit(organization=organization, actor=actor, action=f"distributor_account.{verb}", obj=account,
                 summary=f"Account #{account.account_number} at {account.distributor.name} ({account.venue.name}) "
                         f"{verb}")  # fmt: skip
    return account


def deactivate_account(*, actor, organization: Organization, account: DistributorAccount) -> DistributorAccount:
    return set_account_active(actor=actor, organization=organization, account=account, active=False)


def reactivate_account(*, actor, organization: Organization, account: DistributorAccount) -> DistributorAccount:
    return set_account_active(actor=actor, organization=organization, account=account, active=True)


# --- sales reps -----------------------------------------------------------------------------


def _add_rep(*, actor, organization, account, fields: dict, status: str) -> SalesRep:
    _check_rep(account, fields)
    rep = SalesRep.objects.create(organization=organization, account=account, status=status, **fields)
    source = " (from a supplier feed)" if status == IMPORTED else ""
    record_audit(organization=organization, actor=actor, action="sales_rep.created", obj=rep,
                 summary=f"Sales rep {rep.name} added to account #{account.account_number} at "
                         f"{account.distributor.name}{source}")  # fmt: skip
    return rep


@transaction.atomic
def add_sales_rep(*, actor, organization: Organization, account: DistributorAccount, name: str,
                  email: str = "", phone: str = "") -> SalesRep:  # fmt: skip
    """Add a distributor's sales rep to an account. Raises DistributorsError for a blank name,
    a bad email, or a rep the account already has (same email, or same name without one)."""
    _require_manager(actor, organization)
    if account.organization_id != organization.pk:
        raise DistributorsError("That account does not belong to your organization.")
    fields = _rep_fields({"name": name, "email": email, "phone": phone})
    return _add_rep(actor=actor, organization=organization, account=account, fields=fields, status=VERIFIED)


@transaction.atomic
def update_sales_rep(*, actor, organization: Organization, sales_rep: SalesRep, **changes) -> SalesRep:
    """Change a rep's name, email or phone. A person edited it, so it counts as verified."""
    _require_manager(actor, organization)
    unknown = set(changes) - set(SALES_REP_FIELDS)
    if unknown:
        raise DistributorsError(f"Cannot change {', '.join(sorted(unknown))} here.")
    rep = SalesRep.objects.for_org(organization).select_for_update(of=("self",)).select_related(
        "account__distributor").get(pk=sales_rep.pk)  # fmt: skip
    fields = {f: getattr(rep, f) for f in SALES_REP_FIELDS}
    fields.update(_rep_fields({**fields, **changes}))
    _check_rep(rep.account, fields, exclude_pk=rep.pk)
    changed = {f: [getattr(rep, f), v] for f, v in fields.items() if getattr(rep, f) != v}
    if not changed and rep.status == VERIFIED:
        return rep
    for field, (_old, new) in changed.items():
        setattr(rep, field, new)
    rep.status = VERIFIED
    rep.save(update_fields=[*changed, "status"])
    record_audit(organization=organization, actor=actor, action="sales_rep.updated", obj=rep,
                 summary=f"Sales rep {rep.name} on account #{rep.account.account_number} at "
                         f"{rep.account.distributor.name} updated", changes=changed)  # fmt: skip
    return rep


@transaction.atomic
def remove_sales_rep(*, actor, organization: Organization, sales_rep: SalesRep) -> None:
    """Take a rep off an account (the audit log keeps who it was)."""
    _require_manager(actor, organization)
    rep = SalesRep.objects.for_org(organization).select_related("account__distributor").get(pk=sales_rep.pk)
    record_audit(organization=organization, actor=actor, action="sales_rep.removed", obj=rep,
                 summary=f"Sales rep {rep.name} removed from account #{rep.account.account_number} at "
                         f"{rep.account.distributor.name}",
                 changes={"name": rep.name, "email": rep.email, "phone": rep.phone})  # fmt: skip
    rep.delete()


# --- supplier feeds -------------------------------------------------------------------------


@transaction.atomic
def upsert_account_from_feed(*, organization: Organization, venue: Venue, distributor: Distributor,
                             account_number: str, sales_rep: Mapping | None = None, actor=None) -> AccountUpsert:  # fmt: skip
    """Make sure the account (and its sales rep) a supplier feed names exists.

    A new account, a reactivated one, a new rep or a rep whose details the feed changed is
    marked "imported — please verify" (the account too, so a manager sees it). Blank feed
    values never erase what is stored. An account that is unchanged stays as it is, so
    feeding the same document twice changes nothing. `actor` is None for the feed (system).

    Raises DistributorsError when the number is blank or the account is another venue's.
    """
    _require_manager(actor, organization)
    _check_venue(organization, venue)
    distributor = _visible_distributor(organization, distributor)
    number = _clean(account_number)
    if not number:
        raise DistributorsError(f"The feed from {distributor.name} names no account number.")
    _lock_organization(organization)
    account = (
        # of=self: the default ordering joins the distributor, and FOR UPDATE on a shared directory
        # row is refused by row-level security, which would hide the account.
        DistributorAccount.objects.for_org(organization).select_for_update(of=("self",))
        .filter(distributor=distributor, account_number__iexact=number).first()
    )  # fmt: skip
    created = changed = False
    if account is None:
        account = DistributorAccount.objects.create(
            organization=organization, venue=venue, distributor=distributor, account_number=number, status=IMPORTED
        )
        created = changed = True
        record_audit(organization=organization, actor=actor, action="distributor_account.imported", obj=account,
                     summary=f"Account #{number} at {distributor.name} for {venue.name} imported from a supplier "
                             f"feed; please verify")  # fmt: skip
    elif account.venue_id != venue.pk:
        raise DistributorsError(
            f"Account #{account.account_number} at {distributor.name} is {account.venue.name}'s, not {venue.name}'s."
        )
    elif not account.is_active:
        account.is_active = True
        changed = True
        record_audit(organization=organization, actor=actor, action="distributor_account.reactivated", obj=account,
                     summary=f"Account #{account.account_number} at {distributor.name} ({venue.name}) reactivated: "
                             f"a supplier feed used it; please verify")  # fmt: skip

    rep = None
    fields = _rep_fields(sales_rep)
    if fields["name"] or fields["email"]:
        rep, rep_changed = _upsert_feed_rep(organization=organization, account=account, fields=fields, actor=actor)
        changed = changed or rep_changed
    if changed and not created:
        account.status = IMPORTED
        account.save(update_fields=["status", "is_active"])
    return AccountUpsert(account=account, sales_rep=rep, created=created, changed=changed)


def _upsert_feed_rep(*, organization, account, fields: dict, actor) -> tuple[SalesRep, bool]:
    reps = SalesRep.objects.for_org(organization).select_for_update().filter(account=account)
    rep = None
    if fields["email"]:
        rep = reps.filter(email__iexact=fields["email"]).first()
    if rep is None and fields["name"]:
        # The same person, known so far without an email (or the feed sends none).
        rep = reps.filter(name__iexact=fields["name"]).filter(**({"email": ""} if fields["email"] else {})).first()
    if rep is None:
        fields = {**fields, "name": fields["name"] or fields["email"]}
        return _add_rep(actor=actor, organization=organization, account=account, fields=fields, status=IMPORTED), True
    # Feeds often shout ("DANA REYES"): a change of letter case alone is no change.
    updates = {f: v for f, v in fields.items() if v and getattr(rep, f).casefold() != v.casefold()}
    if not updates:
        return rep, False
    _check_email(updates.get("email", ""), what="sales rep's email")
    old = {f: getattr(rep, f) for f in updates}
    for field, value in updates.items():
        setattr(rep, field, value)
    rep.status = IMPORTED
    rep.save(update_fields=[*updates, "status"])
    record_audit(organization=organization, actor=actor, action="sales_rep.imported", obj=rep,
                 summary=f"Sales rep {rep.name} on account #{account.account_number} at {account.distributor.name} "
                         f"updated from a supplier feed; please verify",
                 changes={f: [old[f], v] for f, v in updates.items()})  # fmt: skip
    return rep, True
