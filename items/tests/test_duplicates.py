"""Duplicate suggestions (items/services/duplicates.py): which pairs are suggested, and why.

The examples are rows of the Iowa catalog (../shared/data/iowa-liquor-products), where one
UPC is printed on different products and the same product is listed under two item numbers.
"""

from __future__ import annotations

import pytest

from inventory_site.errors import PermissionDenied
from items.models import DismissedDuplicate, Item
from items.normalize import name_key
from items.services.catalog import create_item, update_item
from items.services.duplicates import (
    dismiss_duplicate,
    list_duplicate_suggestions,
    list_duplicates_of_item,
    load_suggestion_items,
    names_agree,
)
from items.services.merge import merge_items, undo_merge
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def make_item(tenant, name, size="750ML", *, pack=12, upc="", **kwargs) -> Item:
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, size=size,
                          units_per_case=pack, upc=upc, category=Item.Category.SPIRITS, **kwargs)  # fmt: skip
    return item


def suggested(tenant) -> dict[frozenset, str]:
    return {frozenset((s.item_a_id, s.item_b_id)): s.reason
            for s in list_duplicate_suggestions(organization=tenant.organization)}  # fmt: skip


def pair(a, b) -> frozenset:
    return frozenset((a.pk, b.pk))


def test_the_same_upc_and_size_is_suggested_with_the_reason(tenant):
    # Iowa 87513 and 987513: one product, a regular and a special-order listing.
    regular = make_item(tenant, "1800 SILVER", "1750ML", pack=6, upc="811538010412")
    special = make_item(tenant, "1800 Silver Tequila", "1.75L", pack=6, upc="0811538010412")

    assert suggested(tenant) == {pair(regular, special): "Same UPC 811538010412 and size 1.75L"}


def test_the_same_upc_in_another_size_is_not_suggested(tenant):
    # Iowa prints 82184090510 on JD Old #7 in 375 ml and in 750 ml: two sizes, two items.
    make_item(tenant, "JACK DANIELS OLD #7 BLACK LABEL", "750ML", upc="82184090510")
    make_item(tenant, "JACK DANIELS OLD #7 BLACK LABEL SQUARE", "375ML", pack=24, upc="82184090510")

    assert suggested(tenant) == {}


@pytest.mark.parametrize(("name_a", "name_b"), [
    ("MARTELL BLUE SWIFT W/ 2 GLASSES", "PATRON EXTRA ANEJO"),  # Iowa UPC 80432112250, 750 ml
    ("CAPTAIN MORGAN COCONUT", "CAPTAIN MORGAN WHITE"),  # flavors of one brand
    ("CALUMET FARM 14YR", "CALUMET FARM 16YR"),  # two age statements
    ("TEQUILA PADRE AZUL ANEJO", "TEQUILA PADRE AZUL REPOSADO"),
    ("ABSOLUT PEPPAR", "ABSOLUT PEARS"),
    ("JAMESON", "JAMESON W/2 ROCKS GLASSES"),  # a gift set is its own item
])  # fmt: skip
def test_the_same_upc_and_size_with_contradicting_names_is_not_suggested(tenant, name_a, name_b):
    make_item(tenant, name_a, upc="080432112250")
    make_item(tenant, name_b, upc="080432112250")

    assert suggested(tenant) == {}


@pytest.mark.parametrize(("name_a", "name_b"), [
    ("HUSSONGS SILVER", "HUSSONGS SILVER TEQUILA"),
    ("WHISTLEPIG 18YR DOUBLE MALT", "WhistlePig 18 Year Double Malt"),
    ("SMIRNOFF RASPBRY", "Smirnoff Raspberry"),  # a typo the normalizer doesn't know
])  # fmt: skip
def test_names_that_only_say_more_or_differ_by_a_typo_agree(name_a, name_b):
    assert names_agree(name_key(name_a), name_key(name_b))


def test_names_that_match_after_normalization_with_the_same_size_and_pack_are_suggested(tenant):
    imported = make_item(tenant, "JACK DANIELS OLD #7 BLK LBL", "750ML", pack=12)
    typed = make_item(tenant, "Jack Daniel's Old No. 7 Black Label", "750 ml", pack=12)

    assert suggested(tenant) == {pair(imported, typed): "Same name after normalization, size and pack"}


def test_the_same_name_in_another_pack_is_not_suggested_without_a_shared_upc(tenant):
    # Iowa AVIATION AMERICAN GIN MINI: Pack 1 (item 29100) and Pack 5 (item 929117).
    make_item(tenant, "AVIATION AMERICAN GIN MINI", "50ML", pack=1)
    make_item(tenant, "AVIATION AMERICAN GIN MINI", "50ML", pack=5)

    assert suggested(tenant) == {}


def test_both_reasons_are_given_when_both_hold(tenant):
    a = make_item(tenant, "ABERFELDY 12YR", upc="5000277001163", pack=6)
    b = make_item(tenant, "Aberfeldy 12 Year", upc="5000277001163", pack=6)

    assert suggested(tenant) == {
        pair(a, b): "Same UPC 5000277001163 and size 750ML; Same name after normalization, size and pack"
    }


