"""TenantTask: a task runs with row-level security set to its organization, in a real worker."""

import pytest

from inventory_site.tenancy import current_organization_id, rls_bypass
from tests.celery_tasks import plain_visible_venues_task, system_visible_venues_task, visible_venues_task
from venues.models import Venue

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tenant_task_in_the_worker_sees_only_its_organizations_rows(celery_worker_process, tenant, other_tenant):
    seen_by_a = visible_venues_task.delay(tenant.organization.pk).get(timeout=30)
    seen_by_b = visible_venues_task.delay(organization_id=other_tenant.organization.pk).get(timeout=30)

    assert seen_by_a == {
        "organization_ids": [tenant.organization.pk],
        "venue_names": [tenant.venue.name],
        "tenant_setting": tenant.organization.pk,
    }
    assert seen_by_b["organization_ids"] == [other_tenant.organization.pk]
    assert seen_by_b["venue_names"] == [other_tenant.venue.name]


def test_a_system_task_in_the_worker_sees_every_organization(celery_worker_process, tenant, other_tenant):
    seen = system_visible_venues_task.delay().get(timeout=30)

    assert seen["organization_ids"] == sorted([tenant.organization.pk, other_tenant.organization.pk])
    assert set(seen["venue_names"]) == {tenant.venue.name, other_tenant.venue.name}


def test_a_task_without_the_tenant_base_sees_no_tenant_rows(celery_worker_process, tenant, other_tenant):
    # The worker's connection carries nothing over from the tenant tasks run before it.
    visible_venues_task.delay(tenant.organization.pk).get(timeout=30)

    seen = plain_visible_venues_task.delay().get(timeout=30)

    assert seen == {"organization_ids": [], "venue_names": [], "tenant_setting": None}


def test_a_tenant_task_without_an_organization_fails_loudly(celery_worker_process):
    with pytest.raises(TypeError, match="needs organization_id"):
        visible_venues_task.apply_async(args=[None]).get(timeout=30)


def test_a_tenant_task_run_in_process_restores_the_callers_scope(tenant, other_tenant):
    # Under the test's own bypass (conftest), as a request or another task would call it.
    with rls_bypass("test: the caller's scope"):
        seen = visible_venues_task.apply(args=[tenant.organization.pk]).get()
        assert current_organization_id() is None
        assert Venue.objects.filter(organization=other_tenant.organization).exists()

    assert seen["organization_ids"] == [tenant.organization.pk]


def test_the_test_worker_takes_tasks_from_this_runs_queue(celery_worker_process):
    from inventory_site.tasks import ping_task

    assert ping_task.delay().get(timeout=30) == "pong"
