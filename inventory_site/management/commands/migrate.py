"""`migrate`, run as the database owner instead of the application role.

The owner creates tables, the app role and the row-level-security policies; everything
else (web, worker, tests) runs as the app role. See inventory_site/db_backend.
"""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from inventory_site.db_backend.base import owner_connection


class Command(DjangoMigrateCommand):
    def execute(self, *args, **options):
        # execute() also runs the system checks, which may connect (e.g. to read the server
        # version) before the app role exists; so the whole command runs as the owner.
        with owner_connection():
            return super().execute(*args, **options)
