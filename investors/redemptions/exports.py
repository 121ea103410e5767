"""The bank's payment file for the redemptions a director approved and the treasurer has yet to
pay: one row per request, from the stored amounts."""

from investors.errors import RedemptionError
from investors.models import RedemptionRequest
from investors.runs.exports import payment_file_text, payment_row


def redemption_payment_file_csv(share_class) -> str:
    """Every approved, unpaid redemption of the class (reference `REDEEM R<request>`)."""
    requests = (
        RedemptionRequest.objects.filter(share_class=share_class, state=RedemptionRequest.State.APPROVED)
        .select_related("holder__payout_account")
        .order_by("requested_at", "pk")
    )
    if not requests.exists():
        raise RedemptionError(f"No approved redemption of {share_class.name} is waiting to be paid.")
    return payment_file_text(
        payment_row(request.holder, request.amount.amount, f"REDEEM R{request.pk}") for request in requests
    )
