"""What an investor sees of their own data: the dashboard, and the export of everything we hold.

Both read only through the holder linked to the logged-in user, so nobody can see anyone
else's data however the request is made. The dashboard runs a fixed number of queries whatever
the number of applications, holdings or documents (one per kind of row).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer
from capital.returns import cap_amount
from investors.accounts.held_about import held_about
from investors.accounts.portfolio import Portfolio, portfolio_of
from investors.applications.withdrawal import may_be_withdrawn
from investors.models import (
    Application,
    CardPayment,
    DistributionLine,
    DistributionRun,
    Document,
    InterestElection,
    Nomination,
    Payment,
    PayoutAccount,
    RedemptionRequest,
    Refund,
    TransferRequest,
    WithdrawalRequest,
)
from investors.payouts.accounts import PayoutDetails, details_from
from shares.models import Certificate, Holder, Holding, LedgerEntry
from shares.services.holders import holder_for_user

RunState = DistributionRun.State


@dataclass(frozen=True)
class ApplicationSummary:
    application: Application
    last_card_payment: CardPayment | None

    @property
    def payable_by_card(self) -> bool:
        return (
            self.application.payment_method == Application.PaymentMethod.CARD
            and self.application.state == Application.State.AWAITING_PAYMENT
        )

    @property
    def awaiting_bank_transfer(self) -> bool:
        return (
            self.application.payment_method == Application.PaymentMethod.BANK_TRANSFER
            and self.application.state == Application.State.AWAITING_PAYMENT
        )

    @property
    def withdrawable(self) -> bool:
        """Unpaid in an offer still running: its investor may withdraw it (and free its shares)."""
        return may_be_withdrawn(self.application)


@dataclass(frozen=True)
class HoldingSummary:
    """One holding with what its share class has paid on it. `received` counts runs the
    treasurer has marked paid; `due` runs the board approved that are not paid yet."""

    holding: Holding
    received: Money
    due: Money
    repaid: Money
    cumulative: Decimal
    cap: Decimal | None
    status: str
    has_returns: bool
    offers: tuple = ()  # the offers it was allotted in, each with its public page when there is one

    @property
    def society(self):
        return self.holding.share_class.society

    @property
    def withdrawable(self) -> bool:
        return self.holding.share_class.withdrawable and self.holding.shares > 0

    @property
    def transferable(self) -> bool:
        return self.holding.share_class.transferable and self.holding.shares > 0

    @property
    def redeemable(self) -> bool:
        share_class = self.holding.share_class
        return share_class.redemption_minimum_holding_years is not None and self.holding.shares > 0

    @property
    def cap_money(self) -> Money | None:
        return None if self.cap is None else self.society.money(self.cap)

    @property
    def cumulative_money(self) -> Money:
        return self.society.money(self.cumulative)

    @property
    def cap_percent(self) -> int | None:
        if not self.cap:
            return None
        return min(100, int(self.cumulative * 100 / self.cap))


@dataclass(frozen=True)
class Dashboard:
    holder: Holder | None
    applications: list[ApplicationSummary]
    payments: list[Payment]
    refunds: list[Refund]
    holdings: list[HoldingSummary]
    certificates: list[Certificate]
    documents: list[Document]
    elections: list[InterestElection]
    payout_account: PayoutAccount | None
    withdrawals: list[WithdrawalRequest]
    transfers: list[TransferRequest] = field(default_factory=list)
    redemptions: list[RedemptionRequest] = field(default_factory=list)
    nominations: list[Nomination] = field(default_factory=list)

    @property
    def payout_details(self) -> PayoutDetails:
        return details_from(self.payout_account)

    @property
    def portfolio(self) -> Portfolio:
        return portfolio_of(self.holdings)

    @property
    def withdrawable(self) -> list[HoldingSummary]:
        return [summary for summary in self.holdings if summary.withdrawable]

    @property
    def transferable(self) -> list[HoldingSummary]:
        return [summary for summary in self.holdings if summary.transferable]

    @property
    def redeemable(self) -> list[HoldingSummary]:
        return [summary for summary in self.holdings if summary.redeemable]

    @property
    def societies_held(self) -> list:
        """Each society the holder has shares in, once, with the nomination in force there."""
        in_force = {nomination.society_id: nomination for nomination in self.nominations}
        seen, societies = set(), []
        for summary in self.holdings:
            society = summary.society
            if summary.holding.shares > 0 and society.pk not in seen:
                seen.add(society.pk)
                societies.append((society, in_force.get(society.pk)))
        return societies


def holder_for(user) -> Holder | None:
    return holder_for_user(user)


def dashboard_for(user, holder: Holder | None = None) -> Dashboard:
    """Everything the investor sees; `holder` when the caller has it already, else looked up."""
    holder = holder or holder_for(user)
    if holder is None:
        return Dashboard(None, [], [], [], [], [], [], [], None, [])
    applications = (
        Application.objects.filter(holder=holder)
        .select_related("offer__share_class__society")
        .prefetch_related("card_payments")
        .order_by("-created_at", "-pk")
    )
    return Dashboard(
        holder=holder,
        applications=[
            ApplicationSummary(application, _last(application.card_payments.all()))
            for application in applications
        ],
        payments=list(
            Payment.objects.filter(application__holder=holder)
            .select_related("application__offer__share_class__society")
            .order_by("-received_on", "-pk")
        ),
        refunds=list(
            Refund.objects.filter(application__holder=holder)
            .select_related("application__offer__share_class__society")
            .order_by("-created_at", "-pk")
        ),
        holdings=holding_summaries(holder),
        certificates=list(
            Certificate.objects.filter(holder=holder, state=Certificate.State.VALID)
            .select_related("society", "share_class")
            .order_by("society__name", "number")
        ),
        documents=list(
            Document.objects.filter(
                holder=holder,
                kind__in=[
                    Document.Kind.STATEMENT,
                    Document.Kind.ANNUAL_SUMMARY,
                    Document.Kind.SURPLUS_STATEMENT,
                ],
            )
            .select_related("society", "run__share_class", "surplus_run")
            .order_by("society__name", "-generated_at", "-pk")
        ),
        elections=list(InterestElection.objects.filter(holder=holder).select_related("share_class__society")),
        payout_account=getattr(holder, "payout_account", None),
        withdrawals=list(
            WithdrawalRequest.objects.filter(holder=holder)
            .select_related("share_class__society")
            .order_by("-requested_at", "-pk")
        ),
        transfers=list(
            (TransferRequest.objects.filter(holder=holder) | TransferRequest.objects.filter(receiver=holder))
            .select_related("share_class__society", "holder", "receiver")
            .order_by("-requested_at", "-pk")
        ),
        redemptions=list(
            RedemptionRequest.objects.filter(holder=holder)
            .select_related("share_class__society")
            .order_by("-requested_at", "-pk")
        ),
        nominations=list(
            Nomination.objects.filter(holder=holder, state=Nomination.State.ACTIVE).prefetch_related(
                "nominees"
            )
        ),
    )


def holding_summaries(holder: Holder) -> list[HoldingSummary]:
    holdings = (
        Holding.objects.filter(holder=holder)
        # "page": the society's public page, for the news link (see allotted_offers)
        .select_related("share_class__society__page", "share_class__return_schedule")
        .order_by("share_class__society__name", "share_class__name")
    )
    lines_by_holding: dict[int, list[DistributionLine]] = {}
    decided_lines = (
        DistributionLine.objects.filter(holder=holder, run__state__in=DistributionRun.DECIDED)
        .select_related("run")
        .order_by("run__year", "pk")
    )
    for line in decided_lines:
        lines_by_holding.setdefault(line.holding_id, []).append(line)
    offers = allotted_offers(holder)
    return [
        _summarise(holding, lines_by_holding.get(holding.pk, []), offers.get(holding.share_class_id, ()))
        for holding in holdings
    ]


def allotted_offers(holder: Holder) -> dict[int, tuple[Offer, ...]]:
    """The offers the holder was allotted shares in, by share class, in one query. "page" is the
    public site's reverse link to each offer's and society's page (read by name, never imported:
    the site sits above this app), so the dashboard links each holding to its offer and news."""
    found: dict[int, list[Offer]] = {}
    allotted = (
        Offer.objects.filter(applications__holder=holder, applications__state=Application.State.ALLOCATED)
        .select_related("page", "share_class__society__page")
        .distinct()
        .order_by("opens_at", "pk")
    )
    for offer in allotted:
        found.setdefault(offer.share_class_id, []).append(offer)
    return {class_id: tuple(offers) for class_id, offers in found.items()}


def _summarise(holding: Holding, lines: list[DistributionLine], offers: tuple = ()) -> HoldingSummary:
    society = holding.share_class.society
    schedule = getattr(holding.share_class, "return_schedule", None)
    latest = lines[-1] if lines else None
    capital = latest.capital if latest else holding.amount_paid.amount
    cap = None
    if schedule is not None and schedule.cap_multiple is not None and capital > 0:
        cap = cap_amount(capital, schedule.cap_multiple)
    return HoldingSummary(
        holding=holding,
        received=society.money(
            sum((line.paid for line in lines if line.run.state == RunState.PAID), Decimal(0))
        ),
        due=society.money(
            sum((line.paid for line in lines if line.run.state == RunState.APPROVED), Decimal(0))
        ),
        repaid=society.money(sum((line.redeemed for line in lines), Decimal(0))),
        cumulative=latest.cumulative if latest else Decimal("0.00"),
        cap=cap,
        status=latest.get_status_display() if latest else "",
        has_returns=schedule is not None or bool(lines),
        offers=offers,
    )


def _last(rows):
    rows = list(rows)
    return rows[-1] if rows else None


# --- The export ("everything we hold about you") --------------------------------------------------


def personal_data(user) -> dict:
    """Everything we keep about `user` and their register record, as plain values: amounts as
    Decimals (written as strings), dates as dates; the caller chooses the encoding."""
    holder = holder_for(user)
    data = {
        "exported_at": timezone.now(),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "name": user.get_full_name(),
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "holder": None,
    }
    if holder is None:
        return {**data, **held_about(user, None)}
    data["holder"] = {
        "kind": holder.kind,
        "name": holder.name,
        "email": holder.email,
        "postal_address": holder.postal_address,
        "date_of_birth": holder.date_of_birth,
        "organisation_number": holder.organisation_number,
        "is_registered_society": holder.is_registered_society,
        "created_at": holder.created_at,
    }
    data["applications"] = _applications(holder)
    data["holdings"] = [
        {
            "society": holding.share_class.society.name,
            "share_class": holding.share_class.name,
            "shares": holding.shares,
            "amount_paid": _money(holding.amount_paid),
            "first_issued_on": holding.first_issued_on,
            "ceased_on": holding.ceased_on,
        }
        for holding in Holding.objects.filter(holder=holder).select_related("share_class__society")
    ]
    data["ledger_entries"] = _ledger_entries(holder)
    data["certificates"] = [
        {
            "society": certificate.society.name,
            "number": certificate.number,
            "share_class": certificate.share_class.name,
            "shares": certificate.shares,
            "issued_on": certificate.issued_on,
            "state": certificate.state,
        }
        for certificate in Certificate.objects.filter(holder=holder).select_related("society", "share_class")
    ]
    data["distribution_lines"] = _distribution_lines(holder)
    data["interest_elections"] = [
        {
            "society": election.share_class.society.name,
            "share_class": election.share_class.name,
            "take_as": election.take_as,
        }
        for election in InterestElection.objects.filter(holder=holder).select_related("share_class__society")
    ]
    data["payout_account"] = _payout_account(getattr(holder, "payout_account", None))
    data["documents"] = [
        {
            "society": document.society.name,
            "kind": document.kind,
            "filename": document.filename,
            "tax_year": document.tax_year,
            "generated_at": document.generated_at,
            "emailed_at": document.emailed_at,
        }
        for document in Document.objects.filter(holder=holder).select_related("society")
    ]
    data["withdrawal_requests"] = [
        {
            "society": withdrawal.share_class.society.name,
            "share_class": withdrawal.share_class.name,
            "shares": withdrawal.shares,
            "amount": _money(withdrawal.amount),
            "state": withdrawal.state,
            "requested_at": withdrawal.requested_at,
            "due_on": withdrawal.due_on,
            "paid_on": withdrawal.paid_on,
            "refusal_reason": withdrawal.refusal_reason,
        }
        for withdrawal in WithdrawalRequest.objects.filter(holder=holder).select_related(
            "share_class__society"
        )
    ]
    return {**data, **held_about(user, holder)}


def _applications(holder: Holder) -> list[dict]:
    applications = (
        Application.objects.filter(holder=holder)
        .select_related("offer__share_class__society")
        .prefetch_related("payments", "refunds", "card_payments")
    )
    return [
        {
            "society": application.offer.share_class.society.name,
            "offer": application.offer.title,
            "share_class": application.offer.share_class.name,
            "payment_reference": application.payment_reference,
            "shares": application.shares,
            "amount": _money(application.amount),
            "payment_method": application.payment_method,
            "state": application.state,
            "shares_allocated": application.shares_allocated,
            "created_at": application.created_at,
            "paid_at": application.paid_at,
            "allocated_at": application.allocated_at,
            "payments": [
                {
                    "method": payment.method,
                    "amount": _money(payment.amount),
                    "reference": payment.provider_reference,
                    "received_on": payment.received_on,
                }
                for payment in application.payments.all()
            ],
            "refunds": [
                {
                    "amount": _money(refund.amount),
                    "reason": refund.reason,
                    "state": refund.state,
                    "created_at": refund.created_at,
                    "paid_at": refund.paid_at,
                    "paid_reference": refund.paid_reference,
                }
                for refund in application.refunds.all()
            ],
            "card_payments": [
                {"amount": _money(card.amount), "status": card.status, "created_at": card.created_at}
                for card in application.card_payments.all()
            ],
        }
        for application in applications
    ]


def _ledger_entries(holder: Holder) -> list[dict]:
    """The register entries that moved this holder's shares. A transfer's other party is not
    named: that is someone else's personal data."""
    entries = (
        LedgerEntry.objects.filter(holder=holder) | LedgerEntry.objects.filter(counterparty=holder)
    ).select_related("society", "share_class")
    return [
        {
            "society": entry.society.name,
            "sequence": entry.sequence,
            "kind": entry.kind,
            "direction": "in" if entry.counterparty_id == holder.pk else _direction(entry.kind),
            "share_class": entry.share_class.name,
            "shares": entry.shares,
            "amount": _money(entry.amount),
            "effective_date": entry.effective_date,
            "reference": entry.reference,
            "recorded_at": entry.recorded_at,
            "entry_hash": entry.entry_hash,
        }
        for entry in entries.order_by("society__name", "sequence")
    ]


def _direction(kind: str) -> str:
    return "in" if kind == LedgerEntry.Kind.ISSUE else "out"


def _distribution_lines(holder: Holder) -> list[dict]:
    lines = DistributionLine.objects.filter(holder=holder).select_related("run__share_class__society")
    return [
        {
            "society": line.run.share_class.society.name,
            "share_class": line.run.share_class.name,
            "year": line.run.year,
            "year_ends_on": line.run.ends_on,
            "run_state": line.run.state,
            "capital": line.capital,
            "days_held": line.days_held,
            "paid": line.paid,
            "cash": line.cash,
            "reinvested_shares": line.reinvested_shares,
            "redeemed": line.redeemed,
            "cumulative": line.cumulative,
            "status": line.status,
            "currency": line.run.share_class.society.currency,
        }
        for line in lines.order_by("run__share_class__society__name", "run__year", "pk")
    ]


def _payout_account(account: PayoutAccount | None) -> dict | None:
    if account is None:
        return None
    details = details_from(account)
    return {
        "account_name": details.account_name,
        "sort_code": details.sort_code,
        "account_number": details.account_number,
        "iban": details.iban,
    }


def _money(value: Money) -> dict:
    return {"amount": value.amount, "currency": str(value.currency)}
