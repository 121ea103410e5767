"""Transfers: the holder asks, the receiver accepts through the emailed link, the board approves
or refuses; the register's transfer entry moves the shares and certificates follow both sides."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core import mail

from capital.errors import CapitalError
from capital.models import AuditEntry
from investors.errors import TransferError, WithdrawalError
from investors.models import TransferRequest
from investors.transfers.services import (
    accept_transfer,
    acceptance_link,
    approve_transfer,
    cancel_transfer,
    decline_transfer,
    refuse_transfer,
    request_transfer,
)
from investors.withdrawals.services import request_withdrawal
from shares.models import Certificate, Holder, Holding, LedgerEntry
from shares.services.membership import voting_roll
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, issue
from tests.factories import gbp

State = TransferRequest.State
DETAILS = {
    "name": "Rae Newcomer",
    "postal_address": "9 Bank Street, Hebden Bridge",
    "date_of_birth": datetime.date(1990, 2, 3),
}


@pytest.fixture
def seller(investor_class):
    holder = factories.HolderFactory(name="Sam Seller", user=factories.UserFactory())
    issue(holder=holder, share_class=investor_class, shares=1000, on=datetime.date(2024, 1, 1))
    return holder


def ask(seller, share_class, shares=400, price=D("400.00"), email="rae@example.org", name="Rae Newcomer"):
    return request_transfer(
        holder=seller,
        share_class=share_class,
        shares=shares,
        price=price,
        receiver_name=name,
        receiver_email=email,
        by=seller.user,
    )


def token_from(message) -> str:
    return re.search(r"/transfers/accept/([^/\s]+)/", message.body).group(1)


def test_the_whole_transfer_to_someone_new_moves_the_shares_and_the_certificates(
    investor_class, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(seller, investor_class)
    (offer,) = mail.outbox
    assert offer.to == ["rae@example.org"] and "Sam Seller would like to transfer shares" in offer.subject
    assert "400 Investor shares" in offer.body and "£400.00" in offer.body
    assert Holding.objects.get(holder=seller).shares == 1000, "nothing moves until the board approves"

    with django_capture_on_commit_callbacks(execute=True):
        request = accept_transfer(token=token_from(offer), details=DETAILS)
    receiver = request.receiver
    assert request.state == State.AWAITING_BOARD and receiver.name == "Rae Newcomer"
    assert receiver.email == "rae@example.org" and receiver.date_of_birth == datetime.date(1990, 2, 3)
    assert "was accepted" in mail.outbox[-1].subject and mail.outbox[-1].to == [seller.email]

    director = board_seat(society=investor_class.society, role="director")
    with django_capture_on_commit_callbacks(execute=True):
        request = approve_transfer(request=request, by=director)
    entry = request.ledger_entry
    assert (entry.kind, entry.holder, entry.counterparty, entry.shares) == (
        LedgerEntry.Kind.TRANSFER,
        seller,
        receiver,
        400,
    )
    assert entry.reference == f"Transfer {request.pk} for £400.00"
    assert Holding.objects.get(holder=seller).shares == 600
    assert Holding.objects.get(holder=receiver).shares == 400
    valid = Certificate.objects.filter(state=Certificate.State.VALID)
    assert sorted((c.holder.name, c.shares) for c in valid) == [("Rae Newcomer", 400), ("Sam Seller", 600)]
    assert verify_register(investor_class.society).ok
    done = [message for message in mail.outbox if "is done" in message.subject]
    assert {message.to[0] for message in done} == {seller.email, "rae@example.org"}
    assert AuditEntry.objects.filter(action="transfer.approved", actor=director).exists()


def test_a_receiver_already_on_the_register_accepts_as_themselves_and_never_gains_control(
    society, investor_class, community_class, seller
):
    member = factories.HolderFactory(name="Mo Member", email="mo@example.org")
    issue(holder=member, share_class=community_class, shares=10, on=datetime.date(2024, 1, 1))
    request = ask(seller, investor_class, email="MO@example.org", name="Mo")
    request = accept_transfer(token=_token(request))
    assert request.receiver == member and Holder.objects.count() == 2
    approve_transfer(request=request, by=board_seat(society=society, role="director"))
    roll = [voter.holder for voter in voting_roll(society, datetime.date.today())]
    assert roll == [member], "the seller (investor shares only) is not on the roll, and Mo has one vote"
    assert Holding.objects.get(holder=member, share_class=investor_class).shares == 400


def _token(request):
    """The token in the receiver's link, as the emailed link carries it."""
    return acceptance_link(request).rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shares": 1001}, "You hold 1000 Investor shares; you can transfer at most 1000"),
        ({"shares": 0}, "at least one share"),
        ({"price": D("-1")}, "less than nothing"),
        ({"price": D("1.001")}, "whole pennies"),
        ({"price": D("1e30")}, "at most £999,999,999,999.99"),
        ({"price": "lots"}, "as an amount of money"),
        ({"email": "not an address"}, "name and email address"),
    ],
)
def test_a_request_that_does_not_fit_is_refused_and_nothing_is_sent(investor_class, seller, kwargs, message):
    with pytest.raises(TransferError, match=message):
        ask(seller, investor_class, **kwargs)
    assert not TransferRequest.objects.exists() and mail.outbox == []


