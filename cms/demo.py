"""The demo society's web pages and its FairShares classes, for `manage.py load_demo`.

Each page is looked up by what it stands for (the society, the offer, its place in the tree) and
created only if missing, and the FairShares part likewise, so running the demo again changes
nothing and a database loaded before either existed gets them.
"""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from djmoney.money import Money
from wagtail.documents.models import Document
from weasyprint import HTML

from capital.models import Offer, ShareClass, Society, SurplusRules
from capital.money import format_money
from capital.services import save_share_class, save_surplus_rules
from cms.boards import society_collection
from cms.models import HomePage, NewsIndexPage, NewsPage, OfferPage, SocietyPage
from investors.surplus.contributions import import_contributions
from investors.surplus.services import start_surplus_run
from shares.models import Holder
from shares.services.register import issue_shares

SOLAR_OFFER_TITLE = "Solar roofs for Calder schools"

SOCIETY_STORY = """
<p>Riverside Community Energy is a community benefit society owned by the people of the upper
Calder Valley. Since 2025 our members have put solar panels on the roofs of the Old Mill and the
Heptonstall village hall, and sold the power to the buildings underneath at below grid prices.</p>
<p>Every member has one vote, whatever they put in. What we earn after costs pays a modest return
to the people who funded the panels, and the rest goes to our community fund, which insulates
the homes of households who struggle with their bills.</p>
"""

OFFER_STORY = """
<h2>Six schools, 420 kW of solar</h2>
<p>Our valley's primary schools spend more than £90,000 a year on electricity. We will put 420 kW
of solar panels on the roofs of six of them. The schools buy the power at a fixed price, 20% below
what they pay now, for twenty years; the panels are ours, maintained by us, and insured.</p>
<p>We are raising between £50,000 and £150,000 in <strong>investor shares</strong> to pay for the
panels, alongside a grant from the county's climate fund. Investors share in the surplus the
panels make, within a cap, and get their capital back at the end of the term. Investor shares
carry no vote: the society stays in the hands of its members.</p>
"""

FAQ = [
    (
        "Who can invest?",
        "<p>Anyone aged 16 or over, and organisations, from £250 to £25,000. You do not need to live "
        "in the valley, though most of our investors do.</p>",
    ),
    (
        "What happens if the offer does not reach its minimum?",
        "<p>If less than £50,000 has been paid in when the offer closes, the offer fails and every "
        "payment is returned in full.</p>",
    ),
    (
        "When would I receive returns?",
        "<p>After each financial year's accounts are approved (our year ends on 31 March), starting "
        "with the second year. Returns are paid by bank transfer.</p>",
    ),
    (
        "Do investor shares make me a member?",
        "<p>No. Investor shares carry no vote and no control right. To become a member you can buy "
        "community shares in our next community share offer.</p>",
    ),
    (
        "Can I get my money back early?",
        "<p>Investor shares cannot be withdrawn on request, but you can transfer them to someone else. "
        "Everything you receive counts towards the cap of 1.5 times what you invested, your capital "
        "repaid included: at the end of the twelve-year term the society repays your capital, or as "
        "much of it as still fits under the cap, and your shares are cancelled. If your returns reach "
        "the cap sooner, they are cancelled then. The simulator above shows both for your amount.</p>",
    ),
]

RISK_WARNING = """
<p>The panels may produce less than forecast, a school may close or move, and repairs may cost
more than planned. Any of these would reduce the surplus, and so your returns. If the society
failed, investors could lose some or all of their money.</p>
"""

NEWS = """
<p>Our share offer for solar roofs on six Calder Valley schools is open. Thank you to everyone who
came to the launch at the Old Mill, and to the head teachers who showed us round their roofs.</p>
<p>Survey work on the first two schools is done, and both roofs are sound. We will post an update
here when the offer reaches its minimum target.</p>
"""


