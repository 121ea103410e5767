"""Keyword-only verbs that build a test's world through the real services: shares issued through
the register, applications made and paid as investors make and pay them, board seats given as a
director gives them. No test module writes its own copy of one of these."""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from pypdf import PdfReader
from wagtail.documents.models import Document

from capital.models import ShareClass, SurplusRules
from capital.services import appoint_board_member, close_offer, save_surplus_rules
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares
from investors.models import Application, DistributionLine, PayoutAccount, SurplusRun
from investors.payments.cards import pay_by_card, start_card_payment
from investors.payments.services import confirm_payment
from investors.surplus.contributions import import_contributions
from shares.models import Holder
from shares.services.register import issue_shares
from tests import factories
from tests.cms.pages import add_offer_page, add_society_page

BANK = Application.PaymentMethod.BANK_TRANSFER
CARD = Application.PaymentMethod.CARD
METHODS = {"bank": BANK, "card": CARD}


def issue(*, holder, share_class, shares, on=None, amount=None):
    """Issue `shares` to `holder` through the register, paid at nominal value unless `amount`
    says otherwise, dated `on` (today by default). Returns the ledger entry."""
    return issue_shares(
        society=share_class.society,
        holder=holder,
        share_class=share_class,
        shares=shares,
        amount=share_class.nominal_value * shares if amount is None else amount,
        effective_date=on,
    )


def unpaid_application(*, offer, shares=None, holder=None, method="bank", **kwargs) -> Application:
    """An application as an investor makes it (a new holder unless `holder` is given), unpaid:
    for `shares`, or for an `amount`, as `apply_for_shares` takes them."""
    return apply_for_shares(
        offer=offer,
        holder=holder or factories.HolderFactory(),
        payment_method=METHODS.get(method, method),
        shares=shares,
        **kwargs,
    )


def pay(*, application: Application, reference: str | None = None, amount=None, **kwargs):
    """Record money received for the application, by the way it said it would pay, for its exact
    amount unless `amount` says otherwise (a card payment as its webhook would record it)."""
    return confirm_payment(
        application=application,
        amount=application.amount if amount is None else amount,
        method=application.payment_method,
        provider_reference=reference or f"LINE-{application.pk}",
        **kwargs,
    )


def paid_application(*, offer, shares, holder=None, method="bank", reference: str | None = None):
    """An application made and paid, fresh from the database."""
    made = unpaid_application(offer=offer, shares=shares, holder=holder, method=method)
    pay(application=made, reference=reference)
    made.refresh_from_db()
    return made


def board_seat(*, society, role="director", two_factor=True):
    """A new login appointed to `role` on the society's board, with an authenticator app set up
    (board members need one before any admin page) unless `two_factor=False`; returns the user."""
    user = factories.UserFactory()
    appoint_board_member(society=society, user=user, role=role)
    if two_factor:
        factories.give_two_factor(user)
    return user


def pdf_text(data: bytes) -> str:
    """A PDF's text with whitespace collapsed, so phrases can be found whatever the layout."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def close_and_allocate(*, offer, **kwargs):
    """Close an open offer and allocate it, as a director would (as the system here)."""
    return allocate_offer(offer=close_offer(offer=offer), **kwargs)


def seed_register(*, share_class, holdings, on=datetime.date(2019, 1, 1)) -> list:
    """A new holder for each (name, shares) in `holdings`, issued their shares at nominal value
    through the register on `on`; returns the holders in order."""
    holders = []
    for name, shares in holdings:
        holder = factories.HolderFactory(name=name)
        issue(holder=holder, share_class=share_class, shares=shares, on=on)
        holders.append(holder)
    return holders


def with_schedule(*, share_class, **terms):
    """Give `share_class` a return schedule (25% of surplus from the year ending 31 December 2021,
    unless `terms` say otherwise); returns the share class."""
    factories.ReturnScheduleFactory(share_class=share_class, **terms)
    return share_class


def saved_card(*, stripe_server, application: Application, kind: str = "ok") -> tuple[str, str]:
    """What the card page's browser does: a SetupIntent for the application, confirmed in
    localstripe with a card of `kind`. Returns (payment method id, SetupIntent id)."""
    setup = start_card_payment(application=application)
    payment_method = stripe_server.confirm_card_setup(setup.client_secret, kind)
    return payment_method, setup.client_secret.split("_secret_")[0]


def pay_with_card(*, stripe_server, application, kind="ok"):
    """Pay a card application as the browser would: save the card with a SetupIntent (a good,
    3-D Secure or declined test card, by `kind`), then send it to be charged (or held, for an
    offer that charges at allocation). Returns the card page's outcome."""
    payment_method, setup_intent = saved_card(stripe_server=stripe_server, application=application, kind=kind)
    return pay_by_card(
        application=application, payment_method_id=payment_method, setup_intent_id=setup_intent
    )


def surplus_rules(*, society, confirm_below_guidance=False, **fields) -> SurplusRules:
    """Set the society's surplus rules through the directors' service (as the system): the
    defaults (15% reserves, 35% Labour, 25% User, 25% Investor) unless `fields` say otherwise,
    with a labour class and a user class made for the parts that need one."""
    if fields.get("labour_percent", 1) and "labour_class" not in fields:
        fields["labour_class"] = factories.LabourClassFactory(society=society)
    if fields.get("user_percent", 1) and "user_class" not in fields:
        fields["user_class"] = factories.UserClassFactory(society=society)
    rules = SurplusRules.objects.filter(society=society).first() or SurplusRules(society=society)
    for name, value in fields.items():
        setattr(rules, name, value)
    return save_surplus_rules(rules=rules, confirm_below_guidance=confirm_below_guidance)


