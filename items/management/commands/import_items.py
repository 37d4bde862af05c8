"""Import a catalog file (CSV or XLSX) into an organization's items, as the Import Wizard does.

    python manage.py import_items --org demo-hospitality-group --venue the-copper-tap catalog.csv
    python manage.py import_items --org ORG --venue VENUE --distributor "Iowa Alcoholic Beverages Division" --json FILE

Columns are mapped by their header names (the wizard's synonyms). The whole file is imported
in one transaction. Runs as the system (no user), inside the organization's tenant scope.
With --json it prints {"created": n, "updated": n, "rejected": n, "rows": [...]}, where each
row is {"row": <1-based data row>, "item_id": <id or null>, "action": "created" | "updated" |
"unchanged" | "rejected"} and rejected rows carry their "error".
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from distributors.models import Distributor
from inventory_site.errors import BackstockError
from inventory_site.tenancy import rls_bypass, tenant_context
from items.importing.reading import MAX_IMPORT_BYTES, MAX_IMPORT_MB
from items.services.imports import import_file
from venues.models import Organization, Venue


class Command(BaseCommand):
    help = "Import items from a CSV or XLSX catalog (the Import Wizard's engine, without the wizard)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--venue", required=True, help="the venue's slug (par levels are set there)")
        parser.add_argument("--distributor", help="the distributor whose SKUs and costs the file holds (name, slug or code)")
        parser.add_argument("--json", action="store_true", help="print the outcome of every row as JSON")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise CommandError(f"{path} is larger than {MAX_IMPORT_MB} MB; split it into smaller files.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror}") from None
        with rls_bypass("import_items: resolve --org"):
            organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {options['org']!r}.")

        with tenant_context(organization_id=organization.pk):
            venue = Venue.objects.for_org(organization).filter(slug=options["venue"]).first()
            if venue is None:
                slugs = ", ".join(Venue.objects.for_org(organization).values_list("slug", flat=True))
                raise CommandError(f"{organization.name} has no venue {options['venue']!r} (its venues: {slugs}).")
            distributor = None
            if options["distributor"]:
                wanted = options["distributor"].strip()
                distributor = (
                    Distributor.objects.for_org(organization)
                    .filter(Q(name__iexact=wanted) | Q(slug=wanted) | Q(code__iexact=wanted))
                    .order_by("organization_id").first()
                )  # fmt: skip
                if distributor is None:
                    raise CommandError(f"No distributor {wanted!r} in {organization.name}'s directory; add it first.")
            started = time.perf_counter()
            try:
                result = import_file(actor=None, organization=organization, venue=venue, file_name=path.name,
                                     data=data, distributor=distributor)  # fmt: skip
            except BackstockError as exc:
                raise CommandError(f"{path.name}: {exc}") from None
            elapsed = time.perf_counter() - started

        if options["json"]:
            self.stdout.write(json.dumps(result.as_json()))
            return
        job = result.job
        self.stdout.write(self.style.SUCCESS(
            f"Imported {path.name} into {organization.name} ({venue.name}) in {elapsed:.1f} s: "
            f"{job.created_count} created, {job.updated_count} updated, {job.unchanged_count} unchanged, "
            f"{job.rejected_count} rejected."
        ))  # fmt: skip
        for entry in job.report:
            if entry["action"] == "rejected":
                self.stdout.write(f"  {entry['error']}")
