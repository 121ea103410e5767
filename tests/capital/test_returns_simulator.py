"""The public simulator: `manage.py simulate_returns` and `POST /api/v1/returns/simulate`."""

import copy
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

URL = "/api/v1/returns/simulate"
ROOT = Path(__file__).resolve().parents[2]

WORKED_INPUT = {
    "schedule": {
        "pool_percent": "25",
        "hurdle": "0",
        "grace_years": 1,
        "weighting": "capital",
        "rate_ceiling_percent": None,
        "cap_multiple": "1.5",
        "excess": "retained",
        "term_years": None,
        "redeem_at_term_end": False,
    },
    "first_year_end": "2027-12-31",
    "holdings": [
        {"ref": "A", "capital": "10000.00", "issued_on": "2027-01-01"},
        {"ref": "B", "capital": "7000.00", "issued_on": "2027-01-01"},
        {"ref": "C", "capital": "3333.00", "issued_on": "2027-01-01"},
    ],
    "surpluses": ["8000", "20000", "40000", "-5000", "80000", "90000"],
}


def run_command(data) -> dict:
    out = io.StringIO()
    call_command("simulate_returns", "-", stdin=io.StringIO(json.dumps(data)), stdout=out)
    return json.loads(out.getvalue())


def command_refusal(data) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("simulate_returns", "-", stdin=io.StringIO(json.dumps(data)), stdout=io.StringIO())
    assert refused.value.returncode == 2
    return str(refused.value)


def post(client, data):
    return client.post(URL, data=json.dumps(data), content_type="application/json")


def line(output, year, ref) -> dict:
    return next(each for each in output["years"][year - 1]["lines"] if each["ref"] == ref)


def assert_worked_example(output):
    years = output["years"]
    assert [year["year_end"] for year in years] == [f"{y}-12-31" for y in range(2027, 2033)]
    assert years[0] == {
        "year": 1,
        "year_end": "2027-12-31",
        "pool": "0.00",
        "paid": "0.00",
        "retained": "0.00",
        "lines": [
            {"ref": ref, "paid": "0.00", "redeemed": "0.00", "cumulative": "0.00", "status": "active"}
            for ref in "ABC"
        ],
    }
    assert [line(output, 2, ref)["paid"] for ref in "ABC"] == ["2459.06", "1721.34", "819.60"]
    assert [line(output, 3, ref)["paid"] for ref in "ABC"] == ["4918.11", "3442.68", "1639.21"]
    assert years[3]["paid"] == "0.00"
    assert (years[4]["pool"], years[4]["paid"], years[4]["retained"]) == ("20000.00", "15499.50", "4500.50")
    assert line(output, 5, "A") == {
        "ref": "A",
        "paid": "7622.83",
        "redeemed": "0.00",
        "cumulative": "15000.00",
        "status": "capped",
    }
    assert [line(output, 5, ref)["paid"] for ref in "BC"] == ["5335.98", "2540.69"]
    assert years[5]["paid"] == "0.00" and {each["status"] for each in years[5]["lines"]} == {"capped"}
    assert output["totals"] == [
        {"ref": "A", "paid": "15000.00", "redeemed": "0.00", "multiple": "1.5000"},
        {"ref": "B", "paid": "10500.00", "redeemed": "0.00", "multiple": "1.5000"},
        {"ref": "C", "paid": "4999.50", "redeemed": "0.00", "multiple": "1.5000"},
    ]


def test_worked_example_through_the_command_from_a_file_and_from_stdin(tmp_path):
    path = tmp_path / "worked.json"
    path.write_text(json.dumps(WORKED_INPUT))
    out = io.StringIO()
    call_command("simulate_returns", str(path), stdout=out)
    from_file = json.loads(out.getvalue())
    assert_worked_example(from_file)
    assert run_command(WORKED_INPUT) == from_file


def test_worked_example_through_the_api_gives_the_commands_answer(client):
    response = post(client, WORKED_INPUT)
    assert response.status_code == 200, response.content
    assert_worked_example(response.json())
    assert response.json() == run_command(WORKED_INPUT)


