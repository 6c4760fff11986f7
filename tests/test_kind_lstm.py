"""The LSTM kind: its values against the kind's own float64 reference (``kinds/lstm/reference.py``)
and PyTorch's (``torch_cases.json``), its gradients against finite differences of the reference's
loss, every printed line of its worked solution checked by hand, its answer groups and its errors."""

from __future__ import annotations

import copy
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from generator.errors import SpecError
from generator.kinds import kind
from generator.kinds.lstm import reference as R
from generator.numbers import Precision
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, parse_yaml, spec_from_data
from tests.conftest import SPECS
from tests.handcheck import check_tex

FOLDER = Path(R.__file__).parent
CASES = json.loads((FOLDER / "torch_cases.json").read_text(encoding="utf-8"))["cases"]
GATES = ("i", "f", "g", "o")


def _starter_part() -> dict:
    data = parse_yaml((FOLDER / "starter.yaml").read_text(encoding="utf-8"), "lstm/starter.yaml")
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}


def _spec_part() -> dict:
    data = parse_yaml((SPECS / "lstm.yaml").read_text(encoding="utf-8"), "lstm.yaml")
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}


def _value(rng: random.Random) -> float:
    return rng.randint(-10, 10) / 10


def random_part(rng: random.Random) -> dict:
    """A random small exercise: 1–3 units, 1–3 features, 1–4 steps, 1–2 iterations, every loss, the
    optional states and biases sometimes left out (zeros)."""
    n, d, T = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 4)
    part = {"inputs": [[_value(rng) for _ in range(d)] for _ in range(T)],
            "target": [_value(rng) for _ in range(n)], "loss": rng.choice(R.LOSSES),
            "learning_rate": rng.choice([0.1, 0.5, 1]), "iterations": rng.randint(1, 2)}
    for state in ("h0", "c0"):
        if rng.random() < 0.7:
            part[state] = [_value(rng) for _ in range(n)]
    for gate in GATES:
        part[f"W_{gate}"] = [[_value(rng) for _ in range(d)] for _ in range(n)]
        part[f"U_{gate}"] = [[_value(rng) for _ in range(n)] for _ in range(n)]
        if rng.random() < 0.7:
            part[f"b_{gate}"] = [_value(rng) for _ in range(n)]
    return part


RANDOM = [random_part(random.Random(seed)) for seed in range(24)]


def _problem(part: dict, **policy):
    spec = spec_from_data({"parts": [{"kind": "lstm", "id": "x", **part}], "rounding": {"decimals": 4}})
    return spec, solve(spec, replace(spec.rounding, mode="display", **policy)).problems[0]


def _assert_close(p, want: dict) -> int:
    for name, value in want.items():
        got = np.asarray(p[name], dtype=float)
        expected = np.asarray(value, dtype=float).reshape(got.shape)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-9), (name, got, expected)
    return len(want)


# --- 1. the numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", range(len(CASES)))
def test_torch_cases(case):
    part, expected = CASES[case]["part"], CASES[case]["expected"]
    _, p = _problem(part)
    assert _assert_close(p, expected) == len(expected)
    assert _assert_close(p, R.solve(part)) > 20


@pytest.mark.parametrize("part", [_starter_part(), _spec_part()] + RANDOM,
                         ids=["starter", "spec"] + [f"random{i}" for i in range(len(RANDOM))])
def test_engine_equals_the_reference(part):
    _, p = _problem(part)
    want = R.solve(part)
    assert _assert_close(p, want) == len(want)
    # the names the reference does not report: iteration k's losses and gradients, the final pass
    one = R.solve({**part, "iterations": 1})
    assert np.isclose(p["it1.loss"], float(one["it1.loss"]), rtol=1e-9, atol=1e-12)
    for name in R.PARAMETERS:
        assert np.allclose(p[f"final.{name}"], want[f"it{part['iterations']}.{name}"], rtol=1e-9, atol=1e-12)
    if part["iterations"] > 1:
        assert np.isclose(p["it2.loss"], float(one["final.loss"]), rtol=1e-9, atol=1e-12)


H = 1e-6


@pytest.mark.parametrize("part", [_starter_part(), _spec_part(), CASES[0]["part"]] + RANDOM[:6],
                         ids=["starter", "spec", "torch0"] + [f"random{i}" for i in range(6)])
def test_gradients_are_finite_differences_of_the_loss(part):
    _, p = _problem(part)
    for name in R.PARAMETERS:
        got = np.asarray(p[f"it1.grad.{name}"], dtype=float)
        base = np.asarray(part[name], dtype=float).reshape(got.shape) if part.get(name) is not None \
            else np.zeros(got.shape)
        for idx in np.ndindex(base.shape):
            losses = []
            for h in (H, -H):
                q = copy.deepcopy(part)
                moved = base.copy()
                moved[idx] += h
                q[name] = moved.tolist()
                losses.append(R.loss(q))
            fd = (losses[0] - losses[1]) / (2 * H)
            assert abs(fd - got[idx]) <= 1e-6 * max(1.0, abs(fd)), (name, idx, fd, got[idx])


