"""Every change to supplier feeds, feed documents and partial invoices.

- `pipeline`: a raw document is stored once, then parsed, routed, matched and upserted.
- `review`: what reviewers do on the review page, approval and rejection.
- `feeds`: feed set-up and pulls (see invoices/transport.py for the wire protocols).
"""

from invoices.services.errors import InvoicesError  # noqa: F401
from invoices.services.pipeline import (  # noqa: F401
    DocumentOutcome,
    InvoiceOutcome,
    StoredDocument,
    is_inventory_line,
    process_document,
    receive_document,
    store_document,
)
from invoices.services.review import (  # noqa: F401
    ApprovalResult,
    add_line,
    approve_invoice,
    assign_venue,
    attach_copy,
    create_item_from_line,
    reject_invoice,
    remove_line,
    set_line_item,
    update_line,
)
# Feed set-up and pulls: `invoices.services.feeds` (imported directly; it needs invoices.transport,
# which needs this package's errors, so re-exporting it here would make an import cycle).
