"""The public site's pages.

The tree is home → society → (offer pages, news index → news pages). A society page and an offer
page each stand for a row of the capital app (one page per society, one per offer), so that the
figures on them — progress, rights, return terms — come from the same rows the register and the
allocation use, never from text someone typed.
"""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from capital.models import Offer, Society
from cms.blocks import DocumentLinkBlock, OfferBodyBlock, StoryStreamBlock, TeamMemberBlock
from cms.caching import PublicCacheMixin
from cms.offer_context import offer_page_context
from investors.applications.progress import raised_by_offer


def live_offer_pages(offers) -> dict[int, "OfferPage"]:
    """Each offer's published page, by offer id, in one query."""
    return {page.offer_id: page for page in OfferPage.objects.live().filter(offer__in=offers)}


class HomePage(PublicCacheMixin, Page):
    """The site's front door: a welcome and the offers open now."""

    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, "intro"]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.SocietyPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        offers = list(
            Offer.objects.accepting(now).select_related("share_class__society").order_by("closes_at")
        )
        pages = live_offer_pages(offers)
        context["open_offers"] = [(offer, pages.get(offer.pk)) for offer in offers]
        context["societies"] = SocietyPage.objects.live().child_of(self).select_related("society")
        return context


class SocietyPage(PublicCacheMixin, Page):
    """A society's own corner of the site: who they are, who runs it, their offers and news."""

    society = models.OneToOneField(Society, on_delete=models.PROTECT, related_name="page")
    summary = models.CharField(max_length=300, blank=True, help_text="One or two sentences for listings.")
    story = RichTextField(blank=True, help_text="What the society does and why it is raising money.")
    team = StreamField([("member", TeamMemberBlock())], blank=True, help_text="The board and key people.")
    documents = StreamField(
        [("document", DocumentLinkBlock())],
        blank=True,
        help_text="Rules, accounts, business plan: anything a member or investor may want to read.",
    )

    content_panels = [
        *Page.content_panels,
        "society",
        "summary",
        "story",
        "team",
        "documents",
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("story")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.OfferPage", "cms.NewsIndexPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        offers = list(
            Offer.objects.filter(share_class__society_id=self.society_id)
            .exclude(state=Offer.State.DRAFT)
            .select_related("share_class")
            .order_by("-opens_at")
        )
        pages = live_offer_pages(offers)
        now = timezone.now()
        raised = raised_by_offer(offers)
        current, past = [], []
        for offer in offers:
            (current if offer.is_running(now) else past).append(
                (offer, pages.get(offer.pk), raised[offer.pk])
            )
        context["current_offers"], context["past_offers"] = current, past
        context["news"] = NewsPage.objects.live().descendant_of(self).order_by("-date", "-pk")[:3]
        context["news_index"] = NewsIndexPage.objects.live().child_of(self).first()
        return context


class OfferPageForm(WagtailAdminPageForm):
    """Offers a society page's editors only that society's offers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        society = _society_of(self.parent_page)
        if society is not None and "offer" in self.fields:
            self.fields["offer"].queryset = Offer.objects.filter(share_class__society=society)

    def clean(self):
        cleaned = super().clean()
        offer = cleaned.get("offer")
        if offer is not None and self.parent_page is not None:
            message = offer_belongs_under(offer, self.parent_page)
            if message:
                self.add_error("offer", message)
        return cleaned


def _society_of(page) -> Society | None:
    specific = page.specific if page is not None else None
    return specific.society if isinstance(specific, SocietyPage) else None


def offer_belongs_under(offer: Offer, parent) -> str:
    """Why `offer` cannot have its page under `parent`, or "" if it can."""
    society = _society_of(parent)
    if society is not None and offer.share_class.society_id != society.pk:
        return (
            f"“{offer}” is an offer of {offer.share_class.society}; put its page under that society's page."
        )
    return ""


class OfferPage(PublicCacheMixin, Page):
    """One share offer: its story, live progress, the rights and returns on offer, and a simulator.

    Figures come from the `Offer` and its applications at the moment the page is served (the page
    may be cached for a minute); editors write only the story and the questions around them.
    """

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="page")
    summary = models.CharField(max_length=300, blank=True, help_text="One or two sentences for listings.")
    body = StreamField(OfferBodyBlock(), blank=True)
    low_surplus = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The simulator's low scenario: surplus each year. Empty: 5% of the maximum target.",
    )
    medium_surplus = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The simulator's medium scenario. Empty: 15% of the maximum target.",
    )
    high_surplus = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The simulator's high scenario. Empty: 30% of the maximum target.",
    )
    offer_document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The offer document investors are told to read: required before the offer opens.",
    )
    business_plan = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rules = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The society's registered rules.",
    )
    accounts = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The latest accounts.",
    )

    base_form_class = OfferPageForm
    content_panels = [
        *Page.content_panels,
        "offer",
        "summary",
        MultiFieldPanel(
            [
                FieldPanel("offer_document"),
                FieldPanel("business_plan"),
                FieldPanel("rules"),
                FieldPanel("accounts"),
            ],
            heading="Documents (the offer document is needed before the offer opens)",
        ),
        "body",
        MultiFieldPanel(
            [FieldPanel("low_surplus"), FieldPanel("medium_surplus"), FieldPanel("high_surplus")],
            heading="Simulator scenarios (from the business plan)",
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["cms.SocietyPage"]
    subpage_types = []

    def clean(self):
        super().clean()
        if self.offer_id and self.depth and self.path and self.depth > 1:
            message = offer_belongs_under(self.offer, self.get_parent())
            if message:
                raise ValidationError({"offer": message})

    def offer_documents(self) -> list[tuple[str, object]]:
        """(label, document) of the documents given, in the order an investor reads them."""
        named = [
            ("Offer document", self.offer_document),
            ("Business plan", self.business_plan),
            ("Rules", self.rules),
            ("Accounts", self.accounts),
        ]
        return [(label, document) for label, document in named if document is not None]

    def scenario_figures(self) -> dict:
        return {"low": self.low_surplus, "medium": self.medium_surplus, "high": self.high_surplus}

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(offer_page_context(request, self))
        return context


class NewsIndexPage(PublicCacheMixin, Page):
    """A society's news for its members and investors, newest first."""

    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, "intro"]
    parent_page_types = ["cms.SocietyPage"]
    subpage_types = ["cms.NewsPage"]
    max_count_per_parent = 1
    PER_PAGE = 10

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.live().child_of(self).order_by("-date", "-pk")
        context["news"] = Paginator(news, self.PER_PAGE).get_page(request.GET.get("page"))
        return context


