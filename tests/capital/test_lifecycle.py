"""One state machine for offers, applications, distribution runs and withdrawal requests: one
map of moves per model, one `transition_to` that refuses the rest in one wording, and the
admin's buttons offered from the same map."""

import pytest

from capital.errors import CapitalError, Refusal
from capital.models import Offer
from investors.errors import PaymentError, RunError, WithdrawalError
from investors.models import Application, DistributionRun, WithdrawalRequest

MODELS = [
    (Offer, CapitalError),
    (Application, PaymentError),
    (DistributionRun, RunError),
    (WithdrawalRequest, WithdrawalError),
]


@pytest.mark.parametrize(("model", "error"), MODELS)
def test_every_state_has_its_moves_and_every_move_goes_to_a_state(model, error):
    assert set(model.TRANSITIONS) == set(model.State)
    for following in model.TRANSITIONS.values():
        assert following <= set(model.State)
    assert issubclass(model.lifecycle_error, Refusal) and model.lifecycle_error is error


@pytest.mark.parametrize(("model", "error"), MODELS)
def test_a_move_the_map_does_not_allow_is_refused_in_one_wording_and_changes_nothing(model, error):
    row = model(state=next(iter(model.State)))
    row.about = lambda: "This row"
    for state in model.State:
        row.state = state
        assert row.allowed_next() == frozenset(model.TRANSITIONS[state])
        for target in model.State:
            if target in model.TRANSITIONS[state]:
                continue
            with pytest.raises(error) as refused:
                row.transition_to(target)
            assert str(refused.value) == (
                f"This row is {state.label.lower()}; it cannot become {target.label.lower()}."
            )
            assert row.state == state


def test_each_model_names_itself_in_its_refusals():
    offer = Offer(title="Solar for schools", state=Offer.State.ALLOCATED)
    with pytest.raises(
        CapitalError, match="^The offer “Solar for schools” is allocated; it cannot become open"
    ):
        offer.transition_to(Offer.State.OPEN)
    application = Application(payment_reference="CS-ABCD2345", state=Application.State.REFUNDED)
    with pytest.raises(PaymentError, match="^Application CS-ABCD2345 is refunded; it cannot become paid"):
        application.transition_to(Application.State.PAID)


def test_an_allowed_move_only_sets_the_state(db):
    offer = Offer(title="Draft", state=Offer.State.DRAFT)
    offer.transition_to(Offer.State.OPEN)
    assert offer.state == Offer.State.OPEN and offer.pk is None, "the service saves it, not the mixin"
