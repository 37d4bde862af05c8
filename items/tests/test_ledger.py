"""The stock ledger services: movements, levels, transfers, write-offs, quarantine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import ProgrammingError, transaction

from inventory_site.errors import PermissionDenied
from items.errors import InsufficientStock, ItemsError
from items.models import StockLevel, StockMovement
from items.services import ledger
from items.services.catalog import create_item
from venues import services as venue_services
from venues.models import AuditLogEntry, StorageArea

pytestmark = pytest.mark.django_db

Kind = StockMovement.Kind


@pytest.fixture
def titos(tenant):
    item, _ = create_item(actor=tenant.admin, organization=tenant.organization, name="Tito's Handmade Vodka",
                          size="750ML")  # fmt: skip
    return item


@pytest.fixture
def main(tenant):
    return tenant.venue.storage_areas.get(is_primary=True)


@pytest.fixture
def back_bar(tenant):
    return venue_services.create_storage_area(actor=tenant.admin, organization=tenant.organization,
                                              venue=tenant.venue, name="Back bar")  # fmt: skip


def receive(tenant, item, area, quantity):
    movement, _ = ledger.record_movement(organization=tenant.organization, item=item, storage_area=area,
                                         quantity=quantity, kind=Kind.RECEIPT, actor=tenant.manager)  # fmt: skip
    return movement


def level(item, area) -> Decimal | None:
    row = StockLevel.objects.filter(item=item, storage_area=area).first()
    return None if row is None else row.quantity


# --- record_movement --------------------------------------------------------------------------


def test_a_movement_is_appended_and_the_level_follows_it(tenant, titos, main):
    movement, new_level = ledger.record_movement(
        organization=tenant.organization, item=titos, storage_area=main, quantity="12", kind=Kind.RECEIPT,
        business_date=date(2024, 3, 1), actor=tenant.manager, source_type="invoice", source_id=17,
    )  # fmt: skip
    _, after_sale = ledger.record_movement(organization=tenant.organization, item=titos, storage_area=main,
                                           quantity=Decimal("-0.4"), kind=Kind.SALE)  # fmt: skip

    assert new_level == 12 and after_sale == Decimal("11.6")
    assert level(titos, main) == Decimal("11.6")
    movement.refresh_from_db()
    assert (movement.quantity, movement.kind, movement.business_date) == (12, Kind.RECEIPT, date(2024, 3, 1))
    assert (movement.source_type, movement.source_id, movement.actor) == ("invoice", "17", tenant.manager)
    assert ledger.find_ledger_mismatches(organization=tenant.organization) == []


def test_a_movement_of_zero_is_refused(tenant, titos, main):
    with pytest.raises(ItemsError, match="quantity other than zero"):
        ledger.record_movement(organization=tenant.organization, item=titos, storage_area=main, quantity=0,
                               kind=Kind.CORRECTION)  # fmt: skip

    assert not StockMovement.objects.exists()


def test_an_item_of_another_organization_is_refused(tenant, other_tenant, main):
    theirs, _ = create_item(actor=other_tenant.admin, organization=other_tenant.organization, name="Rye", size="1L")

    with pytest.raises(ItemsError, match="must belong to this organization"):
        ledger.record_movement(organization=tenant.organization, item=theirs, storage_area=main, quantity=1,
                               kind=Kind.RECEIPT)  # fmt: skip

    assert not StockMovement.objects.exists()


def test_taking_more_than_is_there_raises_and_writes_nothing(tenant, titos, back_bar):
    receive(tenant, titos, back_bar, 2)

    with pytest.raises(InsufficientStock) as raised:
        ledger.record_movement(organization=tenant.organization, item=titos, storage_area=back_bar, quantity=-5,
                               kind=Kind.WRITE_OFF, reason="broken")  # fmt: skip

    assert str(raised.value) == "Only 2 of Tito's Handmade Vodka 750ML in Back bar; cannot take 5."
    assert level(titos, back_bar) == 2
    assert list(StockMovement.objects.values_list("kind", flat=True)) == [Kind.RECEIPT]


def test_sales_and_counts_may_leave_a_level_below_zero(tenant, titos, main):
    """A sale can be recorded before the invoice that brought the stock; the UI flags it."""
    _, new_level = ledger.record_movement(organization=tenant.organization, item=titos, storage_area=main,
                                          quantity=-3, kind=Kind.SALE)  # fmt: skip

    assert new_level == -3 and level(titos, main) == -3


def test_a_movement_cannot_be_changed_or_deleted(tenant, titos, main):
    movement = receive(tenant, titos, main, 6)

    with pytest.raises(ProgrammingError, match="Cannot update rows"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=60)
    with pytest.raises(ProgrammingError, match="Cannot delete rows"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()

    movement.refresh_from_db()
    assert movement.quantity == 6


def test_only_the_item_of_a_movement_may_be_re_pointed_as_a_merge_does(tenant, titos, main):
    movement = receive(tenant, titos, main, 6)
    survivor, _ = create_item(actor=tenant.admin, organization=tenant.organization, name="Tito's Vodka", size="750ML")

    StockMovement.objects.filter(pk=movement.pk).update(item=survivor)

    movement.refresh_from_db()
    assert movement.item == survivor


# --- transfers --------------------------------------------------------------------------------


def test_a_transfer_writes_two_linked_movements_and_an_audit_entry(tenant, titos, main, back_bar):
    receive(tenant, titos, main, 10)

    transfer = ledger.transfer_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                     from_area=main, to_area=back_bar, quantity="2.5", reason="restock the bar")  # fmt: skip

    assert level(titos, main) == Decimal("7.5") and level(titos, back_bar) == Decimal("2.5")
    assert (transfer.out.kind, transfer.out.quantity) == (Kind.TRANSFER_OUT, Decimal("-2.5"))
    assert (transfer.into.kind, transfer.into.quantity) == (Kind.TRANSFER_IN, Decimal("2.5"))
    assert transfer.out.source_id == transfer.into.source_id == transfer.reference
    assert transfer.out.reason == "restock the bar"
    entry = AuditLogEntry.objects.get(action="stock.transferred")
    assert entry.actor == tenant.staff
    assert "2.5 of Tito's Handmade Vodka 750ML moved from" in entry.summary and "restock the bar" in entry.summary


def test_a_transfer_to_another_venue_moves_stock_between_venues(tenant, titos, main):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio",
                                        state="IA")  # fmt: skip
    patio_main = patio.storage_areas.get(is_primary=True)
    receive(tenant, titos, main, 4)

    ledger.transfer_stock(actor=tenant.manager, organization=tenant.organization, item=titos, from_area=main,
                          to_area=patio_main, quantity=4)  # fmt: skip

    assert level(titos, main) == 0 and level(titos, patio_main) == 4


def test_a_transfer_of_more_than_is_there_writes_nothing(tenant, titos, main, back_bar):
    receive(tenant, titos, back_bar, 2)

    with pytest.raises(InsufficientStock, match="Only 2 of Tito's Handmade Vodka 750ML in Back bar; cannot take 5"):
        ledger.transfer_stock(actor=tenant.manager, organization=tenant.organization, item=titos,
                              from_area=back_bar, to_area=main, quantity=5)  # fmt: skip

    assert level(titos, back_bar) == 2 and not level(titos, main)
    assert StockMovement.objects.count() == 1
    assert not AuditLogEntry.objects.filter(action="stock.transferred").exists()


@pytest.mark.parametrize(("quantity", "message"), [(0, "greater than zero"), (-1, "greater than zero")])
def test_a_transfer_needs_a_positive_quantity(tenant, titos, main, back_bar, quantity, message):
    with pytest.raises(ItemsError, match=message):
        ledger.transfer_stock(actor=tenant.manager, organization=tenant.organization, item=titos, from_area=main,
                              to_area=back_bar, quantity=quantity)  # fmt: skip


def test_a_transfer_needs_two_different_areas(tenant, titos, main):
    receive(tenant, titos, main, 3)

    with pytest.raises(ItemsError, match="two different storage areas"):
        ledger.transfer_stock(actor=tenant.manager, organization=tenant.organization, item=titos, from_area=main,
                              to_area=main, quantity=1)  # fmt: skip


def test_an_outsider_cannot_transfer_stock(tenant, other_tenant, titos, main, back_bar):
    receive(tenant, titos, main, 3)

    with pytest.raises(PermissionDenied):
        ledger.transfer_stock(actor=other_tenant.admin, organization=tenant.organization, item=titos,
                              from_area=main, to_area=back_bar, quantity=1)  # fmt: skip

    assert level(titos, main) == 3


# --- write-offs ---------------------------------------------------------------------------------


def test_a_write_off_takes_stock_out_with_its_reason(tenant, titos, back_bar):
    receive(tenant, titos, back_bar, 3)

    movement = ledger.write_off_stock(actor=tenant.manager, organization=tenant.organization, item=titos,
                                      storage_area=back_bar, quantity="0.5", reason="  spilled  ")  # fmt: skip

    assert (movement.kind, movement.quantity, movement.reason) == (Kind.WRITE_OFF, Decimal("-0.5"), "spilled")
    assert level(titos, back_bar) == Decimal("2.5")
    entry = AuditLogEntry.objects.get(action="stock.written_off")
    assert entry.summary == "0.5 of Tito's Handmade Vodka 750ML written off in Copper Tap Group Bar — Back bar: spilled"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_write_off_needs_a_reason(tenant, titos, back_bar, reason):
    receive(tenant, titos, back_bar, 3)

    with pytest.raises(ItemsError, match="Say why the stock is written off"):
        ledger.write_off_stock(actor=tenant.manager, organization=tenant.organization, item=titos,
                               storage_area=back_bar, quantity=1, reason=reason)  # fmt: skip

    assert level(titos, back_bar) == 3


def test_staff_may_not_write_off_stock(tenant, titos, back_bar):
    receive(tenant, titos, back_bar, 3)

    with pytest.raises(PermissionDenied):
        ledger.write_off_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                               storage_area=back_bar, quantity=1, reason="broken")  # fmt: skip

    assert level(titos, back_bar) == 3


def test_a_write_off_of_more_than_is_there_writes_nothing(tenant, titos, back_bar):
    receive(tenant, titos, back_bar, 2)

    with pytest.raises(InsufficientStock, match="Only 2 of Tito's Handmade Vodka 750ML in Back bar; cannot take 5"):
        ledger.write_off_stock(actor=tenant.manager, organization=tenant.organization, item=titos,
                               storage_area=back_bar, quantity=5, reason="broken")  # fmt: skip

    assert level(titos, back_bar) == 2
    assert not AuditLogEntry.objects.filter(action="stock.written_off").exists()


# --- quarantine ---------------------------------------------------------------------------------


def test_quarantine_moves_stock_into_the_venues_quarantine_area_created_on_first_use(tenant, titos, main):
    receive(tenant, titos, main, 6)

    held = ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                   storage_area=main, quantity=2, reason="recall notice")  # fmt: skip
    ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                            storage_area=main, quantity=1, reason="damaged case")  # fmt: skip

    quarantine = StorageArea.objects.get(venue=tenant.venue, is_quarantine=True)
    assert quarantine.name == "Quarantine"
    assert level(titos, main) == 3 and level(titos, quarantine) == 3
    assert held.out.kind == held.into.kind == Kind.QUARANTINE
    assert held.into.storage_area == quarantine and held.out.reason == "recall notice"
    assert AuditLogEntry.objects.filter(action="stock.transferred", summary__contains="recall notice").exists()


def test_quarantine_needs_a_reason(tenant, titos, main):
    receive(tenant, titos, main, 6)

    with pytest.raises(ItemsError, match="Say why the stock is quarantined"):
        ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                storage_area=main, quantity=2, reason="")  # fmt: skip

    assert level(titos, main) == 6


def test_stock_already_in_quarantine_cannot_be_quarantined_again(tenant, titos, main):
    receive(tenant, titos, main, 6)
    held = ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                   storage_area=main, quantity=2, reason="recall")  # fmt: skip

    with pytest.raises(ItemsError, match="already in quarantine"):
        ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                storage_area=held.into.storage_area, quantity=1, reason="recall")  # fmt: skip


def test_quarantining_more_than_is_there_writes_nothing(tenant, titos, main):
    receive(tenant, titos, main, 1)

    with pytest.raises(InsufficientStock, match="Only 1 of"):
        ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                storage_area=main, quantity=2, reason="recall")  # fmt: skip

    assert level(titos, main) == 1 and StockMovement.objects.count() == 1


def test_release_puts_quarantined_stock_back(tenant, titos, main, back_bar):
    receive(tenant, titos, main, 6)
    held = ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                   storage_area=main, quantity=4, reason="recall")  # fmt: skip
    quarantine = held.into.storage_area

    released = ledger.release_from_quarantine(actor=tenant.manager, organization=tenant.organization, item=titos,
                                              quarantine_area=quarantine, to_area=back_bar, quantity=3)  # fmt: skip

    assert level(titos, quarantine) == 1 and level(titos, back_bar) == 3 and level(titos, main) == 2
    assert released.out.kind == released.into.kind == Kind.RELEASE
    assert released.out.reason == "released from quarantine"


def test_releasing_more_than_is_in_quarantine_writes_nothing(tenant, titos, main):
    receive(tenant, titos, main, 6)
    held = ledger.quarantine_stock(actor=tenant.staff, organization=tenant.organization, item=titos,
                                   storage_area=main, quantity=1, reason="recall")  # fmt: skip
    quarantine = held.into.storage_area

    with pytest.raises(InsufficientStock, match="Only 1 of Tito's Handmade Vodka 750ML in Quarantine; cannot take 3"):
        ledger.release_from_quarantine(actor=tenant.manager, organization=tenant.organization, item=titos,
                                       quarantine_area=quarantine, to_area=main, quantity=3)  # fmt: skip

    assert level(titos, quarantine) == 1 and level(titos, main) == 5


def test_release_only_takes_from_a_quarantine_area(tenant, titos, main, back_bar):
    receive(tenant, titos, main, 6)

    with pytest.raises(ItemsError, match="is not a quarantine area"):
        ledger.release_from_quarantine(actor=tenant.manager, organization=tenant.organization, item=titos,
                                       quarantine_area=main, to_area=back_bar, quantity=1)  # fmt: skip


# --- the ledger check ---------------------------------------------------------------------------


def test_find_ledger_mismatches_names_a_level_that_differs_from_its_movements(tenant, other_tenant, titos, main):
    receive(tenant, titos, main, 5)
    theirs, _ = create_item(actor=other_tenant.admin, organization=other_tenant.organization, name="Rye", size="1L")
    receive(other_tenant, theirs, other_tenant.venue.storage_areas.get(), 1)
    StockLevel.objects.filter(item=titos, storage_area=main).update(quantity=7)

    (mismatch,) = ledger.find_ledger_mismatches(organization=tenant.organization)

    assert (mismatch.item_id, mismatch.storage_area_id, mismatch.level, mismatch.movements_total) == (
        titos.pk, main.pk, 7, 5)  # fmt: skip
    assert ledger.find_ledger_mismatches(organization=other_tenant.organization) == []
