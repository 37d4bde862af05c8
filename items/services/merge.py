"""Merging duplicate items, and undoing a merge.

A merge folds the *merged* (old) item into the *survivor*: every row that points at the old
item moves to the survivor, the survivor's blank details are filled from the old item, and
the old item is archived with `merged_into` set. `ItemMerge.moved` records exactly which rows
moved and which survivor fields were filled, so `undo_merge` can put back exactly those
(rows created on the survivor after the merge stay where they are).

The registry: each app registers what it owns
-------------------------------------------------
The items app does not know what later apps will hang off an item (invoice lines, back-order
lines, channel mappings…). Each app registers its own foreign keys to `items.Item`, from its
`AppConfig.ready()`::

    from items.services.merge import register_item_reference

    class InvoicesConfig(AppConfig):
        def ready(self):
            register_item_reference("invoices.InvoiceLine", "item", label="invoice lines")
            # one row per (channel, item): rows whose channel the survivor already has stay
            register_item_reference("channels.ProductMapping", "item", label="channel mappings",
                                    unique_with=("channel",))

That is all most references need. The default handling:

- merge: the old item's rows (`organization` = the merge's organization, `<field>` = old item)
  are re-pointed with one UPDATE. With `unique_with`, a row whose (unique_with…) values the
  survivor already has would break a unique constraint; it stays on the old (archived) item,
  so nothing is lost, and the preview lists it as "stays". The record is
  ``{"moved": [ids], "kept": [ids]}``.
- undo: exactly the `moved` ids that still point at the survivor go back to the old item.

Hooks for the unusual cases (all optional, keyword-only):

- ``check(ctx) -> list[str]``: reasons the merge cannot happen now (e.g. both items are on
  an open stock count). Shown in the preview; `merge_items` refuses with them.
- ``on_merge(ctx, plan) -> dict``: does the move itself and returns a JSON-serializable
  record (stored in `ItemMerge.moved`); `plan.move_ids` / `plan.keep_ids` is the default
  split. ``on_undo(ctx, record)`` reverses it. Give both or neither.

The registered model must be a tenant model (an `organization` foreign key) and `field_name`
a foreign key to `items.Item`; both are checked when a merge runs (apps may register before
models are ready). Registering the same (model, field) again replaces the entry. Derived data
is not registered: stock levels are rebuilt from the movements after the move
(`ledger.rebuild_levels`), which is what "levels summed per storage area" means.
Merge history rows (`ItemMerge`) and other items' `merged_into` stay as they are: history.

What the items app registers (bottom of this module): identifiers (unique per code, so a code
both items carry stays on the old item too), stock movements (the database lets a merge change
only their `item`), cost history, stock-count lines (refused while both items are on the same
open count; on a finished count where both were counted the old line stays with the old item),
par levels (the survivor's par wins per venue; the old item's par moves to venues where the
survivor has none) and dismissed duplicate suggestions (re-pointed pairs, re-ordered).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from items.errors import ItemsError
from items.models import (
    DismissedDuplicate,
    Item,
    ItemCost,
    ItemIdentifier,
    ItemMerge,
    ItemPar,
    StockCount,
    StockCountLine,
    StockLevel,
)
from items.services.ledger import rebuild_levels
from venues.models import Membership, Organization, StorageArea
from venues.services import record_audit, require_role

MANAGERS = (Membership.Role.ADMIN, Membership.Role.MANAGER)
RECORD_VERSION = 1


class MergeError(ItemsError):
    """A merge or its undo can't happen as asked; the message says why."""


# --- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeContext:
    organization: Organization
    survivor: Item
    merged: Item
    actor: object = None


@dataclass
class ReferencePlan:
    """The old item's rows of one reference: those that move and those that stay with it."""

    reference: ItemReference
    move_ids: list[int] = field(default_factory=list)
    keep_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ItemReference:
    model_label: str
    field_name: str
    label: str
    unique_with: tuple[str, ...] = ()
    on_merge: Callable[[MergeContext, ReferencePlan], dict] | None = None
    on_undo: Callable[[MergeContext, dict], None] | None = None
    check: Callable[[MergeContext], list[str]] | None = None

    @property
    def key(self) -> str:
        return f"{self.model_label}.{self.field_name}"

    @property
    def model(self) -> type[models.Model]:
        model = apps.get_model(self.model_label)
        fk = model._meta.get_field(self.field_name)
        if getattr(fk, "related_model", None) is not Item or not fk.many_to_one:
            raise ImproperlyConfigured(f"{self.key} is registered as an item reference but is no foreign key to Item")
        try:
            model._meta.get_field("organization")
        except LookupError:
            raise ImproperlyConfigured(f"{self.model_label} is registered as an item reference but has no organization") from None
        return model

    def rows(self, organization: Organization, item: Item) -> models.QuerySet:
        return self.model._default_manager.filter(organization=organization, **{self.field_name: item})


