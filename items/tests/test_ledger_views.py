"""The stock action pages (transfer, write-off, quarantine, release) and the movements page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from items.models import StockLevel, StockMovement
from items.services import ledger
from items.services.catalog import create_item
from venues import services as venue_services
from venues.models import StorageArea

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Kind = StockMovement.Kind


def url(name, *args, item=None):
    path = reverse(f"items:stock:{name}", args=args)
    return f"{path}?item={item.pk}" if item is not None else path


def level(item, area) -> Decimal | None:
    row = StockLevel.objects.filter(item=item, storage_area=area).first()
    return None if row is None else row.quantity


@pytest.fixture
def back_bar(tenant):
    return venue_services.create_storage_area(actor=tenant.admin, organization=tenant.organization,
                                              venue=tenant.venue, name="Back bar")  # fmt: skip


@pytest.fixture
def main(tenant):
    return tenant.venue.storage_areas.get(is_primary=True)


@pytest.fixture
def titos(tenant, main, back_bar):
    """Tito's: 10 in Main storage, 2 in Back bar."""
    item, _ = create_item(actor=tenant.admin, organization=tenant.organization, name="Tito's Handmade Vodka",
                          size="750ML", upc="619947000020")  # fmt: skip
    for area, quantity in ((main, 10), (back_bar, 2)):
        ledger.record_movement(organization=tenant.organization, item=item, storage_area=area, quantity=quantity,
                               kind=Kind.RECEIPT)  # fmt: skip
    return item


# --- choosing the item --------------------------------------------------------------------------


def test_without_an_item_the_page_asks_which_and_searches_this_organizations_items(client_for, tenant, other_tenant,
                                                                                 titos):  # fmt: skip
    create_item(actor=other_tenant.admin, organization=other_tenant.organization, name="Tito's Riverside Reserve")
    client = client_for(tenant.staff)

    page = client.get(url("transfer")).content.decode()
    found = client.get(url("transfer"), {"q": "tito"}, headers=HTMX).content.decode()

    assert "Which item?" in page and "<select" not in page
    assert f'href="?item={titos.pk}"' in found and "Riverside" not in found and "<html" not in found


def test_an_item_preselected_by_the_item_page_shows_its_stock_and_the_form(client_for, tenant, titos):
    html = client_for(tenant.staff).get(url("transfer", item=titos)).content.decode()

    assert 'data-testid="chosen-item">Tito&#x27;s Handmade Vodka 750ML<' in html
    # The area choices say what is there, grouped by venue.
    assert '<optgroup label="Copper Tap Group Bar">' in html
    assert ">Main storage · 10 on hand<" in html and ">Back bar · 2 on hand<" in html
    assert 'name="quantity"' in html and 'inputmode="decimal"' in html


def test_an_item_of_another_organization_is_a_404(client_for, tenant, other_tenant):
    theirs, _ = create_item(actor=other_tenant.admin, organization=other_tenant.organization, name="Rye")
    client = client_for(tenant.admin)

    for name in ("transfer", "write_off", "quarantine", "release"):
        assert client.get(url(name, item=theirs)).status_code == 404
        assert client.post(url(name), {"item": theirs.pk, "quantity": "1"}).status_code == 404


# --- transfer -----------------------------------------------------------------------------------


def test_a_transfer_moves_stock_and_says_so(client_for, tenant, titos, main, back_bar):
    response = client_for(tenant.staff).post(
        url("transfer", item=titos),
        {"item": titos.pk, "from_area": main.pk, "to_area": back_bar.pk, "quantity": "3.5", "reason": "restock"},
        follow=True,
    )  # fmt: skip

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url("transfer", item=titos)
    assert ("Moved 3.5 of Tito&#x27;s Handmade Vodka 750ML from Copper Tap Group Bar — Main storage to "
            "Copper Tap Group Bar — Back bar.") in html  # fmt: skip
    assert level(titos, main) == Decimal("6.5") and level(titos, back_bar) == Decimal("5.5")
    assert ">Back bar · 5.5 on hand<" in html


