"""Every change to items and stock. One module per area:

- catalog: create/update items, identifiers, costs, pars
- ledger: stock movements (the only way stock changes), transfers, write-offs, quarantine
- counts: stock counts
- imports: the Import Wizard engine
- merge: merging duplicate items and undoing it; duplicate suggestions
"""

from items.errors import ItemsError

__all__ = ["ItemsError"]