class NewsPage(PublicCacheMixin, Page):
    """An update to a society's investors and members: progress on the project, the year's results.

    It may be emailed, once, when first published: to the society's members or to one offer's
    investors (`cms.news`). Every such email carries a link to stop them, which is honoured.
    """

    class Audience(models.TextChoices):
        NOBODY = "", "Nobody: only on the site"
        MEMBERS = "members", "The society's members"
        INVESTORS = "investors", "The investors in one offer"

    date = models.DateField("Published on", default=timezone.localdate)
    summary = models.CharField(max_length=300, blank=True, help_text="One or two sentences for listings.")
    body = StreamField(StoryStreamBlock(), blank=True)
    email_to = models.CharField(
        max_length=16,
        choices=Audience.choices,
        blank=True,
        default=Audience.NOBODY,
        help_text="Who is emailed this news when it is first published (never twice).",
    )
    offer = models.ForeignKey(
        Offer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="news",
        help_text="The offer this news is about; its investors are emailed if chosen above.",
    )
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    content_panels = [
        *Page.content_panels,
        "date",
        "summary",
        "body",
        MultiFieldPanel([FieldPanel("offer"), FieldPanel("email_to")], heading="Who hears of it"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []

    def clean(self):
        super().clean()
        if self.email_to == self.Audience.INVESTORS and self.offer_id is None:
            raise ValidationError({"offer": "Choose the offer whose investors are to be emailed."})
        if self.offer_id and self.depth and self.path and self.depth > 2:
            society = _society_of(self.get_parent().get_parent())
            if society is not None and self.offer.society.pk != society.pk:
                raise ValidationError({"offer": f"Choose one of {society}'s offers."})


class NewsOptOut(models.Model):
    """A holder who asked, through the link in a news email, to receive no more of one
    society's news by email."""

    holder = models.ForeignKey("shares.Holder", on_delete=models.CASCADE, related_name="+")
    society = models.ForeignKey(Society, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["holder", "society"], name="one_news_opt_out")]

    def __str__(self):
        return f"{self.holder} receives no news emails from {self.society}"