_REGISTRY: dict[str, ItemReference] = {}


def register_item_reference(model_label: str, field_name: str, *, label: str | None = None,
                            unique_with: tuple[str, ...] | list[str] = (), on_merge=None, on_undo=None,
                            check=None) -> ItemReference:  # fmt: skip
    """Declare that `model_label.field_name` points at an item and moves with a merge (see above)."""
    if (on_merge is None) != (on_undo is None):
        raise ImproperlyConfigured(f"{model_label}.{field_name}: give both on_merge and on_undo, or neither")
    reference = ItemReference(
        model_label=model_label, field_name=field_name, label=label or f"{model_label} rows",
        unique_with=tuple(unique_with), on_merge=on_merge, on_undo=on_undo, check=check,
    )  # fmt: skip
    _REGISTRY[reference.key] = reference
    return reference


def unregister_item_reference(model_label: str, field_name: str) -> None:
    _REGISTRY.pop(f"{model_label}.{field_name}", None)


def item_references() -> list[ItemReference]:
    """Registered references, in registration order."""
    return list(_REGISTRY.values())


def _plan(ctx: MergeContext, reference: ItemReference) -> ReferencePlan:
    plan = ReferencePlan(reference=reference)
    if not reference.unique_with:
        plan.move_ids = list(reference.rows(ctx.organization, ctx.merged).order_by("pk").values_list("pk", flat=True))
        return plan
    # A row moves unless the survivor already has one with the same unique values. Tuples
    # compare None == None, which is what `nulls_distinct=False` constraints want.
    fields = [reference.model._meta.get_field(name).attname for name in reference.unique_with]
    taken = set(reference.rows(ctx.organization, ctx.survivor).values_list(*fields))
    for pk, *values in reference.rows(ctx.organization, ctx.merged).order_by("pk").values_list("pk", *fields):
        (plan.keep_ids if tuple(values) in taken else plan.move_ids).append(pk)
    return plan


def _default_merge(ctx: MergeContext, plan: ReferencePlan) -> dict:
    reference = plan.reference
    if plan.move_ids:
        reference.model._default_manager.filter(organization=ctx.organization, pk__in=plan.move_ids).update(
            **{reference.field_name: ctx.survivor}
        )
    return {"moved": plan.move_ids, "kept": plan.keep_ids}


def _default_undo(ctx: MergeContext, model: type[models.Model], field_name: str, record: dict) -> None:
    ids = record.get("moved") or []
    if ids:
        model._default_manager.filter(organization=ctx.organization, pk__in=ids, **{field_name: ctx.survivor}).update(
            **{field_name: ctx.merged}
        )


# --- survivor fields filled from the old item -------------------------------------------------

# (label, attnames): a group is filled when the survivor's first field is blank and the old item's isn't.
FILL_GROUPS = (
    ("UPC", ("upc", "upc_warning")),
    ("Case GTIN", ("case_gtin", "case_gtin_warning")),
    ("Producer", ("producer",)),
    ("Importer", ("importer",)),
    ("Preferred distributor", ("preferred_distributor_id",)),
    ("Vintage", ("vintage",)),
    ("ABV", ("abv",)),
    ("Proof", ("proof",)),
)  # fmt: skip
COST_FIELDS = ("cost_per_unit", "cost_per_case", "cost_date", "cost_source", "cost_source_ref")


def _blank(value) -> bool:
    return value is None or value == ""


def _field(attname: str) -> models.Field:
    for f in Item._meta.concrete_fields:
        if f.attname == attname:
            return f.target_field if f.is_relation else f
    raise LookupError(attname)