def contributions(*, society, part, year_end, amounts, by=None):
    """Record the year's contributions for `part` ("labour" or "user") through the import, from
    `amounts` (holder → hours, pay or trade), as a CSV would carry them."""
    text = "email,contribution\n" + "".join(
        f"{holder.email},{amount}\n" for holder, amount in amounts.items()
    )
    return import_contributions(society=society, part=part, year_end=year_end, text=text, by=by)


COOP_YEAR_END = datetime.date(2023, 12, 31)


@dataclass
class Coop:
    society: object
    rules: SurplusRules
    labour: ShareClass
    user: ShareClass
    investor: ShareClass
    members: dict[str, Holder]


def fairshares_coop() -> Coop:
    """A FairShares co-operative whose year ends on 31 December: a labour class (Ann, Bo, Cy), a
    user class (Di, Ed) and an investor class with a 25% profit share from 2023 (Fay 6,000 and
    Gus 2,000 shares), all members since 1 January 2023; the default surplus rules with Labour
    paid as member shares of the investor class; and 2023's contributions recorded."""
    society = factories.SocietyFactory(financial_year_end_month=12, financial_year_end_day=31)
    investor = with_schedule(
        share_class=factories.InvestorClassFactory(society=society, name="Patient capital"),
        first_year_end=COOP_YEAR_END,
        pool_percent=Decimal("25"),
    )
    rules = surplus_rules(
        society=society, labour_pay_as=SurplusRules.PayAs.SHARES, member_shares_class=investor
    )
    members = {}
    for name, share_class, shares in (
        ("Ann", rules.labour_class, 1),
        ("Bo", rules.labour_class, 1),
        ("Cy", rules.labour_class, 1),
        ("Di", rules.user_class, 1),
        ("Ed", rules.user_class, 1),
        ("Fay", investor, 6000),
        ("Gus", investor, 2000),
    ):
        members[name] = factories.HolderFactory(name=name, email=f"{name.lower()}@example.org")
        issue(holder=members[name], share_class=share_class, shares=shares, on=datetime.date(2023, 1, 1))
    contributions(
        society=society,
        part="labour",
        year_end=COOP_YEAR_END,
        amounts={members["Ann"]: "1200", members["Bo"]: "600", members["Cy"]: "201"},
    )
    contributions(
        society=society,
        part="user",
        year_end=COOP_YEAR_END,
        amounts={members["Di"]: "300.25", members["Ed"]: "99.75"},
    )
    return Coop(society, rules, rules.labour_class, rules.user_class, investor, members)


def give_payout_accounts(run) -> None:
    """Every holder on `run`'s lines (a distribution run, or a surplus run with its investor
    runs) without a payout account is given one (so the payment file and "record paid" can go
    ahead)."""
    if isinstance(run, SurplusRun):
        holder_ids = {*run.lines.values_list("holder_id", flat=True)}
        for investor_run in run.investor_runs.all():
            holder_ids |= {
                *DistributionLine.objects.filter(run=investor_run).values_list("holder_id", flat=True)
            }
    else:
        holder_ids = {*DistributionLine.objects.filter(run=run).values_list("holder_id", flat=True)}
    for index, holder_id in enumerate(sorted(holder_ids)):
        PayoutAccount.objects.get_or_create(
            holder_id=holder_id, defaults={"sort_code": "400000", "account_number": f"{10000000 + index}"}
        )


def document(*, title="Offer document") -> Document:
    """A PDF uploaded to the admin's documents."""
    return Document.objects.create(
        title=title,
        file=ContentFile(b"%PDF-1.4 offer document", name=f"{title.lower().replace(' ', '-')}.pdf"),
    )


def ready_to_open(*, offer):
    """What a board does before opening: the society's page, the offer's page published with its
    offer document. Returns the offer page."""
    from cms.models import OfferPage, SocietyPage

    society_page = SocietyPage.objects.filter(society=offer.society).first() or add_society_page(
        offer.society
    )
    page = OfferPage.objects.filter(offer=offer).first()
    if page is None:
        page = add_offer_page(society_page, offer, offer_document=document())
    else:
        page = page.specific
        page.offer_document = document()
        page.save_revision().publish()
    page.refresh_from_db()
    return page


def called_meeting(
    *,
    society,
    questions=(("ordinary", "Approve the accounts"),),
    starts_in_days=20,
    record_date=None,
    **fields,
):
    """A general meeting with `questions` (kind, title) on its agenda, notice sent today (as the
    system), `starts_in_days` from now, its roll taken at `record_date` (today by default)."""
    from django.utils import timezone

    from governance.services.meetings import add_question, create_meeting, send_notice

    meeting = create_meeting(
        society=society,
        title=fields.pop("title", "Annual general meeting"),
        starts_at=timezone.now() + datetime.timedelta(days=starts_in_days),
        record_date=record_date or timezone.localdate(),
        location=fields.pop("location", "The Mill, Hebden Bridge"),
        **fields,
    )
    for kind, title, *seats in questions:
        add_question(
            meeting=meeting,
            kind=kind,
            title=title,
            text=f"That {title.lower()}.",
            seats=seats[0] if seats else 1,
        )
    return send_notice(meeting=meeting)
