"""The one CSV writer: a cell a spreadsheet would run as a formula is written as text."""

import csv
import io

import pytest

from capital import spreadsheets


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\tcmd", "\rcmd", "=1+1", "+1", "+44"],
)
def test_a_cell_starting_like_a_formula_is_written_as_text(typed):
    assert spreadsheets.safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("number", ["-5.00", "-12", "5.00"])
def test_a_plain_number_stays_a_number(number):
    assert spreadsheets.safe_cell(number) == number


def test_both_writers_neutralise_every_cell_and_leave_other_values():
    out = io.StringIO()
    spreadsheets.writer(out).writerows([["=A1", "-5.00", 7, None, "Ann"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'=A1", "-5.00", "7", "", "Ann"]]

    out = io.StringIO()
    writer = spreadsheets.dict_writer(out, ["name", "amount"])
    writer.writeheader()
    writer.writerow({"name": "@SUM(1)", "amount": "-1.50"})
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == [{"name": "'@SUM(1)", "amount": "-1.50"}]
