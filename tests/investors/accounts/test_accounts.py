"""Investors' accounts on django-allauth: sign-up with a verified address (the owner of the mailbox
chooses the password from the emailed link), login, password reset, changing the login address
(which waits for the new address), and correcting their own details; no page tells a stranger
whether an address has an account."""

import datetime
import importlib
import re
import time
from urllib.parse import urlencode, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from capital.models import AuditEntry
from investors.applications.services import apply_for_shares
from investors.models import Application
from investors.notify import name_for_email
from shares.models import Holder
from shares.services.register import issue_shares
from tests import factories
from tests.factories import gbp

User = get_user_model()
PASSWORD = "a long walk by the canal"


# --- Helpers ---------------------------------------------------------------------------------------


def sign_up(client, run_after_commit, email="ann@example.org", name="Ann Other", **extra):
    data = {"name": name, "email": email, **extra}
    return run_after_commit(lambda: client.post(reverse("account:signup"), data))


def choose_password(client, link, password=PASSWORD, again=None, name="Ann Other"):
    data = {"name": name, "new_password1": password, "new_password2": again or password}
    return client.post(link, data)


def log_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("account:login"), {"login": email, "password": password, **extra})


def link_in(message) -> str:
    """The path of the one link in an email."""
    [url] = re.findall(r"https?://\S+", message.body)
    return urlsplit(url).path


def verified_user(email="ann@example.org", **fields):
    return User.objects.create_user(username=email, email=email, password=PASSWORD, **fields)


def text(response) -> str:
    return response.content.decode()


def unchanged_since_sign_up(user) -> bool:
    """No password, no verified address, never logged in: the account cannot be used yet."""
    user.refresh_from_db()
    verified = EmailAddress.objects.filter(user=user, verified=True).exists()
    return (user.email, user.has_usable_password(), user.last_login, verified) == ("", False, None, False)


def link_with_query(message) -> str:
    [url] = re.findall(r"https?://\S+", message.body)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def confirm_link(key: str) -> str:
    return reverse("account:confirm-email", args=[key])


