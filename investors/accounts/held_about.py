"""What else the platform holds about a person, for their personal-data export: the audit
entries about them or made by them, their Stripe customer and card records, the bank statement
lines that paid (or were matched to) their applications, their requests to transfer or redeem
shares, their nominations, and their two-factor devices (never the secrets).

Nothing here names another person beyond what the person gave us themselves (a nominee, the
receiver of a transfer they asked for)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Q

from capital.models import AuditEntry
from investors.models import (
    Application,
    BankStatementLine,
    CardPayment,
    Nomination,
    RedemptionRequest,
    StripeCustomer,
    TransferRequest,
    WithdrawalRequest,
)
from shares.models import Holder


def held_about(user, holder: Holder | None) -> dict:
    data = {
        "login_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "two_factor": [
            {
                "type": authenticator.type,
                "created_at": authenticator.created_at,
                "last_used_at": authenticator.last_used_at,
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "audit_entries": _audit_entries(user, holder),
    }
    if holder is None:
        return data
    customer = StripeCustomer.objects.filter(holder=holder).first()
    data["stripe_customer_id"] = customer.customer_id if customer else None
    data["card_records"] = [
        {
            "payment_reference": card.application.payment_reference,
            "payment_intent": card.intent_id,
            "payment_method": card.payment_method_id,
            "status": card.status,
            "failure_message": card.failure_message,
            "created_at": card.created_at,
        }
        for card in CardPayment.objects.filter(application__holder=holder).select_related("application")
    ]
    data["bank_lines"] = _bank_lines(holder)
    data["transfer_requests"] = [
        {
            "society": transfer.share_class.society.name,
            "share_class": transfer.share_class.name,
            "shares": transfer.shares,
            "direction": "out" if transfer.holder_id == holder.pk else "in",
            # The receiver is named only to the holder who named them.
            "receiver_name": transfer.receiver_name if transfer.holder_id == holder.pk else None,
            "receiver_email": transfer.receiver_email if transfer.holder_id == holder.pk else None,
            "state": transfer.state,
            "requested_at": transfer.requested_at,
            "decided_at": transfer.decided_at,
            "refusal_reason": transfer.refusal_reason,
        }
        for transfer in TransferRequest.objects.filter(Q(holder=holder) | Q(receiver=holder))
        .select_related("share_class__society")
        .order_by("requested_at", "pk")
    ]
    data["redemption_requests"] = [
        {
            "society": redemption.share_class.society.name,
            "share_class": redemption.share_class.name,
            "shares": redemption.shares,
            "amount": {"amount": redemption.amount.amount, "currency": str(redemption.amount.currency)},
            "state": redemption.state,
            "requested_at": redemption.requested_at,
            "decided_at": redemption.decided_at,
            "paid_on": redemption.paid_on,
            "refusal_reason": redemption.refusal_reason,
        }
        for redemption in RedemptionRequest.objects.filter(holder=holder).select_related(
            "share_class__society"
        )
    ]
    data["nominations"] = [
        {
            "society": nomination.society.name,
            "state": nomination.state,
            "made_at": nomination.made_at,
            "ended_at": nomination.ended_at,
            "nominees": [
                {
                    "name": nominee.name,
                    "postal_address": nominee.postal_address,
                    "email": nominee.email,
                    "date_of_birth": nominee.date_of_birth,
                    "relationship": nominee.relationship,
                    "percent": nominee.percent,
                }
                for nominee in nomination.nominees.all()
            ],
        }
        for nomination in Nomination.objects.filter(holder=holder)
        .select_related("society")
        .prefetch_related("nominees")
    ]
    return data


def _audit_entries(user, holder: Holder | None) -> list[dict]:
    """Entries made by the person, or about their register record, applications, money and
    requests (audit entries name what they concern in their data)."""
    about = Q(actor=user) | Q(data__user=user.pk)
    if holder is not None:
        applications = list(Application.objects.filter(holder=holder).values_list("pk", flat=True))
        about |= (
            Q(data__holder=holder.pk)
            | Q(data__application__in=applications)
            | Q(
                data__withdrawal__in=list(
                    WithdrawalRequest.objects.filter(holder=holder).values_list("pk", flat=True)
                )
            )
            | Q(
                data__transfer__in=list(
                    TransferRequest.objects.filter(holder=holder).values_list("pk", flat=True)
                )
            )
            | Q(
                data__redemption__in=list(
                    RedemptionRequest.objects.filter(holder=holder).values_list("pk", flat=True)
                )
            )
            | Q(
                data__nomination__in=list(
                    Nomination.objects.filter(holder=holder).values_list("pk", flat=True)
                )
            )
        )
    entries = AuditEntry.objects.filter(about).select_related("society").order_by("recorded_at", "pk")
    return [
        {
            "society": entry.society.name,
            "recorded_at": entry.recorded_at,
            "action": entry.action,
            "summary": entry.summary,
            "by_you": entry.actor_id == user.pk,
        }
        for entry in entries
    ]


def _bank_lines(holder: Holder) -> list[dict]:
    """Statement lines matched to the person's applications: what the bank said about their money."""
    lines = (
        BankStatementLine.objects.filter(
            Q(application__holder=holder) | Q(payment__application__holder=holder)
        )
        .select_related("society", "application")
        .distinct()
        .order_by("date", "pk")
    )
    return [
        {
            "society": line.society.name,
            "date": line.date,
            "amount": {"amount": line.amount.amount, "currency": str(line.amount.currency)},
            "reference": line.reference,
            "statement_file": line.source_name,
            "other_columns": line.other_columns,
            "status": line.status,
            "note": line.note,
            "payment_reference": line.application.payment_reference if line.application else None,
            "imported_at": line.imported_at,
        }
        for line in lines
    ]
