"""Read the size of a beverage from how distributors and people write it.

    >>> parse_size("750ML").ml
    Decimal('750')
    >>> parse_size("12/12OZ CN")
    Size(quantity=Decimal('12'), unit='fl_oz', ml=Decimal('354.882'), pack=12, container='can')

One parser is used everywhere (Import Wizard, invoice lines, matching) so "1.75 LTR" on an
invoice and "1750" in a catalog meet as the same 1750 ml. Volumes are normalized to ml;
keg sizes are US beer barrels (31 US gal). `find_size` pulls a size out of a description
such as "JACK DANIELS OLD #7 BLK 750ML" and returns the text without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

US_FL_OZ_ML = Decimal("29.5735")
US_GALLON_ML = Decimal("3785.41")
BEER_BARREL_ML = US_GALLON_ML * 31  # 117,347.71 ml

UNIT_ML = {
    "ml": Decimal(1),
    "cl": Decimal(10),
    "l": Decimal(1000),
    "fl_oz": US_FL_OZ_ML,
    "gal": US_GALLON_ML,
    "bbl": BEER_BARREL_ML,
}
UNIT_LABEL = {"ml": "ML", "cl": "CL", "l": "L", "fl_oz": "OZ", "gal": "GAL", "bbl": "BBL"}

_UNIT_WORDS = {
    "ML": "ml", "MLS": "ml", "MILLILITER": "ml", "MILLILITERS": "ml", "MILLILITRE": "ml",
    "CL": "cl",
    "L": "l", "LT": "l", "LTR": "l", "LTRS": "l", "LITER": "l", "LITERS": "l", "LITRE": "l", "LITRES": "l",
    "OZ": "fl_oz", "Z": "fl_oz", "FLOZ": "fl_oz", "FL OZ": "fl_oz", "FL.OZ": "fl_oz", "OUNCE": "fl_oz", "OUNCES": "fl_oz",
    "GAL": "gal", "GALLON": "gal", "GALLONS": "gal",
    "BBL": "bbl", "BARREL": "bbl", "KEG": "bbl",
}  # fmt: skip

_CONTAINERS = {
    "CN": "can", "CAN": "can", "CANS": "can",
    "BT": "bottle", "BTL": "bottle", "BTLS": "bottle", "BOTTLE": "bottle", "NR": "bottle", "LNNR": "bottle",
    "PET": "plastic", "PLASTIC": "plastic", "TRAVELER": "plastic",
    "MINI": "mini", "MINIS": "mini",
    "KEG": "keg", "KG": "keg", "BARREL": "keg", "BBL": "keg",
    "BIB": "bag-in-box", "BOX": "box",
}  # fmt: skip

# Named keg sizes bars use instead of fractions.
_NAMED_KEGS = {
    "HALF BARREL": Decimal(1) / 2, "HALF BBL": Decimal(1) / 2, "FULL KEG": Decimal(1) / 2,
    "QUARTER BARREL": Decimal(1) / 4, "QUARTER BBL": Decimal(1) / 4, "PONY KEG": Decimal(1) / 4, "PONY": Decimal(1) / 4,
    "SIXTEL": Decimal(1) / 6, "SIXTH BARREL": Decimal(1) / 6, "SIXTH BBL": Decimal(1) / 6,
    "SLIM QUARTER": Decimal(1) / 4,
}  # fmt: skip

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_UNIT_RE = r"(?:MILLILITRES?|MILLILITERS?|MLS?|CL|LITRES?|LITERS?|LTRS?|LT|L|FL\.?\s?OZ|OUNCES?|OZ|Z|GALLONS?|GAL|BBL|BARREL)"

# "1/2 BBL", "1/6BBL", "1/4 KEG"
_KEG_FRACTION = re.compile(r"(?<![\d./])(?P<num>[1-9])\s*/\s*(?P<den>[1-9]|1[0-6])\s*(?:BBL|BARREL|KEG)\b")
# "12/12OZ", "6/750ML", "24-12OZ", "4PK 16OZ", "12PK/12OZ", "12z12P" (DEX: 12 oz, 12 pack)
_PACK_BEFORE = re.compile(
    rf"(?<![\w.])(?P<pack>\d{{1,3}})\s*(?:PK|PACK|P)?\s*[/X\-]\s*(?P<qty>{_NUMBER})\s*(?P<unit>{_UNIT_RE})(?![A-Z])"
)
_PACK_WORD_BEFORE = re.compile(
    rf"(?<![\w.])(?P<pack>\d{{1,3}})\s*(?:PK|PACK)\s+(?P<qty>{_NUMBER})\s*(?P<unit>{_UNIT_RE})(?![A-Z])"
)
_DEX_PACK = re.compile(rf"(?<![\w.])(?P<qty>{_NUMBER})\s*(?P<unit>Z|OZ)\s*(?P<pack>\d{{1,3}})\s*(?:P|PK)(?![A-Z])")
_SIMPLE = re.compile(rf"(?<![\w.])(?P<qty>{_NUMBER})\s*(?P<unit>{_UNIT_RE})(?![A-Z0-9])")
_PACK_AFTER = re.compile(r"^\s*(?:-|,)?\s*(?P<pack>\d{1,3})\s*(?:PK|PACK)\b")
_CONTAINER_AFTER = re.compile(r"^\s*(?P<word>[A-Z]+)\b")


@dataclass(frozen=True)
class Size:
    quantity: Decimal
    unit: str  # one of UNIT_ML
    ml: Decimal
    pack: int | None = None  # units in a multipack written with the size ("12/12OZ")
    container: str = ""  # can, bottle, plastic, mini, keg…

    @property
    def label(self) -> str:
        """The way a bar writes it: 750ML, 1.75L, 12OZ, 1/2 BBL."""
        if self.unit == "bbl":
            return f"{_keg_fraction_label(self.quantity)} BBL"
        if self.unit in ("ml", "cl", "l"):
            # Metric sizes read the same whoever wrote them: 750ML, 1L, 1.75L.
            return f"{_plain(self.ml)}ML" if self.ml < 1000 else f"{_plain(self.ml / 1000)}L"
        return f"{_plain(self.quantity)}{UNIT_LABEL[self.unit]}"

    @property
    def full_label(self) -> str:
        """With the pack: 12/12OZ."""
        return f"{self.pack}/{self.label}" if self.pack else self.label


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _keg_fraction_label(quantity: Decimal) -> str:
    for den in range(1, 17):
        num = quantity * den
        nearest = num.to_integral_value()
        if nearest > 0 and abs(num - nearest) < Decimal("0.0001"):
            return f"{int(nearest)}/{den}" if den != 1 else f"{int(nearest)}"
    return _plain(quantity)


def _to_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value > 0 else None


def _unit(word: str) -> str | None:
    key = re.sub(r"[\s.]+", "", word.upper())
    return "fl_oz" if key == "FLOZ" else _UNIT_WORDS.get(key)


def _tidy(value: Decimal) -> Decimal:
    """750.000 -> 750, 1.750 -> 1.75 (never 7.5E+2)."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return Decimal(format(value.normalize(), "f"))


