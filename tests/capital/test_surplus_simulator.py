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
