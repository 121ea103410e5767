"""Reconciliation: everything received ends as shares or a refund, here and in Stripe."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from capital.models import Offer, Society
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares
from investors.models import Application, Refund
from investors.payments.bank_import import import_bank_statement
from investors.payments.reconciliation import reconcile
from investors.payments.refunds import mark_refund_paid
from investors.payments.services import confirm_payment
from tests import factories
from tests.builders import pay_with_card, unpaid_application
from tests.conftest import run_raw_sql


def test_a_clean_offer_reconciles(stripe_server, open_offer, django_capture_on_commit_callbacks):
    pay_with_card(
        stripe_server=stripe_server,
        application=unpaid_application(offer=open_offer, shares=1500, method="card"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        allocate_offer(offer=close_offer(offer=open_offer))
    report = reconcile(open_offer.society)
    assert report.ok, report.problems
    assert (report.checked_payments, report.checked_intents) == (1, 1)


def test_reconcile_reports_each_kind_of_loose_end(stripe_server, open_offer):
    bank = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method="bank_transfer", shares=200
    )
    confirm_payment(application=bank, amount=bank.amount, method="bank_transfer", provider_reference="L1")
    confirm_payment(
        application=bank, amount=bank.amount, method="bank_transfer", provider_reference="L2"
    )  # twice
    import_bank_statement(
        society=open_offer.society, text="date,amount,reference\n2026-11-20,75.00,MYSTERY\n"
    )
    stranger = stripe_server.charge_outside(4200)
    card = unpaid_application(offer=open_offer, shares=300, method="card")
    pay_with_card(stripe_server=stripe_server, application=card)
    run_raw_sql("UPDATE investors_payment SET amount = 299 WHERE method = 'card'")

    problems = reconcile(open_offer.society).problems

    assert any(bank.payment_reference in p and "refund of £200.00 still owed" in p for p in problems)
    assert any("'MYSTERY'" in p and "No application has this reference" in p for p in problems)
    assert any(stranger["id"] in p and "£42.00 is unknown here" in p for p in problems)
    assert any("is £300.00 in Stripe but £299.00 here" in p for p in problems)
    assert len(problems) == 4


def test_a_paid_application_left_behind_by_an_allocated_offer_is_reported(open_offer):
    application = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method="bank_transfer", shares=1000
    )
    confirm_payment(
        application=application, amount=application.amount, method="bank_transfer", provider_reference="L"
    )
    Offer.objects.filter(pk=open_offer.pk).update(state=Offer.State.ALLOCATED)
    assert reconcile(open_offer.society).problems == [
        f"{application.payment_reference} (L): paid, but neither allocated nor refunded"
    ]


def test_reconcile_command_exits_non_zero_until_the_treasurer_has_refunded(open_offer):
    application = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method="bank_transfer", shares=100
    )
    confirm_payment(
        application=application, amount=application.amount, method="bank_transfer", provider_reference="L"
    )
    allocate_offer(offer=close_offer(offer=open_offer))  # misses its minimum: fails
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 payments need attention"):
        call_command("reconcile", open_offer.society.slug, stdout=out)
    assert "refund of £100.00 still owed" in out.getvalue()
    mark_refund_paid(refund=Refund.objects.get(), paid_reference="BACS-1")
    call_command("reconcile", open_offer.society.slug, stdout=out)
    assert Application.objects.get().state == Application.State.REFUNDED


def test_demo_after_a_scripted_mix_of_payments(stripe_server, db):
    """The demo society after card, bank, declined, refunded and stray payments."""
    call_command("load_demo", stdout=io.StringIO())
    society = Society.objects.get(slug="riverside-energy")
    offer = Offer.objects.get(share_class__society=society, state=Offer.State.OPEN)
    assert reconcile(society).ok

    paid_by_card = unpaid_application(offer=offer, shares=1000, method="card")
    pay_with_card(stripe_server=stripe_server, application=paid_by_card)
    declined = unpaid_application(offer=offer, shares=500, method="card")
    assert (
        pay_with_card(stripe_server=stripe_server, application=declined, kind="declined").status == "declined"
    )
    dev = Application.objects.get(offer=offer, holder__email="dev@example.org")
    import_bank_statement(
        society=society,
        text=(
            "date,amount,reference\n"
            f"2026-11-21,10000.00,{dev.payment_reference}\n"
            "2026-11-21,30.00,UNKNOWN PAYER\n"
        ),
    )
    stripe_server.refund_outside(paid_by_card.card_payments.get().intent_id, 10000)
    stray = stripe_server.charge_outside(2500)

    problems = reconcile(society).problems
    assert any("'UNKNOWN PAYER'" in p for p in problems)
    assert any(stray["id"] in p and "£25.00 is unknown here" in p for p in problems)
    assert any("£100.00 refunded in Stripe but £0.00 here" in p for p in problems)
    assert len(problems) == 3, problems


def test_shares_left_standing_after_a_refund_outside_or_a_dispute_are_reported(
    stripe_server, open_offer, client
):
    from investors.models import WebhookEvent
    from tests.stripe_server import signed_event

    refunded, disputed = (
        unpaid_application(offer=open_offer, shares=600, method="card"),
        unpaid_application(offer=open_offer, shares=600, method="card"),
    )
    for application in (refunded, disputed):
        pay_with_card(stripe_server=stripe_server, application=application)
    intent_id = refunded.card_payments.get().intent_id
    stripe_server.refund_outside(intent_id, 60000)
    for event_type, obj in (
        ("charge.refunded", stripe_server.intent(intent_id)["latest_charge"]),
        ("charge.dispute.created", {"id": "dp_1", "payment_intent": disputed.card_payments.get().intent_id}),
    ):
        payload, signature = signed_event(event_type, obj)
        client.post(
            "/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
    WebhookEvent.objects.create(event_id="evt_stuck", type="payment_intent.succeeded", payload={})
    WebhookEvent.objects.filter(event_id="evt_stuck").update(received_at="2026-01-01T00:00:00Z")

    problems = reconcile(open_offer.society).problems
    assert any(
        refunded.payment_reference in p and "refunded in Stripe outside the platform" in p for p in problems
    )
    assert any(disputed.payment_reference in p and "disputed" in p for p in problems)
    # An event that names no payment of the society's is the platform's to look into, not its.
    assert not any("evt_stuck" in p for p in problems)
    assert any("evt_stuck" in p and "never processed" in p for p in reconcile().problems)
