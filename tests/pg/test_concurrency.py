"""Real threads against real PostgreSQL: no overselling, no gaps, nothing doubled."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from capital.models import Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares, expire_reservations
from investors.errors import PaymentError, RunError
from investors.models import Application, Payment, Refund
from investors.payments.services import confirm_payment
from shares.models import Holding, LedgerEntry
from shares.services.register import issue_shares
from shares.services.verification import verify_register
from tests import factories
from tests.builders import unpaid_application
from tests.factories import gbp
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BANK = Application.PaymentMethod.BANK_TRANSFER


def test_fifty_concurrent_applicants_never_oversell_a_nearly_full_offer():
    offer = factories.OpenOfferFactory(maximum_target=gbp(10000), maximum_per_investor=gbp(10000))
    unpaid_application(offer=offer, holder=factories.HolderFactory(), shares=9500)  # 500 shares left
    holders = factories.HolderFactory.create_batch(60)

    outcomes = run_concurrently(
        lambda holder: unpaid_application(offer=offer, holder=holder, shares=20), holders
    )

    accepted = [outcome for outcome in outcomes if isinstance(outcome, Application)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, PaymentError)]
    assert len(accepted) + len(refused) == 60, [
        o for o in outcomes if not isinstance(o, Application | PaymentError)
    ]
    assert len(accepted) == 25
    assert all("shares are left" in str(e) or "fully subscribed" in str(e) for e in refused)
    assert Offer.objects.get(pk=offer.pk).shares_reserved == 10000
    assert Application.objects.filter(offer=offer).count() == 26

    for application in Application.objects.filter(offer=offer):
        confirm_payment(
            application=application,
            amount=application.amount,
            method=BANK,
            provider_reference=f"L{application.pk}",
        )
    result = allocate_offer(offer=close_offer(offer=offer))
    assert result.shares_issued == 10000
    assert sum(Holding.objects.values_list("shares", flat=True)) == 10000
    assert verify_register(offer.society).ok


def test_one_investor_applying_in_many_tabs_at_once_stays_within_the_per_investor_maximum():
    offer = factories.OpenOfferFactory(maximum_per_investor=gbp(2000))
    holder = factories.HolderFactory()

    outcomes = run_concurrently(
        lambda _: unpaid_application(offer=offer, holder=holder, shares=500), range(10)
    )

    assert sum(isinstance(outcome, Application) for outcome in outcomes) == 4
    assert all(isinstance(outcome, Application | PaymentError) for outcome in outcomes)
    assert Offer.objects.get(pk=offer.pk).shares_reserved == 2000


def test_concurrent_register_entries_are_numbered_without_gaps_and_chain():
    share_class = factories.CommunityClassFactory()
    holders = factories.HolderFactory.create_batch(30)

    def issue(holder):
        return issue_shares(
            society=share_class.society, holder=holder, share_class=share_class, shares=10, amount=gbp(10)
        )

    outcomes = run_concurrently(issue, holders)

    assert all(isinstance(outcome, LedgerEntry) for outcome in outcomes)
    sequences = sorted(LedgerEntry.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 31))
    assert verify_register(share_class.society).ok
    from shares.models import Certificate

    assert sorted(Certificate.objects.values_list("number", flat=True)) == list(range(1, 31))


def test_the_same_bank_line_recorded_from_many_places_at_once_is_kept_once():
    offer = factories.OpenOfferFactory()
    application = unpaid_application(offer=offer, holder=factories.HolderFactory(), shares=100)

    def pay(_):
        return confirm_payment(
            application=application, amount=gbp(100), method=BANK, provider_reference="LINE-1"
        )

    outcomes = run_concurrently(pay, range(12))

    assert all(isinstance(outcome, Payment) for outcome in outcomes), outcomes
    assert Payment.objects.count() == 1 and not Refund.objects.exists()
    assert Application.objects.get(pk=application.pk).state == Application.State.PAID


def test_applications_and_expiry_running_together_do_not_deadlock_or_lose_shares():
    import datetime

    from django.utils import timezone

    offer = factories.OpenOfferFactory(maximum_target=gbp(10000))
    old = timezone.now() - datetime.timedelta(days=8)
    for holder in factories.HolderFactory.create_batch(5):
        apply_for_shares(offer=offer, holder=holder, payment_method=BANK, shares=1500, now=old)
    holders = factories.HolderFactory.create_batch(20)

    def work(item):
        if item is None:
            return expire_reservations()
        return unpaid_application(offer=offer, holder=item, shares=400)

    outcomes = run_concurrently(work, [*holders[:10], None, *holders[10:], None])

    assert all(isinstance(outcome, int | Application | PaymentError) for outcome in outcomes), outcomes
    live = Application.objects.filter(offer=offer, holds_reservation=True)
    assert Offer.objects.get(pk=offer.pk).shares_reserved == sum(live.values_list("shares", flat=True))
    assert Offer.objects.get(pk=offer.pk).shares_reserved <= 10000


def test_postgresql_trigger_refuses_to_change_or_delete_a_ledger_entry():
    share_class = factories.CommunityClassFactory()
    entry = issue_shares(
        society=share_class.society,
        holder=factories.HolderFactory(),
        share_class=share_class,
        shares=5,
        amount=gbp(5),
    )
    for sql in (
        "UPDATE shares_ledgerentry SET shares = 500 WHERE id = %s",
        "DELETE FROM shares_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises((IntegrityError, InternalError), match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).shares == 5


def test_one_bank_line_claimed_for_two_applications_at_once_is_kept_for_one_only():
    offer = factories.OpenOfferFactory()
    applications = [
        unpaid_application(offer=offer, holder=factories.HolderFactory(), shares=100) for _ in range(2)
    ]

    def pay(index):
        return confirm_payment(
            application=applications[index % 2], amount=gbp(100), method=BANK, provider_reference="LINE-9"
        )

    outcomes = run_concurrently(pay, range(10))

    assert all(isinstance(outcome, Payment | PaymentError) for outcome in outcomes), outcomes
    payment = Payment.objects.get()
    assert all(
        outcome.pk == payment.pk
        if isinstance(outcome, Payment)
        else "LINE-9 is already recorded" in str(outcome)
        for outcome in outcomes
    )
    assert Application.objects.filter(state=Application.State.PAID).count() == 1


def test_no_application_slips_in_while_a_scale_back_offer_is_closed_and_allocated():
    from capital.models import Offer as OfferModel

    offer = factories.OpenOfferFactory(policy=OfferModel.Policy.SCALE_BACK, minimum_target=gbp(10))
    holders = factories.HolderFactory.create_batch(30)

    def work(item):
        if item is None:
            return allocate_offer(offer=close_offer(offer=offer))
        return unpaid_application(offer=offer, holder=item, shares=10)

    outcomes = run_concurrently(work, [*holders[:15], None, *holders[15:]])

    assert all(
        not isinstance(outcome, Exception) or isinstance(outcome, PaymentError) for outcome in outcomes
    )
    assert Offer.objects.get(pk=offer.pk).state in (Offer.State.ALLOCATED, Offer.State.FAILED)
    assert not Application.objects.filter(offer=offer, state=Application.State.AWAITING_PAYMENT).exists()


def test_card_payments_racing_for_the_last_shares_each_end_in_shares_or_a_refund(stripe_server):
    import datetime

    from django.utils import timezone

    from investors.payments import gateway
    from investors.payments.cards import record_intent

    offer = factories.OpenOfferFactory(maximum_target=gbp(10000))
    lapsed_at = timezone.now() - datetime.timedelta(days=8)
    card_applications = [
        apply_for_shares(
            offer=offer, holder=factories.HolderFactory(), payment_method="card", shares=1000, now=lapsed_at
        )
        for _ in range(10)
    ]
    expire_reservations()
    for holder in factories.HolderFactory.create_batch(5):
        unpaid_application(
            offer=offer, holder=holder, shares=1000
        )  # half the offer is taken again while the cards were out
    intents = [
        stripe_server.charge_outside(100000, application_id=str(application.pk))["id"]
        for application in card_applications
    ]

    outcomes = run_concurrently(lambda intent_id: record_intent(gateway.retrieve_intent(intent_id)), intents)

    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert Offer.objects.get(pk=offer.pk).shares_reserved == 10000
    states = [Application.objects.get(pk=a.pk).state for a in card_applications]
    assert states.count(Application.State.PAID) == 5
    assert states.count(Application.State.REFUNDED) == 5
    for application in card_applications:
        if Application.objects.get(pk=application.pk).state == Application.State.REFUNDED:
            refund = Refund.objects.get(application=application)
            intent = stripe_server.intent(application.card_payments.get().intent_id)
            assert (
                refund.paid_reference.startswith("re_")
                and intent["latest_charge"]["amount_refunded"] == 100000
            )


def test_two_directors_approving_the_same_run_at_once_change_the_register_once():
    import datetime
    from decimal import Decimal

    from capital.models import ReturnSchedule
    from capital.services import appoint_board_member
    from investors.models import DistributionRun
    from investors.runs.services import approve_run, start_run

    share_class = factories.InvestorClassFactory()
    ReturnSchedule.objects.create(
        share_class=share_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=Decimal("100"),
        cap_multiple=Decimal("1.5"),
    )
    holder = factories.HolderFactory()
    issue_shares(
        society=share_class.society,
        holder=holder,
        share_class=share_class,
        shares=1000,
        amount=gbp(1000),
        effective_date=datetime.date(2021, 1, 1),
    )
    run = start_run(share_class=share_class, year=1, surplus=Decimal("5000"))  # caps the holding
    directors = factories.UserFactory.create_batch(6)
    for director in directors:
        appoint_board_member(society=share_class.society, user=director, role="director")

    outcomes = run_concurrently(lambda director: approve_run(run=run, by=director), directors)

    approved = [outcome for outcome in outcomes if isinstance(outcome, DistributionRun)]
    assert len(approved) == 1, outcomes
    assert all(isinstance(outcome, DistributionRun | RunError) for outcome in outcomes), outcomes
    cancellations = LedgerEntry.objects.filter(society=share_class.society, kind="cancellation")
    assert cancellations.count() == 1
    assert verify_register(share_class.society).ok
