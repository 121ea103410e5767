from django.core.management.base import BaseCommand, CommandError

from capital.management import society_from_slug
from governance.services.verification import verify_decisions


class Command(BaseCommand):
    help = (
        "Recompute a society's decision record hash chain and recount every result from the stored "
        "ballots; exit non-zero naming the first entry that does not match."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument(
            "--expect-head",
            metavar="SEQUENCE:HASH",
            help="A head printed (and published) earlier: the record must still contain it.",
        )

    def handle(self, *args, society, expect_head=None, **options):
        society = society_from_slug(society)
        check = verify_decisions(society, expected_head=expect_head)
        if not check.ok:
            for problem in check.problems:
                self.stderr.write(f"{society.slug}: {problem}")
            raise CommandError(f"The decision record of {society.slug} does not verify: {check.problems[0]}")
        self.stdout.write(
            f"{society.slug}: decision record intact ({check.entries_checked} entries, "
            f"{check.results_recounted} results recounted); head {check.head}"
        )
