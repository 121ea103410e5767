"""Capital's part of the public JSON API (`/api/v1/`): the returns simulator. `config.api`
gathers every app's router into one API, with its OpenAPI schema at `/api/v1/openapi.json`."""

from ninja import Router

from capital.api.simulator_schema import SimulationIn, SimulationOut, run_simulation

router = Router()


@router.post(
    "/returns/simulate",
    response=SimulationOut,
    tags=["returns"],
    summary="Simulate a return schedule",
    description=(
        "What a profit share or capped interest would pay each holding, year by year, for the given "
        "surpluses. The same engine runs the real distribution; the same input always gives the same "
        "answer. Money is given and returned as strings with two decimals. Bad input gets 422 with "
        "each error's `loc` naming the field."
    ),
)
def simulate_returns(request, payload: SimulationIn):
    return run_simulation(payload)
