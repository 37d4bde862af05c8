"""Seed the shared distributor directory (rows with no organization) from fixtures/directory.csv.

The CSV lives in the repository (see fixtures/SOURCE.md for where its rows come from), so
migrating never depends on files outside it. Idempotent: a row is matched by its slug
among the shared rows and left alone if it exists, so an operator's edits survive.
"""

import csv
from pathlib import Path

from django.db import migrations
from django.utils.text import slugify

DIRECTORY_CSV = Path(__file__).resolve().parent.parent / "fixtures" / "directory.csv"


def seed_shared_directory(apps, schema_editor):
    from inventory_site.tenancy import rls_bypass

    Distributor = apps.get_model("distributors", "Distributor")
    with open(DIRECTORY_CSV, encoding="utf-8", newline="") as fh:
        rows = [(row["name"].strip(), row["code"].strip()) for row in csv.DictReader(fh) if row["name"].strip()]
    # `migrate` runs as the database owner, which row-level security does not apply to; the
    # bypass says so explicitly, and keeps the seed working for an owner under FORCE RLS.
    with rls_bypass("seed the shared distributor directory (no organization)"):
        for name, code in rows:
            Distributor.objects.using(schema_editor.connection.alias).get_or_create(
                organization=None, slug=slugify(name)[:80], defaults={"name": name, "code": code}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("distributors", "0001_initial"),
    ]

    operations = [
        # Unapplying keeps the rows: accounts and items may point at them by then.
        migrations.RunPython(seed_shared_directory, migrations.RunPython.noop),
    ]
