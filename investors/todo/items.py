"""What a society's board has to do now, for the admin's home: each item a count, a sentence
and a link to the list where it is done. Only the items the user's role may act on are shown,
and only for the societies the user sits on the board of."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from capital import permissions
from capital.models import Offer, Society
from capital.money import format_money
from capital.text import counted
from investors.applications.progress import OfferProgress, offer_progress
from investors.models import Application, BankStatementLine, DistributionRun, DocumentJob, WithdrawalRequest
from investors.todo.chart import DayChart, offer_days_chart

AWAITING = Application.State.AWAITING_PAYMENT


@dataclass(frozen=True)
class Item:
    sentence: str
    url: str
    link: str


@dataclass(frozen=True)
class OfferSummary:
    offer: Offer
    progress: OfferProgress
    chart: DayChart


@dataclass
class SocietyTodo:
    society: Society
    items: list[Item] = field(default_factory=list)
    offers: list[OfferSummary] = field(default_factory=list)


def todo_for(user, now=None) -> list[SocietyTodo]:
    now = now or timezone.now()
    return [_todo(society, user, now) for society in permissions.societies_for(user).order_by("name")]


def _todo(society: Society, user, now) -> SocietyTodo:
    todo = SocietyTodo(society)
    may = {action: permissions.may(user, action, society) for action in permissions.ACTION_ROLES}
    if may["record_payments"]:
        todo.items += _applications(society, now) + _bank_lines(society)
    if may["allocate_offers"]:
        todo.items += _cards_still_to_take(society)
    if may["decide_withdrawals"] or may["pay_withdrawals"]:
        todo.items += _withdrawals(society, now, may)
    if may["approve_runs"] or may["pay_runs"]:
        todo.items += _runs(society, may)
    if may["issue_documents"]:
        todo.items += _document_jobs(society)
    todo.offers = [
        OfferSummary(offer, offer_progress(offer, now=now), offer_days_chart(offer, now=now))
        for offer in Offer.objects.filter(share_class__society=society, state=Offer.State.OPEN)
        .select_related("share_class__society")
        .order_by("closes_at")
    ]
    return todo


def _url(name: str, **query) -> str:
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def _applications(society, now) -> list[Item]:
    awaiting = Application.objects.filter(offer__share_class__society=society, state=AWAITING)
    figures = awaiting.aggregate(
        count=Count("pk"),
        total=Sum("amount"),
        late=Count(
            "pk",
            filter=Q(holds_reservation=True, reserved_until__lt=now)
            | Q(holds_reservation=False, offer__closes_at__lt=now),
        ),
    )
    items = []
    if figures["count"]:
        items.append(
            Item(
                f"{counted(figures['count'], 'application')} awaiting payment "
                f"({format_money(society.money(figures['total']))}).",
                _url("application:index", state=AWAITING),
                "See them",
            )
        )
    if figures["late"]:
        items.append(
            Item(
                f"{counted(figures['late'], 'application')} past the pay-by date: "
                "chase the investor or cancel.",
                _url("application:index", state=AWAITING),
                "Chase or cancel",
            )
        )
    return items


def _cards_still_to_take(society) -> list[Item]:
    """Applications an allocation went on without: Stripe could not be reached for the card."""
    held = Application.objects.filter(
        offer__share_class__society=society, state=AWAITING, card_still_to_take=True
    ).count()
    if not held:
        return []
    return [
        Item(
            f"{counted(held, 'card')} still to be taken after allocation (Stripe could not be reached): "
            "take each again, or cancel its application.",
            _url("application:index", card_still_to_take="True"),
            "Take the cards",
        )
    ]


def _bank_lines(society) -> list[Item]:
    lines = BankStatementLine.objects.filter(society=society)
    waiting = lines.filter(status__in=BankStatementLine.UNMATCHED).count()
    short = lines.filter(status=BankStatementLine.Status.SHORT).count()
    to_refund = lines.filter(status=BankStatementLine.Status.TO_REFUND, application__isnull=True).count()
    items = []
    if waiting:
        items.append(
            Item(
                f"{counted(waiting, 'bank line')} not matched: match, refund or dismiss each.",
                _url("bankstatementline:index", status=BankStatementLine.Status.UNKNOWN)
                if waiting == lines.filter(status=BankStatementLine.Status.UNKNOWN).count()
                else _url("bankstatementline:index"),
                "Match bank lines",
            )
        )
    if short:
        items.append(
            Item(
                f"{counted(short, 'bank line')} short of its application, the rest asked for.",
                _url("bankstatementline:index", status=BankStatementLine.Status.SHORT),
                "See them",
            )
        )
    if to_refund:
        items.append(
            Item(
                f"{counted(to_refund, 'bank line')} to send back.",
                _url("bankstatementline:index", status=BankStatementLine.Status.TO_REFUND),
                "Send back",
            )
        )
    return items


def _withdrawals(society, now, may) -> list[Item]:
    requests = WithdrawalRequest.objects.filter(share_class__society=society)
    items = []
    due = requests.filter(state=WithdrawalRequest.State.PENDING, due_on__lte=now.date()).count()
    if due and may["decide_withdrawals"]:
        items.append(
            Item(
                f"{counted(due, 'withdrawal')} past its notice, for the board to decide.",
                _url("withdrawalrequest:index", state=WithdrawalRequest.State.PENDING),
                "Decide withdrawals",
            )
        )
    owed = requests.filter(state=WithdrawalRequest.State.APPROVED).count()
    if owed and may["pay_withdrawals"]:
        items.append(
            Item(
                f"{counted(owed, 'approved withdrawal')} to pay.",
                _url("withdrawalrequest:index", state=WithdrawalRequest.State.APPROVED),
                "Pay withdrawals",
            )
        )
    return items


def _runs(society, may) -> list[Item]:
    runs = DistributionRun.objects.filter(share_class__society=society)
    items = []
    drafts = runs.filter(state=DistributionRun.State.DRAFT).count()
    if drafts and may["approve_runs"]:
        items.append(
            Item(
                f"{counted(drafts, 'distribution run')} to approve.",
                _url("distributionrun:index", state=DistributionRun.State.DRAFT),
                "Approve runs",
            )
        )
    approved = runs.filter(state=DistributionRun.State.APPROVED).count()
    if approved and may["pay_runs"]:
        items.append(
            Item(
                f"{counted(approved, 'approved run')} to pay from the payment file.",
                _url("distributionrun:index", state=DistributionRun.State.APPROVED),
                "Pay runs",
            )
        )
    return items


def _document_jobs(society) -> list[Item]:
    failed = DocumentJob.objects.filter(society=society, state=DocumentJob.State.FAILED).count()
    if not failed:
        return []
    return [Item(f"{counted(failed, 'document job')} failed: resume it.", _url("document_jobs"), "Resume")]
