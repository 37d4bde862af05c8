"""Create and change items, the codes that name them, their costs and par levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from items.codes import normalize_gtin
from items.errors import ItemsError
from items.models import Item, ItemCost, ItemIdentifier, ItemPar
from items.normalize import name_key
from items.sizes import parse_size
from venues.models import Membership, Organization
from venues.services import record_audit, require_role

MANAGERS = (Membership.Role.ADMIN, Membership.Role.MANAGER)

# Fields a person or an import may set directly; size, codes and cost go through helpers.
PLAIN_FIELDS = ("name", "category", "producer", "importer", "units_per_case", "vintage", "abv", "proof",
                "preferred_distributor", "archived")  # fmt: skip


@dataclass
class ItemWarnings:
    messages: list[str]


def apply_size(item: Item, size_text: str | None, *, default_unit: str | None = None) -> None:
    """Set the size fields from text ("750ML", "1/2 BBL"); raise ItemsError if it can't be read."""
    text = (size_text or "").strip()
    if not text:
        item.size_quantity = item.size_ml = None
        item.size_unit = item.size_label = ""
        return
    size = parse_size(text, default_unit=default_unit)
    if size is None:
        raise ItemsError(f"Size '{text}' is not a size Backstock understands (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL).")
    item.size_quantity, item.size_unit, item.size_ml, item.size_label = size.quantity, size.unit, size.ml, size.label


def apply_codes(item: Item, *, upc: str | None = None, case_gtin: str | None = None) -> list[str]:
    """Set UPC / case GTIN; a wrong check digit is kept with a warning. Returns the warnings."""
    warnings = []
    if upc is not None:
        code = normalize_gtin(upc, label="UPC")
        item.upc, item.upc_warning = (code.value, code.warning) if code else ("", "")
        if code and code.warning:
            warnings.append(code.warning)
    if case_gtin is not None:
        code = normalize_gtin(case_gtin, label="Case GTIN")
        item.case_gtin, item.case_gtin_warning = (code.value, code.warning) if code else ("", "")
        if code and code.warning:
            warnings.append(code.warning)
    return warnings


def to_decimal(value, *, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value).replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        raise ItemsError(f"{field} '{value}' is not a number.") from None
    if result < 0:
        raise ItemsError(f"{field} cannot be negative.")
    return result


def _validate(item: Item) -> None:
    if not item.name or not item.name.strip():
        raise ItemsError("The item needs a name.")
    if item.category not in Item.Category.values:
        raise ItemsError(f"'{item.category}' is not a category (beer, wine, spirits, non-alcoholic, other).")
    if not item.units_per_case or item.units_per_case < 1:
        raise ItemsError("Units per case must be at least 1.")


@transaction.atomic
def create_item(*, actor, organization: Organization, name: str, size: str = "", upc: str = "",
                case_gtin: str = "", cost_per_unit=None, cost_date: date | None = None,
                cost_source: str = Item.CostSource.MANUAL, cost_source_ref: str = "", audit: bool = True,
                **fields) -> tuple[Item, list[str]]:  # fmt: skip
    """Create an item. Returns (item, warnings); warnings are wrong check digits and such."""
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    unknown = set(fields) - set(PLAIN_FIELDS)
    if unknown:
        raise ItemsError(f"Unknown item fields: {', '.join(sorted(unknown))}")
    item = Item(organization=organization, name=" ".join((name or "").split()), **fields)
    apply_size(item, size)
    warnings = apply_codes(item, upc=upc, case_gtin=case_gtin)
    _validate(item)
    item.name_key = name_key(item.name)
    item.save()
    if item.upc:
        record_identifier(organization=organization, item=item, kind=ItemIdentifier.Kind.UPC, value=item.upc, source="item")
    if item.case_gtin:
        record_identifier(organization=organization, item=item, kind=ItemIdentifier.Kind.CASE_GTIN, value=item.case_gtin, source="item")  # fmt: skip
    cost = to_decimal(cost_per_unit, field="Cost")
    if cost is not None:
        record_cost(organization=organization, item=item, cost_per_unit=cost, effective_date=cost_date or timezone.localdate(),
                    source=cost_source, source_ref=cost_source_ref, actor=actor)  # fmt: skip
    if audit:
        record_audit(organization=organization, actor=actor, action="item.created", obj=item, summary=f"Item {item} created")
    return item, warnings