def add_demo_pages(*, society: Society, board: list[tuple]) -> int:
    """Create whatever is missing of the demo's society, offer, news index and news pages.

    Returns how many pages were created (0 when all of them were there already).
    """
    home = HomePage.objects.first()
    if home is None:
        return 0
    society_page, created = add_society_page(society=society, board=board)
    created = int(created)
    offer = Offer.objects.get(share_class__society=society, title=SOLAR_OFFER_TITLE)
    page = OfferPage.objects.filter(offer=offer).first()
    if page is None or not page.live:
        publish_solar_page(offer)
        created += 1 if page is None else 0
    news_index = NewsIndexPage.objects.child_of(society_page).first()
    if news_index is None:
        news_index = society_page.add_child(
            instance=NewsIndexPage(
                title="News", slug="news", intro="<p>Updates for our members and investors.</p>"
            )
        )
        created += 1
    if not NewsPage.objects.child_of(news_index).exists():
        news_index.add_child(
            instance=NewsPage(
                title="Our solar schools offer is open",
                slug="solar-schools-offer-open",
                date=timezone.localdate(offer.opens_at),
                summary="The offer is open, and the first school roofs have been surveyed.",
                body=[("text", NEWS.strip())],
            )
        )
        created += 1
    return created


def add_society_page(*, society: Society, board: list[tuple]) -> tuple[SocietyPage, bool]:
    """The society's page (its board then edits it and its offers' pages), and whether it is new."""
    society_page = SocietyPage.objects.filter(society=society).first()
    if society_page is not None:
        return society_page, False
    return HomePage.objects.get().add_child(
        instance=SocietyPage(
            title="Riverside Community Energy",
            slug="riverside-energy",
            society=society,
            summary="Solar power owned by the people of the upper Calder Valley.",
            story=SOCIETY_STORY.strip(),
            team=[
                ("member", {"name": name, "role": str(role.label), "photo": None}) for _, name, role in board
            ],
        )
    ), True


def publish_offer_page(*, offer: Offer, slug: str, **content) -> OfferPage:
    """Write and publish the offer's page (made as a draft when the offer was created), with an
    offer document, as the board does before opening the offer."""
    page = OfferPage.objects.filter(offer=offer).first()
    if page is None:
        parent = SocietyPage.objects.get(society=offer.share_class.society)
        page = parent.add_child(instance=OfferPage(title=offer.title, slug=slug, offer=offer, live=False))
    page = page.specific
    page.slug = slug
    for name, value in content.items():
        setattr(page, name, value)
    if page.offer_document_id is None:
        page.offer_document = demo_document(offer)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def demo_document(offer: Offer) -> Document:
    """A short offer document for the demo, as a PDF in the society's collection."""
    society = offer.share_class.society
    html = DEMO_OFFER_DOCUMENT.format(
        society=escape(society.name),
        title=escape(offer.title),
        minimum=escape(format_money(offer.minimum_target)),
        maximum=escape(format_money(offer.maximum_target)),
    )
    return Document.objects.create(
        title=f"{offer.title}: offer document",
        file=ContentFile(HTML(string=html).write_pdf(), name=f"{slugify(offer.title)}-offer-document.pdf"),
        collection=society_collection(society),
    )


DEMO_OFFER_DOCUMENT = """<html><body style="font-family: sans-serif">
<h1>{title}</h1><p>{society}</p>
<p>This is the demo's offer document. A real one describes the society, the business plan, the use
of funds, the risks, the interest policy and the withdrawal rules. The offer raises {minimum} to
{maximum}; below the minimum every payment is returned.</p>
<p>Your capital is at risk: community shares are not covered by the Financial Services Compensation
Scheme, and you may not be able to withdraw them when you want to.</p></body></html>"""


