"""PostgreSQL backend that runs application queries as a non-superuser role.

Django 5.2's `assume_role` option issues `SET ROLE` on every new connection. We keep that,
but skip it while the owner must act (migrations, creating the test database), because
the owner creates the tables, the app role and the row-level-security policies. Use
`owner_connection()` for that; nothing else should.
"""

from __future__ import annotations

import contextlib
import threading

from django.db import connections
from django.db.backends.postgresql import base

_state = threading.local()


def owner_mode_active() -> bool:
    return getattr(_state, "owner_depth", 0) > 0


@contextlib.contextmanager
def owner_connection():
    """Run the block with connections as the DATABASE_URL owner, not the app role.

    Connections are closed on entry and exit so each side gets a fresh one with the
    right role; never use this in request or task code.
    """
    connections.close_all()
    _state.owner_depth = getattr(_state, "owner_depth", 0) + 1
    try:
        yield
    finally:
        _state.owner_depth -= 1
        connections.close_all()


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_role(self, connection):
        # The maintenance database (used to CREATE DATABASE for tests) is the owner's business.
        if owner_mode_active() or self.settings_dict.get("NAME") in (None, "", "postgres", "template1"):
            return False
        try:
            return super()._configure_role(connection)
        except Exception as exc:
            if "does not exist" not in str(exc):
                raise
            role = self.settings_dict["OPTIONS"].get("assume_role")
            raise self.Database.OperationalError(
                f'The application database role "{role}" does not exist yet. '
                "Run `python manage.py migrate` (it runs as the database owner and creates it)."
            ) from exc
