"""Merging two items and undoing the merge (items/services/merge.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum

from distributors.models import Distributor
from inventory_site.errors import PermissionDenied
from items.models import (
    Item,
    ItemCost,
    ItemIdentifier,
    ItemMerge,
    ItemPar,
    StockCountLine,
    StockLevel,
    StockMovement,
)
from items.services import merge as merge_module
from items.services.catalog import create_item, record_cost, record_identifier, set_par, update_item
from items.services.counts import finish_count, set_count_line, start_count
from items.services.duplicates import dismiss_duplicate
from items.services.ledger import find_ledger_mismatches, record_movement, transfer_stock
from items.services.merge import (
    MergeError,
    default_survivor,
    merge_items,
    preview_merge,
    register_item_reference,
    undo_merge,
)
from venues import services as venue_services
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db

Kind = StockMovement.Kind


def make_item(tenant, name, *, size="750ML", **kwargs) -> Item:
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, size=size,
                          category=Item.Category.SPIRITS, **kwargs)  # fmt: skip
    return item


def receive(tenant, item, area, quantity, *, kind=Kind.RECEIPT):
    record_movement(organization=tenant.organization, item=item, storage_area=area, quantity=quantity, kind=kind,
                    actor=tenant.manager)  # fmt: skip


@pytest.fixture
def areas(tenant):
    main = tenant.venue.storage_areas.get(is_primary=True)
    bar = venue_services.create_storage_area(actor=tenant.admin, organization=tenant.organization,
                                             venue=tenant.venue, name="Back bar")  # fmt: skip
    return main, bar


@pytest.fixture
def distributor(tenant):
    return Distributor.objects.create(organization=tenant.organization, name="Johnson Brothers of Iowa")


@pytest.fixture
def pair(tenant, areas, distributor):
    """The old item (from the Iowa catalog import) and the one a manager created by hand later."""
    main, bar = areas
    org = tenant.organization
    old = make_item(tenant, "JACK DANIELS OLD #7 BLK LBL", upc="82184090510", producer="Brown-Forman",
                    cost_per_unit="21.50", cost_date=date(2024, 3, 1))  # fmt: skip
    update_item(actor=tenant.manager, organization=org, item=old, importer="Brown-Forman Imports",
                preferred_distributor=distributor, proof=Decimal("80"))  # fmt: skip
    record_identifier(organization=org, item=old, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, value="26827",
                      distributor=distributor, source="import")  # fmt: skip
    record_cost(organization=org, item=old, cost_per_unit=Decimal("20.75"), effective_date=date(2023, 11, 1),
                source=Item.CostSource.IMPORT)  # fmt: skip
    receive(tenant, old, main, 10)
    receive(tenant, old, bar, 3)
    set_par(actor=tenant.manager, organization=org, item=old, venue=tenant.venue, par=12)

    new = make_item(tenant, "Jack Daniel's Old No. 7 Black Label", abv=Decimal("40"))
    receive(tenant, new, main, 4)
    old.refresh_from_db()
    new.refresh_from_db()
    return old, new


def merge(tenant, survivor, merged, actor=None):
    return merge_items(actor=actor or tenant.manager, organization=tenant.organization, survivor=survivor, merged=merged)


def stock(item) -> dict[str, Decimal]:
    return {level.storage_area.name: level.quantity for level in StockLevel.objects.filter(item=item)}


def snapshot(organization):
    """Everything a merge must not lose, per item."""
    return {
        "identifiers": sorted(ItemIdentifier.objects.filter(organization=organization).values_list("pk", "item_id")),
        "movements": sorted(StockMovement.objects.filter(organization=organization).values_list("pk", "item_id")),
        "costs": sorted(ItemCost.objects.filter(organization=organization).values_list("pk", "item_id")),
        "pars": sorted(ItemPar.objects.filter(organization=organization).values_list("pk", "item_id", "par")),
        "levels": sorted(StockLevel.objects.filter(organization=organization)
                         .values_list("item_id", "storage_area_id", "quantity")),  # fmt: skip
    }


# --- what moves ---------------------------------------------------------------------------


def test_merging_moves_identifiers_movements_and_cost_history_to_the_survivor(tenant, pair):
    old, new = pair
    old_movements = set(old.movements.values_list("pk", flat=True))
    old_costs = set(old.costs.values_list("pk", flat=True))

    merge(tenant, new, old)

    assert set(new.movements.values_list("pk", flat=True)) >= old_movements
    assert not old.movements.exists()
    assert set(new.costs.values_list("pk", flat=True)) >= old_costs and not old.costs.exists()
    assert {(i.kind, i.value) for i in new.identifiers.all()} == {("upc", "082184090510"), ("sku", "26827")}


def test_stock_levels_are_summed_per_storage_area_and_equal_their_movements(tenant, pair):
    old, new = pair

    merge(tenant, new, old)

    assert stock(new) == {"Main storage": Decimal("14"), "Back bar": Decimal("3")}
    assert stock(old) == {}
    assert find_ledger_mismatches(organization=tenant.organization) == []


def test_nothing_is_lost_the_totals_and_row_counts_are_the_same_after_the_merge(tenant, pair):
    old, new = pair
    org = tenant.organization
    before = snapshot(org)
    total_before = StockLevel.objects.filter(organization=org).aggregate(t=Sum("quantity"))["t"]

    merge(tenant, new, old)

    after = snapshot(org)
    assert StockLevel.objects.filter(organization=org).aggregate(t=Sum("quantity"))["t"] == total_before == 17
    for key in ("identifiers", "movements", "costs", "pars"):
        assert len(after[key]) == len(before[key]), key
        assert {row[0] for row in after[key]} == {row[0] for row in before[key]}, key


def test_the_old_item_is_archived_and_points_at_the_survivor_and_the_merge_is_audited(tenant, pair):
    old, new = pair

    result = merge(tenant, new, old)

    old.refresh_from_db()
    assert old.archived and old.merged_into == new
    assert (result.survivor, result.merged, result.performed_by) == (new, old, tenant.manager)
    entry = AuditLogEntry.objects.get(organization=tenant.organization, action="item.merged")
    assert entry.summary == "Merged JACK DANIELS OLD #7 BLK LBL 750ML into Jack Daniel's Old No. 7 Black Label 750ML"
    assert entry.actor == tenant.manager and entry.object_id == str(new.pk)
    assert entry.changes["moved"]["stock movements"] == 2


def test_blank_survivor_fields_are_filled_from_the_old_item_and_filled_ones_kept(tenant, pair, distributor):
    old, new = pair

    merge(tenant, new, old)

    new.refresh_from_db()
    assert new.upc == "082184090510"
    assert new.producer == "Brown-Forman" and new.importer == "Brown-Forman Imports"
    assert new.preferred_distributor == distributor
    assert new.proof == Decimal("80")
    assert new.abv == Decimal("40")  # the survivor's own value stays
    assert new.name == "Jack Daniel's Old No. 7 Black Label"


def test_the_old_items_cost_comes_along_only_when_it_is_newer(tenant, pair):
    old, new = pair
    record_cost(organization=tenant.organization, item=new, cost_per_unit=Decimal("23.00"),
                effective_date=date(2024, 1, 15), source=Item.CostSource.MANUAL)  # fmt: skip
    older_than_old = make_item(tenant, "Jack Daniel's Old No. 7", size="1L", cost_per_unit="30.00",
                               cost_date=date(2024, 6, 1))  # fmt: skip

    merge(tenant, new, old)  # old's cost is from Mar 1, newer than Jan 15
    new.refresh_from_db()
    assert (new.cost_per_unit, new.cost_date) == (Decimal("21.5"), date(2024, 3, 1))

    newest = make_item(tenant, "Gentleman Jack", cost_per_unit="28.00", cost_date=date(2024, 2, 1))
    merge(tenant, older_than_old, newest)  # Feb 1 is older than Jun 1: the survivor keeps its cost
    older_than_old.refresh_from_db()
    assert (older_than_old.cost_per_unit, older_than_old.cost_date) == (Decimal("30"), date(2024, 6, 1))


def test_the_survivors_par_wins_and_the_old_par_moves_where_the_survivor_has_none(tenant, pair):
    old, new = pair
    org = tenant.organization
    patio = venue_services.create_venue(actor=tenant.admin, organization=org, name="Patio", state="IA")
    set_par(actor=tenant.manager, organization=org, item=new, venue=tenant.venue, par=6)
    old_patio_par = set_par(actor=tenant.manager, organization=org, item=old, venue=patio, par=2)

    merge(tenant, new, old)

    assert {(p.venue.name, p.par) for p in new.pars.all()} == {(tenant.venue.name, Decimal("6")), ("Patio", Decimal("2"))}
    assert new.pars.get(venue=patio).pk == old_patio_par.pk
    # The old item's par where the survivor had one stays with the (archived) old item: not lost.
    assert [p.par for p in old.pars.all()] == [Decimal("12")]


def test_a_code_both_items_carry_stays_on_the_old_item_as_well(tenant, pair):
    old, new = pair
    update_item(actor=tenant.manager, organization=tenant.organization, item=new, upc="082184090510")
    shared = old.identifiers.get(kind="upc")

    record = merge(tenant, new, old)

    assert new.identifiers.filter(kind="upc", value="082184090510").count() == 1
    assert ItemIdentifier.objects.get(pk=shared.pk).item == old
    assert record.moved["references"]["items.ItemIdentifier.item"]["kept"] == [shared.pk]


def test_dismissed_suggestions_of_the_old_item_now_name_the_survivor(tenant, pair):
    old, new = pair
    other = make_item(tenant, "Jim Beam White Label")
    dismissed = dismiss_duplicate(actor=tenant.manager, organization=tenant.organization, item_a=old, item_b=other)

    record = merge(tenant, new, old)

    dismissed.refresh_from_db()
    assert {dismissed.item_low_id, dismissed.item_high_id} == {new.pk, other.pk}
    assert dismissed.item_low_id < dismissed.item_high_id

    undo_merge(actor=tenant.manager, organization=tenant.organization, merge=record)
    dismissed.refresh_from_db()
    assert {dismissed.item_low_id, dismissed.item_high_id} == {old.pk, other.pk}


def test_the_newer_item_is_the_default_survivor(tenant, pair):
    old, new = pair
    assert default_survivor(old, new) == new
    assert default_survivor(new, old) == new


# --- the preview --------------------------------------------------------------------------


def test_the_preview_shows_exactly_what_will_move_and_what_gets_filled(tenant, pair, areas):
    old, new = pair
    main, bar = areas

    preview = preview_merge(organization=tenant.organization, survivor=new, merged=old)

    assert preview.can_merge and preview.problems == []
    assert sorted(i.value for i in preview.identifiers_moving) == ["082184090510", "26827"]
    assert preview.movements == 2
    assert [c.cost_per_unit for c in preview.costs] == [Decimal("21.5"), Decimal("20.75")]
    assert [(p.venue, p.par) for p in preview.pars_moving] == [(tenant.venue, Decimal("12"))]
    rows = {row.storage_area: (row.survivor_before, row.merged, row.after) for row in preview.stock}
    assert rows == {main: (4, 10, 14), bar: (0, 3, 3)}
    assert [f.label for f in preview.fills] == ["UPC", "Producer", "Importer", "Preferred distributor", "Proof", "Cost"]
    summary = {r.key: (r.moving, r.staying) for r in preview.references}
    assert summary["items.StockMovement.item"] == (2, 0)
    # The preview changed nothing.
    assert old.movements.count() == 2 and not Item.objects.get(pk=old.pk).archived


def test_the_preview_warns_when_sizes_differ_and_explains_why_a_merge_is_refused(tenant, pair):
    old, new = pair
    liter = make_item(tenant, "Jack Daniel's Old No. 7", size="1L")

    different_sizes = preview_merge(organization=tenant.organization, survivor=liter, merged=old)
    same = preview_merge(organization=tenant.organization, survivor=new, merged=new)

    assert different_sizes.can_merge
    assert different_sizes.warnings[0].startswith("The sizes differ (750ML and 1L)")
    assert not same.can_merge and same.problems == ["An item cannot be merged into itself; choose two different items."]


# --- refusals -----------------------------------------------------------------------------


def test_merging_an_item_into_itself_is_refused(tenant, pair):
    old, _ = pair
    with pytest.raises(MergeError, match="cannot be merged into itself"):
        merge(tenant, old, old)


def test_archived_and_already_merged_items_cannot_be_merged(tenant, pair):
    old, new = pair
    third = make_item(tenant, "Jack Daniel's Tennessee Honey")
    archived = make_item(tenant, "Old Crow")
    update_item(actor=tenant.manager, organization=tenant.organization, item=archived, archived=True)
    merge(tenant, new, old)

    with pytest.raises(MergeError, match="already merged into another item"):
        merge(tenant, third, old)
    with pytest.raises(MergeError, match="archived; restore it before merging"):
        merge(tenant, third, archived)
    assert not third.movements.exists()


def test_items_of_another_organization_cannot_be_merged(tenant, other_tenant, pair):
    old, _ = pair
    theirs = make_item(other_tenant, "Riverside Private Barrel Rye")

    with pytest.raises(MergeError, match="does not exist in this organization"):
        merge(tenant, old, theirs)
    with pytest.raises(PermissionDenied):
        merge_items(actor=other_tenant.manager, organization=tenant.organization, survivor=old, merged=theirs)
    assert not Item.objects.get(pk=theirs.pk).archived


def test_staff_cannot_merge_or_undo(tenant, pair):
    old, new = pair
    with pytest.raises(PermissionDenied):
        merge(tenant, new, old, actor=tenant.staff)
    record = merge(tenant, new, old, actor=tenant.admin)  # admins may
    with pytest.raises(PermissionDenied):
        undo_merge(actor=tenant.staff, organization=tenant.organization, merge=record)


def test_items_both_on_one_open_count_are_refused_with_the_way_out(tenant, pair, areas):
    old, new = pair
    main, _ = areas
    count = start_count(actor=tenant.staff, organization=tenant.organization, storage_area=main)
    set_count_line(actor=tenant.staff, organization=tenant.organization, count=count, item=old, full_units=9)
    set_count_line(actor=tenant.staff, organization=tenant.organization, count=count, item=new, full_units=4)

    preview = preview_merge(organization=tenant.organization, survivor=new, merged=old)
    with pytest.raises(MergeError, match="Both items are on the open count of .*Main storage.*finish or cancel"):
        merge(tenant, new, old)

    assert preview.problems and "open count" in preview.problems[0]
    assert not Item.objects.get(pk=old.pk).archived


def test_a_count_line_moves_unless_the_survivor_was_counted_on_the_same_count(tenant, pair, areas):
    old, new = pair
    main, bar = areas
    org = tenant.organization
    finished = start_count(actor=tenant.staff, organization=org, storage_area=main)
    set_count_line(actor=tenant.staff, organization=org, count=finished, item=old, full_units=10)
    set_count_line(actor=tenant.staff, organization=org, count=finished, item=new, full_units=4)
    finish_count(actor=tenant.manager, organization=org, count=finished)
    still_open = start_count(actor=tenant.staff, organization=org, storage_area=bar)
    open_line = set_count_line(actor=tenant.staff, organization=org, count=still_open, item=old, full_units=3)

    merge(tenant, new, old)

    assert StockCountLine.objects.get(pk=open_line.pk).item == new
    assert set(StockCountLine.objects.filter(count=finished).values_list("item", flat=True)) == {old.pk, new.pk}


# --- undo ---------------------------------------------------------------------------------


def test_undo_puts_back_exactly_what_was_there(tenant, pair):
    old, new = pair
    org = tenant.organization
    fields_before = {i.pk: {f.attname: getattr(i, f.attname) for f in Item._meta.concrete_fields if f.attname != "updated_at"}
                     for i in (old, new)}  # fmt: skip
    before = snapshot(org)
    record = merge(tenant, new, old)

    undo_merge(actor=tenant.admin, organization=org, merge=record)

    assert snapshot(org) == before
    for item in (old, new):
        item.refresh_from_db()
        assert {f.attname: getattr(item, f.attname) for f in Item._meta.concrete_fields if f.attname != "updated_at"} == fields_before[item.pk]
    record.refresh_from_db()
    assert record.is_undone and record.undone_by == tenant.admin
    entry = AuditLogEntry.objects.get(organization=org, action="item.merge_undone")
    assert entry.summary == f"Undid the merge of {old} into {new}" and entry.actor == tenant.admin


def test_undo_leaves_what_was_added_to_the_survivor_after_the_merge_on_the_survivor(tenant, pair, areas):
    old, new = pair
    main, bar = areas
    org = tenant.organization
    record = merge(tenant, new, old)
    receive(tenant, new, main, 6)  # an invoice after the merge
    transfer_stock(actor=tenant.staff, organization=org, item=new, from_area=main, to_area=bar, quantity=2)
    record_identifier(organization=org, item=new, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, value="99001")

    undo_merge(actor=tenant.manager, organization=org, merge=record)

    assert stock(old) == {"Main storage": Decimal("10"), "Back bar": Decimal("3")}
    assert stock(new) == {"Main storage": Decimal("8"), "Back bar": Decimal("2")}
    assert new.movements.count() == 4 and old.movements.count() == 2
    assert set(new.identifiers.values_list("value", flat=True)) == {"99001"}
    assert find_ledger_mismatches(organization=org) == []


def test_undo_keeps_a_filled_field_someone_changed_since_the_merge(tenant, pair):
    old, new = pair
    record = merge(tenant, new, old)
    update_item(actor=tenant.manager, organization=tenant.organization, item=new, producer="Jack Daniel Distillery")

    undo_merge(actor=tenant.manager, organization=tenant.organization, merge=record)

    new.refresh_from_db()
    assert new.producer == "Jack Daniel Distillery"
    assert new.upc == "" and new.importer == "" and new.proof is None  # untouched fills are undone
    entry = AuditLogEntry.objects.get(organization=tenant.organization, action="item.merge_undone")
    assert "kept the survivor's Producer (changed since the merge)" in entry.summary


def test_undoing_a_merge_twice_is_refused(tenant, pair):
    old, new = pair
    record = merge(tenant, new, old)
    undo_merge(actor=tenant.manager, organization=tenant.organization, merge=record)

    with pytest.raises(MergeError, match="already undone"):
        undo_merge(actor=tenant.manager, organization=tenant.organization, merge=record)
    assert AuditLogEntry.objects.filter(organization=tenant.organization, action="item.merge_undone").count() == 1


def test_an_older_merge_waits_until_the_newer_merge_of_the_same_item_is_undone(tenant, pair):
    old, new = pair
    org = tenant.organization
    newest = make_item(tenant, "Jack Daniel's No. 7 (bar list)")
    first = merge(tenant, new, old)
    second = merge(tenant, newest, new)

    with pytest.raises(MergeError, match="merged into Jack Daniel's No. 7 \\(bar list\\).*undo that newer merge first"):
        undo_merge(actor=tenant.manager, organization=org, merge=first)

    undo_merge(actor=tenant.manager, organization=org, merge=second)
    undo_merge(actor=tenant.manager, organization=org, merge=first)
    assert stock(old) == {"Main storage": Decimal("10"), "Back bar": Decimal("3")}
    assert stock(new) == {"Main storage": Decimal("4")} and stock(newest) == {}
    assert not ItemMerge.objects.filter(organization=org, undone_at=None).exists()


def test_a_merge_of_another_organization_cannot_be_undone(tenant, other_tenant, pair):
    old, new = pair
    record = merge(tenant, new, old)

    with pytest.raises(MergeError, match="does not exist in this organization"):
        undo_merge(actor=other_tenant.manager, organization=other_tenant.organization, merge=record)
    assert not ItemMerge.objects.get(pk=record.pk).is_undone


# --- the registry ---------------------------------------------------------------------------


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry the test may change; the real one is restored afterwards."""
    monkeypatch.setattr(merge_module, "_REGISTRY", dict(merge_module._REGISTRY))
    return merge_module._REGISTRY


