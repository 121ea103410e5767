"""Factories for the register's rows. Entries are never made here: they go through the register's
own service (`tests.builders.issue`)."""

import datetime

import factory

from shares.models import Holder


class HolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holder

    name = factory.Sequence(lambda n: f"Investor {n}")
    email = factory.Sequence(lambda n: f"investor{n}@example.org")
    postal_address = "2 Canal Street, Todmorden OL14 5AA"
    date_of_birth = datetime.date(1980, 5, 17)
