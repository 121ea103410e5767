from investors.applications.services import apply_for_shares
from investors.models import Application
from tests import factories

CARD = Application.PaymentMethod.CARD


def card_application(offer, shares=250, holder=None, **kwargs):
    return apply_for_shares(
        offer=offer, holder=holder or factories.HolderFactory(), payment_method=CARD, shares=shares, **kwargs
    )
