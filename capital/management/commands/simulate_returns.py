"""`manage.py simulate_returns FILE`: the public simulator from the shell (FILE or - for stdin)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from capital.api.simulator_schema import SimulationInputError, parse_simulation_json, run_simulation

BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        "Simulate a return schedule over years of surplus: reads the simulator's JSON from FILE "
        "(or - for standard input) and prints the JSON answer, as POST /api/v1/returns/simulate does. "
        "Exits with 2 on bad input, naming the field."
    )
    # Tests (and callers embedding the command) may hand it a stream instead of the real stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON file, or - to read standard input.")

    def handle(self, *args, file, **options):
        try:
            request = parse_simulation_json(self._read(file, options.get("stdin") or sys.stdin))
        except SimulationInputError as error:
            raise CommandError(str(error), returncode=BAD_INPUT) from None
        self.stdout.write(json.dumps(run_simulation(request), indent=2))

    def _read(self, file: str, stdin) -> str:
        if file == "-":
            return stdin.read()
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}", returncode=BAD_INPUT) from None
