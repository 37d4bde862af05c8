"""`python manage.py import_items --org ORG --venue VENUE FILE [--json] [--distributor NAME]`."""

from __future__ import annotations

import json
import time
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from distributors.models import Distributor
from items.models import ImportJob, Item, ItemIdentifier
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
IOWA_CATALOG = ROOT.parent / "shared" / "data" / "iowa-liquor-products" / "iowa_liquor_products_2022-11-01.csv"
CATALOG = """name,category,size,units_per_case,cost,vendor,upc,sku,par
Tito's Handmade Vodka,spirits,1L,12,19.99,Southern Glazer's Wine & Spirits,619947000020,SG-4471,6
Aperol,spirits,1L,6,22.50,Southern Glazer's Wine & Spirits,8002230000302,SG-1200,
Bad Size Gin,spirits,big,6,12.00,,,,
Fever-Tree Tonic,non-alcoholic,6.8OZ,24,1.10,,,,24
"""


def import_items(*args) -> str:
    out = StringIO()
    call_command("import_items", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def catalog(tmp_path) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG)
    return path


def test_json_output_has_exactly_the_documented_shape(tenant, catalog):
    out = import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, "--json", str(catalog))

    result = json.loads(out)
    ids = dict(Item.objects.filter(organization=tenant.organization).values_list("name", "pk"))
    assert result == {
        "created": 3,
        "updated": 0,
        "rejected": 1,
        "rows": [
            {"row": 1, "item_id": ids["Tito's Handmade Vodka"], "action": "created"},
            {"row": 2, "item_id": ids["Aperol"], "action": "created"},
            {"row": 3, "item_id": None, "action": "rejected",
             "error": "Row 3: size 'big' is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)"},
            {"row": 4, "item_id": ids["Fever-Tree Tonic"], "action": "created"},
        ],
    }  # fmt: skip


def test_it_runs_as_the_system_in_the_organizations_scope_with_the_columns_the_issue_names(tenant, other_tenant, catalog):
    import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, str(catalog))

    titos = Item.objects.get(name="Tito's Handmade Vodka")
    assert titos.organization == tenant.organization
    assert (titos.category, titos.size_label, titos.units_per_case, str(titos.cost_per_unit), titos.upc) == (
        "spirits", "1L", 12, "19.9900", "619947000020")  # fmt: skip
    sgws = Distributor.objects.get(organization=None, code="SGWS")
    assert ItemIdentifier.objects.filter(item=titos, kind="sku", value="SG-4471", distributor=sgws).exists()
    assert str(titos.pars.get(venue=tenant.venue).par) == "6.000"
    job = ImportJob.objects.get()
    assert (job.source, job.uploaded_by, job.status) == ("command", None, "committed")
    assert AuditLogEntry.objects.get(action="items.imported").actor is None
    assert not Item.objects.filter(organization=other_tenant.organization).exists()


def test_running_it_again_reports_every_row_unchanged(tenant, catalog):
    import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, str(catalog))

    result = json.loads(import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, "--json", str(catalog)))

    assert (result["created"], result["updated"], result["rejected"]) == (0, 0, 1)
    assert [row["action"] for row in result["rows"]] == ["unchanged", "unchanged", "rejected", "unchanged"]


def test_the_human_output_counts_and_lists_the_rejected_rows(tenant, catalog):
    out = import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, str(catalog))

    assert "3 created, 0 updated, 0 unchanged, 1 rejected." in out
    assert "Row 3: size 'big' is not a size" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "nope", "--venue", "x", "{file}"], "No organization with the slug 'nope'."),
    (["--org", "{org}", "--venue", "nope", "{file}"], "has no venue 'nope'"),
    (["--org", "{org}", "--venue", "{venue}", "{missing}"], "No such file:"),
    (["--org", "{org}", "--venue", "{venue}", "{png}"], "picture.csv: The file is a PNG image, not a CSV or XLSX catalog."),
    (["--org", "{org}", "--venue", "{venue}", "--distributor", "Nobody Wholesale", "{file}"],
     "No distributor 'Nobody Wholesale'"),
])  # fmt: skip
def test_it_exits_with_a_clear_message_for_what_it_cannot_use(tenant, catalog, tmp_path, args, message):
    png = tmp_path / "picture.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    values = {"{org}": tenant.organization.slug, "{venue}": tenant.venue.slug, "{file}": str(catalog),
              "{missing}": str(tmp_path / "missing.csv"), "{png}": str(png)}  # fmt: skip

    with pytest.raises(CommandError) as excinfo:
        import_items(*[values.get(a, a) for a in args])

    assert message in str(excinfo.value)
    assert not Item.objects.exists()


@pytest.mark.skipif(not IOWA_CATALOG.exists(), reason="../shared/data is not checked out next to the repository")
def test_the_whole_iowa_catalog_imports_as_it_is_in_seconds(tenant, capsys):
    started = time.perf_counter()
    out = import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, "--json",
                       "--distributor", "Iowa Alcoholic Beverages Division", str(IOWA_CATALOG))  # fmt: skip
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = json.loads(import_items("--org", tenant.organization.slug, "--venue", tenant.venue.slug, "--json",
                                    "--distributor", "Iowa Alcoholic Beverages Division", str(IOWA_CATALOG)))  # fmt: skip
    second = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nIowa catalog (6,482 rows): first import {first:.1f} s, re-import {second:.1f} s")

    result = json.loads(out)
    assert (result["created"], result["updated"], result["rejected"]) == (6482, 0, 0)
    assert len({row["item_id"] for row in result["rows"]}) == 6482  # no two rows folded into one item
    items = Item.objects.filter(organization=tenant.organization)
    # Iowa's shared UPCs did not fold products: Jack Daniel's 750 ml and 375 ml SQUARE share one.
    jack = items.filter(upc="082184090510").values_list("name", "size_label")
    assert set(jack) >= {("JACK DANIELS OLD #7 BLACK LABEL", "750ML"), ("JACK DANIELS OLD #7 BLACK LABEL SQUARE", "375ML")}
    # The special-order listing of 1800 Silver 1.75 L stays its own item, with its own SKU.
    silver = {sku: item for sku, item in ItemIdentifier.objects.filter(kind="sku", value__in=["87513", "987513"])
              .values_list("value", "item_id")}  # fmt: skip
    assert silver["87513"] != silver["987513"]
    assert Counter(items.values_list("category", flat=True))["spirits"] > 6300
    assert Counter(row["action"] for row in again["rows"]) == {"unchanged": 6482}
    assert first < 60 and second < 60, "the whole catalog must import in seconds, not minutes"