@transaction.atomic
def update_item(*, actor, organization: Organization, item: Item, size: str | None = None, upc: str | None = None,
                case_gtin: str | None = None, cost_per_unit=None, cost_date: date | None = None,
                cost_source: str = Item.CostSource.MANUAL, cost_source_ref: str = "", audit: bool = True,
                **fields) -> tuple[Item, list[str]]:  # fmt: skip
    """Change an item's details. Codes that change are kept in the identifier history.

    A `cost_per_unit` that differs from the current one is added to the cost history
    (record_cost: it becomes current only if it is the newest). None leaves the cost alone.
    """
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    unknown = set(fields) - set(PLAIN_FIELDS)
    if unknown:
        raise ItemsError(f"Unknown item fields: {', '.join(sorted(unknown))}")
    item = Item.objects.for_org(organization).select_for_update().get(pk=item.pk)
    if item.merged_into_id and fields.get("archived") is False:
        # Unarchiving would leave two live items; the merge's undo puts everything back.
        raise ItemsError(f"{item} was merged into another item; undo the merge from its history instead.")
    before = {f.attname: getattr(item, f.attname) for f in Item._meta.concrete_fields}
    for field, value in fields.items():
        setattr(item, field, " ".join(value.split()) if field == "name" and isinstance(value, str) else value)
    if size is not None:
        apply_size(item, size)
    warnings = apply_codes(item, upc=upc, case_gtin=case_gtin)
    _validate(item)
    item.name_key = name_key(item.name)
    changed = [f for f, old in before.items() if getattr(item, f) != old]
    cost = to_decimal(cost_per_unit, field="Cost")
    if cost is not None and cost != item.cost_per_unit:
        record_cost(organization=organization, item=item, cost_per_unit=cost, effective_date=cost_date or timezone.localdate(),
                    source=cost_source, source_ref=cost_source_ref, actor=actor)  # fmt: skip
        item.refresh_from_db(fields=["cost_per_unit", "cost_per_case", "cost_date", "cost_source", "cost_source_ref"])
        changed += [f for f in ("cost_per_unit", "cost_per_case", "cost_date") if getattr(item, f) != before[f]]
    if not changed:
        return item, warnings
    item.updated_at = timezone.now()
    item.save()
    if "upc" in changed and item.upc:
        record_identifier(organization=organization, item=item, kind=ItemIdentifier.Kind.UPC, value=item.upc, source="item")
    if "case_gtin" in changed and item.case_gtin:
        record_identifier(organization=organization, item=item, kind=ItemIdentifier.Kind.CASE_GTIN, value=item.case_gtin, source="item")  # fmt: skip
    if audit:
        record_audit(organization=organization, actor=actor, action="item.updated", obj=item,
                     summary=f"Item {item} updated: {', '.join(c.removesuffix('_id') for c in changed if c not in ('name_key', 'updated_at'))}",
                     changes={c: [str(before[c]), str(getattr(item, c))] for c in changed if c not in ("updated_at",)})  # fmt: skip
    return item, warnings


def record_identifier(*, organization: Organization, item: Item, kind: str, value: str, distributor=None,
                      scope: str = "", source: str = "", replaces_previous: bool = False) -> ItemIdentifier:  # fmt: skip
    """Note that `value` names `item` (seen now). Idempotent.

    With `replaces_previous` (a distributor's SKU for this item changed), the item's other
    current codes of the same kind and distributor become history (`is_current = False`).
    Call inside the caller's transaction.
    """
    value = (value or "").strip()
    if not value:
        raise ItemsError("An identifier needs a value.")
    now = timezone.now()
    identifier, created = ItemIdentifier.objects.get_or_create(
        organization=organization, item=item, kind=kind, distributor=distributor, scope=scope, value=value,
        defaults={"source": source, "first_seen": now, "last_seen": now},
    )  # fmt: skip
    if not created:
        ItemIdentifier.objects.filter(pk=identifier.pk).update(last_seen=now, is_current=True)
    if replaces_previous:
        ItemIdentifier.objects.for_org(organization).filter(
            item=item, kind=kind, distributor=distributor, scope=scope, is_current=True
        ).exclude(pk=identifier.pk).update(is_current=False)
    return identifier


def record_cost(*, organization: Organization, item: Item, cost_per_unit: Decimal | None, effective_date: date,
                source: str, source_ref: str = "", cost_per_case: Decimal | None = None, distributor=None,
                actor=None) -> ItemCost:  # fmt: skip
    """Add to the cost history; the item's current cost changes only if this is the newest.

    An older document processed later (an invoice approved late) never overwrites a newer cost.
    """
    if cost_per_case is None and cost_per_unit is not None:
        cost_per_case = (cost_per_unit * item.units_per_case).quantize(Decimal("0.01"))
    if cost_per_unit is None and cost_per_case is not None:
        cost_per_unit = (cost_per_case / item.units_per_case).quantize(Decimal("0.0001"))
    entry = ItemCost.objects.create(
        organization=organization, item=item, cost_per_unit=cost_per_unit, cost_per_case=cost_per_case,
        effective_date=effective_date, source=source, source_ref=source_ref[:200], distributor=distributor,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    # Conditional update: only when no newer cost is current. Race-free without a lock.
    Item.objects.filter(pk=item.pk).filter(Q(cost_date__isnull=True) | Q(cost_date__lte=effective_date)).update(
        cost_per_unit=cost_per_unit, cost_per_case=cost_per_case, cost_date=effective_date, cost_source=source,
        cost_source_ref=source_ref[:200], updated_at=timezone.now(),
    )  # fmt: skip
    return entry


@transaction.atomic
def set_par(*, actor, organization: Organization, item: Item, venue, par) -> ItemPar | None:
    """Set (or with None/"" clear) the par level of an item at a venue."""
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    value = to_decimal(par, field="Par")
    if value is None:
        ItemPar.objects.for_org(organization).filter(item=item, venue=venue).delete()
        return None
    par_row, _ = ItemPar.objects.update_or_create(
        organization=organization, item=item, venue=venue, defaults={"par": value}
    )
    return par_row