def test_a_transfer_of_more_than_is_there_explains_and_changes_nothing(client_for, tenant, titos, main, back_bar):
    response = client_for(tenant.staff).post(
        url("transfer", item=titos), {"item": titos.pk, "from_area": back_bar.pk, "to_area": main.pk, "quantity": "5"}
    )  # fmt: skip

    assert response.status_code == 200
    assert ('data-testid="form-error">Only 2 of Tito&#x27;s Handmade Vodka 750ML in Back bar; cannot take 5.'
            in response.content.decode())  # fmt: skip
    assert level(titos, back_bar) == 2 and level(titos, main) == 10


@pytest.mark.parametrize(("data", "message"), [
    ({"quantity": "0"}, "Enter a quantity greater than zero."),
    ({"quantity": "lots"}, "Enter a number of units, e.g. 2 or 0.5."),
    ({"quantity": ""}, "Enter how many units."),
    ({"to_area": "same"}, "Choose a storage area other than the one the stock comes from."),
])  # fmt: skip
def test_a_transfer_form_explains_each_mistake_next_to_the_field(client_for, tenant, titos, main, back_bar, data,
                                                                 message):  # fmt: skip
    post = {"item": titos.pk, "from_area": main.pk, "to_area": back_bar.pk, "quantity": "1", **data}
    if post["to_area"] == "same":
        post["to_area"] = main.pk

    response = client_for(tenant.staff).post(url("transfer"), post)

    assert message in response.content.decode()
    assert StockMovement.objects.filter(kind=Kind.TRANSFER_OUT).count() == 0


def test_a_storage_area_of_another_organization_is_not_a_choice(client_for, tenant, other_tenant, titos, main):
    theirs = other_tenant.venue.storage_areas.get()

    response = client_for(tenant.admin).post(
        url("transfer"), {"item": titos.pk, "from_area": main.pk, "to_area": theirs.pk, "quantity": "1"}
    )  # fmt: skip

    assert "That storage area is not available; choose another." in response.content.decode()
    assert not StockMovement.objects.filter(storage_area=theirs).exists()


def test_stock_can_go_to_a_venue_the_member_does_not_work_in_but_not_come_from_one(client_for, tenant, titos, main):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    patio_main = patio.storage_areas.get()
    limited = tenant.staff.memberships.get()
    limited.venues.set([tenant.venue])
    client = client_for(tenant.staff)

    sent = client.post(url("transfer"), {"item": titos.pk, "from_area": main.pk, "to_area": patio_main.pk,
                                         "quantity": "1"})  # fmt: skip
    taken = client.post(url("transfer"), {"item": titos.pk, "from_area": patio_main.pk, "to_area": main.pk,
                                          "quantity": "1"})  # fmt: skip

    assert sent.status_code == 302 and level(titos, patio_main) == 1
    assert "That storage area is not available" in taken.content.decode() and level(titos, patio_main) == 1


# --- write-off ----------------------------------------------------------------------------------


def test_a_manager_writes_off_stock_with_a_reason(client_for, tenant, titos, back_bar):
    response = client_for(tenant.manager).post(
        url("write_off"), {"item": titos.pk, "storage_area": back_bar.pk, "quantity": "1", "reason": "broken bottle"},
        follow=True,
    )  # fmt: skip

    assert ("Wrote off 1 of Tito&#x27;s Handmade Vodka 750ML in Copper Tap Group Bar — Back bar: broken bottle."
            in response.content.decode())  # fmt: skip
    movement = StockMovement.objects.get(kind=Kind.WRITE_OFF)
    assert (movement.quantity, movement.reason, movement.actor) == (-1, "broken bottle", tenant.manager)


def test_a_write_off_needs_a_reason(client_for, tenant, titos, back_bar):
    response = client_for(tenant.manager).post(
        url("write_off"), {"item": titos.pk, "storage_area": back_bar.pk, "quantity": "1", "reason": ""}
    )  # fmt: skip

    assert "Say why; it goes into the stock history." in response.content.decode()
    assert level(titos, back_bar) == 2


