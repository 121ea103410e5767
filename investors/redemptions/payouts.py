"""Who a class's approved redemptions cannot pay by bank file yet: holders who gave no payout
account. The rule is `investors.payouts.resolution`'s, as for distribution and surplus runs:
the payment file and recording a redemption paid wait until each is resolved (the account
given, paid another way, or held)."""

from django.db import transaction
from django.db.models import QuerySet

from capital import permissions
from capital.models import ShareClass
from capital.money import format_money
from capital.services import record_audit
from investors.errors import RedemptionError
from investors.models import RedemptionRequest
from investors.models.payouts import Payout
from investors.payouts.resolution import put_back_in_file, refuse_while_unresolved, set_resolution, unresolved

State = RedemptionRequest.State
WHERE = "from the class's redemptions"


def approved_unpaid(share_class: ShareClass) -> QuerySet:
    """The redemptions the society owes money for, first asked first."""
    return RedemptionRequest.objects.filter(share_class=share_class, state=State.APPROVED).order_by(
        "requested_at", "pk"
    )


def redemptions_without_payout_account(share_class: ShareClass) -> list[RedemptionRequest]:
    return unresolved(approved_unpaid(share_class))


def refuse_while_accounts_missing(owed: QuerySet, doing: str) -> None:
    refuse_while_unresolved(owed, doing=doing, where=WHERE, error=RedemptionError)


def refuse_payment_while_unresolved(request: RedemptionRequest) -> None:
    """Recording one redemption paid: refused while it is held, or meant for the payment file
    with no account to pay it to."""
    if request.payout == Payout.HELD:
        raise RedemptionError(
            f"{request.holder}'s redemption is held until they give a payout account: put it back in "
            "the payment file once they have, or record it paid another way."
        )
    refuse_while_accounts_missing(RedemptionRequest.objects.filter(pk=request.pk), "recording it paid")


def resolve_redemption_payout(*, request: RedemptionRequest, payout: str, note: str, by) -> RedemptionRequest:
    """Take one approved redemption out of the payment file: paid another way, or held. Audited."""
    permissions.require(by, "pay_redemptions", request.share_class.society)
    with transaction.atomic():
        request = _locked_approved(request)
        set_resolution(request, payout=payout, note=note, error=RedemptionError)
        _audit(request, by, f"{request.get_payout_display().lower()}: {request.payout_note}")
    return request


def return_redemption_to_file(*, request: RedemptionRequest, by) -> RedemptionRequest:
    """Put a held redemption back in the payment file (the holder has given an account). Audited."""
    permissions.require(by, "pay_redemptions", request.share_class.society)
    with transaction.atomic():
        request = _locked_approved(request)
        put_back_in_file(request, error=RedemptionError)
        _audit(request, by, "back in the payment file")
    return request


def _locked_approved(request: RedemptionRequest) -> RedemptionRequest:
    request = (
        RedemptionRequest.objects.select_for_update(of=("self",))
        .select_related("holder", "share_class__society")
        .get(pk=request.pk)
    )
    if request.state != State.APPROVED:
        raise RedemptionError(
            "Payments are resolved on an approved redemption not yet recorded as paid; "
            f"this one is {request.get_state_display().lower()}."
        )
    return request


def _audit(request: RedemptionRequest, by, what: str) -> None:
    record_audit(
        society=request.share_class.society,
        actor=by,
        action="redemption.payout",
        summary=f"{request.holder}: redemption of {format_money(request.amount)} {what}",
        redemption=request.pk,
        payout=request.payout,
    )
