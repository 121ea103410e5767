"""News emailed to those it concerns: a society's members, or one offer's investors.

A news page is emailed once, when it is first published (its `emailed_at` is claimed with a
conditional update, so a second publish, or two workers at once, send nothing more). Each email
goes through the one notify path, and carries a signed link that stops that society's news
emails for that holder; anyone who used it is left out of every later one.
"""

import logging

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from capital.models import Society
from cms.models import NewsOptOut, NewsPage, SocietyPage
from investors.models import Application
from shares import notify
from shares.models import Holder
from shares.services.membership import voting_roll

logger = logging.getLogger(__name__)

OPT_OUT_SALT = "cms.news.opt-out"
TEMPLATE = "cms/email/news"


def opt_out_token(*, holder: Holder, society: Society) -> str:
    return signing.dumps({"holder": holder.pk, "society": society.pk}, salt=OPT_OUT_SALT, compress=True)


def opt_out_link(*, holder: Holder, society: Society) -> str:
    path = reverse("news-opt-out", args=[opt_out_token(holder=holder, society=society)])
    return notify.site_url() + path


def read_opt_out_token(token: str) -> tuple[Holder, Society] | None:
    """The holder and society a link names, or None for a link that was not ours or was altered."""
    try:
        data = signing.loads(token, salt=OPT_OUT_SALT)
        return Holder.objects.get(pk=data["holder"]), Society.objects.get(pk=data["society"])
    except (signing.BadSignature, KeyError, TypeError, Holder.DoesNotExist, Society.DoesNotExist):
        return None


def stop_news_emails(*, holder: Holder, society: Society) -> None:
    """Honour an opt-out (asking twice changes nothing)."""
    NewsOptOut.objects.get_or_create(holder=holder, society=society)


def news_recipients(page: NewsPage) -> list[Holder]:
    """Who a news page is emailed to, without those who opted out or have no address."""
    society = page.offer.society if page.offer_id else _society(page)
    if society is None or not page.email_to:
        return []
    if page.email_to == NewsPage.Audience.INVESTORS:
        if page.offer_id is None:
            return []
        holders = Holder.objects.filter(
            applications__offer_id=page.offer_id,
            applications__state__in=[Application.State.PAID, Application.State.ALLOCATED],
        ).distinct()
    else:
        holders = Holder.objects.filter(
            pk__in=[voter.holder.pk for voter in voting_roll(society, timezone.localdate())]
        )
    opted_out = NewsOptOut.objects.filter(society=society).values("holder")
    return list(
        holders.exclude(pk__in=opted_out).exclude(email="").exclude(died_on__isnull=False).order_by("pk")
    )


def _society(page: NewsPage) -> Society | None:
    parent = page.get_parent()
    grand = parent.get_parent() if parent else None
    specific = grand.specific if grand else None
    return specific.society if isinstance(specific, SocietyPage) else None


def send_news(*, page_id: int) -> int:
    """Email a published news page to its audience, once. Returns how many were sent."""
    now = timezone.now()
    page = NewsPage.objects.live().filter(pk=page_id).exclude(email_to="").first()
    if page is None:
        return 0
    if not NewsPage.objects.filter(pk=page_id, emailed_at__isnull=True).update(emailed_at=now):
        return 0  # already sent, or being sent by another worker
    society = page.offer.society if page.offer_id else _society(page)
    sent = 0
    for holder in news_recipients(page):
        message = notify.holder_message(
            holder=holder,
            template=TEMPLATE,
            subject=f"{society.name}: {page.title}",
            society=society,
            page=page,
            page_url=page.full_url or notify.site_url() + page.url,
            because=(
                f"you invested in {page.offer.title}"
                if page.email_to == NewsPage.Audience.INVESTORS
                else f"you are a member of {society.name}"
            ),
            opt_out_link=opt_out_link(holder=holder, society=society),
        )
        sent += notify.send_now(message)
    logger.info("News page %s emailed to %s holders", page_id, sent)
    return sent


@task(queue_name="mail")
def send_news_task(page_id: int) -> int:
    return send_news(page_id=page_id)


def news_published(sender, instance, **kwargs) -> None:
    """Wagtail's `page_published` for a news page: email it once the publishing commits."""
    if instance.email_to and instance.emailed_at is None:
        page_id = instance.pk
        transaction.on_commit(lambda: _enqueue(page_id), robust=True)


def _enqueue(page_id: int) -> None:
    try:
        send_news_task.enqueue(page_id)
    except Exception:
        logger.exception("Could not queue the emails of news page %s", page_id)
