"""The register of members as a PDF: the same rows as the CSV export, on every page a header,
page numbers, and the register's head so that the printed copy can be checked later."""

import csv
import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from djmoney.money import Money
from pypdf import PdfReader

from capital.money import format_money
from shares.documents import register_pdf
from shares.errors import RegisterError
from shares.models import Holder, LedgerEntry
from shares.services.register import issue_shares, remove_shares, transfer_shares
from shares.services.register_reads import register_rows, register_totals
from shares.services.verification import verify_register
from tests import factories
from tests.builders import pdf_text
from tests.factories import gbp
from tests.register_helpers import tamper

Kind = LedgerEntry.Kind


def csv_rows(society) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("export_register", society.slug, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def printed(row: dict[str, str]) -> str:
    """A CSV row as the PDF prints it: money with its symbol, dates as 1 Mar 2022."""

    def day(text):
        return f"{datetime.date.fromisoformat(text):%-d %b %Y}" if text else ""

    cells = [
        row["name"],
        row["postal_address"],
        row["email"],
        row["share_class"],
        row["member"],
        row["shares_held"],
        format_money(Money(row["amount_paid"], row["currency"])),
        day(row["date_admitted"]),
        day(row["date_ceased"]),
    ]
    return " ".join(cell for cell in cells if cell)


@pytest.fixture
def register(society, community_class, investor_class):
    """Five holders: a member with a three-line address, a member who withdrew everything on
    1 June 2022, an investor who transferred part of her shares, and their late joiners."""
    day = datetime.date
    ruth = factories.HolderFactory(
        name="Ruth Ash", email="ruth@example.org", postal_address="1 High Street\nHebden Bridge\nHX7 8AA"
    )
    sam = factories.HolderFactory(name="Sam Birch", email="sam@example.org")
    tara = factories.HolderFactory(name="Tara Cole", email="tara@example.org")
    uma = factories.HolderFactory(name="Uma Dale", email="uma@example.org")
    for holder, share_class, shares, on in (
        (ruth, community_class, 250, day(2021, 3, 1)),
        (sam, community_class, 100, day(2021, 3, 1)),
        (tara, investor_class, 5000, day(2021, 4, 1)),
        (uma, community_class, 40, day(2023, 1, 9)),
    ):
        issue_shares(
            society=society,
            holder=holder,
            share_class=share_class,
            shares=shares,
            amount=gbp(shares),
            effective_date=on,
        )
    remove_shares(
        society=society,
        kind=Kind.WITHDRAWAL,
        holder=sam,
        share_class=community_class,
        shares=100,
        effective_date=day(2022, 6, 1),
    )
    transfer_shares(
        society=society,
        holder=tara,
        to=uma,
        share_class=investor_class,
        shares=1500,
        effective_date=day(2023, 2, 1),
    )
    return society


def test_the_pdf_has_the_rows_of_the_csv_export_in_the_same_order(register):
    rows = csv_rows(register)
    assert register_rows(register) == rows
    assert [(r["name"], r["share_class"], r["shares_held"], r["date_ceased"]) for r in rows] == [
        ("Ruth Ash", "Community shares", "250", ""),
        ("Sam Birch", "Community shares", "0", "2022-06-01"),
        ("Tara Cole", "Investor shares", "3500", ""),
        ("Uma Dale", "Community shares", "40", ""),
        ("Uma Dale", "Investor shares", "1500", ""),
    ]

    data = register_pdf(register)
    text = pdf_text(data)
    position = 0
    for row in rows:
        position = text.find(printed(row), position)
        assert position >= 0, printed(row)
    assert (
        "Ruth Ash 1 High Street Hebden Bridge HX7 8AA ruth@example.org Community shares yes 250 £250.00"
        in text
    )
    assert (
        "Sam Birch 2 Canal Street, Todmorden OL14 5AA sam@example.org Community shares no 0 £0.00 "
        "1 Mar 2021 1 Jun 2022" in text
    )
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
        842,
        595,
    )  # A4 landscape