# --- 2. every printed line checks by hand ------------------------------------------------------

#: decimals 2 to 4 and 3 significant figures
PRECISIONS = [Precision("decimals", digits) for digits in (2, 3, 4)] + [Precision("significant", 3)]


def _hand_checked(spec, mode: str, precision=None) -> int:
    """How many relations of the rendered solution check by hand (display mode held to the
    rounding note's promise, ``strict``); every one must."""
    policy = replace(spec.rounding, mode=mode, **({"default": precision} if precision else {}))
    report = check_tex(render(spec, solve(spec, policy), "solution"), mode, strict=mode == "display")
    bad = [f"{f.left} {f.rel} {f.right}: {f.why}  [in: {f.line[:160]}]" for f in report.failures]
    assert not bad, "\n".join(bad[:10])
    return report.checked


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("source", ["spec", "starter"])
def test_every_line_checks_by_hand(source, mode):
    spec = load_spec(SPECS / "lstm.yaml") if source == "spec" else load_spec(FOLDER / "starter.yaml")
    for precision in (None, PRECISIONS[0], PRECISIONS[3]):
        assert _hand_checked(spec, mode, precision) >= 60


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("seed", range(4))
def test_random_instances_check_by_hand(seed, mode):
    spec, _ = _problem(RANDOM[seed])
    assert _hand_checked(spec, mode, PRECISIONS[seed]) >= 20


# --- answers, labels and errors ----------------------------------------------------------------

def test_answer_groups_name_trace_values():
    part = {**_spec_part(), "iterations": 2}
    spec, p = _problem(part)
    model = spec.problems[0]
    lstm = kind("lstm")
    groups = lstm.groups(model, p)
    for names in groups.values():
        assert names and all(n in p.entries for n in names)
    assert groups["key"][:3] == ["it1.loss", "it2.loss", "final.loss"]
    assert len(groups["gradients"]) == 24 and len(groups["parameters"]) == 12
    assert all(lstm.is_key(n) for n in groups["key"])
    assert not any(lstm.is_key(n) for n in ("it1.grad.W_i", "it1.W_i", "it1.t2.h", "init.W_i", "itx.loss"))
    assert lstm.shares_structure
    given = dict(lstm.given(model, p))
    assert given["loss"] == "half_sse" and given["iterations"] == 2 and "c_0" in given


def test_labels_in_the_solutions_notation():
    from generator.labels import label
    assert label("it1.t2.zf", (0,), kind="lstm") == r"z^{(f)}_{2,1} \text{ (iteration 1)}"
    assert label("final.U_o", (1, 0), kind="lstm") == r"(U_{o})_{21} \text{ (after training)}"
    # labels stand in text-sized math (tables, headers): fractions inline
    assert label("it2.grad.b_g", (1,), kind="lstm") == r"\partial L / \partial b_{g,2} \text{ (iteration 2)}"


def _error(**changes) -> SpecError:
    part = {**_spec_part(), **changes}
    with pytest.raises(SpecError) as e:
        spec_from_data({"parts": [{"kind": "lstm", "id": "x", **{k: v for k, v in part.items() if v is not None}}]})
    assert "\n" not in str(e.value)
    return e.value


@pytest.mark.parametrize("changes,field,words", [
    ({"W_f": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]}, "W_f", "2×2"),
    ({"U_o": [[0.1, 0.2]]}, "U_o", "2×2"),
    ({"b_g": [0.1, 0.2, 0.3]}, "b_g", "2 entries"),
    ({"h0": [1]}, "h0", "2 entries"),
    ({"inputs": [[1, 2, 3]]}, "inputs", "2 entries"),
    ({"target": [0.1, 0.2, 0.3, 0.4, 0.5]}, "target", "more than 4"),
    ({"inputs": [[0, 0]] * 7}, "inputs", "7 time steps"),
    ({"iterations": 4}, "iterations", "more than 3"),
    ({"loss": "bce"}, "loss", "half_sse"),
    ({"learning_rate": 0}, "learning_rate", "greater than 0"),
    ({"W_i": None}, "parts[0]", "W_i"),
    ({"gates": 4}, "parts[0]", "unknown key"),
])
def test_bad_input_is_one_line_naming_the_field(changes, field, words):
    e = _error(**changes)
    assert e.field.endswith(field) and words in e.detail, (e.field, e.detail)


def test_cost_grows_with_the_shapes():
    small, _ = _problem(_spec_part())
    big, _ = _problem({**RANDOM[0], "iterations": 2})
    lstm = kind("lstm")
    assert lstm._module("schema").cost(small.problems[0]) > 0
    assert lstm._module("schema").cost(big.problems[0]) != lstm._module("schema").cost(small.problems[0])
