"""Stock counts: the services (start, lines, finish, cancel) and the pages (counts, sheet, finish)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory_site.errors import PermissionDenied
from items.models import StockCount, StockCountLine, StockLevel, StockMovement
from items.services import counts, ledger
from items.services.catalog import create_item
from items.services.counts import CountError, CountNotOpen
from venues import services as venue_services
from venues.models import AuditLogEntry, Membership

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Kind = StockMovement.Kind


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def back_bar(tenant):
    return venue_services.create_storage_area(actor=tenant.admin, organization=tenant.organization,
                                              venue=tenant.venue, name="Back bar")  # fmt: skip


def item(tenant, name, size="750ML", upc=""):
    created, _ = create_item(actor=tenant.admin, organization=tenant.organization, name=name, size=size, upc=upc)
    return created


def receive(tenant, it, area, quantity):
    ledger.record_movement(organization=tenant.organization, item=it, storage_area=area, quantity=quantity,
                           kind=Kind.RECEIPT, business_date=date(2024, 2, 1))  # fmt: skip


def level(it, area) -> Decimal | None:
    row = StockLevel.objects.filter(item=it, storage_area=area).first()
    return None if row is None else row.quantity


@pytest.fixture
def shelf(tenant, back_bar):
    """Back bar: 5 Tito's, 2 Jameson, 3 Campari; Aperol known but not in stock there."""
    titos = item(tenant, "Tito's Handmade Vodka", upc="619947000020")
    jameson = item(tenant, "Jameson Irish Whiskey", size="1L")
    campari = item(tenant, "Campari")
    aperol = item(tenant, "Aperol")
    receive(tenant, titos, back_bar, 5)
    receive(tenant, jameson, back_bar, 2)
    receive(tenant, campari, back_bar, 3)
    return {"titos": titos, "jameson": jameson, "campari": campari, "aperol": aperol}


def start(tenant, area, user=None, **kwargs) -> StockCount:
    return counts.start_count(actor=user or tenant.staff, organization=tenant.organization, storage_area=area, **kwargs)


def enter(tenant, count, it, full, tenths=0, user=None):
    return counts.set_count_line(actor=user or tenant.staff, organization=tenant.organization, count=count, item=it,
                                 full_units=full, tenths=tenths)  # fmt: skip


def finish(tenant, count, user=None):
    return counts.finish_count(actor=user or tenant.staff, organization=tenant.organization, count=count)


def url(name, *args):
    return reverse(f"items:stock:{name}", args=args)


# --- services: start ----------------------------------------------------------------------------


def test_a_count_starts_dated_today_at_the_venue_and_is_audited(tenant, back_bar):
    count = start(tenant, back_bar)

    assert count.status == StockCount.Status.OPEN and count.started_by == tenant.staff
    assert count.business_date == counts.venue_today(back_bar)
    entry = AuditLogEntry.objects.get(action="stock.count_started")
    assert entry.actor == tenant.staff and entry.summary.startswith("Count of Copper Tap Group Bar — Back bar started")


def test_a_storage_area_has_one_open_count_at_a_time(tenant, back_bar):
    first = start(tenant, back_bar)

    with pytest.raises(CountError) as raised:
        start(tenant, back_bar, user=tenant.manager)

    assert str(raised.value) == (
        "A count of Back bar is already in progress, started by Sam A. Continue that count, or cancel it first."
    )
    finish(tenant, first)
    assert start(tenant, back_bar, user=tenant.manager).status == StockCount.Status.OPEN


def test_a_count_after_closing_may_be_dated_yesterday_but_never_tomorrow(tenant, back_bar):
    today = counts.venue_today(back_bar)

    with pytest.raises(CountError, match="can't be dated after today"):
        start(tenant, back_bar, business_date=today + timedelta(days=1))
    count = start(tenant, back_bar, business_date=today - timedelta(days=1))

    assert count.business_date == today - timedelta(days=1)


