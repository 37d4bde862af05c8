"""The merge tool's pages (items/views_merge.py): who may use them, what they show, and 404s."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from items.models import DismissedDuplicate, Item, ItemIdentifier, ItemMerge, StockLevel
from items.services.catalog import create_item, record_identifier
from items.services.ledger import record_movement
from items.services.merge import merge_items, undo_merge
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def make_item(tenant, name, *, size="750ML", pack=12, upc="", stock=0, sku="") -> Item:
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, size=size,
                          units_per_case=pack, upc=upc, category=Item.Category.SPIRITS)  # fmt: skip
    if stock:
        area = tenant.venue.storage_areas.get(is_primary=True)
        record_movement(organization=tenant.organization, item=item, storage_area=area, quantity=stock,
                        kind="receipt", actor=tenant.manager)  # fmt: skip
    if sku:
        record_identifier(organization=tenant.organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, value=sku)
    return item


@pytest.fixture
def pair(tenant):
    old = make_item(tenant, "JACK DANIELS OLD #7 BLK LBL", upc="82184090510", stock=10, sku="26827")
    new = make_item(tenant, "Jack Daniel's Old No. 7 Black Label", stock=4)
    return old, new


@pytest.fixture
def theirs(other_tenant):
    a = make_item(other_tenant, "Riverside Private Barrel Rye", stock=2)
    b = make_item(other_tenant, "RIVERSIDE PRIVATE BARREL RYE")
    return a, b


def text(response) -> str:
    return response.content.decode()


# --- the merge page -------------------------------------------------------------------------


def test_the_merge_page_shows_both_items_side_by_side_with_the_newer_one_staying(tenant, pair, client_for):
    old, new = pair
    response = client_for(tenant.manager).get(reverse("items:merge"), {"a": old.pk, "b": new.pk})

    page = text(response)
    assert response.status_code == 200
    assert escape(old.name) in page and escape(new.name) in page
    assert f'data-testid="role-{new.pk}">Stays<' in page and f'data-testid="role-{old.pk}">Merged away<' in page
    assert "Merging <em>JACK DANIELS OLD #7 BLK LBL 750ML</em> into <em>Jack Daniel&#x27;s Old No. 7 Black Label 750ML</em>" in page
    assert "26827" in page and "082184090510" in page
    assert ">14</strong>" in page  # stock after, in the one storage area


def test_choosing_the_other_survivor_with_htmx_returns_only_the_review_region(tenant, pair, client_for):
    old, new = pair
    response = client_for(tenant.manager).get(reverse("items:merge"), {"a": old.pk, "b": new.pk, "survivor": old.pk},
                                              headers={"HX-Request": "true", "HX-Target": "review"})  # fmt: skip

    page = text(response)
    assert page.lstrip().startswith('<section id="review"')
    assert f'data-testid="role-{old.pk}">Stays<' in page
    assert "<html" not in page


def test_an_item_from_its_page_is_prefilled_and_the_search_finds_the_other_by_sku_or_upc(tenant, pair, client_for):
    old, new = pair
    client = client_for(tenant.manager)

    page = text(client.get(reverse("items:merge"), {"item": new.pk}))
    by_sku = text(client.get(reverse("items:merge_search"), {"side": "b", "other": new.pk, "q_b": "2682"}))
    by_upc = text(client.get(reverse("items:merge_search"), {"side": "b", "other": new.pk, "q_b": "082184090510"}))

    assert f'data-testid="chosen-a"' in page and escape(new.name) in page
    assert f'data-testid="pick-{old.pk}"' in by_sku and f"?a={new.pk}&amp;b={old.pk}" in by_sku
    assert f'data-testid="pick-{old.pk}"' in by_upc
    assert f'data-testid="pick-{new.pk}"' not in by_sku  # the item already chosen on the other side


def test_confirming_merges_and_lands_on_the_survivor_with_a_message(tenant, pair, client_for):
    old, new = pair
    response = client_for(tenant.manager).post(reverse("items:merge_confirm"), {"survivor": new.pk, "merged": old.pk},
                                               follow=True)  # fmt: skip

    assert response.redirect_chain[-1][0] == reverse("items:detail", args=[new.pk])
    assert "Merged JACK DANIELS OLD #7 BLK LBL 750ML into Jack Daniel&#x27;s Old No. 7 Black Label 750ML" in text(response)
    assert StockLevel.objects.get(item=new).quantity == Decimal("14")
    assert Item.objects.get(pk=old.pk).merged_into == new


def test_confirming_with_htmx_redirects_the_browser_to_the_survivor(tenant, pair, client_for):
    old, new = pair
    response = client_for(tenant.admin).post(reverse("items:merge_confirm"), {"survivor": new.pk, "merged": old.pk},
                                             headers={"HX-Request": "true"})  # fmt: skip

    assert response["HX-Redirect"] == reverse("items:detail", args=[new.pk])
    assert ItemMerge.objects.filter(survivor=new, merged=old).exists()


def test_a_refused_merge_goes_back_to_the_merge_page_with_the_reason(tenant, pair, client_for):
    old, new = pair
    merge_items(actor=tenant.manager, organization=tenant.organization, survivor=new, merged=old)
    client = client_for(tenant.manager)

    response = client.post(reverse("items:merge_confirm"), {"survivor": new.pk, "merged": old.pk}, follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("items:merge") + f"?a={old.pk}&b={new.pk}")
    assert "was already merged into another item; undo that merge first." in text(response)
    assert ItemMerge.objects.count() == 1


# --- the item's merge history and undo --------------------------------------------------------


def test_the_items_merge_history_offers_undo_and_undoing_brings_the_old_item_back(tenant, pair, client_for):
    old, new = pair
    merge = merge_items(actor=tenant.manager, organization=tenant.organization, survivor=new, merged=old)
    client = client_for(tenant.manager)

    region = text(client.get(reverse("items:merge_item_history", args=[new.pk]), headers={"HX-Request": "true"}))
    response = client.post(reverse("items:merge_undo", args=[merge.pk]), {"back_to": new.pk}, follow=True)

    assert "was merged into this item" in region and 'data-testid="undo-merge"' in region
    assert "Moved: identifiers (2), stock movements (1)." in region
    assert response.redirect_chain[-1][0] == reverse("items:detail", args=[new.pk])
    assert "Merge undone: JACK DANIELS OLD #7 BLK LBL 750ML is back as its own item" in text(response)
    assert StockLevel.objects.get(item=old).quantity == 10 and StockLevel.objects.get(item=new).quantity == 4
    undone = text(client.get(reverse("items:merge_item_history", args=[old.pk])))
    assert 'data-testid="merge-undone"' in undone and 'data-testid="undo-merge"' not in undone


def test_an_older_merge_says_which_newer_merge_to_undo_first(tenant, pair, client_for):
    old, new = pair
    newest = make_item(tenant, "Jack Daniel's No. 7 (bar list)")
    first = merge_items(actor=tenant.manager, organization=tenant.organization, survivor=new, merged=old)
    merge_items(actor=tenant.manager, organization=tenant.organization, survivor=newest, merged=new)
    client = client_for(tenant.manager)

    region = text(client.get(reverse("items:merge_item_history", args=[old.pk]), headers={"HX-Request": "true"}))
    refused = client.post(reverse("items:merge_undo", args=[first.pk]), follow=True)

    assert "To undo, first undo the newer merge of Jack Daniel&#x27;s Old No. 7 Black Label 750ML into" in region
    assert "undo that newer merge first" in text(refused)
    assert not ItemMerge.objects.get(pk=first.pk).is_undone


def test_the_items_page_region_suggests_its_possible_duplicate(tenant, pair, client_for):
    old, new = pair
    region = text(client_for(tenant.manager).get(reverse("items:merge_item_history", args=[new.pk]),
                                                 headers={"HX-Request": "true"}))  # fmt: skip

    assert 'data-testid="possible-duplicates"' in region
    assert "Possible duplicate of" in region and escape(old.name) in region
    assert "Same name after normalization, size and pack" in region
    assert f"?a={old.pk}&amp;b={new.pk}" in region


def test_the_item_page_loads_the_merge_region(tenant, pair, client_for):
    _, new = pair
    page = text(client_for(tenant.staff).get(reverse("items:detail", args=[new.pk])))

    assert f'hx-get="{reverse("items:merge_item_history", args=[new.pk])}"' in page


# --- suggestions --------------------------------------------------------------------------


def test_the_suggestions_page_lists_pairs_with_the_reason_in_a_fixed_number_of_queries(tenant, pair, client_for):
    client = client_for(tenant.manager)
    client.get(reverse("items:merge_suggestions"))  # the session's first request writes it
    with CaptureQueriesContext(connection) as one_pair:
        client.get(reverse("items:merge_suggestions"))
    for n in range(10):
        make_item(tenant, f"House Gin {n}", sku=f"H{n}")
        make_item(tenant, f"HOUSE GIN {n}")

    with CaptureQueriesContext(connection) as eleven_pairs:
        response = client.get(reverse("items:merge_suggestions"))

    assert len(eleven_pairs) == len(one_pair)
    page = text(response)
    assert "11 pairs to review." in page
    assert "Same name after normalization, size and pack" in page and "Review &amp; merge" in page


def test_dismissing_with_htmx_removes_the_row_and_says_so(tenant, pair, client_for):
    old, new = pair
    client = client_for(tenant.manager)

    response = client.post(reverse("items:merge_dismiss"), {"a": old.pk, "b": new.pk}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and "duplicatesChanged" in response["HX-Trigger"]
    assert text(response).strip().startswith('<div id="messages"') and "marked as not duplicates" in text(response)
    assert DismissedDuplicate.objects.filter(item_low=old, item_high=new).exists()
    assert 'data-testid="no-suggestions"' in text(client.get(reverse("items:merge_suggestions")))
    assert AuditLogEntry.objects.filter(action="item.duplicate_dismissed").count() == 1


def test_dismissing_without_javascript_goes_back_to_the_page_it_came_from(tenant, pair, client_for):
    old, new = pair
    client = client_for(tenant.manager)

    back = client.post(reverse("items:merge_dismiss"), {"a": old.pk, "b": new.pk, "next": "/items/merge/suggestions/?page=1"})
    offsite = client.post(reverse("items:merge_dismiss"), {"a": old.pk, "b": new.pk, "next": "https://evil.example/"})

    assert back["Location"] == "/items/merge/suggestions/?page=1"
    assert offsite["Location"] == reverse("items:merge_suggestions")


# --- roles and tenants ----------------------------------------------------------------------


def test_staff_get_403_on_the_merge_tools_and_see_the_history_read_only(tenant, pair, client_for):
    old, new = pair
    merge = merge_items(actor=tenant.manager, organization=tenant.organization, survivor=new, merged=old)
    client = client_for(tenant.staff)

    answers = [
        client.get(reverse("items:merge"), {"a": old.pk, "b": new.pk}).status_code,
        client.get(reverse("items:merge_search"), {"q_a": "Jack"}).status_code,
        client.get(reverse("items:merge_suggestions")).status_code,
        client.post(reverse("items:merge_confirm"), {"survivor": old.pk, "merged": new.pk}).status_code,
        client.post(reverse("items:merge_dismiss"), {"a": old.pk, "b": new.pk}).status_code,
        client.post(reverse("items:merge_undo", args=[merge.pk])).status_code,
    ]
    region = client.get(reverse("items:merge_item_history", args=[new.pk]), headers={"HX-Request": "true"})

    assert answers == [403] * 6
    assert not ItemMerge.objects.get(pk=merge.pk).is_undone
    assert region.status_code == 200 and "was merged into this item" in text(region)
    assert "Undo merge" not in text(region) and "Possible duplicate" not in text(region)


def test_another_organizations_items_and_merges_are_404_wherever_they_are_named(tenant, other_tenant, pair, theirs,
                                                                                client_for):  # fmt: skip
    old, new = pair
    their_a, their_b = theirs
    their_merge = merge_items(actor=other_tenant.manager, organization=other_tenant.organization, survivor=their_b,
                              merged=their_a)  # fmt: skip
    undo_merge(actor=other_tenant.manager, organization=other_tenant.organization, merge=their_merge)
    their_merge = merge_items(actor=other_tenant.manager, organization=other_tenant.organization, survivor=their_b,
                              merged=their_a)  # fmt: skip
    client = client_for(tenant.admin)

    answers = {
        "tool ?a": client.get(reverse("items:merge"), {"a": their_a.pk}).status_code,
        "tool ?b": client.get(reverse("items:merge"), {"a": old.pk, "b": their_b.pk}).status_code,
        "tool ?item": client.get(reverse("items:merge"), {"item": their_a.pk}).status_code,
        "search other": client.get(reverse("items:merge_search"), {"other": their_a.pk, "q_a": "Jack"}).status_code,
        "confirm": client.post(reverse("items:merge_confirm"), {"survivor": new.pk, "merged": their_b.pk}).status_code,
        "dismiss": client.post(reverse("items:merge_dismiss"), {"a": old.pk, "b": their_b.pk}).status_code,
        "undo": client.post(reverse("items:merge_undo", args=[their_merge.pk])).status_code,
        "history": client.get(reverse("items:merge_item_history", args=[their_b.pk])).status_code,
    }
    search = text(client.get(reverse("items:merge_search"), {"q_a": "Private Barrel Rye"}))

    assert set(answers.values()) == {404}, answers
    assert "Riverside" not in search and "No active item matches" in search
    assert not Item.objects.get(pk=new.pk).archived and not ItemMerge.objects.get(pk=their_merge.pk).is_undone


def test_undoing_with_htmx_reloads_the_item_page_it_was_asked_from(tenant, pair, client_for):
    old, new = pair
    merge = merge_items(actor=tenant.manager, organization=tenant.organization, survivor=new, merged=old)

    response = client_for(tenant.manager).post(reverse("items:merge_undo", args=[merge.pk]), {"back_to": old.pk},
                                               headers={"HX-Request": "true"})  # fmt: skip

    assert response["HX-Refresh"] == "true"
    assert ItemMerge.objects.get(pk=merge.pk).is_undone and not Item.objects.get(pk=old.pk).archived
