"""The Import Wizard's engine: reading files, mapping columns, planning rows, committing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet
from openpyxl import Workbook

from distributors.models import Distributor
from inventory_site.errors import PermissionDenied
from items.errors import ItemsError
from items.importing.fields import auto_map, category_from_item, category_from_text, field_for_header
from items.importing.reading import MAX_IMPORT_BYTES, ImportFileError, detect_format, read_table
from items.models import ImportJob, Item, ItemCost, ItemIdentifier, ItemPar
from items.services.imports import commit_import, import_file, preview_import, upload_import
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db

IOWA_HEADERS = ["Item Number", "Category Name", "Item Description", "Vendor", "Vendor Name", "Bottle Volume (ml)",
                "Pack", "Inner Pack", "Age", "Proof", "List Date", "UPC", "SCC", "State Bottle Cost",
                "State Case Cost", "State Bottle Retail", "Report Date"]  # fmt: skip
IOWA_ROWS = [
    "26826,TENNESSEE WHISKIES,JACK DANIELS OLD #7 BLACK LABEL,085,BROWN FORMAN CORP.,750,12,1,0,80,1969-11-01,82184090510,82184081693,15.91,190.92,23.87,2022-11-01",
    "26824,TENNESSEE WHISKIES,JACK DANIELS OLD #7 BLACK LABEL SQUARE,085,BROWN FORMAN CORP.,375,24,1,0,80,1988-05-01,82184090510,20811538018399,8.00,192.00,12.00,2022-11-01",
    "87513,100% AGAVE TEQUILA,1800 SILVER,395,PROXIMO,1750,6,1,0,80,2022-04-01,811538011471,10811538016855,22.50,135.00,33.75,2022-11-01",
    "987513,SPECIAL ORDER ITEMS,1800 SILVER,395,PROXIMO,1750,6,1,0,80,2014-05-09,811538010153,10898432002009,24.50,147.00,36.75,2022-11-01",
    "100040,TEMPORARY & SPECIALTY PACKAGES,GRAND MARNIER CORDON ROUGE W/2 SHOT GLASSES,619,CAMPARI AMERICA,750,6,1,0,80,2020-06-01,721059002622,10088076183237,23.31,139.86,34.97,2022-11-01",
]  # fmt: skip


def iowa_csv(rows=IOWA_ROWS) -> bytes:
    return ("\n".join([",".join(IOWA_HEADERS), *rows]) + "\n").encode()


def run(tenant, data: bytes | str, *, actor="manager", **kwargs):
    """Upload, map by header names, preview and commit, as the manager (or `actor`)."""
    if isinstance(data, str):
        data = data.encode()
    user = getattr(tenant, actor) if isinstance(actor, str) else actor
    return import_file(actor=user, organization=tenant.organization, venue=tenant.venue, file_name="catalog.csv",
                       data=data, source=ImportJob.Source.WIZARD, **kwargs)  # fmt: skip


def preview(tenant, data: bytes | str, **kwargs) -> ImportJob:
    if isinstance(data, str):
        data = data.encode()
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="catalog.csv", data=data, **kwargs)  # fmt: skip
    return preview_import(actor=tenant.manager, organization=tenant.organization, job=job)


def rows_by_action(job: ImportJob, action: str) -> list[dict]:
    return [row for row in job.report if row["action"] == action]


def items_of(tenant):
    return Item.objects.filter(organization=tenant.organization)


# --- column mapping -------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "field"), [
    ("Name", "name"), ("PRODUCT NAME", "name"), ("item_description", "name"), ("Item #", "sku"),
    ("Item No.", "sku"), ("Distributor SKU", "sku"), ("unit cost", "cost"), ("Cost ($)", "cost"),
    ("Case Price", "case_cost"), ("Bottle Size", "size"), ("Size (oz)", "size_fl_oz"), ("size_ml", "size_ml"),
    ("Volume (L)", "size_l"), ("Units per case", "units_per_case"), ("Pack", "units_per_case"), ("Barcode", "upc"),
    ("SCC", "case_gtin"), ("Par Level", "par"), ("ABV %", "abv"), ("Alcohol %", "abv"), ("Supplier", "vendor"),
    ("Brand", "producer"), ("Discontinued", "archived"), ("Effective Date", "cost_date"), ("Notes", None),
])  # fmt: skip
def test_headers_map_to_fields_by_name_and_synonym_whatever_their_case_and_punctuation(header, field):
    assert field_for_header(header) == field


def test_the_iowa_catalog_headers_map_by_synonyms_and_the_rest_is_listed_as_left_out():
    table = read_table(iowa_csv())
    samples = {h: table.samples(i, limit=8) for i, h in enumerate(table.headers)}

    auto = auto_map(table.headers, samples)

    assert auto.mapping == {
        "Item Number": "sku", "Item Description": "name", "Bottle Volume (ml)": "size_ml", "Pack": "units_per_case",
        "State Bottle Cost": "cost", "State Case Cost": "case_cost", "Vendor Name": "producer",
        "Category Name": "category", "UPC": "upc", "SCC": "case_gtin", "Proof": "proof", "Report Date": "cost_date",
    }  # fmt: skip
    # Iowa's "Vendor" holds the vendor's number, so it is no distributor name.
    assert auto.unmapped == ["Vendor", "Inner Pack", "Age", "List Date", "State Bottle Retail"]
    assert any("“Vendor” holds numbers" in note for note in auto.notes)


def test_two_columns_that_look_like_one_field_are_left_for_the_user_to_choose():
    auto = auto_map(["Name", "Description", "Size", "Bottle Volume (ml)", "Cost"])

    assert auto.mapping == {"Cost": "cost"}
    assert auto.ambiguous == {"name": ["Name", "Description"], "size": ["Size", "Bottle Volume (ml)"]}


def test_the_command_path_refuses_an_ambiguous_mapping_and_names_the_columns(tenant):
    with pytest.raises(ItemsError, match="Name, Description all look like name"):
        run(tenant, "Name,Description,Size\nGin,London dry,750ML\n")
    assert not items_of(tenant).exists()


@pytest.mark.parametrize(("text", "category"), [
    ("STRAIGHT BOURBON WHISKIES", "spirits"), ("100% AGAVE TEQUILA", "spirits"), ("WHITE RUM", "spirits"),
    ("COCKTAILS/RTD", "spirits"), ("IPA", "beer"), ("Craft Lager", "beer"), ("Hard Cider", "beer"),
    ("PROSECCO", "wine"), ("Red Wine", "wine"), ("Champagne", "wine"), ("NON-ALCOHOLIC", "non_alcoholic"),
    ("Mixers", "non_alcoholic"), ("N/A", "non_alcoholic"), ("beer", "beer"), ("Spirits", "spirits"),
    ("other", "other"), ("SPECIAL ORDER ITEMS", None), ("TEMPORARY & SPECIALTY PACKAGES", None),
])  # fmt: skip
def test_free_text_categories_are_read_as_the_five_categories(text, category):
    assert category_from_text(text) == category


def test_a_category_that_says_nothing_is_read_from_the_items_proof_or_name():
    assert category_from_item("GRAND MARNIER CORDON ROUGE W/2 SHOT GLASSES", Decimal("80")) == "spirits"
    assert category_from_item("TITOS HANDMADE VODKA HOLIDAY PACK") == "spirits"
    assert category_from_item("GIFT BOX") is None


# --- reading files --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "The file is a PDF document, not a CSV or XLSX catalog."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is a PNG image, not a CSV or XLSX catalog."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "The file is an old Excel (.xls) or Word (.doc) file"),
    (b"<!DOCTYPE html><html><body>Sign in</body></html>", "The file is a web page (HTML), not a CSV or XLSX catalog."),
    (b"", "The file is empty."),
    (b"name,size\n", "The file has a header row but no data rows."),
])  # fmt: skip
def test_a_file_that_is_not_a_catalog_is_refused_by_its_content_not_its_name(tenant, data, message):
    with pytest.raises(ImportFileError) as excinfo:
        upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                      file_name="catalog.csv", data=data)  # fmt: skip

    assert message in str(excinfo.value)
    assert not ImportJob.objects.exists()


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("catalog.csv", "name\nGin\n")

    with pytest.raises(ImportFileError, match="a ZIP archive, not an XLSX workbook"):
        detect_format(buffer.getvalue())


def test_a_file_over_the_size_limit_is_refused_with_the_limit():
    with pytest.raises(ImportFileError, match=r"the limit is 20 MB"):
        read_table(b"name\n" + b"x" * MAX_IMPORT_BYTES)


def test_semicolon_and_tab_separated_files_and_a_utf8_bom_are_read():
    semicolon = read_table("\ufeffName;Size;Cost\nAperol;1L;21,50\n".encode())
    tabs = read_table(b"Name\tSize\nCampari\t750ML\n")

    assert semicolon.headers == ["Name", "Size", "Cost"]
    assert semicolon.rows == [["Aperol", "1L", "21,50"]]
    assert tabs.rows == [["Campari", "750ML"]]


def test_a_windows_1252_file_is_read_with_a_note_to_check_accents():
    table = read_table("Name,Size\nCrème de Cassis,750ML\n".encode("cp1252"))

    assert table.rows == [["Crème de Cassis", "750ML"]]
    assert "Windows-1252" in table.notes[0]


def test_an_xlsx_written_by_openpyxl_imports_like_the_same_csv(tenant):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Item Number", "Item Description", "Bottle Volume (ml)", "Pack", "UPC", "State Bottle Cost", "List Date"])
    sheet.append([87510, "1800 SILVER", 750, 12, 811538010139, 16.5, dt.date(2004, 4, 1)])
    sheet.append([26826, "JACK DANIELS OLD #7 BLACK LABEL", 750.0, 12, 82184090510, 15.91, None])
    sheet.append([None, None, None, None, None, None, None])  # formatted but empty
    workbook.create_sheet("Notes")
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = run(tenant, buffer.getvalue())

    assert result.job.file_format == "xlsx"
    assert (result.job.created_count, result.job.rejected_count) == (2, 0)
    silver = items_of(tenant).get(name="1800 SILVER")
    assert (silver.size_label, silver.units_per_case, silver.upc, silver.cost_per_unit) == (
        "750ML", 12, "811538010139", Decimal("16.5000"))  # fmt: skip
    assert ItemIdentifier.objects.filter(item=silver, kind="sku", value="87510").exists()  # not "87510.0"
    jack = items_of(tenant).get(name__startswith="JACK")
    assert jack.upc == "082184090510"  # the UPC-A's dropped leading zero is back
    assert "only the first" in result.job.notes["messages"][0]


# --- planning: every row's outcome ------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_row_column_and_reason_and_the_good_rows_still_import(tenant):
    csv_text = (
        "name,size,units_per_case,cost,category,upc\n"
        "Tito's Handmade Vodka,1L,12,19.99,spirits,619947000020\n"  # 1
        "Big Bottle Gin,big,6,12.00,spirits,\n"  # 2: bad size
        ",750ML,12,10.00,wine,\n"  # 3: no name
        "Aperol,1L,zero,abc,spirits,\n"  # 4: two bad cells
        "Campari,750ML,0,-2,spirits,\n"  # 5: pack 0, negative cost
        "Fever-Tree Tonic,6.8OZ,24,1.10,mixers,\n"  # 6
    )

    job = run(tenant, csv_text).job

    errors = {row["row"]: row["error"] for row in rows_by_action(job, "rejected")}
    assert errors == {
        2: "Row 2: size 'big' is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)",
        3: "Row 3: name is empty",
        4: "Row 4: units per case 'zero' is not a whole number; cost 'abc' is not a number",
        5: "Row 5: units per case '0' must be at least 1; cost '-2' is negative",
    }
    assert (job.created_count, job.rejected_count) == (2, 4)
    assert sorted(items_of(tenant).values_list("name", "category")) == [
        ("Fever-Tree Tonic", "non_alcoholic"), ("Tito's Handmade Vodka", "spirits")]  # fmt: skip
    assert all(row["item_id"] is None for row in rows_by_action(job, "rejected"))
    assert rows_by_action(job, "rejected")[0]["values"] == ["Big Bottle Gin", "big", "6", "12.00", "spirits", ""]


def test_a_bare_number_in_a_text_size_column_is_refused_with_a_hint(tenant):
    job = preview(tenant, "name,size\nGin,750\n")

    assert job.report[0]["error"] == (
        "Row 1: size '750' is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL); it has no unit "
        "(write 750ML, or map the column to “Size in ml”)"
    )


def test_a_wrong_upc_check_digit_is_a_warning_and_the_code_is_kept(tenant):
    job = run(tenant, "name,size,upc\nHouse Gin,750ML,082184090511\n").job

    (row,) = job.report
    assert row["action"] == "created"
    assert row["warnings"] == ["UPC 082184090511 has a wrong check digit (kept)"]
    item = items_of(tenant).get()
    assert (item.upc, item.upc_warning) == ("082184090511", "UPC 082184090511 has a wrong check digit")


def test_a_size_of_zero_means_no_size_with_a_warning(tenant):
    job = run(tenant, "Item Description,Bottle Volume (ml)\nINGREDIENT CATS EYE DISTILLERY VODKA,0\n").job

    assert job.report[0]["action"] == "created"
    assert job.report[0]["warnings"] == ["size '0' is 0, so the item has no size"]
    assert items_of(tenant).get().size_ml is None


def test_the_preview_writes_nothing_but_the_job(tenant):
    job = preview(tenant, iowa_csv())

    assert job.status == ImportJob.Status.PREVIEWED
    assert (job.created_count, job.updated_count, job.rejected_count) == (5, 0, 0)
    assert [row["action"] for row in job.report] == ["created"] * 5
    assert not items_of(tenant).exists()
    assert not ItemIdentifier.objects.exists()


# --- committing -----------------------------------------------------------------------------


def test_the_iowa_rows_become_items_with_their_sku_upc_case_gtin_and_cost_history(tenant):
    abd = Distributor.objects.get(organization=None, code="IA-ABD")

    job = run(tenant, iowa_csv(), distributor=abd).job

    jack = items_of(tenant).get(name="JACK DANIELS OLD #7 BLACK LABEL")
    assert (jack.category, jack.producer, jack.size_label, jack.size_ml, jack.units_per_case) == (
        "spirits", "BROWN FORMAN CORP.", "750ML", Decimal("750"), 12)  # fmt: skip
    assert (jack.cost_per_unit, jack.cost_per_case, jack.cost_date, jack.cost_source) == (
        Decimal("15.9100"), Decimal("190.92"), dt.date(2022, 11, 1), "import")  # fmt: skip
    assert (jack.proof, jack.abv, jack.preferred_distributor) == (Decimal("80.0"), Decimal("40.00"), abd)
    codes = set(ItemIdentifier.objects.filter(item=jack).values_list("kind", "value", "distributor", "is_current"))
    assert codes == {("sku", "26826", abd.pk, True), ("upc", "082184090510", None, True),
                     ("case_gtin", "082184081693", None, True)}  # fmt: skip
    (cost,) = ItemCost.objects.filter(item=jack)
    assert (cost.cost_per_unit, cost.source, cost.source_ref, cost.distributor) == (
        Decimal("15.9100"), "import", "catalog.csv", abd)  # fmt: skip
    # "SPECIAL ORDER ITEMS" and "TEMPORARY & SPECIALTY PACKAGES" say nothing; 80 proof does.
    assert set(items_of(tenant).values_list("category", flat=True)) == {"spirits"}
    assert job.report[0]["item_id"] == jack.pk


def test_reimporting_the_same_file_changes_nothing(tenant):
    abd = Distributor.objects.get(organization=None, code="IA-ABD")
    run(tenant, iowa_csv(), distributor=abd)
    before = {i.pk: (i.updated_at, i.cost_date, i.name) for i in items_of(tenant)}
    costs, codes = ItemCost.objects.count(), ItemIdentifier.objects.count()

    job = run(tenant, iowa_csv(), distributor=abd).job

    assert [row["action"] for row in job.report] == ["unchanged"] * 5
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 5)
    assert {i.pk: (i.updated_at, i.cost_date, i.name) for i in items_of(tenant)} == before
    assert (ItemCost.objects.count(), ItemIdentifier.objects.count()) == (costs, codes)
    assert "This file was imported before" in job.notes["messages"][0]


def test_the_same_upc_on_different_products_never_folds_them_into_one_item(tenant):
    # Iowa gives 82184090510 to both Jack Daniel's 750 ml and the 375 ml SQUARE; other rows of
    # the catalog reuse UPCs across brands.
    run(tenant, "name,size,upc\nJACK DANIELS OLD #7 BLACK LABEL,750ML,82184090510\n")
    jack = items_of(tenant).get()

    job = run(tenant, (
        "name,size,upc,cost\n"
        "JACK DANIELS OLD #7 BLACK LABEL SQUARE,375ML,82184090510,8.00\n"  # same UPC, other size
        "SOUTHERN COMFORT,750ML,82184090510,13.00\n"  # same UPC and size, another product
        "Jack Daniel's Old No. 7 Black Label,750ML,082184090510,15.91\n"  # the same product
    )).job  # fmt: skip

    assert [(row["action"], row["matched_by"]) for row in job.report] == [
        ("created", ""), ("created", ""), ("updated", "upc")]  # fmt: skip
    assert job.report[2]["item_id"] == jack.pk
    assert job.report[2]["changes"] == [["cost", "—", "15.91 / unit"]]  # the name is the same name, kept
    assert items_of(tenant).count() == 3
    jack.refresh_from_db()
    assert jack.name == "JACK DANIELS OLD #7 BLACK LABEL"


def test_rows_of_one_file_fold_only_when_they_share_a_sku(tenant):
    # 87513 and 987513 are the same 1800 Silver 1.75 L (a regular and a special-order listing).
    csv_text = (
        "sku,name,size,units_per_case,cost\n"
        "87513,1800 SILVER,1.75L,6,22.50\n"
        "987513,1800 SILVER,1.75L,6,24.50\n"
        "87513,1800 SILVER,1.75L,6,22.50\n"
    )

    job = run(tenant, csv_text).job

    first, second, repeat = job.report
    assert (first["action"], second["action"], repeat["action"]) == ("created", "created", "unchanged")
    assert first["item_id"] != second["item_id"]
    assert repeat["item_id"] == first["item_id"]
    assert repeat["note"] == "same item as row 1, whose values it takes"
    skus = dict(ItemIdentifier.objects.filter(kind="sku").values_list("value", "item_id"))
    assert skus == {"87513": first["item_id"], "987513": second["item_id"]}

    again = run(tenant, csv_text).job
    assert [row["action"] for row in again.report] == ["unchanged"] * 3
    assert [row["item_id"] for row in again.report] == [row["item_id"] for row in job.report]


def test_a_distributor_changing_a_sku_keeps_the_old_one_in_the_history(tenant):
    abd = Distributor.objects.get(organization=None, code="IA-ABD")
    run(tenant, "sku,name,size,units_per_case\n26826,JACK DANIELS OLD #7 BLACK LABEL,750ML,12\n", distributor=abd)
    jack = items_of(tenant).get()

    job = run(tenant, "sku,name,size,units_per_case\n926826,JACK DANIELS OLD #7 BLACK LABEL,750ML,12\n",
              distributor=abd).job  # fmt: skip

    (row,) = job.report
    assert (row["action"], row["matched_by"], row["item_id"]) == ("updated", "name", jack.pk)
    assert row["changes"] == [["SKU (Iowa Alcoholic Beverages Division)", "26826",
                               "926826 (the old one stays in the history)"]]  # fmt: skip
    codes = dict(ItemIdentifier.objects.filter(item=jack, kind="sku").values_list("value", "is_current"))
    assert codes == {"26826": False, "926826": True}

    # The old SKU still names the item; seen again, it is the current one again.
    back = run(tenant, "sku,name,size,units_per_case\n26826,JACK DANIELS OLD #7 BLACK LABEL,750ML,12\n",
               distributor=abd).job  # fmt: skip
    assert back.report[0]["changes"] == [["SKU (Iowa Alcoholic Beverages Division)", "926826", "26826 (current again)"]]
    codes = dict(ItemIdentifier.objects.filter(item=jack, kind="sku").values_list("value", "is_current"))
    assert codes == {"26826": True, "926826": False}
    assert items_of(tenant).count() == 1


def test_a_matched_item_is_updated_field_by_field_and_empty_cells_clear_nothing(tenant):
    run(tenant, "sku,name,size,units_per_case,cost,producer,upc\n"
                "111,Aperol,1L,6,21.00,Campari America,\n")  # fmt: skip
    aperol = items_of(tenant).get()
    stamp = aperol.updated_at

    job = run(tenant, "sku,name,size,units_per_case,cost,producer,upc\n"
                      "111,APEROL APERITIVO,1L,12,22.50,,8002230000302\n").job  # fmt: skip

    (row,) = job.report
    assert row["action"] == "updated"
    assert row["changes"] == [
        ["name", "Aperol", "APEROL APERITIVO"], ["units per case", "6", "12"], ["UPC", "—", "8002230000302"],
        ["cost", "21.00 / unit", "22.50 / unit"],
    ]  # fmt: skip
    aperol.refresh_from_db()
    assert (aperol.name, aperol.units_per_case, aperol.producer, aperol.cost_per_unit) == (
        "APEROL APERITIVO", 12, "Campari America", Decimal("22.5000"))  # fmt: skip
    assert aperol.updated_at > stamp
    assert list(ItemCost.objects.filter(item=aperol).order_by("recorded_at").values_list("cost_per_unit", flat=True)) == [
        Decimal("21.0000"), Decimal("22.5000")]  # fmt: skip


def test_an_older_cost_goes_into_the_history_without_replacing_the_current_one(tenant):
    run(tenant, "name,size,cost,cost date\nAperol,1L,22.50,2024-03-01\n")
    aperol = items_of(tenant).get()

    job = run(tenant, "name,size,cost,cost date\nAperol,1L,19.00,2023-01-15\n").job
    again = run(tenant, "name,size,cost,cost date\nAperol,1L,19.00,2023-01-15\n").job

    assert job.report[0]["changes"] == [["cost", "22.50 / unit",
                                         "19.00 / unit on 2023-01-15 (history only: the current cost is newer)"]]  # fmt: skip
    aperol.refresh_from_db()
    assert (aperol.cost_per_unit, aperol.cost_date) == (Decimal("22.5000"), dt.date(2024, 3, 1))
    assert ItemCost.objects.filter(item=aperol).count() == 2
    assert again.report[0]["action"] == "unchanged"


def test_a_par_column_sets_the_par_at_the_imports_venue(tenant):
    run(tenant, "name,size,par\nAperol,1L,6\nCampari,750ML,\n")
    aperol = items_of(tenant).get(name="Aperol")

    job = run(tenant, "name,size,par\nAperol,1L,8\n").job

    assert job.report[0]["changes"] == [[f"par at {tenant.venue.name}", "6", "8"]]
    assert list(ItemPar.objects.values_list("item", "venue", "par")) == [(aperol.pk, tenant.venue.pk, Decimal("8.000"))]


def test_a_vendor_column_names_the_distributor_and_an_unknown_one_is_added_to_the_organization(tenant):
    job = run(tenant, "sku,name,size,vendor\n"
                      "SG-1,Aperol,1L,Southern Glazer's Wine & Spirits\n"
                      "HL-7,Hill Farmstead Edward,16OZ,Hill Farmstead Brewery\n").job  # fmt: skip

    assert job.notes["new_distributors"] == ["Hill Farmstead Brewery"]
    hill = Distributor.objects.get(name="Hill Farmstead Brewery")
    assert hill.organization == tenant.organization
    sgws = Distributor.objects.get(organization=None, code="SGWS")
    assert set(ItemIdentifier.objects.filter(kind="sku").values_list("value", "distributor")) == {
        ("SG-1", sgws.pk), ("HL-7", hill.pk)}  # fmt: skip
    assert items_of(tenant).get(name="Hill Farmstead Edward").preferred_distributor == hill


def test_an_import_is_audited_in_one_entry(tenant):
    job = run(tenant, iowa_csv()).job

    entry = AuditLogEntry.objects.get(organization=tenant.organization, action="items.imported")
    assert entry.summary == "Imported catalog.csv: 5 created, 0 updated, 0 unchanged, 0 rejected"
    assert (entry.actor, entry.object_id) == (tenant.manager, str(job.pk))


def test_an_import_that_fails_midway_leaves_nothing_behind_and_can_be_retried(tenant, monkeypatch):
    job = preview(tenant, iowa_csv())
    real_bulk_create = QuerySet.bulk_create

    def database_fails_on_costs(self, objs, *args, **kwargs):
        if self.model is ItemCost:
            raise OperationalError("could not extend file: No space left on device")
        return real_bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", database_fails_on_costs)
    with pytest.raises(OperationalError):
        commit_import(actor=tenant.manager, organization=tenant.organization, job=job)

    job.refresh_from_db()
    assert (job.status, job.error) == (ImportJob.Status.FAILED, "Unexpected error (OperationalError); nothing was imported.")
    assert not items_of(tenant).exists()  # the items were inserted before the costs failed
    assert not ItemIdentifier.objects.exists()
    assert not AuditLogEntry.objects.filter(action="items.imported").exists()

    monkeypatch.setattr(QuerySet, "bulk_create", real_bulk_create)
    job = commit_import(actor=tenant.manager, organization=tenant.organization, job=job)
    assert (job.status, job.created_count, items_of(tenant).count()) == (ImportJob.Status.COMMITTED, 5, 5)


def test_a_committed_import_is_not_committed_twice(tenant):
    job = run(tenant, iowa_csv()).job

    again = commit_import(actor=tenant.manager, organization=tenant.organization, job=job)

    assert again.status == ImportJob.Status.COMMITTED
    assert items_of(tenant).count() == 5
    with pytest.raises(ItemsError, match="was already imported"):
        preview_import(actor=tenant.manager, organization=tenant.organization, job=job)


def test_staff_may_not_import(tenant):
    with pytest.raises(PermissionDenied):
        upload_import(actor=tenant.staff, organization=tenant.organization, venue=tenant.venue,
                      file_name="catalog.csv", data=iowa_csv())  # fmt: skip


def test_a_mapping_without_a_name_or_one_field_twice_is_refused(tenant):
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="catalog.csv", data=b"a,b,c\nGin,750ML,12\n")  # fmt: skip

    with pytest.raises(ItemsError, match="Map a column to Name"):
        preview_import(actor=tenant.manager, organization=tenant.organization, job=job, mapping={"b": "size"})
    with pytest.raises(ItemsError, match="“b” and “c” are both mapped to size"):
        preview_import(actor=tenant.manager, organization=tenant.organization, job=job,
                       mapping={"a": "name", "b": "size", "c": "size_ml"})  # fmt: skip
