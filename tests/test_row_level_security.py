"""PostgreSQL row-level security is the backstop behind organization-scoped queries."""

import pytest
from django.db import connection

from inventory_site.rls import POLICY_NAME, tenant_models
from inventory_site.tenancy import rls_bypass, tenant_context
from venues.models import AuditLogEntry, Membership, Organization, StorageArea, Venue

pytestmark = pytest.mark.django_db


def test_the_app_connects_as_a_role_that_row_level_security_applies_to():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, is_superuser, bypasses = cursor.fetchone()
    assert user == "backstock_app"
    assert not is_superuser and not bypasses


def test_with_no_organization_set_the_app_role_sees_no_tenant_rows(tenant, other_tenant):
    with tenant_context(organization_id=None):
        assert Venue.objects.count() == 0
        assert StorageArea.objects.count() == 0
        assert Organization.objects.count() == 0
        assert Membership.objects.count() == 0
        assert AuditLogEntry.objects.count() == 0


def test_with_organization_a_set_only_a_rows_are_visible(tenant, other_tenant):
    with tenant_context(organization_id=tenant.organization.pk):
        assert set(Venue.objects.values_list("organization_id", flat=True)) == {tenant.organization.pk}
        assert list(Organization.objects.values_list("pk", flat=True)) == [tenant.organization.pk]
        assert not StorageArea.objects.filter(venue=other_tenant.venue).exists()
        # Even an unscoped lookup by B's primary key finds nothing.
        assert not Venue.objects.filter(pk=other_tenant.venue.pk).exists()


def test_rows_cannot_be_written_into_another_organization(tenant, other_tenant):
    from django.db import DatabaseError, transaction

    with tenant_context(organization_id=tenant.organization.pk):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            StorageArea.objects.create(organization=other_tenant.organization, venue=other_tenant.venue, name="Sneaky")
        # An UPDATE of B's rows silently matches nothing.
        assert Venue.objects.filter(pk=other_tenant.venue.pk).update(name="Hijacked") == 0
    other_tenant.venue.refresh_from_db()
    assert other_tenant.venue.name != "Hijacked"


def test_a_user_sees_their_own_memberships_in_every_organization_before_choosing_one(tenant, other_tenant):
    from venues.models import Membership

    Membership.objects.create(organization=other_tenant.organization, user=tenant.staff, role="staff")
    with tenant_context(organization_id=None, user_id=tenant.staff.pk):
        mine = set(Membership.objects.values_list("organization_id", flat=True))
        orgs = set(Organization.objects.values_list("pk", flat=True))
    assert mine == orgs == {tenant.organization.pk, other_tenant.organization.pk}


def test_the_explicit_bypass_sees_every_organization(tenant, other_tenant):
    with tenant_context(organization_id=None), rls_bypass("test: system job"):
        assert Organization.objects.count() >= 2


def test_every_tenant_table_has_row_level_security_and_the_policy():
    tables = [model._meta.db_table for model in tenant_models()]
    assert "venues_venue" in tables and "items_item" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(%s) AND c.relrowsecurity", [tables]
        )
        protected = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [POLICY_NAME])
        with_policy = {row[0] for row in cursor.fetchall()}
    assert protected == set(tables)
    assert with_policy >= set(tables)
