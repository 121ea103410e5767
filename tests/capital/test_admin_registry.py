"""Apps above capital add actions to capital's admin through its registry, never by capital
importing them: the offer admin's "Allocate" and the share class admin's withdrawal queue."""

import pytest

from capital.admin_actions import ObjectAction, object_actions_for, register_object_actions
from capital.models import Offer, ShareClass
from capital.services import close_offer
from tests.admin_pages import action_url
from tests.builders import board_seat, paid_application


def test_investors_registers_allocate_on_offers_and_the_queue_on_share_classes():
    assert "allocate" in {action.name for action in object_actions_for(Offer)}
    assert {"approve-withdrawals", "suspend-withdrawals", "resume-withdrawals"} <= {
        action.name for action in object_actions_for(ShareClass)
    }


def test_registering_the_same_action_again_adds_nothing():
    before = object_actions_for(Offer)
    register_object_actions(Offer, *before)
    assert object_actions_for(Offer) == before


@pytest.fixture
def noted(monkeypatch):
    """A throwaway action registered for offers, as another app would register one."""
    from capital import admin_actions

    calls = []
    action = ObjectAction(
        name="note-for-the-test",
        label="Make a note",
        permission="manage_offers",
        society_of=lambda offer: offer.society,
        applies=lambda offer: True,
        preview=lambda offer: [f"A note is made on {offer.title}."],
        perform=lambda offer, by, data: calls.append(offer.pk) or "Noted.",
    )
    monkeypatch.setitem(admin_actions._REGISTERED, Offer, [*admin_actions._REGISTERED[Offer], action])
    return calls


def test_a_registered_action_is_offered_and_runs_behind_its_confirmation(client, open_offer, noted):
    paid_application(offer=open_offer, shares=10)
    close_offer(offer=open_offer)
    client.force_login(board_seat(society=open_offer.society, role="secretary"))
    url = action_url("offer", "note-for-the-test", open_offer.pk)
    assert url in client.get(f"/admin/offer/inspect/{open_offer.pk}/").content.decode()
    assert f"A note is made on {open_offer.title}." in client.get(url).content.decode()
    assert noted == [], "the confirmation page changes nothing"
    assert client.post(url).status_code == 302
    assert noted == [open_offer.pk]
