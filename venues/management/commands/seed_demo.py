"""Demo data, safe to run again: one organization, two venues, three users, 300 real items,
and a Product Connect drop-folder feed that delivers two real invoices.

The items are real Iowa state catalog products (items/fixtures/demo_items.csv), imported
through the Import Wizard's engine as the Iowa ABD's catalog (so they carry its SKUs).
Running it again changes nothing that exists and prints the same logins.
"""

import csv
import io
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from distributors.models import Distributor, DistributorAccount
from distributors.services import create_distributor
from inventory_site.tenancy import rls_bypass, tenant_context
from items.importing.fields import auto_map
from items.importing.planning import plan_import
from items.importing.reading import read_table
from items.models import ImportJob
from items.services.imports import import_file
from invoices.models import FeedDocument, SupplierFeed
from venues.models import Membership, Organization, StorageArea, User, Venue
from venues.services import _create_venue, create_organization, record_audit

ORG_SLUG = "demo-hospitality-group"
DEMO_USERS = [
    ("admin@demo.backstock.app", "demo-admin-pass", Membership.Role.ADMIN, "Avery", "Admin"),
    ("manager@demo.backstock.app", "demo-manager-pass", Membership.Role.MANAGER, "Morgan", "Manager"),
    ("staff@demo.backstock.app", "demo-staff-pass", Membership.Role.STAFF, "Sam", "Staff"),
]
FIXTURE = Path(__file__).resolve().parents[3] / "items" / "fixtures" / "demo_items.csv"
DEMO_INVOICES = Path(__file__).resolve().parents[3] / "invoices" / "fixtures" / "demo_invoices.csv"
DEMO_ACCOUNT = "4384"  # the Iowa store number the demo invoices were issued to
IOWA_ABD = "Iowa Alcoholic Beverages Division"


class Command(BaseCommand):
    help = "Load idempotent demo data (organization, venues, users, items) and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        with rls_bypass("seed_demo: looks the demo organization up by slug"):
            organization = Organization.objects.filter(slug=ORG_SLUG).first()
        if organization is None:
            email, password, _, first, last = DEMO_USERS[0]
            organization, _, _, _ = create_organization(
                name="Demo Hospitality Group", venue_name="The Copper Tap", state="IA",
                admin_email=email, admin_password=password, timezone_name="America/Chicago",
            )  # fmt: skip
            created = True
        else:
            created = False
        with tenant_context(organization_id=organization.pk):
            self._seed(organization)
        self.stdout.write(self.style.SUCCESS("Demo data " + ("loaded." if created else "already present; unchanged.")))
        self.stdout.write("Demo logins (organization: Demo Hospitality Group):")
        for email, password, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {Membership.Role(role).label:<8} {email:<30} password: {password}")

    def _seed(self, organization):
        for email, password, role, first, last in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=password, first_name=first, last_name=last)
            elif not user.first_name:
                user.first_name, user.last_name = first, last
                user.save(update_fields=["first_name", "last_name"])
            Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": role})

        tap = Venue.objects.for_org(organization).get(slug="the-copper-tap")
        if not tap.address_line1:
            Venue.objects.filter(pk=tap.pk).update(
                address_line1="412 Court Ave", city="Des Moines", postal_code="50309", product_connect_enabled=True
            )
        shop = Venue.objects.for_org(organization).filter(slug="riverside-bottle-shop").first()
        if shop is None:
            shop = _create_venue(
                organization=organization, name="Riverside Bottle Shop", state="IA", timezone_name="America/Chicago",
                address_line1="18 S Dubuque St", city="Iowa City", postal_code="52240",
            )  # fmt: skip
            record_audit(organization=organization, actor=None, action="venue.created", obj=shop,
                         summary=f"Venue {shop.name} added (demo data)")  # fmt: skip
        for venue, names in ((tap, ["Back bar", "Walk-in cooler"]), (shop, ["Shop floor"])):
            for name in names:
                StorageArea.objects.get_or_create(organization=organization, venue=venue, name=name)

        self._import_items(organization, tap)
        self._product_connect(organization, tap)

    def _product_connect(self, organization, venue):
        """The Copper Tap's account at Iowa ABD and a drop-folder feed. The first time, two real
        invoices are dropped into the folder; the worker imports them within a minute."""
        distributor = self._iowa(organization)
        DistributorAccount.objects.get_or_create(
            organization=organization, distributor=distributor, account_number=DEMO_ACCOUNT, defaults={"venue": venue}
        )
        folder = Path(settings.FEEDS_DIR) / organization.slug / "iowa-abd"
        feed, created = SupplierFeed.objects.get_or_create(
            organization=organization, distributor=distributor, name="Iowa ABD invoices (demo drop folder)",
            defaults={"transport": SupplierFeed.Transport.DROP_FOLDER, "format": SupplierFeed.Format.CSV,
                      "folder": "iowa-abd"},  # relative to FEEDS_DIR/<organization slug>/
        )  # fmt: skip
        if not created or FeedDocument.objects.for_org(organization).exists():
            return
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "iowa-abd-invoices.csv").write_bytes(_demo_invoices())

    def _iowa(self, organization):
        distributor = (
            Distributor.objects.for_org(organization)
            .filter(Q(name__iexact=IOWA_ABD) | Q(code__iexact="IA-ABD"))
            .order_by("organization_id").first()
        )  # fmt: skip
        return distributor or create_distributor(actor=None, organization=organization, name=IOWA_ABD, code="IA-ABD")

    def _import_items(self, organization, venue):
        """The 300 demo items through the Import Wizard's engine, so they get their Iowa SKUs,
        UPCs, case GTINs and cost history like an imported catalog. Skipped when nothing in the
        file would change (a second run), so running seed_demo again writes nothing."""
        distributor = self._iowa(organization)
        data = _demo_catalog()
        table = read_table(data)
        mapping = auto_map(table.headers, {h: table.samples(i, limit=8) for i, h in enumerate(table.headers)}).mapping
        plan = plan_import(organization=organization, table=table, mapping=mapping, venue=venue,
                           distributor=distributor, today=timezone.localdate())  # fmt: skip
        counts = plan.counts()
        if not counts["created"] and not counts["updated"]:
            return
        import_file(actor=None, organization=organization, venue=venue, file_name=FIXTURE.name, data=data,
                    distributor=distributor, mapping=mapping, source=ImportJob.Source.DEMO)  # fmt: skip


def _demo_catalog() -> bytes:
    """The fixture with names and producers in title case, as a bar would type them."""
    out = io.StringIO()
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for row in reader:
            for column in ("Item Description", "Vendor Name"):
                row[column] = " ".join(row[column].split()).title()
            writer.writerow(row)
    return out.getvalue().encode()


def _demo_invoices() -> bytes:
    """The two demo invoices, dated the day before yesterday and yesterday."""
    out = io.StringIO()
    today = timezone.localdate()
    with DEMO_INVOICES.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        numbers: list[str] = []
        for row in reader:
            if row["invoice_number"] not in numbers:
                numbers.append(row["invoice_number"])
            row["invoice_date"] = (today - timedelta(days=2 - numbers.index(row["invoice_number"]))).isoformat()
            writer.writerow(row)
    return out.getvalue().encode()