class CountingHasher(MD5PasswordHasher):
    """Counts every password it hashes, to show which requests hash one."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        type(self).hashed += 1
        return super().encode(password, salt)


# --- Signing up and verifying ----------------------------------------------------------------------


def test_sign_up_asks_no_password_and_the_link_opens_the_page_where_the_owner_chooses_one(
    client, run_after_commit
):
    form = text(client.get(reverse("account:signup")))
    assert 'name="name"' in form and 'name="email"' in form and 'type="password"' not in form

    response = sign_up(client, run_after_commit, email="  Ann@Example.org ")
    assert response.status_code == 302 and response["Location"] == reverse("account:signup-sent")
    user = User.objects.get()
    assert (user.username, user.first_name) == ("ann@example.org", "Ann Other")
    assert unchanged_since_sign_up(user)
    [address] = EmailAddress.objects.all()
    assert (address.user, address.email, address.verified) == (user, "ann@example.org", False)
    assert log_in(client, "ann@example.org", password="").status_code == 200  # no password to guess
    [message] = mail.outbox
    assert message.to == ["ann@example.org"] and "Confirm your email address" in message.subject
    assert "choose the password" in message.body and "works for 3 days" in message.body
    assert link_in(message).startswith("/account/confirm-email/")

    page = client.get(link_in(message))
    assert page.status_code == 200 and "Choose your password" in text(page)
    assert "<strong>ann@example.org</strong>" in text(page) and 'value="Ann Other"' in text(page)
    assert unchanged_since_sign_up(user) and "_auth_user_id" not in client.session

    done = choose_password(client, link_in(message), name="Ann Other-Smith")
    assert done.status_code == 302 and done["Location"] == reverse("account:dashboard")
    user.refresh_from_db()
    assert (user.is_active, user.email, user.first_name) == (True, "ann@example.org", "Ann Other-Smith")
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=user).verified and EmailAddress.objects.get(user=user).primary
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "your email address is confirmed" in text(client.get(reverse("account:dashboard")))

    client.logout()
    logged_in = log_in(client, "ANN@example.org")
    assert logged_in.status_code == 302 and logged_in["Location"] == reverse("account:dashboard")


def test_opening_the_link_as_a_mail_scanner_would_changes_nothing(client, run_after_commit):
    sign_up(client, run_after_commit)
    link = link_in(mail.outbox[0])
    for _ in range(3):
        assert client.get(link).status_code == 200
        assert client.head(link).status_code == 200
    assert unchanged_since_sign_up(User.objects.get())
    assert choose_password(client, link).status_code == 302
    assert User.objects.get().is_active


def test_someone_who_signs_up_another_persons_address_first_gains_nothing(run_after_commit):
    """Mallory signs up Vic's address (sending a password too, which is ignored); when Vic signs up,
    the link goes to Vic, and only the password Vic chooses opens the account."""
    mallory, vic = Client(), Client()
    sign_up(
        mallory,
        run_after_commit,
        email="vic@example.org",
        name="Mallory",
        password1="mallory's password",
        password2="mallory's password",
    )
    account = User.objects.get()
    assert unchanged_since_sign_up(account)

    sign_up(vic, run_after_commit, email="vic@example.org", name="Vic Tim")
    assert User.objects.count() == 1
    account.refresh_from_db()
    assert account.first_name == "Vic Tim"
    first, fresh = mail.outbox
    assert first.to == fresh.to == ["vic@example.org"] and fresh.body.startswith("Hello Vic Tim,")

    assert choose_password(vic, link_in(fresh), name="Vic Tim").status_code == 302
    account.refresh_from_db()
    assert account.is_active and account.check_password(PASSWORD)
    assert not account.check_password("mallory's password")
    assert log_in(mallory, "vic@example.org", password="mallory's password").status_code == 200
    assert "_auth_user_id" not in mallory.session
    # The first link, sent when Mallory signed up, went to Vic's mailbox too, and is spent now.
    replay = choose_password(mallory, link_in(first), password="mallory's password")
    assert replay.status_code == 400 and "_auth_user_id" not in mallory.session
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_choosing_a_password_refuses_mismatched_and_weak_passwords_and_changes_nothing(
    client, run_after_commit
):
    sign_up(client, run_after_commit)
    link = link_in(mail.outbox[0])
    response = choose_password(client, link, again="something else")
    assert response.status_code == 200 and "The two password fields didn’t match." in text(response)
    response = choose_password(client, link, password="ann@example.org")
    assert "too similar" in text(response)
    response = choose_password(client, link, password="12345678")
    assert "too common" in text(response)
    assert unchanged_since_sign_up(User.objects.get())


def test_signing_up_with_an_address_that_has_an_account_changes_nothing_and_tells_only_its_owner(
    client, run_after_commit
):
    owner = verified_user(first_name="Ann")
    response = sign_up(client, run_after_commit, email="ANN@example.org", name="Someone Else")
    assert response.status_code == 302 and response["Location"] == reverse("account:signup-sent")
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.first_name == "Ann"
    [message] = mail.outbox
    assert message.to == ["ann@example.org"] and "already" in message.subject
    assert reverse("account:password-reset") in message.body


def test_sign_up_hashes_no_password_and_answers_the_same_whether_or_not_the_address_has_an_account(
    client, run_after_commit, settings
):
    """Timing would otherwise tell a stranger which addresses have accounts."""
    verified_user(email="known@example.org")
    sign_up(Client(), run_after_commit, email="waiting@example.org")
    settings.PASSWORD_HASHERS = ["tests.investors.accounts.test_accounts.CountingHasher"]
    answers, hashed = {}, {}
    for email in ("new@example.org", "known@example.org", "waiting@example.org"):
        CountingHasher.hashed = 0
        response = sign_up(client, run_after_commit, email=email)
        hashed[email] = CountingHasher.hashed
        answers[email] = text(client.get(response["Location"])).replace(email, "ADDRESS")
    assert hashed == {"new@example.org": 0, "known@example.org": 0, "waiting@example.org": 0}
    assert len(set(answers.values())) == 1
    CountingHasher.hashed = 0
    log_in(client, "known@example.org", password="a wrong guess")
    assert CountingHasher.hashed >= 1  # the hasher is really in use


def test_a_name_cannot_put_a_link_or_markup_into_our_emails(client, run_after_commit):
    sign_up(
        client,
        run_after_commit,
        name='Ann <a href="https://evil.example/win">Claim £500</a> www.evil.example',
    )
    [message] = mail.outbox
    greeting = message.body.splitlines()[0]
    assert "<" not in message.body and "evil.example" not in message.body and "£" not in greeting
    assert greeting.startswith("Hello Ann a hrefhttpsevilexamplewinClaim") and greeting.endswith(",")
    assert name_for_email("Siân O’Brien-Jones") == "Siân O’Brien-Jones"
    assert name_for_email("x" * 200) == "x" * 70


def test_a_wrong_password_for_an_unverified_account_says_nothing_about_verification(client, run_after_commit):
    sign_up(client, run_after_commit)
    response = log_in(client, "ann@example.org", password="not the password")
    assert "do not match an account" in text(response)
    assert "confirm your email" not in text(response) and "_auth_user_id" not in client.session


def test_a_used_link_changes_nothing_the_second_time_least_of_all_the_password(client, run_after_commit):
    sign_up(client, run_after_commit)
    link = link_in(mail.outbox[0])
    choose_password(client, link)
    again = client.get(link)
    assert again.status_code == 400 and "If you have already chosen your password, log in" in text(again)

    stranger = Client()
    replay = choose_password(stranger, link, password="a new password for mallory")
    assert replay.status_code == 400
    assert "_auth_user_id" not in stranger.session
    user = User.objects.get()
    assert user.check_password(PASSWORD) and User.objects.count() == 1


def test_a_tampered_link_is_refused_and_changes_nothing(client, run_after_commit):
    sign_up(client, run_after_commit)
    link = link_in(mail.outbox[0])
    key = link.rstrip("/").rsplit("/", 1)[1]
    address = EmailAddress.objects.get()
    tampered_signature = key[:-2] + ("AA" if not key.endswith("AA") else "BB")
    for bad in (tampered_signature, signing.dumps(address.pk, salt="not-ours"), "rubbish"):
        for response in (client.get(confirm_link(bad)), choose_password(client, confirm_link(bad))):
            assert response.status_code == 400
            assert "This link is not valid" in text(response) and "Send a new link" in text(response)
    assert unchanged_since_sign_up(User.objects.get())


def test_an_expired_link_is_refused_with_a_message_and_changes_nothing(client, run_after_commit, monkeypatch):
    issued = time.time() - 4 * 24 * 3600  # links last three days
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: issued)
        sign_up(client, run_after_commit)
    for response in (client.get(link_in(mail.outbox[0])), choose_password(client, link_in(mail.outbox[0]))):
        assert response.status_code == 400 and "have expired (links last 3 days)" in text(response)
    assert unchanged_since_sign_up(User.objects.get())


def test_a_link_cannot_open_an_account_the_board_switched_off(client, run_after_commit):
    sign_up(client, run_after_commit)
    user = User.objects.get()
    User.objects.filter(pk=user.pk).update(is_active=False)
    refused = choose_password(client, link_in(mail.outbox[0]), password="a takeover attempt")
    assert refused.status_code == 400 and "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert not user.is_active and unchanged_since_sign_up(user)


@pytest.mark.parametrize("path", ["/account/verify/{token}/", "/account/profile/email/{token}/"])
def test_a_link_we_signed_ourselves_before_allauth_asks_for_a_new_one(client, db, path):
    """Links emailed before sign-up moved onto allauth: refused plainly, never a server error."""
    user = verified_user()
    old_tokens = (
        signing.dumps(
            {"user": user.pk, "email": "ann@example.org"}, salt="commonshare.accounts.verify-email"
        ),
        signing.dumps(
            {"user": user.pk, "from": user.email, "to": "x@example.org"},
            salt="commonshare.accounts.change-email",
        ),
    )
    client.force_login(user)
    for token in old_tokens:
        response = client.get(path.format(token=token))
        assert response.status_code == 400 and "This link is not valid any more" in text(response)
    user.refresh_from_db()
    assert user.email == "ann@example.org"


def test_the_link_can_be_sent_again_and_the_answer_never_says_who_has_an_account(client, run_after_commit):
    sign_up(Client(), run_after_commit)
    verified_user(email="bea@example.org")
    mail.outbox.clear()
    answers = {}
    for email in ("ann@example.org", "bea@example.org", "nobody@example.org"):
        response = run_after_commit(
            lambda email=email: client.post(reverse("account:resend-verification"), {"email": email})
        )
        answers[email] = text(response).replace(email, "ADDRESS")
    assert len(set(answers.values())) == 1
    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    choose_password(Client(), link_in(message))
    assert User.objects.get(username="ann@example.org").email == "ann@example.org"


def test_verifying_links_the_one_register_record_with_that_address(client, run_after_commit, community_class):
    holder = factories.HolderFactory(email="Ann@Example.org")
    issue_shares(
        society=community_class.society, holder=holder, share_class=community_class, shares=50, amount=gbp(50)
    )
    sign_up(client, run_after_commit)
    assert client.get(link_in(mail.outbox[0])).status_code == 200
    assert Holder.objects.get().user is None  # opening the link is not verifying
    choose_password(client, link_in(mail.outbox[0]))
    holder.refresh_from_db()
    assert holder.user == User.objects.get()
    assert AuditEntry.objects.filter(action="holder.account_linked", society=community_class.society).exists()


def test_verifying_links_nothing_when_two_records_share_the_address(client, run_after_commit):
    factories.HolderFactory(email="ann@example.org")
    factories.HolderFactory(email="ann@example.org", kind=Holder.Kind.ORGANISATION, date_of_birth=None)
    sign_up(client, run_after_commit)
    choose_password(client, link_in(mail.outbox[0]))
    assert User.objects.get().email and not Holder.objects.filter(user__isnull=False).exists()


# --- Logging in and out ----------------------------------------------------------------------------


def test_board_members_can_still_log_in_with_their_username(client, db):
    User.objects.create_user("treasurer", "treasurer@example.org", PASSWORD)
    assert log_in(client, "treasurer").status_code == 302
    client.logout()
    assert log_in(client, "treasurer@example.org").status_code == 302


def test_an_account_the_board_made_without_an_address_still_logs_in(client, db):
    User.objects.create_user("chair", "", PASSWORD)
    assert log_in(client, "chair").status_code == 302 and "_auth_user_id" in client.session


def test_logging_out_ends_the_session(client, db):
    client.force_login(verified_user())
    response = client.post(reverse("account:logout"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("account:dashboard")).status_code == 302


# --- Password reset --------------------------------------------------------------------------------


def test_password_reset_by_email_sets_a_new_password(client, run_after_commit):
    user = verified_user()
    response = run_after_commit(
        lambda: client.post(reverse("account:password-reset"), {"email": "ANN@example.org"})
    )
    assert response["Location"] == reverse("account:password-reset-done")
    [message] = mail.outbox
    assert message.to == ["ann@example.org"] and message.subject == "Reset your Commonshare password"

    form = client.get(link_in(message), follow=True)
    assert "Choose a new password" in text(form)
    set_url = form.redirect_chain[-1][0]
    new = "a brand new walk in the hills"
    done = client.post(set_url, {"password1": new, "password2": new})
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
    """An address not yet proved, a sign-up's or a new address asked for (perhaps mistyped, and
    read by a stranger), never gets a reset link that would hand over the account."""
    sign_up(client, run_after_commit)
    bea = verified_user(email="bea@example.org")
    client.force_login(bea)
    data = {"new_email": "bea@exmaple.org", "current_password": PASSWORD}
    run_after_commit(lambda: client.post(reverse("account:change-email"), data))
    client.logout()
    mail.outbox.clear()
    for email in ("ann@example.org", "nobody@example.org", "bea@exmaple.org"):
        response = run_after_commit(
            lambda email=email: client.post(reverse("account:password-reset"), {"email": email})
        )
        assert response.status_code == 302 and response["Location"] == reverse("account:password-reset-done")
    assert not mail.outbox


def test_a_logged_in_investor_changes_their_password_with_the_old_one(client, db):
    user = verified_user()
    client.force_login(user)
    new = "a brand new walk in the hills"
    wrong = client.post(
        reverse("account:password-change"),
        {"oldpassword": "guess", "password1": new, "password2": new},
    )
    assert wrong.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(
        reverse("account:password-change"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
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
        {
            "name": "Ann Smith",
            "postal_address": "3 Lock Lane\nHebden Bridge hx78aa",
            "country": "GB",
            "date_of_birth": "1981-02-03",
        },
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert (holder.name, holder.postal_address, holder.date_of_birth) == (
        "Ann Smith",
        "3 Lock Lane\nHebden Bridge HX7 8AA",  # the postcode written the Royal Mail way
        datetime.date(1981, 2, 3),
    )
    entry = AuditEntry.objects.get(action="holder.corrected", society=community_class.society)
    assert entry.actor == user
    assert entry.data["changes"]["name"] == ["Ann Other", "Ann Smith"]
    assert entry.data["changes"]["date_of_birth"] == "changed (not recorded)"


def test_a_person_cannot_remove_their_date_of_birth(client, ann):
    user, holder = ann
    client.force_login(user)
    for born, error in (
        ("", "A person&#x27;s date of birth is needed."),
        ("2999-01-01", "A date of birth must be in the past."),
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
        reverse("account:profile"),
        {"name": "Canal Co-op Ltd", "postal_address": "The Wharf\nTodmorden OL14 5AA"},
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert (holder.name, holder.date_of_birth) == ("Canal Co-op Ltd", None)


@pytest.mark.parametrize(
    "change, error",
    [
        ({"date_of_birth": "0001-01-01"}, "Enter a date of birth after 1900."),
        ({"date_of_birth": "1899-12-31"}, "Enter a date of birth after 1900."),
        ({"date_of_birth": "today"}, "A date of birth must be in the past."),
        ({"date_of_birth": "five years ago"}, "takes applications from people aged 16 or over"),
        ({"postal_address": "x"}, "Enter the full postal address: the house number and street"),
        ({"postal_address": "3 Lock Lane"}, "Enter the full postal address: the house number and street"),
        ({"postal_address": "3 Lock Lane\nHebden Bridge"}, "Enter the postcode."),
        ({"postal_address": "3 Lock Lane\nHebden Bridge\nHX7"}, "Enter the postcode."),
        ({"date_of_birth": "not a date"}, "Enter a real date of birth, for example 17/05/1980."),
    ],
)
def test_your_details_refuse_what_the_application_form_refuses_and_change_nothing(
    client, ann, community_class, change, error
):
    user, holder = ann
    before = (holder.name, holder.postal_address, holder.date_of_birth)
    today = timezone.localdate()
    days = {"today": today, "five years ago": today - datetime.timedelta(days=5 * 365)}
    data = {
        "name": "Ann Smith",
        "postal_address": "3 Lock Lane\nHebden Bridge HX7 8AA",
        "country": "GB",
        "date_of_birth": "1981-02-03",
        **change,
    }
    if data["date_of_birth"] in days:
        data["date_of_birth"] = days[data["date_of_birth"]].isoformat()
    client.force_login(user)
    response = client.post(reverse("account:profile"), data)
    assert response.status_code == 200
    assert error.replace("'", "&#x27;") in text(response) and "Your details are updated." not in text(
        response
    )
    holder.refresh_from_db()
    assert (holder.name, holder.postal_address, holder.date_of_birth) == before
    assert not AuditEntry.objects.filter(action="holder.corrected").exists()


def test_your_details_name_the_society_whose_minimum_age_a_new_date_of_birth_misses(
    client, ann, community_class
):
    user, holder = ann
    society = community_class.society
    society.minimum_member_age = 18
    society.save()
    today = timezone.localdate()
    client.force_login(user)
    response = client.post(
        reverse("account:profile"),
        {
            "name": holder.name,
            "postal_address": holder.postal_address,
            "date_of_birth": (today - datetime.timedelta(days=17 * 365)).isoformat(),
        },
    )
    assert f"{society.name} takes applications from people aged 18 or over" in text(response).replace(
        "&#x27;", "'"
    )
    holder.refresh_from_db()
    assert holder.date_of_birth == datetime.date(1980, 5, 17)


def test_your_details_take_an_address_abroad_and_keep_one_recorded_before_the_rules(client, ann):
    user, holder = ann
    type(holder).objects.filter(pk=holder.pk).update(postal_address="2 Canal Street, Todmorden")
    client.force_login(user)
    kept = client.post(
        reverse("account:profile"),
        {"name": "Ann Smith", "postal_address": "2 Canal Street, Todmorden", "date_of_birth": "1980-05-17"},
    )
    assert kept.status_code == 302  # not judged again: only a new address is
    abroad = client.post(
        reverse("account:profile"),
        {
            "name": "Ann Smith",
            "postal_address": "12 Rue de la Paix\n75002 Paris\nFrance",
            "country": "elsewhere",
            "date_of_birth": "1980-05-17",
        },
    )
    assert abroad.status_code == 302
    holder.refresh_from_db()
    assert (holder.name, holder.postal_address) == ("Ann Smith", "12 Rue de la Paix\n75002 Paris\nFrance")
    page = text(client.get(reverse("account:profile")))
    assert '<option value="elsewhere" selected>' in page


def ask_for_new_address(client, run_after_commit, new_email, password=PASSWORD):
    data = {"new_email": new_email, "current_password": password}
    return run_after_commit(lambda: client.post(reverse("account:change-email"), data))


def test_changing_the_login_address_waits_for_the_new_address_to_be_verified(
    client, ann, run_after_commit, community_class
):
    user, holder = ann
    client.force_login(user)
    response = ask_for_new_address(client, run_after_commit, "Ann.New@Example.org")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ann.new@example.org"] and message.subject.startswith("Confirm your new email")
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == user.username == holder.email == "ann@example.org"  # nothing changes yet
    assert "Waiting for you to follow the link" in text(client.get(reverse("account:profile")))

    # Until the new address is confirmed the old one keeps working, and the new one does not.
    client.logout()
    log_in(client, "ann.new@example.org")
    assert "_auth_user_id" not in client.session
    assert log_in(client, "ann@example.org").status_code == 302
    client.logout()

    # Opened later, in another browser: log in first, and come back to the link.
    link = link_in(message)
    sent_to_log_in = client.get(link)
    assert sent_to_log_in.status_code == 302
    assert sent_to_log_in["Location"] == f"{reverse('account:login')}?{urlencode({'next': link}, safe='/')}"
    back = log_in(client, "ann@example.org", next=link)
    assert back["Location"] == link
    page = client.get(link)  # shows a button; opening the link changes nothing
    assert page.status_code == 200 and "ann.new@example.org" in text(page)
    user.refresh_from_db()
    assert user.email == "ann@example.org"

    done = run_after_commit(lambda: client.post(link))
    assert done.status_code == 302 and done["Location"] == reverse("account:profile")
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == user.username == holder.email == "ann.new@example.org"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
        ("ann.new@example.org", True, True)
    ]
    assert mail.outbox[-1].to == ["ann@example.org"] and "was changed" in mail.outbox[-1].subject
    entry = AuditEntry.objects.get(action="holder.corrected", society=community_class.society)
    assert entry.data["changes"] == {"email": ["ann@example.org", "ann.new@example.org"]}
    client.logout()
    assert log_in(client, "ann.new@example.org").status_code == 302
    client.logout()
    assert log_in(client, "ann@example.org").status_code == 200

    client.force_login(user)
    again = client.get(link)
    assert again.status_code == 400 and "This link is not valid any more" in text(again)


def test_an_old_email_change_link_cannot_be_replayed_after_the_address_went_there_and_back(
    client, ann, run_after_commit
):
    """A to B, then B to A: whoever still reads mailbox B holds the link from A to B. It names an
    address allauth has since removed, so it does nothing, even for Ann."""
    user, holder = ann

    def change_to(new_email):
        ask_for_new_address(client, run_after_commit, new_email)
        link = link_in(mail.outbox[-1])
        run_after_commit(lambda: client.post(link))
        user.refresh_from_db()
        assert user.email == new_email
        return link

    client.force_login(user)
    to_b = change_to("bea@example.org")
    change_to("ann@example.org")
    mail.outbox.clear()

    for reader in (client, Client()):
        refused = run_after_commit(lambda reader=reader: reader.post(to_b))
        assert refused.status_code == 400
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == user.username == holder.email == "ann@example.org"
    assert not mail.outbox


def test_only_the_accounts_owner_logged_in_can_confirm_its_new_address(client, ann, run_after_commit):
    """Whoever reads the new mailbox (a mistyped address, say) cannot take the account over by
    confirming it: only Ann, logged in, may."""
    user, holder = ann
    client.force_login(user)
    ask_for_new_address(client, run_after_commit, "ann@exmaple.org")
    link = link_in(mail.outbox[-1])
    eve = Client()
    eve.force_login(verified_user(email="eve@example.org"))
    for response in (eve.get(link), run_after_commit(lambda: eve.post(link))):
        assert response.status_code == 400 and "This link was sent for another account" in text(response)
    anonymous = Client()
    assert anonymous.post(link)["Location"].startswith(reverse("account:login"))
    user.refresh_from_db()
    assert user.email == "ann@example.org"
    assert not EmailAddress.objects.filter(email="ann@exmaple.org", verified=True).exists()


def test_asking_for_a_new_address_says_once_that_the_link_was_sent(client, ann, run_after_commit):
    user, _ = ann
    client.force_login(user)
    page = run_after_commit(
        lambda: client.post(
            reverse("account:change-email"),
            {"new_email": "ann.new@example.org", "current_password": PASSWORD},
            follow=True,
        )
    )
    shown = [str(message) for message in page.context["messages"]]
    assert shown == [
        "We have sent a link to ann.new@example.org. Your address changes when you follow it; until "
        "then, keep using the old one."
    ]
    assert "Confirmation email sent" not in text(page)


def test_changing_the_address_needs_the_current_password(client, ann):
    user, _ = ann
    client.force_login(user)
    response = client.post(
        reverse("account:change-email"), {"new_email": "elsewhere@example.org", "current_password": "guess"}
    )
    assert response.status_code == 400 and "That is not your current password." in text(response)
    assert not mail.outbox and not EmailAddress.objects.filter(email="elsewhere@example.org").exists()


def test_an_address_taken_meanwhile_is_refused_and_nothing_changes(client, ann, run_after_commit):
    user, holder = ann
    client.force_login(user)
    ask_for_new_address(client, run_after_commit, "bea@example.org")
    verified_user(email="bea@example.org")
    response = client.post(link_in(mail.outbox[0]))
    assert response.status_code == 400 and "Another account already uses bea@example.org" in text(response)
    user.refresh_from_db()
    holder.refresh_from_db()
    assert user.email == holder.email == "ann@example.org"


# --- Nothing personal is cached --------------------------------------------------------------------


def test_no_page_with_personal_data_or_a_form_may_be_cached(client, ann, run_after_commit, open_offer):
    """Every account and application page, for a visitor and for a logged-in investor."""
    user, holder = ann
    sign_up(client, run_after_commit, email="new@example.org")
    signup_link = link_in(mail.outbox[-1])
    application = apply_for_shares(
        offer=open_offer, holder=holder, payment_method=Application.PaymentMethod.BANK_TRANSFER, shares=50
    )
    anonymous_pages = [
        ("get", reverse("account:signup"), {}),
        ("post", reverse("account:signup"), {"name": "", "email": "not an address"}),
        ("get", reverse("account:signup-sent"), {}),
        ("get", reverse("account:resend-verification"), {}),
        ("post", reverse("account:resend-verification"), {"email": "new@example.org"}),
        ("get", signup_link, {}),
        ("post", signup_link, {"name": "Ann", "new_password1": "short", "new_password2": "short"}),
        ("get", reverse("account:login"), {}),
        ("get", reverse("account:password-reset"), {}),
    ]
    client.force_login(user)
    ask_for_new_address(client, run_after_commit, "ann.new@example.org")
    investor_pages = [
        ("get", reverse("account:dashboard"), {}),
        ("get", reverse("account:profile"), {}),
        ("post", reverse("account:profile"), {"name": "", "postal_address": ""}),
        ("post", reverse("account:change-email"), {"new_email": "x", "current_password": "guess"}),
        ("get", link_in(mail.outbox[-1]), {}),
        ("get", reverse("account:export"), {}),
        ("get", reverse("account:password-change"), {}),
        ("get", reverse("invest:apply", kwargs={"offer_id": open_offer.pk}), {}),
        ("post", reverse("invest:apply", kwargs={"offer_id": open_offer.pk}), {"amount": "x"}),
        ("get", reverse("invest:done", kwargs={"reference": application.payment_reference}), {}),
    ]
    client.logout()
    anonymous = Client()
    for who, pages in ((anonymous, anonymous_pages), (client, investor_pages)):
        if who is client:
            client.force_login(user)
        for method, url, data in pages:
            response = getattr(who, method)(url, data)
            cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
            assert {"private", "no-store", "no-cache"} <= cache_control, (method, url, response.status_code)


def test_sign_up_brings_the_investor_back_to_where_they_were_going(client, run_after_commit):
    login_page = text(client.get(reverse("account:login"), {"next": "/invest/7/"}))
    assert f'href="{reverse("account:signup")}?next=/invest/7/"' in login_page
    signup_page = text(client.get(reverse("account:signup"), {"next": "/invest/7/"}))
    assert '<input type="hidden" name="next" value="/invest/7/">' in signup_page

    sign_up(client, run_after_commit, next="/invest/7/")
    [message] = mail.outbox
    done = choose_password(client, link_with_query(message))
    assert done.status_code == 302 and done["Location"] == "/invest/7/"


def test_the_emailed_link_brings_them_back_to_the_offer_even_in_another_browser(client, run_after_commit):
    sign_up(client, run_after_commit, next="/invest/7/")
    [message] = mail.outbox
    other_browser = Client()
    done = choose_password(other_browser, link_with_query(message))
    assert done.status_code == 302 and done["Location"] == "/invest/7/"
    assert other_browser.session["_auth_user_id"]


def test_a_link_edited_to_point_elsewhere_still_stays_on_this_site(client, run_after_commit):
    sign_up(client, run_after_commit)
    [message] = mail.outbox
    tampered = f"{link_in(message)}?{urlencode({'next': 'https://evil.example/phish'})}"
    done = choose_password(Client(), tampered)
    assert done["Location"] == reverse("account:dashboard")


def test_sign_up_never_sends_anyone_to_another_site(client, run_after_commit):
    sign_up(client, run_after_commit, next="https://evil.example/phish")
    [message] = mail.outbox
    assert "evil.example" not in message.body
    done = choose_password(client, link_with_query(message))
    assert done["Location"] == reverse("account:dashboard")


# --- Accounts from before allauth ------------------------------------------------------------------


def give_addresses():
    migration = importlib.import_module("investors.migrations.0020_allauth_email_addresses")
    migration.give_addresses(apps, None)


def test_accounts_from_before_the_move_keep_logging_in_and_a_waiting_sign_up_gets_a_new_link(
    client, run_after_commit
):
    investor = verified_user()
    treasurer = User.objects.create_user("treasurer", "Treasurer@Example.org", PASSWORD)
    waiting = User.objects.create_user("wes@example.org", "", None, first_name="Wes", is_active=False)
    EmailAddress.objects.all().delete()  # as they were: allauth held no verified address
    give_addresses()
    for user, address in ((investor, "ann@example.org"), (treasurer, "treasurer@example.org")):
        assert EmailAddress.objects.filter(user=user, email=address, verified=True, primary=True).exists()
    assert log_in(client, "ann@example.org").status_code == 302
    client.logout()
    assert log_in(client, "treasurer").status_code == 302
    client.logout()

    sign_up(client, run_after_commit, email="wes@example.org", name="Wes Ley")
    [message] = mail.outbox
    assert message.to == ["wes@example.org"] and "Confirm your email address" in message.subject
    assert choose_password(Client(), link_in(message), name="Wes Ley").status_code == 302
    waiting.refresh_from_db()
    assert (waiting.email, waiting.is_active) == ("wes@example.org", True) and User.objects.count() == 3


def test_an_address_the_board_types_in_is_verified_for_that_account_only(db):
    board_member = User.objects.create_user("chair", "chair@example.org", PASSWORD)
    assert EmailAddress.objects.filter(user=board_member, verified=True, primary=True).count() == 1
    same_address = User.objects.create_user("chair2", "Chair@example.org", PASSWORD)
    assert not EmailAddress.objects.filter(user=same_address).exists()
    board_member.email = "chair@new.example.org"
    board_member.save()
    assert list(EmailAddress.objects.filter(user=board_member).values_list("email", "verified")) == [
        ("chair@new.example.org", True)
    ]


def test_every_emailed_link_is_on_the_sites_address_whatever_host_the_request_named(
    client, run_after_commit, settings
):
    """A sender chooses the Host header; a link built from it could send an investor's reset key
    to another site. Each link is at SITE_URL."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    site = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    elsewhere = {"HTTP_HOST": "evil.example"}
    user = verified_user()
    run_after_commit(
        lambda: client.post(reverse("account:password-reset"), {"email": user.email}, **elsewhere)
    )
    data = {"name": "Bea", "email": "bea@example.org"}
    run_after_commit(lambda: client.post(reverse("account:signup"), data, **elsewhere))
    run_after_commit(
        lambda: client.post(reverse("account:signup"), {**data, "email": user.email}, **elsewhere)
    )
    client.force_login(user)
    change = {"new_email": "ann.new@example.org", "current_password": PASSWORD}
    run_after_commit(lambda: client.post(reverse("account:change-email"), change, **elsewhere))
    links = [url for message in mail.outbox for url in re.findall(r"https?://\S+", message.body)]
    assert len(mail.outbox) == 4 and links
    assert all(url.startswith(site + "/") for url in links), links


def test_your_details_keep_a_several_line_address_sent_back_as_a_browser_sends_it(client, ann):
    """A textarea comes back with \\r\\n line breaks: the address is unchanged, so a name-only
    correction saves and the register's address (and its lower-case postcode) is left as it was."""
    user, holder = ann
    recorded = "1 Mill Lane\nTodmorden\nol14 5aa"
    type(holder).objects.filter(pk=holder.pk).update(postal_address=recorded)
    client.force_login(user)
    response = client.post(
        reverse("account:profile"),
        {
            "name": "Ann Smith",
            "postal_address": recorded.replace("\n", "\r\n"),
            "date_of_birth": "1980-05-17",
        },
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert (holder.name, holder.postal_address) == ("Ann Smith", recorded)
