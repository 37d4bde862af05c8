"""Link an invoice line to the item the organization already has. Reads only.

In this order (precision before recall: a wrong link corrupts stock and cost):

1. **sku**: the item that already carries this distributor's SKU (a current identifier first,
   else an old one; a merged item is followed to its survivor; archived items don't link).
2. **upc**: items with the same UPC (compared as numbers), the same size (the line must have a
   size: from `size`, `volume_ml` or inside the description), the same pack where both are
   known, and names that don't contradict (`names_agree` *and* the stricter `names_compatible`
   below). Real catalogs print one UPC on several products, so a UPC never links alone, and
   it links only when exactly one item survives.
3. **name**: the organization's live items of the same size (one query per size, kept in the
   per-document `candidates_cache`), ranked with rapidfuzz on `name_key`, filtered by pack and
   by `names_compatible`; the best links when its score reaches `NAME_MIN_SCORE` and beats the
   runner-up by `NAME_MARGIN` (otherwise the line is ambiguous and does not link).
4. **none**: the pipeline creates a new item and records the SKU.

`names_compatible` is stricter than duplicate detection: after pairing words that are the same
word written differently (BLK/BLACK via `name_key`, RASPBRY/RASPBERRY, a cut-short last word),
every word left on either side must be a generic category word (WHISKEY, VODKA, RUM …), numbers
must be the same (12 YEAR / 15 YEAR, 80 PROOF / 100 PROOF, NUMBER 7), and gift-set words must be
on both sides or neither. So CROWN ROYAL never links to CROWN ROYAL REGAL APPLE, and
CAPTAIN MORGAN COCONUT never to CAPTAIN MORGAN WHITE.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz, process

from items.codes import normalize_gtin
from items.models import Item, ItemIdentifier
from items.normalize import name_key
from items.services.duplicates import GIFT_WORDS, names_agree
from items.sizes import find_size, parse_size

NAME_MIN_SCORE = 85.0  # see _score
NAME_MARGIN = 4.0  # the best must beat the next compatible candidate by this much
PREFILTER_LIMIT = 25  # candidates of one size scored in full after the rapidfuzz prefilter
PREFILTER_CUTOFF = 60

# Words that say what kind of drink it is, not which product: a venue may leave them out
# (Pendleton / PENDLETON CANADIAN WHISKY). Flavors, ages, finishes and colors are not here.
GENERIC_WORDS = frozenset({
    "WHISKEY", "WHISKIES", "VODKA", "RUM", "GIN", "TEQUILA", "BOURBON", "SCOTCH", "BRANDY", "COGNAC", "LIQUEUR",
    "MEZCAL", "SCHNAPPS", "CORDIAL", "WINE", "BEER", "SPIRIT", "SPIRITS", "LIQUOR", "BLENDED", "STRAIGHT",
    "KENTUCKY", "TENNESSEE", "CANADIAN", "IRISH", "AMERICAN", "DISTILLED", "DISTILLERY", "DISCO", "DRY",
})  # fmt: skip
# Of those, the ones that name the drink: one may be left out, but two different ones contradict
# (FIVE O'CLOCK GIN / FIVE O'CLOCK VODKA).
KIND_WORDS = frozenset({
    "WHISKEY", "WHISKIES", "VODKA", "RUM", "GIN", "TEQUILA", "BOURBON", "SCOTCH", "BRANDY", "COGNAC", "LIQUEUR",
    "MEZCAL", "SCHNAPPS", "CORDIAL", "WINE", "BEER",
})  # fmt: skip


@dataclass
class MatchResult:
    item: Item | None
    method: str  # sku / upc / name / none
    score: float
    reason: str


def _line_size_ml(line) -> Decimal | None:
    if line.volume_ml:
        return Decimal(line.volume_ml)
    size = parse_size(line.size) if line.size else None
    if size is None:
        size, _ = find_size(line.description)
    return size.ml if size else None


def _pack_agrees(line_pack: int | None, item_pack: int | None) -> bool:
    """Both known and different: no. An item's pack of 1 is the model default (unknown) unless
    the line's pack is also 1."""
    if not line_pack or not item_pack:
        return True
    if item_pack == 1 and line_pack != 1:
        return True
    return line_pack == item_pack


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _same_word(a: str, b: str, *, a_is_last: bool = False) -> bool:
    """One word written two ways: a typo, an abbreviation the normalizer doesn't know, or the
    line's last word cut short. Never for numbers."""
    if _has_digit(a) or _has_digit(b):
        return False
    if a_is_last and len(a) >= 2 and b.startswith(a):  # a description cut short mid-word
        return True
    if min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)):
        return True
    return min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 88


