"""Investors' accounts: sign-up with a verified address, login, password reset, and correcting
their own details; no page tells a stranger whether an address has an account."""

import datetime
import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.urls import reverse

from capital.models import AuditEntry
from investors.accounts import SIGN_UP_SALT
from shares.models import Holder
from shares.services.register import issue_shares
from tests import factories
from tests.factories import gbp

User = get_user_model()
PASSWORD = "a long walk by the canal"


# --- Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def run_after_commit(db, django_capture_on_commit_callbacks):
    """Emails are sent once the database has committed; run those callbacks as a commit would."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def sign_up(client, run_after_commit, email="ann@example.org", name="Ann Other", password=PASSWORD):
    data = {"name": name, "email": email, "password1": password, "password2": password}
    return run_after_commit(lambda: client.post(reverse("account:signup"), data))


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("account:login"), {"username": email, "password": password})


def link_in(message) -> str:
    """The path of the one link in an email."""
    [url] = re.findall(r"https?://\S+", message.body)
    return urlsplit(url).path


def verified_user(email="ann@example.org", **fields):
    return User.objects.create_user(username=email, email=email, password=PASSWORD, **fields)


def text(response) -> str:
    return response.content.decode()


# --- Signing up and verifying ----------------------------------------------------------------------


def test_sign_up_sends_a_link_that_verifies_the_address_and_then_login_works(client, run_after_commit):
    response = sign_up(client, run_after_commit, email="  Ann@Example.org ")
    assert response.status_code == 302 and response["Location"] == reverse("account:signup-sent")
    user = User.objects.get()
    assert (user.username, user.email, user.is_active, user.first_name) == (
        "ann@example.org",
        "",
        False,
        "Ann Other",
    )
    [message] = mail.outbox
    assert message.to == ["ann@example.org"] and "Confirm your email address" in message.subject

    refused = log_in(client, "ann@example.org")
    assert refused.status_code == 200 and "Please confirm your email address first" in text(refused)
    assert "Send the link again" in text(refused) and "_auth_user_id" not in client.session

    verified = client.get(link_in(message), follow=True)
    assert verified.redirect_chain == [(reverse("account:login"), 302)]
    assert "your email address is confirmed" in text(verified)
    user.refresh_from_db()
    assert (user.is_active, user.email) == (True, "ann@example.org")

    logged_in = log_in(client, "ANN@example.org")
    assert logged_in.status_code == 302 and logged_in["Location"] == reverse("account:dashboard")
    assert client.get(reverse("account:dashboard")).status_code == 200


def test_sign_up_refuses_mismatched_and_weak_passwords_and_creates_nothing(client, run_after_commit):
    data = {
        "name": "Ann Other",
        "email": "ann@example.org",
        "password1": PASSWORD,
        "password2": "something else",
    }
    response = run_after_commit(lambda: client.post(reverse("account:signup"), data))
    assert response.status_code == 200 and "The two password fields didn’t match." in text(response)
    response = sign_up(client, run_after_commit, password="ann@example.org")
    assert "too similar" in text(response)
    assert not User.objects.exists() and not mail.outbox


def test_signing_up_with_an_address_that_has_an_account_changes_nothing_and_tells_only_its_owner(
    client, run_after_commit
):
    owner = verified_user(first_name="Ann")
    response = sign_up(client, run_after_commit, email="ANN@example.org", password="another long password")
    assert response.status_code == 302 and response["Location"] == reverse("account:signup-sent")
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    [message] = mail.outbox
    assert message.to == ["ann@example.org"] and "already" in message.subject
    assert reverse("account:password-reset") in message.body


def test_a_wrong_password_for_an_unverified_account_says_nothing_about_verification(client, run_after_commit):
    sign_up(client, run_after_commit)
    response = log_in(client, "ann@example.org", password="not the password")
    assert "do not match an account" in text(response)
    assert "confirm your email" not in text(response) and "Send the link again" not in text(response)


def test_a_link_followed_twice_changes_nothing_the_second_time(client, run_after_commit):
    sign_up(client, run_after_commit)
    link = link_in(mail.outbox[0])
    client.get(link)
    user = User.objects.get()
    again = client.get(link, follow=True)
    assert "already confirmed" in text(again)
    assert User.objects.get().email == user.email and User.objects.count() == 1


def test_a_tampered_link_is_refused_and_changes_nothing(client, run_after_commit):
    sign_up(client, run_after_commit)
    link = link_in(mail.outbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = signing.loads(token, salt=SIGN_UP_SALT) | {"email": "mallory@example.org"}
    tampered_signature = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered_signature, signing.dumps(forged, salt="not-ours"), "rubbish"):
        response = client.get(reverse("account:verify-email", args=[bad]))
        assert response.status_code == 400
        assert "This link is not valid" in text(response) and "Send a new link" in text(response)
    user = User.objects.get()
    assert (user.is_active, user.email) == (False, "")


def test_an_expired_link_is_refused_with_a_message_and_changes_nothing(client, run_after_commit, monkeypatch):
    issued = time.time() - 4 * 24 * 3600  # links last three days
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: issued)
        sign_up(client, run_after_commit)
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 400 and "This link has expired (links last 3 days)" in text(response)
    assert not User.objects.get().is_active


def test_a_link_cannot_switch_back_on_an_account_the_board_switched_off(client, db):
    user = verified_user()
    user.is_active = False
    user.save()
    token = signing.dumps({"user": user.pk, "email": user.username}, salt=SIGN_UP_SALT)
    response = client.get(reverse("account:verify-email", args=[token]))
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_the_link_can_be_sent_again_and_the_answer_never_says_who_has_an_account(client, run_after_commit):
    sign_up(client, run_after_commit)
    verified_user(email="bea@example.org")
    mail.outbox.clear()
    answers = {}
    for email in ("ann@example.org", "bea@example.org", "nobody@example.org"):
        response = client.post(reverse("account:resend-verification"), {"email": email})
        answers[email] = text(response).replace(email, "ADDRESS")
    assert len(set(answers.values())) == 1
    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    client.get(link_in(message))
    assert User.objects.get(username="ann@example.org").is_active


def test_verifying_links_the_one_register_record_with_that_address(client, run_after_commit, community_class):
    holder = factories.HolderFactory(email="Ann@Example.org")
    issue_shares(
        society=community_class.society, holder=holder, share_class=community_class, shares=50, amount=gbp(50)
    )
    sign_up(client, run_after_commit)
    client.get(link_in(mail.outbox[0]))
    holder.refresh_from_db()
    assert holder.user == User.objects.get()
    assert AuditEntry.objects.filter(action="holder.account_linked", society=community_class.society).exists()


def test_verifying_links_nothing_when_two_records_share_the_address(client, run_after_commit):
    factories.HolderFactory(email="ann@example.org")
    factories.HolderFactory(email="ann@example.org", kind=Holder.Kind.ORGANISATION, date_of_birth=None)
    sign_up(client, run_after_commit)
    client.get(link_in(mail.outbox[0]))
    assert User.objects.get().is_active and not Holder.objects.filter(user__isnull=False).exists()


# --- Logging in and out ----------------------------------------------------------------------------


def test_board_members_can_still_log_in_with_their_username(client, db):
    User.objects.create_user("treasurer", "treasurer@example.org", PASSWORD)
    assert log_in(client, "treasurer").status_code == 302
    client.logout()
    assert log_in(client, "treasurer@example.org").status_code == 302


def test_logging_out_ends_the_session(client, db):
    client.force_login(verified_user())
    response = client.post(reverse("account:logout"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("account:dashboard")).status_code == 302


# --- Password reset --------------------------------------------------------------------------------


def test_password_reset_by_email_sets_a_new_password(client, db):
    user = verified_user()
    response = client.post(reverse("account:password-reset"), {"email": "ANN@example.org"})
    assert response["Location"] == reverse("account:password-reset-done")
    [message] = mail.outbox
    assert message.to == ["ann@example.org"] and message.subject == "Reset your Commonshare password"

    form = client.get(link_in(message), follow=True)
    assert "Choose a new password" in text(form)
    set_url = form.redirect_chain[-1][0]
    new = "a brand new walk in the hills"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("account:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password(new)
    assert log_in(client, "ann@example.org", password=new).status_code == 302

    client.logout()
    reused = client.get(link_in(message), follow=True)
    assert "This link does not work" in text(reused)


def test_password_reset_answers_the_same_for_unknown_and_unverified_addresses_and_sends_nothing(
    client, run_after_commit
):
    sign_up(client, run_after_commit)
    mail.outbox.clear()
    for email in ("ann@example.org", "nobody@example.org"):
        response = client.post(reverse("account:password-reset"), {"email": email})
        assert response.status_code == 302 and response["Location"] == reverse("account:password-reset-done")
    assert not mail.outbox


def test_a_logged_in_investor_changes_their_password_with_the_old_one(client, db):
    user = verified_user()
    client.force_login(user)
    new = "a brand new walk in the hills"
    wrong = client.post(
        reverse("account:password-change"),
        {"old_password": "guess", "new_password1": new, "new_password2": new},
    )
    assert wrong.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(
        reverse("account:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == reverse("account:password-change-done")
    user.refresh_from_db()
    assert user.check_password(new)


# --- Personal details ------------------------------------------------------------------------------


@pytest.fixture
def ann(community_class):
    user = verified_user()
    holder = factories.HolderFactory(name="Ann Other", email=user.email, user=user)
    issue_shares(
        society=community_class.society, holder=holder, share_class=community_class, shares=50, amount=gbp(50)
    )
    return user, holder


def test_an_investor_corrects_their_details_and_each_society_sees_what_changed(client, ann, community_class):
    user, holder = ann
    client.force_login(user)
    response = client.post(
        reverse("account:profile"),
        {"name": "Ann Smith", "postal_address": "3 Lock Lane, Hebden Bridge", "date_of_birth": "1981-02-03"},
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert (holder.name, holder.postal_address, holder.date_of_birth) == (
        "Ann Smith",
        "3 Lock Lane, Hebden Bridge",
        datetime.date(1981, 2, 3),
    )
    entry = AuditEntry.objects.get(action="holder.corrected", society=community_class.society)
    assert entry.actor == user
    assert entry.data["changes"]["name"] == ["Ann Other", "Ann Smith"]
    assert entry.data["changes"]["date_of_birth"] == ["1980-05-17", "1981-02-03"]


def test_a_person_cannot_remove_their_date_of_birth(client, ann):
    user, holder = ann
    client.force_login(user)
    for born, error in (
        ("", "A person&#x27;s date of birth is needed."),
        ("2999-01-01", "cannot be in the future"),
    ):
        response = client.post(
            reverse("account:profile"),
            {"name": "Ann Smith", "postal_address": "Elsewhere", "date_of_birth": born},
        )
        assert response.status_code == 200 and error in text(response)
    holder.refresh_from_db()
    assert (holder.name, holder.date_of_birth) == ("Ann Other", datetime.date(1980, 5, 17))
    assert not AuditEntry.objects.filter(action="holder.corrected").exists()


def test_an_organisation_has_no_date_of_birth_to_give(client, db):
    user = verified_user()
    holder = factories.HolderFactory(kind=Holder.Kind.ORGANISATION, date_of_birth=None, user=user)
    client.force_login(user)
    assert 'name="date_of_birth"' not in text(client.get(reverse("account:profile")))
    response = client.post(
        reverse("account:profile"), {"name": "Canal Co-op Ltd", "postal_address": "The Wharf"}
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert (holder.name, holder.date_of_birth) == ("Canal Co-op Ltd", None)


def test_changing_the_login_address_waits_for_the_new_address_to_be_verified(
    client, ann, run_after_commit, community_class
):
    user, holder = ann
    client.force_login(user)
    response = client.post(
        reverse("account:change-email"), {"new_email": "Ann.New@Example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ann.new@example.org"]
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == holder.email == "ann@example.org"  # nothing changes yet

    client.logout()
    run_after_commit(lambda: client.get(link_in(message)))
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == user.username == holder.email == "ann.new@example.org"
    assert mail.outbox[-1].to == ["ann@example.org"] and "was changed" in mail.outbox[-1].subject
    entry = AuditEntry.objects.get(action="holder.corrected", society=community_class.society)
    assert entry.data["changes"] == {"email": ["ann@example.org", "ann.new@example.org"]}
    assert log_in(client, "ann.new@example.org").status_code == 302

    again = client.get(link_in(message), follow=True)
    assert "already ann.new@example.org" in text(again)


def test_changing_the_address_needs_the_current_password(client, ann):
    user, _ = ann
    client.force_login(user)
    response = client.post(
        reverse("account:change-email"), {"new_email": "elsewhere@example.org", "current_password": "guess"}
    )
    assert response.status_code == 400 and "That is not your current password." in text(response)
    assert not mail.outbox


def test_an_address_taken_meanwhile_is_refused_and_nothing_changes(client, ann):
    user, holder = ann
    client.force_login(user)
    client.post(
        reverse("account:change-email"), {"new_email": "bea@example.org", "current_password": PASSWORD}
    )
    verified_user(email="bea@example.org")
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 400 and "Another account already uses bea@example.org" in text(response)
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == holder.email == "ann@example.org"
