"""Capital's part of the public JSON API (`/api/v1/`): the returns and surplus simulators. `config.api`
gathers every app's router into one API, with its OpenAPI schema at `/api/v1/openapi.json`."""

from ninja import Router, Status

from capital.api.fields import ValidationErrorOut
from capital.api.simulator_schema import SimulationIn, SimulationOut, run_simulation
from capital.api.surplus_schema import SurplusIn, SurplusOut, run_split

router = Router()

# What one anonymous request may ask of the server (each about half a second on one core), so the
# requests a client may make a minute cannot keep the web workers busy. The commands have no limit.
API_MOST_HOLDING_YEARS = 5_000
API_MOST_SURPLUS_MEMBERS = 3_000


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
    work = len(payload.holdings) * len(payload.surpluses)
    if work > API_MOST_HOLDING_YEARS:
        return Status(
            422,
            too_much(
                "holdings",
                f"{len(payload.holdings)} holdings over {len(payload.surpluses)} years is {work:,} "
                f"holding-years; this public simulator works out at most {API_MOST_HOLDING_YEARS:,} a "
                "request. Send fewer "
                "holdings or years, or run `manage.py simulate_returns` on your own machine.",
            ),
        )
    return run_simulation(payload)


def too_much(field: str, message: str) -> dict:
    return {"detail": [{"type": "too_much_work", "loc": ["body", "payload", field], "msg": message}]}


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
    members = len(payload.labour) + len(payload.user) + len(payload.investor)
    if members > API_MOST_SURPLUS_MEMBERS:
        return Status(
            422,
            too_much(
                "labour",
                f"{members:,} members in all; this public simulator splits among at most "
                f"{API_MOST_SURPLUS_MEMBERS:,} a request. Run `manage.py simulate_surplus` for more.",
            ),
        )
    return run_split(payload)