def _make(qty: Decimal, unit: str, *, pack: int | None = None, container: str = "") -> Size:
    ml = _tidy((qty * UNIT_ML[unit]).quantize(Decimal("0.001")))
    if unit == "bbl":
        qty = qty.quantize(Decimal("0.000001"))
    return Size(quantity=_tidy(qty), unit=unit, ml=ml, pack=pack, container=container or ("keg" if unit == "bbl" else ""))


def _container_after(rest: str) -> str:
    match = _CONTAINER_AFTER.match(rest)
    return _CONTAINERS.get(match.group("word"), "") if match else ""


def _search(text: str) -> tuple[Size, int, int] | None:
    """The first size in `text` (upper case) and its span."""
    candidates: list[tuple[int, int, Size]] = []
    for match in _KEG_FRACTION.finditer(text):
        qty = Decimal(match.group("num")) / Decimal(match.group("den"))
        candidates.append((match.start(), match.end(), _make(qty, "bbl")))
    for name, fraction in _NAMED_KEGS.items():
        for match in re.finditer(rf"\b{name}\b", text):
            candidates.append((match.start(), match.end(), _make(fraction, "bbl")))
    for pattern in (_PACK_BEFORE, _PACK_WORD_BEFORE, _DEX_PACK):
        for match in pattern.finditer(text):
            qty, unit = _to_decimal(match.group("qty")), _unit(match.group("unit"))
            pack = int(match.group("pack"))
            if qty is None or unit is None or pack == 0 or unit == "bbl":
                continue
            container = _container_after(text[match.end() :])
            candidates.append((match.start(), match.end(), _make(qty, unit, pack=pack if pack > 1 else None, container=container)))
    for match in _SIMPLE.finditer(text):
        qty, unit = _to_decimal(match.group("qty")), _unit(match.group("unit"))
        if qty is None or unit is None:
            continue
        if unit == "fl_oz" and match.group("unit") == "Z" and not re.match(r"\d", match.group("qty")[-1:]):
            continue
        rest = text[match.end() :]
        container = _container_after(rest)
        pack_after = _PACK_AFTER.match(rest)
        pack = int(pack_after.group("pack")) if pack_after else None
        candidates.append((match.start(), match.end(), _make(qty, unit, pack=pack if pack and pack > 1 else None, container=container)))
    # "W/50ML VANILLA" is a bonus bottle in a value-added pack, not the item's own size.
    # Everything after "W/" describes the bonus, so only sizes before it count.
    bonus = re.search(r"(?:\bW/|\bWITH\b)", text)
    if bonus:
        candidates = [c for c in candidates if c[0] < bonus.start()]
    if not candidates:
        return None
    # Earliest start wins; at the same start the longest match (it carries the pack).
    start, end, size = sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0])))[0]
    if size.container == "" and re.search(r"\bMINIS?\b", text):
        size = Size(size.quantity, size.unit, size.ml, size.pack, "mini")
    return size, start, end


def parse_size(text: str | None, *, default_unit: str | None = None) -> Size | None:
    """Parse a size column ("750ML", ".75L", "1/2 BBL", "12/12OZ CN"). None if there is none.

    `default_unit` reads a bare number ("750" in a "Bottle Volume (ml)" column) in that unit.
    """
    if text is None:
        return None
    cleaned = " ".join(str(text).upper().split())
    if not cleaned:
        return None
    if default_unit and re.fullmatch(_NUMBER, cleaned):
        qty = _to_decimal(cleaned)
        return _make(qty, default_unit) if qty is not None else None
    found = _search(cleaned)
    return found[0] if found else None


def find_size(description: str | None) -> tuple[Size | None, str]:
    """A size written inside a description, and the description with the size removed."""
    if not description:
        return None, ""
    text = " ".join(str(description).upper().split())
    found = _search(text)
    if not found:
        return None, text
    size, start, end = found
    rest = (text[:start] + " " + text[end:]).strip()
    if size.container:
        rest = re.sub(rf"^\s*(?:{'|'.join(k for k, v in _CONTAINERS.items() if v == size.container)})\b", "", text[end:])
        rest = (text[:start] + " " + rest).strip()
    return size, " ".join(rest.split())
