"""The fields a catalog column can fill, the header names that mean them, and category reading.

Headers are compared case- and punctuation-insensitively ("Item #", "item_number" and
"ITEM NUMBER" are one name). A size column may say its unit in the header ("Bottle Volume
(ml)", "Size (oz)"); its bare numbers are then read in that unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from items.models import Item


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    help: str = ""
    text: bool = False  # a name-like field: a column of bare numbers is not auto-mapped to it
    group: str = ""  # fields of one group are one target (the size fields)


FIELDS: list[Field] = [
    Field("name", "Name", "The product's name, e.g. Jack Daniel's Old No. 7", text=True),
    Field("category", "Category", "beer, wine, spirits, non-alcoholic, other — or a style such as BOURBON, IPA", text=True),
    Field("size", "Size (text)", "e.g. 750ML, 1.75L, 12OZ, 1/2 BBL", group="size"),
    Field("size_ml", "Size in ml", "numbers in millilitres, e.g. 750", group="size"),
    Field("size_l", "Size in liters", "numbers in liters, e.g. 1.75", group="size"),
    Field("size_fl_oz", "Size in fl oz", "numbers in US fluid ounces, e.g. 12", group="size"),
    Field("units_per_case", "Units per case", "the pack, e.g. 12"),
    Field("cost", "Cost per unit", "what one bottle/can/keg costs"),
    Field("case_cost", "Cost per case"),
    Field("cost_date", "Cost date", "the date the costs are from (default: today)"),
    Field("vendor", "Distributor", "the distributor whose SKU and cost this is", text=True),
    Field("sku", "Distributor SKU", "the distributor's item number"),
    Field("producer", "Producer", "the brand owner, winery, brewery or distillery", text=True),
    Field("importer", "Importer", text=True),
    Field("upc", "Unit UPC"),
    Field("case_gtin", "Case GTIN", "the case's barcode (SCC)"),
    Field("par", "Par level", "units to keep on hand at the venue"),
    Field("vintage", "Vintage"),
    Field("abv", "ABV %"),
    Field("proof", "Proof"),
    Field("archived", "Archived", "yes/no"),
]
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
SIZE_UNITS = {"size": None, "size_ml": "ml", "size_l": "l", "size_fl_oz": "fl_oz"}

# Normalized header -> field. Iowa's catalog headers are here (Item Number, Item Description,
# Bottle Volume (ml), Pack, State Bottle Cost, Vendor Name, Category Name, UPC, SCC, …).
SYNONYMS: dict[str, str] = {}
for _key, _names in {
    "name": ["name", "item name", "item description", "description", "product", "product name", "product description",
             "item desc", "desc", "title", "product title", "wine name", "beer name", "spirit name", "label name",
             "full name", "item full name"],
    "category": ["category", "category name", "category description", "type", "item type", "product type",
                 "beverage type", "class", "item class", "department", "dept", "group", "item category",
                 "product category", "style"],
    "size": ["size", "volume", "bottle volume", "bottle size", "unit size", "container size", "package size",
             "pack size", "item size", "size description", "unit volume", "uom size"],
    "units_per_case": ["pack", "units per case", "unit per case", "case pack", "per case", "bottles per case",
                       "btls per case", "btl per case", "units case", "pack qty", "case qty", "case quantity",
                       "qty per case", "quantity per case", "units in case", "pack count", "case size",
                       "selling units per case"],
    "cost": ["cost", "unit cost", "bottle cost", "state bottle cost", "cost per unit", "cost per bottle", "unit price",
             "bottle price", "price per unit", "price per bottle", "cost price", "purchase price", "net price",
             "net cost", "wholesale cost", "frontline price", "last cost", "current cost", "cost each", "each cost"],
    "case_cost": ["case cost", "state case cost", "cost per case", "case price", "price per case", "cost case",
                  "net case cost", "case net price", "frontline case price"],
    "cost_date": ["cost date", "price date", "effective date", "as of", "as of date", "report date", "price effective date"],
    "vendor": ["vendor", "distributor", "distributor name", "supplier", "supplier name", "wholesaler",
               "wholesaler name", "vendor distributor", "preferred vendor", "preferred distributor", "purchased from"],
    "sku": ["sku", "item number", "item no", "item code", "item id", "product code", "product number", "product id",
            "distributor sku", "distributor item number", "vendor sku", "vendor item number", "supplier sku",
            "supplier item number", "supplier code", "article number", "part number", "code", "sku number",
            "item sku", "distributor code"],
    "producer": ["producer", "vendor name", "brand", "brand name", "brand owner", "manufacturer", "maker", "winery",
                 "brewery", "distillery", "producer name", "made by", "supplier brand"],
    "importer": ["importer", "imported by", "importer name"],
    "upc": ["upc", "upc code", "unit upc", "bottle upc", "item upc", "upc number", "barcode", "bar code", "ean",
            "gtin", "upc ean", "ean upc", "unit gtin", "unit barcode", "retail upc"],
    "case_gtin": ["scc", "case gtin", "case upc", "case barcode", "case ean", "scc code", "gtin case", "scc 14",
                  "shipping container code", "case code", "gtin 14"],
    "par": ["par", "par level", "par qty", "par quantity", "par stock", "target stock", "par units"],
    "vintage": ["vintage", "vintage year", "year"],
    "abv": ["abv", "alcohol", "alcohol by volume", "alc", "alc vol", "alcohol content", "abv percent", "alcohol percent"],
    "proof": ["proof", "alcohol proof"],
    "archived": ["archived", "inactive", "discontinued", "is archived", "archive"],
}.items():
    for _name in _names:
        SYNONYMS.setdefault(_name, _key)

# A unit named in a size header: "(ml)", "in ml", "_ml", " oz".
_HEADER_UNITS = {
    "ml": "size_ml", "mls": "size_ml", "milliliters": "size_ml", "millilitres": "size_ml",
    "l": "size_l", "lt": "size_l", "ltr": "size_l", "liter": "size_l", "liters": "size_l", "litre": "size_l", "litres": "size_l",
    "oz": "size_fl_oz", "fl oz": "size_fl_oz", "floz": "size_fl_oz", "ounces": "size_fl_oz", "fluid ounces": "size_fl_oz",
}  # fmt: skip


def normalize_header(header: str) -> str:
    text = (header or "").lower().replace("#", " number ").replace("%", " percent ").replace("&", " and ")
    text = re.sub(r"\bno\b\.?", " number ", text)
    text = re.sub(r"\bqty\b", " qty ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _split_unit(normalized: str) -> tuple[str, str | None]:
    """'bottle volume ml' -> ('bottle volume', 'size_ml')."""
    for unit in sorted(_HEADER_UNITS, key=len, reverse=True):
        for joiner in (" in ", " "):
            suffix = f"{joiner}{unit}"
            if normalized.endswith(suffix) and len(normalized) > len(suffix):
                return normalized[: -len(suffix)].strip(), _HEADER_UNITS[unit]
    return normalized, None


def field_for_header(header: str) -> str | None:
    """The field a header names, or None."""
    normalized = normalize_header(header)
    if not normalized:
        return None
    if normalized in SYNONYMS:
        return SYNONYMS[normalized]
    base, unit_field = _split_unit(normalized)
    if unit_field and SYNONYMS.get(base) == "size":
        return unit_field
    # "Cost ($)", "Price (USD)": a currency word after a cost field.
    for currency in (" usd", " dollars", " percent"):
        if normalized.endswith(currency) and SYNONYMS.get(normalized[: -len(currency)]):
            return SYNONYMS[normalized[: -len(currency)]]
    return None


def _looks_numeric(values: list[str]) -> bool:
    return bool(values) and all(re.fullmatch(r"[\d.,\-]+", v) for v in values)


@dataclass
class AutoMapping:
    mapping: dict[str, str]  # header -> field key (only the chosen columns)
    unmapped: list[str]  # headers no field was chosen for
    ambiguous: dict[str, list[str]]  # field key -> the headers that all look like it
    notes: list[str]


def auto_map(headers: list[str], samples: dict[str, list[str]] | None = None) -> AutoMapping:
    """Map headers to fields by name. Two headers for one field map neither: the user chooses."""
    samples = samples or {}
    candidates: dict[str, list[str]] = {}
    notes: list[str] = []
    for header in headers:
        key = field_for_header(header)
        if key is None:
            continue
        field = FIELDS_BY_KEY[key]
        if field.text and _looks_numeric(samples.get(header, [])):
            # Iowa's "Vendor" is the vendor's number; its name is in "Vendor Name".
            notes.append(f"“{header}” holds numbers, not {field.label.lower()} names, so it was left out; map it if it is one.")
            continue
        target = field.group or key
        candidates.setdefault(target, []).append(header)
    mapping: dict[str, str] = {}
    ambiguous: dict[str, list[str]] = {}
    for target, found in candidates.items():
        if len(found) == 1:
            mapping[found[0]] = field_for_header(found[0])
        else:
            ambiguous[target] = found
            label = FIELDS_BY_KEY[target].label.split(" (")[0]
            notes.append(f"{' and '.join('“' + h + '”' for h in found)} all look like the {label.lower()}; choose one.")
    unmapped = [h for h in headers if h not in mapping]
    return AutoMapping(mapping=mapping, unmapped=unmapped, ambiguous=ambiguous, notes=notes)


def mapping_problems(mapping: dict[str, str], headers: list[str]) -> list[str]:
    """What is wrong with a mapping a person chose (or auto_map made)."""
    problems = []
    unknown_headers = [h for h in mapping if h not in headers]
    if unknown_headers:
        problems.append(f"The file has no column {', '.join(unknown_headers)}.")
    by_target: dict[str, list[str]] = {}
    for header, key in mapping.items():
        if key not in FIELDS_BY_KEY:
            problems.append(f"“{key}” is not a field (column “{header}”).")
            continue
        field = FIELDS_BY_KEY[key]
        by_target.setdefault(field.group or key, []).append(header)
    for target, found in by_target.items():
        if len(found) > 1:
            label = FIELDS_BY_KEY[target].label.split(" (")[0]
            problems.append(f"{' and '.join('“' + h + '”' for h in found)} are both mapped to {label.lower()}; keep one.")
    keys = set(mapping.values())
    if "name" not in keys and "sku" not in keys:
        problems.append("Map a column to Name (or to Distributor SKU, to update items you already have).")
    return problems


# --- categories -----------------------------------------------------------------------------

_CATEGORY_VALUES = {
    "beer": Item.Category.BEER, "wine": Item.Category.WINE, "spirits": Item.Category.SPIRITS,
    "spirit": Item.Category.SPIRITS, "liquor": Item.Category.SPIRITS, "non alcoholic": Item.Category.NON_ALCOHOLIC,
    "nonalcoholic": Item.Category.NON_ALCOHOLIC, "na": Item.Category.NON_ALCOHOLIC, "n a": Item.Category.NON_ALCOHOLIC,
    "other": Item.Category.OTHER,
}  # fmt: skip
# Words, checked in this order: non-alcoholic first ("NON-ALCOHOLIC WINE"), then beer and wine
# ("WINE" in "WINE COOLER"), then spirits.
_CATEGORY_WORDS = [
    (Item.Category.NON_ALCOHOLIC, r"NON ?ALCOHOLIC|ALCOHOL FREE|N/A BEER|MIXERS?|SODAS?|JUICES?|WATERS?|SYRUPS?|SOFT DRINKS?|TONIC|NA BEER|ZERO PROOF"),
    (Item.Category.BEER, r"BEERS?|ALES?|LAGERS?|IPAS?|STOUTS?|PORTERS?|PILSNERS?|PILS|CIDERS?|SELTZERS?|HEFEWEIZEN|MALT BEVERAGES?|KEGS?|DRAFT|DRAUGHT"),
    (Item.Category.WINE, r"WINES?|CHAMPAGNES?|PROSECCO|SPARKLING|CAVA|ROSE WINES?|CABERNET|MERLOT|CHARDONNAY|PINOT|SAUVIGNON|RIESLING|ZINFANDEL|MALBEC|SYRAH|SHIRAZ|SHERRY|SAKE|VERMOUTH|MADEIRA"),
    (Item.Category.SPIRITS, r"SPIRITS?|WHISK(?:E)?Y|WHISKIES|BOURBONS?|SCOTCH|RYE|VODKAS?|GINS?|RUMS?|TEQUILAS?|MEZCAL|BRANDY|BRANDIES|COGNAC|ARMAGNAC|SCHNAPPS|LIQUEURS?|CORDIALS?|TRIPLE SEC|AMARO|APERITIF|ABSINTHE|COCKTAILS?|RTD|MOONSHINE|GRAPPA|PISCO|CACHACA|SOJU|BAIJIU|AGAVE|LIQUOR"),
]  # fmt: skip
_CATEGORY_PATTERNS = [(category, re.compile(rf"\b(?:{words})\b")) for category, words in _CATEGORY_WORDS]


def category_from_text(text: str) -> Item.Category | None:
    """The category a free-text category ("STRAIGHT BOURBON WHISKIES", "IPA") means; None if unknown."""
    normalized = normalize_header(text)
    if not normalized:
        return None
    if normalized in _CATEGORY_VALUES:
        return _CATEGORY_VALUES[normalized]
    upper = " ".join(re.sub(r"[^A-Z0-9/ ]+", " ", text.upper()).split())
    for category, pattern in _CATEGORY_PATTERNS:
        if pattern.search(upper):
            return category
    return None


def category_from_item(name: str, proof=None, abv=None) -> Item.Category | None:
    """A category guessed from the name and strength, for a category text that said nothing
    ("SPECIAL ORDER ITEMS", "TEMPORARY & SPECIALTY PACKAGES")."""
    strength = None
    if proof is not None and proof > 0:
        strength = proof / 2
    elif abv is not None and abv > 0:
        strength = abv
    if strength is not None and strength > 22:  # stronger than any fortified wine
        return Item.Category.SPIRITS
    upper = " ".join(re.sub(r"[^A-Z0-9/ ]+", " ", (name or "").upper()).split())
    # In a product name a spirit word is the strongest hint ("GIN & TONIC" is a cocktail).
    for category, pattern in reversed(_CATEGORY_PATTERNS):
        if pattern.search(upper):
            return category
    return None
