"""Demo data, safe to run again: one organization, two venues, three users, 300 real items.

The items are real Iowa state catalog products (items/fixtures/demo_items.csv). Running it
again changes nothing that exists and prints the same logins.
"""

import csv
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from inventory_site.tenancy import rls_bypass, tenant_context
from items.models import Item
from venues.models import Membership, Organization, StorageArea, User, Venue
from venues.services import _create_venue, create_organization, record_audit

ORG_SLUG = "demo-hospitality-group"
DEMO_USERS = [
    ("admin@demo.backstock.app", "demo-admin-pass", Membership.Role.ADMIN, "Avery", "Admin"),
    ("manager@demo.backstock.app", "demo-manager-pass", Membership.Role.MANAGER, "Morgan", "Manager"),
    ("staff@demo.backstock.app", "demo-staff-pass", Membership.Role.STAFF, "Sam", "Staff"),
]
FIXTURE = Path(__file__).resolve().parents[3] / "items" / "fixtures" / "demo_items.csv"


def _category(iowa_category: str) -> str:
    # Iowa's ABD sells spirits only; its categories are spirit styles and packages.
    text = iowa_category.upper()
    if "WINE" in text and "SPIRIT" not in text:
        return Item.Category.WINE
    return Item.Category.SPIRITS


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

        known = set(Item.objects.for_org(organization).values_list("name", "size_ml"))
        new_items = []
        with FIXTURE.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                name = " ".join(row["Item Description"].split()).title()
                size_ml = Decimal(row["Bottle Volume (ml)"] or 0)
                if (name, size_ml) in known:
                    continue
                known.add((name, size_ml))
                new_items.append(
                    Item(
                        organization=organization,
                        name=name,
                        category=_category(row["Category Name"]),
                        producer=" ".join(row["Vendor Name"].split()).title(),
                        size_label=f"{int(size_ml)}ML",
                        size_ml=size_ml,
                        units_per_case=int(row["Pack"] or 1),
                        upc=row["UPC"].strip(),
                        cost_per_unit=Decimal(row["State Bottle Cost"]) if row["State Bottle Cost"] else None,
                    )
                )
        Item.objects.bulk_create(new_items)
