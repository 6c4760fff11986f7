"""The gru kind against its independent references and by hand: the engine's values (full
precision) are those of ``generator/kinds/gru/reference.py`` and of PyTorch's ``nn.GRUCell``
(``torch_cases.json``, float64) for the starter, specs/gru.yaml, the torch cases and random
instances; its gradients are the finite differences of the reference's loss; and every printed line
of the worked solution checks by hand in both rounding modes."""

from __future__ import annotations

import copy
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from generator.kinds.gru import reference as R
from generator.kinds.gru.schema import PARAMETERS
from generator.numbers import Precision
from generator.solve import solve
from generator.spec import load_spec, parse_yaml, spec_from_data
from tests.byhand import by_hand as _by_hand
from tests.conftest import SPECS

FOLDER = Path(__file__).resolve().parent.parent / "generator" / "kinds" / "gru"
TORCH = json.loads((FOLDER / "torch_cases.json").read_text(encoding="utf-8"))["cases"]
N_RANDOM = 24


def _data(path: Path) -> dict:
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name)
    data.pop("randomize", None)
    return data


def _part(data: dict) -> dict:
    """The exercise of a one-part spec as the reference reads it."""
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}


def _spec(part: dict, rounding=None) -> dict:
    return {"rounding": rounding or {"decimals": 4}, "parts": [{"kind": "gru", **part}]}


def _value(rng: random.Random, span: int = 8) -> float:
    return rng.randint(-span, span) / 10


def random_part(rng: random.Random) -> dict:
    """A random small GRU exercise: 1–3 units and features, 1–4 steps, every loss, optional h_0
    and biases, 1–3 iterations."""
    n, d, T = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 4)
    mat = lambda rows, cols: [[_value(rng) for _ in range(cols)] for _ in range(rows)]   # noqa: E731
    part = {"inputs": mat(T, d), "target": [_value(rng, 9) for _ in range(n)],
            "loss": rng.choice(("half_sse", "sse", "mse")), "learning_rate": rng.choice((0.1, 0.5, 1)),
            "iterations": rng.randint(1, 3)}
    for gate in ("r", "z", "n"):
        part[f"W_{gate}"] = mat(n, d)
        part[f"U_{gate}"] = mat(n, n)
    for name in ("h0", "b_r", "b_z", "b_n", "b_hn"):
        if rng.random() < 0.7:
            part[name] = [_value(rng) for _ in range(n)]
    return part


RANDOM = [random_part(random.Random(1000 + i)) for i in range(N_RANDOM)]


def _engine(data: dict):
    spec = spec_from_data(data)
    return spec, solve(spec, replace(spec.rounding, mode="display")).problems[0]


def _agree(p, want: dict, names=None) -> int:
    checked = 0
    for name in names or want:
        assert name in p.entries, f"the engine has no value {name}"
        got = np.asarray(p[name], dtype=float)
        expected = np.asarray(want[name], dtype=float).reshape(got.shape)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-10), (name, got, expected)
        checked += got.size
    return checked


def _sources():
    starter = _data(FOLDER / "starter.yaml")
    spec = _data(SPECS / "gru.yaml")
    return [("starter", _part(starter)), ("specs/gru.yaml", _part(spec))] + \
        [(f"random{i}", part) for i, part in enumerate(RANDOM)]


@pytest.mark.parametrize("name, part", _sources(), ids=lambda x: x if isinstance(x, str) else "")
def test_engine_equals_the_reference(name, part):
    _, p = _engine(_spec(part))
    want = R.solve(copy.deepcopy(part))
    assert _agree(p, want) > 0
    # the names of the public contract, every iteration's and the final pass's
    iterations = part.get("iterations", 1)
    T = len(part["inputs"])
    for k in range(1, iterations + 1):
        for t in range(1, T + 1):
            for key in ("r", "z", "n", "h"):
                assert f"it{k}.t{t}.{key}" in p.entries and f"final.t{t}.{key}" in p.entries
        assert f"it{k}.loss" in p.entries
        for q in PARAMETERS:
            assert f"it{k}.grad.{q}" in p.entries and f"it{k}.{q}" in p.entries
    for q in PARAMETERS:
        assert np.array_equal(p[f"final.{q}"], p[f"it{iterations}.{q}"])
    assert "final.loss" in p.entries


@pytest.mark.parametrize("case", range(len(TORCH)))
def test_engine_equals_pytorch(case):
    part, expected = TORCH[case]["part"], TORCH[case]["expected"]
    _, p = _engine(_spec(part))
    assert _agree(p, expected) >= 10


def test_random_instances_cover_the_variants():
    assert {p["loss"] for p in RANDOM} == {"half_sse", "sse", "mse"}
    assert {p["iterations"] for p in RANDOM} == {1, 2, 3}
    assert any("h0" not in p for p in RANDOM) and any("b_hn" in p for p in RANDOM)
    assert {len(p["inputs"]) for p in RANDOM} >= {1, 2, 3}


H = 1e-6


@pytest.mark.parametrize("part", [_part(_data(SPECS / "gru.yaml"))] + RANDOM[:6],
                         ids=lambda p: f"n{len(p['target'])}T{len(p['inputs'])}")
def test_engine_gradients_are_finite_differences(part):
    _, p = _engine(_spec(part))
    n = len(part["target"])
    for q in PARAMETERS:
        base = np.asarray(part[q], dtype=float) if part.get(q) is not None else np.zeros(n)
        grad = np.asarray(p[f"it1.grad.{q}"], dtype=float).reshape(base.shape)
        for idx in np.ndindex(base.shape):
            losses = []
            for h in (H, -H):
                moved = base.copy()
                moved[idx] += h
                losses.append(R.loss({**part, q: moved.tolist()}))
            fd = (losses[0] - losses[1]) / (2 * H)
            assert abs(fd - grad[idx]) <= 1e-6 * max(1, abs(fd)), (q, idx, fd, grad[idx])




@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("path", [SPECS / "gru.yaml", FOLDER / "starter.yaml"], ids=lambda p: p.parent.name)
def test_every_line_checks_by_hand(path, mode):
    spec = load_spec(path)
    assert _by_hand(spec, replace(spec.rounding, mode=mode)) >= 100


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("i, style, digits", [(0, "decimals", 2), (1, "decimals", 3), (2, "decimals", 4),
                                               (3, "significant", 3), (4, "decimals", 2), (5, "decimals", 3),
                                               (6, "decimals", 4), (7, "significant", 3)])
def test_random_instances_check_by_hand(i, style, digits, mode):
    spec = spec_from_data(_spec(RANDOM[i]))
    assert _by_hand(spec, replace(spec.rounding, mode=mode, default=Precision(style, digits))) >= 20
