"""Proves the independent reference implementations themselves: those of tests/reference_kinds.py
(finite differences against every gradient it reports, SGD bookkeeping, and hand-worked tiny cases),
and those a kind's folder carries (``generator/kinds/<kind>/reference.py``: finite differences
against its gradients, and the engine against it on the kind's starter spec)."""

import copy
import importlib
import importlib.util
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from generator.kinds import DEFAULT_KIND
from generator.kinds import KINDS as ALL_KINDS
from tests import reference_kinds as R

KINDS = R.implemented(ALL_KINDS)         # the kinds tests/reference_kinds.py implements
N_RANDOM = 20
H = 1e-6
TOL = 1e-5


def _instances(kind: str):
    rng = np.random.default_rng(101 * (KINDS.index(kind) + 1))
    return [R.random_part(kind, rng) for _ in range(N_RANDOM)]


INSTANCES = {kind: _instances(kind) for kind in KINDS}
#: the kinds whose reference trains (a learning rate): iterations of plain SGD
TRAINED = tuple(k for k in KINDS if "learning_rate" in INSTANCES[k][0])


# where each reported gradient's parameter lives in the part --------------------------------

def _location(kind: str, name: str):
    """(container path, key) of the parameter ``name`` inside a part."""
    if kind == "cnn":
        if name == "kernels":
            return ("conv",), "kernels"
        if name == "conv_bias":
            return ("conv",), "bias"
        layer = int(name[1:]) - 1
        return ("dense", layer), "weights" if name[0] == "W" else "bias"
    return (), name


def _get(part, kind, name):
    path, key = _location(kind, name)
    box = part
    for p in path:
        box = box[p]
    return box[key]


def _set(part, kind, name, value):
    path, key = _location(kind, name)
    box = part
    for p in path:
        box = box[p]
    box[key] = value


LOSS = {kind: getattr(R, f"{kind}_loss") for kind in KINDS}
#: where each kind reports its gradients: iteration 1's (grad1.) where it trains, else grad.
GRAD_PREFIX = {kind: "grad1." if kind in TRAINED else "grad." for kind in KINDS}


def _central_differences(part, base, put, loss):
    """∂loss/∂(each entry of ``base``, a parameter's value in ``part``) by central differences;
    ``put(q, value)`` sets the parameter of a copy ``q`` of the part."""
    fd = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        values = []
        for sign in (+1, -1):
            q = copy.deepcopy(part)
            moved = base.copy()
            moved[idx] += sign * H
            put(q, moved.tolist() if moved.ndim else float(moved))
            values.append(loss(q))
        fd[idx] = (values[0] - values[1]) / (2 * H)
    return fd


def _finite_difference(kind, part, name):
    base = np.array(_get(part, kind, name), dtype=float)
    return _central_differences(part, base, lambda q, v: _set(q, kind, name, v), LOSS[kind])


