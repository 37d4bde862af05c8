"""`manage.py check_stock_ledger`: names every level that differs from its movements, exits 1."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from items.models import StockLevel, StockMovement
from items.services import ledger
from items.services.catalog import create_item
from venues import services as venue_services

ROOT = Path(__file__).resolve().parents[2]


def stocked(tenant, name: str, quantity=5, *, area=None):
    item, _ = create_item(actor=tenant.admin, organization=tenant.organization, name=name, size="750ML")
    area = area or tenant.venue.storage_areas.get(is_primary=True)
    ledger.record_movement(organization=tenant.organization, item=item, storage_area=area, quantity=quantity,
                           kind=StockMovement.Kind.RECEIPT)  # fmt: skip
    return item, area


def corrupt(item, area, quantity) -> None:
    """What a bug or a hand-edit would do: levels are not protected by a trigger, movements are."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE items_stocklevel SET quantity = %s WHERE item_id = %s AND storage_area_id = %s",
                       [quantity, item.pk, area.pk])  # fmt: skip


def run(*args) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("check_stock_ledger", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.mark.django_db
def test_a_consistent_ledger_prints_one_ok_line(tenant, other_tenant):
    stocked(tenant, "Tito's Handmade Vodka")
    stocked(other_tenant, "Old Overholt Rye", 3)

    out, error = run()

    assert error is None
    assert out.strip().splitlines() == [
        "Stock ledger OK: 2 level(s) in 2 organization(s) match the sum of their 2 movement(s)."
    ]


@pytest.mark.django_db
def test_a_corrupted_level_is_named_and_the_command_fails(tenant, other_tenant):
    titos, main = stocked(tenant, "Tito's Handmade Vodka", 5)
    back_bar = venue_services.create_storage_area(actor=tenant.admin, organization=tenant.organization,
                                                  venue=tenant.venue, name="Back bar")  # fmt: skip
    rye, theirs = stocked(other_tenant, "Old Overholt Rye", 3)
    stocked(tenant, "Fine Item", 2, area=back_bar)
    corrupt(titos, main, 7)
    corrupt(rye, theirs, "2.5")

    out, error = run()

    assert error is not None and error.returncode == 1
    assert str(error) == "2 stock levels differ from the sum of their movements."
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("MISMATCH Riverside Spirits")  # ordered by organization
    assert lines[0] == (
        f"MISMATCH Copper Tap Group ({tenant.organization.slug}): item Tito's Handmade Vodka 750ML (id {titos.pk}), "
        f"storage area Copper Tap Group Bar — Main storage (id {main.pk}): level 7 but movements sum to 5 (off by +2)"
    )
    assert f"item Old Overholt Rye 750ML (id {rye.pk})" in lines[1] and "level 2.5 but movements sum to 3" in lines[1]


@pytest.mark.django_db
def test_a_missing_level_row_is_a_mismatch_too(tenant):
    titos, main = stocked(tenant, "Tito's Handmade Vodka", 5)
    StockLevel.objects.filter(item=titos).delete()

    out, error = run()

    assert error is not None
    assert "no level row but movements sum to 5" in out


@pytest.mark.django_db
def test_org_checks_only_that_organization(tenant, other_tenant):
    stocked(tenant, "Tito's Handmade Vodka")
    rye, theirs = stocked(other_tenant, "Old Overholt Rye", 3)
    corrupt(rye, theirs, 9)

    ours, our_error = run("--org", tenant.organization.slug)
    theirs_out, their_error = run("--org", other_tenant.organization.slug)

    assert our_error is None
    assert ours.strip() == (f"Stock ledger OK: 1 level(s) in organization Copper Tap Group ({tenant.organization.slug}) "
                            f"match the sum of their 1 movement(s).")  # fmt: skip
    assert their_error is not None and "Old Overholt Rye" in theirs_out and "Tito" not in theirs_out


@pytest.mark.django_db
def test_an_unknown_org_slug_is_an_error():
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        call_command("check_stock_ledger", "--org", "nope")


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_from_the_shell_naming_the_level(tenant):
    """The real thing, as cron or CI runs it: a separate process on the (committed) test database."""
    from conftest import _database_url_for

    titos, main = stocked(tenant, "Tito's Handmade Vodka", 5)
    corrupt(titos, main, 4)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inventory_site.test_settings",
           "DATABASE_URL": _database_url_for(connection.settings_dict)}  # fmt: skip

    broken = subprocess.run([sys.executable, "manage.py", "check_stock_ledger"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    corrupt(titos, main, 5)
    fixed = subprocess.run([sys.executable, "manage.py", "check_stock_ledger"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip

    assert broken.returncode == 1, broken.stderr
    assert f"item Tito's Handmade Vodka 750ML (id {titos.pk})" in broken.stdout
    assert "level 4 but movements sum to 5" in broken.stdout
    assert "1 stock level differs from the sum of its movements." in broken.stderr
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.startswith("Stock ledger OK: 1 level(s)")
