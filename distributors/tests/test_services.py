"""Distributor services: roles, the rules they enforce, their audit entries, and feed upserts."""

from __future__ import annotations

import pytest

from distributors import services
from distributors.models import Distributor, DistributorAccount, SalesRep
from distributors.tests.factories import SharedDistributorFactory
from inventory_site.errors import PermissionDenied
from venues import services as venue_services
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db

IMPORTED = DistributorAccount.Status.IMPORTED
VERIFIED = DistributorAccount.Status.VERIFIED


def add_distributor(tenant, name="Hawkeye Beverage", **fields) -> Distributor:
    return services.create_distributor(actor=tenant.manager, organization=tenant.organization, name=name, **fields)


def add_account(tenant, distributor, number="10042", venue=None, **fields) -> DistributorAccount:
    return services.create_account(actor=tenant.manager, organization=tenant.organization, venue=venue or tenant.venue,
                                   distributor=distributor, account_number=number, **fields)  # fmt: skip


def audit(tenant, action) -> list[AuditLogEntry]:
    return list(AuditLogEntry.objects.filter(organization=tenant.organization, action=action).order_by("id"))


# --- distributors ---------------------------------------------------------------------------


def test_a_manager_adds_an_own_distributor_with_a_slug_and_an_audit_entry(tenant):
    distributor = add_distributor(tenant, name="  Hawkeye   Beverage ", code="HB", email="Orders@Hawkeye.test")

    assert distributor.organization == tenant.organization
    assert (distributor.name, distributor.slug, distributor.code, distributor.email) == (
        "Hawkeye Beverage", "hawkeye-beverage", "HB", "orders@hawkeye.test")  # fmt: skip
    (entry,) = audit(tenant, "distributor.created")
    assert entry.actor == tenant.manager and entry.summary == "Distributor Hawkeye Beverage added"


def test_an_admin_may_add_a_distributor_but_staff_may_not(tenant):
    services.create_distributor(actor=tenant.admin, organization=tenant.organization, name="Admin Adds")

    with pytest.raises(PermissionDenied):
        services.create_distributor(actor=tenant.staff, organization=tenant.organization, name="Staff Adds")
    assert not Distributor.objects.filter(name="Staff Adds").exists()


def test_a_name_the_organization_already_has_is_refused_in_any_letter_case(tenant):
    add_distributor(tenant, name="Hawkeye Beverage")

    with pytest.raises(services.DistributorNameTaken, match="Your organization already has a distributor named Hawkeye Beverage"):
        add_distributor(tenant, name="HAWKEYE beverage")


def test_a_name_in_the_shared_directory_is_refused_with_where_to_go_instead(tenant):
    SharedDistributorFactory(name="Southern Glazer's Wine & Spirits")

    with pytest.raises(services.DistributorNameTaken) as exc:
        add_distributor(tenant, name="southern glazer's wine & spirits")

    assert str(exc.value) == ("Southern Glazer's Wine & Spirits is already in the shared distributor directory; "
                              "open it and add your account there instead of adding it again.")  # fmt: skip


def test_another_organizations_own_distributor_does_not_block_the_name(tenant, other_tenant):
    theirs = add_distributor(other_tenant, name="Hawkeye Beverage")

    mine = add_distributor(tenant, name="Hawkeye Beverage")

    assert mine.pk != theirs.pk and mine.slug == theirs.slug == "hawkeye-beverage"


def test_a_slug_taken_by_a_shared_distributor_gets_a_suffix(tenant):
    SharedDistributorFactory(name="Hawkeye Beverage Co", slug="hawkeye-beverage")

    assert add_distributor(tenant, name="Hawkeye Beverage").slug == "hawkeye-beverage-2"


def test_updating_an_own_distributor_audits_the_changed_fields(tenant):
    distributor = add_distributor(tenant)

    services.update_distributor(actor=tenant.manager, organization=tenant.organization, distributor=distributor,
                                name="Hawkeye Beverage Co.", phone="515-555-0199", code="")  # fmt: skip

    distributor.refresh_from_db()
    assert (distributor.name, distributor.slug, distributor.phone) == ("Hawkeye Beverage Co.", "hawkeye-beverage-co", "515-555-0199")
    (entry,) = audit(tenant, "distributor.updated")
    assert entry.changes == {"name": ["Hawkeye Beverage", "Hawkeye Beverage Co."], "phone": ["", "515-555-0199"]}