def names_compatible(line_key: str, item_key: str) -> tuple[bool, str]:
    """(ok, why not): could the line's name and the item's name be one product?"""
    if not line_key or not item_key:
        return False, "no name"
    if line_key == item_key:
        return True, ""
    line_words, item_words = line_key.split(), item_key.split()
    a, b = set(line_words), set(item_words)
    gift = (a ^ b) & GIFT_WORDS
    if gift:
        return False, f"gift-set word on one side only ({', '.join(sorted(gift))})"
    numbers_a, numbers_b = {w for w in a if _has_digit(w)}, {w for w in b if _has_digit(w)}
    if numbers_a != numbers_b:
        return False, "numbers differ (" + " ".join(sorted(numbers_a ^ numbers_b)) + ")"
    only_a, only_b = a - b, b - a
    last = line_words[-1]
    for word in sorted(only_a, key=len, reverse=True):
        match = next((o for o in sorted(only_b) if _same_word(word, o, a_is_last=word == last)), None)
        if match:
            only_a.discard(word)
            only_b.discard(match)
    left = (only_a | only_b) - GENERIC_WORDS
    if (only_a & KIND_WORDS) and (only_b & KIND_WORDS):
        return False, "different kinds of drink (" + " / ".join(sorted(only_a & KIND_WORDS) + sorted(only_b & KIND_WORDS)) + ")"
    if left:
        return False, "distinguishing words on one side only (" + " ".join(sorted(left)) + ")"
    if not (a & b) or (a - GENERIC_WORDS) == set() or (b - GENERIC_WORDS) == set():
        return False, "only generic words in common"
    return True, ""


def _core(key: str) -> str:
    """The key without generic category words (JAMESON IRISH WHISKEY -> JAMESON)."""
    return " ".join(w for w in key.split() if w not in GENERIC_WORDS) or key


def _score(line_key: str, item_key: str) -> float:
    """Mean of token_set_ratio and token_sort_ratio of the keys without generic words."""
    a, b = _core(line_key), _core(item_key)
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def _live(item: Item | None, organization) -> Item | None:
    """The item itself, or the survivor it was merged into; None for an archived item."""
    seen = set()
    while item is not None and item.merged_into_id and item.pk not in seen:
        seen.add(item.pk)
        item = Item.objects.for_org(organization).filter(pk=item.merged_into_id).first()
    if item is None or item.archived or item.merged_into_id:
        return None
    return item


def _gtin_variants(code: str) -> list[str]:
    core = code.lstrip("0")
    return sorted({code} | {core.rjust(n, "0") for n in (8, 12, 13, 14) if len(core) <= n})


def _by_sku(organization, distributor, sku: str) -> MatchResult | None:
    found = (
        ItemIdentifier.objects.for_org(organization)
        .filter(kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, distributor=distributor, value=sku, scope="")
        .select_related("item")
        .order_by("-is_current", "-last_seen", "pk")
    )
    current = [i for i in found if i.is_current] or list(found)
    survivors = {}
    for identifier in current:
        item = _live(identifier.item, organization)
        if item is not None:
            survivors[item.pk] = (item, identifier)
    if len(survivors) == 1:
        item, identifier = next(iter(survivors.values()))
        via = f" (merged item {identifier.item_id} → {item.pk})" if identifier.item_id != item.pk else ""
        old = "" if identifier.is_current else " (an earlier SKU of this item)"
        return MatchResult(item, "sku", 100.0, f"distributor SKU {sku}{old}{via}")
    return None


class _Cache:
    """Per-document memo: items of one size, UPC look-ups."""

    def __init__(self, store: dict):
        self.store = store

    def size_items(self, organization, size_ml: Decimal) -> tuple[list[int], list[str], dict[int, int]]:
        key = ("size", organization.pk, size_ml)
        if key not in self.store:
            rows = list(
                Item.objects.for_org(organization)
                .filter(size_ml=size_ml, archived=False, merged_into__isnull=True)
                .exclude(name_key="")
                .values_list("pk", "name_key", "units_per_case")
            )
            self.store[key] = ([r[0] for r in rows], [r[1] for r in rows], {r[0]: r[2] for r in rows})
        return self.store[key]

    def upc_items(self, organization, upc: str) -> list[Item]:
        key = ("upc", organization.pk, upc)
        if key not in self.store:
            variants = _gtin_variants(upc)
            ids = set(ItemIdentifier.objects.for_org(organization).filter(
                kind=ItemIdentifier.Kind.UPC, value__in=variants).values_list("item_id", flat=True))  # fmt: skip
            items = {}
            for item in Item.objects.for_org(organization).filter(upc__in=variants) | Item.objects.for_org(
                organization
            ).filter(pk__in=ids):
                live = _live(item, organization)
                if live is not None:
                    items[live.pk] = live
            self.store[key] = list(items.values())
        return self.store[key]


