"""Reading the catalog: search, filters, sorting, pages, and what the item page shows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from distributors.models import Distributor
from items.models import Item, ItemIdentifier
from items.selectors import (
    PAGE_SIZE,
    Archived,
    ItemFilters,
    get_item,
    item_detail,
    page_of_items,
    search_items,
)
from items.services.catalog import create_item, record_identifier, set_par, update_item
from items.services.ledger import quarantine_stock, record_movement
from venues import services as venue_services
from venues.models import StorageArea

pytestmark = pytest.mark.django_db


def add_item(tenant, name, **fields):
    fields.setdefault("category", Item.Category.SPIRITS)
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, **fields)
    return item


def add_code(tenant, item, value, *, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=None, **kwargs):
    return record_identifier(organization=tenant.organization, item=item, kind=kind, value=value,
                             distributor=distributor, source="test", **kwargs)  # fmt: skip


def names(tenant, query="", **kwargs) -> list[str]:
    return [item.name for item in search_items(organization=tenant.organization, query=query, **kwargs)]


def area_of(venue) -> StorageArea:
    return StorageArea.objects.get(venue=venue, is_primary=True)


def stock(tenant, item, quantity, area=None):
    record_movement(organization=tenant.organization, item=item, storage_area=area or area_of(tenant.venue),
                    quantity=quantity, kind="opening")  # fmt: skip


@pytest.fixture
def rndc(db):
    return Distributor.objects.create(name="Republic National", slug="republic-national-test")


# --- search -----------------------------------------------------------------------------------


def test_a_name_fragment_matches_in_any_letter_case_and_position(tenant):
    add_item(tenant, "Jack Daniel's Old No. 7")
    add_item(tenant, "Gentleman Jack")
    add_item(tenant, "Jameson Irish Whiskey")

    assert names(tenant, "JACK", sort="name") == ["Gentleman Jack", "Jack Daniel's Old No. 7"]
    assert names(tenant, "jack") == ["Jack Daniel's Old No. 7", "Gentleman Jack"], "names starting with it first"
    assert names(tenant, "eson") == ["Jameson Irish Whiskey"]


def test_the_producer_is_searched_too(tenant):
    add_item(tenant, "Old No. 7", producer="Brown-Forman")
    add_item(tenant, "Tito's Handmade Vodka", producer="Fifth Generation")

    assert names(tenant, "forman") == ["Old No. 7"]


def test_part_of_a_sku_matches_and_so_does_a_replaced_sku(tenant, rndc):
    bourbon = add_item(tenant, "Buffalo Trace Bourbon")
    add_item(tenant, "Eagle Rare 10 Year")
    add_code(tenant, bourbon, "RN-55012", distributor=rndc)
    add_code(tenant, bourbon, "RN-77340", distributor=rndc, replaces_previous=True)

    assert names(tenant, "5501") == ["Buffalo Trace Bourbon"], "the old SKU still finds the item"
    assert names(tenant, "rn-773") == ["Buffalo Trace Bourbon"]
    assert ItemIdentifier.objects.get(value="RN-55012").is_current is False


def test_part_of_a_upc_matches_and_so_do_case_gtins_and_channel_skus(tenant):
    vodka = add_item(tenant, "Tito's Handmade Vodka", upc="619947000013", case_gtin="10619947000010")
    gin = add_item(tenant, "Hendrick's Gin")
    add_code(tenant, gin, "SHOP-4471", kind=ItemIdentifier.Kind.CHANNEL_SKU, scope="Online store")

    assert names(tenant, "9947000") == [vodka.name]
    assert names(tenant, "10619947") == [vodka.name]
    assert names(tenant, "shop-447") == [gin.name]


def test_a_word_without_a_digit_is_looked_up_in_names_only(tenant):
    """SKUs carry digits; looking for letters in every code on each keystroke would be waste."""
    coded = add_item(tenant, "Buffalo Trace Bourbon")
    add_code(tenant, coded, "VODKA-1")
    add_item(tenant, "Tito's Handmade Vodka")

    assert names(tenant, "vodka") == ["Tito's Handmade Vodka"]
    assert names(tenant, "vodka-1") == ["Buffalo Trace Bourbon"]


def test_every_word_must_match_somewhere(tenant):
    bourbon = add_item(tenant, "Buffalo Trace Bourbon", producer="Sazerac")
    add_code(tenant, bourbon, "SZ-9001")
    add_item(tenant, "Buffalo Trace Kosher Wheat", producer="Sazerac")
    add_item(tenant, "Eagle Rare Bourbon", producer="Sazerac")

    assert names(tenant, "buffalo bourbon") == ["Buffalo Trace Bourbon"]
    assert names(tenant, "sazerac 9001") == ["Buffalo Trace Bourbon"]
    assert names(tenant, "   ") == ["Buffalo Trace Bourbon", "Buffalo Trace Kosher Wheat", "Eagle Rare Bourbon"]


def test_percent_and_underscore_are_plain_characters(tenant):
    add_item(tenant, "100% Agave Blanco")
    add_item(tenant, "Blanco Tequila")

    assert names(tenant, "100%") == ["100% Agave Blanco"]
    assert names(tenant, "_") == []


def test_exact_codes_come_first_then_names_that_start_with_the_search(tenant):
    add_item(tenant, "Anejo 1942")
    starts = add_item(tenant, "1942 Reposado")
    exact = add_item(tenant, "Zinfandel")
    add_code(tenant, exact, "1942")

    assert names(tenant, "1942") == ["Zinfandel", "1942 Reposado", "Anejo 1942"]
    assert names(tenant, "1942", sort="name") == ["1942 Reposado", "Anejo 1942", "Zinfandel"]
    assert starts.pk


def test_another_organizations_items_and_codes_never_match(tenant, other_tenant):
    theirs = add_item(other_tenant, "Riverside Private Barrel Rye", upc="081153800012")
    add_code(other_tenant, theirs, "RIV-1001")
    ours = add_item(tenant, "Copper Barrel Amber Ale")

    assert names(tenant, "barrel") == [ours.name]
    assert names(tenant, "1001") == []
    assert names(tenant, "0811538") == []


# --- filters and sorting ----------------------------------------------------------------------


def test_archived_items_are_hidden_unless_asked_for(tenant):
    add_item(tenant, "Active Gin")
    add_item(tenant, "Retired Gin", archived=True)

    assert names(tenant) == ["Active Gin"]
    assert names(tenant, filters=ItemFilters(archived=Archived.ONLY)) == ["Retired Gin"]
    assert names(tenant, filters=ItemFilters(archived=Archived.ALL)) == ["Active Gin", "Retired Gin"]


def test_the_distributor_filter_takes_the_preferred_distributor_or_a_sku_of_it(tenant, rndc):
    other = Distributor.objects.create(name="Breakthru Beverage", slug="breakthru-test")
    add_item(tenant, "Preferred Rum", preferred_distributor=rndc)
    by_sku = add_item(tenant, "Listed Rum", preferred_distributor=other)
    add_code(tenant, by_sku, "RN-1", distributor=rndc)
    add_item(tenant, "Unrelated Rum", preferred_distributor=other)

    assert names(tenant, filters=ItemFilters(distributor=rndc)) == ["Listed Rum", "Preferred Rum"]


def test_on_hand_leaves_quarantine_out_and_counts_the_chosen_venue_only(tenant):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    item = add_item(tenant, "Buffalo Trace Bourbon")
    stock(tenant, item, 10)
    stock(tenant, item, 4, area=area_of(patio))
    quarantine_stock(actor=tenant.manager, organization=tenant.organization, item=item, storage_area=area_of(tenant.venue),
                     quantity=3, reason="recall")  # fmt: skip

    everywhere = search_items(organization=tenant.organization).get()
    at_bar = search_items(organization=tenant.organization, filters=ItemFilters(venue=tenant.venue)).get()
    at_patio = search_items(organization=tenant.organization, filters=ItemFilters(venue=patio)).get()

    assert (everywhere.on_hand, at_bar.on_hand, at_patio.on_hand) == (11, 7, 4)
    assert at_bar.par is None


def test_below_par_compares_each_venues_stock_with_its_own_par(tenant):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    item = add_item(tenant, "Buffalo Trace Bourbon")
    stock(tenant, item, 10)  # the bar: 10 against a par of 6
    set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par=6)
    set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=patio, par=2)  # patio: 0 < 2

    low = ItemFilters(low_stock=True)
    assert names(tenant, filters=low) == ["Buffalo Trace Bourbon"]
    assert names(tenant, filters=ItemFilters(low_stock=True, venue=tenant.venue)) == []
    assert names(tenant, filters=ItemFilters(low_stock=True, venue=patio)) == ["Buffalo Trace Bourbon"]


def test_category_filter_and_sorting_by_category(tenant):
    add_item(tenant, "Pinot Noir", category=Item.Category.WINE)
    add_item(tenant, "Lager", category=Item.Category.BEER)
    add_item(tenant, "Gin", category=Item.Category.SPIRITS)

    assert names(tenant, filters=ItemFilters(category="wine")) == ["Pinot Noir"]
    assert names(tenant, sort="category") == ["Lager", "Gin", "Pinot Noir"]  # beer, spirits, wine


def test_recently_updated_first(tenant):
    first = add_item(tenant, "First")
    add_item(tenant, "Second")
    update_item(actor=tenant.manager, organization=tenant.organization, item=first, producer="Changed")

    assert names(tenant, sort="-updated")[0] == "First"


# --- pages ------------------------------------------------------------------------------------


def test_a_page_holds_fifty_items_and_knows_the_total(tenant):
    for n in range(PAGE_SIZE + 7):
        add_item(tenant, f"Wine {n:03d}")

    first = page_of_items(organization=tenant.organization, query="wine")
    second = page_of_items(organization=tenant.organization, query="wine", page=2)

    assert [i.name for i in first.object_list] == [f"Wine {n:03d}" for n in range(50)]
    assert first.paginator.count == 57 and first.paginator.num_pages == 2 and first.has_next()
    assert [i.name for i in second.object_list] == [f"Wine {n:03d}" for n in range(50, 57)]


def test_a_page_past_the_end_or_not_a_number_shows_the_last_or_first_page(tenant):
    for n in range(3):
        add_item(tenant, f"Beer {n}")

    assert page_of_items(organization=tenant.organization, page=9).number == 1
    assert page_of_items(organization=tenant.organization, page="x").number == 1
    empty = page_of_items(organization=tenant.organization, query="nothing like it")
    assert (empty.paginator.count, list(empty.object_list)) == (0, [])


def test_the_page_rows_carry_on_hand_par_and_current_skus(tenant, rndc):
    item = add_item(tenant, "Buffalo Trace Bourbon", preferred_distributor=rndc)
    add_code(tenant, item, "RN-1", distributor=rndc)
    add_code(tenant, item, "RN-2", distributor=rndc, replaces_previous=True)
    stock(tenant, item, Decimal("5.5"))
    set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par=8)

    (row,) = page_of_items(organization=tenant.organization, filters=ItemFilters(venue=tenant.venue)).object_list

    assert (row.on_hand, row.par) == (Decimal("5.5"), 8)
    assert [sku.value for sku in row.current_skus] == ["RN-2"]
    assert row.preferred_distributor.name == "Republic National"


# --- the item page ----------------------------------------------------------------------------


def test_another_organizations_item_is_not_found(tenant, other_tenant):
    from django.http import Http404

    theirs = add_item(other_tenant, "Riverside Rye")

    with pytest.raises(Http404):
        get_item(organization=tenant.organization, pk=theirs.pk)


def test_the_detail_groups_stock_by_venue_and_keeps_quarantine_apart(tenant):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    item = add_item(tenant, "Buffalo Trace Bourbon", upc="080244009236", cost_per_unit="20")
    add_code(tenant, item, "SKU-1")
    add_code(tenant, item, "SKU-2", replaces_previous=True)
    stock(tenant, item, 10)
    stock(tenant, item, 2, area=area_of(patio))
    quarantine_stock(actor=tenant.manager, organization=tenant.organization, item=item, storage_area=area_of(patio),
                     quantity=1, reason="broken")  # fmt: skip
    set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=patio, par=3)

    detail = item_detail(organization=tenant.organization, item=item, venues=[tenant.venue, patio])

    assert [(s.venue.name, s.total) for s in detail.stock_by_venue] == [("Copper Tap Group Bar", 10), ("Patio", 1)]
    assert [(q.storage_area.name, q.quantity) for q in detail.quarantine] == [("Quarantine", 1)]
    assert detail.on_hand == 11
    assert sorted(i.value for i in detail.current_identifiers) == ["080244009236", "SKU-2"]
    assert [i.value for i in detail.identifier_history] == ["SKU-1"]
    assert [(venue.name, par) for venue, par in detail.pars] == [("Copper Tap Group Bar", None), ("Patio", 3)]
    assert [c.cost_per_unit for c in detail.costs] == [20]


def test_one_or_two_characters_match_the_start_of_a_word(tenant):
    add_item(tenant, "Jack Daniel's Old No. 7")
    add_item(tenant, "Gentleman Jack")
    add_item(tenant, "Bumbu Rum", producer="Sovereign Brands")
    add_item(tenant, "Hennessy VS", producer="Moët Hennessy")

    assert names(tenant, "j") == ["Jack Daniel's Old No. 7", "Gentleman Jack"]
    assert names(tenant, "so") == ["Bumbu Rum"], "a word of the producer counts too"
    assert names(tenant, "ss") == [], "not the middle of a word"
    assert names(tenant, "ess") == ["Hennessy VS"], "three characters match anywhere"


def test_the_search_function_answers_only_for_the_organization_the_connection_is_scoped_to(tenant, other_tenant):
    """backstock_search_items runs as the tables' owner, so it must check the tenant itself."""
    from django.db import connection

    from inventory_site.tenancy import tenant_context

    ours = add_item(tenant, "Copper Barrel Amber Ale")

    def search(as_org, for_org):
        with tenant_context(organization_id=as_org.pk), connection.cursor() as cursor:
            cursor.execute("SELECT backstock_search_items(%s, %s::text[])", [for_org.pk, ["BARREL"]])
            return [row[0] for row in cursor.fetchall()]

    assert search(tenant.organization, tenant.organization) == [ours.pk]
    assert search(other_tenant.organization, tenant.organization) == []
