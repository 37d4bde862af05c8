from items.models.catalog import Item, ItemCost, ItemIdentifier, ItemPar
from items.models.imports import ImportJob
from items.models.ledger import StockCount, StockCountLine, StockLevel, StockMovement
from items.models.merges import DismissedDuplicate, ItemMerge

__all__ = [
    "DismissedDuplicate",
    "ImportJob",
    "Item",
    "ItemCost",
    "ItemIdentifier",
    "ItemMerge",
    "ItemPar",
    "StockCount",
    "StockCountLine",
    "StockLevel",
    "StockMovement",
]
