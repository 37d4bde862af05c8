"""Factories for distributor rows. Prefer the services (as a user would) for whole flows;
these are for extra rows, e.g. shared-directory distributors, which only migrations write."""

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from distributors.models import Distributor


class SharedDistributorFactory(DjangoModelFactory):
    """A distributor of the shared directory (no organization). Test code writes it through
    the test-wide RLS bypass, as the seed migration does."""

    class Meta:
        model = Distributor
        # The seed migration already wrote the real directory; naming one of its rows reuses it.
        django_get_or_create = ("organization", "slug")

    organization = None
    name = factory.Sequence(lambda n: f"Heartland Wholesale {n}")
    slug = factory.LazyAttribute(lambda d: slugify(d.name))
    code = factory.Sequence(lambda n: f"HW{n}")