def _close(a, b, tol=TOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape, (a.shape, b.shape)
    return np.all(np.abs(a - b) <= tol + tol * np.abs(b))


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_agree_with_finite_differences(kind):
    checked = 0
    for part in INSTANCES[kind]:
        out = getattr(R, kind)(part)
        grads = {k[len(GRAD_PREFIX[kind]):]: v for k, v in out.items() if k.startswith(GRAD_PREFIX[kind])}
        assert grads, "every instance reports gradients"
        for name, g in grads.items():
            assert g.dtype == np.float64
            fd = _finite_difference(kind, part, name)
            assert fd.shape == g.shape, (kind, name)
            assert _close(g, fd), (kind, name, part, g, fd)
            checked += g.size
    assert checked > 0


@pytest.mark.parametrize("kind", TRAINED)
def test_first_update_is_plain_sgd(kind):
    for part in INSTANCES[kind]:
        one = copy.deepcopy(part)
        one["iterations"] = 1
        out = getattr(R, kind)(one)
        lr = part["learning_rate"]
        grads = [k for k in out if k.startswith("grad1.")]
        finals = [k for k in out if k.startswith("final.") and k != "final.loss"]
        assert sorted(g[6:] for g in grads) == sorted(f[6:] for f in finals)
        for g in grads:
            name = g[6:]
            initial = np.array(_get(part, kind, name), dtype=float)
            assert np.allclose(out["final." + name], initial - lr * out[g], rtol=0, atol=1e-12)
        # it1.loss is the loss of the initial parameters
        assert math.isclose(float(out["it1.loss"]), LOSS[kind](part), rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("kind", TRAINED)
def test_iteration_losses_chain(kind):
    """it{k+1}.loss = final.loss of a run with k iterations; final.loss is the loss at the end."""
    for part in INSTANCES[kind]:
        two = copy.deepcopy(part)
        two["iterations"] = 2
        one = copy.deepcopy(part)
        one["iterations"] = 1
        out2, out1 = getattr(R, kind)(two), getattr(R, kind)(one)
        assert float(out2["it1.loss"]) == float(out1["it1.loss"])
        assert float(out2["it2.loss"]) == float(out1["final.loss"])
        # final.loss of the 1-iteration run = loss of a part carrying its final parameters
        q = copy.deepcopy(part)
        for k, v in out1.items():
            if k.startswith("final.") and k != "final.loss":
                _set(q, kind, k[6:], v.tolist())
        assert math.isclose(float(out1["final.loss"]), LOSS[kind](q), rel_tol=1e-12, abs_tol=1e-15)


def test_random_parts_cover_the_variants():
    cnn = INSTANCES["cnn"] + _more("cnn")
    assert any("pool" in p for p in cnn) and any("pool" not in p for p in cnn)
    assert any(p.get("pool", {}).get("mode") == "max" for p in cnn)
    assert any(p.get("pool", {}).get("mode") == "average" for p in cnn)
    assert any(np.ndim(p["input"]) == 3 for p in cnn) and any(np.ndim(p["input"]) == 2 for p in cnn)
    assert any(len(p["dense"]) == 2 for p in cnn) and any(len(p["dense"]) == 1 for p in cnn)
    losses = {p["loss"] for p in cnn}
    assert losses == {"sse", "half_sse", "mse", "half_mse", "bce", "cce"}
    rnn = INSTANCES["rnn"] + _more("rnn")
    assert any("targets" in p for p in rnn) and any("target" in p for p in rnn)
    assert {p["activation"] for p in rnn} == {"tanh", "relu"}
    assert {p["output"] for p in rnn} == {"identity", "sigmoid", "softmax"}
    assert {p["mask"] for p in INSTANCES["attention"]} == {"none", "causal"}
    for kind in KINDS:                 # parts are plain YAML-like data
        for p in INSTANCES[kind]:
            _assert_plain(p)


def _more(kind):
    rng = np.random.default_rng(7)
    return [R.random_part(kind, rng) for _ in range(60)]


def _assert_plain(x):
    if isinstance(x, dict):
        for k, v in x.items():
            assert isinstance(k, str)
            _assert_plain(v)
    elif isinstance(x, list):
        for v in x:
            _assert_plain(v)
    else:
        assert x is None or type(x) in (int, float, str), type(x)


def test_random_parts_stay_away_from_kinks():
    rng = np.random.default_rng(11)
    for _ in range(30):
        _, kink = R._cnn_train(R.random_part("cnn", rng))
        assert kink > 1e-6
        _, kink = R._rnn_train(R.random_part("rnn", rng))
        assert kink > 1e-6


# hand-worked cases ----------------------------------------------------------------------

def test_attention_single_token():
    # X = [1, 2]; Q = X W_q = [1]; K = X W_k = [2]; V = X W_v = [1, 2]
    # S = 1·2/√1 = 2; a single score → A = [[1]]; O = A V = V = [1, 2]
    # L = G·O; with one token A ≡ 1 whatever Q, K → ∂L/∂W_q = ∂L/∂W_k = 0
    # ∂L/∂W_v = Xᵀ G = [1, 2]ᵀ [0.5, -1] = [[0.5, -1], [1, -2]];  ∂L/∂X = G W_vᵀ = [0.5, -1]
    part = {"tokens": [[1, 2]], "W_q": [[1], [0]], "W_k": [[0], [1]],
            "W_v": [[1, 0], [0, 1]], "mask": "none", "upstream": [[0.5, -1]]}
    out = R.attention(part)
    assert np.array_equal(out["Q"], [[1.0]]) and np.array_equal(out["K"], [[2.0]])
    assert np.array_equal(out["scores"], [[2.0]])
    assert np.array_equal(out["weights"], [[1.0]])
    assert np.array_equal(out["output"], out["V"]) and np.array_equal(out["V"], [[1.0, 2.0]])
    assert np.array_equal(out["grad.W_q"], [[0.0], [0.0]])
    assert np.array_equal(out["grad.W_k"], [[0.0], [0.0]])
    assert np.allclose(out["grad.W_v"], [[0.5, -1], [1, -2]])
    assert np.allclose(out["grad.tokens"], [[0.5, -1]])


def test_attention_two_tokens_by_hand():
    # X = I₂, W_q = W_k = I₂ (d_k = 2), W_v = [[1], [0]] → Q = K = I, V = [[1], [0]]
    # S = Q Kᵀ/√2 = I/√2 = [[0.70711, 0], [0, 0.70711]]
    # row 1: A = [e^0.70711, 1]/(e^0.70711 + 1) = [2.02811, 1]/3.02811 = [0.66976, 0.33024]
    # O = A V = [[0.66976], [0.33024]]
    e = math.exp(1 / math.sqrt(2))
    part = {"tokens": [[1, 0], [0, 1]], "W_q": [[1, 0], [0, 1]], "W_k": [[1, 0], [0, 1]],
            "W_v": [[1], [0]], "mask": "none"}
    out = R.attention(part)
    assert "grad.W_q" not in out
    assert np.allclose(out["scores"], [[0.70710678, 0], [0, 0.70710678]])
    assert np.allclose(out["weights"], [[e / (e + 1), 1 / (e + 1)], [1 / (e + 1), e / (e + 1)]])
    assert np.allclose(out["weights"][0], [0.669762, 0.330238], atol=1e-6)
    assert np.allclose(out["output"], [[0.669762], [0.330238]], atol=1e-6)

    # causal: row 1 sees only token 1 → A₁ = [1, 0], O₁ = V₁ = 1;
    # row 2 sees both: scores [0, 0.70711] → A₂ = [0.33024, 0.66976], O₂ = 0.33024
    out = R.attention({**part, "mask": "causal"})
    assert out["scores"][0, 1] == -math.inf
    assert np.array_equal(out["weights"][0], [1.0, 0.0])
    assert np.allclose(out["weights"][1], [0.330238, 0.669762], atol=1e-6)
    assert np.allclose(out["output"], [[1.0], [0.330238]], atol=1e-6)


def test_causal_first_row_attends_only_to_first_token():
    for part in INSTANCES["attention"]:
        part = {**part, "mask": "causal"}
        out = R.attention(part)
        n = out["weights"].shape[0]
        assert out["weights"][0, 0] == 1.0
        assert np.all(out["weights"][0, 1:] == 0.0)
        assert np.allclose(out["output"][0], out["V"][0], rtol=0, atol=1e-15)
        for i in range(n):
            for j in range(n):
                assert (out["scores"][i, j] == -math.inf) == (j > i)
                assert (out["weights"][i, j] == 0.0) or j <= i
            assert math.isclose(out["weights"][i].sum(), 1.0)


def test_batchnorm_two_samples():
    # x = [1, 3]: μ = 2, σ² = ((−1)² + 1²)/2 = 1, x̂ = ±1/√(1 + ε) = ±1·√(σ²/(σ²+ε))
    # second feature x = [0.5, 0.5]: σ² = 0 → x̂ = 0 and y = β
    # y = γ x̂ + β = 0.5 ∓ 2/√(1.00001) = [−1.49999, 2.49999]
    part = {"input": [[1, 3], [0.5, 0.5]], "gamma": [2, 3], "beta": [0.5, -0.25]}
    out = R.batchnorm(part)
    r = math.sqrt(1 / (1 + 1e-5))
    assert np.allclose(out["mean"], [2, 0.5]) and np.allclose(out["variance"], [1, 0])
    assert np.allclose(out["xhat"], [[-r, r], [0, 0]], rtol=0, atol=1e-15)
    assert np.allclose(out["output"], [[0.5 - 2 * r, 0.5 + 2 * r], [-0.25, -0.25]])
    assert np.allclose(out["output"][0], [-1.49999, 2.49999], atol=1e-5)
    assert "grad.input" not in out


def test_batchnorm_three_samples_and_gradients_by_hand():
    # x = [0, 1, 2]: μ = 1, σ² = (1 + 0 + 1)/3 = 2/3, ε = 0.01 → √(σ²+ε) = √0.676667 = 0.822598
    # x̂ = [−1.215659, 0, 1.215659]; γ = 1, β = 0
    # upstream all ones: L = Σ y = Σ x̂ + 3β is constant in x (Σ x̂ = 0) → ∂L/∂x = 0,
    #   ∂L/∂γ = Σ x̂ = 0, ∂L/∂β = 3
    # upstream [1, 0, 0]: ∂L/∂β = 1, ∂L/∂γ = x̂₁ = −1.215659
    part = {"input": [[0, 1, 2]], "gamma": [1], "beta": [0], "epsilon": 0.01,
            "upstream": [[1, 1, 1]]}
    out = R.batchnorm(part)
    s = math.sqrt(2 / 3 + 0.01)
    assert np.allclose(out["xhat"], [[-1 / s, 0, 1 / s]])
    assert np.allclose(out["xhat"], [[-1.215659, 0, 1.215659]], atol=1e-6)
    assert np.allclose(out["grad.input"], 0, atol=1e-12)
    assert np.allclose(out["grad.gamma"], [0], atol=1e-12)
    assert np.allclose(out["grad.beta"], [3])
    out = R.batchnorm({**part, "upstream": [[1, 0, 0]]})
    assert np.allclose(out["grad.beta"], [1])
    assert np.allclose(out["grad.gamma"], [-1.215659], atol=1e-6)
    # closed form: ∂L/∂x = (γ/(N s)) (N g − Σg − x̂ Σ g x̂)
    g = np.array([1.0, 0, 0])
    xh = out["xhat"][0]
    closed = (1 / (3 * s)) * (3 * g - g.sum() - xh * (g * xh).sum())
    assert np.allclose(out["grad.input"][0], closed)


def test_rnn_single_step_by_hand():
    # x = 1, h₀ = 0: z = 0.5·1 + 0.3·0 + 0.1 = 0.6, h = tanh 0.6 = 0.537050
    # ŷ = 2·0.537050 − 0.5 = 0.574099; L = ½(0.574099 − 1)² = ½·0.181392 = 0.090696
    # ∂L/∂ŷ = −0.425901 → ∂L/∂W_hy = −0.425901·0.537050 = −0.228730, ∂L/∂b_y = −0.425901
    # ∂L/∂h = 2·(−0.425901) = −0.851802; ∂L/∂z = −0.851802·(1 − 0.537050²) = −0.606123
    # ∂L/∂W_xh = −0.606123·1, ∂L/∂b_h = −0.606123, ∂L/∂W_hh = −0.606123·h₀ = 0
    part = {"inputs": [1], "h0": [0], "W_xh": [[0.5]], "W_hh": [[0.3]], "b_h": [0.1],
            "W_hy": [[2]], "b_y": [-0.5], "activation": "tanh", "output": "identity",
            "target": [1], "loss": "half_sse", "learning_rate": 0.1, "iterations": 1}
    out = R.rnn(part)
    assert np.allclose(out["hidden"], [[0.537050]], atol=1e-6)
    assert np.allclose(out["output"], [[0.574099]], atol=1e-6)
    assert math.isclose(float(out["it1.loss"]), 0.090696, abs_tol=1e-6)
    assert np.allclose(out["grad1.W_hy"], [[-0.228730]], atol=1e-6)
    assert np.allclose(out["grad1.b_y"], [-0.425901], atol=1e-6)
    assert np.allclose(out["grad1.W_xh"], [[-0.606123]], atol=1e-6)
    assert np.allclose(out["grad1.b_h"], [-0.606123], atol=1e-6)
    assert np.array_equal(out["grad1.W_hh"], [[0.0]])
    assert np.allclose(out["final.W_xh"], [[0.5 + 0.0606123]], atol=1e-7)


def test_rnn_one_step_equals_two_layer_dense_network():
    """One RNN step from h₀ = 0 is dense(W_xh, b_h, act) → dense(W_hy, b_y, out); the CNN
    reference with a 1×d_x input and a 1×1 identity kernel [[1]] is exactly that network."""
    rng = np.random.default_rng(5)
    compared = 0
    for _ in range(20):
        part = R.random_part("rnn", rng)
        x = np.array(part["inputs"], float).reshape(len(part["inputs"]), -1)[:1]
        dh = len(part["h0"])
        target = part["target"] if "target" in part else next(t for t in part["targets"] if t)
        one = {**part, "inputs": x.tolist(), "h0": [0.0] * dh, "iterations": 1}
        one.pop("targets", None)
        one["target"] = target
        net = {"input": x.tolist(),
               "conv": {"kernels": [[[1.0]]], "activation": "identity"},
               "dense": [{"activation": part["activation"], "weights": part["W_xh"], "bias": part["b_h"]},
                         {"activation": part["output"], "weights": part["W_hy"], "bias": part["b_y"]}],
               "target": target, "loss": part["loss"], "learning_rate": part["learning_rate"],
               "iterations": 1}
        if part["activation"] == "relu" and min(abs(v) for v in _pre(one)) < 1e-6:
            continue
        compared += 1
        r, c = R.rnn(one), R.cnn(net)
        assert np.allclose(r["output"][0], c["output"], rtol=1e-12, atol=1e-14)
        # (final.loss is not compared: the CNN also trains its 1×1 kernel; the first update
        #  of W and b uses the initial gradients only, so those agree)
        for a, b in (("it1.loss", "it1.loss"),
                     ("grad1.W_xh", "grad1.W1"), ("grad1.b_h", "grad1.b1"),
                     ("grad1.W_hy", "grad1.W2"), ("grad1.b_y", "grad1.b2"),
                     ("final.W_xh", "final.W1"), ("final.b_h", "final.b1"),
                     ("final.W_hy", "final.W2"), ("final.b_y", "final.b2")):
            assert np.allclose(r[a], c[b], rtol=1e-12, atol=1e-14), a
        assert np.array_equal(r["grad1.W_hh"], np.zeros((dh, dh)))
    assert compared >= 15


def _pre(part):
    x = np.array(part["inputs"][0], float).reshape(-1)
    return np.array(part["W_xh"], float) @ x + np.array(part["b_h"], float)


def test_cnn_by_hand():
    # input [[1, 2], [3, 4]], kernel [[0, 1], [−1, 1]], bias 0.5:
    # z = 0·1 + 1·2 − 1·3 + 1·4 + 0.5 = 3.5, relu → 3.5
    # dense W = [[0.2]], b = [0.1], identity: ŷ = 0.7 + 0.1 = 0.8; L = ½(0.8 − 1)² = 0.02
    # ∂L/∂ŷ = −0.2 → ∂L/∂W = −0.2·3.5 = −0.7, ∂L/∂b = −0.2
    # ∂L/∂z = −0.2·0.2 = −0.04 → ∂L/∂K = −0.04·x = [[−0.04, −0.08], [−0.12, −0.16]], ∂L/∂bias = −0.04
    # lr 0.5: W = 0.2 + 0.35 = 0.55, b = 0.1 + 0.1 = 0.2, K = K + 0.02·x, bias = 0.52
    part = {"input": [[1, 2], [3, 4]],
            "conv": {"kernels": [[[0, 1], [-1, 1]]], "bias": [0.5], "activation": "relu"},
            "dense": [{"activation": "identity", "weights": [[0.2]], "bias": [0.1]}],
            "target": 1, "loss": "half_sse", "learning_rate": 0.5, "iterations": 1}
    out = R.cnn(part)
    assert np.allclose(out["output"], [0.8])
    assert math.isclose(float(out["it1.loss"]), 0.02)
    assert np.allclose(out["grad1.W1"], [[-0.7]]) and np.allclose(out["grad1.b1"], [-0.2])
    assert np.allclose(out["grad1.kernels"], [[[-0.04, -0.08], [-0.12, -0.16]]])
    assert np.allclose(out["grad1.conv_bias"], [-0.04])
    assert out["final.kernels"].shape == (1, 2, 2)
    assert np.allclose(out["final.kernels"], [[[0.02, 1.04], [-0.94, 1.08]]])
    assert np.allclose(out["final.conv_bias"], [0.52])
    assert np.allclose(out["final.W1"], [[0.55]]) and np.allclose(out["final.b1"], [0.2])
    # after the update: z = 0.02 + 2.08 − 2.82 + 4.32 + 0.52 = 4.12; ŷ = 0.55·4.12 + 0.2 = 2.466
    assert math.isclose(float(out["final.loss"]), 0.5 * 1.466 ** 2)

    # no conv bias given → none reported; no dense bias given → none reported
    part["conv"].pop("bias")
    part["dense"][0].pop("bias")
    out = R.cnn(part)
    assert not any(k.endswith("conv_bias") or k.endswith(".b1") for k in out)


def test_cnn_flatten_order_and_channels():
    # input x (2×2), kernels [[1]] and [[2]] (1×1), identity, no pool:
    # maps [[1, 2], [3, 4]] and [[2, 4], [6, 8]]; flat = [1, 2, 3, 4, 2, 4, 6, 8]
    # a one-hot weight at index c·H·W + i·W + j = 1·4 + 0·2 + 1 = 5 picks map 2, (0, 1) = 4
    w = [[0, 0, 0, 0, 0, 1, 0, 0]]
    part = {"input": [[1, 2], [3, 4]],
            "conv": {"kernels": [[[1]], [[2]]], "activation": "identity"},
            "dense": [{"activation": "identity", "weights": w}],
            "target": [0], "loss": "sse", "learning_rate": 0.1, "iterations": 1}
    out = R.cnn(part)
    assert np.allclose(out["output"], [4.0])
    assert math.isclose(float(out["it1.loss"]), 16.0)
    # ∂L/∂ŷ = 2·4 = 8; ∂L/∂W = 8·flat
    assert np.allclose(out["grad1.W1"], [[8, 16, 24, 32, 16, 32, 48, 64]])
    # only kernel 2 gets a gradient: 8·x[0, 1] = 16
    assert np.allclose(out["grad1.kernels"], [[[0]], [[16]]])

    # two input channels, C×kh×kw kernels: a = 1·x₁ + 0.5·x₂ over a 2×2 window, one output
    part = {"input": [[[1, 0], [0, 1]], [[2, 2], [2, 2]]],
            "conv": {"kernels": [[[[1, 1], [1, 1]], [[0.5, 0.5], [0.5, 0.5]]]],
                     "activation": "identity"},
            "dense": [{"activation": "identity", "weights": [[1]]}],
            "target": 0, "loss": "half_sse", "learning_rate": 0.1, "iterations": 1}
    out = R.cnn(part)
    # z = 1 + 1 + 0.5·8 = 6; ∂L/∂z = 6 → ∂L/∂K = 6·x
    assert np.allclose(out["output"], [6.0])
    assert out["grad1.kernels"].shape == (1, 2, 2, 2)
    assert np.allclose(out["grad1.kernels"], [[[[6, 0], [0, 6]], [[12, 12], [12, 12]]]])


def test_cnn_padding_stride_and_average_pool():
    # input 3×3 of ones, kernel 2×2 of ones, padding 1, stride 2 → padded 5×5,
    # output (3 + 2 − 2)//2 + 1 = 2 per side: windows at rows/cols {0, 2}:
    # corner (0,0) covers padded [0:2, 0:2] = one real 1 → 1; (0,1) covers [0:2, 2:4] = 2 ones;
    # (1,0) = 2; (1,1) covers [2:4, 2:4] = 4 ones → [[1, 2], [2, 4]]; average pool 2 → 2.25
    part = {"input": [[1] * 3] * 3,
            "conv": {"kernels": [[[1, 1], [1, 1]]], "padding": 1, "stride": 2,
                     "activation": "identity"},
            "pool": {"mode": "average", "window": 2},
            "dense": [{"activation": "identity", "weights": [[1]]}],
            "target": 0, "loss": "half_sse", "learning_rate": 0.1, "iterations": 1}
    out = R.cnn(part)
    assert np.allclose(out["output"], [2.25])


def test_cnn_max_pool_tie_goes_to_first_maximum():
    # two channels, 1×1 kernel [[1]], [[0]]: a = x₁ = [[1, 1], [0, 0]] — a tie between (0,0), (0,1)
    # max pool 2×2 → 1; W = [[1]], target 0, half_sse: ∂L/∂ŷ = 1 = ∂L/∂pool
    # the FIRST maximum (0,0) takes the gradient: ∂L/∂K₂ = x₂[0,0] = 0.5 (not x₂[0,1] = −0.5)
    part = {"input": [[[1, 1], [0, 0]], [[0.5, -0.5], [0.25, 0.75]]],
            "conv": {"kernels": [[[[1]], [[0]]]], "activation": "identity"},
            "pool": {"mode": "max", "window": [2, 2]},
            "dense": [{"activation": "identity", "weights": [[1]]}],
            "target": 0, "loss": "half_sse", "learning_rate": 0.1, "iterations": 1}
    out = R.cnn(part)
    assert np.allclose(out["output"], [1.0])
    assert np.allclose(out["grad1.kernels"], [[[[1.0]], [[0.5]]]])
    # tied in reading order: a column tie (0,1) vs (1,0) → (0,1) comes first (row by row)
    part["input"] = [[[0, 1], [1, 0]], [[0.5, -0.5], [0.25, 0.75]]]
    out = R.cnn(part)
    assert np.allclose(out["grad1.kernels"], [[[[1.0]], [[-0.5]]]])


def test_activations_at_zero():
    assert R._act_scalar_deriv("relu", 0.0) == 0.0
    assert R._act_scalar_deriv("leaky_relu", 0.0) == 0.01
    assert R._act_scalar("leaky_relu", -2.0) == -0.02


def test_losses_by_hand():
    yhat, y = np.array([0.5, 0.25]), np.array([1.0, 0.0])
    # squared errors: 0.25 + 0.0625 = 0.3125
    assert math.isclose(R._loss("sse", yhat, y), 0.3125)
    assert math.isclose(R._loss("half_sse", yhat, y), 0.15625)
    assert math.isclose(R._loss("mse", yhat, y), 0.15625)
    assert math.isclose(R._loss("half_mse", yhat, y), 0.078125)
    # bce: −ln 0.5 − ln 0.75 = 0.693147 + 0.287682 = 0.980829
    assert math.isclose(R._loss("bce", yhat, y), 0.980829, abs_tol=1e-6)
    # cce: −1·ln 0.5 = 0.693147
    assert math.isclose(R._loss("cce", yhat, y), 0.693147, abs_tol=1e-6)


def test_rnn_targets_with_gaps_sum_over_steps():
    # d = 1, identity, W_xh = 1, W_hh = 0, b = 0, W_hy = 1 (relu, positive inputs): ŷ_t = x_t
    # targets [0, null, 0]: L = ½(0.5² + 0.75²) = ½(0.25 + 0.5625) = 0.40625 (step 2 ignored)
    part = {"inputs": [0.5, 1, 0.75], "h0": [0], "W_xh": [[1]], "W_hh": [[0]], "b_h": [0],
            "W_hy": [[1]], "b_y": [0], "activation": "relu", "output": "identity",
            "targets": [[0], None, [0]], "loss": "half_sse", "learning_rate": 0.1,
            "iterations": 1}
    out = R.rnn(part)
    assert np.allclose(out["output"], [[0.5], [1], [0.75]])
    assert np.allclose(out["hidden"], [[0.5], [1], [0.75]])
    assert math.isclose(float(out["it1.loss"]), 0.40625)
    # ∂L/∂W_hy = Σ_t (ŷ_t − y_t) h_t over steps 1, 3 = 0.25 + 0.5625
    assert np.allclose(out["grad1.W_hy"], [[0.8125]])


def test_invalid_loss_output_pairs():
    part = {"input": [[1, 2], [3, 4]], "conv": {"kernels": [[[1, 1], [1, 1]]]},
            "dense": [{"activation": "identity", "weights": [[1]]}],
            "target": 1, "loss": "bce", "learning_rate": 0.1, "iterations": 1}
    with pytest.raises(ValueError):
        R.cnn(part)
    with pytest.raises(ValueError):
        R.cnn({**part, "loss": "cce"})


# a kind's own reference: generator/kinds/<kind>/reference.py ---------------------------------
#
# ``solve(part)`` → {trace name: float64 array} and ``loss(part)`` → the loss whose gradients it
# reports as ``grad.<key>`` or ``it1.grad.<key>`` (``<key>``: the part's own key of the parameter).

def _own_reference(kind: str):
    name = f"generator.kinds.{kind}.reference"
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


OWN = tuple(k for k in ALL_KINDS if _own_reference(k) is not None)
OWN_PARAMS = OWN or [pytest.param(None, marks=pytest.mark.skip(reason="no kind carries a reference.py"))]


def _starter(kind: str):
    """The starter spec of ``kind`` as data, and its exercises of that kind (without kind and id)."""
    from generator.cli import starter
    from generator.spec import parse_yaml

    data = parse_yaml(starter(kind).read_text(encoding="utf-8"), f"{kind}/starter.yaml")
    data.pop("randomize", None)
    if DEFAULT_KIND in data:
        parts = [data[DEFAULT_KIND]] if kind == DEFAULT_KIND else []
    else:
        parts = [{k: v for k, v in part.items() if k not in ("kind", "id")} for part in data["parts"]
                 if part.get("kind", DEFAULT_KIND) == kind]
    assert parts, f"the starter of {kind} has no exercise of its kind"
    return data, parts


@pytest.mark.parametrize("kind", OWN_PARAMS)
def test_own_reference_gradients_agree_with_finite_differences(kind):
    ref = _own_reference(kind)
    checked = 0
    for part in _starter(kind)[1]:
        for name, g in ref.solve(part).items():
            m = re.fullmatch(r"(?:it1\.)?grad\.(.+)", name)
            if not m:
                continue
            key = m.group(1)
            base = np.array(part[key], dtype=float) if part.get(key) is not None else np.zeros(np.shape(g))
            g = np.asarray(g, dtype=float).reshape(base.shape)
            fd = _central_differences(part, base, lambda q, v, key=key: q.__setitem__(key, v), ref.loss)
            assert _close(g, fd), (kind, name, g, fd)
            checked += g.size
    if not checked:
        pytest.skip(f"the starter of {kind} reports no gradient")


@pytest.mark.parametrize("kind", OWN_PARAMS)
def test_the_engine_agrees_with_the_kinds_own_reference(kind):
    """dryrun's values of the kind's starter spec (full precision) are the reference's, name by name."""
    from generator.solve import solve
    from generator.spec import spec_from_data

    ref = _own_reference(kind)
    data, parts = _starter(kind)
    spec = spec_from_data(data)
    trace = solve(spec, replace(spec.rounding, mode="display"))
    problems = [p for p in trace.problems if p.kind == kind]
    assert len(problems) == len(parts)
    for part, p in zip(parts, problems):
        want = ref.solve(part)
        common = [n for n in want if n in p.entries]
        assert common, f"no value of the reference of {kind} is named as dryrun names it: {sorted(want)[:8]}"
        for name in common:
            got = np.asarray(p[name], dtype=float)
            expected = np.asarray(want[name], dtype=float)
            if expected.size == got.size:
                expected = expected.reshape(got.shape)
            assert got.shape == expected.shape, (kind, name, got.shape, expected.shape)
            assert np.allclose(got, expected, rtol=1e-9, atol=1e-10), (kind, name, got, expected)
