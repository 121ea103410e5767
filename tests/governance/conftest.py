import datetime

import pytest

from tests.builders import seed_register

BEFORE = datetime.date(2024, 1, 1)


@pytest.fixture
def members(community_class):
    """Ten members, one community share each (one member, one vote, however many shares)."""
    return seed_register(
        share_class=community_class, holdings=[(f"Member {n}", 1 + n * 100) for n in range(10)], on=BEFORE
    )


@pytest.fixture
def investor_only(investor_class):
    """A holder of investor shares only: never a member, never a vote."""
    return seed_register(share_class=investor_class, holdings=[("Iris Investor", 50000)], on=BEFORE)[0]
