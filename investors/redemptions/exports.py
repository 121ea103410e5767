"""The bank's payment file for the redemptions a director approved and the treasurer has yet to
pay: one row per request, from the stored amounts."""

from investors.errors import RedemptionError
from investors.models.payouts import Payout
from investors.redemptions.payouts import approved_unpaid, refuse_while_accounts_missing
from investors.runs.exports import payment_file_text, payment_row


def redemption_payment_file_csv(share_class) -> str:
    """Every approved, unpaid redemption of the class (reference `REDEEM R<request>`), except
    those paid another way or held; refused while a holder in it has no payout account."""
    owed = approved_unpaid(share_class)
    if not owed.exists():
        raise RedemptionError(f"No approved redemption of {share_class.name} is waiting to be paid.")
    refuse_while_accounts_missing(owed, "making the payment file")
    requests = owed.filter(payout=Payout.BANK_FILE).select_related("holder__payout_account")
    if not requests.exists():
        raise RedemptionError(
            f"Every approved redemption of {share_class.name} is paid another way or held; "
            "none is waiting for the payment file."
        )
    return payment_file_text(
        payment_row(request.holder, request.amount.amount, f"REDEEM R{request.pk}") for request in requests
    )
