"""Decide, row by row, what an import does: create, update (which fields, old → new),
leave unchanged, or reject (and why). Nothing is written here; `writing` applies a plan.

Matching a row to an item the organization already has, in this order:

1. the distributor's SKU (the row's `vendor` distributor, else the import's distributor);
2. the UPC, **and** the same size, **and** names that don't contradict (token overlap of the
   normalized names). Iowa's catalog gives one UPC to different products (Jack Daniel's 375 ml
   SQUARE and 750 ml), which must not fold into one item;
3. the normalized name with the same size (and pack, where the file gives one).

Rows of one file never fold into each other unless they share a SKU: Iowa's `87513` and
`987513` (the same 1800 Silver 1.75 L, a regular and a special-order listing) stay two items
with their own SKUs; duplicate suggestions offer to merge them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, F, Func
from django.utils.text import slugify
from rapidfuzz import fuzz

from distributors.models import Distributor
from items.codes import same_gtin
from items.importing.reading import Table
from items.importing.rows import Q_CASE_COST, Q_UNIT_COST, RowValues, derived_strength, read_row
from items.models import Item, ItemCost, ItemIdentifier, ItemPar

COST_FIELDS = ("cost_per_unit", "cost_per_case", "cost_date", "cost_source", "cost_source_ref")
NAME_MATCH_MIN = 80  # rapidfuzz token_set_ratio of the normalized names for a UPC match
PROGRESS_EVERY = 250

Progress = Callable[[str, int, int], None]

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
ACTIONS = (CREATED, UPDATED, UNCHANGED, REJECTED)


@dataclass
class Target:
    """An item a plan writes: an existing one (changed in memory) or a new one."""

    item: Item
    is_new: bool
    dirty: set[str] = field(default_factory=set)  # Item fields changed (existing items)
    new_identifiers: list[tuple[str, str, object]] = field(default_factory=list)  # (kind, value, distributor key)
    seen_identifier_ids: set[int] = field(default_factory=set)
    retire_identifier_ids: set[int] = field(default_factory=set)  # SKUs that stop being current
    revive_identifier_ids: set[int] = field(default_factory=set)  # an old SKU current again
    costs: list[dict] = field(default_factory=list)
    par: Decimal | None = None  # set at the plan's venue
    distributor_key: object = None  # for a new item's preferred distributor
    first_row: int = 0
    cost_before: dict | None = None  # the item's cost fields before the plan changed them


@dataclass
class RowPlan:
    values: RowValues
    action: str
    target: Target | None = None
    matched_by: str = ""  # sku / upc / name
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)
    errors: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def number(self) -> int:
        return self.values.number

    @property
    def error(self) -> str:
        return f"Row {self.number}: " + "; ".join(self.errors) if self.errors else ""


@dataclass
class Plan:
    rows: list[RowPlan]
    targets: list[Target]
    new_distributors: dict[str, str]  # key -> name, created on commit
    distributors: dict[object, Distributor | None]
    venue: object
    default_cost_date: dt.date
    source_ref: str
    categories: dict[str, Counter] = field(default_factory=dict)  # category text -> Counter(category)

    def counts(self) -> dict[str, int]:
        counted = Counter(row.action for row in self.rows)
        return {action: counted.get(action, 0) for action in ACTIONS}


def _fmt(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def money(value: Decimal | None) -> str:
    """15.9100 -> 15.91, 0.3333 -> 0.3333."""
    if value is None:
        return "—"
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


class _EqualsAny(Func):
    """`column = ANY(%s)`: a filter on thousands of values with one array parameter."""

    output_field = BooleanField()

    def __init__(self, field: str, values):
        super().__init__(F(field))
        self.values = list(values)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s)", (*params, self.values)


def one_of(field: str, values) -> _EqualsAny:
    """`.filter(one_of("value", skus))` instead of `value__in=skus`: a plain `__in` puts one
    placeholder per value in the SQL, and binding 6,500 of them costs more than the query."""
    return _EqualsAny(field, values)


def _gtin_variants(code: str) -> set[str]:
    core = code.lstrip("0")
    return {code} | {core.rjust(n, "0") for n in (8, 12, 13, 14) if len(core) <= n}


class _Matcher:
    """Candidate items of the organization for the file's SKUs, UPCs and names, loaded at once."""

    def __init__(self, *, organization, rows: list[RowValues], lock: bool):
        skus = {r.sku for r in rows if r.sku}
        upcs = set()
        for r in rows:
            if r.upc:
                upcs |= _gtin_variants(r.upc)
        keys = {r.name_key for r in rows if r.name_key}
        ids = ItemIdentifier.objects.for_org(organization)
        items = Item.objects.for_org(organization).filter(merged_into__isnull=True)

        # (distributor id, sku) -> [(item id, is current, identifier id)]
        self.by_sku: dict[tuple, list[tuple[int, bool, int]]] = defaultdict(list)
        if skus:
            found = ids.filter(one_of("value", skus), kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, scope="")
            for item_id, dist_id, value, current, pk in found.values_list(
                "item_id", "distributor_id", "value", "is_current", "pk"
            ):
                self.by_sku[(dist_id, value)].append((item_id, current, pk))
        self.by_upc: dict[str, set[int]] = defaultdict(set)
        if upcs:
            for item_id, value in items.filter(one_of("upc", upcs)).values_list("pk", "upc"):
                self.by_upc[value.lstrip("0")].add(item_id)
            found = ids.filter(one_of("value", upcs), kind=ItemIdentifier.Kind.UPC)
            for item_id, value in found.values_list("item_id", "value"):
                self.by_upc[value.lstrip("0")].add(item_id)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        if keys:
            for item_id, key in items.filter(one_of("name_key", keys)).values_list("pk", "name_key"):
                self.by_name[key].append(item_id)

        wanted = {i for found in self.by_sku.values() for i, _, _ in found}
        wanted |= {i for found in self.by_upc.values() for i in found}
        wanted |= {i for found in self.by_name.values() for i in found}
        self.items: dict[int, Item] = {}
        if wanted:
            query = items.filter(one_of("pk", wanted))
            if lock:  # the commit holds the items it compares against until it is done
                query = query.select_for_update(of=("self",))
            self.items = {item.pk: item for item in query}
        # The codes those items have: (kind, distributor id, value) -> (identifier id, is current)
        self.codes: dict[int, dict[tuple, tuple[int, bool]]] = defaultdict(dict)
        if self.items:
            kinds = [ItemIdentifier.Kind.DISTRIBUTOR_SKU, ItemIdentifier.Kind.UPC, ItemIdentifier.Kind.CASE_GTIN]
            found = ids.filter(one_of("item_id", self.items), scope="", kind__in=kinds)
            for pk, item_id, kind, dist_id, value, current in found.values_list(
                "pk", "item_id", "kind", "distributor_id", "value", "is_current"
            ):
                self.codes[item_id][(kind, dist_id, value)] = (pk, current)
        self.claimed: set[int] = set()

    def by_sku_match(self, dist_id, sku) -> tuple[Item, int, bool] | None:
        """The item a known SKU names (its current holder first). Claims don't apply: a SKU is explicit."""
        found = [f for f in self.by_sku.get((dist_id, sku), []) if f[0] in self.items]
        if not found:
            return None
        item_id, current, pk = sorted(found, key=lambda f: (not f[1], f[0]))[0]
        return self.items[item_id], pk, current

    def by_upc_match(self, row: RowValues) -> Item | None:
        found = set()
        for variant in _gtin_variants(row.upc):
            found |= self.by_upc.get(variant.lstrip("0"), set())
        for item_id in sorted(found):
            item = self.items.get(item_id)
            if item is None or item_id in self.claimed or item.size_ml != row.size_ml:
                continue
            if row.name_key and fuzz.token_set_ratio(row.name_key, item.name_key) < NAME_MATCH_MIN:
                continue  # the same UPC on a different product (Iowa reuses UPCs)
            return item
        return None

    def by_name_match(self, row: RowValues) -> Item | None:
        for item_id in sorted(self.by_name.get(row.name_key, [])):
            item = self.items.get(item_id)
            if item is None or item_id in self.claimed or item.size_ml != row.size_ml:
                continue
            if row.units_per_case is not None and item.units_per_case != row.units_per_case:
                continue
            return item
        return None


def _distributors(organization, rows: list[RowValues], default) -> tuple[dict, dict[str, str], dict]:
    """Resolve `vendor` names: {name casefold: key}, {new key: name}, {key: Distributor}."""
    names = {r.vendor for r in rows if r.vendor}
    known: dict[object, Distributor | None] = {None: None}
    if default is not None:
        known[default.pk] = default
    resolved: dict[str, object] = {}
    new: dict[str, str] = {}
    if names:
        visible = list(Distributor.objects.for_org(organization).order_by("organization_id", "pk"))
        by_name = {}
        for d in visible:  # the organization's own first (order: shared rows have NULL, sorted last)
            by_name.setdefault(" ".join(d.name.split()).casefold(), d)
            by_name.setdefault(d.slug, d)
            if d.code:
                by_name.setdefault(d.code.casefold(), d)
        for name in names:
            folded = " ".join(name.split()).casefold()
            d = by_name.get(folded) or by_name.get(slugify(name))
            if d is not None:
                resolved[folded] = d.pk
                known[d.pk] = d
            else:
                key = f"new:{folded}"
                resolved[folded] = key
                new[key] = " ".join(name.split())
                known[key] = None
    return resolved, new, known


def plan_import(*, organization, table: Table, mapping: dict[str, str], venue=None, distributor=None,
                today: dt.date, source_ref: str = "", lock: bool = False,
                progress: Progress | None = None) -> Plan:  # fmt: skip
    """The plan for `table` under `mapping` (header -> field key). Reads only (locks with `lock`)."""
    columns = {key: table.headers.index(header) for header, key in mapping.items() if header in table.headers}
    total = len(table.rows)
    values: list[RowValues] = []
    for number, raw in enumerate(table.rows, start=1):
        if not any(raw):
            continue  # blank lines
        values.append(read_row(number, raw, columns, today=today))
        if progress and number % PROGRESS_EVERY == 0:
            progress("reading", number, total)
    ok = [v for v in values if not v.errors]

    resolved, new_distributors, known = _distributors(organization, ok, distributor)
    default_key = distributor.pk if distributor is not None else None

    def dist_key(row: RowValues):
        return resolved[" ".join(row.vendor.split()).casefold()] if row.vendor else default_key

    matcher = _Matcher(organization=organization, rows=ok, lock=lock)
    pars = {}
    if venue is not None and "par" in columns and matcher.items:
        pars = {p.item_id: p.par for p in ItemPar.objects.for_org(organization).filter(one_of("item_id", matcher.items), venue=venue)}
    plan = Plan(rows=[], targets=[], new_distributors=new_distributors, distributors=known, venue=venue,
                default_cost_date=today, source_ref=source_ref)  # fmt: skip
    by_number: dict[int, RowPlan] = {v.number: RowPlan(values=v, action=REJECTED, errors=list(v.errors))
                                     for v in values if v.errors}  # fmt: skip
    targets: dict[int, Target] = {}
    file_skus: dict[tuple, Target] = {}  # (distributor key, sku) -> the target of the first row with it

    def existing(item: Item, number: int) -> Target:
        if item.pk not in targets:
            targets[item.pk] = Target(item=item, is_new=False, first_row=number)
            plan.targets.append(targets[item.pk])
        matcher.claimed.add(item.pk)
        return targets[item.pk]

    def apply(v: RowValues, target: Target, how: str, revived: int | None = None) -> None:
        if v.sku:
            file_skus.setdefault((dist_key(v), v.sku), target)
        by_number[v.number] = _apply(plan, v, target, how, dist_key(v), matcher, pars, revived)

    # Pass 1: SKUs the organization already knows (the import's distributor's, else ones
    # recorded without a distributor), and repeats of a SKU seen earlier in the file.
    deferred = []
    for v in ok:
        key = (dist_key(v), v.sku) if v.sku else None
        if key is not None and key in file_skus:
            apply(v, file_skus[key], "sku")
            continue
        found = None
        if key is not None and not isinstance(key[0], str):
            found = matcher.by_sku_match(key[0], v.sku)
            if found is None and key[0] is not None:
                found = matcher.by_sku_match(None, v.sku)
                found = (found[0], None, True) if found else None  # the distributor's SKU is added
        if found is None:
            deferred.append(v)
            continue
        item, identifier_pk, current = found
        apply(v, existing(item, v.number), "sku", revived=None if current else identifier_pk)
        if progress and len(by_number) % PROGRESS_EVERY == 0:
            progress("matching", len(by_number), len(values))

    # Pass 2: UPC + size + name, then name + size (+ pack); else a new item.
    for v in deferred:
        key = (dist_key(v), v.sku) if v.sku else None
        if key is not None and key in file_skus:
            apply(v, file_skus[key], "sku")
            continue
        item, how = None, ""
        if v.upc:
            item, how = matcher.by_upc_match(v), "upc"
        if item is None and v.name_key:
            item, how = matcher.by_name_match(v), "name"
        if item is not None:
            apply(v, existing(item, v.number), how)
        elif not v.name:
            reason = ("name is empty" if "name" in columns
                      else "no item has this SKU, and without a name no item can be created")  # fmt: skip
            by_number[v.number] = RowPlan(values=v, action=REJECTED, errors=[reason])
        else:
            target = _new_target(organization, v, dist_key(v))
            plan.targets.append(target)
            apply(v, target, "")
        if progress and len(by_number) % PROGRESS_EVERY == 0:
            progress("matching", len(by_number), len(values))

    plan.rows = [by_number[v.number] for v in values]
    _skip_known_costs(organization, plan)
    for v in ok:
        if v.category_text:
            plan.categories.setdefault(v.category_text, Counter())[v.category or Item.Category.OTHER] += 1
    if progress:
        progress("matching", len(values), len(values))
    return plan


def _new_target(organization, v: RowValues, distributor_key) -> Target:
    item = Item(organization=organization, name=v.name, name_key=v.name_key,
                category=v.category or Item.Category.OTHER, units_per_case=v.units_per_case or 1)  # fmt: skip
    return Target(item=item, is_new=True, distributor_key=distributor_key, first_row=v.number)


def _set(target: Target, row: RowPlan, attr: str, label: str, new, *, shown=None, old_shown=None) -> None:
    """Set an item field in memory; note the change (old → new) when it changes an existing item."""
    item = target.item
    old = getattr(item, attr)
    if old == new:
        return
    if not target.is_new and label:
        row.changes.append((label, old_shown if old_shown is not None else _fmt(old), shown if shown is not None else _fmt(new)))
    setattr(item, attr, new)
    target.dirty.add(attr)


def _apply(plan: Plan, v: RowValues, target: Target, how: str, distributor_key, matcher: _Matcher, pars: dict,
           revived: int | None) -> RowPlan:  # fmt: skip
    """Bring the target item in line with the row and record what changed.

    The first row that reaches an item sets its values. A later row reaching the same item
    (the same SKU twice, or two SKUs a merge gave one item) adds only its codes, so the
    file's rows don't overwrite each other and a re-import finds nothing to change.
    """
    row = RowPlan(values=v, action=UNCHANGED, target=target, matched_by=how)
    creating = target.is_new and target.first_row == v.number
    if target.first_row != v.number:
        row.note = f"same item as row {target.first_row}, whose values it takes"
        _codes(plan, v, target, row, distributor_key, matcher, creating=False, revived=revived)
        row.action = UPDATED if row.changes else UNCHANGED
        return row

    item = target.item
    if v.name and (creating or v.name_key != item.name_key):
        # Only a different name renames: "1800 SILVER" and "1800 Silver" are one name.
        _set(target, row, "name", "name", v.name)
        _set(target, row, "name_key", "", v.name_key)
    if v.category is not None and (v.category_known or creating or item.category == Item.Category.OTHER):
        _set(target, row, "category", "category", v.category, shown=Item.Category(v.category).label,
             old_shown=Item.Category(item.category).label if item.category in Item.Category.values else "—")  # fmt: skip
    if v.size is not None:
        size = v.size
        if (item.size_ml, item.size_unit, item.size_quantity) != (size.ml, size.unit, size.quantity):
            if not target.is_new:
                row.changes.append(("size", item.size_label or "—", size.label))
            for attr, value in (("size_quantity", size.quantity), ("size_unit", size.unit), ("size_ml", size.ml),
                                ("size_label", size.label)):  # fmt: skip
                setattr(item, attr, value)
                target.dirty.add(attr)
    if v.units_per_case is not None:
        _set(target, row, "units_per_case", "units per case", v.units_per_case)
    for attr in ("producer", "importer"):
        new = getattr(v, attr)
        if new and " ".join((getattr(item, attr) or "").split()).casefold() != new.casefold():
            _set(target, row, attr, attr, new)
    for attr, label in (("upc", "UPC"), ("case_gtin", "case GTIN")):
        new = getattr(v, attr)
        if new and not same_gtin(getattr(item, attr), new):
            _set(target, row, attr, label, new)
            _set(target, row, f"{attr}_warning", "", getattr(v, f"{attr}_warning"))
    if v.vintage is not None:
        _set(target, row, "vintage", "vintage", v.vintage)
    abv, proof = derived_strength(v.abv, v.proof)
    if v.abv is not None or (abv is not None and item.abv is None):
        _set(target, row, "abv", "ABV %", abv)
    if v.proof is not None or (proof is not None and item.proof is None):
        _set(target, row, "proof", "proof", proof)
    if v.archived is not None:
        _set(target, row, "archived", "archived", v.archived)
    if item.preferred_distributor_id is None and target.distributor_key is None and distributor_key is not None:
        # A distributor's catalog makes it the preferred distributor of items that have none.
        if isinstance(distributor_key, str):  # created by the commit
            target.distributor_key = distributor_key
            if not creating:
                row.changes.append(("preferred distributor", "—", plan.new_distributors[distributor_key]))
                target.dirty.add("preferred_distributor_id")
        else:
            _set(target, row, "preferred_distributor_id", "preferred distributor", distributor_key,
                 shown=str(plan.distributors.get(distributor_key)), old_shown="—")  # fmt: skip

    _codes(plan, v, target, row, distributor_key, matcher, creating=creating, revived=revived)
    _cost(plan, v, target, row, distributor_key, creating=creating)
    if v.par is not None and plan.venue is not None:
        current = pars.get(item.pk) if not target.is_new else None
        if current is None or current != v.par:
            if not creating:
                row.changes.append((f"par at {plan.venue.name}", _fmt(current), _fmt(v.par)))
            target.par = v.par

    if creating:
        row.action = CREATED
    elif row.changes:
        row.action = UPDATED
    return row


def _codes(plan: Plan, v: RowValues, target: Target, row: RowPlan, distributor_key, matcher: _Matcher, *,
           creating: bool, revived: int | None) -> None:  # fmt: skip
    """The row's SKU, UPC and case GTIN name the item: note new ones, and a SKU the distributor changed."""
    known = {} if target.is_new else matcher.codes.get(target.item.pk, {})
    new_dist = isinstance(distributor_key, str)
    db_dist = None if new_dist else distributor_key
    pending = {(kind, dist, value) for kind, value, dist in target.new_identifiers}
    wanted = []
    if v.sku:
        wanted.append((ItemIdentifier.Kind.DISTRIBUTOR_SKU, v.sku, distributor_key))
    if v.upc:
        wanted.append((ItemIdentifier.Kind.UPC, v.upc, None))
    if v.case_gtin:
        wanted.append((ItemIdentifier.Kind.CASE_GTIN, v.case_gtin, None))
    for kind, value, dist in wanted:
        is_sku = kind == ItemIdentifier.Kind.DISTRIBUTOR_SKU
        lookup = (kind, db_dist if is_sku else None, value)
        if not (is_sku and new_dist) and lookup in known:
            target.seen_identifier_ids.add(known[lookup][0])
            continue
        if (kind, dist, value) in pending:
            continue
        target.new_identifiers.append((kind, value, dist))
        pending.add((kind, dist, value))
        if not is_sku or creating or target.is_new:
            continue  # a new item's codes, or a UPC the item's field already shows
        # A SKU this item did not have from this distributor: new, or the distributor changed it.
        current = {pk: val for (k, d, val), (pk, cur) in known.items() if k == kind and d == db_dist and cur}
        if new_dist:
            current = {}
        label = f"SKU ({_distributor_name(plan, dist)})" if dist is not None else "SKU"
        if current:
            row.changes.append((label, ", ".join(sorted(current.values())), f"{value} (the old one stays in the history)"))
            target.retire_identifier_ids |= set(current)
        else:
            row.changes.append((label, "—", value))
    if revived is not None and v.sku and revived not in target.revive_identifier_ids:
        # The row names the item by a SKU that had been replaced: it is the current one again.
        others = {pk: val for (k, d, val), (pk, cur) in known.items()
                  if k == ItemIdentifier.Kind.DISTRIBUTOR_SKU and d == db_dist and cur and pk != revived}  # fmt: skip
        target.revive_identifier_ids.add(revived)
        target.retire_identifier_ids |= set(others)
        label = f"SKU ({_distributor_name(plan, distributor_key)})" if distributor_key is not None else "SKU"
        row.changes.append((label, ", ".join(sorted(others.values())) or "—", f"{v.sku} (current again)"))


