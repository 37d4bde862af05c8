"""Name normalization shared by duplicate suggestions, imports and invoice matching.

Distributors abbreviate (`JACK DANIELS OLD #7 BLK LBL`), venues don't (`Jack Daniel's Old
No. 7 Black Label`). `name_key` maps both to the same words: upper case, accents and
punctuation dropped, trade abbreviations expanded, size tokens removed (size is compared
separately), filler words dropped. Word order is kept; comparisons that should ignore it
use `token_set`.
"""

from __future__ import annotations

import re
import unicodedata

from items.sizes import find_size

# Trade abbreviations seen on US distributor invoices and in the Iowa catalog.
ABBREVIATIONS = {
    "BLK": "BLACK", "BLK.": "BLACK", "LBL": "LABEL", "WHSKY": "WHISKEY", "WHSK": "WHISKEY", "WHISKY": "WHISKEY",
    "WSKY": "WHISKEY", "BRBN": "BOURBON", "BOURB": "BOURBON", "VDK": "VODKA", "VOD": "VODKA", "TEQ": "TEQUILA",
    "LIQ": "LIQUEUR", "LIQR": "LIQUEUR", "CRM": "CREAM", "CR": "CREAM", "ORIG": "ORIGINAL", "SPCD": "SPICED",
    "SPC": "SPICED", "RSV": "RESERVE", "RES": "RESERVE", "RESV": "RESERVE", "SEL": "SELECT", "SLCT": "SELECT",
    "SM": "SMALL", "SMBATCH": "SMALL BATCH", "BTCH": "BATCH", "BBN": "BOURBON", "STR": "STRAIGHT",
    "AMER": "AMERICAN", "IRSH": "IRISH", "SCTCH": "SCOTCH", "CDN": "CANADIAN",
    "RPSDO": "REPOSADO", "REPO": "REPOSADO", "REPOS": "REPOSADO", "ANJ": "ANEJO", "BLANC": "BLANCO",
    "SLV": "SILVER", "GLD": "GOLD", "FLV": "FLAVORED", "FLVR": "FLAVORED", "FLAV": "FLAVORED",
    "CHOC": "CHOCOLATE", "VAN": "VANILLA", "APL": "APPLE", "PCH": "PEACH", "CHRY": "CHERRY", "CINN": "CINNAMON",
    "LT": "LIGHT", "LITE": "LIGHT", "DRY": "DRY", "XO": "XO", "VSOP": "VSOP", "YR": "YEAR", "YRS": "YEAR",
    "YO": "YEAR", "PRF": "PROOF", "PF": "PROOF", "CAB": "CABERNET", "SAUV": "SAUVIGNON", "CHARD": "CHARDONNAY",
    "PNT": "PINOT", "NOIR": "NOIR", "GRIG": "GRIGIO", "MERL": "MERLOT", "ZIN": "ZINFANDEL", "RSLNG": "RIESLING",
    "SPK": "SPARKLING", "SPKL": "SPARKLING", "CHAMP": "CHAMPAGNE", "PROS": "PROSECCO", "IPA": "IPA",
    "LGR": "LAGER", "ALE": "ALE", "STT": "STOUT", "NO": "NUMBER", "#": "NUMBER", "&": "AND", "N": "AND",
    "BTL": "", "BT": "", "CN": "", "CANS": "", "NR": "", "LN": "", "PET": "PLASTIC", "TRAV": "TRAVELER",
    "JR": "JUNIOR", "ST": "SAINT", "STE": "SAINTE", "MTN": "MOUNTAIN", "HNY": "HONEY", "HNNY": "HONEY",
}  # fmt: skip

# Words that carry no identity.
STOPWORDS = {"THE", "A", "AN", "OF", "AND", "DE", "LA", "EL", "LE", "DI", "DEL"}
# Packaging words that the size/pack columns already say.
PACKAGING = {"BOTTLE", "BOTTLES", "CAN", "CANS", "PACK", "PK", "CASE", "CS", "EA", "EACH", "MINI", "MINIS"}


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def name_tokens(name: str | None, *, drop_size: bool = True) -> list[str]:
    """The words of a product name in normalized form, in order."""
    if not name:
        return []
    text = strip_accents(str(name)).upper()
    if drop_size:
        _, text = find_size(text)
    text = text.replace("'S ", "S ").replace("’S ", "S ").replace("'", "").replace("’", "")
    text = re.sub(r"\bNO\.\s*(\d)", r"NUMBER \1", text)
    text = re.sub(r"#\s*(\d)", r"NUMBER \1", text)
    text = re.sub(r"(\d+)\s*(?:YR|YRS|YEAR|YEARS|YO)\b", r"\1 YEAR", text)
    text = re.sub(r"(\d+)\s*(?:PRF|PROOF|PF)\b", r"\1 PROOF", text)
    tokens = []
    for raw in re.split(r"[^A-Z0-9#&]+", text):
        if not raw:
            continue
        word = ABBREVIATIONS.get(raw, raw)
        for part in word.split():
            if part and part not in STOPWORDS and part not in PACKAGING:
                tokens.append(part)
    return _join_initials(tokens)


def _join_initials(tokens: list[str]) -> list[str]:
    """'E H TAYLOR' -> 'EH TAYLOR', so E.H. and EH meet."""
    joined: list[str] = []
    in_run = False
    for token in tokens:
        single = len(token) == 1 and token.isalpha()
        if single and in_run:
            joined[-1] += token
        else:
            joined.append(token)
        in_run = single or (in_run and single)
        if single and len(joined[-1]) > 1 and not joined[-1].isalpha():
            in_run = False
    return joined


def name_key(name: str | None) -> str:
    """One string for equality and trigram comparison: 'JACK DANIELS OLD NUMBER 7 BLACK LABEL'."""
    return " ".join(name_tokens(name))[:250]


def token_set(name: str | None) -> frozenset[str]:
    return frozenset(name_tokens(name))