def test_the_openapi_schema_describes_the_simulator(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert operation["tags"] == ["returns"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {
        "schedule",
        "first_year_end",
        "holdings",
        "surpluses",
    }
    assert "200" in operation["responses"]


def test_a_holding_issued_after_a_year_ends_joins_later():
    data = copy.deepcopy(WORKED_INPUT)
    data["schedule"].update(grace_years=0, cap_multiple=None)
    data["holdings"].append({"ref": "D", "capital": "20333.00", "issued_on": "2028-06-30"})
    output = run_command(data)
    assert line(output, 1, "D")["paid"] == "0.00" and output["years"][0]["paid"] == "2000.00"
    assert line(output, 2, "D")["paid"] == "2500.00"  # half the capital, capital weighting: half the pool


def test_redemption_and_multiple_in_the_output():
    data = copy.deepcopy(WORKED_INPUT)
    data["schedule"].update(grace_years=0, cap_multiple=None, term_years=2, redeem_at_term_end=True)
    data["holdings"] = [{"ref": "A", "capital": "3.00", "issued_on": "2027-01-01"}]
    data["surpluses"] = ["4", "0", "4"]
    output = run_command(data)
    assert line(output, 2, "A") == {
        "ref": "A",
        "paid": "0.00",
        "redeemed": "3.00",
        "cumulative": "4.00",
        "status": "redeemed",
    }
    assert output["totals"] == [{"ref": "A", "paid": "1.00", "redeemed": "3.00", "multiple": "1.3333"}]


def test_an_interest_schedule_pays_the_rate_for_the_days_held():
    data = copy.deepcopy(WORKED_INPUT)
    data["schedule"] = {"pool_percent": None, "rate_ceiling_percent": "4"}
    data["holdings"] = [{"ref": "A", "capital": "2500.00", "issued_on": "2027-10-01"}]
    data["surpluses"] = ["0", "-100"]
    output = run_command(data)
    assert [year["paid"] for year in output["years"]] == ["25.21", "100.00"]


def changed(path, value):
    """The worked input with the value at `path` (keys and list indexes) replaced or, for
    `...`, removed."""
    data = copy.deepcopy(WORKED_INPUT)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


BAD_INPUTS = {
    "unknown top-level field": (changed(("currency",), "GBP"), "currency"),
    "unknown schedule field": (changed(("schedule", "pool_percnt"), "25"), "schedule.pool_percnt"),
    "unknown holding field": (changed(("holdings", 0, "name"), "Ann"), "holdings[0].name"),
    "negative capital": (changed(("holdings", 1, "capital"), "-7000"), "holdings[1].capital"),
    "zero capital": (changed(("holdings", 2, "capital"), "0"), "holdings[2].capital"),
    "capital finer than a penny": (changed(("holdings", 0, "capital"), "10.001"), "holdings[0].capital"),
    "pool percent over 100": (changed(("schedule", "pool_percent"), "100.5"), "schedule.pool_percent"),
    "rate over 100": (changed(("schedule", "rate_ceiling_percent"), "101"), "schedule.rate_ceiling_percent"),
    "cap below 1": (changed(("schedule", "cap_multiple"), "0.5"), "schedule.cap_multiple"),
    "negative hurdle": (changed(("schedule", "hurdle"), "-1"), "schedule.hurdle"),
    "negative grace": (changed(("schedule", "grace_years"), -1), "schedule.grace_years"),
    "unknown weighting": (changed(("schedule", "weighting"), "votes"), "schedule.weighting"),
    "a date that is not a date": (changed(("first_year_end",), "2027-02-30"), "first_year_end"),
    "a date in another format": (
        changed(("holdings", 0, "issued_on"), "01/01/2027"),
        "holdings[0].issued_on",
    ),
    "29 February as year end": (changed(("first_year_end",), "2028-02-29"), "first_year_end"),
    "no surpluses": (changed(("surpluses",), []), "surpluses"),
    "a surplus that is not a number": (changed(("surpluses", 1), "lots"), "surpluses[1]"),
    "money as a float": (changed(("holdings", 0, "capital"), 10000.5), "holdings[0].capital"),
    "no holdings": (changed(("holdings",), []), "holdings"),
    "missing capital": (changed(("holdings", 0, "capital"), ...), "holdings[0].capital"),
    "duplicate ref": (changed(("holdings", 2, "ref"), "A"), "holdings[2].ref"),
    "interest without a rate": (changed(("schedule", "pool_percent"), None), "schedule.rate_ceiling_percent"),
    "redemption without a term": (changed(("schedule", "redeem_at_term_end"), True), "schedule.term_years"),
}


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_naming_the_field(data, field):
    assert f"{field}: " in command_refusal(data)


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_422_naming_the_field(client, data, field):
    response = post(client, data)
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", "payload", *[int(p) if p.isdigit() else p for p in split_field(field)]] in locations


def split_field(field: str) -> list[str]:
    """ "holdings[1].capital" → ["holdings", "1", "capital"]."""
    return field.replace("[", ".").replace("]", "").split(".")


def test_input_that_is_not_json_exits_2():
    with pytest.raises(CommandError) as refused:
        call_command("simulate_returns", "-", stdin=io.StringIO("{schedule"), stdout=io.StringIO())
    assert refused.value.returncode == 2 and "not valid JSON" in str(refused.value)


def test_a_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("simulate_returns", str(tmp_path / "none.json"), stdout=io.StringIO())
    assert refused.value.returncode == 2 and "Cannot read" in str(refused.value)


def test_the_shell_sees_exit_code_2_and_the_message_on_stderr():
    bad = changed(("holdings", 0, "capital"), "-1")
    finished = subprocess.run(
        [sys.executable, "manage.py", "simulate_returns", "-"],
        input=json.dumps(bad),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "holdings[0].capital: Input should be greater than 0" in finished.stderr
    assert finished.stdout == ""


def test_the_openapi_schema_documents_the_422_answer_and_patterns_accept_only_what_is_valid(client):
    """A tool that checks its input against the published patterns sends nothing that is then
    refused, and refuses nothing the simulator would take; the 422 answer is documented."""
    schema = client.get("/api/v1/openapi.json").json()
    for path in (URL, "/api/v1/surplus/simulate"):
        responses = schema["paths"][path]["post"]["responses"]
        error = responses["422"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        detail = schema["components"]["schemas"][error]["properties"]["detail"]
        item = detail["items"]["$ref"].rsplit("/", 1)[-1]
        assert set(schema["components"]["schemas"][item]["properties"]) == {"type", "loc", "msg"}

    schedule = schema["components"]["schemas"]["ScheduleIn"]["properties"]
    samples = [
        "0",
        "0.00",
        "00",
        "0.5",
        "1",
        "1.5",
        "7",
        "25",
        "99.99",
        "100",
        "100.00",
        "100.01",
        "101",
        "250",
        "999.99",
        "1000",
        "-1",
        "1.234",
        "abc",
        "",
    ]
    for field in ("pool_percent", "cap_multiple"):
        pattern = next(option for option in schedule[field]["anyOf"] if "pattern" in option)["pattern"]
        for text in samples:
            data = copy.deepcopy(WORKED_INPUT)
            data["schedule"][field] = text
            accepted = post(client, data).status_code == 200
            assert bool(re.fullmatch(pattern, text)) == accepted, (field, text, accepted)
    zero = post(
        client, {**copy.deepcopy(WORKED_INPUT), "schedule": {**WORKED_INPUT["schedule"], "pool_percent": "0"}}
    )
    assert zero.status_code == 422 and zero.json()["detail"][0]["loc"][-1] == "pool_percent"


def test_the_public_api_refuses_more_work_than_one_request_may_ask_and_the_command_does_not(client):
    data = copy.deepcopy(WORKED_INPUT)
    data["holdings"] = [{"ref": f"H{n}", "capital": "100.00", "issued_on": "2027-01-01"} for n in range(200)]
    data["surpluses"] = ["8000"] * 26  # 5,200 holding-years
    response = post(client, data)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "holdings"] and "5,200 holding-years" in error["msg"]
    assert len(run_command(data)["years"]) == 26, "the command on your own machine has no such limit"
    data["surpluses"] = ["8000"] * 25  # 5,000: answered
    assert post(client, data).status_code == 200


def test_the_surplus_simulator_refuses_more_members_than_one_request_may_ask(client):
    members = [{"ref": f"M{n}", "contribution": "1"} for n in range(1001)]
    data = {
        "surplus": "1000.00",
        "fractions": {"labour": "50", "user": "25", "investor": "0"},
        "labour": members,
        "user": members,
        "investor": [{"ref": f"I{n}", "capital": "1.00"} for n in range(999)],
    }
    response = client.post("/api/v1/surplus/simulate", data=json.dumps(data), content_type="application/json")
    assert response.status_code == 422 and "3,001 members in all" in response.json()["detail"][0]["msg"]


def test_there_is_no_interactive_docs_page_that_the_csp_would_blank_but_the_schema_is_served(client, db):
    assert client.get("/api/v1/docs/").status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 200
