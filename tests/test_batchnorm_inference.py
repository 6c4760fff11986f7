"""Batch normalization ``mode: inference`` (issue 22): the given running statistics instead of the
batch's, as PyTorch's ``nn.BatchNorm1d`` in ``eval()`` mode (its running_mean and running_var buffers
normalize the input): x̂ = (x − running_mean)/√(running_var + ε), y = γ x̂ + β, and, the
statistics being constants, ∂L/∂x = ∂L/∂y · γ/√(running_var + ε), ∂L/∂γ = Σ ∂L/∂y x̂, ∂L/∂β = Σ ∂L/∂y.

Checked against a float64 reference written here from those equations, finite differences of its
loss L = Σ G ⊙ y, numbers worked by hand, every printed line by the hand-checker in both rounding
modes; training mode (the default) is unchanged and refuses the running statistics."""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np
import pytest

from generator.errors import SpecError
from generator.render import render
from generator.solve import solve
from generator.spec import spec_from_data
from tests.handcheck import check_tex


def reference(part: dict) -> dict[str, np.ndarray]:
    """PyTorch's BatchNorm1d in eval() mode, feature i a row, sample j a column, in float64 loops."""
    X = np.array(part["input"], dtype=float)
    F, N = X.shape
    per = lambda v, d: np.full(F, float(d)) if v is None else np.resize(np.array(v, dtype=float), F)  # noqa: E731
    gamma, beta = per(part.get("gamma"), 1), per(part.get("beta"), 0)
    mean, var = per(part["running_mean"], 0), per(part["running_var"], 0)
    eps = float(part.get("epsilon", 1e-5))
    std = np.array([math.sqrt(var[i] + eps) for i in range(F)])
    xhat = np.array([[(X[i, j] - mean[i]) / std[i] for j in range(N)] for i in range(F)])
    y = np.array([[gamma[i] * xhat[i, j] + beta[i] for j in range(N)] for i in range(F)])
    out = {"std": std, "xhat": xhat, "output": y}
    if part.get("upstream") is not None:
        G = np.array(part["upstream"], dtype=float)
        out["grad.beta"] = np.array([sum(G[i, j] for j in range(N)) for i in range(F)])
        out["grad.gamma"] = np.array([sum(G[i, j] * xhat[i, j] for j in range(N)) for i in range(F)])
        out["grad.input"] = np.array([[G[i, j] * gamma[i] / std[i] for j in range(N)] for i in range(F)])
    return out


def loss(part: dict) -> float:
    return float((np.array(part["upstream"], dtype=float) * reference({**part, "upstream": None})["output"]).sum())


def _part(rng, F=2, N=3, upstream=True) -> dict:
    v = lambda *shape: np.round(rng.uniform(-2, 2, shape), 1).tolist()      # noqa: E731
    part = {"mode": "inference", "input": v(F, N), "gamma": v(F), "beta": v(F), "running_mean": v(F),
            "running_var": np.round(rng.uniform(0, 3, F), 2).tolist(), "epsilon": float(rng.choice([1e-5, 0.01, 0.1]))}
    if upstream:
        part["upstream"] = v(F, N)
    return part


def _solve(part, rounding=None, kind="batchnorm"):
    data = {"parts": [{"kind": kind, "id": "b", **part}]}
    if rounding:
        data["rounding"] = rounding
    spec = spec_from_data(data)
    return spec, solve(spec).problems[0]


@pytest.mark.parametrize("seed", range(12))
def test_values_and_gradients_match_the_reference(seed):
    rng = np.random.default_rng(seed)
    part = _part(rng, F=int(rng.integers(1, 5)), N=int(rng.integers(1, 6)))
    want = reference(part)
    _, p = _solve(part)
    for name, value in want.items():
        assert np.allclose(np.asarray(p[name], dtype=float), value, rtol=1e-10, atol=1e-12), name
    assert not {"mean", "variance", "sum_dxhat", "inner"} & set(p.entries)      # no batch statistics


