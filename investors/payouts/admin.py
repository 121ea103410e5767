"""The two admin actions of every row a payment file pays (a run's line, a surplus dividend, a
redemption): "Pay another way or hold" and "Put back in the payment file"."""

from collections.abc import Callable

from capital.admin_actions import ObjectAction
from investors.models.payouts import Payout
from investors.payouts.forms import ResolvePayoutForm


def payout_actions(
    *,
    permission: str,
    society_of: Callable,
    decided: Callable,
    owed: Callable[..., str],
    what: str,
    resolve: Callable,
    back_to_file: Callable,
) -> tuple[ObjectAction, ObjectAction]:
    """`decided(row)`: the row's run or request is approved and owes money by the file;
    `owed(row)`: who is owed what, in a sentence; `what`: the row's name in the confirmation
    ("payment", "dividend"); `resolve(row, payout=, note=, by=)` and `back_to_file(row, by=)`: the
    feature's own services."""

    def preview(row) -> list[str]:
        return [
            owed(row),
            "A payment paid another way or held leaves the payment file. If they give an account "
            "later, put a held payment back in the file.",
        ]

    def perform_resolve(row, by, data) -> str:
        row = resolve(row, payout=data["payout"], note=data["note"], by=by)
        return f"{row.holder.name}'s {what} is {row.get_payout_display().lower()}."

    def perform_back(row, by, data) -> str:
        row = back_to_file(row, by=by)
        return f"{row.holder.name}'s {what} is back in the payment file."

    return (
        ObjectAction(
            name="resolve-payout",
            label="Pay another way or hold",
            permission=permission,
            society_of=society_of,
            applies=lambda row: decided(row) and row.payout == Payout.BANK_FILE,
            preview=preview,
            perform=perform_resolve,
            form_class=ResolvePayoutForm,
            icon="warning",
        ),
        ObjectAction(
            name="back-to-file",
            label="Put back in the payment file",
            permission=permission,
            society_of=society_of,
            applies=lambda row: decided(row) and row.payout == Payout.HELD,
            preview=preview,
            perform=perform_back,
            icon="undo",
        ),
    )
