"""Read one data row through the column mapping into checked values, or say what is wrong.

Every problem of a row is collected (not just the first), each naming the column and the
value: "Row 14: size 'big' is not a size (e.g. 750ML)". Empty cells mean "not given":
an import never clears a field an item already has.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from items.codes import normalize_gtin
from items.importing.fields import SIZE_UNITS, category_from_item, category_from_text
from items.models import Item
from items.normalize import name_key
from items.sizes import parse_size

_TRUE = {"yes", "y", "true", "t", "1", "x", "archived", "inactive", "discontinued"}
_FALSE = {"no", "n", "false", "f", "0", "active", "-"}

# Decimal places of the model fields, so a re-import compares what was stored.
Q_UNIT_COST, Q_CASE_COST, Q_ABV, Q_PROOF, Q_PAR = (Decimal("0.0001"), Decimal("0.01"), Decimal("0.01"),
                                                  Decimal("0.1"), Decimal("0.001"))  # fmt: skip


@dataclass
class RowValues:
    """A row's values, checked. None = not given in the file."""

    number: int  # 1-based data row
    raw: list[str]
    name: str | None = None
    name_key: str = ""
    category: str | None = None
    category_known: bool = False  # read from the category column, not guessed
    category_text: str = ""
    size: object = None  # items.sizes.Size
    size_given: bool = False  # a size cell had a value (a "0" size means "no size")
    units_per_case: int | None = None
    cost: Decimal | None = None
    case_cost: Decimal | None = None
    cost_date: dt.date | None = None
    vendor: str | None = None
    sku: str | None = None
    producer: str | None = None
    importer: str | None = None
    upc: str | None = None
    upc_warning: str = ""
    case_gtin: str | None = None
    case_gtin_warning: str = ""
    par: Decimal | None = None
    vintage: int | None = None
    abv: Decimal | None = None
    proof: Decimal | None = None
    archived: bool | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def size_ml(self) -> Decimal | None:
        return self.size.ml if self.size is not None else None

    @property
    def display_name(self) -> str:
        label = f" {self.size.label}" if self.size is not None else ""
        return f"{self.name or ''}{label}".strip() or (f"SKU {self.sku}" if self.sku else "")


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _number(text: str) -> Decimal | None:
    cleaned = text.replace("$", "").replace(",", "").replace("%", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_row(number: int, raw: list[str], columns: dict[str, int], *, today: dt.date) -> RowValues:
    """`columns` maps field key -> column index. Returns the values with `errors` and `warnings`."""
    row = RowValues(number=number, raw=raw)

    def cell(key: str) -> str:
        index = columns.get(key)
        return _clean(raw[index]) if index is not None and index < len(raw) else ""

    def bad(key: str, label: str, value: str, why: str) -> None:
        row.errors.append(f"{label} '{value}' {why}")

    name = cell("name")
    if name:
        row.name = name[:200]
        row.name_key = name_key(name)
        if len(name) > 200:
            row.warnings.append("name was cut to 200 characters")

    size_key = next((k for k in SIZE_UNITS if k in columns), None)
    if size_key:
        text = cell(size_key)
        if text:
            row.size_given = True
            unit = SIZE_UNITS[size_key]
            number_value = _number(text) if unit else None
            if unit and number_value is not None and number_value == 0:
                row.warnings.append(f"size '{text}' is 0, so the item has no size")
            elif unit and number_value is not None and number_value < 0:
                bad(size_key, "size", text, "is negative")
            else:
                size = parse_size(text, default_unit=unit)
                if size is None:
                    hint = ""
                    if unit is None and _number(text) is not None:
                        hint = "; it has no unit (write 750ML, or map the column to “Size in ml”)"
                    bad(size_key, "size", text, f"is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL){hint}")
                else:
                    row.size = size

    text = cell("units_per_case")
    if text:
        value = _number(text)
        if value is None or value != value.to_integral_value():
            bad("units_per_case", "units per case", text, "is not a whole number")
        elif value < 1:
            bad("units_per_case", "units per case", text, "must be at least 1")
        elif value > 10000:
            bad("units_per_case", "units per case", text, "is too large")
        else:
            row.units_per_case = int(value)
    elif row.size is not None and row.size.pack:
        row.units_per_case = row.size.pack  # "12/12OZ CN" says its pack

    for key, label, quantum in (("cost", "cost", Q_UNIT_COST), ("case_cost", "case cost", Q_CASE_COST),
                                ("par", "par", Q_PAR)):  # fmt: skip
        text = cell(key)
        if not text:
            continue
        value = _number(text)
        if value is None:
            bad(key, label, text, "is not a number")
        elif value < 0:
            bad(key, label, text, "is negative")
        elif value >= Decimal("1e8"):
            bad(key, label, text, "is too large")
        else:
            setattr(row, key, value.quantize(quantum))

    text = cell("cost_date")
    if text:
        value = _date(text)
        if value is None:
            bad("cost_date", "cost date", text, "is not a date (e.g. 2024-03-31 or 3/31/2024)")
        elif value > today + dt.timedelta(days=366):
            bad("cost_date", "cost date", text, "is more than a year ahead")
        else:
            row.cost_date = value

    for key in ("vendor", "producer", "importer"):
        text = cell(key)
        if text:
            setattr(row, key, text[:200])
    text = cell("sku")
    if text:
        if len(text) > 64:
            bad("sku", "SKU", text, "is longer than 64 characters")
        else:
            row.sku = text

    for key, label in (("upc", "UPC"), ("case_gtin", "Case GTIN")):
        text = cell(key)
        if not text:
            continue
        code = normalize_gtin(text, label=label)
        if code is None:
            if re.search(r"[1-9]", text):
                bad(key, label, text, "has no digits")
            continue
        if len(code.value) > 14:
            bad(key, label, text, "has more than 14 digits")
            continue
        setattr(row, key, code.value)
        if code.warning:
            setattr(row, f"{key}_warning", code.warning)
            row.warnings.append(code.warning + " (kept)")

    text = cell("vintage")
    if text and text.upper() not in ("NV", "N/V", "NON VINTAGE", "NON-VINTAGE"):
        value = _number(text)
        if value is None or value != value.to_integral_value() or not 1800 <= value <= today.year + 1:
            bad("vintage", "vintage", text, "is not a year (or NV)")
        else:
            row.vintage = int(value)

    text = cell("abv")
    if text:
        value = _number(text)
        if value is None or not 0 <= value <= 100:
            bad("abv", "ABV", text, "is not a percentage (0–100)")
        else:
            row.abv = value.quantize(Q_ABV)
    text = cell("proof")
    if text:
        value = _number(text)
        if value is None or not 0 <= value <= 200:
            bad("proof", "proof", text, "is not a proof (0–200)")
        else:
            row.proof = value.quantize(Q_PROOF)

    text = cell("archived")
    if text:
        lowered = text.lower()
        if lowered in _TRUE:
            row.archived = True
        elif lowered in _FALSE:
            row.archived = False
        else:
            bad("archived", "archived", text, "is not yes or no")

    text = cell("category")
    row.category_text = text
    category = category_from_text(text) if text else None
    if category is not None:
        row.category, row.category_known = category, True
    else:
        # "SPECIAL ORDER ITEMS" says nothing; the name and strength usually do (a new item only).
        row.category = category_from_item(row.name or "", row.proof, row.abv)
        if row.category is None and text:
            row.category = Item.Category.OTHER
            row.warnings.append(f"category '{text}' is not one Backstock knows, so the item is Other")
    return row


def derived_strength(abv: Decimal | None, proof: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """US proof is twice the ABV; fill the one the file left out."""
    if abv is None and proof is not None:
        abv = (proof / 2).quantize(Q_ABV)
    elif proof is None and abv is not None:
        proof = (abv * 2).quantize(Q_PROOF)
    return abv, proof