def test_staff_may_not_open_the_write_off_page(client_for, tenant, titos, back_bar):
    client = client_for(tenant.staff)

    assert client.get(url("write_off", item=titos)).status_code == 403
    assert client.post(url("write_off"), {"item": titos.pk, "storage_area": back_bar.pk, "quantity": "1",
                                          "reason": "oops"}).status_code == 403  # fmt: skip
    assert level(titos, back_bar) == 2
    assert "Write off" not in client.get(url("transfer")).content.decode()  # not offered in the stock menu


# --- quarantine and release ---------------------------------------------------------------------


def test_quarantine_and_release_through_the_pages(client_for, tenant, titos, main, back_bar):
    client = client_for(tenant.manager)

    held = client.post(url("quarantine"), {"item": titos.pk, "storage_area": main.pk, "quantity": "4",
                                           "reason": "recall notice"}, follow=True)  # fmt: skip
    quarantine = StorageArea.objects.get(venue=tenant.venue, is_quarantine=True)
    form = client.get(url("release", item=titos)).content.decode()
    released = client.post(url("release"), {"item": titos.pk, "quarantine_area": quarantine.pk,
                                            "to_area": back_bar.pk, "quantity": "3"}, follow=True)  # fmt: skip
    too_many = client.post(url("release"), {"item": titos.pk, "quarantine_area": quarantine.pk,
                                            "to_area": back_bar.pk, "quantity": "3"})  # fmt: skip

    assert "from Copper Tap Group Bar — Main storage to quarantine: recall notice." in held.content.decode()
    assert ">Quarantine · 4 on hand<" in form
    assert "Released 3 of Tito&#x27;s Handmade Vodka 750ML from quarantine to Copper Tap Group Bar — Back bar." in \
        released.content.decode()  # fmt: skip
    assert "Only 1 of Tito&#x27;s Handmade Vodka 750ML in Quarantine; cannot take 3." in too_many.content.decode()
    assert (level(titos, main), level(titos, quarantine), level(titos, back_bar)) == (6, 1, 5)


def test_quarantine_needs_a_reason(client_for, tenant, titos, main):
    response = client_for(tenant.staff).post(url("quarantine"), {"item": titos.pk, "storage_area": main.pk,
                                                                 "quantity": "1"})  # fmt: skip

    assert "Say why; it goes into the stock history." in response.content.decode()
    assert level(titos, main) == 10


# --- movements ----------------------------------------------------------------------------------


def test_the_movements_of_a_storage_area_are_listed_newest_first_and_paginated(client_for, tenant, titos, back_bar):
    for n in range(55):
        ledger.record_movement(organization=tenant.organization, item=titos, storage_area=back_bar,
                               quantity=Decimal("-0.1"), kind=Kind.SALE, reason=f"sale {n}")  # fmt: skip
    client = client_for(tenant.staff)

    first = client.get(url("area_movements", back_bar.pk)).content.decode()
    second = client.get(url("area_movements", back_bar.pk), {"page": 2}).content.decode()

    assert first.count('data-testid="movement-row"') == 50 and second.count('data-testid="movement-row"') == 6
    assert "sale 54" in first and "Received (invoice)" in second and "+2<" in second
    assert "Page 1 of 2" in first


def test_a_count_adjustment_links_to_its_count(client_for, tenant, titos, back_bar):
    from items.services import counts

    count = counts.start_count(actor=tenant.staff, organization=tenant.organization, storage_area=back_bar)
    counts.set_count_line(actor=tenant.staff, organization=tenant.organization, count=count, item=titos,
                          full_units=1, tenths=0)  # fmt: skip
    counts.finish_count(actor=tenant.staff, organization=tenant.organization, count=count)

    html = client_for(tenant.staff).get(url("area_movements", back_bar.pk)).content.decode()

    assert f'<a href="{reverse("items:stock:count", args=[count.pk])}">Count adjustment</a>' in html
    assert "-1<" in html