def match_line(*, organization, distributor, line, candidates_cache: dict | None = None) -> MatchResult:
    """The item this invoice line names, with the method, score and reason; item None if none."""
    cache = _Cache(candidates_cache if candidates_cache is not None else {})
    sku = (line.distributor_sku or "").strip()
    if sku and distributor is not None:
        found = _by_sku(organization, distributor, sku)
        if found:
            return found

    size_ml = _line_size_ml(line)
    line_key = name_key(line.description)
    pack = line.units_per_case
    notes = []
    if size_ml is None:
        return MatchResult(None, "none", 0.0, "the line has no size: only its SKU could link it")

    code = normalize_gtin(line.upc) if line.upc else None
    if code is not None:
        survivors, rejected = [], []
        for item in cache.upc_items(organization, code.value):
            if item.size_ml is None or Decimal(item.size_ml) != size_ml:
                rejected.append(f"{item.pk}: size {item.size_label or '?'}")
            elif not _pack_agrees(pack, item.units_per_case):
                rejected.append(f"{item.pk}: pack {item.units_per_case}")
            else:
                ok, why = names_compatible(line_key, item.name_key)
                if ok and names_agree(line_key, item.name_key):
                    survivors.append(item)
                else:
                    rejected.append(f"{item.pk}: {why or 'names disagree'}")
        if len(survivors) == 1:
            item = survivors[0]
            return MatchResult(item, "upc", round(_score(line_key, item.name_key), 1),
                               f"UPC {code.value}, size {item.size_label} and names agree "
                               f"('{line_key}' / '{item.name_key}')")  # fmt: skip
        if survivors:
            notes.append(f"UPC {code.value} fits {len(survivors)} items")
        elif rejected:
            notes.append(f"UPC {code.value} on other products ({'; '.join(rejected[:3])})")

    if not line_key:
        return MatchResult(None, "none", 0.0, "; ".join(notes + ["no name to compare"]))
    ids, keys, packs = cache.size_items(organization, size_ml)
    ranked = process.extract(line_key, keys, scorer=fuzz.token_set_ratio, limit=PREFILTER_LIMIT,
                             score_cutoff=PREFILTER_CUTOFF)  # fmt: skip
    scored = []
    for key, _, index in ranked:
        item_id = ids[index]
        if not _pack_agrees(pack, packs[item_id]):
            continue
        ok, _ = names_compatible(line_key, key)
        if ok:
            scored.append((_score(line_key, key), item_id, key))
    scored.sort(key=lambda s: (-s[0], s[1]))
    if not scored:
        return MatchResult(None, "none", 0.0, "; ".join(notes + [f"no item of this size named like '{line_key}'"]))
    best_score, best_id, best_key = scored[0]
    if best_score < NAME_MIN_SCORE:
        return MatchResult(None, "none", best_score,
                           "; ".join(notes + [f"best name '{best_key}' scores {best_score:.0f} < {NAME_MIN_SCORE:g}"]))  # fmt: skip
    exact = [s for s in scored if s[2] == line_key]
    if len(scored) > 1 and best_score - scored[1][0] < NAME_MARGIN and len(exact) == 1 and exact[0][0] == best_score:
        best_score, best_id, best_key = exact[0]  # a tie broken by the one name that is the same word for word
        scored = [exact[0]] + [s for s in scored if s is not exact[0] and s[0] < best_score - NAME_MARGIN]
    if len(scored) > 1 and best_score - scored[1][0] < NAME_MARGIN:
        return MatchResult(None, "none", best_score, "; ".join(notes + [
            f"ambiguous: '{best_key}' {best_score:.0f} and '{scored[1][2]}' {scored[1][0]:.0f}"]))  # fmt: skip
    item = Item.objects.for_org(organization).get(pk=best_id)
    runner = f", next {scored[1][0]:.0f}" if len(scored) > 1 else ""
    return MatchResult(item, "name", round(best_score, 1),
                       f"name '{line_key}' ≈ '{best_key}' (score {best_score:.0f}{runner}), same size and pack")  # fmt: skip
