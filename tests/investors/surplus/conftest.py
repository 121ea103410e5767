import pytest

from tests.builders import Coop, fairshares_coop


@pytest.fixture
def coop(db) -> Coop:
    """The FairShares co-operative of `tests.builders.fairshares_coop`."""
    return fairshares_coop()