def _dump(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _load(attname: str, value):
    return None if value is None else _field(attname).to_python(value)


@dataclass
class FieldFill:
    label: str
    attnames: tuple[str, ...]
    survivor_value: str
    merged_value: str


def _display(item: Item, label: str, attnames: tuple[str, ...]) -> str:
    if label == "Cost":
        if item.cost_per_unit is None:
            return ""
        when = f" on {item.cost_date:%b %-d, %Y}" if item.cost_date else ""
        return f"${item.cost_per_unit:.2f}/unit{when} ({item.get_cost_source_display() or 'unknown source'})"
    if attnames[0] == "preferred_distributor_id":
        return str(item.preferred_distributor) if item.preferred_distributor_id else ""
    value = getattr(item, attnames[0])
    return "" if value is None else str(value)


def _fills(survivor: Item, merged: Item) -> list[FieldFill]:
    fills = []
    for label, attnames in FILL_GROUPS:
        if _blank(getattr(survivor, attnames[0])) and not _blank(getattr(merged, attnames[0])):
            fills.append(FieldFill(label, attnames, _display(survivor, label, attnames), _display(merged, label, attnames)))
    # The cost comes along only when the old item's is newer (or the survivor has none).
    if merged.cost_per_unit is not None and (
        survivor.cost_per_unit is None
        or (merged.cost_date and (survivor.cost_date is None or merged.cost_date > survivor.cost_date))
    ):
        fills.append(FieldFill("Cost", COST_FIELDS, _display(survivor, "Cost", COST_FIELDS), _display(merged, "Cost", COST_FIELDS)))
    return fills


# --- the preview ----------------------------------------------------------------------------


@dataclass
class StockRow:
    storage_area: StorageArea
    survivor_before: Decimal
    merged: Decimal

    @property
    def after(self) -> Decimal:
        return self.survivor_before + self.merged


@dataclass
class ReferenceSummary:
    key: str
    label: str
    moving: int
    staying: int


@dataclass
class MergePreview:
    survivor: Item
    merged: Item
    references: list[ReferenceSummary]
    identifiers_moving: list[ItemIdentifier]
    identifiers_staying: list[ItemIdentifier]
    stock: list[StockRow]
    movements: int
    costs: list[ItemCost]
    pars_moving: list[ItemPar]
    pars_staying: list[ItemPar]
    fills: list[FieldFill]
    problems: list[str]
    warnings: list[str]

    @property
    def can_merge(self) -> bool:
        return not self.problems

    @property
    def stock_before(self) -> Decimal:
        return sum((row.survivor_before + row.merged for row in self.stock), Decimal(0))

    @property
    def other_references(self) -> list[ReferenceSummary]:
        """References registered by other apps (the items app's own are shown in detail)."""
        return [r for r in self.references if not r.key.startswith("items.")]


def default_survivor(a: Item, b: Item) -> Item:
    """The newer item survives: users are told to merge the old item into the newly created one."""
    return max((a, b), key=lambda item: (item.created_at, item.pk))


def _item_problems(organization: Organization, survivor: Item, merged: Item) -> list[str]:
    if survivor.pk == merged.pk:
        return ["An item cannot be merged into itself; choose two different items."]
    problems = []
    for item in (survivor, merged):
        if item.organization_id != organization.pk:
            problems.append(f"{item} is not an item of {organization.name}.")
        elif item.merged_into_id:
            problems.append(f"{item} was already merged into another item; undo that merge first.")
        elif item.archived:
            problems.append(f"{item} is archived; restore it before merging.")
    return problems


def _warnings(survivor: Item, merged: Item) -> list[str]:
    warnings = []
    if survivor.size_ml != merged.size_ml:
        warnings.append(
            f"The sizes differ ({merged.size_label or 'no size'} and {survivor.size_label or 'no size'}): "
            f"{merged.name}'s units will be counted as units of {survivor}."
        )
    if survivor.units_per_case != merged.units_per_case:
        warnings.append(f"The packs differ ({merged.display_pack} and {survivor.display_pack}); the survivor's pack is kept.")
    return warnings


def preview_merge(*, organization: Organization, survivor: Item, merged: Item) -> MergePreview:
    """Exactly what `merge_items` would move and fill, and why it would be refused (if it would)."""
    ctx = MergeContext(organization=organization, survivor=survivor, merged=merged)
    problems = _item_problems(organization, survivor, merged)
    plans = {} if problems else {ref.key: _plan(ctx, ref) for ref in item_references()}
    if not problems:
        for reference in item_references():
            problems += reference.check(ctx) if reference.check else []

    def ids(key, which):
        plan = plans.get(key)
        return getattr(plan, which) if plan else []

    identifiers = ItemIdentifier.objects.for_org(organization).select_related("distributor")
    pars = ItemPar.objects.for_org(organization).select_related("venue").order_by("venue__name")
    levels = (
        StockLevel.objects.for_org(organization).filter(item__in=[survivor.pk, merged.pk])
        .select_related("storage_area__venue")
        .order_by("storage_area__venue__name", "-storage_area__is_primary", "storage_area__name")
    )  # fmt: skip
    stock: dict[int, StockRow] = {}
    for level in levels:
        row = stock.setdefault(level.storage_area_id, StockRow(level.storage_area, Decimal(0), Decimal(0)))
        if level.item_id == survivor.pk:
            row.survivor_before += level.quantity
        else:
            row.merged += level.quantity
    return MergePreview(
        survivor=survivor,
        merged=merged,
        references=[ReferenceSummary(key, plan.reference.label, len(plan.move_ids), len(plan.keep_ids))
                    for key, plan in plans.items()],  # fmt: skip
        identifiers_moving=list(identifiers.filter(pk__in=ids(IDENTIFIERS, "move_ids"))),
        identifiers_staying=list(identifiers.filter(pk__in=ids(IDENTIFIERS, "keep_ids"))),
        stock=[row for row in stock.values() if row.survivor_before or row.merged],
        movements=len(ids(MOVEMENTS, "move_ids")),
        costs=list(ItemCost.objects.for_org(organization).filter(pk__in=ids(COSTS, "move_ids"))),
        pars_moving=list(pars.filter(pk__in=ids(PARS, "move_ids"))),
        pars_staying=list(pars.filter(pk__in=ids(PARS, "keep_ids"))),
        fills=[] if problems else _fills(survivor, merged),
        problems=problems,
        warnings=_warnings(survivor, merged),
    )


# --- merge and undo -------------------------------------------------------------------------


def _lock_items(organization: Organization, *pks: int) -> dict[int, Item]:
    """Lock the items in primary-key order (two merges of the same pair can't deadlock)."""
    locked = {}
    for pk in sorted(set(pks)):
        item = Item.objects.for_org(organization).select_for_update().filter(pk=pk).first()
        if item is None:
            raise MergeError("That item does not exist in this organization (it may have been deleted).")
        locked[pk] = item
    return locked


@transaction.atomic
def merge_items(*, actor, organization: Organization, survivor: Item, merged: Item) -> ItemMerge:
    """Merge `merged` into `survivor`; returns the ItemMerge that can undo it.

    Moves every registered reference, rebuilds both items' stock levels from their
    movements, fills the survivor's blank fields from the old item, archives the old item
    (`merged_into` = survivor) and writes an audit entry, all in one transaction.
    Raises MergeError (the same item, archived or already merged items, another
    organization's items, or a registered check such as a shared open count) and
    PermissionDenied for staff.
    """
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    if survivor.pk == merged.pk:
        raise MergeError("An item cannot be merged into itself; choose two different items.")
    locked = _lock_items(organization, survivor.pk, merged.pk)
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    problems = _item_problems(organization, survivor, merged)
    ctx = MergeContext(organization=organization, survivor=survivor, merged=merged, actor=actor)
    references = item_references()
    for reference in [] if problems else references:
        problems += reference.check(ctx) if reference.check else []
    if problems:
        raise MergeError(" ".join(problems))

    plans = [_plan(ctx, reference) for reference in references]
    recorded = {}
    for plan in plans:
        reference = plan.reference
        record = reference.on_merge(ctx, plan) if reference.on_merge else _default_merge(ctx, plan)
        recorded[reference.key] = {"model": reference.model_label, "field": reference.field_name,
                                   "label": reference.label, **record}  # fmt: skip
    rebuild_levels(organization=organization, item_ids=[survivor.pk, merged.pk])

    filled = {}
    for fill in _fills(survivor, merged):
        for attname in fill.attnames:
            filled[attname] = {"before": _dump(getattr(survivor, attname)), "after": _dump(getattr(merged, attname))}
            setattr(survivor, attname, getattr(merged, attname))
    now = timezone.now()
    if filled:
        survivor.updated_at = now
        survivor.save(update_fields=[*filled, "updated_at"])
    merged.archived, merged.merged_into, merged.updated_at = True, survivor, now
    merged.save(update_fields=["archived", "merged_into", "updated_at"])

    merge = ItemMerge.objects.create(
        organization=organization, survivor=survivor, merged=merged, performed_at=now,
        performed_by=actor if getattr(actor, "pk", None) else None,
        # jsonb keeps no key order: "order" keeps the registry's, for the undo and the history.
        moved={"version": RECORD_VERSION, "order": list(recorded), "references": recorded, "fields": filled},
    )  # fmt: skip
    counts = {r["label"]: len(r.get("moved") or []) for r in recorded.values()}
    record_audit(
        organization=organization, actor=actor, action="item.merged", obj=survivor,
        summary=f"Merged {merged} into {survivor}",
        changes={"merge": merge.pk, "merged_item": merged.pk, "moved": counts,
                 "filled": sorted({a.removesuffix("_id") for a in filled if not a.endswith("_warning")})},
    )  # fmt: skip
    return merge


def recorded_references(merge: ItemMerge) -> list[tuple[str, dict]]:
    """(key, record) of each reference the merge moved, in the order they were moved."""
    records = (merge.moved or {}).get("references", {})
    order = (merge.moved or {}).get("order") or list(records)
    return [(key, records[key]) for key in order if key in records]


def newer_merge_blocking(*, organization: Organization, merge: ItemMerge) -> ItemMerge | None:
    """A later merge, not undone, that involves either item of `merge` (undo that one first)."""
    items = [merge.survivor_id, merge.merged_id]
    return (
        ItemMerge.objects.for_org(organization).filter(pk__gt=merge.pk, undone_at=None)
        .filter(models.Q(survivor__in=items) | models.Q(merged__in=items))
        .select_related("survivor", "merged").order_by("-pk").first()
    )  # fmt: skip


@transaction.atomic
def undo_merge(*, actor, organization: Organization, merge: ItemMerge) -> ItemMerge:
    """Put back exactly what `merge` moved; the old item returns, unarchived, with its stock.

    Rows added to the survivor after the merge stay on it. Survivor fields the merge filled
    are cleared again only where nobody changed them since. Raises MergeError when the
    merge was already undone or a newer merge involving either item must be undone first.
    """
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    merge = ItemMerge.objects.for_org(organization).select_for_update().filter(pk=merge.pk).first()
    if merge is None:
        raise MergeError("That merge does not exist in this organization.")
    if merge.is_undone:
        raise MergeError(f"This merge was already undone on {timezone.localtime(merge.undone_at):%b %-d, %Y %H:%M}.")
    newer = newer_merge_blocking(organization=organization, merge=merge)
    if newer is not None:
        raise MergeError(
            f"{newer.merged} was merged into {newer.survivor} after this merge; undo that newer merge first."
        )
    locked = _lock_items(organization, merge.survivor_id, merge.merged_id)
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    ctx = MergeContext(organization=organization, survivor=survivor, merged=merged, actor=actor)

    try:
        with transaction.atomic():
            for key, record in reversed(recorded_references(merge)):
                reference = _REGISTRY.get(key)
                if reference is not None and reference.on_undo is not None:
                    reference.on_undo(ctx, record)
                else:  # the default, also for a reference no longer registered
                    _default_undo(ctx, apps.get_model(record["model"]), record["field"], record)
    except IntegrityError as exc:
        raise MergeError(f"The merge can't be undone: a row added since would clash with a restored one ({exc}).") from None
    rebuild_levels(organization=organization, item_ids=[survivor.pk, merged.pk])

    restored, kept = [], []
    fields = (merge.moved or {}).get("fields", {})
    for label, attnames in (*FILL_GROUPS, ("Cost", COST_FIELDS)):
        group = [a for a in attnames if a in fields]
        if not group:
            continue
        unchanged = all(_load(a, _dump(getattr(survivor, a))) == _load(a, fields[a]["after"]) for a in group)
        if unchanged:
            for attname in group:
                setattr(survivor, attname, _load(attname, fields[attname]["before"]))
            restored += group
        else:
            kept.append(label)
    now = timezone.now()
    if restored:
        survivor.updated_at = now
        survivor.save(update_fields=[*restored, "updated_at"])
    merged.archived, merged.merged_into, merged.updated_at = False, None, now
    merged.save(update_fields=["archived", "merged_into", "updated_at"])

    merge.undone_at, merge.undone_by = now, actor if getattr(actor, "pk", None) else None
    merge.save(update_fields=["undone_at", "undone_by"])
    note = f"; kept the survivor's {', '.join(kept)} (changed since the merge)" if kept else ""
    record_audit(
        organization=organization, actor=actor, action="item.merge_undone", obj=merged,
        summary=f"Undid the merge of {merged} into {survivor}{note}",
        changes={"merge": merge.pk, "survivor": survivor.pk, "fields_kept": kept},
    )  # fmt: skip
    return merge


# --- what the items app registers -----------------------------------------------------------

IDENTIFIERS = "items.ItemIdentifier.item"
MOVEMENTS = "items.StockMovement.item"
COSTS = "items.ItemCost.item"
COUNT_LINES = "items.StockCountLine.item"
PARS = "items.ItemPar.item"


def _shared_open_counts(ctx: MergeContext) -> list[str]:
    """Both items counted on the same open count: two lines can't become one without losing a number."""
    lines = StockCountLine.objects.for_org(ctx.organization).filter(count__status=StockCount.Status.OPEN)
    shared = (
        StockCount.objects.for_org(ctx.organization)
        .filter(pk__in=lines.filter(item=ctx.survivor).values("count"))
        .filter(pk__in=lines.filter(item=ctx.merged).values("count"))
        .select_related("storage_area__venue")
    )  # fmt: skip
    return [
        f"Both items are on the open count of {count.storage_area} ({count.business_date:%b %-d}); "
        f"finish or cancel that count, or remove one of the two lines, then merge."
        for count in shared
    ]


def _dismissed_handlers(field_name: str):
    """DismissedDuplicate stores an ordered pair (low < high): re-point and re-order it."""
    other_name = "item_high" if field_name == "item_low" else "item_low"

    def on_merge(ctx: MergeContext, plan: ReferencePlan) -> dict:
        moved, kept = {}, list(plan.keep_ids)
        rows = DismissedDuplicate.objects.for_org(ctx.organization).filter(pk__in=plan.move_ids)
        for row in rows:
            other = getattr(row, f"{other_name}_id")
            low, high = sorted((ctx.survivor.pk, other))
            pair = DismissedDuplicate.objects.for_org(ctx.organization).filter(item_low=low, item_high=high)
            if low == high or pair.exists():  # the pair of the two merged items, or already dismissed
                kept.append(row.pk)
                continue
            moved[str(row.pk)] = [row.item_low_id, row.item_high_id]
            DismissedDuplicate.objects.filter(pk=row.pk).update(item_low=low, item_high=high)
        return {"moved": moved, "kept": kept}

    def on_undo(ctx: MergeContext, record: dict) -> None:
        for pk, (low, high) in (record.get("moved") or {}).items():
            DismissedDuplicate.objects.for_org(ctx.organization).filter(pk=int(pk)).filter(
                models.Q(item_low=ctx.survivor) | models.Q(item_high=ctx.survivor)
            ).update(item_low=low, item_high=high)

    return on_merge, on_undo


def register_items_references() -> None:
    """The items app's own references (called at import; idempotent)."""
    register_item_reference("items.ItemIdentifier", "item", label="identifiers",
                            unique_with=("kind", "distributor", "scope", "value"))  # fmt: skip
    register_item_reference("items.StockMovement", "item", label="stock movements")
    register_item_reference("items.ItemCost", "item", label="cost history entries")
    register_item_reference("items.StockCountLine", "item", label="stock count lines", unique_with=("count",),
                            check=_shared_open_counts)  # fmt: skip
    register_item_reference("items.ItemPar", "item", label="par levels", unique_with=("venue",))
    for name in ("item_low", "item_high"):
        on_merge, on_undo = _dismissed_handlers(name)
        register_item_reference("items.DismissedDuplicate", name, label="dismissed duplicate suggestions",
                                on_merge=on_merge, on_undo=on_undo)  # fmt: skip


register_items_references()
