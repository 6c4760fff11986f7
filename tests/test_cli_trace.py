"""The CLI and the public JSON trace contract, on the seed specs."""

import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import ROOT, SPECS

sig = lambda v: 1 / (1 + math.exp(-v))


def trace_json(name, *extra):
    result = CliRunner().invoke(main, ["trace", str(SPECS / f"{name}.yaml"), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("name,layers,iterations", [("seed000", 1, 2), ("seed001", 2, 1),
                                                    ("seed003", 2, 2), ("seed004", 2, 1)])
def test_trace_contract_names(name, layers, iterations):
    doc = trace_json(name)
    (p,) = doc["problems"]
    assert p["id"] == "main" and p["kind"] == "network"
    v = p["values"]
    for k in range(1, iterations + 1):
        assert isinstance(v[f"it{k}.loss"], float)
        for l in range(1, layers + 1):
            for n in ("z", "a", "dW", "db", "W", "b"):
                assert f"it{k}.{n}{l}" in v, f"it{k}.{n}{l}"
    for l in range(1, layers + 1):
        assert f"final.W{l}" in v and f"final.b{l}" in v
    assert isinstance(v["final.loss"], float)
    assert [s["name"] for s in p["steps"]] == list(v)


def test_shapes_single_sample_and_batch():
    v = trace_json("seed000")["problems"][0]["values"]
    assert v["it1.z1"] == pytest.approx([3.1, 7.2, 11.3])       # a single sample's vector is flat
    assert len(v["it1.W1"]) == 3 and len(v["it1.W1"][0]) == 4   # W is out × in
    b = trace_json("seed001", "--mode", "display")["problems"][0]["values"]
    assert len(b["it1.a1"]) == 2 and len(b["it1.a1"][0]) == 4   # units × samples
    assert b["it1.a1"][0][0] == pytest.approx(sig(0.3), rel=1e-15)


def test_seed003_values_by_hand():
    """z1 = [2, 0] (the slide's -1 is a slip: -2·1 + 0·0 + 1·1 + 1 = 0), ReLU'(0) = 0."""
    v = trace_json("seed003")["problems"][0]["values"]
    assert v["it1.z1"] == [2.0, 0.0]
    yhat = sig(2.0)
    assert v["it1.a2"] == pytest.approx([yhat], rel=1e-15)
    assert v["it1.loss"] == pytest.approx(-math.log(yhat), rel=1e-14)
    assert v["it1.dW2"][0] == pytest.approx([2 * (yhat - 1), 0.0], rel=1e-14)
    assert v["it1.dW1"][1] == [0.0, 0.0, 0.0]
    assert v["it1.W1"][0] == pytest.approx([1 - 0.1 * (yhat - 1), -1, 1 - 0.1 * (yhat - 1)], rel=1e-14)


def test_relu_kink_convention_is_configurable(write_spec):
    text = (SPECS / "seed003.yaml").read_text().replace("relu_grad_at_zero: 0", "relu_grad_at_zero: 1")
    result = CliRunner().invoke(main, ["trace", str(write_spec(text))])
    v = json.loads(result.output)["problems"][0]["values"]
    yhat = sig(2.0)
    assert v["it1.dW1"][1] == pytest.approx([-(yhat - 1), 0.0, -(yhat - 1)], rel=1e-14)


def test_seed004_values_by_hand():
    v = trace_json("seed004", "--mode", "display")["problems"][0]["values"]
    x = [0.5, 0.5, 0.1]
    a1 = [sig(0.1 * 0.5 + 0.2 * 0.5 + 0.5 * 0.1 + 0.2), sig(0.4 * 0.5 + 0.1 * 0.5 + 0.5 * 0.1 + 0.2)]
    a2 = [sig(0.6 * a1[0] + 0.1 * a1[1] + 0.2), sig(0.5 * a1[0] + 0.2 * a1[1] + 0.1)]
    assert v["it1.a1"] == pytest.approx(a1, rel=1e-14)
    assert v["it1.a2"] == pytest.approx(a2, rel=1e-14)
    assert v["it1.loss"] == pytest.approx(0.5 * ((a2[0] - 0.9) ** 2 + (a2[1] - 0.1) ** 2), rel=1e-14)
    d2 = [(a2[0] - 0.9) * a2[0] * (1 - a2[0]), (a2[1] - 0.1) * a2[1] * (1 - a2[1])]
    assert v["it1.W2"][0][0] == pytest.approx(0.6 - 0.1 * d2[0] * a1[0], rel=1e-14)
    d1 = (0.6 * d2[0] + 0.5 * d2[1]) * a1[0] * (1 - a1[0])
    assert v["it1.dW1"][0][0] == pytest.approx(d1 * x[0], rel=1e-13)


def test_carry_mode_rounds_what_the_next_step_uses():
    display = trace_json("seed001", "--mode", "display")["problems"][0]["values"]
    carry = trace_json("seed001", "--mode", "carry")
    assert carry["rounding"]["mode"] == "carry"
    c = carry["problems"][0]["values"]
    assert c["it1.a1"][0][0] == 0.574                      # activations carried at 3 decimals
    assert c["it1.Wa2"][0][0] == pytest.approx(0.4 * 0.574 + 0.6 * 0.622, abs=1e-12)
    assert c["it1.dW1"] != display["it1.dW1"]               # the two modes give different answers


def test_trace_to_file_and_validate(tmp_path):
    out = tmp_path / "t.json"
    result = CliRunner().invoke(main, ["trace", str(SPECS / "seed000.yaml"), "-o", str(out)])
    assert result.exit_code == 0 and json.loads(out.read_text())["problems"]
    result = CliRunner().invoke(main, ["validate", *map(str, sorted(SPECS.glob("*.yaml")))])
    assert result.exit_code == 0 and result.output.count(": ok") == len(list(SPECS.glob("*.yaml")))


def test_help_is_light():
    """`dryrun --help` must not import numpy, sympy or jinja2."""
    code = ("import sys; from generator.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'sympy', 'jinja2', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr
