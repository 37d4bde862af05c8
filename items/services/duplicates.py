"""Duplicate suggestions: pairs of items that are likely the same product, and dismissing them.

A pair is suggested (both items live: not archived, not merged; not dismissed) when

(a) the unit UPCs are the same code (compared as numbers, like `items.codes.same_gtin`:
    082184090510 and 0082184090510 are one code) and the sizes are equal, and the names do
    not contradict each other (`names_agree`): real catalogs share UPCs across different
    products (Iowa prints one UPC on 1,305 groups of different brands), so a UPC alone is
    not enough; or
(b) the names are the same after normalization (`Item.name_key`: JACK DANIELS OLD #7 BLK LBL
    and Jack Daniel's Old No. 7 Black Label) and the sizes and packs are equal.

Two sizes of one product are never suggested: both sizes must be known and equal.

The pairs come from SQL: the organization's live items grouped by (UPC, size) and by (name,
size, pack), and the pairs inside each group, in one pass over the items; only the name check
of (a) runs in Python, on the pairs that share a UPC and size. Pages then load just the items
of the page they show.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, Q, Sum
from rapidfuzz import fuzz

from items.errors import ItemsError
from items.models import DismissedDuplicate, Item, ItemIdentifier
from venues.models import Membership, Organization
from venues.services import record_audit, require_role

MANAGERS = (Membership.Role.ADMIN, Membership.Role.MANAGER)

# Words that make a different selling unit out of the same liquid: a gift set, a value-added
# pack. "JAMESON W 2 GLASSES" and "JAMESON" are separate items even with one UPC and size.
GIFT_WORDS = frozenset({
    "GIFT", "VAP", "GLASS", "GLASSES", "HOLIDAY", "W", "WITH", "TUMBLER", "TUMBLERS", "MUG", "MUGS", "SET", "BOX",
    "TIN", "TUBE", "BUCKET", "SNIFTER", "COOLER", "CUP", "CUPS", "SAMPLER", "DUALPACK", "COMBO", "FLASK",
})  # fmt: skip
MIN_TOKEN_SET_RATIO = 70
MIN_SUBSET_SORT_RATIO = 60


def _same_word(a: str, b: str) -> bool:
    """A typo or an abbreviation the normalizer doesn't know (RASPBRY, RASP); never for numbers."""
    if any(c.isdigit() for c in a + b):
        return False
    if min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)):
        return True
    return fuzz.ratio(a, b) >= 85


def names_agree(key_a: str, key_b: str) -> bool:
    """Could two normalized names (`name_key`) name the same product?

    No when they are far apart (token set ratio below 70), when one is a gift set and the
    other isn't, or when each says something the other doesn't (CAPTAIN MORGAN COCONUT /
    CAPTAIN MORGAN WHITE, CALUMET FARM 14 YEAR / 16 YEAR, ABSOLUT PEPPAR / ABSOLUT PEARS).
    Yes when one only adds words to the other (HUSSONGS SILVER / HUSSONGS SILVER TEQUILA),
    unless the added words are most of it (JAMESON / JAMESON CASKMATES STOUT).
    """
    if not key_a or not key_b or key_a == key_b:
        return True
    if fuzz.token_set_ratio(key_a, key_b) < MIN_TOKEN_SET_RATIO:
        return False
    a, b = set(key_a.split()), set(key_b.split())
    if (a ^ b) & GIFT_WORDS:
        return False
    only_a, only_b = a - b, b - a
    for word in sorted(only_a):
        match = next((other for other in sorted(only_b) if _same_word(word, other)), None)
        if match:
            only_a.discard(word)
            only_b.discard(match)
    if only_a and only_b:
        return False
    if only_a or only_b:
        return fuzz.token_sort_ratio(key_a, key_b) >= MIN_SUBSET_SORT_RATIO
    return True


@dataclass
class Suggestion:
    """One suggested pair: `item_a` is the older item (the default one to merge away)."""

    item_a_id: int
    item_b_id: int
    reasons: list[str]
    item_a: Item | None = None
    item_b: Item | None = None

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _upc_reason(upc: str, size_label: str) -> str:
    return f"Same UPC {upc} and size {size_label or 'unknown'}"


NAME_REASON = "Same name after normalization, size and pack"


def _pair_sql() -> str:
    # GROUP BY, then the pairs inside each group: one pass over the organization's items
    # whatever the planner's statistics say (a self-join planned from stale statistics right
    # after a big import can become a nested loop over n² rows).
    item, dismissed = Item._meta.db_table, DismissedDuplicate._meta.db_table
    live = f"""FROM {item} WHERE organization_id = %(org)s AND NOT archived AND merged_into_id IS NULL
               AND size_ml IS NOT NULL"""
    arrays = """array_agg(id ORDER BY created_at, id) AS ids, array_agg(name_key ORDER BY created_at, id) AS keys,
                array_agg(lower(name) ORDER BY created_at, id) AS names,
                (array_agg(upc ORDER BY created_at, id))[1] AS upc,
                (array_agg(size_label ORDER BY created_at, id))[1] AS size_label, min(size_ml) AS size_ml"""
    return f"""
        WITH groups AS (
            SELECT 'upc' AS kind, {arrays} {live} AND upc <> ''
            GROUP BY ltrim(upc, '0'), size_ml HAVING count(*) > 1
            UNION ALL
            SELECT 'name', {arrays} {live} AND name_key <> ''
            GROUP BY name_key, size_ml, units_per_case HAVING count(*) > 1
        ),
        pairs AS (
            SELECT g.kind, g.ids[i] AS a_id, g.ids[j] AS b_id, g.upc, g.size_label, g.keys[i] AS key_a,
                   g.keys[j] AS key_b, g.names[i] AS name_a, g.size_ml
            FROM groups g, generate_subscripts(g.ids, 1) i, generate_subscripts(g.ids, 1) j
            WHERE i < j
        )
        SELECT p.a_id, p.b_id, p.kind, p.upc, p.size_label, p.key_a, p.key_b FROM pairs p
        WHERE NOT EXISTS (
            SELECT 1 FROM {dismissed} d
            WHERE d.item_low_id = LEAST(p.a_id, p.b_id) AND d.item_high_id = GREATEST(p.a_id, p.b_id)
        )
        ORDER BY p.name_a, p.size_ml, p.a_id, p.b_id
    """


def list_duplicate_suggestions(*, organization: Organization) -> list[Suggestion]:
    """Every suggested pair of the organization, without the items (see `load_suggestion_items`)."""
    with connection.cursor() as cursor:
        cursor.execute(_pair_sql(), {"org": organization.pk})
        rows = cursor.fetchall()
    found: dict[tuple[int, int], Suggestion] = {}
    for a_id, b_id, kind, upc, size_label, key_a, key_b in rows:
        if kind == "upc" and not names_agree(key_a, key_b):
            continue
        suggestion = found.setdefault((a_id, b_id), Suggestion(a_id, b_id, []))
        suggestion.reasons.append(_upc_reason(upc, size_label) if kind == "upc" else NAME_REASON)
    return list(found.values())


def _items_with_summary(organization: Organization, ids) -> dict[int, Item]:
    """The items with what a side-by-side summary shows: SKUs, stock total (3 queries in all)."""
    items = (
        Item.objects.for_org(organization).filter(pk__in=ids).select_related("preferred_distributor")
        .annotate(stock_total=Sum("stock_levels__quantity"))
        .prefetch_related(_current_skus())
    )  # fmt: skip
    return {item.pk: item for item in items}


def _current_skus() -> Prefetch:
    return Prefetch(
        "identifiers",
        queryset=ItemIdentifier.objects.filter(kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, is_current=True)
        .select_related("distributor").order_by("value"),
        to_attr="current_skus",
    )  # fmt: skip


def load_suggestion_items(*, organization: Organization, suggestions: list[Suggestion]) -> list[Suggestion]:
    """Fill in `item_a` / `item_b` of the given (one page of) suggestions."""
    ids = {pk for s in suggestions for pk in (s.item_a_id, s.item_b_id)}
    items = _items_with_summary(organization, ids) if ids else {}
    for suggestion in suggestions:
        suggestion.item_a, suggestion.item_b = items.get(suggestion.item_a_id), items.get(suggestion.item_b_id)
    return [s for s in suggestions if s.item_a and s.item_b]


def _upc_variants(upc: str) -> list[str]:
    """Every stored form of one code (8 to 14 digits, zero-padded), so the upc index is used."""
    core = upc.lstrip("0")
    return [core.zfill(n) for n in range(max(len(core), 1), 15)] if core else []


def list_duplicates_of_item(*, organization: Organization, item: Item) -> list[Suggestion]:
    """Suggested duplicates of one item ("Possible duplicate of …" on its page)."""
    if item.archived or item.merged_into_id or item.size_ml is None:
        return []
    match = Q(pk__in=[])
    if item.upc:
        match |= Q(upc__in=_upc_variants(item.upc))
    if item.name_key:
        match |= Q(name_key=item.name_key, units_per_case=item.units_per_case)
    candidates = (
        Item.objects.for_org(organization).filter(match, size_ml=item.size_ml, archived=False, merged_into=None)
        .exclude(pk=item.pk).order_by("created_at", "pk")
    )  # fmt: skip
    dismissed = set(
        DismissedDuplicate.objects.for_org(organization).filter(Q(item_low=item) | Q(item_high=item))
        .values_list("item_low", "item_high")
    )  # fmt: skip
    suggestions = []
    for other in candidates:
        if tuple(sorted((item.pk, other.pk))) in dismissed:
            continue
        reasons = []
        if item.upc and other.upc and item.upc.lstrip("0") == other.upc.lstrip("0") and names_agree(item.name_key, other.name_key):
            reasons.append(_upc_reason(item.upc, item.size_label))
        if item.name_key and other.name_key == item.name_key and other.units_per_case == item.units_per_case:
            reasons.append(NAME_REASON)
        if reasons:
            older, newer = sorted((item, other), key=lambda i: (i.created_at, i.pk))
            suggestions.append(Suggestion(older.pk, newer.pk, reasons, older, newer))
    return suggestions


@transaction.atomic
def dismiss_duplicate(*, actor, organization: Organization, item_a: Item, item_b: Item) -> DismissedDuplicate:
    """Say two items are not duplicates: the pair is never suggested again. Idempotent."""
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    if item_a.pk == item_b.pk:
        raise ItemsError("Choose two different items.")
    if item_a.organization_id != organization.pk or item_b.organization_id != organization.pk:
        raise ItemsError("Both items must belong to this organization.")
    low, high = sorted((item_a, item_b), key=lambda i: i.pk)
    existing = DismissedDuplicate.objects.for_org(organization).filter(item_low=low, item_high=high).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            dismissed = DismissedDuplicate.objects.create(
                organization=organization, item_low=low, item_high=high,
                dismissed_by=actor if getattr(actor, "pk", None) else None,
            )  # fmt: skip
    except IntegrityError:  # dismissed by someone else a moment ago
        return DismissedDuplicate.objects.for_org(organization).get(item_low=low, item_high=high)
    record_audit(organization=organization, actor=actor, action="item.duplicate_dismissed", obj=high,
                 summary=f"{low} and {high} marked as not duplicates")  # fmt: skip
    return dismissed
