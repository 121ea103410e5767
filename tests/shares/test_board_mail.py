"""A board seat shows its holder's name, and the person appointed is emailed."""

from django.core import mail

from capital.services import appoint_board_member
from tests import factories
from tests.builders import board_seat


def test_the_appointee_is_emailed_with_their_role_and_who_appointed_them(
    society, django_capture_on_commit_callbacks
):
    director = board_seat(society=society, role="director")
    director.first_name, director.last_name = "Dina", "Okafor"
    director.save()
    newcomer = factories.UserFactory(first_name="Tom", last_name="Brennan", email="tom@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appoint_board_member(society=society, user=newcomer, role="treasurer", by=director)
    (message,) = mail.outbox
    assert message.to == ["tom@example.org"]
    assert message.subject == f"You are now treasurer of {society}"
    assert "Dear Tom Brennan," in message.body
    assert f"appointed treasurer of {society.name} by Dina Okafor" in message.body
    assert "record payments, match bank lines and pay runs" in message.body
    assert "/admin/" in message.body


def test_a_seat_already_held_sends_nothing(society, django_capture_on_commit_callbacks):
    user = board_seat(society=society, role="director")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appoint_board_member(society=society, user=user, role="director")
    assert mail.outbox == []


def test_the_board_list_shows_names(client, society):
    director = board_seat(society=society, role="director")
    director.first_name, director.last_name = "Dina", "Okafor"
    director.save()
    client.force_login(director)
    html = client.get("/admin/societyrole/").content.decode()
    assert f"Dina Okafor ({director.get_username()})" in html
