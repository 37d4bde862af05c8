"""Check that every stock level equals the sum of its movements (DESIGN.md, "Stock is a ledger").

    python manage.py check_stock_ledger [--org SLUG]

Prints every (organization, item, storage area) whose level differs from the sum of its
movements and exits 1; otherwise prints one OK line and exits 0. Meant for cron and CI.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from inventory_site.tenancy import rls_bypass, tenant_context
from items.models import Item, StockLevel, StockMovement
from items.services.ledger import LedgerMismatch, find_ledger_mismatches
from venues.models import Organization, StorageArea


class Command(BaseCommand):
    help = "Exit non-zero and name every stock level that differs from the sum of its movements."

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", help="Check one organization (by its slug) instead of all.")

    def handle(self, *args, org=None, **options):
        organization = None
        if org:
            with rls_bypass("check_stock_ledger: find the organization by slug"):
                organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organization with the slug {org!r}.")
            scope = tenant_context(organization_id=organization.pk)
        else:
            scope = rls_bypass("check_stock_ledger: all organizations")

        with scope:
            mismatches = find_ledger_mismatches(organization=organization)
            if mismatches:
                for line in self._describe(mismatches):
                    self.stdout.write(line)
                n = len(mismatches)
                raise CommandError(
                    "1 stock level differs from the sum of its movements." if n == 1
                    else f"{n} stock levels differ from the sum of their movements.",
                    returncode=1,
                )  # fmt: skip
            levels = StockLevel.objects.all()
            movements = StockMovement.objects.all()
            if organization is not None:
                levels, movements = levels.filter(organization=organization), movements.filter(organization=organization)
            level_count, movement_count = levels.count(), movements.count()
            organizations = (
                f"organization {organization.name} ({organization.slug})" if organization
                else f"{Organization.objects.count()} organization(s)"
            )  # fmt: skip
        self.stdout.write(self.style.SUCCESS(
            f"Stock ledger OK: {level_count} level(s) in {organizations} match the sum of their "
            f"{movement_count} movement(s)."
        ))  # fmt: skip

    def _describe(self, mismatches: list[LedgerMismatch]) -> list[str]:
        """One line per mismatch, with names; runs in the caller's tenant scope (or bypass)."""
        orgs = {o.pk: o for o in Organization.objects.filter(pk__in={m.organization_id for m in mismatches})}
        items = {i.pk: i for i in Item.objects.filter(pk__in={m.item_id for m in mismatches})}
        areas = {a.pk: a for a in StorageArea.objects.select_related("venue")
                 .filter(pk__in={m.storage_area_id for m in mismatches})}  # fmt: skip
        lines = []
        for m in mismatches:
            org = orgs.get(m.organization_id)
            item = items.get(m.item_id)
            area = areas.get(m.storage_area_id)
            level = "no level row" if m.level is None else f"level {m.level.normalize():f}"
            total = m.movements_total.normalize()
            difference = (m.level or 0) - m.movements_total
            lines.append(
                f"MISMATCH {org.name if org else '?'} ({org.slug if org else m.organization_id}): "
                f"item {item if item else '?'} (id {m.item_id}), "
                f"storage area {str(area) if area else '?'} (id {m.storage_area_id}): "
                f"{level} but movements sum to {total:f} (off by {difference.normalize():+f})"
            )
        return lines