def publish_solar_page(offer: Offer) -> OfferPage:
    return publish_offer_page(
        offer=offer,
        slug="solar-schools",
        summary="Put 420 kW of solar panels on six primary schools, and share in what they earn.",
        body=[
            ("text", OFFER_STORY.strip()),
            (
                "faq",
                {
                    "heading": "Questions and answers",
                    "questions": [{"question": question, "answer": answer} for question, answer in FAQ],
                },
            ),
            ("risk_warning", {"heading": "Risks particular to this project", "text": RISK_WARNING.strip()}),
        ],
    )


def publish_founding_page(offer: Offer) -> OfferPage:
    return publish_offer_page(
        offer=offer,
        slug="founding-offer",
        summary="The community shares that paid for our first two roofs.",
    )


# --- FairShares: a labour class and a user class, with a year of contributions ---------------------

DEMO_YEAR_END = datetime.date(2026, 3, 31)
DEMO_SURPLUS = Decimal("18000.00")
# name, email, address, date of birth, hours worked in the year to 31 March 2026
WORKERS = [
    ("Jo Fielding", "jo@example.org", "12 Mytholm Steeps, Hebden Bridge HX7 6AS", "1988-03-14", "1650"),
    ("Priya Shah", "priya@example.org", "5 Valley Road, Hebden Bridge HX7 7BZ", "1979-10-02", "1420.5"),
    ("Tom Brennan", "tom@example.org", "8 Commercial Street, Todmorden OL14 5DG", "1969-07-23", "380"),
]
# email (an investor or member already on the register), what they paid for power in the year
CUSTOMERS = [
    ("alice@example.org", "1,286.40"),
    ("bilal@example.org", "942.10"),
    ("erin@example.org", "2,104.75"),
    ("treasurer@caldervalley-housing.example", "18,450.00"),
]


def add_fairshares(*, society: Society) -> bool:
    """The society's worker and customer classes, its surplus rules and the contributions of the
    year to 31 March 2026, unless they are there already. Returns whether anything was added."""
    if ShareClass.objects.filter(society=society, kind=ShareClass.Kind.LABOUR).exists():
        return False
    labour = save_share_class(share_class=_member_class(society, "Worker shares", ShareClass.Kind.LABOUR))
    user = save_share_class(share_class=_member_class(society, "Customer shares", ShareClass.Kind.USER))
    joined = datetime.date(2025, 4, 1)
    workers = []
    for name, email, address, born, hours in WORKERS:
        holder = Holder.objects.filter(email=email).first() or Holder.objects.create(
            name=name, email=email, postal_address=address, date_of_birth=datetime.date.fromisoformat(born)
        )
        issue_shares(
            society=society,
            holder=holder,
            share_class=labour,
            shares=1,
            amount=Money(1, "GBP"),
            effective_date=joined,
        )
        workers.append((holder, hours))
    customers = []
    for email, trade in CUSTOMERS:
        holder = Holder.objects.get(email=email)
        issue_shares(
            society=society,
            holder=holder,
            share_class=user,
            shares=1,
            amount=Money(1, "GBP"),
            effective_date=joined,
        )
        customers.append((holder, trade))
    save_surplus_rules(rules=SurplusRules(society=society, labour_class=labour, user_class=user))
    for part, rows in (("labour", workers), ("user", customers)):
        text = "email,contribution\n" + "".join(f'{holder.email},"{amount}"\n' for holder, amount in rows)
        import_contributions(
            society=society, part=part, year_end=DEMO_YEAR_END, text=text, filename=f"demo-{part}-2025-26.csv"
        )
    # The year's split as a draft, for the board to read and approve.
    start_surplus_run(society=society, year_end=DEMO_YEAR_END, surplus=DEMO_SURPLUS)
    return True


def _member_class(society: Society, name: str, kind: str) -> ShareClass:
    return ShareClass(
        society=society,
        name=name,
        kind=kind,
        nominal_value=Money(1, "GBP"),
        confers_membership=True,
        carries_votes=True,
        maximum_holding_shares=1,
    )
