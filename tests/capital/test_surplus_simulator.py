"""The public surplus simulator: `manage.py simulate_surplus` and `POST /api/v1/surplus/simulate`,
one contract both ways."""

import copy
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

URL = "/api/v1/surplus/simulate"

EXAMPLE = {
    "surplus": "100000.00",
    "fractions": {"labour": "30", "user": "25", "investor": "25"},
    "labour": [{"ref": "L1", "contribution": "1200"}, {"ref": "L2", "contribution": "700"}],
    "user": [{"ref": "U1", "contribution": "350.25"}, {"ref": "U2", "contribution": "1"}],
    "investor": [{"ref": "I1", "capital": "5000.00"}, {"ref": "I2", "capital": "2500.00"}],
}
EXPECTED = {
    "reserves": "20000.00",
    "parts": {
        "labour": {
            "amount": "30000.00",
            "lines": [{"ref": "L1", "paid": "18947.37"}, {"ref": "L2", "paid": "11052.63"}],
        },
        "user": {
            "amount": "25000.00",
            "lines": [{"ref": "U1", "paid": "24928.83"}, {"ref": "U2", "paid": "71.17"}],
        },
        "investor": {
            "amount": "25000.00",
            "lines": [{"ref": "I1", "paid": "16666.67"}, {"ref": "I2", "paid": "8333.33"}],
        },
    },
}


def run_command(data) -> dict:
    out = io.StringIO()
    call_command("simulate_surplus", "-", stdin=io.StringIO(json.dumps(data)), stdout=out)
    return json.loads(out.getvalue())


def post(client, data):
    return client.post(URL, data=json.dumps(data), content_type="application/json")


def changed(path, value):
    """The example with the value at `path` replaced or, for `...`, removed."""
    data = copy.deepcopy(EXAMPLE)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


def test_the_example_from_a_file_from_stdin_and_from_the_api_gives_one_answer(tmp_path, client):
    path = tmp_path / "surplus.json"
    path.write_text(json.dumps(EXAMPLE))
    out = io.StringIO()
    call_command("simulate_surplus", str(path), stdout=out)
    assert json.loads(out.getvalue()) == EXPECTED
    assert run_command(EXAMPLE) == EXPECTED
    response = post(client, EXAMPLE)
    assert response.status_code == 200, response.content
    assert response.json() == EXPECTED


# Worked by hand from the issue's contract, in pennies. Surplus 100.05:
#   labour   50% of 10005 = 5002.5 -> 5003 (half up; half to even would give 5002)
#   user     25% of 10005 = 2501.25 -> 2501
#   investor 15% of 10005 = 1500.75 -> 1501
#   reserves 10005 - 5003 - 2501 - 1501 = 1000
# Labour 5003 by 700 : 1200 : 100 (of 2000) = 1751.05, 3001.8, 250.15: floors 1751, 3001, 250
#   leave one penny, to the largest remainder (L2's .8), not to the first entry.
# User 2501 by 1 : 2.5 : 1 (of 4.5) = 555.78, 1389.44, 555.78: floors 555, 1389, 555 leave two
#   pennies, to U1 and U3 (.78 each) over U2 (.44).
# Investor 1501 by 1000 : 1000 : 0 : 1000 = 500.33 each but I3's nothing: floors 500, 500, 0, 500
#   leave one penny; I1, I2 and I4 tie, so it goes to the earliest, I1.
HAND_WORKED = {
    "surplus": "100.05",
    "fractions": {"labour": "50", "user": "25", "investor": "15"},
    "labour": [
        {"ref": "L1", "contribution": "700"},
        {"ref": "L2", "contribution": "1200"},
        {"ref": "L3", "contribution": "100"},
    ],
    "user": [
        {"ref": "U1", "contribution": "1"},
        {"ref": "U2", "contribution": "2.5"},
        {"ref": "U3", "contribution": "1.0000"},
    ],
    "investor": [
        {"ref": "I1", "capital": "1000.00"},
        {"ref": "I2", "capital": "1000"},
        {"ref": "I3", "capital": "0.00"},
        {"ref": "I4", "capital": "1000.0"},
    ],
}
HAND_WORKED_SPLIT = {
    "reserves": "10.00",
    "parts": {
        "labour": {
            "amount": "50.03",
            "lines": [
                {"ref": "L1", "paid": "17.51"},
                {"ref": "L2", "paid": "30.02"},
                {"ref": "L3", "paid": "2.50"},
            ],
        },
        "user": {
            "amount": "25.01",
            "lines": [
                {"ref": "U1", "paid": "5.56"},
                {"ref": "U2", "paid": "13.89"},
                {"ref": "U3", "paid": "5.56"},
            ],
        },
        "investor": {
            "amount": "15.01",
            "lines": [
                {"ref": "I1", "paid": "5.01"},
                {"ref": "I2", "paid": "5.00"},
                {"ref": "I3", "paid": "0.00"},
                {"ref": "I4", "paid": "5.00"},
            ],
        },
    },
}


def test_the_issues_shape_gives_the_hand_worked_split_from_the_command_and_the_api(client):
    assert run_command(HAND_WORKED) == HAND_WORKED_SPLIT
    response = post(client, HAND_WORKED)
    assert response.status_code == 200, response.content
    assert response.json() == HAND_WORKED_SPLIT


