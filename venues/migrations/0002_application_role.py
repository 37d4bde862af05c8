"""Create the non-superuser role the application runs as (see inventory_site/db_backend).

Row-level-security policies themselves are (re)applied after every migrate by
inventory_site.rls, so tables added by later migrations are covered automatically.
"""

from django.conf import settings
from django.db import migrations


def create_role(apps, schema_editor):
    role = settings.APP_DB_ROLE
    quoted = schema_editor.connection.ops.quote_name(role)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # NOLOGIN: nobody connects as it; the owner's connections SET ROLE to it.
            # NOBYPASSRLS and not a superuser, so row-level security always applies.
            cursor.execute(f"CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
        # A non-superuser owner must be a member to SET ROLE; superusers need nothing.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            cursor.execute(f"GRANT {quoted} TO CURRENT_USER")


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]

    operations = [migrations.RunPython(create_role, migrations.RunPython.noop, elidable=False)]
