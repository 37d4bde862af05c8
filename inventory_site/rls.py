"""Row-level security for every tenant table, applied after each `migrate`.

A tenant table is any model with an `organization` foreign key to venues.Organization, so
a new app's models are covered without anyone remembering to add a policy; the test suite
checks that every such table has its policy. Organization and Membership get special
policies so a signed-in user can list their own organizations before one is chosen.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import connection

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION backstock_current_org() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.organization_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION backstock_current_user() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION backstock_rls_bypassed() RETURNS boolean
    LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('app.rls_bypass', true), '') = 'on' $$;
"""

POLICY_NAME = "backstock_tenant_isolation"
# Tables with a nullable organization (the shared distributor directory) get a second,
# SELECT-only policy: everyone reads shared rows, but UPDATE/DELETE/INSERT stay limited to
# the organization's own rows (permissive policies are OR-ed per command).
SHARED_READ_POLICY_NAME = "backstock_shared_read"


def tenant_models() -> list[type]:
    """Every concrete model whose rows belong to one organization."""
    organization = apps.get_model("venues", "Organization")
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        if model is organization:
            found.append(model)
            continue
        try:
            field = model._meta.get_field("organization")
        except Exception:
            continue
        if getattr(field, "related_model", None) is organization:
            found.append(model)
    return found


# Wrapped in scalar sub-selects so PostgreSQL evaluates each once per query (an InitPlan),
# not once per row: on a 20,000-item scan this halves the time.
BYPASSED = "(SELECT backstock_rls_bypassed())"
CURRENT_ORG = "(SELECT backstock_current_org())"
CURRENT_USER = "(SELECT backstock_current_user())"


def _policy_sql(model) -> tuple[str, str]:
    """(USING, WITH CHECK) expressions for a tenant table."""
    label = model._meta.label
    if label == "venues.Organization":
        membership = apps.get_model("venues", "Membership")._meta.db_table
        using = (
            f"{BYPASSED} OR id = {CURRENT_ORG} OR id IN "
            f"(SELECT organization_id FROM {membership} WHERE user_id = {CURRENT_USER})"
        )
        return using, f"{BYPASSED} OR id = {CURRENT_ORG}"
    check = f"{BYPASSED} OR organization_id = {CURRENT_ORG}"
    if label == "venues.Membership":
        return f"{check} OR user_id = {CURRENT_USER}", check
    return check, check


def apply_row_level_security(using: str = "default") -> list[str]:
    """Create the helper functions, grants and one policy per tenant table. Idempotent."""
    role = settings.APP_DB_ROLE
    quoted_role = connection.ops.quote_name(role)
    applied = []
    with connection.cursor() as cursor:
        cursor.execute(FUNCTIONS_SQL)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted_role}")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES "
            f"ON ALL TABLES IN SCHEMA public TO {quoted_role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted_role}")
        for model in tenant_models():
            table = connection.ops.quote_name(model._meta.db_table)
            using_sql, check_sql = _policy_sql(model)
            cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
            cursor.execute(
                f"CREATE POLICY {POLICY_NAME} ON {table} FOR ALL TO {quoted_role} "
                f"USING ({using_sql}) WITH CHECK ({check_sql})"
            )
            cursor.execute(f"DROP POLICY IF EXISTS {SHARED_READ_POLICY_NAME} ON {table}")
            organization_field = next((f for f in model._meta.fields if f.name == "organization"), None)
            if organization_field is not None and organization_field.null:
                cursor.execute(
                    f"CREATE POLICY {SHARED_READ_POLICY_NAME} ON {table} FOR SELECT TO {quoted_role} "
                    "USING (organization_id IS NULL)"
                )
            applied.append(model._meta.db_table)
    return applied
