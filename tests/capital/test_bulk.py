"""Bulk writes and the `any_of` lookup, on whichever database the suite runs on."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from capital.bulk import insert_plain_rows, insert_values, update_rows
from capital.models import AuditEntry, Offer
from tests.factories import CommunityClassFactory, OpenOfferFactory, SocietyFactory, gbp

pytestmark = pytest.mark.django_db


def test_update_rows_writes_each_row_its_own_values_and_leaves_the_rest():
    offers = OpenOfferFactory.create_batch(3)
    untouched = OpenOfferFactory(title="Left alone")
    for number, offer in enumerate(offers, start=1):
        offer.title = f"Renamed {number}"
        offer.minimum_target = gbp(1000 * number)

    update_rows(Offer, offers, ["title", "minimum_target"], batch_size=2)

    stored = {offer.pk: offer for offer in Offer.objects.all()}
    assert [(stored[o.pk].title, stored[o.pk].minimum_target) for o in offers] == [
        ("Renamed 1", gbp(1000)),
        ("Renamed 2", gbp(2000)),
        ("Renamed 3", gbp(3000)),
    ]
    assert stored[untouched.pk].title == "Left alone"


def test_update_rows_with_no_rows_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        update_rows(Offer, [], ["title"])


def test_any_of_finds_rows_by_foreign_key_and_by_integer():
    chosen, other = SocietyFactory(), SocietyFactory()
    share_class = CommunityClassFactory(society=chosen)
    wanted = OpenOfferFactory.create_batch(2, share_class=share_class)
    OpenOfferFactory(share_class__society=other)

    by_key = Offer.objects.filter(share_class__society_id__any_of=[chosen.pk])
    by_id = Offer.objects.filter(id__any_of=[offer.pk for offer in wanted])

    assert sorted(by_key.values_list("pk", flat=True)) == sorted(offer.pk for offer in wanted)
    assert sorted(by_id.values_list("pk", flat=True)) == sorted(offer.pk for offer in wanted)


def test_any_of_an_empty_list_matches_nothing_without_asking_the_database(django_assert_num_queries):
    OpenOfferFactory()
    with django_assert_num_queries(0):
        assert list(Offer.objects.filter(id__any_of=[])) == []


def test_any_of_sends_the_whole_list_as_one_parameter_on_postgresql():
    if connection.vendor != "postgresql":
        query = str(Offer.objects.filter(id__any_of=[1, 2, 3]).query)
        assert " IN (1, 2, 3)" in query
        return
    sql, params = Offer.objects.filter(id__any_of=[1, 2, 3]).query.sql_with_params()
    assert "= ANY(%s::" in sql
    assert params == ([1, 2, 3],)


def test_insert_values_writes_each_row_and_gives_what_a_row_leaves_out_its_default():
    society = SocietyFactory()
    before = timezone.now()

    written = insert_values(
        AuditEntry,
        (
            {"society_id": society.pk, "action": f"bulk.{n}", "summary": f"Row {n}", **extra}
            for n, extra in enumerate([{}, {"data": {"n": 1}}, {}])
        ),
        batch_size=2,
    )

    entries = list(AuditEntry.objects.filter(society=society).order_by("action"))
    assert written == 3
    assert [(e.action, e.summary, e.data, e.actor_id) for e in entries] == [
        ("bulk.0", "Row 0", {}, None),
        ("bulk.1", "Row 1", {"n": 1}, None),
        ("bulk.2", "Row 2", {}, None),
    ]
    assert all(entry.recorded_at >= before for entry in entries)


def test_insert_values_refuses_a_field_the_model_does_not_have_and_writes_nothing():
    society = SocietyFactory()
    rows = [{"society_id": society.pk, "action": "a", "summary": "s", "colour": "red"}]

    with pytest.raises(TypeError, match="colour"), transaction.atomic():
        insert_values(AuditEntry, rows)

    assert not AuditEntry.objects.filter(society=society).exists()


def test_insert_plain_rows_refuses_to_leave_out_a_field_whose_default_is_made_for_each_row():
    society = SocietyFactory()
    rows = [(society.pk, "a", "s")]

    with pytest.raises(TypeError, match="AuditEntry.data: its default is made for each row"):
        insert_plain_rows(AuditEntry, ("society_id", "action", "summary"), rows)
    with pytest.raises(TypeError, match="no field colour"):
        insert_plain_rows(AuditEntry, ("society_id", "colour"), rows)

    assert not AuditEntry.objects.filter(society=society).exists()
