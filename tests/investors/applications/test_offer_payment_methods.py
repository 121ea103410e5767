"""An offer chooses the ways it may be paid, and carries its own risk warning."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from capital.models import Offer
from investors.errors import PaymentError
from investors.models import Application
from investors.payments.services import accepted_payment_methods
from tests import factories
from tests.builders import unpaid_application

BANK = Application.PaymentMethod.BANK_TRANSFER
CARD = Application.PaymentMethod.CARD


@pytest.fixture
def cards_configured(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_commonshare"


def test_an_offer_that_takes_cards_only_offers_no_bank_transfer(open_offer, cards_configured):
    Offer.objects.filter(pk=open_offer.pk).update(accepts_bank_transfer=False)
    open_offer.refresh_from_db()
    assert [method for method, _ in accepted_payment_methods(open_offer)] == [CARD]
    with pytest.raises(PaymentError, match="does not take payment by bank transfer"):
        unpaid_application(offer=open_offer, shares=100, method="bank")
    assert not Application.objects.exists()


def test_an_offer_that_takes_bank_transfers_only_offers_no_card(open_offer, cards_configured):
    Offer.objects.filter(pk=open_offer.pk).update(accepts_card=False)
    open_offer.refresh_from_db()
    assert [method for method, _ in accepted_payment_methods(open_offer)] == [BANK]
    with pytest.raises(PaymentError, match="does not take payment by card"):
        unpaid_application(offer=open_offer, shares=100, method="card")


def test_an_offer_must_take_some_payment(open_offer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=open_offer.pk).update(accepts_bank_transfer=False, accepts_card=False)


def test_the_apply_form_shows_only_the_methods_the_offer_takes_and_its_own_risks(
    client, open_offer, cards_configured
):
    Offer.objects.filter(pk=open_offer.pk).update(
        accepts_card=False, risk_warning="The school roofs may need repairs before panels go on."
    )
    client.force_login(factories.UserFactory())
    page = client.get(reverse("invest:apply", kwargs={"offer_id": open_offer.pk})).content.decode()
    assert f'value="{BANK}"' in page and f'value="{CARD}"' not in page
    assert "The school roofs may need repairs before panels go on." in page
