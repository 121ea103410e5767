from django.core.management.base import BaseCommand, CommandError

from capital.management import society_from_slug
from capital.models import Society
from shares.services.verification import verify_register


class Command(BaseCommand):
    help = "Recompute each society's register hash chain and holdings; exit non-zero on the first mismatch."

    def add_arguments(self, parser):
        parser.add_argument("society", nargs="?", help="A society's slug (default: every society).")
        parser.add_argument(
            "--expect-head",
            metavar="SEQUENCE:HASH",
            help="A head printed by an earlier check (and published): the register must still contain it.",
        )

    def handle(self, *args, society=None, expect_head=None, **options):
        societies = [society_from_slug(society)] if society else Society.objects.all()
        failed = []
        if expect_head and not society:
            raise CommandError("--expect-head needs the society it belongs to.")
        for each in societies:
            check = verify_register(each, expected_head=expect_head)
            if check.ok:
                self.stdout.write(
                    f"{each.slug}: register intact ({check.entries_checked} entries); head {check.head}"
                )
            else:
                failed.append(each.slug)
                for problem in check.problems:
                    self.stderr.write(f"{each.slug}: {problem}")
        if failed:
            raise CommandError(f"The register does not verify for: {', '.join(failed)}.")