def test_withdrawable_community_shares_are_never_transferable(community_class):
    holder = factories.HolderFactory(user=factories.UserFactory())
    issue(holder=holder, share_class=community_class, shares=100)
    with pytest.raises(TransferError, match="not transferable .*withdrawn instead"):
        ask(holder, community_class)


def test_only_your_own_shares_and_not_the_same_shares_twice(investor_class, seller):
    with pytest.raises(TransferError, match="your own shares"):
        request_transfer(
            holder=seller,
            share_class=investor_class,
            shares=1,
            price=0,
            receiver_name="X",
            receiver_email="x@example.org",
            by=factories.UserFactory(),
        )
    ask(seller, investor_class, shares=700)
    with pytest.raises(
        TransferError, match=r"700 of them already spoken for \(700 asked to be transferred\)"
    ):
        ask(seller, investor_class, shares=301)
    assert ask(seller, investor_class, shares=300).shares == 300


def test_shares_asked_to_be_transferred_cannot_also_be_withdrawn(society):
    both = factories.UserClassFactory(society=society, withdrawable=True, transferable=True)
    holder = factories.HolderFactory(user=factories.UserFactory())
    issue(holder=holder, share_class=both, shares=100)
    ask(holder, both, shares=60)
    with pytest.raises(WithdrawalError, match=r"60 of them already spoken for .* at most 40"):
        request_withdrawal(holder=holder, share_class=both, shares=41, by=holder.user)


def test_the_receivers_limits_are_checked_when_they_accept_and_when_the_board_approves(
    society, investor_class, seller
):
    investor_class.maximum_holding_shares = 1000
    investor_class.save()
    buyer = factories.HolderFactory(email="buyer@example.org")
    issue(holder=buyer, share_class=investor_class, shares=700)
    request = ask(seller, investor_class, shares=400, email="buyer@example.org")
    with pytest.raises(
        TransferError, match="would hold 1100 Investor shares; the most one holder may hold is 1000"
    ):
        accept_transfer(token=_token(request))
    request.refresh_from_db()
    assert request.state == State.AWAITING_RECEIVER

    smaller = ask(seller, investor_class, shares=300, email="buyer@example.org")
    smaller = accept_transfer(token=_token(smaller))
    issue(holder=buyer, share_class=investor_class, shares=100)  # bought elsewhere meanwhile
    with pytest.raises(TransferError, match="would hold 1100"):
        approve_transfer(request=smaller, by=board_seat(society=society, role="director"))
    assert Holding.objects.get(holder=seller).shares == 1000


def test_the_statutory_limit_on_withdrawable_shares_holds_for_the_receiver(society):
    society.individual_withdrawable_limit = D("20000.00")
    society.save()
    both = factories.UserClassFactory(society=society, withdrawable=True, transferable=True)
    seller = factories.HolderFactory(user=factories.UserFactory())
    buyer = factories.HolderFactory(email="buyer@example.org")
    issue(holder=seller, share_class=both, shares=5000)
    issue(holder=buyer, share_class=both, shares=16000)
    request = ask(seller, both, shares=5000, email="buyer@example.org")
    with pytest.raises(
        TransferError, match="would hold £21,000.00 of withdrawable shares .* the law allows £20,000.00"
    ):
        accept_transfer(token=_token(request))


def test_the_receiver_declines_or_the_holder_cancels_and_nothing_moves(investor_class, seller):
    declined = decline_transfer(token=_token(ask(seller, investor_class)))
    assert declined.state == State.DECLINED
    with pytest.raises(
        TransferError, match="declined by the receiver; it cannot become waiting for the board"
    ):
        accept_transfer(token=_token(declined), details=DETAILS)
    cancelled = cancel_transfer(request=ask(seller, investor_class), by=seller.user)
    assert cancelled.state == State.CANCELLED
    with pytest.raises(TransferError, match="cancel your own"):
        cancel_transfer(request=ask(seller, investor_class), by=factories.UserFactory())
    assert Holding.objects.get(holder=seller).shares == 1000 and LedgerEntry.objects.count() == 1


def test_a_tampered_link_is_refused(investor_class, seller):
    token = _token(ask(seller, investor_class))
    with pytest.raises(TransferError, match="not valid any more"):
        accept_transfer(token=token[:-2] + "xx", details=DETAILS)