def test_retiring_an_own_distributor_is_audited_as_such(tenant):
    distributor = add_distributor(tenant)

    services.update_distributor(actor=tenant.manager, organization=tenant.organization, distributor=distributor,
                                is_active=False)  # fmt: skip

    distributor.refresh_from_db()
    assert not distributor.is_active
    assert audit(tenant, "distributor.retired")[0].summary == "Distributor Hawkeye Beverage retired"


def test_renaming_to_a_taken_name_is_refused(tenant):
    add_distributor(tenant, name="Hawkeye Beverage")
    other = add_distributor(tenant, name="Corn Belt Wine")

    with pytest.raises(services.DistributorNameTaken):
        services.update_distributor(actor=tenant.manager, organization=tenant.organization, distributor=other,
                                    name="hawkeye beverage")  # fmt: skip


def test_shared_directory_distributors_are_read_only_for_organizations(tenant):
    shared = SharedDistributorFactory(name="Breakthru Beverage Group")

    with pytest.raises(services.SharedDistributorReadOnly, match="shared directory"):
        services.update_distributor(actor=tenant.admin, organization=tenant.organization, distributor=shared,
                                    name="Breakthru (ours)")  # fmt: skip

    shared.refresh_from_db()
    assert shared.name == "Breakthru Beverage Group" and shared.organization is None
    assert not audit(tenant, "distributor.updated")


def test_another_organizations_distributor_cannot_be_updated(tenant, other_tenant):
    theirs = add_distributor(other_tenant)

    with pytest.raises(services.DistributorsError):
        services.update_distributor(actor=tenant.admin, organization=tenant.organization, distributor=theirs,
                                    name="Mine now")  # fmt: skip


def test_staff_cannot_update_a_distributor(tenant):
    distributor = add_distributor(tenant)

    with pytest.raises(PermissionDenied):
        services.update_distributor(actor=tenant.staff, organization=tenant.organization, distributor=distributor,
                                    name="Staff Edit")  # fmt: skip


# --- accounts -------------------------------------------------------------------------------


def test_an_account_entered_by_a_manager_is_verified_and_audited_with_its_rep(tenant):
    distributor = add_distributor(tenant)

    account = add_account(tenant, distributor, number=" 10042 ",
                          sales_rep={"name": "Pat Kowalski", "email": "PAT@hawkeye.test", "phone": "515-555-0101"})  # fmt: skip

    assert (account.account_number, account.status, account.verified_by) == ("10042", VERIFIED, tenant.manager)
    (rep,) = account.sales_reps.all()
    assert (rep.name, rep.email, rep.phone, rep.status) == ("Pat Kowalski", "pat@hawkeye.test", "515-555-0101", VERIFIED)
    assert audit(tenant, "distributor_account.created")[0].summary == (
        "Account #10042 at Hawkeye Beverage added for Copper Tap Group Bar")
    assert audit(tenant, "sales_rep.created")[0].summary == (
        "Sales rep Pat Kowalski added to account #10042 at Hawkeye Beverage")


def test_an_account_number_is_unique_per_distributor_with_a_message_naming_the_venue(tenant):
    distributor = add_distributor(tenant)
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    add_account(tenant, distributor, number="10042")

    with pytest.raises(services.AccountNumberTaken) as exc:
        add_account(tenant, distributor, number="10042", venue=patio)

    assert str(exc.value) == ("Account #10042 at Hawkeye Beverage is already Copper Tap Group Bar's; "
                              "each account number belongs to one venue.")  # fmt: skip


def test_the_same_number_at_another_distributor_or_organization_is_fine(tenant, other_tenant):
    shared = SharedDistributorFactory()
    add_account(tenant, shared, number="10042")

    add_account(tenant, add_distributor(tenant), number="10042")
    add_account(other_tenant, shared, number="10042")

    assert DistributorAccount.objects.filter(account_number="10042").count() == 3


def test_a_deactivated_accounts_number_says_to_reactivate_it(tenant):
    distributor = add_distributor(tenant)
    account = add_account(tenant, distributor)
    services.deactivate_account(actor=tenant.manager, organization=tenant.organization, account=account)

    with pytest.raises(services.AccountNumberTaken, match="It is deactivated; reactivate it instead"):
        add_account(tenant, distributor)


def test_an_account_needs_a_venue_of_the_organization(tenant, other_tenant):
    with pytest.raises(services.DistributorsError, match="Choose one of Copper Tap Group's venues"):
        add_account(tenant, add_distributor(tenant), venue=other_tenant.venue)


