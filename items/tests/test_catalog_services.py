"""Creating and changing items: sizes, codes, identifiers history and cost history."""

from datetime import date
from decimal import Decimal

import pytest

from distributors.models import Distributor
from inventory_site.errors import PermissionDenied
from items.errors import ItemsError
from items.models import Item, ItemCost, ItemIdentifier
from items.services.catalog import create_item, record_cost, record_identifier, set_par, update_item
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def _item(tenant, **kwargs):
    defaults = {"name": "Jack Daniel's Old No. 7", "size": "750ML", "category": Item.Category.SPIRITS}
    defaults.update(kwargs)
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, **defaults)
    return item


def test_a_new_item_reads_its_size_and_normalizes_it_to_millilitres(tenant):
    item = _item(tenant, size="1.75 LTR")
    assert (item.size_label, item.size_ml, item.size_unit) == ("1.75L", Decimal("1750"), "l")
    assert item.name_key == "JACK DANIELS OLD NUMBER 7"


def test_a_keg_size_is_kept_as_a_barrel_fraction(tenant):
    item = _item(tenant, name="Pilsner", size="1/6 BBL", category=Item.Category.BEER)
    assert item.size_label == "1/6 BBL" and item.size_unit == "bbl"


def test_a_size_that_cannot_be_read_is_refused_with_the_reason(tenant):
    with pytest.raises(ItemsError, match="Size 'big' is not a size"):
        _item(tenant, size="big")
    assert not Item.objects.filter(organization=tenant.organization).exists()


def test_a_wrong_upc_check_digit_is_kept_with_a_warning_not_rejected(tenant):
    item, warnings = create_item(actor=tenant.manager, organization=tenant.organization, name="Odd code",
                                 size="750ML", upc="082184090511")  # fmt: skip
    assert item.upc == "082184090511"
    assert "wrong check digit" in item.upc_warning and warnings == [item.upc_warning]
    assert ItemIdentifier.objects.filter(item=item, kind="upc", value="082184090511").exists()


def test_an_eleven_digit_upc_gets_its_leading_zero_back(tenant):
    item = _item(tenant, upc="82184090510")
    assert item.upc == "082184090510" and item.upc_warning == ""


def test_staff_cannot_create_items(tenant):
    with pytest.raises(PermissionDenied):
        create_item(actor=tenant.staff, organization=tenant.organization, name="Nope", size="750ML")


def test_a_changed_distributor_sku_keeps_the_old_one_in_history(tenant):
    item = _item(tenant)
    distributor = Distributor.objects.create(name="Test Wholesale", slug="test-wholesale")
    record_identifier(organization=tenant.organization, item=item, kind="sku", value="26826", distributor=distributor)
    record_identifier(organization=tenant.organization, item=item, kind="sku", value="926826",
                      distributor=distributor, replaces_previous=True)  # fmt: skip
    skus = {i.value: i.is_current for i in ItemIdentifier.objects.filter(item=item, kind="sku")}
    assert skus == {"26826": False, "926826": True}


def test_seeing_an_identifier_again_only_moves_its_last_seen(tenant):
    item = _item(tenant)
    first = record_identifier(organization=tenant.organization, item=item, kind="sku", value="1")
    again = record_identifier(organization=tenant.organization, item=item, kind="sku", value="1")
    again.refresh_from_db()
    assert first.pk == again.pk and again.last_seen >= first.last_seen
    assert ItemIdentifier.objects.filter(item=item, kind="sku").count() == 1


def test_an_older_cost_goes_to_history_without_replacing_a_newer_current_cost(tenant):
    item = _item(tenant)
    record_cost(organization=tenant.organization, item=item, cost_per_unit=Decimal("20.00"),
                effective_date=date(2022, 10, 1), source="invoice", source_ref="INV-2")  # fmt: skip
    record_cost(organization=tenant.organization, item=item, cost_per_unit=Decimal("18.50"),
                effective_date=date(2022, 9, 1), source="invoice", source_ref="INV-1")  # fmt: skip
    item.refresh_from_db()
    assert item.cost_per_unit == Decimal("20.00") and item.cost_source_ref == "INV-2"
    assert ItemCost.objects.filter(item=item).count() == 2


def test_the_case_cost_follows_from_the_unit_cost_and_the_pack(tenant):
    item = _item(tenant, units_per_case=12, cost_per_unit="15.25")
    assert item.cost_per_case is None  # the returned instance predates the cost update
    item.refresh_from_db()
    assert (item.cost_per_unit, item.cost_per_case, item.cost_source) == (Decimal("15.25"), Decimal("183.00"), "manual")


def test_updating_an_item_audits_the_changed_fields_only(tenant):
    item = _item(tenant)
    update_item(actor=tenant.manager, organization=tenant.organization, item=item, producer="Brown-Forman")
    entry = AuditLogEntry.objects.filter(organization=tenant.organization, action="item.updated").get()
    assert set(entry.changes) == {"producer"}
    update_item(actor=tenant.manager, organization=tenant.organization, item=item, producer="Brown-Forman")
    assert AuditLogEntry.objects.filter(organization=tenant.organization, action="item.updated").count() == 1


def test_a_par_can_be_set_and_cleared_per_venue(tenant):
    item = _item(tenant)
    par = set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par="6")
    assert par.par == Decimal("6")
    assert set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par="") is None
    assert not item.pars.exists()
