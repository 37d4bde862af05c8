"""Create an organization with its first venue (primary storage area included) and an admin.

    python manage.py create_organization --name NAME --venue VENUE_NAME --state XX \
        --admin-email EMAIL [--admin-password P] [--json]

A stable interface for scripts: with --json it prints exactly
{"organization": "<org slug>", "venue": "<venue slug>", "admin": "<email>"}.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from venues.services import VenuesError, create_organization


class Command(BaseCommand):
    help = "Create an organization, its first venue with a primary storage area, and an admin user."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Organization name")
        parser.add_argument("--venue", required=True, help="Name of the first venue")
        parser.add_argument("--state", required=True, help="Two-letter US state of the venue, e.g. IA")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="Generated and printed when omitted for a new user")
        parser.add_argument("--timezone", default="America/Chicago", help="IANA time zone of the venue")
        parser.add_argument("--json", action="store_true", help="Print a JSON object instead of text")

    def handle(self, *args, **options):
        try:
            organization, venue, admin, generated = create_organization(
                name=options["name"],
                venue_name=options["venue"],
                state=options["state"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                timezone_name=options["timezone"],
            )
        except VenuesError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"organization": organization.slug, "venue": venue.slug, "admin": admin.email}))
            return
        self.stdout.write(self.style.SUCCESS(f"Created {organization.name} ({organization.slug}) with venue {venue.name}."))
        self.stdout.write(f"Admin: {admin.email}" + (f"  password: {generated}" if generated else ""))