def test_rounding_three_parts_half_up_can_leave_reserves_a_penny_short(client):
    # 50% of 3p is 1.5p, rounded up to 2p twice: the parts take 4p of 3p, reserves -0.01, and
    # the figures still add up to the surplus.
    data = {
        "surplus": "0.03",
        "fractions": {"labour": "50", "user": "50", "investor": "0"},
        "labour": [{"ref": "L1", "contribution": "1"}],
        "user": [{"ref": "U1", "contribution": "1"}],
    }
    wanted = {
        "reserves": "-0.01",
        "parts": {
            "labour": {"amount": "0.02", "lines": [{"ref": "L1", "paid": "0.02"}]},
            "user": {"amount": "0.02", "lines": [{"ref": "U1", "paid": "0.02"}]},
            "investor": {"amount": "0.00", "lines": []},
        },
    }
    assert run_command(data) == wanted
    assert post(client, data).json() == wanted


def test_a_surplus_of_exactly_nothing_pays_nothing_both_ways(client):
    data = changed(("surplus",), "0")
    output = run_command(data)
    assert output == post(client, data).json()
    assert output["reserves"] == "0.00"
    assert [output["parts"][part]["amount"] for part in ("labour", "user", "investor")] == ["0.00"] * 3
    assert {line["paid"] for part in output["parts"].values() for line in part["lines"]} == {"0.00"}


def test_a_loss_pays_nothing_and_reserves_carry_it(client):
    output = post(client, changed(("surplus",), "-1250.50")).json()
    assert output["reserves"] == "-1250.50"
    for part in ("labour", "user", "investor"):
        assert output["parts"][part]["amount"] == "0.00"
        assert {line["paid"] for line in output["parts"][part]["lines"]} == {"0.00"}


def test_a_part_with_nobody_to_receive_it_stays_in_reserves_and_the_investor_fraction_defaults_to_25():
    data = changed(("labour",), [{"ref": "L1", "contribution": "0"}])
    del data["user"]
    del data["fractions"]["investor"]
    output = run_command(data)
    assert output["parts"]["labour"] == {"amount": "0.00", "lines": [{"ref": "L1", "paid": "0.00"}]}
    assert output["parts"]["user"] == {"amount": "0.00", "lines": []}
    assert output["parts"]["investor"]["amount"] == "25000.00"
    assert output["reserves"] == "75000.00"


def test_ties_go_to_the_earlier_entry():
    data = {
        "surplus": "0.05",
        "fractions": {"labour": "100", "user": "0", "investor": "0"},
        "labour": [{"ref": ref, "contribution": "7.5"} for ref in ("A", "B", "C")],
    }
    assert [line["paid"] for line in run_command(data)["parts"]["labour"]["lines"]] == [
        "0.02",
        "0.02",
        "0.01",
    ]


BAD_INPUTS = {
    "unknown top-level field": (changed(("reserves",), "10"), "reserves"),
    "missing surplus": (changed(("surplus",), ...), "surplus"),
    "surplus finer than a penny": (changed(("surplus",), "10.005"), "surplus"),
    "surplus as a float": (changed(("surplus",), 100000.5), "surplus"),
    "surplus not a number": (changed(("surplus",), "lots"), "surplus"),
    "missing labour fraction": (changed(("fractions", "labour"), ...), "fractions.labour"),
    "negative fraction": (changed(("fractions", "user"), "-5"), "fractions.user"),
    "fraction over 100": (changed(("fractions", "investor"), "101"), "fractions.investor"),
    "fractions over 100 together": (changed(("fractions", "labour"), "60"), "fractions"),
    "unknown fraction": (changed(("fractions", "reserves"), "20"), "fractions.reserves"),
    "negative contribution": (changed(("labour", 1, "contribution"), "-1"), "labour[1].contribution"),
    "contribution too fine": (changed(("user", 0, "contribution"), "1.00001"), "user[0].contribution"),
    "missing contribution": (changed(("user", 1, "contribution"), ...), "user[1].contribution"),
    "capital finer than a penny": (changed(("investor", 0, "capital"), "1.001"), "investor[0].capital"),
    "negative capital": (changed(("investor", 1, "capital"), "-10"), "investor[1].capital"),
    "capital for labour": (changed(("labour", 0, "capital"), "10"), "labour[0].capital"),
    "empty ref": (changed(("labour", 0, "ref"), ""), "labour[0].ref"),
    "duplicate ref": (changed(("user", 1, "ref"), "U1"), "user[1].ref"),
    "a part that is not a list": (changed(("investor",), {"ref": "I1"}), "investor"),
    "a part that is null": (changed(("labour",), None), "labour"),
    "surplus not finite": (changed(("surplus",), "NaN"), "surplus"),
    "fraction finer than a hundredth": (changed(("fractions", "labour"), "30.125"), "fractions.labour"),
    "a ref that is not a string": (changed(("labour", 0, "ref"), 7), "labour[0].ref"),
}


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_and_gets_422_naming_the_field(client, data, field):
    with pytest.raises(CommandError) as refused:
        call_command("simulate_surplus", "-", stdin=io.StringIO(json.dumps(data)), stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert f"{field}: " in str(refused.value)

    response = post(client, data)
    assert response.status_code == 422
    wanted = ["body", "payload", *[int(p) if p.isdigit() else p for p in _split(field)]]
    assert wanted in [error["loc"] for error in response.json()["detail"]]


def _split(field: str) -> list[str]:
    return field.replace("[", ".").replace("]", "").split(".")


def test_too_many_members_in_one_part_is_refused(client):
    data = changed(("user",), [{"ref": f"U{n}", "contribution": "1"} for n in range(10_001)])
    assert post(client, data).status_code == 422


def test_the_openapi_schema_describes_the_surplus_simulator(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert operation["tags"] == ["surplus"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {
        "surplus",
        "fractions",
        "labour",
        "user",
        "investor",
    }


def test_the_two_simulators_keep_their_own_schemas_in_the_openapi_document(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"cumulative", "redeemed", "status"} <= set(schemas["LineOut"]["properties"])
    assert set(schemas["SurplusLineOut"]["properties"]) == {"ref", "paid"}
