"""Small factories for the whole project; each builds a valid row with sensible defaults."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer, ShareClass, Society, SocietyRole
from shares.models import Holder


def gbp(amount) -> Money:
    return Money(amount, "GBP")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery")


class SocietyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Society

    name = factory.Sequence(lambda n: f"Valley Energy {n} Ltd")
    slug = factory.Sequence(lambda n: f"valley-energy-{n}")
    legal_form = Society.LegalForm.COMMUNITY_BENEFIT
    registration_number = factory.Sequence(lambda n: f"RS{n:06d}")
    registered_office = "1 Mill Lane, Hebden Bridge HX7 8AA"


class CommunityClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareClass

    society = factory.SubFactory(SocietyFactory)
    name = "Community shares"
    kind = ShareClass.Kind.COMMUNITY
    nominal_value = gbp(1)
    withdrawable = True
    confers_membership = True
    carries_votes = True


class InvestorClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareClass

    society = factory.SubFactory(SocietyFactory)
    name = "Investor shares"
    kind = ShareClass.Kind.INVESTOR
    nominal_value = gbp(1)
    transferable = True


class OpenOfferFactory(factory.django.DjangoModelFactory):
    """An offer open now: £1 shares, £1,000–£10,000 target, £10–£2,000 per investor."""

    class Meta:
        model = Offer

    share_class = factory.SubFactory(CommunityClassFactory)
    title = factory.Sequence(lambda n: f"Share offer {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    price_per_share = gbp(1)
    minimum_target = gbp(1000)
    maximum_target = gbp(10000)
    minimum_per_investor = gbp(10)
    maximum_per_investor = gbp(2000)
    policy = Offer.Policy.FIRST_COME
    state = Offer.State.OPEN


class HolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holder

    name = factory.Sequence(lambda n: f"Investor {n}")
    email = factory.Sequence(lambda n: f"investor{n}@example.org")
    postal_address = "2 Canal Street, Todmorden OL14 5AA"
    date_of_birth = datetime.date(1980, 5, 17)


class SocietyRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocietyRole

    society = factory.SubFactory(SocietyFactory)
    user = factory.SubFactory(UserFactory)
    role = SocietyRole.Role.DIRECTOR