def test_an_account_at_another_organizations_own_distributor_is_refused(tenant, other_tenant):
    with pytest.raises(services.DistributorsError, match="does not belong to your organization"):
        add_account(tenant, add_distributor(other_tenant))


def test_a_retired_distributor_takes_no_new_accounts(tenant):
    distributor = add_distributor(tenant)
    services.update_distributor(actor=tenant.manager, organization=tenant.organization, distributor=distributor,
                                is_active=False)  # fmt: skip

    with pytest.raises(services.DistributorsError, match="is retired"):
        add_account(tenant, distributor)


def test_staff_cannot_add_accounts(tenant):
    distributor = add_distributor(tenant)

    with pytest.raises(PermissionDenied):
        services.create_account(actor=tenant.staff, organization=tenant.organization, venue=tenant.venue,
                                distributor=distributor, account_number="1")  # fmt: skip


def test_updating_an_account_checks_the_number_and_audits(tenant):
    distributor = add_distributor(tenant)
    add_account(tenant, distributor, number="1")
    account = add_account(tenant, distributor, number="2")

    with pytest.raises(services.AccountNumberTaken):
        services.update_account(actor=tenant.manager, organization=tenant.organization, account=account, account_number="1")
    services.update_account(actor=tenant.manager, organization=tenant.organization, account=account,
                            account_number="3", notes="Delivery Tuesdays")  # fmt: skip

    account.refresh_from_db()
    assert (account.account_number, account.notes) == ("3", "Delivery Tuesdays")
    assert audit(tenant, "distributor_account.updated")[0].changes == {
        "account_number": ["2", "3"], "notes": ["", "Delivery Tuesdays"]}  # fmt: skip


def test_verifying_an_imported_account_verifies_it_and_its_reps_and_audits(tenant):
    shared = SharedDistributorFactory(name="Iowa Alcoholic Beverages Division")
    result = services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue,
                                               distributor=shared, account_number="4617",
                                               sales_rep={"name": "Dana Reyes"})  # fmt: skip

    account = services.verify_account(actor=tenant.manager, organization=tenant.organization, account=result.account)

    assert account.status == VERIFIED and account.verified_by == tenant.manager and account.verified_at
    assert SalesRep.objects.get(pk=result.sales_rep.pk).status == VERIFIED
    (entry,) = audit(tenant, "distributor_account.verified")
    assert entry.actor == tenant.manager
    assert entry.summary == ("Account #4617 at Iowa Alcoholic Beverages Division (Copper Tap Group Bar) verified "
                             "with sales rep Dana Reyes")  # fmt: skip


def test_verifying_a_verified_account_says_so(tenant):
    account = add_account(tenant, add_distributor(tenant))

    with pytest.raises(services.DistributorsError, match="already verified"):
        services.verify_account(actor=tenant.manager, organization=tenant.organization, account=account)


def test_staff_cannot_verify(tenant):
    result = services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue,
                                               distributor=SharedDistributorFactory(), account_number="1")  # fmt: skip

    with pytest.raises(PermissionDenied):
        services.verify_account(actor=tenant.staff, organization=tenant.organization, account=result.account)
    result.account.refresh_from_db()
    assert result.account.status == IMPORTED


def test_deactivating_and_reactivating_an_account(tenant):
    account = add_account(tenant, add_distributor(tenant))

    services.deactivate_account(actor=tenant.manager, organization=tenant.organization, account=account)
    with pytest.raises(services.DistributorsError, match="already deactivated"):
        services.deactivate_account(actor=tenant.manager, organization=tenant.organization, account=account)
    services.reactivate_account(actor=tenant.manager, organization=tenant.organization, account=account)

    account.refresh_from_db()
    assert account.is_active
    assert [e.action for e in AuditLogEntry.objects.filter(action__startswith="distributor_account.").order_by("id")] == [
        "distributor_account.created", "distributor_account.deactivated", "distributor_account.reactivated"]  # fmt: skip


# --- sales reps -----------------------------------------------------------------------------


