"""Row-level security on distributors: the shared directory is everyone's, an organization's own
distributors, accounts and reps are its alone, even for a query that forgets to filter."""

import pytest
from django.db import DatabaseError, transaction

from distributors import services
from distributors.models import Distributor, DistributorAccount, SalesRep
from distributors.tests.factories import SharedDistributorFactory
from inventory_site.tenancy import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_rows(tenant):
    distributor = services.create_distributor(actor=tenant.manager, organization=tenant.organization,
                                              name="Copper Tap Private Imports")  # fmt: skip
    account = services.create_account(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                                      distributor=distributor, account_number="A-1",
                                      sales_rep={"name": "Pat Kowalski"})  # fmt: skip
    return distributor, account


def test_an_organizations_own_distributor_is_invisible_to_another_even_unscoped(a_rows, other_tenant):
    distributor, account = a_rows

    with tenant_context(organization_id=other_tenant.organization.pk):
        assert not Distributor.objects.filter(pk=distributor.pk).exists()
        assert not Distributor.objects.filter(name="Copper Tap Private Imports").exists()
        assert not DistributorAccount.objects.filter(pk=account.pk).exists()
        assert not SalesRep.objects.filter(account_id=account.pk).exists()
        assert not Distributor.objects.for_org(other_tenant.organization).filter(pk=distributor.pk).exists()


def test_the_owner_sees_its_own_distributor_account_and_rep(a_rows, tenant):
    distributor, account = a_rows

    with tenant_context(organization_id=tenant.organization.pk):
        assert Distributor.objects.filter(pk=distributor.pk).exists()
        assert DistributorAccount.objects.filter(pk=account.pk).exists()
        assert SalesRep.objects.filter(account_id=account.pk).count() == 1


def test_the_shared_directory_is_visible_to_every_organization(tenant, other_tenant):
    shared = SharedDistributorFactory(name="Heartland Shared Wholesale")

    for organization in (tenant.organization, other_tenant.organization):
        with tenant_context(organization_id=organization.pk):
            assert Distributor.objects.filter(pk=shared.pk).exists()
            # The seeded directory too (migration 0002).
            assert Distributor.objects.filter(organization=None, code="IA-ABD").exists()
            assert Distributor.objects.filter(organization=None, code="SGWS").exists()


def test_accounts_of_two_organizations_at_one_shared_distributor_stay_apart(tenant, other_tenant):
    shared = SharedDistributorFactory()
    for t in (tenant, other_tenant):
        services.upsert_account_from_feed(organization=t.organization, venue=t.venue, distributor=shared,
                                          account_number="1")  # fmt: skip

    with tenant_context(organization_id=tenant.organization.pk):
        assert set(DistributorAccount.objects.filter(distributor=shared).values_list("organization", flat=True)) == {
            tenant.organization.pk}  # fmt: skip


def test_an_organization_cannot_write_a_shared_row_or_one_into_another_organization(tenant, other_tenant):
    with tenant_context(organization_id=tenant.organization.pk):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Distributor.objects.create(organization=None, name="Sneaky Shared", slug="sneaky-shared")
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Distributor.objects.create(organization=other_tenant.organization, name="Sneaky", slug="sneaky")


def test_an_organization_cannot_rename_a_shared_row(tenant):
    shared = SharedDistributorFactory(name="Heartland Shared Wholesale")

    with tenant_context(organization_id=tenant.organization.pk):
        # Shared rows are readable but not updatable: the UPDATE matches nothing.
        assert Distributor.objects.filter(pk=shared.pk).exists()
        assert Distributor.objects.filter(pk=shared.pk).update(name="Renamed") == 0

    shared.refresh_from_db()
    assert shared.name == "Heartland Shared Wholesale"


def test_an_organization_cannot_take_over_or_delete_a_shared_row(tenant):
    shared = SharedDistributorFactory(name="Heartland Shared Wholesale")

    with tenant_context(organization_id=tenant.organization.pk):
        with transaction.atomic():
            taken = Distributor.objects.filter(pk=shared.pk).update(organization=tenant.organization)
            transaction.set_rollback(True)
        with transaction.atomic():
            deleted, _ = Distributor.objects.filter(pk=shared.pk).delete()
            transaction.set_rollback(True)

    assert (taken, deleted) == (0, 0)
