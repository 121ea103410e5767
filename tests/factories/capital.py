"""Factories for capital's rows (and the logins board members use): societies, share classes,
offers, board seats."""

import datetime
import time
from decimal import Decimal

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.contrib.auth import get_user_model
from django.utils import timezone

from capital.models import Offer, ReturnSchedule, ShareClass, Society, SocietyRole
from tests.factories.money import gbp


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


class LabourClassFactory(factory.django.DjangoModelFactory):
    """£1 labour shares: one member, one vote, for the people who work in the society."""

    class Meta:
        model = ShareClass
        django_get_or_create = ("society", "name")

    society = factory.SubFactory(SocietyFactory)
    name = "Labour shares"
    kind = ShareClass.Kind.LABOUR
    nominal_value = gbp(1)
    confers_membership = True
    carries_votes = True


class UserClassFactory(factory.django.DjangoModelFactory):
    """£1 user shares: one member, one vote, for the society's customers."""

    class Meta:
        model = ShareClass
        django_get_or_create = ("society", "name")

    society = factory.SubFactory(SocietyFactory)
    name = "User shares"
    kind = ShareClass.Kind.USER
    nominal_value = gbp(1)
    confers_membership = True
    carries_votes = True


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


class SocietyRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocietyRole
        skip_postgeneration_save = True

    society = factory.SubFactory(SocietyFactory)
    user = factory.SubFactory(UserFactory)
    role = SocietyRole.Role.DIRECTOR

    @factory.post_generation
    def two_factor(role, create, extracted, **kwargs):
        """Board members set up two-factor before any admin page opens: give them an
        authenticator app (`two_factor=False` for one who has not yet)."""
        if create and extracted is not False:
            give_two_factor(role.user)


TOTP_SECRET = "JBSWY3DPEHPK3PXP"
TOTP_PERIOD_SECONDS = 30
_USED_TOTP_COUNTERS: set[int] = set()


def authenticator_code() -> str:
    """The code the board member's authenticator app shows now, as they would type it.

    A code is accepted once and only within its 30 seconds, so like a person this waits for the
    app's next code when the one showing was used already or is about to run out (a code typed in
    the last two seconds of its window could reach the server after it closed).
    """
    while True:
        counter = next(yield_hotp_counters_from_time())
        left = TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS
        if counter not in _USED_TOTP_COUNTERS and left > 2:
            _USED_TOTP_COUNTERS.add(counter)
            return format_hotp_value(hotp_value(TOTP_SECRET, counter))
        time.sleep(min(left, 1))


def give_two_factor(user):
    """An authenticator app for `user` (staff and board members need one for the admin)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


class ReturnScheduleFactory(factory.django.DjangoModelFactory):
    """A profit share of 25% of surplus, financial years ending 31 December from 2021."""

    class Meta:
        model = ReturnSchedule

    share_class = factory.SubFactory(InvestorClassFactory)
    first_year_end = datetime.date(2021, 12, 31)
    pool_percent = Decimal("25")
