"""`manage.py simulate_returns FILE`: the public simulator from the shell (FILE or - for stdin)."""

from capital.api.simulator_schema import parse_simulation_json, run_simulation
from capital.management.simulator_command import SimulatorCommand


class Command(SimulatorCommand):
    help = (
        "Simulate a return schedule over years of surplus: reads the simulator's JSON from FILE "
        "(or - for standard input) and prints the JSON answer, as POST /api/v1/returns/simulate does. "
        "Exits with 2 on bad input, naming the field."
    )
    parse = staticmethod(parse_simulation_json)
    answer = staticmethod(run_simulation)
