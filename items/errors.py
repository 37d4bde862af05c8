from inventory_site.errors import BackstockError


class ItemsError(BackstockError):
    """A rule about items or stock said no; the message is shown to the user."""


class InsufficientStock(ItemsError):
    pass
