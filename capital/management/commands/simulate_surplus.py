"""`manage.py simulate_surplus FILE`: the surplus split from the shell (FILE or - for stdin)."""

from capital.api.surplus_schema import parse_surplus_json, run_split
from capital.management.simulator_command import SimulatorCommand


class Command(SimulatorCommand):
    help = (
        "Split a year's surplus between reserves and the Labour, User and Investor parts: reads the "
        "JSON from FILE (or - for standard input) and prints the split, as POST /api/v1/surplus/simulate "
        "does. Exits with 2 on bad input, naming the field."
    )
    parse = staticmethod(parse_surplus_json)
    answer = staticmethod(run_split)
