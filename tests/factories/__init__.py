"""Small factories per app, each building a valid row with sensible defaults; gathered here so a
test can say `factories.SocietyFactory`. Rows that only services may write (applications,
payments, register entries) are made by `tests.builders`, over the real services."""

from tests.factories.capital import (
    CommunityClassFactory,
    InvestorClassFactory,
    LabourClassFactory,
    OpenOfferFactory,
    ReturnScheduleFactory,
    SocietyFactory,
    SocietyRoleFactory,
    UserClassFactory,
    UserFactory,
    give_two_factor,
)
from tests.factories.investors import InterestElectionFactory, PayoutAccountFactory
from tests.factories.money import gbp
from tests.factories.shares import HolderFactory

__all__ = [
    "CommunityClassFactory",
    "HolderFactory",
    "InterestElectionFactory",
    "InvestorClassFactory",
    "LabourClassFactory",
    "OpenOfferFactory",
    "PayoutAccountFactory",
    "ReturnScheduleFactory",
    "SocietyFactory",
    "SocietyRoleFactory",
    "give_two_factor",
    "UserClassFactory",
    "UserFactory",
    "gbp",
]
