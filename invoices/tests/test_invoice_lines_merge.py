"""Invoice lines follow their item through a merge and back through its undo."""

from datetime import date
from decimal import Decimal

import pytest

from distributors.models import Distributor
from invoices.models import InvoiceLine, PartialInvoice
from items.services.catalog import create_item
from items.services.merge import merge_items, undo_merge

pytestmark = pytest.mark.django_db


def test_a_merge_moves_the_old_items_invoice_lines_to_the_survivor_and_undo_moves_them_back(tenant):
    org = tenant.organization
    old, _ = create_item(actor=tenant.manager, organization=org, name="Titos Handmade Vodka", size="750ML")
    new, _ = create_item(actor=tenant.manager, organization=org, name="Tito's Handmade Vodka", size="750ML")
    distributor = Distributor.objects.create(name="Heartland Wholesale", slug="heartland-wholesale")
    invoice = PartialInvoice.objects.create(organization=org, distributor=distributor, venue=tenant.venue,
                                            invoice_number="INV-1", invoice_date=date(2022, 9, 1))  # fmt: skip
    line = InvoiceLine.objects.create(organization=org, invoice=invoice, line_number=1, quantity=Decimal(12),
                                      item=old, match=InvoiceLine.Match.NAME)  # fmt: skip

    merge = merge_items(actor=tenant.manager, organization=org, survivor=new, merged=old)
    line.refresh_from_db()
    assert line.item_id == new.pk

    undo_merge(actor=tenant.manager, organization=org, merge=merge)
    line.refresh_from_db()
    assert line.item_id == old.pk