def test_a_reference_another_app_registers_moves_with_the_merge_and_back_with_the_undo(tenant, pair, registry):
    old, new = pair
    # Stand in for e.g. invoices.InvoiceLine: take the cost history out and register it the way another app would.
    merge_module.unregister_item_reference("items.ItemCost", "item")
    register_item_reference("items.ItemCost", "item", label="invoice lines")
    lines = set(old.costs.values_list("pk", flat=True))

    preview = preview_merge(organization=tenant.organization, survivor=new, merged=old)
    record = merge(tenant, new, old)

    assert {(r.label, r.moving) for r in preview.references} >= {("invoice lines", 2)}
    assert set(new.costs.values_list("pk", flat=True)) == lines
    assert record.moved["references"]["items.ItemCost.item"]["moved"] == sorted(lines)
    undo_merge(actor=tenant.manager, organization=tenant.organization, merge=record)
    assert set(old.costs.values_list("pk", flat=True)) == lines and not new.costs.exists()


def test_a_registered_reference_may_refuse_a_merge_and_move_rows_its_own_way(tenant, pair, registry):
    old, new = pair
    calls = []

    def on_merge(ctx, plan):
        calls.append(("merge", ctx.survivor.pk, ctx.merged.pk, plan.move_ids))
        return {"moved": plan.move_ids, "note": "custom"}

    def on_undo(ctx, record):
        calls.append(("undo", record["note"]))

    register_item_reference("items.ItemMerge", "survivor", label="merge history (test)", on_merge=on_merge,
                            on_undo=on_undo, check=lambda ctx: ["Channel mapping pending."] if ctx.merged.proof else [])  # fmt: skip

    with pytest.raises(MergeError, match="Channel mapping pending."):
        merge(tenant, new, old)
    update_item(actor=tenant.manager, organization=tenant.organization, item=old, proof=None)
    record = merge(tenant, new, old)
    undo_merge(actor=tenant.manager, organization=tenant.organization, merge=record)

    assert calls == [("merge", new.pk, old.pk, []), ("undo", "custom")]


def test_a_registration_needs_both_hooks_and_a_foreign_key_to_item(tenant, pair, registry):
    old, new = pair
    with pytest.raises(ImproperlyConfigured, match="give both on_merge and on_undo"):
        register_item_reference("items.ItemPar", "item", on_merge=lambda ctx, plan: {})

    register_item_reference("items.ItemPar", "venue", label="wrong")
    with pytest.raises(ImproperlyConfigured, match="items.ItemPar.venue .* no foreign key to Item"):
        merge(tenant, new, old)