def test_only_a_director_decides_and_a_refusal_needs_a_reason(
    society, investor_class, seller, django_capture_on_commit_callbacks
):
    request = accept_transfer(token=_token(ask(seller, investor_class)), details=DETAILS)
    with pytest.raises(CapitalError, match="Only a director"):
        approve_transfer(request=request, by=board_seat(society=society, role="treasurer"))
    director = board_seat(society=society, role="director")
    with pytest.raises(TransferError, match="Say why"):
        refuse_transfer(request=request, reason=" ", by=director)
    with django_capture_on_commit_callbacks(execute=True):
        refused = refuse_transfer(request=request, reason="the receiver is under 16", by=director)
    assert refused.state == State.REFUSED and Holding.objects.get(holder=seller).shares == 1000
    assert {message.to[0] for message in mail.outbox} == {seller.email, "rae@example.org"}
    assert all("Why: the receiver is under 16" in message.body for message in mail.outbox)


def test_the_holder_asks_and_the_receiver_accepts_on_their_pages(client, investor_class, seller):
    url = f"/account/transfers/{investor_class.pk}/"
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404, "someone without the holding sees nothing"
    client.force_login(seller.user)
    assert "Transfer Investor shares" in client.get(url).content.decode()
    refused = client.post(
        url, {"shares": "5000", "price": "0", "receiver_name": "Rae", "receiver_email": "rae@example.org"}
    )
    assert refused.status_code == 200 and "at most 1000" in refused.content.decode()
    too_dear = client.post(
        url, {"shares": "5", "price": "1e30", "receiver_name": "Rae", "receiver_email": "rae@example.org"}
    )
    assert too_dear.status_code == 200 and "no more than 14 digits" in too_dear.content.decode()
    sent = client.post(
        url, {"shares": "250", "price": "300", "receiver_name": "Rae", "receiver_email": "rae@example.org"}
    )
    assert sent.status_code == 302
    request = TransferRequest.objects.get()
    assert (request.shares, request.price) == (250, gbp("300.00"))

    client.logout()
    accept_url = f"/transfers/accept/{_token(request)}/"
    page = client.get(accept_url)
    assert (
        page.status_code == 200
        and "Sam Seller would like to transfer 250 Investor shares" in page.content.decode()
    )
    assert "carry no vote and no control right" in page.content.decode()
    request.refresh_from_db()
    assert request.state == State.AWAITING_RECEIVER, "opening the link changes nothing"
    missing = client.post(accept_url, {"answer": "accept", "name": "Rae", "postal_address": ""})
    assert missing.status_code == 200 and not Holder.objects.filter(name="Rae").exists()
    done = client.post(
        accept_url,
        {"answer": "accept", "name": "Rae", "postal_address": "1 Lane", "date_of_birth": "1990-01-01"},
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.state == State.AWAITING_BOARD and request.receiver.name == "Rae"
    assert client.get("/transfers/accept/nonsense/").status_code == 404


def test_the_board_approves_in_the_admin_after_reading_what_will_happen(
    client, society, investor_class, seller
):
    request = accept_transfer(token=_token(ask(seller, investor_class)), details=DETAILS)
    url = f"/admin/transferrequest/action/approve/{request.pk}/"
    client.force_login(board_seat(society=factories.SocietyFactory(), role="director"))
    assert client.get(url).status_code == 404
    client.force_login(board_seat(society=society, role="director"))
    page = client.get(url).content.decode()
    assert "400 Investor shares move on the register from Sam Seller to Rae Newcomer" in page
    assert "carry no vote and no control right" in page
    assert client.post(url).status_code == 302
    assert Holding.objects.get(holder=request.receiver).shares == 400


def test_a_forwarded_link_opened_by_someone_else_logged_in_never_moves_the_shares_to_them(
    investor_class, seller
):
    someone_else = factories.HolderFactory(email="else@example.org", user=factories.UserFactory())
    request = ask(seller, investor_class, email="rae@example.org")
    with pytest.raises(TransferError, match="Give your name, postal address and date of birth"):
        accept_transfer(token=_token(request), user=someone_else.user)
    request = accept_transfer(token=_token(request), user=someone_else.user, details=DETAILS)
    assert request.receiver != someone_else and request.receiver.email == "rae@example.org"
    assert request.receiver.user is None, "their login is not linked to a record with another address"


def test_a_receiver_who_died_after_accepting_is_not_given_the_shares(society, investor_class, seller):
    request = accept_transfer(token=_token(ask(seller, investor_class)), details=DETAILS)
    Holder.objects.filter(pk=request.receiver_id).update(died_on=datetime.date.today())
    with pytest.raises(TransferError, match="recorded as having died on .* refuse this transfer"):
        approve_transfer(request=request, by=board_seat(society=society, role="director"))
    request.refresh_from_db()
    assert request.state == State.AWAITING_BOARD
    assert not Holding.objects.filter(holder_id=request.receiver_id).exists()
    assert Holding.objects.get(holder=seller, share_class=investor_class).shares == 1000