def test_the_totals_are_per_class_from_the_same_rows(register):
    totals = {total.share_class: total for total in register_totals(register_rows(register))}
    assert (totals["Community shares"].holdings, totals["Community shares"].members) == (2, 2)
    assert (totals["Community shares"].shares, totals["Community shares"].amount_paid) == (290, 290)
    assert (totals["Investor shares"].holdings, totals["Investor shares"].members) == (2, 0)
    assert totals["Investor shares"].shares == 5000
    text = pdf_text(register_pdf(register))
    assert "Community shares 2 2 290 £290.00" in text and "Investor shares 2 0 5000 £5,000.00" in text


def test_the_printed_head_checks_the_register_later(register):
    text = pdf_text(register_pdf(register))
    head = verify_register(register).head
    assert head in text.replace(" ", "") and f"Register head when printed: entry {head.split(':')[0]}" in text
    printed_head = re.search(r"--expect-head (\d+:[0-9a-f]{64})", text).group(1)
    out = io.StringIO()
    call_command("verify_register", register.slug, "--expect-head", printed_head, stdout=out)
    assert f"register intact (6 entries); head {printed_head}" in out.getvalue()
    # Once an entry up to it is rewritten, the printed head no longer checks out.
    tamper("UPDATE shares_ledgerentry SET entry_hash = %s WHERE sequence = 6", ["0" * 64])
    with pytest.raises(CommandError):
        call_command(
            "verify_register",
            register.slug,
            "--expect-head",
            printed_head,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_the_register_as_it_stood_on_a_day_is_replayed_from_the_ledger(register):
    # The replay to today is the register itself.
    assert register_rows(register, as_of=datetime.date.today()) == csv_rows(register)
    before = register_rows(register, as_of=datetime.date(2022, 5, 31))
    assert [
        (r["name"], r["share_class"], r["member"], r["shares_held"], r["date_ceased"]) for r in before
    ] == [
        ("Ruth Ash", "Community shares", "yes", "250", ""),
        ("Sam Birch", "Community shares", "yes", "100", ""),
        ("Tara Cole", "Investor shares", "no", "5000", ""),
    ]
    assert register_rows(register, as_of=datetime.date(2021, 2, 28)) == []
    text = pdf_text(register_pdf(register, as_of=datetime.date(2022, 5, 31)))
    assert "Register of members as at 31 May 2022" in text
    assert (
        "Sam Birch 2 Canal Street, Todmorden OL14 5AA sam@example.org Community shares yes 100 £100.00 "
        "1 Mar 2021" in text
    )
    assert "Uma Dale" not in text


def test_a_long_register_repeats_its_header_and_numbers_its_pages(society, community_class):
    holders = Holder.objects.bulk_create(
        factories.HolderFactory.build(name=f"Member {n:03d}", email=f"m{n}@example.org") for n in range(90)
    )
    for holder in holders:
        issue_shares(society=society, holder=holder, share_class=community_class, shares=10, amount=gbp(10))
    reader = PdfReader(io.BytesIO(register_pdf(society)))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "NAME POSTAL ADDRESS EMAIL SHARE CLASS MEMBER SHARES HELD AMOUNT PAID" in page
        assert f"{society.name} · Register of members as at" in page
    assert all(f"Member {n:03d}" in " ".join(pages) for n in range(90))


def test_a_register_that_does_not_verify_is_not_printed(register):
    tamper("UPDATE shares_ledgerentry SET shares = 999 WHERE sequence = 2")
    with pytest.raises(RegisterError, match="does not verify.*Entry #2"):
        register_pdf(register)


def test_the_command_writes_the_register_and_refuses_bad_input(register, tmp_path):
    out = tmp_path / "register.pdf"
    call_command("register_pdf", register.slug, str(out), "--as-of", "2022-05-31", stdout=io.StringIO())
    assert "Register of members as at 31 May 2022" in pdf_text(out.read_bytes())
    for arguments, message in (
        (["no-such-society", str(out)], "No society has the slug"),
        ([register.slug, str(out), "--as-of", "31/05/2022"], "YYYY-MM-DD"),
        ([register.slug, str(out), "--as-of", "2999-01-01"], "in the future"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("register_pdf", *arguments)
    tamper("UPDATE shares_ledgerentry SET shares = 999 WHERE sequence = 2")
    with pytest.raises(CommandError, match="does not verify"):
        call_command("register_pdf", register.slug, str(tmp_path / "refused.pdf"))
    assert not (tmp_path / "refused.pdf").exists()
