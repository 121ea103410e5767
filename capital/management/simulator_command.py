"""What the simulators' commands share: read JSON from a file or standard input, check it with
the API's own schema, print the API's own answer, and exit with 2 on bad input."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from capital.api.fields import InputError

BAD_INPUT = 2


class SimulatorCommand(BaseCommand):
    # Set by each command: JSON text -> checked request, and checked request -> answer.
    parse = None
    answer = None
    # Tests (and callers embedding the command) may hand it a stream instead of the real stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON file, or - to read standard input.")

    def handle(self, *args, file, **options):
        try:
            request = type(self).parse(self._read(file, options.get("stdin") or sys.stdin))
        except InputError as error:
            raise CommandError(str(error), returncode=BAD_INPUT) from None
        self.stdout.write(json.dumps(type(self).answer(request), indent=2))

    def _read(self, file: str, stdin) -> str:
        if file == "-":
            return stdin.read()
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}", returncode=BAD_INPUT) from None