def test_gradients_agree_with_finite_differences():
    """The reference's gradients and the engine's against central differences of L = Σ G ⊙ y: the
    running statistics are constants, so ∂L/∂x has no terms through μ and σ² of the batch."""
    rng = np.random.default_rng(3)
    for _ in range(3):
        part = _part(rng, F=2, N=3)
        ref = reference(part)
        _, p = _solve(part)
        for key in ("input", "gamma", "beta"):
            base = np.array(part[key], dtype=float)
            for idx in np.ndindex(base.shape):
                h = 1e-6
                plus, minus = copy.deepcopy(part), copy.deepcopy(part)
                a, b = base.copy(), base.copy()
                a[idx] += h
                b[idx] -= h
                plus[key], minus[key] = a.tolist(), b.tolist()
                fd = (loss(plus) - loss(minus)) / (2 * h)
                assert abs(fd - ref[f"grad.{key}"][idx]) < 1e-6 * max(1, abs(fd)), (key, idx)
                assert abs(fd - float(np.asarray(p[f"grad.{key}"], dtype=float)[idx])) < 1e-6 * max(1, abs(fd))


def test_by_hand():
    """Feature 1: μ̄ = 1, σ̄² = 3, ε = 1 → s = 2; x = 3 → x̂ = 1, x = −1 → x̂ = −1; γ = 2, β = 0.5 → y = 2.5,
    −1.5.  Feature 2: σ̄² = 0.25 → s = √1.25.  With G = 1 everywhere: ∂L/∂β_i = 2, ∂L/∂γ_1 = 1 − 1 = 0,
    ∂L/∂x_1j = γ_1/s_1 = 1, ∂L/∂x_2j = 1/√1.25."""
    part = {"mode": "inference", "input": [[3, -1], [0.5, 1]], "gamma": [2, 1], "beta": [0.5, 0],
            "running_mean": [1, 0], "running_var": [3, 0.25], "epsilon": 1, "upstream": "ones"}
    _, p = _solve(part)
    assert [float(v) for v in p["std"]] == [2.0, math.sqrt(1.25)]
    assert [float(v) for v in p["xhat"][0]] == [1.0, -1.0]
    assert [float(v) for v in p["output"][0]] == [2.5, -1.5]
    assert [float(v) for v in p["grad.beta"]] == [2.0, 2.0]
    assert float(p["grad.gamma"][0]) == 0.0
    assert [float(v) for v in p["grad.input"][0]] == [1.0, 1.0]
    assert abs(float(p["grad.input"][1][0]) - 1 / math.sqrt(1.25)) < 1e-15


def test_one_sample_is_enough_in_inference_mode():
    part = {"mode": "inference", "input": [[1], [2]], "running_mean": [0.5, 1], "running_var": [0.25, 4],
            "epsilon": 0}
    _, p = _solve(part)
    assert [float(v[0]) for v in p["output"]] == [1.0, 0.5]
    with pytest.raises(SpecError, match="at least 2 samples"):
        _solve({"input": [[1], [2]]})                              # training needs a batch


def test_training_is_the_default_and_unchanged():
    part = {"input": [[1, 2, 3, 6], [0.5, -0.5, 1.5, 0.5]], "gamma": [1.5, 0.8], "beta": [0.1, -0.2],
            "epsilon": 0.01, "upstream": [[0.1, -0.2, 0.3, 0.4], [0.5, 0.1, -0.3, 0.2]]}
    _, default = _solve(part)
    _, named = _solve({**part, "mode": "training"})
    _, train = _solve({**part, "mode": "train"})                  # PyTorch's word, module.train()
    assert list(default.entries) == list(named.entries) == list(train.entries)
    for name in default.entries:
        assert np.array_equal(np.asarray(default[name], dtype=float), np.asarray(named[name], dtype=float))
    # inference with the batch's own (biased) statistics gives training mode's forward values
    x = np.array(part["input"])
    _, inference = _solve({**part, "mode": "eval", "running_mean": x.mean(axis=1).tolist(),
                           "running_var": x.var(axis=1).tolist()})
    for name in ("std", "xhat", "output", "grad.beta", "grad.gamma"):
        assert np.allclose(np.asarray(inference[name], dtype=float), np.asarray(default[name], dtype=float)), name
    assert not np.allclose(np.asarray(inference["grad.input"], dtype=float),
                           np.asarray(default["grad.input"], dtype=float))      # constants: no batch terms


@pytest.mark.parametrize("rounding", [{"decimals": 4}, {"decimals": 2}, {"significant": 3, "decimal_comma": True}],
                         ids=["decimals4", "decimals2", "significant3"])
