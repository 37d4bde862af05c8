"""The base of every error a service raises on purpose.

Views catch `BackstockError` (or an app's subclass) and show its message; anything else is a bug.
"""


class BackstockError(Exception):
    """A business rule said no. The message is shown to the user as it is."""


class PermissionDenied(BackstockError):
    """The actor's role does not allow this action."""