def test_quarantined_stock_is_not_counted(tenant):
    quarantine = ledger.quarantine_area_for(organization=tenant.organization, venue=tenant.venue)

    with pytest.raises(CountError, match="holds quarantined stock"):
        start(tenant, quarantine)


def test_an_outsider_cannot_start_a_count(tenant, other_tenant, back_bar):
    with pytest.raises(PermissionDenied):
        counts.start_count(actor=other_tenant.admin, organization=tenant.organization, storage_area=back_bar)

    assert not StockCount.objects.exists()


# --- services: lines ----------------------------------------------------------------------------


def test_a_line_is_full_units_plus_tenths_and_saving_again_replaces_it(tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    enter(tenant, count, shelf["titos"], 3, 4)
    line = enter(tenant, count, shelf["titos"], "4", "2", user=tenant.manager)

    assert StockCountLine.objects.filter(count=count).count() == 1
    assert (line.full_units, line.tenths, line.quantity) == (4, 2, Decimal("4.2"))
    assert line.counted_by == tenant.manager


@pytest.mark.parametrize(("full", "tenths", "message"), [
    (1, 10, "Tenths of Campari 750ML: enter 0 to 9."),
    (1, -1, "Tenths of Campari 750ML: enter 0 to 9."),
    (1, "x", "Tenths of Campari 750ML: enter a whole number, not “x”."),
    ("2.5", 0, "Full units of Campari 750ML: enter a whole number, not “2.5”."),
    (-1, 0, "Full units of Campari 750ML: enter 0 to 999999."),
])  # fmt: skip
def test_a_line_out_of_range_is_refused_with_the_reason(tenant, back_bar, shelf, full, tenths, message):
    count = start(tenant, back_bar)

    with pytest.raises(CountError) as raised:
        enter(tenant, count, shelf["campari"], full, tenths)

    assert str(raised.value) == message
    assert not StockCountLine.objects.exists()


def test_empty_boxes_count_as_zero(tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    line = enter(tenant, count, shelf["campari"], "", "7")

    assert line.quantity == Decimal("0.7")


def test_removing_a_line_leaves_the_item_not_counted(tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 1)

    removed = counts.remove_count_line(actor=tenant.staff, organization=tenant.organization, count=count,
                                       item=shelf["titos"])  # fmt: skip

    assert removed is True and not StockCountLine.objects.exists()


def test_lines_cannot_change_once_the_count_is_finished(tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 5)
    finish(tenant, count)

    with pytest.raises(CountNotOpen, match="already finished by Sam A; nothing was changed"):
        enter(tenant, count, shelf["titos"], 9)
    with pytest.raises(CountNotOpen):
        counts.remove_count_line(actor=tenant.staff, organization=tenant.organization, count=count,
                                 item=shelf["titos"])  # fmt: skip

    assert StockCountLine.objects.get().full_units == 5


# --- services: finish and cancel ------------------------------------------------------------------


def test_finishing_adjusts_each_difference_with_a_count_movement_dated_by_the_count(tenant, back_bar, shelf):
    count = start(tenant, back_bar, business_date=date(2024, 3, 1))
    enter(tenant, count, shelf["titos"], 3, 4)  # 5 expected
    enter(tenant, count, shelf["jameson"], 2)  # as expected
    enter(tenant, count, shelf["aperol"], 1)  # none expected

    result = finish(tenant, count)

    assert level(shelf["titos"], back_bar) == Decimal("3.4")
    assert level(shelf["jameson"], back_bar) == 2
    assert level(shelf["aperol"], back_bar) == 1
    assert level(shelf["campari"], back_bar) == 3  # not counted: left as it was
    movements = StockMovement.objects.filter(kind=Kind.COUNT).order_by("item__name")
    assert [(m.item.name, m.quantity) for m in movements] == [("Aperol", 1), ("Tito's Handmade Vodka", Decimal("-1.6"))]
    assert {m.business_date for m in movements} == {date(2024, 3, 1)}
    assert {(m.source_type, m.source_id, m.actor_id) for m in movements} == {("count", str(count.pk), tenant.staff.pk)}
    lines = {line.item.name: line for line in StockCountLine.objects.select_related("item")}
    assert (lines["Tito's Handmade Vodka"].expected_quantity, lines["Tito's Handmade Vodka"].adjustment) == (5, Decimal("-1.6"))
    assert (lines["Jameson Irish Whiskey"].expected_quantity, lines["Jameson Irish Whiskey"].adjustment) == (2, 0)
    assert (lines["Aperol"].expected_quantity, lines["Aperol"].adjustment) == (0, 1)
    count.refresh_from_db()
    assert count.status == StockCount.Status.FINISHED and count.finished_by == tenant.staff
    assert len(result.adjusted) == 2 and result.net_adjustment == Decimal("-0.6")
    entry = AuditLogEntry.objects.get(action="stock.count_finished")
    assert entry.summary == "Count of Copper Tap Group Bar — Back bar finished: 3 items counted, 2 adjusted (net -0.6)"
    assert ledger.find_ledger_mismatches(organization=tenant.organization) == []


def test_finishing_twice_adjusts_once(tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 2)
    finish(tenant, count)

    with pytest.raises(CountNotOpen, match="already finished"):
        finish(tenant, count, user=tenant.manager)  # a stale object, as a second browser tab has

    assert StockMovement.objects.filter(kind=Kind.COUNT).count() == 1
    assert level(shelf["titos"], back_bar) == 2
    assert AuditLogEntry.objects.filter(action="stock.count_finished").count() == 1


def test_a_count_of_zero_takes_the_stock_to_zero(tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["campari"], 0, 0)

    finish(tenant, count)

    assert level(shelf["campari"], back_bar) == 0


def test_cancelling_leaves_stock_alone_and_closes_the_count(tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 1)

    counts.cancel_count(actor=tenant.staff, organization=tenant.organization, count=count)

    count.refresh_from_db()
    assert count.status == StockCount.Status.CANCELLED
    assert level(shelf["titos"], back_bar) == 5
    assert not StockMovement.objects.filter(kind=Kind.COUNT).exists()
    with pytest.raises(CountNotOpen, match="was cancelled"):
        finish(tenant, count)
    assert start(tenant, back_bar).status == StockCount.Status.OPEN


def test_only_the_counter_or_a_manager_may_cancel_a_count(tenant, back_bar):
    other_staff = Membership.objects.create(
        organization=tenant.organization, role=Membership.Role.STAFF,
        user=type(tenant.staff).objects.create_user("a-barback@example.test", "pw-barback-123"),
    ).user  # fmt: skip
    count = start(tenant, back_bar)

    with pytest.raises(CountError, match="Only the person who started this count or a manager"):
        counts.cancel_count(actor=other_staff, organization=tenant.organization, count=count)
    counts.cancel_count(actor=tenant.manager, organization=tenant.organization, count=count)

    count.refresh_from_db()
    assert count.status == StockCount.Status.CANCELLED


# --- pages: the counts list ------------------------------------------------------------------------


def test_the_counts_page_offers_each_area_of_the_active_venue(client_for, tenant, back_bar):
    ledger.quarantine_area_for(organization=tenant.organization, venue=tenant.venue)
    open_count = start(tenant, back_bar)

    response = client_for(tenant.staff).get(url("counts"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Start a count of Main storage"' in html
    assert "Start a count of Back bar" not in html and url("count", open_count.pk) in html  # "Continue count"
    assert "Start a count of Quarantine" not in html
    assert "Continue count" in html and "In progress" in html


def test_starting_a_count_from_the_page_opens_a_sheet_listing_what_the_area_stocks(client_for, tenant, back_bar, shelf):
    client = client_for(tenant.staff)

    response = client.post(url("count_start"), {"storage_area": back_bar.pk}, follow=True)

    count = StockCount.objects.get()
    assert response.redirect_chain[-1][0] == url("count", count.pk)
    html = response.content.decode()
    assert html.count('data-testid="count-row"') == 3
    for name in ("Tito&#x27;s Handmade Vodka", "Jameson Irish Whiskey", "Campari"):
        assert name in html
    assert "Aperol" not in html
    assert html.count('inputmode="numeric"') == 6  # full units and tenths of each line
    assert 'for="full-{}"'.format(shelf["titos"].pk) in html and 'for="tenths-{}"'.format(shelf["titos"].pk) in html


def test_a_count_started_from_the_page_takes_the_business_date_given(client_for, tenant, back_bar):
    response = client_for(tenant.staff).post(url("count_start"), {"storage_area": back_bar.pk,
                                                                  "business_date": "2024-03-01"})  # fmt: skip

    count = StockCount.objects.get()
    assert response["Location"] == url("count", count.pk)
    assert count.business_date == date(2024, 3, 1)


def test_starting_a_second_count_of_an_area_says_why_not(client_for, tenant, back_bar):
    start(tenant, back_bar)

    response = client_for(tenant.manager).post(url("count_start"), {"storage_area": back_bar.pk}, follow=True)

    assert "A count of Back bar is already in progress, started by Sam A." in response.content.decode()
    assert StockCount.objects.count() == 1


def test_the_counts_page_costs_the_same_queries_for_one_count_or_twelve(client_for, tenant, back_bar, shelf):
    client = client_for(tenant.staff)
    finish(tenant, start(tenant, back_bar))
    client.get(url("counts"))  # the session's first request does its own bookkeeping

    with CaptureQueriesContext(connection) as few:
        client.get(url("counts"))
    for n in range(11):
        count = start(tenant, back_bar)
        enter(tenant, count, shelf["titos"], n)
        finish(tenant, count)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("counts"))

    assert response.content.decode().count('data-testid="count-list-row"') == 12
    assert len(many) == len(few)


# --- pages: the sheet -------------------------------------------------------------------------------


def test_the_sheet_search_finds_items_by_name_and_by_upc_of_this_organization_only(client_for, tenant, other_tenant,
                                                                                   back_bar, shelf):  # fmt: skip
    item(other_tenant, "Aperol Spritz Riverside")
    count = start(tenant, back_bar)
    client = client_for(tenant.staff)

    by_name = client.get(url("count", count.pk), {"q": "aper"}, headers=HTMX).content.decode()
    by_upc = client.get(url("count", count.pk), {"q": "619947000020"}, headers=HTMX).content.decode()

    assert "Aperol" in by_name and "Riverside" not in by_name and "<html" not in by_name
    assert f'value="{shelf["aperol"].pk}"' in by_name
    assert "Tito&#x27;s Handmade Vodka" in by_upc


def test_adding_a_scanned_item_returns_its_line_and_puts_the_cursor_there(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_add", count.pk), {"q": "619947000020"}, headers=HTMX)

    assert response.status_code == 200
    # Tito's is on the sheet already (Back bar stocks it): no second row, just the focus.
    assert response.content == b""
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"countFocus": {"id": f"line-{shelf['titos'].pk}"}}


def test_adding_an_item_not_stocked_there_returns_a_new_line_for_it(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_add", count.pk), {"q": "aperol"}, headers=HTMX)

    html = response.content.decode()
    assert f'id="line-{shelf["aperol"].pk}"' in html and 'data-added="1"' in html and "new here" in html
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"countFocus": {"id": f"line-{shelf['aperol'].pk}"}}
    assert not StockCountLine.objects.exists()  # listed, but not counted until a number is entered


def test_adding_something_unknown_says_so_in_the_search_results(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_add", count.pk), {"q": "zzz"}, headers=HTMX)

    assert response["HX-Retarget"] == "#count-search-results"
    assert "No item matches “zzz”" in response.content.decode()


def test_without_javascript_adding_shows_the_item_on_the_sheet(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    client = client_for(tenant.staff)

    response = client.post(url("count_add", count.pk), {"item": shelf["aperol"].pk}, follow=True)

    assert f'id="line-{shelf["aperol"].pk}"' in response.content.decode()


def test_saving_a_line_with_htmx_answers_only_its_saved_status(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_line", count.pk, shelf["titos"].pk),
                                             {"full_units": "3", "tenths": "4"}, headers=HTMX)  # fmt: skip

    html = response.content.decode()
    assert "✓ Saved" in html and "3.4" in html and "<form" not in html
    line = StockCountLine.objects.get()
    assert (line.item, line.quantity, line.counted_by) == (shelf["titos"], Decimal("3.4"), tenant.staff)


def test_a_bad_number_is_explained_in_the_line_status_and_nothing_is_saved(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_line", count.pk, shelf["titos"].pk),
                                             {"full_units": "3", "tenths": "12"}, headers=HTMX)  # fmt: skip

    assert 'role="alert">Tenths of Tito&#x27;s Handmade Vodka 750ML: enter 0 to 9.<' in response.content.decode()
    assert not StockCountLine.objects.exists()


def test_clearing_both_boxes_makes_the_item_not_counted_again(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 3)

    response = client_for(tenant.staff).post(url("count_line", count.pk, shelf["titos"].pk),
                                             {"full_units": "", "tenths": ""}, headers=HTMX)  # fmt: skip

    assert "Not counted" in response.content.decode()
    assert not StockCountLine.objects.exists()


def test_without_javascript_a_saved_line_returns_to_the_sheet_at_that_line(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_line", count.pk, shelf["titos"].pk),
                                             {"full_units": "2", "tenths": "0"})  # fmt: skip

    assert response.status_code == 302 and response["Location"] == url("count", count.pk) + f"#line-{shelf['titos'].pk}"
    assert StockCountLine.objects.get().quantity == 2


def test_a_line_saved_after_someone_finished_the_count_reloads_to_the_result(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    finish(tenant, count, user=tenant.manager)

    response = client_for(tenant.staff).post(url("count_line", count.pk, shelf["titos"].pk),
                                             {"full_units": "2"}, headers=HTMX)  # fmt: skip

    assert response["HX-Redirect"] == url("count", count.pk)
    assert not StockCountLine.objects.exists()


def test_the_sheet_costs_the_same_queries_for_four_items_or_thirty(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 1)
    client = client_for(tenant.staff)
    client.get(url("count", count.pk))  # the session's first request does its own bookkeeping

    with CaptureQueriesContext(connection) as few:
        client.get(url("count", count.pk))
    for n in range(27):
        extra = item(tenant, f"Extra {n}")
        receive(tenant, extra, back_bar, 1)
        if n % 3 == 0:
            enter(tenant, count, extra, 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("count", count.pk))

    assert response.content.decode().count('data-testid="count-row"') == 30
    assert len(many) == len(few)


# --- pages: finish --------------------------------------------------------------------------------


def test_the_finish_step_shows_each_difference_and_what_was_not_counted(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 3, 4)
    enter(tenant, count, shelf["jameson"], 2)

    response = client_for(tenant.staff).get(url("count_finish", count.pk))

    html = response.content.decode()
    assert response.status_code == 200
    titos_row = html.split("Tito&#x27;s Handmade Vodka")[1].split("</tr>")[0]
    assert ">3.4<" in titos_row and ">5<" in titos_row and ">-1.6<" in titos_row
    assert "Not counted (1)" in html and "Campari" in html
    assert "1 item</strong> will be adjusted (net -1.6 units)" in html
    assert not StockMovement.objects.filter(kind=Kind.COUNT).exists()  # looking changes nothing


def test_finishing_from_the_page_adjusts_and_shows_the_new_levels(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 3, 4)
    enter(tenant, count, shelf["aperol"], 1)
    client = client_for(tenant.staff)

    response = client.post(url("count_finish", count.pk), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url("count", count.pk)
    assert "Count of Back bar finished: 2 items counted, 2 adjusted." in html
    rows = [row for row in html.split('data-testid="result-row"')[1:]]
    assert len(rows) == 2
    aperol, titos = rows
    assert 'data-testid="adjustment">+1<' in aperol and 'data-testid="level-now">1<' in aperol
    assert 'data-testid="adjustment">-1.6<' in titos and 'data-testid="level-now">3.4<' in titos
    assert "Not counted, left unchanged (2)" in html  # Jameson and Campari
    assert level(shelf["titos"], back_bar) == Decimal("3.4")


def test_a_second_finish_post_changes_nothing_and_says_it_was_already_finished(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 1)
    client = client_for(tenant.staff)
    client.post(url("count_finish", count.pk))

    response = client.post(url("count_finish", count.pk), follow=True)

    assert "already finished by Sam A; nothing was changed" in response.content.decode()
    assert StockMovement.objects.filter(kind=Kind.COUNT).count() == 1
    assert level(shelf["titos"], back_bar) == 1


def test_cancelling_from_the_page_returns_to_the_counts(client_for, tenant, back_bar, shelf):
    count = start(tenant, back_bar)

    response = client_for(tenant.staff).post(url("count_cancel", count.pk), follow=True)

    assert "Count of Back bar cancelled. Stock is unchanged." in response.content.decode()
    count.refresh_from_db()
    assert count.status == StockCount.Status.CANCELLED


# --- access ---------------------------------------------------------------------------------------


def test_staff_can_count_from_start_to_finish(client_for, tenant, back_bar, shelf):
    client = client_for(tenant.staff)
    client.post(url("count_start"), {"storage_area": back_bar.pk})
    count = StockCount.objects.get()

    client.post(url("count_line", count.pk, shelf["campari"].pk), {"full_units": "1", "tenths": "5"}, headers=HTMX)
    client.post(url("count_finish", count.pk))

    assert level(shelf["campari"], back_bar) == Decimal("1.5")
    assert StockMovement.objects.get(kind=Kind.COUNT).actor == tenant.staff


def test_an_outsider_gets_404_for_every_page_of_a_count(client_for, tenant, other_tenant, back_bar, shelf):
    count = start(tenant, back_bar)
    enter(tenant, count, shelf["titos"], 1)
    client = client_for(other_tenant.admin)

    answers = [
        client.get(url("count", count.pk)).status_code,
        client.get(url("count", count.pk), {"q": "tito"}, headers=HTMX).status_code,
        client.post(url("count_add", count.pk), {"q": "tito"}).status_code,
        client.post(url("count_line", count.pk, shelf["titos"].pk), {"full_units": "9"}).status_code,
        client.get(url("count_finish", count.pk)).status_code,
        client.post(url("count_finish", count.pk)).status_code,
        client.post(url("count_cancel", count.pk)).status_code,
        client.post(url("count_start"), {"storage_area": back_bar.pk}).status_code,
    ]

    assert answers == [404] * len(answers)
    count.refresh_from_db()
    assert count.status == StockCount.Status.OPEN and StockCountLine.objects.get().full_units == 1


def test_a_member_limited_to_another_venue_cannot_open_this_venues_count(client_for, tenant, back_bar):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    Membership.objects.get(organization=tenant.organization, user=tenant.staff).venues.set([patio])
    count = start(tenant, back_bar, user=tenant.manager)
    client = client_for(tenant.staff)

    assert client.get(url("count", count.pk)).status_code == 404
    assert client.post(url("count_start"), {"storage_area": back_bar.pk}).status_code == 404
    assert url("count", count.pk) not in client.get(url("counts")).content.decode()
