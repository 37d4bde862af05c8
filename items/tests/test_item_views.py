"""The Items page, the item detail and adding or editing an item by hand."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from distributors.models import Distributor
from items.models import Item, ItemCost, ItemIdentifier, ItemPar
from items.services.catalog import create_item, record_identifier, set_par
from items.services.ledger import quarantine_stock, record_movement
from items.urls import url_objects
from venues import services as venue_services
from venues.models import AuditLogEntry, StorageArea

pytestmark = pytest.mark.django_db

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
INDEX = reverse("items:index")
NEW = reverse("items:new")


def add_item(tenant, name, **fields):
    fields.setdefault("category", Item.Category.SPIRITS)
    item, _ = create_item(actor=tenant.manager, organization=tenant.organization, name=name, **fields)
    return item


def add_sku(tenant, item, value, distributor=None, **kwargs):
    return record_identifier(organization=tenant.organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                             value=value, distributor=distributor, source="test", **kwargs)  # fmt: skip


def primary_area(venue) -> StorageArea:
    return StorageArea.objects.get(venue=venue, is_primary=True)


def stock(tenant, item, quantity, area=None):
    record_movement(organization=tenant.organization, item=item, storage_area=area or primary_area(tenant.venue),
                    quantity=quantity, kind="opening", actor=tenant.manager)  # fmt: skip


def names_in(response) -> list[str]:
    return [html.unescape(name) for name in re.findall(r'class="item-name" href="[^"]+">([^<]+)</a>', response.content.decode())]


def field_html(page: str, name: str) -> str:
    """The markup of one form field: its label, input, warning, help and errors."""
    return re.split(r'<div class="field[ "]', page.split(f'for="id_{name}"')[1])[0]


def form_post(**overrides) -> dict:
    data = {"name": "Buffalo Trace Bourbon", "category": "spirits", "size": "750ML", "units_per_case": "12",
            "producer": "Sazerac", "importer": "", "upc": "", "case_gtin": "", "cost_per_unit": "",
            "preferred_distributor": "", "vintage": "", "abv": "", "proof": ""}  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def southern(db):
    return Distributor.objects.create(name="Southern Glazer's", slug="southern-glazers-test")


# --- the list and search ----------------------------------------------------------------------


def test_the_list_shows_the_organizations_items_sorted_by_name(client_for, tenant, other_tenant):
    add_item(tenant, "Tito's Handmade Vodka", size="1L")
    add_item(tenant, "Buffalo Trace Bourbon", size="750ML")
    add_item(other_tenant, "Riverside Rye", size="750ML")

    response = client_for(tenant.staff).get(INDEX)

    assert response.status_code == 200
    assert names_in(response) == ["Buffalo Trace Bourbon", "Tito's Handmade Vodka"]
    assert "Riverside" not in response.content.decode()


def test_searching_by_a_name_fragment_finds_the_item_in_any_letter_case(client_for, tenant):
    add_item(tenant, "Buffalo Trace Bourbon")
    add_item(tenant, "Tito's Handmade Vodka")

    response = client_for(tenant.staff).get(INDEX, {"q": "trac"}, **HTMX_RESULTS)

    assert names_in(response) == ["Buffalo Trace Bourbon"]
    assert "<h1>" not in response.content.decode(), "an htmx search answers with the results region only"


def test_searching_by_part_of_a_distributor_sku_finds_the_item(client_for, tenant, southern):
    bourbon = add_item(tenant, "Buffalo Trace Bourbon")
    add_item(tenant, "Tito's Handmade Vodka")
    add_sku(tenant, bourbon, "SG-268264", distributor=southern)

    response = client_for(tenant.staff).get(INDEX, {"q": "68264"})

    assert names_in(response) == ["Buffalo Trace Bourbon"]
    assert "SG-268264" in response.content.decode()


def test_searching_by_upc_finds_the_item(client_for, tenant):
    add_item(tenant, "Buffalo Trace Bourbon", upc="080244009236")
    add_item(tenant, "Tito's Handmade Vodka", upc="619947000013")

    response = client_for(tenant.staff).get(INDEX, {"q": "080244009236"})

    assert names_in(response) == ["Buffalo Trace Bourbon"]


def test_every_word_of_a_search_must_match(client_for, tenant):
    add_item(tenant, "Buffalo Trace Bourbon")
    add_item(tenant, "Buffalo Trace Kosher Wheat")
    add_item(tenant, "Eagle Rare Bourbon")

    response = client_for(tenant.staff).get(INDEX, {"q": "buffalo bourbon"})

    assert names_in(response) == ["Buffalo Trace Bourbon"]


def test_a_search_that_matches_nothing_says_so_and_offers_to_add_the_item(client_for, tenant):
    add_item(tenant, "Buffalo Trace Bourbon")

    html = client_for(tenant.manager).get(INDEX, {"q": "mezcal"}).content.decode()

    assert "No item matches “mezcal”" in html
    assert f'href="{NEW}?name=mezcal"' in html


def test_an_empty_catalog_says_to_import_a_catalog_or_add_an_item(client_for, tenant):
    html = client_for(tenant.manager).get(INDEX).content.decode()

    assert "No items yet." in html
    assert 'href="/items/import/"' in html and "import a catalog" in html
    assert f'href="{NEW}"' in html


def test_filters_narrow_the_list_by_category_distributor_and_archived(client_for, tenant, southern):
    bourbon = add_item(tenant, "Buffalo Trace Bourbon", preferred_distributor=southern)
    wine = add_item(tenant, "Meiomi Pinot Noir", category=Item.Category.WINE)
    add_sku(tenant, wine, "SG-1", distributor=southern)
    add_item(tenant, "Old Tom Gin", archived=True)
    client = client_for(tenant.staff)

    assert names_in(client.get(INDEX, {"category": "wine"})) == ["Meiomi Pinot Noir"]
    assert names_in(client.get(INDEX, {"distributor": southern.pk})) == [bourbon.name, wine.name]
    assert names_in(client.get(INDEX, {"archived": "only"})) == ["Old Tom Gin"]
    assert names_in(client.get(INDEX, {"archived": "all"})) == [bourbon.name, wine.name, "Old Tom Gin"]
    assert "Old Tom Gin" not in names_in(client.get(INDEX))


def test_the_venue_filter_shows_items_stocked_or_with_a_par_there_and_their_on_hand(client_for, tenant):
    patio = venue_services.create_venue(actor=tenant.admin, organization=tenant.organization, name="Patio", state="IA")
    stocked = add_item(tenant, "Buffalo Trace Bourbon")
    with_par = add_item(tenant, "Eagle Rare Bourbon")
    elsewhere = add_item(tenant, "Old Tom Gin")
    stock(tenant, stocked, 7)
    set_par(actor=tenant.manager, organization=tenant.organization, item=with_par, venue=tenant.venue, par=4)
    stock(tenant, elsewhere, 3, area=primary_area(patio))

    response = client_for(tenant.admin).get(INDEX, {"venue": tenant.venue.pk})

    assert names_in(response) == ["Buffalo Trace Bourbon", "Eagle Rare Bourbon"]
    rows = response.content.decode()
    assert re.search(r"Buffalo Trace Bourbon.*?>\s*7 / —", rows, re.S)
    assert re.search(r"Eagle Rare Bourbon.*?>\s*0 / 4", rows, re.S)


def test_below_par_lists_items_whose_stock_at_the_venue_is_under_its_par(client_for, tenant):
    low = add_item(tenant, "Buffalo Trace Bourbon")
    enough = add_item(tenant, "Eagle Rare Bourbon")
    add_item(tenant, "Old Tom Gin")  # no par: never low
    for item, on_hand, par in ((low, 2, 6), (enough, 6, 6)):
        stock(tenant, item, on_hand)
        set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par=par)
    # Quarantined stock is not on hand: 6 - 5 held back leaves 1 against a par of 6.
    quarantine_stock(actor=tenant.manager, organization=tenant.organization, item=enough,
                     storage_area=primary_area(tenant.venue), quantity=5, reason="damaged case")  # fmt: skip
    client = client_for(tenant.staff)

    at_venue = client.get(INDEX, {"low": "on", "venue": tenant.venue.pk})
    anywhere = client.get(INDEX, {"low": "on"})

    assert names_in(at_venue) == ["Buffalo Trace Bourbon", "Eagle Rare Bourbon"]
    assert names_in(anywhere) == ["Buffalo Trace Bourbon", "Eagle Rare Bourbon"]
    assert "Below par" in at_venue.content.decode()


def test_sorting_by_cost_on_hand_and_recently_updated(client_for, tenant):
    cheap = add_item(tenant, "Zubrowka", cost_per_unit="9.50")
    dear = add_item(tenant, "Angel's Envy", cost_per_unit="39")
    unknown = add_item(tenant, "Mystery Bottle")
    stock(tenant, dear, 1)
    stock(tenant, cheap, 10)
    client = client_for(tenant.staff)

    assert names_in(client.get(INDEX, {"sort": "cost"})) == [cheap.name, dear.name, unknown.name]
    assert names_in(client.get(INDEX, {"sort": "-cost"})) == [dear.name, cheap.name, unknown.name]
    assert names_in(client.get(INDEX, {"sort": "-on_hand"})) == [cheap.name, dear.name, unknown.name]
    assert names_in(client.get(INDEX, {"sort": "-updated"}))[0] == unknown.name
    assert names_in(client.get(INDEX, {"sort": "nonsense"})) == [dear.name, unknown.name, cheap.name]


def test_exact_code_and_name_prefix_hits_come_first_while_searching(client_for, tenant):
    add_item(tenant, "Aged Rum 1234")
    prefix = add_item(tenant, "1234 Gin")
    exact = add_item(tenant, "Zinfandel")
    add_sku(tenant, exact, "1234")

    client = client_for(tenant.staff)
    # As the search form sends it while typing: the sort select left on its default, Best match.
    as_typed = client.get(INDEX, {"q": "1234", "category": "", "sort": ""}, **HTMX_RESULTS)

    assert names_in(as_typed) == [exact.name, prefix.name, "Aged Rum 1234"]
    assert names_in(client.get(INDEX, {"q": "1234", "sort": "name"})) == [prefix.name, "Aged Rum 1234", exact.name]
    assert '<option value="" selected>Best match</option>' in client.get(INDEX, {"q": "1234"}).content.decode()


def test_pages_of_fifty_keep_the_search_and_filters_in_their_links(client_for, tenant):
    for n in range(53):
        add_item(tenant, f"House Wine {n:02d}", category=Item.Category.WINE)
    client = client_for(tenant.staff)

    first = client.get(INDEX, {"q": "house", "category": "wine"})
    second = client.get(INDEX, {"q": "house", "category": "wine", "page": 2})

    assert len(names_in(first)) == 50
    assert names_in(second) == ["House Wine 50", "House Wine 51", "House Wine 52"]
    assert "q=house&amp;category=wine&amp;page=2" in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_the_list_takes_the_same_number_of_queries_for_3_items_and_for_30(client_for, tenant, southern,
                                                                           django_assert_num_queries):  # fmt: skip
    client = client_for(tenant.staff)

    def add(count):
        for n in range(count):
            item = add_item(tenant, f"Item {Item.objects.count():03d}", preferred_distributor=southern)
            add_sku(tenant, item, f"SKU-{item.pk}", distributor=southern)
            stock(tenant, item, 2)
            set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par=3)

    add(3)
    client.get(INDEX)  # session and caches warm
    params = {"q": "item", "venue": tenant.venue.pk, "sort": "-on_hand"}
    with django_assert_num_queries(LIST_QUERIES):
        small = client.get(INDEX, params)
    add(27)
    with django_assert_num_queries(LIST_QUERIES):
        large = client.get(INDEX, params)

    assert len(names_in(small)) == 3 and len(names_in(large)) == 30


# Signing in and the tenant scope (session, user, memberships, venues, RLS settings: 11),
# then the distributor choices, the page (search, filters, total and rows in one query), the
# page's current SKUs, and the nav counts (pending invoices and unread notifications in one).
LIST_QUERIES = 13


# --- the detail page --------------------------------------------------------------------------


def test_the_detail_shows_codes_with_history_stock_by_area_pars_costs_and_movements(client_for, tenant, southern):
    item = add_item(tenant, "Buffalo Trace Bourbon", size="750ML", upc="080244009236", cost_per_unit="24.50")
    add_sku(tenant, item, "SG-100", distributor=southern)
    add_sku(tenant, item, "SG-200", distributor=southern, replaces_previous=True)
    cellar = venue_services.create_storage_area(actor=tenant.admin, organization=tenant.organization,
                                                venue=tenant.venue, name="Cellar")  # fmt: skip
    stock(tenant, item, 12)
    stock(tenant, item, 6, area=cellar)
    quarantine_stock(actor=tenant.manager, organization=tenant.organization, item=item,
                     storage_area=primary_area(tenant.venue), quantity=2, reason="broken bottles")  # fmt: skip
    set_par(actor=tenant.manager, organization=tenant.organization, item=item, venue=tenant.venue, par=8)

    response = client_for(tenant.staff).get(reverse("items:detail", args=[item.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    current = html.split('data-testid="identifiers"')[1].split("</table>")[0]
    history = html.split('data-testid="identifier-history"')[1].split("</details>")[0]
    assert "SG-200" in current and "080244009236" in current and "SG-100" not in current
    assert "SG-100" in history
    stock_html = html.split('data-testid="stock"')[1].split('id="pars"')[0]
    assert re.search(r"Main storage.*?>10<", stock_html, re.S) and re.search(r"Cellar.*?>6<", stock_html, re.S)
    assert "Quarantine" in stock_html and "broken bottles" in html
    assert re.search(r'data-testid="on-hand-total"><strong>16</strong>', html)
    assert re.search(r"Copper Tap Group Bar</th>\s*<td class=\"num\">8</td>", html)
    assert "$24.50" in html.split('data-testid="cost-history"')[1]
    assert '<section id="merges"' in html, "the merge tool's region (items/_merge_history.html) is on the page"
    assert 'href="/items/%d/edit/"' % item.pk not in html, "staff see no Edit button"


def test_movements_page_25_at_a_time_with_htmx(client_for, tenant):
    item = add_item(tenant, "Buffalo Trace Bourbon")
    for n in range(30):
        stock(tenant, item, n + 1)
    client = client_for(tenant.staff)
    url = reverse("items:detail", args=[item.pk])

    first = client.get(url).content.decode().split('<div id="movements"')[1]
    second = client.get(url, {"movements": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="movements").content.decode()

    assert first.count("Opening balance") == 25 and "Page 1 of 2" in first
    assert second.count("Opening balance") == 5 and second.lstrip().startswith('<div id="movements"')


def test_the_detail_takes_the_same_number_of_queries_with_more_history(client_for, tenant, southern,
                                                                        django_assert_num_queries):  # fmt: skip
    item = add_item(tenant, "Buffalo Trace Bourbon", upc="080244009236", cost_per_unit="20")
    client = client_for(tenant.manager)
    url = reverse("items:detail", args=[item.pk])
    client.get(url)

    def grow(n):
        for i in range(n):
            add_sku(tenant, item, f"SG-{item.identifiers.count()}", distributor=southern, replaces_previous=True)
            stock(tenant, item, i + 1)

    grow(1)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)
    grow(30)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)


# Signing in and the tenant scope (11), then the item, its codes, stock levels, costs, pars,
# the movements' count and page, and the nav counts (pending invoices and unread notifications).
DETAIL_QUERIES = 17


def test_another_organizations_item_is_404(client_for, tenant, other_tenant):
    theirs = add_item(other_tenant, "Riverside Rye")
    client = client_for(tenant.admin)

    for name in url_objects:
        url = reverse(f"items:{name}", args=[theirs.pk])
        answers = {client.get(url).status_code, client.post(url, {"venue": tenant.venue.pk, "par": "1"}).status_code}
        assert 404 in answers and answers <= {404, 405}, name
    assert not ItemPar.objects.exists()


# --- adding and editing -----------------------------------------------------------------------


def test_a_manager_adds_an_item_and_lands_on_its_page(client_for, tenant, southern):
    client = client_for(tenant.manager)

    response = client.post(NEW, form_post(upc="080244009236", cost_per_unit="24.99", preferred_distributor=southern.pk))

    item = Item.objects.get(organization=tenant.organization)
    assert response.status_code == 302 and response["Location"] == reverse("items:detail", args=[item.pk])
    assert (item.name, item.size_label, item.size_ml, item.units_per_case) == ("Buffalo Trace Bourbon", "750ML", 750, 12)
    assert item.preferred_distributor == southern and item.cost_per_unit == Decimal("24.99")
    assert ItemIdentifier.objects.filter(item=item, kind="upc", value="080244009236").exists()
    assert AuditLogEntry.objects.filter(organization=tenant.organization, action="item.created").count() == 1
    assert "Buffalo Trace Bourbon 750ML added." in client.get(response["Location"]).content.decode()


def test_a_size_that_cannot_be_read_is_shown_next_to_the_size_field(client_for, tenant):
    response = client_for(tenant.manager).post(NEW, form_post(size="big", units_per_case="0", name="  "))

    html = response.content.decode()
    assert response.status_code == 200
    size_field = field_html(html, "size")
    assert "Size &#x27;big&#x27; is not a size Backstock understands" in size_field
    assert "This field is required." in field_html(html, "name")
    assert "greater than or equal to 1" in field_html(html, "units_per_case")
    assert 'value="big"' in size_field, "what was typed stays in the field"
    assert not Item.objects.filter(organization=tenant.organization).exists()


def test_a_upc_with_a_wrong_check_digit_is_saved_with_a_visible_warning(client_for, tenant):
    client = client_for(tenant.manager)

    response = client.post(NEW, form_post(upc="080244009237"), follow=True)

    item = Item.objects.get(organization=tenant.organization)
    html = response.content.decode()
    assert item.upc == "080244009237" and "wrong check digit" in item.upc_warning
    assert "UPC 080244009237 has a wrong check digit. It was saved as typed" in html
    assert "⚠ UPC 080244009237 has a wrong check digit" in html
    edit = client.get(reverse("items:edit", args=[item.pk])).content.decode()
    assert "wrong check digit (saved as it is)" in field_html(edit, "upc")


def test_a_upc_with_letters_is_refused_next_to_its_field(client_for, tenant):
    html = client_for(tenant.manager).post(NEW, form_post(upc="ABC123")).content.decode()

    assert "A UPC has only digits" in field_html(html, "upc")


def test_editing_changes_the_item_and_a_new_cost_joins_the_history(client_for, tenant):
    item = add_item(tenant, "Buffalo Trace", size="750ML", units_per_case=6, cost_per_unit="20")
    client = client_for(tenant.manager)

    response = client.post(reverse("items:edit", args=[item.pk]),
                           form_post(name="Buffalo Trace Bourbon", size="1.75 LTR", units_per_case="6",
                                     cost_per_unit="42.00", abv="45", proof="90"))  # fmt: skip

    item.refresh_from_db()
    assert response.status_code == 302
    assert (item.name, item.size_label, item.size_ml, item.cost_per_unit) == ("Buffalo Trace Bourbon", "1.75L", 1750, 42)
    assert item.abv == 45 and item.proof == 90
    assert list(ItemCost.objects.filter(item=item).values_list("cost_per_unit", flat=True)) == [42, 20]
    entry = AuditLogEntry.objects.filter(action="item.updated").get()
    assert "name" in entry.summary and "cost_per_unit" in entry.summary


def test_saving_an_unchanged_form_says_nothing_changed(client_for, tenant):
    item = add_item(tenant, "Buffalo Trace Bourbon", size="750ML", units_per_case=12, producer="Sazerac",
                    cost_per_unit="24.5")  # fmt: skip
    client = client_for(tenant.manager)
    initial = client.get(reverse("items:edit", args=[item.pk])).context["form"].initial

    response = client.post(reverse("items:edit", args=[item.pk]), {k: v if v is not None else "" for k, v in initial.items()},
                           follow=True)  # fmt: skip

    assert "Nothing to save" in response.content.decode()
    assert not AuditLogEntry.objects.filter(action="item.updated").exists()
    assert ItemCost.objects.filter(item=item).count() == 1


@pytest.mark.parametrize("url_name", ["new", "edit", "par", "archive"])
def test_staff_can_look_but_get_403_on_every_form(client_for, tenant, url_name):
    item = add_item(tenant, "Buffalo Trace Bourbon")
    client = client_for(tenant.staff)
    url = reverse(f"items:{url_name}", args=[] if url_name == "new" else [item.pk])

    assert client.get(reverse("items:detail", args=[item.pk])).status_code == 200
    assert client.post(url, form_post(name="Hacked", venue=tenant.venue.pk, par="99")).status_code == 403
    if url_name in ("new", "edit", "archive"):
        assert client.get(url).status_code == 403
    item.refresh_from_db()
    assert item.name == "Buffalo Trace Bourbon" and not item.archived
    assert not ItemPar.objects.exists()


def test_a_manager_sets_and_clears_a_par_in_place(client_for, tenant):
    item = add_item(tenant, "Buffalo Trace Bourbon")
    client = client_for(tenant.manager)
    url = reverse("items:par", args=[item.pk])

    response = client.post(url, {"venue": tenant.venue.pk, "par": "6.5"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert ItemPar.objects.get(item=item, venue=tenant.venue).par == Decimal("6.5")
    assert 'value="6.5"' in html and "<h1" not in html
    assert "Par of Buffalo Trace Bourbon at Copper Tap Group Bar set to 6.5." in html  # the message, out of band
    assert "parChanged" in response["HX-Trigger"]

    client.post(url, {"venue": tenant.venue.pk, "par": ""}, HTTP_HX_REQUEST="true")
    assert not ItemPar.objects.filter(item=item).exists()


def test_a_negative_par_is_refused_and_nothing_changes(client_for, tenant):
    item = add_item(tenant, "Buffalo Trace Bourbon")

    response = client_for(tenant.manager).post(reverse("items:par", args=[item.pk]), {"venue": tenant.venue.pk, "par": "-2"},
                                               HTTP_HX_REQUEST="true")  # fmt: skip

    assert "The par was not saved" in response.content.decode()
    assert not ItemPar.objects.exists()


def test_a_par_for_a_venue_of_another_organization_is_refused(client_for, tenant, other_tenant):
    item = add_item(tenant, "Buffalo Trace Bourbon")

    response = client_for(tenant.manager).post(reverse("items:par", args=[item.pk]), {"venue": other_tenant.venue.pk, "par": "3"})

    assert response.status_code == 302
    assert not ItemPar.objects.exists()


def test_archiving_asks_first_then_hides_the_item_and_unarchiving_brings_it_back(client_for, tenant):
    item = add_item(tenant, "Buffalo Trace Bourbon")
    client = client_for(tenant.manager)
    url = reverse("items:archive", args=[item.pk])

    confirm = client.get(url).content.decode()
    archived = client.post(url, HTTP_HX_REQUEST="true")
    item.refresh_from_db()

    assert "Archive Buffalo Trace Bourbon?" in confirm and item.archived
    assert archived["HX-Redirect"] == reverse("items:detail", args=[item.pk])
    assert names_in(client.get(INDEX)) == []
    assert 'data-testid="archived-badge"' in client.get(reverse("items:detail", args=[item.pk])).content.decode()

    client.post(url, {"unarchive": "1"})
    item.refresh_from_db()
    assert not item.archived and names_in(client.get(INDEX)) == ["Buffalo Trace Bourbon"]
