from inventory_site.errors import BackstockError


class InvoicesError(BackstockError):
    """A rule of Product Connect said no; the message names the place and the reason."""
