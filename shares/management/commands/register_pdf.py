"""`manage.py register_pdf SOCIETY OUT.pdf [--as-of DATE]`: the register of members as a PDF."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from capital.management import society_from_slug
from shares.documents import register_pdf
from shares.errors import RegisterError


class Command(BaseCommand):
    help = (
        "Write a society's register of members (2014 Act, s.30) as an A4 landscape PDF, with the "
        "register's head so that the printed copy can be checked later."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("out", help="The PDF file to write.")
        parser.add_argument(
            "--as-of", dest="as_of", help="The register as it stood at the end of this day (YYYY-MM-DD)."
        )

    def handle(self, *args, society, out, as_of=None, **options):
        chosen = society_from_slug(society)
        day = _day(as_of) if as_of else None
        try:
            data = register_pdf(chosen, as_of=day)
        except RegisterError as error:
            raise CommandError(str(error)) from error
        Path(out).write_bytes(data)
        self.stdout.write(f"Wrote the register of members of {chosen.name} to {out}.")


def _day(text: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {text!r}.") from None
    if day > timezone.localdate():
        raise CommandError(f"--as-of {day} is in the future; the register can only be shown up to today.")
    return day
