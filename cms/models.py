"""The public site's pages. Only the home page so far; offer and society pages come later."""

from django.utils import timezone
from wagtail.fields import RichTextField
from wagtail.models import Page

from capital.models import Offer


class HomePage(Page):
    """The site's front door: a welcome and the offers open now."""

    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, "intro"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        context["open_offers"] = (
            Offer.objects.filter(state=Offer.State.OPEN, opens_at__lte=now, closes_at__gt=now)
            .select_related("share_class__society")
            .order_by("closes_at")
        )
        return context
