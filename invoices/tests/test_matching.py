"""Linking invoice lines to items: SKU, then UPC + size + names, then name + size + pack."""

from __future__ import annotations

from decimal import Decimal

import pytest

from distributors.models import Distributor
from inventory_site.tenancy import tenant_context
from invoices.feeds.document import ParsedLine
from invoices.matching import match_line, names_compatible
from items.models import Item, ItemIdentifier
from items.normalize import name_key
from items.services.catalog import create_item, record_identifier

pytestmark = pytest.mark.django_db


@pytest.fixture
def distributor(db):
    return Distributor.objects.create(name="Hawkeye Wine & Spirits", slug="hawkeye")


def make(tenant, name, size="750ML", upc="", pack=12):
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, size=size, upc=upc,
                          units_per_case=pack)  # fmt: skip
    return item


def sku(tenant, item, value, distributor):
    record_identifier(organization=tenant.organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                      value=value, distributor=distributor)  # fmt: skip


def line(description, *, sku="", upc="", size="", pack=12, volume_ml=None):
    return ParsedLine(line_number=1, distributor_sku=sku, upc=upc, description=description, size=size,
                      units_per_case=pack, volume_ml=volume_ml)  # fmt: skip


def match(tenant, distributor, parsed, cache=None):
    with tenant_context(organization_id=tenant.organization.pk):
        return match_line(organization=tenant.organization, distributor=distributor, line=parsed,
                          candidates_cache=cache)  # fmt: skip


def test_links_by_the_distributors_sku(tenant, distributor):
    item = make(tenant, "Tito's Handmade Vodka")
    sku(tenant, item, "38176", distributor)
    result = match(tenant, distributor, line("TITOS HANDMADE VODKA", sku="38176", size="750ML"))
    assert (result.item, result.method, result.score) == (item, "sku", 100.0)
    assert "38176" in result.reason


def test_sku_of_another_distributor_does_not_link(tenant, distributor):
    other = Distributor.objects.create(name="Johnson Brothers", slug="johnson")
    item = make(tenant, "Tito's Handmade Vodka", size="1L")
    sku(tenant, item, "38176", other)
    result = match(tenant, distributor, line("SOMETHING ELSE ENTIRELY", sku="38176", size="750ML"))
    assert result.item is None and result.method == "none"


def test_upc_with_same_size_and_agreeing_names_links(tenant, distributor):
    item = make(tenant, "Jack Daniel's Old No. 7 Black Label", upc="082184090510")
    result = match(tenant, distributor, line("JACK DANIELS OLD #7 BLK LBL", upc="82184090510", size="750ML", pack=None))
    assert (result.item, result.method) == (item, "upc")
    assert "UPC 082184090510" in result.reason


def test_same_upc_other_size_does_not_link(tenant, distributor):
    make(tenant, "Jack Daniel's Old No. 7 Black Label", size="375ML", upc="082184090510")
    result = match(tenant, distributor, line("JACK DANIELS OLD #7 BLACK LABEL", upc="82184090510", size="750ML"))
    assert result.item is None


def test_same_upc_same_size_other_product_does_not_link(tenant, distributor):
    make(tenant, "Captain Morgan White", upc="087000007284")
    result = match(tenant, distributor, line("CAPTAIN MORGAN COCONUT", upc="087000007284", size="750ML"))
    assert result.item is None
    assert "UPC" in result.reason


def test_line_without_a_size_never_links_on_upc(tenant, distributor):
    make(tenant, "Captain Morgan White", upc="087000007284")
    result = match(tenant, distributor, line("CAPTAIN MORGAN WHITE", upc="087000007284"))
    assert result.item is None


def test_name_link_with_abbreviations_and_size_in_the_description(tenant, distributor):
    item = make(tenant, "Jack Daniel's Old No. 7 Black Label", size="750ML")
    make(tenant, "Jack Daniel's Old No. 7 Black Label", size="1L")
    make(tenant, "Jack Daniel's Tennessee Honey", size="750ML")
    result = match(tenant, distributor, line("JACK DANIELS OLD #7 BLK LBL 750ML"))
    assert (result.item, result.method) == (item, "name")
    assert result.score >= 85 and "score" in result.reason


def test_name_link_with_word_order_and_a_shorter_venue_name(tenant, distributor):
    item = make(tenant, "Pendleton Whisky")
    result = match(tenant, distributor, line("PENDLETON CANADIAN WHSKY", size="750ML"))
    assert result.item == item


def test_two_sizes_never_link(tenant, distributor):
    make(tenant, "Jack Daniel's Old No. 7 Black Label", size="1.75L")
    result = match(tenant, distributor, line("JACK DANIELS OLD #7 BLACK LABEL", size="750ML"))
    assert result.item is None


