"""Who may confirm an address: a board account with no address cannot be taken over by whoever
reads a new address's mailbox, and another account's unconfirmed new address never stops its
mailbox's owner signing up."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from capital.services import appoint_board_member
from tests.investors.accounts.test_accounts import (
    PASSWORD,
    choose_password,
    link_in,
    log_in,
    sign_up,
    text,
    verified_user,
)

User = get_user_model()
ATTACKERS_PASSWORD = "the attacker's own password"


def ask_for_new_address(client, run_after_commit, new_email):
    data = {"new_email": new_email, "current_password": PASSWORD}
    return run_after_commit(lambda: client.post(reverse("account:change-email"), data))


def reset_password(client, run_after_commit, email):
    return run_after_commit(lambda: client.post(reverse("account:password-reset"), {"email": email}))


# --- A board account with no address ---------------------------------------------------------------


def test_a_board_account_with_no_address_is_not_taken_over_through_its_new_addresss_mailbox(
    society, run_after_commit
):
    nora = User.objects.create_user("nora", "", PASSWORD, first_name="Nora")
    appoint_board_member(society=society, user=nora, role="secretary")
    owner = Client()
    assert log_in(owner, "nora").status_code == 302 and "_auth_user_id" in owner.session
    assert ask_for_new_address(owner, run_after_commit, "typo-nora@example.net").status_code == 302
    [message] = mail.outbox
    # The change's message, which says the link asks for a login, not the sign-up's.
    assert message.to == ["typo-nora@example.net"] and message.subject.startswith("Confirm your new email")
    assert "You will be asked to log in" in message.body and "choose the password" not in message.body
    link = link_in(message)

    # Whoever reads that mailbox, logged out: sent to log in, for the page and the button alike.
    attacker = Client()
    for response in (attacker.get(link), run_after_commit(lambda: attacker.post(link))):
        assert response.status_code == 302 and response["Location"].startswith(reverse("account:login"))
    nora.refresh_from_db()
    assert (nora.username, nora.email) == ("nora", "")
    assert not EmailAddress.objects.filter(user=nora, verified=True).exists()
    mail.outbox.clear()
    reset_password(attacker, run_after_commit, "typo-nora@example.net")
    assert not mail.outbox  # no reset link for an address nobody confirmed
    assert log_in(attacker, "typo-nora@example.net", password=ATTACKERS_PASSWORD).status_code == 200
    assert "_auth_user_id" not in attacker.session

    # Nora still logs in with her password, in another browser too, and confirms it herself.
    again = Client()
    assert log_in(again, "nora").status_code == 302 and "_auth_user_id" in again.session
    assert again.get(link).status_code == 200
    done = run_after_commit(lambda: again.post(link))
    assert done.status_code == 302 and done["Location"] == reverse("account:profile")
    nora.refresh_from_db()
    assert nora.email == "typo-nora@example.net"
    assert EmailAddress.objects.filter(user=nora, email="typo-nora@example.net", verified=True).exists()
    again.logout()
    assert log_in(again, "typo-nora@example.net").status_code == 302


def test_a_sign_up_given_a_password_some_other_way_confirms_its_address_only_logged_in(
    client, run_after_commit
):
    """It has a password, so it can log in, and its address is confirmed as any account's is: by
    it, logged in, never by whoever holds the link."""
    sign_up(client, run_after_commit)
    user = User.objects.get()
    user.set_password(PASSWORD)
    user.save()
    mail.outbox.clear()
    run_after_commit(lambda: client.post(reverse("account:resend-verification"), {"email": user.username}))
    assert not mail.outbox  # not a sign-up waiting for its link any more
    ask_owner = Client()
    assert log_in(ask_owner, "ann@example.org").status_code == 302
    ask_for_new_address(ask_owner, run_after_commit, "ann@example.org")  # a fresh link, from its page
    [message] = mail.outbox
    assert "You will be asked to log in" in message.body
    link = link_in(message)
    assert run_after_commit(lambda: Client().post(link))["Location"].startswith(reverse("account:login"))
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    done = run_after_commit(lambda: ask_owner.post(link))
    assert done.status_code == 302 and done["Location"] == reverse("account:profile")
    user.refresh_from_db()
    assert user.email == "ann@example.org" and EmailAddress.objects.get(user=user).verified


# --- Another account's unconfirmed new address -----------------------------------------------------


def test_another_accounts_unconfirmed_new_address_does_not_stop_its_owner_signing_up(run_after_commit):
    alice = verified_user(email="alice@example.org", first_name="Alice")
    alices_browser = Client()
    alices_browser.force_login(alice)
    ask_for_new_address(alices_browser, run_after_commit, "victim1@example.net")
    [alices_link] = [link_in(message) for message in mail.outbox]
    mail.outbox.clear()

    victim = Client()
    response = sign_up(victim, run_after_commit, email="victim1@example.net", name="Vic Tim")
    assert response["Location"] == reverse("account:signup-sent")
    [message] = mail.outbox
    assert message.to == ["victim1@example.net"] and "Confirm your email address" in message.subject
    assert "choose the password" in message.body and "already" not in message.body
    assert choose_password(victim, link_in(message), name="Vic Tim").status_code == 302
    vic = User.objects.get(username="victim1@example.net")
    assert vic.email == "victim1@example.net" and victim.session["_auth_user_id"] == str(vic.pk)

    # Alice's link, opened later: refused, and her account stays as it was.
    refused = run_after_commit(lambda: alices_browser.post(alices_link))
    assert refused.status_code == 400
    assert "Another account already uses victim1@example.net" in text(refused)
    alice.refresh_from_db()
    assert (alice.username, alice.email) == ("alice@example.org", "alice@example.org")
    assert list(EmailAddress.objects.filter(verified=True).order_by("pk").values_list("user", "email")) == [
        (alice.pk, "alice@example.org"),
        (vic.pk, "victim1@example.net"),
    ]
    # And the address is Vic's: a reset for it reaches Vic's account.
    mail.outbox.clear()
    reset_password(Client(), run_after_commit, "victim1@example.net")
    [reset] = mail.outbox
    assert reset.to == ["victim1@example.net"] and reset.subject == "Reset your Commonshare password"


def test_the_new_address_confirmed_first_wins_and_the_late_sign_up_is_refused(run_after_commit):
    alice = verified_user(email="alice@example.org")
    alices_browser = Client()
    alices_browser.force_login(alice)
    ask_for_new_address(alices_browser, run_after_commit, "alice@example.net")
    alices_link = link_in(mail.outbox[-1])
    someone = Client()
    sign_up(someone, run_after_commit, email="alice@example.net", name="Someone")
    sign_up_link = link_in(mail.outbox[-1])
    assert mail.outbox[-1].to == ["alice@example.net"] and "choose the password" in mail.outbox[-1].body

    assert run_after_commit(lambda: alices_browser.post(alices_link)).status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.net"

    # That sign-up, which never chose a password, is withdrawn: its link is spent.
    late = choose_password(someone, sign_up_link, name="Someone")
    assert late.status_code == 400 and "This link is not valid any more" in text(late)
    assert not User.objects.filter(first_name="Someone").exists()
    assert "_auth_user_id" not in someone.session
    assert EmailAddress.objects.get(email="alice@example.net", verified=True).user == alice


def test_a_waiting_sign_up_the_board_gave_a_seat_is_not_withdrawn_and_keeps_the_address(
    society, run_after_commit
):
    alice = verified_user(email="alice@example.org")
    alices_browser = Client()
    alices_browser.force_login(alice)
    ask_for_new_address(alices_browser, run_after_commit, "alice@example.net")
    alices_link = link_in(mail.outbox[-1])
    sign_up(Client(), run_after_commit, email="alice@example.net", name="Someone")
    someone = User.objects.get(first_name="Someone")
    appoint_board_member(society=society, user=someone, role="secretary")

    refused = run_after_commit(lambda: alices_browser.post(alices_link))
    assert refused.status_code == 400 and "Another account already uses alice@example.net" in text(refused)
    assert User.objects.filter(pk=someone.pk, society_roles__society=society).exists()
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"
