"""News reaches those it concerns, once: a society's members, or one offer's investors; every
such email carries a link that stops them, and a holder who used it is never emailed news again."""

import re

from django.core import mail

from cms.models import NewsIndexPage, NewsOptOut, NewsPage
from cms.news import send_news
from tests import factories
from tests.builders import issue, paid_application, unpaid_application
from tests.cms.pages import add_society_page


def publish_news(society, **fields) -> NewsPage:
    society_page = add_society_page(society)
    news_index = society_page.add_child(instance=NewsIndexPage(title="News", slug="news"))
    page = news_index.add_child(
        instance=NewsPage(
            title="Roofs surveyed",
            slug="roofs",
            summary="All twelve roofs can take panels.",
            live=False,
            **fields,
        )
    )
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def test_news_to_an_offers_investors_reaches_those_who_paid_once_with_an_opt_out_link_that_works(
    client, open_offer, django_capture_on_commit_callbacks
):
    paid = paid_application(offer=open_offer, shares=100)
    unpaid_application(offer=open_offer, shares=100)  # not yet an investor
    with django_capture_on_commit_callbacks(execute=True):
        page = publish_news(open_offer.society, email_to=NewsPage.Audience.INVESTORS, offer=open_offer)
    [message] = [m for m in mail.outbox if m.subject.endswith("Roofs surveyed")]
    assert message.to == [paid.holder.email]
    assert "All twelve roofs can take panels." in message.body and page.url in message.body
    [(html, _)] = message.alternatives
    link = re.search(r"To stop news emails from [^:]+: (\S+)", message.body).group(1)
    assert link in html, "the HTML part carries the opt-out link too"

    assert send_news(page_id=page.pk) == 0, "published again, it is not emailed again"

    path = link.split("://", 1)[1].split("/", 1)[1]
    assert "Stop news emails" in client.get(f"/{path}").content.decode()
    assert not NewsOptOut.objects.exists(), "opening the link (a mail scanner may) stops nothing"
    response = client.post(f"/{path}")
    assert response.status_code == 200 and "no more news emails" in response.content.decode()
    assert NewsOptOut.objects.filter(holder=paid.holder, society=open_offer.society).count() == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = (
            NewsPage.objects.get(pk=page.pk)
            .get_parent()
            .add_child(
                instance=NewsPage(
                    title="Panels up", slug="panels", live=False, email_to="investors", offer=open_offer
                )
            )
        )
        second.save_revision().publish()
    assert mail.outbox == [], "the opt-out is honoured"


def test_news_to_members_reaches_the_societys_members_only(
    community_class, django_capture_on_commit_callbacks
):
    member = factories.HolderFactory()
    issue(holder=member, share_class=community_class, shares=10)
    outsider = factories.HolderFactory()
    with django_capture_on_commit_callbacks(execute=True):
        publish_news(community_class.society, email_to=NewsPage.Audience.MEMBERS)
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert outsider.email not in str([m.to for m in mail.outbox])
    assert f"you are a member of {community_class.society.name}" in mail.outbox[0].body


def test_a_tampered_opt_out_link_is_refused(client, db):
    assert client.get("/news/opt-out/not-a-real-token/").status_code == 404


def test_news_not_meant_for_email_is_not_emailed(community_class, django_capture_on_commit_callbacks):
    issue(holder=factories.HolderFactory(), share_class=community_class, shares=10)
    with django_capture_on_commit_callbacks(execute=True):
        publish_news(community_class.society)
    assert mail.outbox == []
