"""Capital's part of the public JSON API (`/api/v1/`): the returns and surplus simulators. `config.api`
gathers every app's router into one API, with its OpenAPI schema at `/api/v1/openapi.json`."""

from ninja import Router

from capital.api.fields import ValidationErrorOut
from capital.api.simulator_schema import SimulationIn, SimulationOut, run_simulation
from capital.api.surplus_schema import SurplusIn, SurplusOut, run_split

router = Router()


@router.post(
    "/returns/simulate",
    response={200: SimulationOut, 422: ValidationErrorOut},
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


@router.post(
    "/surplus/simulate",
    response={200: SurplusOut, 422: ValidationErrorOut},
    tags=["surplus"],
    summary="Split a year's surplus the FairShares way",
    description=(
        "How a surplus would be split between reserves and the Labour, User and Investor parts, and "
        "each part among its members pro rata to their contribution (investors: capital), to the penny "
        "by the largest remainder. Each part is round_half_up(surplus × fraction / 100); reserves are "
        "the surplus less the three parts. The same split runs a society's real surplus run. Money is "
        "given and returned as strings with two decimals. Bad input gets 422 with each error's `loc` "
        "naming the field."
    ),
)
def simulate_surplus(request, payload: SurplusIn):
    return run_split(payload)
