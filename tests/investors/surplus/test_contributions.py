"""The year's labour and user contributions, imported from a CSV: every bad line named, nothing
written for a bad file, a new file superseding the old."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from capital.errors import CapitalError
from capital.models import AuditEntry
from investors.errors import SurplusRunError
from investors.models import Contribution, ContributionImport
from investors.surplus.contributions import import_contributions
from tests import factories
from tests.builders import board_seat, contributions, issue, surplus_rules

YEAR_END = datetime.date(2026, 3, 31)


@pytest.fixture
def rules(society):
    return surplus_rules(society=society)


@pytest.fixture
def workers(rules):
    people = [
        factories.HolderFactory(name=name, email=f"{name.lower()}@example.org") for name in ("Ann", "Bo")
    ]
    for person in people:
        issue(holder=person, share_class=rules.labour_class, shares=1, on=datetime.date(2025, 4, 1))
    return people


def test_a_good_file_records_each_members_total_in_any_column_order(society, workers):
    ann, bo = workers
    text = (
        "Name,HOURS,Email\n"
        "Ann,1200,ann@example.org\n"
        'Bo,"1,040.5",BO@example.org\n'
        ",,\n"
        "Ann,7.25,ann@example.org\n"
    )
    batch = import_contributions(
        society=society, part="labour", year_end=YEAR_END, text=text, filename="rota.csv"
    )
    recorded = {each.holder: (each.amount, each.lines) for each in batch.contributions.all()}
    assert recorded == {ann: (D("1207.25"), "2, 5"), bo: (D("1040.5"), "3")}
    assert (batch.rows, batch.total, batch.current) == (3, D("2247.75"), True)
    audit = AuditEntry.objects.get(action="contributions.imported")
    assert "2 members, 2247.75 in all (rota.csv)" in audit.summary


def test_a_file_with_bad_lines_names_every_one_and_writes_nothing(society, workers):
    outsider = factories.HolderFactory(email="outsider@example.org")
    text = (
        "email,pay\n"
        "ann@example.org,abc\n"
        "bo@example.org,-5\n"
        "nobody@example.org,10\n"
        "outsider@example.org,10\n"
        "not-an-address,10\n"
        "ann@example.org,1.23456\n"
        "bo@example.org,£2,500.00\n"
    )
    with pytest.raises(SurplusRunError) as refused:
        import_contributions(society=society, part="labour", year_end=YEAR_END, text=text)
    message = str(refused.value)
    assert message.startswith("Nothing was imported.")
    assert "Line 2: 'abc' is not a contribution" in message
    assert "Line 3: '-5' is not a contribution" in message
    assert "Line 6: 'not-an-address' is not an email address" in message
    assert "Line 7: '1.23456' is not a contribution" in message
    assert "Line 8" not in message, "£2,500.00 is a good figure"
    assert not ContributionImport.objects.exists() and not Contribution.objects.exists()

    with pytest.raises(SurplusRunError) as refused:
        import_contributions(
            society=society,
            part="labour",
            year_end=YEAR_END,
            text="email,pay\nnobody@example.org,10\noutsider@example.org,10\n",
        )
    assert "Line 2: no one on the register has the email nobody@example.org" in str(refused.value)
    assert f"Line 3: {outsider.email} holds no Labour shares, so is not a labour member" in str(refused.value)
    assert not ContributionImport.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("email,name\nann@example.org,Ann\n", "no contribution column"),
        ("hours\n12\n", "no email column"),
    ],
)
def test_a_file_without_its_columns_is_refused(society, workers, text, message):
    with pytest.raises(SurplusRunError, match=message):
        import_contributions(society=society, part="labour", year_end=YEAR_END, text=text)


def test_figures_too_large_to_record_are_refused_by_line_and_nothing_is_written(society, workers):
    huge = 'email,hours\nann@example.org,"1,000,000,000,000,000,000"\n'
    with pytest.raises(SurplusRunError, match=r"Line 2: '1,000,000,000,000,000,000' is more than one"):
        import_contributions(society=society, part="labour", year_end=YEAR_END, text=huge)
    many = "email,hours\n" + "bo@example.org,999999999999\n" * 3
    with pytest.raises(SurplusRunError, match=r"Lines 2, 3, 4: together 2,999,999,999,997 for one member"):
        import_contributions(society=society, part="labour", year_end=YEAR_END, text=many)
    assert not ContributionImport.objects.exists() and not Contribution.objects.exists()


def test_two_members_sharing_an_address_are_asked_to_have_their_own(society, rules):
    for name in ("Cy", "Di"):
        issue(
            holder=factories.HolderFactory(name=name, email="home@example.org"),
            share_class=rules.user_class,
            shares=1,
        )
    with pytest.raises(SurplusRunError, match="2 members of User shares share the email home@example.org"):
        import_contributions(
            society=society, part="user", year_end=YEAR_END, text="email,trade\nhome@example.org,5\n"
        )


def test_importing_the_year_again_supersedes_the_file_before_and_keeps_it(society, workers):
    ann, bo = workers
    first = contributions(society=society, part="labour", year_end=YEAR_END, amounts={ann: 10, bo: 20})
    second = contributions(society=society, part="labour", year_end=YEAR_END, amounts={ann: 15})
    first.refresh_from_db()
    assert not first.current and second.current
    assert first.contributions.count() == 2 and second.contributions.count() == 1
    other_year = contributions(
        society=society, part="labour", year_end=YEAR_END.replace(year=2025), amounts={ann: 1}
    )
    assert other_year.current


def test_a_file_with_only_its_header_records_that_there_were_none(society, workers):
    batch = import_contributions(society=society, part="labour", year_end=YEAR_END, text="email,hours\n")
    assert batch.rows == 0 and batch.total == 0 and batch.current


def test_the_year_must_be_one_of_the_societys_and_the_rules_must_name_the_class(society, workers):
    with pytest.raises(SurplusRunError, match="financial year ends on 31 March.*did you mean 31 March 2026"):
        contributions(society=society, part="labour", year_end=datetime.date(2026, 4, 30), amounts={})
    rules = society.surplus_rules
    rules.user_percent, rules.reserves_percent, rules.user_class = D("0"), D("40"), None
    rules.save()
    with pytest.raises(SurplusRunError, match="naming the user members' class"):
        contributions(society=society, part="user", year_end=YEAR_END, amounts={})


def test_only_the_board_records_contributions(society, workers):
    with pytest.raises(CapitalError, match="Only a director or secretary or treasurer"):
        contributions(
            society=society, part="labour", year_end=YEAR_END, amounts={}, by=factories.UserFactory()
        )
    batch = contributions(
        society=society,
        part="labour",
        year_end=YEAR_END,
        amounts={},
        by=board_seat(society=society, role="treasurer"),
    )
    assert batch.imported_by is not None


def test_the_treasurer_imports_in_the_admin_and_bad_lines_are_shown_beside_the_file(client, society, workers):
    client.force_login(board_seat(society=society, role="treasurer"))
    form = {"society": society.pk, "part": "labour", "year_end": "2026-03-31"}
    bad = client.post(
        "/admin/surplus/contributions/",
        {**form, "contributions": SimpleUploadedFile("rota.csv", b"email,hours\nann@example.org,lots\n")},
    )
    assert bad.status_code == 200 and "Line 2: &#x27;lots&#x27; is not a contribution" in bad.content.decode()
    assert not ContributionImport.objects.exists()
    good = client.post(
        "/admin/surplus/contributions/",
        {**form, "contributions": SimpleUploadedFile("rota.csv", b"email,hours\nann@example.org,12\n")},
    )
    assert good.status_code == 302
    assert ContributionImport.objects.get().filename == "rota.csv"

    client.force_login(board_seat(society=factories.SocietyFactory(), role="treasurer"))
    refused = client.post(
        "/admin/surplus/contributions/",
        {**form, "contributions": SimpleUploadedFile("rota.csv", b"email,hours\nann@example.org,12\n")},
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()


def test_the_command_imports_a_file_and_refuses_a_bad_one(society, workers, tmp_path):
    path = tmp_path / "till.csv"
    path.write_text("email,hours\nann@example.org,30\nbo@example.org,12.5\n")
    out = io.StringIO()
    call_command("import_contributions", society.slug, "labour", "2026-03-31", str(path), stdout=out)
    assert "2 members, 42.5 in all" in out.getvalue()
    path.write_text("email,hours\nann@example.org,x\n")
    with pytest.raises(CommandError, match="Line 2"):
        call_command(
            "import_contributions", society.slug, "labour", "2026-03-31", str(path), stdout=io.StringIO()
        )
    assert ContributionImport.objects.count() == 1