def test_every_printed_line_checks_by_hand(rounding):
    """Inference mode with 1 to 3 samples, and training mode beside it, in both rounding modes."""
    rng = np.random.default_rng(17)
    checked = 0
    for n in range(4):
        part = _part(rng, F=2, N=n + 1)
        if n == 3:                                                 # training: the batch's statistics
            part = {k: v for k, v in part.items() if k not in ("mode", "running_mean", "running_var")}
        spec, _ = _solve(part, rounding)
        for mode in ("display", "carry"):
            tex = render(spec, solve(spec, replace(spec.rounding, mode=mode)), "solution")
            report = check_tex(tex, mode)
            assert not report.failures, [(f.left[:80], f.rel, f.right[:40], f.why) for f in report.failures[:3]]
            checked += report.checked
    assert checked > 60


def test_the_pages_say_inference_mode():
    part = {"mode": "inference", "input": [[3, -1], [0.5, 1]], "gamma": [2, 1], "beta": [0.5, 0],
            "running_mean": [1, 0], "running_var": [3, 0.25], "epsilon": 1, "upstream": "ones"}
    spec, _ = _solve(part)
    trace = solve(spec)
    question, solution = render(spec, trace, "question"), render(spec, trace, "solution")
    for tex in (question, solution):
        assert r"\bar{\boldsymbol{\mu}} = \begin{bmatrix} 1 \\ 0 \end{bmatrix}" in tex
        assert r"\bar{\boldsymbol{\sigma}}^2 = \begin{bmatrix} 3 \\ 0.25 \end{bmatrix}" in tex
        assert "Inference mode" in tex and r"\sigma^2$ (divided by" not in tex
    assert r"\sqrt{\bar{\boldsymbol{\sigma}}^2 + \epsilon} = " in solution
    assert "three terms" not in solution and "sum_dxhat" not in solution


def test_the_lms_states_the_running_statistics():
    from generator.kinds import kind
    part = {"mode": "inference", "input": [[3, -1]], "running_mean": [1], "running_var": [3], "upstream": "ones"}
    spec, p = _solve(part)
    rows = kind("batchnorm").given(spec.problems[0], p)
    names = [k for k, _ in rows]
    assert names.index("running mean") < names.index("dL/dy") and "running variance" in names
    assert dict(rows)["mode"] == "inference"
    spec, p = _solve({"input": [[3, -1, 0]]})
    assert "running mean" not in dict(kind("batchnorm").given(spec.problems[0], p))


@pytest.mark.parametrize("extra, message", [
    ({"running_mean": [0]}, "parts[0].running_mean: running_mean is given only with mode: inference (training "
                            "mode normalizes with the batch's own statistics)"),
    ({"mode": "training", "running_var": [1]}, "parts[0].running_var: running_var is given only with mode: "
                                               "inference (training mode normalizes with the batch's own statistics)"),
    ({"mode": "inference", "running_var": [1]}, "parts[0].running_mean: mode: inference needs running_mean "
                                                "(one per feature)"),
    ({"mode": "inference", "running_mean": [1]}, "parts[0].running_var: mode: inference needs running_var "
                                                 "(one per feature)"),
    ({"mode": "inference", "running_mean": 0, "running_var": [-0.5]},
     "parts[0].running_var[0]: a variance must not be negative, got -0.5"),
    ({"mode": "inference", "running_mean": 0, "running_var": -1},
     "parts[0].running_var: a variance must not be negative, got -1"),
    ({"mode": "inference", "running_mean": 0, "running_var": 0, "epsilon": 0},
     "parts[0].epsilon: a feature with running_var 0 has nothing to divide by: give epsilon > 0"),
    ({"mode": "inference", "running_mean": [1, 2], "running_var": 1},
     "parts[0].running_mean: expected 1 entries (one per feature), got 2"),
    ({"mode": "testing"}, "parts[0].mode: unknown value 'testing' (known: training, inference)"),
])
def test_bad_input_is_one_line_naming_the_field(extra, message):
    with pytest.raises(SpecError) as e:
        _solve({"input": [[1, 2, 3]], **extra})
    assert str(e.value) == message


def test_layer_normalization_has_no_inference_mode():
    with pytest.raises(SpecError, match=r"parts\[0\]: unknown key 'mode'"):
        _solve({"input": [[1, 2], [3, 5]], "mode": "inference"}, kind="layernorm")
    with pytest.raises(SpecError, match=r"parts\[0\]: unknown key 'running_mean'"):
        _solve({"input": [[1, 2], [3, 5]], "running_mean": [0, 0]}, kind="layernorm")
