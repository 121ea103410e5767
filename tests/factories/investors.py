"""Factories for what investors tell us about being paid. Applications, payments and runs are
made by `tests.builders`, over the real services."""

import factory

from investors.models import InterestElection, PayoutAccount
from tests.factories.capital import CommunityClassFactory
from tests.factories.shares import HolderFactory


class PayoutAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayoutAccount

    holder = factory.SubFactory(HolderFactory)
    account_name = ""
    sort_code = "123456"
    account_number = "12345678"
    iban = ""


class InterestElectionFactory(factory.django.DjangoModelFactory):
    """Interest taken as new shares instead of money."""

    class Meta:
        model = InterestElection

    holder = factory.SubFactory(HolderFactory)
    share_class = factory.SubFactory(CommunityClassFactory)
    take_as = InterestElection.TakeAs.SHARES