def test_two_flavors_never_link(tenant, distributor):
    make(tenant, "Crown Royal Regal Apple")
    make(tenant, "Captain Morgan White")
    assert match(tenant, distributor, line("CROWN ROYAL PEACH", size="750ML")).item is None
    assert match(tenant, distributor, line("CROWN ROYAL", size="750ML")).item is None
    assert match(tenant, distributor, line("CAPTAIN MORGAN COCONUT", size="750ML")).item is None


def test_age_statements_never_link(tenant, distributor):
    make(tenant, "Glenlivet 12 Year")
    assert match(tenant, distributor, line("GLENLIVET 15YR", size="750ML")).item is None
    assert match(tenant, distributor, line("GLENLIVET 12YR", size="750ML")).item is not None


def test_pack_formats_never_link(tenant, distributor):
    make(tenant, "Fireball Cinnamon Whisky", size="50ML", pack=120)
    assert match(tenant, distributor, line("FIREBALL CINNAMON WHISKY", size="50ML", pack=10)).item is None


def test_ambiguous_names_do_not_link(tenant, distributor):
    make(tenant, "1800 Silver")
    make(tenant, "1800 Silver")  # the same product twice (Iowa's 87513 and 987513): don't guess
    result = match(tenant, distributor, line("1800 SILVER", size="750ML"))
    assert result.item is None and "ambiguous" in result.reason
    make(tenant, "Revelton Honey Whiskey", size="1L")
    make(tenant, "Revelton Honey", size="1L")
    assert match(tenant, distributor, line("REVELTON HONEY CANADIAN", size="1L")).item is None


def test_a_tie_goes_to_the_name_that_is_the_same_word_for_word(tenant, distributor):
    plain = make(tenant, "1800 Silver")
    make(tenant, "1800 Silver Tequila")
    assert match(tenant, distributor, line("1800 SILVER", size="750ML")).item == plain


def test_gin_never_links_to_vodka(tenant, distributor):
    make(tenant, "Five O'Clock Vodka")
    assert match(tenant, distributor, line("FIVE O'CLOCK GIN", size="750ML")).item is None


def test_merged_item_is_followed_to_the_survivor(tenant, distributor):
    survivor = make(tenant, "Tito's Handmade Vodka")
    merged = make(tenant, "Titos Vodka")
    sku(tenant, merged, "38176", distributor)
    Item.objects.filter(pk=merged.pk).update(merged_into=survivor, archived=True)
    result = match(tenant, distributor, line("TITOS VODKA", sku="38176", size="750ML"))
    assert (result.item, result.method) == (survivor, "sku")


def test_archived_items_are_not_linked(tenant, distributor):
    item = make(tenant, "Tito's Handmade Vodka")
    Item.objects.filter(pk=item.pk).update(archived=True)
    assert match(tenant, distributor, line("TITOS HANDMADE VODKA", size="750ML")).item is None


def test_other_organizations_items_are_never_returned(tenant, other_tenant, distributor):
    theirs = make(other_tenant, "Tito's Handmade Vodka", upc="619947000020")
    sku(other_tenant, theirs, "38176", distributor)
    parsed = line("TITOS HANDMADE VODKA", sku="38176", upc="619947000020", size="750ML")
    assert match(tenant, distributor, parsed).item is None
    # Even asked for the other organization, row-level security keeps its rows out of A's context.
    with tenant_context(organization_id=tenant.organization.pk):
        result = match_line(organization=other_tenant.organization, distributor=distributor, line=parsed)
    assert result.item is None


def test_cache_avoids_repeated_queries(tenant, distributor, django_assert_max_num_queries):
    make(tenant, "Jack Daniel's Old No. 7 Black Label")
    cache: dict = {}
    match(tenant, distributor, line("JACK DANIELS OLD #7 BLK LBL", size="750ML"), cache)
    with django_assert_max_num_queries(4):  # the tenant settings + fetching the linked item
        result = match(tenant, distributor, line("JACK DANIELS OLD #7 BLACK LABEL", size="750ML"), cache)
    assert result.item is not None


def test_volume_ml_is_a_size(tenant, distributor):
    item = make(tenant, "Jameson Irish Whiskey")
    assert match(tenant, distributor, line("JAMESON", volume_ml=Decimal("750"))).item == item


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        ("CALUMET FARM 14YR", "CALUMET FARM 16YR", False),
        ("JAMESON W/2 GLASSES", "JAMESON", False),
        ("SMIRNOFF 80PRF", "SMIRNOFF 100PRF", False),
        ("E.H. TAYLOR JR. SMALL BATCH", "EH TAYLOR JR SMALL BATCH", True),
        ("MYERS'S RUM ORIGINAL DARK", "MYERS'S ORIGINAL DARK RUM", True),
        ("HORNITOS GOLD", "HORNITOS REPOSADO", False),
        ("BUFFALO TRACE BOURB", "Buffalo Trace Bourbon", True),
    ],
)
def test_names_compatible(a, b, ok):
    assert names_compatible(name_key(a), name_key(b))[0] is ok
