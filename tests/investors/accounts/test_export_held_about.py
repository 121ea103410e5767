"""The personal-data export holds everything kept about the person beyond their register
record: the audit entries about them, their Stripe customer and card records, the bank lines that
paid them, their requests and nominations, their login addresses and two-factor devices (never a
secret), and nothing of anyone else's."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from investors.accounts.services import correct_personal_details
from investors.models import Application, CardPayment, Nomination, Nominee, StripeCustomer
from investors.payments.bank_import import import_bank_statement
from tests import factories
from tests.builders import unpaid_application
from tests.factories.capital import TOTP_SECRET

pytestmark = pytest.mark.django_db


def investor(name: str):
    user = factories.UserFactory()
    holder = factories.HolderFactory(name=name, email=user.email, user=user)
    return user, holder


def export_of(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("account:export"))
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def ada_and_bob(open_offer):
    """Ada and Bob each paid an application by bank transfer, both on one imported statement;
    Ada also saved a card with Stripe and corrected her address."""
    ada, ada_holder = investor("Ada Lovelace")
    bob, bob_holder = investor("Bob Bystander")
    ada_pays = unpaid_application(offer=open_offer, shares=100, holder=ada_holder)
    bob_pays = unpaid_application(offer=open_offer, shares=200, holder=bob_holder)
    import_bank_statement(
        society=open_offer.society,
        text=(
            "Reference,Date,Amount,Counterparty\n"
            f"{ada_pays.payment_reference},2026-11-21,100.00,A LOVELACE\n"
            f"{bob_pays.payment_reference},2026-11-21,200.00,B BYSTANDER\n"
        ),
        source_name="november.csv",
    )
    StripeCustomer.objects.create(holder=ada_holder, customer_id="cus_ada123")
    StripeCustomer.objects.create(holder=bob_holder, customer_id="cus_bob456")
    card = unpaid_application(
        offer=open_offer, shares=50, holder=ada_holder, method=Application.PaymentMethod.CARD
    )
    CardPayment.objects.create(
        application=card,
        amount=card.amount,
        intent_id="pi_ada789",
        payment_method_id="pm_ada789",
        status="succeeded",
    )
    correct_personal_details(
        user=ada,
        name="Ada Lovelace",
        postal_address="12 New Road, Hebden Bridge",
        date_of_birth=ada_holder.date_of_birth,
    )
    return (ada, ada_holder, ada_pays), (bob, bob_holder, bob_pays)


def test_the_export_holds_the_stripe_customer_and_card_records(client, ada_and_bob):
    (ada, _, _), _ = ada_and_bob

    data = export_of(client, ada)

    assert data["stripe_customer_id"] == "cus_ada123"
    [card] = data["card_records"]
    assert (card["payment_intent"], card["payment_method"], card["status"]) == (
        "pi_ada789",
        "pm_ada789",
        "succeeded",
    )


def test_the_export_holds_the_bank_lines_that_paid_the_person_and_no_one_else(client, ada_and_bob):
    (ada, _, ada_pays), _ = ada_and_bob

    data = export_of(client, ada)

    [line] = data["bank_lines"]
    assert line["payment_reference"] == ada_pays.payment_reference
    assert line["amount"] == {"amount": "100.00", "currency": "GBP"}
    assert line["date"] == "2026-11-21" and line["status"] == "matched"
    assert line["statement_file"] == "november.csv"
    assert line["other_columns"] == {"counterparty": "A LOVELACE"}


def test_the_export_holds_the_audit_entries_about_the_person(client, ada_and_bob):
    (ada, ada_holder, ada_pays), _ = ada_and_bob

    entries = export_of(client, ada)["audit_entries"]

    actions = [entry["action"] for entry in entries]
    assert "holder.corrected" in actions  # her own correction, made by her
    assert [entry["by_you"] for entry in entries if entry["action"] == "holder.corrected"] == [True]
    assert any(ada_pays.payment_reference in entry["summary"] for entry in entries)  # her payment recorded


def test_the_export_names_nothing_of_another_investor(client, ada_and_bob):
    (ada, _, _), (_, _, bob_pays) = ada_and_bob

    client.force_login(ada)
    text = client.get(reverse("account:export")).content.decode()

    for theirs in ("Bob Bystander", "B BYSTANDER", "cus_bob456", bob_pays.payment_reference):
        assert theirs not in text


def test_the_export_holds_nominations_requests_login_addresses_and_two_factor_but_no_secret(client, society):
    user, holder = investor("Ada Lovelace")
    nomination = Nomination.objects.create(holder=holder, society=society, made_at=timezone.now())
    Nominee.objects.create(
        nomination=nomination,
        name="Sam Lovelace",
        postal_address="1 High Street",
        date_of_birth=datetime.date(2001, 2, 3),
        relationship=Nominee.Relationship.CHILD,
        percent=100,
    )
    factories.give_two_factor(user)

    data = export_of(client, user)

    [nominated] = data["nominations"]
    assert nominated["nominees"][0]["name"] == "Sam Lovelace"
    assert nominated["nominees"][0]["date_of_birth"] == "2001-02-03"
    assert [device["type"] for device in data["two_factor"]] == ["totp"]
    assert TOTP_SECRET not in json.dumps(data)
    assert data["transfer_requests"] == [] and data["redemption_requests"] == []


def test_an_account_without_a_register_record_still_gets_its_audit_entries_and_devices(client, db):
    user = factories.UserFactory()
    factories.give_two_factor(user)

    data = export_of(client, user)

    assert data["holder"] is None
    assert [device["type"] for device in data["two_factor"]] == ["totp"]
    assert data["audit_entries"] == []
    assert "stripe_customer_id" not in data
