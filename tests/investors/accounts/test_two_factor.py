"""Board members and staff set up two-factor before any admin page, log in with a code, and
their sessions last a working day and end with the browser; investors' last two weeks at most."""

import time

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.urls import reverse

from investors.accounts.middleware import BOARD_SESSION_STARTED
from tests.builders import board_seat
from tests.factories import UserFactory, give_two_factor
from tests.factories.capital import authenticator_code as current_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"  # the factories' password
SET_UP = reverse("mfa_activate_totp")


@pytest.mark.parametrize("role", ["director", "secretary", "treasurer"])
def test_a_board_member_without_two_factor_is_sent_to_set_it_up_before_any_admin_page(client, society, role):
    user = board_seat(society=society, role=role, two_factor=False)
    client.force_login(user)
    for page in ("/admin/", "/admin/pages/", "/admin/offer/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(SET_UP), page
    # The set-up page opens (after the password again, as allauth asks before changing security).
    set_up = client.get(SET_UP)
    assert set_up.status_code == 302 and set_up["Location"].startswith(reverse("account_reauthenticate"))
    client.post(set_up["Location"], {"password": PASSWORD})
    assert client.get(SET_UP).status_code == 200

    give_two_factor(user)
    assert client.get("/admin/").status_code == 200


def test_staff_without_two_factor_are_sent_to_set_it_up(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/")["Location"].startswith(SET_UP)
    give_two_factor(staff)
    assert client.get("/admin/").status_code == 200


def test_an_investor_is_never_asked_for_two_factor(client):
    investor = UserFactory()
    client.force_login(investor)
    assert client.get(reverse("account:dashboard")).status_code == 200
    response = client.get("/admin/")  # no admin access: their own pages, not the set-up page
    assert not response.get("Location", "").startswith(SET_UP)


@pytest.mark.parametrize("page", ["/admin/", "/admin/pages/", "/admin/login/?next=/admin/"])
def test_a_logged_in_investor_opening_the_admin_is_taken_to_their_dashboard_not_round_a_loop(client, page):
    client.force_login(UserFactory())
    response = client.get(page, follow=True)
    assert response.redirect_chain[-1][0] == reverse("account:dashboard")
    assert response.status_code == 200
    assert "The admin is for societies" in response.content.decode()


def test_a_board_member_logs_in_with_the_password_and_then_a_code(client, director):
    response = client.post(reverse("account:login"), {"login": director.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone does not log in
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    done = client.post(reverse("mfa_authenticate"), {"code": current_code()})
    assert done.status_code == 302 and client.session["_auth_user_id"] == str(director.pk)
    assert client.get("/admin/").status_code == 200


def test_a_board_session_ends_with_the_browser_and_after_a_working_day(client, settings, director):
    client.post(
        reverse("account:login"), {"login": director.username, "password": PASSWORD, "remember": "on"}
    )
    client.post(reverse("mfa_authenticate"), {"code": current_code()})
    assert client.get("/admin/").status_code == 200
    assert client.session.get_expire_at_browser_close()  # "keep me logged in" does not hold for boards
    assert settings.BOARD_SESSION_SECONDS == 9 * 3600

    session = client.session
    session[BOARD_SESSION_STARTED] = time.time() - settings.BOARD_SESSION_SECONDS - 1
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account:login"))
    assert "_auth_user_id" not in client.session


def test_a_board_members_admin_pages_leave_their_session_as_it_was(client, settings, director):
    """Each admin page asks again whether the user sits on a board, but writes the answer into
    the session only when it changed: a response that resends the session cookie could, arriving
    late, put back a session its browser had since left."""
    client.force_login(director)
    assert client.get("/admin/").status_code == 200
    for page in ("/admin/", "/admin/offer/"):
        response = client.get(page)
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies, page


def test_an_investors_session_lasts_two_weeks_at_most(client):
    get_user_model().objects.create_user("ann@example.org", "ann@example.org", PASSWORD)
    client.post(
        reverse("account:login"), {"login": "ann@example.org", "password": PASSWORD, "remember": "on"}
    )
    assert client.session["_auth_user_id"]
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() <= 14 * 24 * 3600
    client.logout()
    client.post(reverse("account:login"), {"login": "ann@example.org", "password": PASSWORD})
    assert client.session.get_expire_at_browser_close()  # not ticked: ends with the browser
    assert not Authenticator.objects.exists()


def reauthenticated(client):
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


def test_a_board_member_cannot_remove_their_only_authenticator(client, director):
    client.force_login(director)
    reauthenticated(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200 and "must keep two-factor" in response.content.decode()
    assert Authenticator.objects.filter(user=director, type=Authenticator.Type.TOTP).exists()


def test_an_investor_may_remove_theirs(client):
    investor = give_two_factor(UserFactory())
    client.force_login(investor)
    reauthenticated(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=investor, type=Authenticator.Type.TOTP).exists()
