"""Factories that build a valid tenant graph. Prefer `make_organization` (it goes through the
service, as a user would) for whole organizations; the factories are for extra rows."""

import factory
from factory.django import DjangoModelFactory

from venues.models import Membership, Organization, StorageArea, User, Venue
from venues.services import create_organization

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")


class VenueFactory(DjangoModelFactory):
    class Meta:
        model = Venue
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Venue {n}")
    slug = factory.Sequence(lambda n: f"venue-{n}")
    state = "IA"
    country = "US"
    timezone = "America/Chicago"

    @factory.post_generation
    def primary_area(obj, create, extracted, **kwargs):
        if create:
            StorageArea.objects.create(organization=obj.organization, venue=obj, name="Main storage", is_primary=True)


class StorageAreaFactory(DjangoModelFactory):
    class Meta:
        model = StorageArea

    venue = factory.SubFactory(VenueFactory)
    organization = factory.SelfAttribute("venue.organization")
    name = factory.Sequence(lambda n: f"Area {n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.STAFF


def make_organization(name: str, *, admin_email: str, state: str = "IA", venue_name: str | None = None):
    """An organization with one venue (and its primary storage area) and an admin, via the service."""
    organization, venue, admin, _ = create_organization(
        name=name,
        venue_name=venue_name or f"{name} Bar",
        state=state,
        admin_email=admin_email,
        admin_password=DEFAULT_PASSWORD,
        timezone_name="America/Chicago",
    )
    return organization, venue, admin
