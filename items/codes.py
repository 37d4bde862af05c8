"""UPC / GTIN handling with python-stdnum's check-digit validation.

Real catalogs carry codes with the leading zero dropped (Iowa's `82184090510` is the
UPC-A `082184090510`) and codes with wrong check digits. A wrong code is kept, with a
warning, never rejected: it may still be what the distributor prints on its invoices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import ean


@dataclass(frozen=True)
class Code:
    value: str  # digits only, UPC-A padded to 12 where it was 11 digits
    warning: str  # empty when the check digit is right


def normalize_gtin(raw: str | None, *, label: str = "UPC") -> Code | None:
    """Digits of a UPC/EAN/GTIN, padded and checked. None for an empty or zero code."""
    if raw is None:
        return None
    text = str(raw).strip()
    if text.endswith(".0"):  # spreadsheets turn codes into floats
        text = text[:-2]
    digits = re.sub(r"\D", "", text)
    if not digits or set(digits) == {"0"}:
        return None
    if len(digits) == 11:
        digits = "0" + digits  # UPC-A with its leading zero dropped
    if len(digits) not in (8, 12, 13, 14):
        return Code(digits, f"{label} {digits} has {len(digits)} digits (expected 8, 12, 13 or 14)")
    if not ean.is_valid(digits):
        return Code(digits, f"{label} {digits} has a wrong check digit")
    return Code(digits, "")


def same_gtin(a: str | None, b: str | None) -> bool:
    """Equal as numbers: 0082184090510 (GTIN-13) and 082184090510 (UPC-A) are one code."""
    if not a or not b:
        return False
    return a.lstrip("0") == b.lstrip("0")