def _distributor_name(plan: Plan, key) -> str:
    if isinstance(key, str):
        return plan.new_distributors.get(key, "")
    found = plan.distributors.get(key)
    return found.name if found is not None else ""


def _cost(plan: Plan, v: RowValues, target: Target, row: RowPlan, distributor_key, *, creating: bool) -> None:
    if v.cost is None and v.case_cost is None:
        return
    item = target.item
    unit, case = v.cost, v.case_cost
    if case is None:
        case = (unit * item.units_per_case).quantize(Q_CASE_COST)
    if unit is None:
        unit = (case / item.units_per_case).quantize(Q_UNIT_COST)
    if item.cost_per_unit is not None and (v.cost is None or item.cost_per_unit == unit) and (
        v.case_cost is None or item.cost_per_case == case
    ):
        return  # the cost it has
    when = v.cost_date or plan.default_cost_date
    target.costs.append({"cost_per_unit": unit, "cost_per_case": case, "effective_date": when, "row": v.number,
                         "distributor_key": distributor_key})  # fmt: skip
    newest = item.cost_date is None or item.cost_date <= when
    if not creating:
        old = f"{money(item.cost_per_unit)} / unit" if item.cost_per_unit is not None else "—"
        new = f"{money(unit)} / unit" + ("" if newest else f" on {when} (history only: the current cost is newer)")
        row.changes.append(("cost", old, new))
    if newest:
        if target.cost_before is None:
            target.cost_before = {attr: getattr(item, attr) for attr in COST_FIELDS}
        for attr, value in (("cost_per_unit", unit), ("cost_per_case", case), ("cost_date", when),
                            ("cost_source", Item.CostSource.IMPORT), ("cost_source_ref", plan.source_ref[:200])):  # fmt: skip
            setattr(item, attr, value)
            target.dirty.add(attr)


def _skip_known_costs(organization, plan: Plan) -> None:
    """A cost already in the history (an older price list imported again) is not recorded twice."""
    pending = {t.item.pk: t for t in plan.targets if not t.is_new and t.costs}
    if not pending:
        return
    history = set(
        ItemCost.objects.for_org(organization)
        .filter(one_of("item_id", pending))
        .values_list("item_id", "effective_date", "cost_per_unit", "cost_per_case")
    )
    rows = {row.number: row for row in plan.rows}
    for item_id, target in pending.items():
        kept = []
        for entry in target.costs:
            if (item_id, entry["effective_date"], entry["cost_per_unit"], entry["cost_per_case"]) not in history:
                kept.append(entry)
                continue
            row = rows[entry["row"]]
            row.changes = [c for c in row.changes if c[0] != "cost"]
            if not row.changes and row.action == UPDATED:
                row.action = UNCHANGED
        target.costs = kept
        if not kept and target.cost_before is not None:
            for attr, value in target.cost_before.items():  # the item keeps the cost it has
                setattr(target.item, attr, value)
            target.dirty -= set(COST_FIELDS)
