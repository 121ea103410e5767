"""Login, logout and password pages on django-allauth: the admin logs in through the same page,
older addresses still lead somewhere, and the emails go through our notify path."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

User = get_user_model()
PASSWORD = "a long walk by the canal"

pytestmark = pytest.mark.django_db


def test_the_admin_logs_in_through_the_sites_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account:login")
    old = client.get("/admin/login/?next=/admin/pages/")
    assert old.status_code == 302 and old["Location"] == "/account/login/?next=/admin/pages/"


def test_no_other_login_page_skips_two_factor_or_the_limits(client, director):
    """Wagtail's own login for private pages is the site's login too: a board member's password
    alone never makes a session anywhere."""
    response = client.get("/_util/login/?next=/private/")
    assert response.status_code == 302 and response["Location"] == "/account/login/?next=/private/"
    client.post("/_util/login/", {"username": director.username, "password": "correct horse battery"})
    client.post("/admin/login/", {"username": director.username, "password": "correct horse battery"})
    assert "_auth_user_id" not in client.session


def test_older_account_addresses_redirect(client):
    assert client.get("/account/password/reset/sent/")["Location"] == reverse("account:password-reset-done")
    assert client.get("/account/password/")["Location"] == reverse("account:password-change")
    # allauth's own address book could remove or swap addresses: changing one goes through the profile.
    assert client.get("/account/email/")["Location"] == reverse("account:profile")
    old_link = client.get("/account/password/reset/MQ/c3q8ks-0123456789abcdef/")
    assert old_link["Location"] == reverse("account:password-reset")


def test_sign_up_is_allauths_at_the_address_our_links_use(client):
    page = client.get("/account/signup/")
    assert reverse("account:signup") == reverse("account_signup") == "/account/signup/"
    html = page.content.decode()
    assert page.status_code == 200 and 'name="email"' in html and 'name="name"' in html
    assert 'type="password"' not in html and "Open an investor account" in html
    assert client.get("/account/confirm-email/")["Location"] == reverse("account:signup-sent")


def test_the_reset_email_goes_through_the_notify_path_with_a_clean_name(
    client, django_capture_on_commit_callbacks
):
    User.objects.create_user(
        "ann@example.org", "ann@example.org", PASSWORD, first_name="Ann <b>http://x.example</b>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account:password-reset"), {"email": "ann@example.org"})
    [message] = mail.outbox
    assert message.subject == "Reset your Commonshare password"  # our template, not allauth's
    assert "<b>" not in message.body and "x.example" not in message.body
    [url] = re.findall(r"https?://\S+", message.body)
    assert urlsplit(url).path.startswith("/account/password/reset/key/")


def test_a_wrong_password_costs_one_hash_for_an_address_with_an_account_as_for_one_without(
    client, db, monkeypatch
):
    """Otherwise the time a wrong password takes tells whether the address has an account."""
    from django.contrib.auth import base_user

    hashed = []

    def counted(name):
        real = getattr(base_user, name)
        monkeypatch.setattr(base_user, name, lambda *a, **k: hashed.append(name) or real(*a, **k))

    counted("make_password")  # allauth's timing mitigation for an unknown address
    counted("check_password")
    get_user_model().objects.create_user(username="ann@example.org", email="ann@example.org", password="pw-1")
    hashed.clear()

    costs = {}
    for login in ("ann@example.org", "nobody@example.org", "ANN@example.org"):
        hashed.clear()
        response = client.post(reverse("account:login"), {"login": login, "password": "not the password"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        costs[login] = len(hashed)
    assert set(costs.values()) == {1}, costs
