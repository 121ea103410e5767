"""The one way the platform writes CSV: every cell a spreadsheet could read as a formula is
made plain text first.

Names, addresses and references are typed by investors and board members. A cell beginning
with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets when the file is opened, so such a cell gets a leading apostrophe. A cell
that is simply a number as the platform writes amounts (`-5.00`, `12`) is left as it is so the
treasurer's sums still work; the platform never writes a number with a `+`, so `+1` is text
someone typed and is neutralised too.

XLSX needs no apostrophe: `xlsx_text_cells` writes every text cell as text (openpyxl would
otherwise store a string beginning with `=` as a formula).

A CSV a board opens in a spreadsheet starts with a byte-order mark (`for_spreadsheets`): Excel
reads a CSV as UTF-8 only then, and otherwise shows "Zoë" as "ZoÃ«" and "£" as "Â£". A file
for a bank's software (a run's payment file) is left without one: it expects the bare format.
"""

import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BYTE_ORDER_MARK = "\ufeff"
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value):
    """`value` as a spreadsheet will read it as text, never as a formula; non-text as it is."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def for_spreadsheets(text: str) -> str:
    """CSV `text` as Excel opens it as UTF-8: behind a byte-order mark."""
    return BYTE_ORDER_MARK + text


def xlsx_text_cells(cells):
    """openpyxl cells, each one holding text marked as text, never as a formula."""
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        yield cell


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    def __init__(self, writer):
        self._writer = writer

    def writeheader(self):
        return self._writer.writeheader()

    def writerow(self, row):
        return self._writer.writerow({key: safe_cell(cell) for key, cell in row.items()})

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **options):
    """A `csv.writer` on `out` whose every cell goes through `safe_cell`."""
    return _SafeWriter(csv.writer(out, **options))


def dict_writer(out, fieldnames, **options):
    """A `csv.DictWriter` on `out` whose every cell goes through `safe_cell`."""
    return _SafeDictWriter(csv.DictWriter(out, fieldnames=fieldnames, **options))
