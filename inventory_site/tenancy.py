"""Which organization the current database connection may see.

PostgreSQL row-level security policies (installed by `inventory_site.rls`) compare each
tenant row's `organization_id` with the `app.organization_id` setting of the connection.
Requests (TenantMiddleware) and Celery tasks (TenantTask) set it for their duration and
clear it after; code that must see every tenant says so with `rls_bypass("reason")`, which
is the one greppable way around the policies.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from django.db import connection

logger = logging.getLogger(__name__)

ORG_SETTING = "app.organization_id"
USER_SETTING = "app.user_id"
BYPASS_SETTING = "app.rls_bypass"
_SETTINGS = (ORG_SETTING, USER_SETTING, BYPASS_SETTING)


def _read_all() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), current_setting(%s, true), current_setting(%s, true)",
            list(_SETTINGS),
        )
        row = cursor.fetchone()
    return {name: (value or "") for name, value in zip(_SETTINGS, row)}


def _write_all(values: dict[str, str]) -> None:
    # is_local=false: the value lives for the session (the connection), not one transaction,
    # because requests run in autocommit mode. We always restore it in a finally block.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, false), set_config(%s, %s, false), set_config(%s, %s, false)",
            [part for name in _SETTINGS for part in (name, values.get(name, ""))],
        )


def _swap_all(values: dict[str, str]) -> dict[str, str]:
    """Set the values and return the previous ones, in one round trip.

    The MATERIALIZED CTE is evaluated before the outer SELECT, so it reads the old values.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH previous AS MATERIALIZED (SELECT current_setting(%s, true) AS o, current_setting(%s, true) AS u,"
            " current_setting(%s, true) AS b) SELECT o, u, b, set_config(%s, %s, false), set_config(%s, %s, false),"
            " set_config(%s, %s, false) FROM previous",
            [*_SETTINGS, *[part for name in _SETTINGS for part in (name, values.get(name, ""))]],
        )
        row = cursor.fetchone()
    return {name: (value or "") for name, value in zip(_SETTINGS, row[:3])}


@contextlib.contextmanager
def tenant_context(*, organization_id: int | None, user_id: int | None = None) -> Iterator[None]:
    """Let this connection see one organization's rows (and the user's own memberships)."""
    previous = _swap_all(
        {
            ORG_SETTING: str(organization_id) if organization_id else "",
            USER_SETTING: str(user_id) if user_id else "",
            BYPASS_SETTING: "",
        }
    )
    try:
        yield
    finally:
        _write_all(previous)


@contextlib.contextmanager
def rls_bypass(reason: str) -> Iterator[None]:
    """See every organization's rows. For system work only (schedulers, signup, operators).

    `reason` is logged so each use explains itself; grep for `rls_bypass(` to audit them.
    """
    if not reason:
        raise ValueError("rls_bypass needs a reason")
    logger.debug("RLS bypass: %s", reason)
    previous = _read_all()
    _write_all({**previous, BYPASS_SETTING: "on"})
    try:
        yield
    finally:
        _write_all(previous)


def current_organization_id() -> int | None:
    value = _read_all()[ORG_SETTING]
    return int(value) if value else None
