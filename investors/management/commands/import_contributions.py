"""`manage.py import_contributions SOCIETY labour|user YEAR_END FILE`: the year's contributions
from the shell, as the admin's *Import contributions* records them."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from capital.errors import Refusal
from capital.management import society_from_slug
from investors.surplus.contributions import import_contributions


class Command(BaseCommand):
    help = (
        "Record a financial year's labour (hours or pay) or user (trade) contributions from a CSV "
        "naming each member's email and their contribution. A file with a bad line changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("part", choices=["labour", "user"])
        parser.add_argument("year_end", help="The financial year's last day, e.g. 2026-03-31.")
        parser.add_argument("file", help="The CSV file.")

    def handle(self, *args, society, part, year_end, file, **options):
        try:
            year_end = datetime.date.fromisoformat(year_end)
        except ValueError:
            raise CommandError(f"{year_end!r} is not a date (write it as 2026-03-31).") from None
        try:
            with open(file, encoding="utf-8-sig") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        try:
            batch = import_contributions(
                society=society_from_slug(society), part=part, year_end=year_end, text=text, filename=file
            )
        except Refusal as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{batch.get_part_display()} contributions for the year ending {batch.year_end}: "
            f"{batch.contributions.count()} members, {batch.total.normalize():f} in all."
        )
