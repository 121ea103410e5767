"""Real threads against real PostgreSQL: one address signing up many times at once makes one
account, and its link sent from many windows at once sets one password."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_address_signing_up_from_many_windows_at_once_makes_one_account():
    def sign_up(n):
        return Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(
            reverse("account:signup"), {"name": f"Ann {n}", "email": "ann@example.org"}
        )

    answers = run_concurrently(sign_up, range(8))
    assert [answer.status_code for answer in answers] == [302] * 8
    assert {answer["Location"] for answer in answers} == {reverse("account:signup-sent")}
    assert get_user_model().objects.count() == 1 and EmailAddress.objects.count() == 1


def test_a_link_sent_from_many_windows_at_once_sets_one_password():
    Client().post(reverse("account:signup"), {"name": "Ann", "email": "ann@example.org"})
    [url] = re.findall(r"https?://\S+", mail.outbox[-1].body)
    link = urlsplit(url).path

    def choose(n):
        password = f"a long walk by the canal {n}"
        data = {"name": "Ann", "new_password1": password, "new_password2": password}
        return Client().post(link, data)

    answers = run_concurrently(choose, range(8))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [302] + [400] * 7, codes
    [winner] = [n for n, answer in enumerate(answers) if answer.status_code == 302]
    user = get_user_model().objects.get()
    assert user.email == "ann@example.org" and user.check_password(f"a long walk by the canal {winner}")
    assert EmailAddress.objects.get().verified