def test_two_sizes_of_one_product_are_never_suggested(tenant):
    make_item(tenant, "Tito's Handmade Vodka", "750ML", upc="619947000020")
    make_item(tenant, "Tito's Handmade Vodka", "1L", upc="619947000020")
    make_item(tenant, "Tito's Handmade Vodka", "1.75L", pack=6, upc="619947000020")
    make_item(tenant, "TITOS HANDMADE VODKA", "", upc="619947000020")  # size unknown: no pair either
    make_item(tenant, "Tito's Handmade Vodka", "", upc="619947000020")

    assert suggested(tenant) == {}


def test_a_dismissed_pair_is_not_suggested_again(tenant):
    a = make_item(tenant, "AMOR EXTRA ANEJO", pack=6)
    b = make_item(tenant, "Amor Extra Añejo", pack=6)
    c = make_item(tenant, "AMOR EXTRA ANEJO", pack=6)

    dismiss_duplicate(actor=tenant.manager, organization=tenant.organization, item_a=b, item_b=a)
    dismiss_duplicate(actor=tenant.manager, organization=tenant.organization, item_a=a, item_b=b)  # idempotent

    assert set(suggested(tenant)) == {pair(a, c), pair(b, c)}
    assert DismissedDuplicate.objects.filter(organization=tenant.organization).count() == 1
    assert list_duplicates_of_item(organization=tenant.organization, item=a)[0].item_b == c
    entry = AuditLogEntry.objects.get(organization=tenant.organization, action="item.duplicate_dismissed")
    assert entry.summary == f"{a} and {b} marked as not duplicates"


def test_staff_cannot_dismiss_suggestions(tenant):
    a = make_item(tenant, "AMOR SILVER")
    b = make_item(tenant, "Amor Silver")
    with pytest.raises(PermissionDenied):
        dismiss_duplicate(actor=tenant.staff, organization=tenant.organization, item_a=a, item_b=b)
    assert len(suggested(tenant)) == 1


def test_archived_and_merged_items_are_not_suggested_and_come_back_when_the_merge_is_undone(tenant):
    a = make_item(tenant, "OLE SMOKY PEACH WHISKEY", pack=6)
    b = make_item(tenant, "Ole Smoky Peach Whiskey", pack=6)
    c = make_item(tenant, "Ole Smoky Peach Whiskey", pack=6)
    update_item(actor=tenant.manager, organization=tenant.organization, item=c, archived=True)

    merge = merge_items(actor=tenant.manager, organization=tenant.organization, survivor=b, merged=a)
    assert suggested(tenant) == {}

    undo_merge(actor=tenant.manager, organization=tenant.organization, merge=merge)
    assert set(suggested(tenant)) == {pair(a, b)}


def test_suggestions_never_pair_items_of_two_organizations(tenant, other_tenant):
    make_item(tenant, "BEDLAM VODKA", upc="850000518019")
    make_item(other_tenant, "BEDLAM VODKA", upc="850000518019")

    assert suggested(tenant) == {} and suggested(other_tenant) == {}


def test_the_older_item_comes_first_and_its_page_lists_the_newer_one(tenant):
    old = make_item(tenant, "KILCHOMAN SANAIG", pack=6, upc="5060210701018")
    new = make_item(tenant, "Kilchoman Sanaig", pack=6)

    (suggestion,) = load_suggestion_items(organization=tenant.organization,
                                          suggestions=list_duplicate_suggestions(organization=tenant.organization))  # fmt: skip
    (on_new_page,) = list_duplicates_of_item(organization=tenant.organization, item=new)
    (on_old_page,) = list_duplicates_of_item(organization=tenant.organization, item=old)

    assert (suggestion.item_a, suggestion.item_b) == (old, new)
    assert (on_new_page.item_a, on_new_page.item_b) == (on_old_page.item_a, on_old_page.item_b) == (old, new)
    assert on_new_page.reason == "Same name after normalization, size and pack"


def test_an_items_page_finds_a_duplicate_whose_upc_is_stored_with_another_padding(tenant):
    upc_a = make_item(tenant, "ET 51 PREMIUM VODKA", pack=6, upc="853483003021")
    ean = make_item(tenant, "ET 51 Premium Vodka 80 Proof", pack=12, upc="0853483003021")

    (found,) = list_duplicates_of_item(organization=tenant.organization, item=ean)

    assert found.item_a == upc_a and found.reason == "Same UPC 0853483003021 and size 750ML"


def test_suggestions_take_a_fixed_number_of_queries_however_many_pairs(tenant, django_assert_num_queries):
    for n in range(30):
        make_item(tenant, f"House Vodka {n}", pack=6)
        make_item(tenant, f"HOUSE VODKA {n}", pack=6)

    with django_assert_num_queries(3):  # the pairs; the page's items; their SKUs
        suggestions = list_duplicate_suggestions(organization=tenant.organization)
        page = load_suggestion_items(organization=tenant.organization, suggestions=suggestions[:25])

    assert len(suggestions) == 30 and len(page) == 25
