"""seed_demo creates its 300 demo items through the Import Wizard's engine, once."""

from __future__ import annotations

import csv
import time
from io import StringIO

import pytest
from django.core.management import call_command

from distributors.models import Distributor
from items.models import ImportJob, Item, ItemIdentifier
from venues.management.commands.seed_demo import FIXTURE, ORG_SLUG
from venues.models import Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_imports_the_demo_items_with_their_iowa_skus_and_a_second_run_changes_nothing():
    with FIXTURE.open(newline="") as handle:
        fixture = list(csv.DictReader(handle))

    started = time.perf_counter()
    call_command("seed_demo", stdout=StringIO())
    first = time.perf_counter() - started
    organization = Organization.objects.get(slug=ORG_SLUG)
    items = Item.objects.filter(organization=organization)
    before = sorted(items.values_list("pk", "updated_at"))
    out = StringIO()
    call_command("seed_demo", stdout=out)

    abd = Distributor.objects.get(organization=None, code="IA-ABD")
    assert items.count() == len(fixture) == 300
    skus = set(ItemIdentifier.objects.filter(organization=organization, kind="sku", distributor=abd)
               .values_list("value", flat=True))  # fmt: skip
    assert skus == {row["Item Number"] for row in fixture}
    silver = items.get(name="1800 Silver", size_label="750ML")
    assert (silver.producer, silver.preferred_distributor, str(silver.cost_per_unit)) == ("Proximo", abd, "16.5000")
    assert ImportJob.objects.filter(organization=organization, source="demo", status="committed").count() == 1
    assert sorted(items.values_list("pk", "updated_at")) == before
    assert "already present; unchanged." in out.getvalue()
    assert first < 30
