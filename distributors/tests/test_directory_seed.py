"""The shared directory seeded by migration 0002 from fixtures/directory.csv."""

import csv
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from distributors.models import Distributor

pytestmark = pytest.mark.django_db

seed = importlib.import_module("distributors.migrations.0002_seed_shared_directory")
APP_ROOT = Path(__file__).resolve().parent.parent


def csv_rows() -> list[dict]:
    with open(seed.DIRECTORY_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class _SchemaEditor:
    connection = connection


def test_the_csv_is_read_from_the_repository_not_from_shared_data():
    assert seed.DIRECTORY_CSV == APP_ROOT / "fixtures" / "directory.csv"
    assert seed.DIRECTORY_CSV.is_file()
    assert "shared/data" not in Path(seed.__file__).read_text()


def test_every_csv_row_is_a_shared_distributor():
    rows = csv_rows()
    shared = Distributor.objects.filter(organization=None)

    assert len(rows) > 300
    assert set(shared.values_list("name", flat=True)) >= {row["name"] for row in rows}
    assert shared.filter(code="IA-ABD", name="Iowa Alcoholic Beverages Division").exists()
    for name in ["Southern Glazer's Wine & Spirits", "Republic National Distributing Company", "Breakthru Beverage Group",
                 "Johnson Brothers", "Young's Market Company", "Reyes Beverage Group", "Keurig Dr Pepper"]:  # fmt: skip
        assert shared.filter(name=name).exists(), name


def test_iowa_vendor_names_are_cleaned():
    names = {row["name"]: row["code"] for row in csv_rows()}

    # "SAZERAC COMPANY  INC" (a double space in the state's data), vendor 421.
    assert names["Sazerac Company Inc"] == "IA-VENDOR-421"
    assert names["Brown Forman Corp."] == "IA-VENDOR-085"
    assert "McCormick Distilling Co." in names and "21st Century Spirits LLC" in names
    assert not [name for name in names if "  " in name or name != name.strip() or name.isupper() and len(name) > 5]
    assert len({name.casefold() for name in names}) == len(names)


def test_seeding_again_adds_nothing_and_keeps_edited_rows():
    row = Distributor.objects.get(organization=None, code="SGWS")
    Distributor.objects.filter(pk=row.pk).update(phone="800-555-0100")
    before = Distributor.objects.filter(organization=None).count()

    seed.seed_shared_directory(apps, _SchemaEditor())

    assert Distributor.objects.filter(organization=None).count() == before
    assert Distributor.objects.get(pk=row.pk).phone == "800-555-0100"


def test_a_missing_row_is_added_back():
    Distributor.objects.filter(organization=None, code="KDP").delete()

    seed.seed_shared_directory(apps, _SchemaEditor())

    assert Distributor.objects.get(organization=None, code="KDP").slug == "keurig-dr-pepper"