def test_adding_editing_and_removing_a_sales_rep(tenant):
    account = add_account(tenant, add_distributor(tenant))

    rep = services.add_sales_rep(actor=tenant.manager, organization=tenant.organization, account=account,
                                 name="Pat Kowalski", email="pat@hawkeye.test")  # fmt: skip
    services.update_sales_rep(actor=tenant.manager, organization=tenant.organization, sales_rep=rep,
                              phone="515-555-0102")  # fmt: skip
    rep.refresh_from_db()
    assert (rep.name, rep.email, rep.phone) == ("Pat Kowalski", "pat@hawkeye.test", "515-555-0102")
    services.remove_sales_rep(actor=tenant.manager, organization=tenant.organization, sales_rep=rep)

    assert not SalesRep.objects.filter(pk=rep.pk).exists()
    assert [e.action for e in AuditLogEntry.objects.filter(action__startswith="sales_rep.").order_by("id")] == [
        "sales_rep.created", "sales_rep.updated", "sales_rep.removed"]  # fmt: skip
    assert audit(tenant, "sales_rep.removed")[0].changes == {"name": "Pat Kowalski", "email": "pat@hawkeye.test",
                                                              "phone": "515-555-0102"}  # fmt: skip


def test_a_rep_needs_a_name_a_valid_email_and_no_twin_on_the_account(tenant):
    account = add_account(tenant, add_distributor(tenant))
    services.add_sales_rep(actor=tenant.manager, organization=tenant.organization, account=account,
                           name="Pat Kowalski", email="pat@hawkeye.test")  # fmt: skip

    def add(**fields):
        return services.add_sales_rep(actor=tenant.manager, organization=tenant.organization, account=account, **fields)

    with pytest.raises(services.DistributorsError, match="needs a name"):
        add(name="  ", email="x@hawkeye.test")
    with pytest.raises(services.DistributorsError, match="'pat@' is not an email address"):
        add(name="Pat", email="pat@")
    with pytest.raises(services.DistributorsError, match="pat@hawkeye.test is already a sales rep on account #10042"):
        add(name="Patricia Kowalski", email="PAT@hawkeye.test")


def test_staff_cannot_change_sales_reps(tenant):
    account = add_account(tenant, add_distributor(tenant), sales_rep={"name": "Pat Kowalski"})

    with pytest.raises(PermissionDenied):
        services.add_sales_rep(actor=tenant.staff, organization=tenant.organization, account=account, name="Sam")
    with pytest.raises(PermissionDenied):
        services.remove_sales_rep(actor=tenant.staff, organization=tenant.organization,
                                  sales_rep=account.sales_reps.get())  # fmt: skip


def test_editing_an_imported_rep_marks_it_verified(tenant):
    result = services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue,
                                               distributor=SharedDistributorFactory(), account_number="1",
                                               sales_rep={"name": "Dana Reyes"})  # fmt: skip

    rep = services.update_sales_rep(actor=tenant.manager, organization=tenant.organization, sales_rep=result.sales_rep,
                                    email="dana@wholesale.test")  # fmt: skip

    assert rep.status == VERIFIED and rep.email == "dana@wholesale.test"


# --- supplier feeds -------------------------------------------------------------------------


def test_a_feed_creates_an_imported_account_and_rep(tenant):
    shared = SharedDistributorFactory(name="Iowa Alcoholic Beverages Division")

    result = services.upsert_account_from_feed(
        organization=tenant.organization, venue=tenant.venue, distributor=shared, account_number=" 4617 ",
        sales_rep={"name": "Dana  Reyes", "email": "Dana@ABD.test", "phone": ""},
    )  # fmt: skip

    assert result.created and result.changed
    account = DistributorAccount.objects.get(pk=result.account.pk)
    assert (account.organization, account.venue, account.distributor) == (tenant.organization, tenant.venue, shared)
    assert (account.account_number, account.status, account.verified_at) == ("4617", IMPORTED, None)
    (rep,) = account.sales_reps.all()
    assert (rep.name, rep.email, rep.status, rep.organization) == ("Dana Reyes", "dana@abd.test", IMPORTED, tenant.organization)
    entries = AuditLogEntry.objects.filter(organization=tenant.organization, actor=None,
                                           action__in=["distributor_account.imported", "sales_rep.created"]).order_by("id")
    assert [e.action for e in entries] == ["distributor_account.imported", "sales_rep.created"]
    assert entries[0].summary == ("Account #4617 at Iowa Alcoholic Beverages Division for Copper Tap Group Bar "
                                  "imported from a supplier feed; please verify")  # fmt: skip


