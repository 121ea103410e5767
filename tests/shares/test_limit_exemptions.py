"""A society's directors record a registered society's exemption from the holding limit, in the
admin, with the evidence checked; ending it is an audited action too."""

import pytest

from capital.models import AuditEntry
from shares.errors import RegisterError
from shares.models import Holding, HoldingLimitExemption
from shares.services.exemptions import record_limit_exemption
from tests import factories
from tests.admin_pages import action_url
from tests.builders import board_seat, close_and_allocate, paid_application
from tests.factories import gbp


@pytest.fixture
def co_op(db):
    return factories.HolderFactory(
        kind="organisation", name="Calder Housing Co-op", date_of_birth=None, organisation_number="RS004417"
    )


def test_a_director_records_an_exemption_in_the_admin_and_it_is_audited(client, society, co_op):
    director = board_seat(society=society, role="director")
    client.force_login(director)
    response = client.post(
        "/admin/holdinglimitexemption/new/",
        {
            "society": society.pk,
            "registration_number": "RS004417",
            "evidence": "Mutuals Public Register, 2 Dec",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    exemption = HoldingLimitExemption.objects.get()
    assert (exemption.society, exemption.holder, exemption.granted_by) == (society, co_op, director)
    assert co_op.is_exempt_from_holding_limit_in(society)
    entry = AuditEntry.objects.get(action="limit_exemption.recorded")
    assert entry.actor == director and "Mutuals Public Register" in entry.summary


def test_an_unknown_registration_number_is_refused_beside_the_form(client, society, co_op):
    client.force_login(board_seat(society=society, role="director"))
    response = client.post(
        "/admin/holdinglimitexemption/new/",
        {"society": society.pk, "registration_number": "RS999", "evidence": "seen"},
    )
    assert response.status_code == 200
    assert "No organisation investing has the registration number" in response.content.decode()
    assert not HoldingLimitExemption.objects.exists()


@pytest.mark.parametrize("role", ["secretary", "treasurer"])
def test_only_directors_record_exemptions(society, co_op, role):
    with pytest.raises(RegisterError.__mro__[1], match="Only a director"):
        record_limit_exemption(
            society=society,
            registration_number="RS004417",
            evidence="seen",
            by=board_seat(society=society, role=role),
        )


def test_a_person_is_never_exempt(society):
    person = factories.HolderFactory(organisation_number="RS1")
    with pytest.raises(RegisterError, match="No organisation"):
        record_limit_exemption(society=society, registration_number="RS1", evidence="seen")
    assert not person.is_exempt_from_holding_limit_in(society)


def test_ending_an_exemption_is_an_audited_action(client, society, co_op):
    director = board_seat(society=society, role="director")
    exemption = record_limit_exemption(society=society, registration_number="RS004417", evidence="seen")
    client.force_login(director)
    response = client.post(
        action_url("holdinglimitexemption", "end", exemption.pk), {"reason": "Deregistered"}
    )
    assert response.status_code == 302
    assert not co_op.is_exempt_from_holding_limit_in(society)
    assert "Deregistered" in AuditEntry.objects.get(action="limit_exemption.ended").summary


def test_another_societys_board_does_not_see_the_exemption(client, society, co_op):
    exemption = record_limit_exemption(society=society, registration_number="RS004417", evidence="seen")
    client.force_login(board_seat(society=factories.SocietyFactory(), role="director"))
    assert client.get(f"/admin/holdinglimitexemption/inspect/{exemption.pk}/").status_code == 404


def test_allocation_issues_an_exempted_society_more_than_the_limit(society, co_op):
    offer = factories.OpenOfferFactory(
        share_class=factories.CommunityClassFactory(society=society),
        maximum_target=gbp(500000),
        maximum_per_investor=gbp(200000),
    )
    record_limit_exemption(society=society, registration_number="RS004417", evidence="seen")
    paid_application(offer=offer, shares=150000, holder=co_op)
    close_and_allocate(offer=offer)
    assert Holding.objects.get(holder=co_op).shares == 150000