def test_the_second_feed_call_updates_the_same_account_and_rep(tenant):
    shared = SharedDistributorFactory()
    first = services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue, distributor=shared,
                                              account_number="4617", sales_rep={"name": "Dana Reyes",
                                                                                "email": "dana@abd.test"})  # fmt: skip
    services.verify_account(actor=tenant.manager, organization=tenant.organization, account=first.account)

    second = services.upsert_account_from_feed(
        organization=tenant.organization, venue=tenant.venue, distributor=shared, account_number="4617",
        sales_rep={"name": "Dana Reyes-Park", "email": "DANA@abd.test", "phone": "515-555-0177"},
    )  # fmt: skip

    assert (second.account.pk, second.sales_rep.pk) == (first.account.pk, first.sales_rep.pk)
    assert not second.created and second.changed
    assert DistributorAccount.objects.filter(distributor=shared).count() == 1
    rep = SalesRep.objects.get(pk=first.sales_rep.pk)
    assert (rep.name, rep.email, rep.phone, rep.status) == ("Dana Reyes-Park", "dana@abd.test", "515-555-0177", IMPORTED)
    second.account.refresh_from_db()
    assert second.account.status == IMPORTED  # the changed rep wants a look
    assert audit(tenant, "sales_rep.imported")[0].changes == {
        "name": ["Dana Reyes", "Dana Reyes-Park"], "phone": ["", "515-555-0177"]}  # fmt: skip


def test_the_same_feed_twice_changes_nothing(tenant):
    shared = SharedDistributorFactory()
    feed = dict(organization=tenant.organization, venue=tenant.venue, distributor=shared, account_number="4617",
                sales_rep={"name": "Dana Reyes", "email": "dana@abd.test", "phone": "515-555-0177"})  # fmt: skip
    first = services.upsert_account_from_feed(**feed)
    services.verify_account(actor=tenant.manager, organization=tenant.organization, account=first.account)
    entries = AuditLogEntry.objects.count()

    again = services.upsert_account_from_feed(**{**feed, "sales_rep": {"name": "dana reyes", "email": "", "phone": ""}})
    same = services.upsert_account_from_feed(**feed)

    assert not again.changed and not same.changed
    assert AuditLogEntry.objects.count() == entries
    first.account.refresh_from_db()
    assert first.account.status == VERIFIED
    assert SalesRep.objects.get().phone == "515-555-0177"  # blank feed values never erase


def test_a_feed_naming_a_new_rep_adds_it_beside_the_old_one(tenant):
    shared = SharedDistributorFactory()
    feed = dict(organization=tenant.organization, venue=tenant.venue, distributor=shared, account_number="4617")
    services.upsert_account_from_feed(**feed, sales_rep={"name": "Dana Reyes", "email": "dana@abd.test"})

    result = services.upsert_account_from_feed(**feed, sales_rep={"name": "Lee Park", "email": "lee@abd.test"})

    assert sorted(result.account.sales_reps.values_list("name", flat=True)) == ["Dana Reyes", "Lee Park"]


def test_a_feed_reactivates_a_deactivated_account_for_verification(tenant):
    shared = SharedDistributorFactory()
    account = add_account(tenant, shared, number="4617")
    services.deactivate_account(actor=tenant.manager, organization=tenant.organization, account=account)

    result = services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue,
                                               distributor=shared, account_number="4617")  # fmt: skip

    account.refresh_from_db()
    assert result.account.pk == account.pk and result.changed
    assert account.is_active and account.status == IMPORTED


def test_a_feed_cannot_move_an_account_to_another_venue(tenant):
    shared = SharedDistributorFactory()
    add_account(tenant, shared, number="4617")
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")

    with pytest.raises(services.DistributorsError, match="is Copper Tap Group Bar's, not Patio's"):
        services.upsert_account_from_feed(organization=tenant.organization, venue=patio, distributor=shared,
                                          account_number="4617")  # fmt: skip


def test_a_feed_without_an_account_number_is_refused(tenant):
    with pytest.raises(services.DistributorsError, match="names no account number"):
        services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue,
                                          distributor=SharedDistributorFactory(), account_number=" ")  # fmt: skip


def test_a_feed_for_another_organizations_venue_is_refused(tenant, other_tenant):
    with pytest.raises(services.DistributorsError):
        services.upsert_account_from_feed(organization=tenant.organization, venue=other_tenant.venue,
                                          distributor=SharedDistributorFactory(), account_number="1")  # fmt: skip
    assert not DistributorAccount.objects.exists()
