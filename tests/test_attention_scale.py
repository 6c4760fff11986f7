"""Attention ``scale: sqrt_dk | none | c`` (issue 22): the scores S = Q Kᵀ/√d_k (the default), S = Q Kᵀ
or S = c Q Kᵀ — c multiplies, as PyTorch's ``scaled_dot_product_attention(..., scale=c)`` does
(``attn_weight = query @ key.transpose(-2, -1) * scale_factor``, scale_factor = 1/√E when scale is
None).

Checked against a float64 reference written here from those equations (forward) and the chain rule
(backward: ∂L/∂S_ij = A_ij (∂L/∂A_ij − Σ_k A_ik ∂L/∂A_ik), ∂L/∂Q = c ∂L/∂S K, ∂L/∂K = c ∂L/∂Sᵀ Q),
the reference's own gradients against central differences of its loss L = Σ G ⊙ O, every printed
line by the hand-checker in both rounding modes, and the default unchanged."""

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

SCALES = ("sqrt_dk", "none", 0.5, 2, 0.125)
MASKS = ("none", "causal")


# --------------------------------------------------------------------------- the reference

def reference(part: dict) -> dict[str, np.ndarray]:
    """Single-head self-attention in float64, plain loops, from the equations above."""
    X = np.array(part["tokens"], dtype=float)
    Wq, Wk, Wv = (np.array(part[k], dtype=float) for k in ("W_q", "W_k", "W_v"))
    n, dk = X.shape[0], Wq.shape[1]
    scale = part.get("scale", "sqrt_dk")
    c = 1 / math.sqrt(dk) if scale == "sqrt_dk" else 1.0 if scale == "none" else float(scale)
    causal = part.get("mask", "none") == "causal"
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    S = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            S[i, j] = -math.inf if causal and j > i else c * sum(Q[i, t] * K[j, t] for t in range(dk))
    A = np.zeros((n, n))
    for i in range(n):
        top = max(S[i, j] for j in range(n) if S[i, j] != -math.inf)
        e = [0.0 if S[i, j] == -math.inf else math.exp(S[i, j] - top) for j in range(n)]
        for j in range(n):
            A[i, j] = e[j] / sum(e)
    O = A @ V
    out = {"Q": Q, "K": K, "V": V, "weights": A, "output": O,
           "scores": np.where(np.isinf(S), 0.0, S)}
    if part.get("upstream") is None:
        return out
    G = np.array(part["upstream"], dtype=float)
    dA, dV = G @ V.T, A.T @ G
    dS = np.zeros((n, n))
    for i in range(n):
        row = sum(A[i, k] * dA[i, k] for k in range(n))
        for j in range(n):
            dS[i, j] = A[i, j] * (dA[i, j] - row)
    dQ, dK = c * dS @ K, c * dS.T @ Q
    out.update({"dS": dS, "dQ": dQ, "dK": dK, "dV": dV, "grad.W_q": X.T @ dQ, "grad.W_k": X.T @ dK,
                "grad.W_v": X.T @ dV, "grad.tokens": dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T})
    return out


def loss(part: dict) -> float:
    return float((np.array(part["upstream"], dtype=float) * reference({**part, "upstream": None})["output"]).sum())


def _part(rng, scale, mask, n=3, d=2, dk=2, dv=2) -> dict:
    values = lambda *shape: np.round(rng.uniform(-1, 1, shape), 1).tolist()     # noqa: E731
    part = {"tokens": values(n, d), "W_q": values(d, dk), "W_k": values(d, dk), "W_v": values(d, dv),
            "mask": mask, "upstream": values(n, dv)}
    if scale != "sqrt_dk" or rng.random() < 0.5:       # the default, given or not
        part["scale"] = scale
    return part


def _solve(part, rounding=None, limits=None):
    data = {"parts": [{"kind": "attention", "id": "a", **part}]}
    if rounding:
        data["rounding"] = rounding
    spec = spec_from_data(data, limits=limits)
    return spec, solve(spec).problems[0]


# --------------------------------------------------------------------------- values

@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("scale", SCALES, ids=str)
def test_values_and_gradients_match_the_reference(scale, mask):
    rng = np.random.default_rng(10 * SCALES.index(scale) + MASKS.index(mask))
    for _ in range(4):
        part = _part(rng, scale, mask, n=int(rng.integers(1, 5)), d=int(rng.integers(1, 4)),
                     dk=int(rng.integers(1, 4)), dv=int(rng.integers(1, 4)))
        want = reference(part)
        _, p = _solve(part)
        names = ["Q", "K", "V", "weights", "output", "dS", "dQ", "dK", "dV", "grad.W_q", "grad.W_k", "grad.W_v",
                 "grad.tokens"]
        for name in names:
            assert np.allclose(np.asarray(p[name], dtype=float), want[name], rtol=1e-9, atol=1e-12), (scale, name)
        allowed = np.tril(np.ones_like(want["scores"], dtype=bool)) if mask == "causal" else True
        got = np.asarray(p["scores"], dtype=float)
        assert np.allclose(np.where(allowed, got, 0.0), want["scores"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", SCALES, ids=str)
def test_the_references_gradients_agree_with_finite_differences(scale):
    """The reference's backward pass against central differences of L = Σ G ⊙ O, for each scale."""
    rng = np.random.default_rng(7)
    for mask in MASKS:
        part = _part(rng, scale, mask, n=3, d=2, dk=3, dv=2)
        ref = reference(part)
        _, p = _solve(part)
        for key in ("tokens", "W_q", "W_k", "W_v"):
            base = np.array(part[key], dtype=float)
            for idx in np.ndindex(base.shape):
                h = 1e-6
                plus, minus = copy.deepcopy(part), copy.deepcopy(part)
                a, b = base.copy(), base.copy()
                a[idx] += h
                b[idx] -= h
                plus[key], minus[key] = a.tolist(), b.tolist()
                fd = (loss(plus) - loss(minus)) / (2 * h)
                assert abs(fd - ref[f"grad.{key}"][idx]) < 1e-6 * max(1, abs(fd)), (scale, mask, key, idx)
                engine = float(np.asarray(p[f"grad.{key}"], dtype=float)[idx])
                assert abs(fd - engine) < 1e-6 * max(1, abs(fd)), (scale, mask, key, idx)


def test_a_factor_multiplies_and_sqrt_dk_is_the_default():
    """c = 1/√d_k reproduces the default; c = 2 doubles the scores; the default's values and trace
    names are those of before (d_k, sqrt_dk, QK, scores, dQK)."""
    rng = np.random.default_rng(1)
    part = _part(rng, "sqrt_dk", "causal", n=3, d=2, dk=4, dv=2)
    part.pop("scale", None)
    _, default = _solve(part)
    _, named = _solve({**part, "scale": "sqrt_dk"})
    _, half = _solve({**part, "scale": 0.5})               # 1/√4
    _, double = _solve({**part, "scale": 2})
    _, plain = _solve({**part, "scale": "none"})
    for name in default.entries:
        assert np.array_equal(np.asarray(default[name], dtype=float), np.asarray(named[name], dtype=float)), name
    for name in ("scores", "weights", "output", "grad.tokens", "dQK"):
        assert np.allclose(np.asarray(default[name], dtype=float), np.asarray(half[name], dtype=float)), name
    qk = np.asarray(default["QK"], dtype=float)
    assert np.allclose(np.asarray(double["scores"], dtype=float), 2 * qk)
    assert np.allclose(np.asarray(plain["scores"], dtype=float), qk)
    assert {"d_k", "sqrt_dk", "QK", "dQK"} <= set(default.entries) and "scale" not in default.entries
    assert {"scale", "QK", "dQK"} <= set(half.entries) and not {"d_k", "sqrt_dk"} & set(half.entries)
    assert not {"d_k", "sqrt_dk", "QK", "dQK", "scale"} & set(plain.entries)
    assert half.entries["scores"].op == "product_masked" and plain.entries["scores"].op == "matmul_masked"
    assert half.entries["dQK"].op == "product" and plain.entries["dQ"].operands == ("dS", "K")


def test_by_hand_two_tokens_without_scaling():
    """X = I, W_q = W_k = I, W_v = I: S = Q Kᵀ = I unscaled, so A_11 = e/(e + 1); with c = 0.5 A_11 =
    e^0.5/(e^0.5 + 1)."""
    part = {"tokens": [[1, 0], [0, 1]], "W_q": [[1, 0], [0, 1]], "W_k": [[1, 0], [0, 1]],
            "W_v": [[1, 0], [0, 1]]}
    _, p = _solve({**part, "scale": "none"})
    assert abs(float(p["weights"][0][0]) - math.e / (math.e + 1)) < 1e-15
    _, p = _solve({**part, "scale": 0.5})
    assert abs(float(p["weights"][0][0]) - math.exp(0.5) / (math.exp(0.5) + 1)) < 1e-15
    _, p = _solve(part)
    assert abs(float(p["weights"][0][0]) - math.exp(2 ** -0.5) / (math.exp(2 ** -0.5) + 1)) < 1e-15


# --------------------------------------------------------------------------- pages

@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("scale", ("none", 0.5, 3), ids=str)
def test_every_printed_line_checks_by_hand(scale, mask):
    rng = np.random.default_rng(5)
    checked = 0
    for rounding in ({"decimals": 3}, {"significant": 3, "decimal_comma": True}, {"decimals": 2}):
        part = _part(rng, scale, mask)
        part["scale"] = scale
        spec, _ = _solve(part, rounding)
        for mode in ("display", "carry"):
            tex = render(spec, solve(spec, replace(spec.rounding, mode=mode)), "solution")
            report = check_tex(tex, mode)
            assert not report.failures, [(f.left[:80], f.rel, f.right[:40], f.why) for f in report.failures[:3]]
            checked += report.checked
    assert checked > 300


def test_the_pages_say_which_scale():
    part = {"tokens": [[1, 0], [0, 1]], "W_q": [[1, 0], [0, 1]], "W_k": [[1, 0], [0, 1]],
            "W_v": [[1, 0], [0, 1]], "mask": "causal", "upstream": [[1, 0], [0, 1]]}
    pages = {}
    for scale in ("sqrt_dk", "none", 0.25):
        spec, _ = _solve({**part, "scale": scale})
        trace = solve(spec)
        pages[scale] = {what: render(spec, trace, what) for what in ("solution", "question")}
    assert r"S = Q K^{T} / \sqrt{d_k} + M" in pages["sqrt_dk"]["question"]
    assert r"S = Q K^{T} + M" in pages["none"]["question"] and "not scaled" in pages["none"]["question"]
    assert r"S = c \, Q K^{T} + M" in pages[0.25]["question"]
    assert r"$c = 0.25$, which multiplies $Q K^{T}$" in pages[0.25]["question"]
    sol = pages["none"]["solution"]
    assert r"\step{Backward through $S = Q K^{T}$}" in sol and r"\sqrt{d_k}" not in sol.split("Each row", 1)[1]
    assert r"S = \begin{bmatrix} {1 \cdot 1} + {0 \cdot 0} & -\infty" in sol    # masked, unscaled: S itself
    sol = pages[0.25]["solution"]
    assert r"\frac{\partial L}{\partial (Q K^{T})} = c \frac{\partial L}{\partial S}" in sol
    assert r"0.25 \cdot" in sol and r"-\infty" in sol


def test_masked_products_print_minus_infinity_and_check_by_hand():
    """The two masked operations of the scales (c · Q Kᵀ and Q Kᵀ, masked) with a mask that hides
    entries: −∞ written in both matrices, values recorded unmasked, no relation the hand-checker
    can evaluate is wrong."""
    from generator.latex import Formatter
    from generator.numbers import Precision, RoundingPolicy
    from generator.ops import Graph
    from generator.trace import ProblemTrace, Recorder
    from generator.view import View

    mask = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    a = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.6], [-0.9, 0.2, 1.3]])
    for mode in ("display", "carry"):
        policy = RoundingPolicy(mode=mode, default=Precision("decimals", 2))
        pt = ProblemTrace(id="t", kind="test", info={"mode": mode})
        g = Graph(Recorder(pt, policy, batch=True))
        g.given("c", 0.35, "c")
        g.given("a", a, "a")
        g.given("q", a[:, :2], "q")
        g.given("k", a[:, 1:], "k")
        g.given("m", mask, "m")
        g.apply("product_masked", "s", [("c", ()), "a", "m"], "activation")
        g.apply("matmul_masked", "t", ["q", "k", "m"], "activation", tb=True)
        tol = 0.0051 if mode == "carry" else 1e-12                 # carry mode: recorded at 2 decimals
        assert np.allclose(np.asarray(pt["s"], dtype=float), 0.35 * a, rtol=0, atol=tol)
        assert np.allclose(np.asarray(pt["t"], dtype=float), a[:, :2] @ a[:, 1:].T, rtol=0, atol=tol)
        for name in ("s", "t"):
            tex = View(None, pt, Formatter(policy)).show(name)
            matrix = r"\begin{bmatrix}" in tex          # else a line per entry
            assert tex.count(r"-\infty") == (6 if matrix else 3), tex       # 3 masked entries
            report = check_tex(tex, mode, strict=mode == "display")
            assert not report.failures, tex
            assert report.checked >= (0 if matrix else 6), tex   # a matrix with −∞ is skipped by the checker


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("value, message", [
    ("sqrt", "expected sqrt_dk, none or a number c > 0 (S = c Q K^T), got 'sqrt'"),
    (-0.5, "must be greater than 0, got -0.5"),
    (0, "must be greater than 0, got 0"),
    ([1], "expected sqrt_dk, none or a number c > 0 (S = c Q K^T), got a list"),
    (True, "expected sqrt_dk, none or a number c > 0 (S = c Q K^T), got true/false"),
])
def test_a_bad_scale_is_one_line_naming_the_field(value, message):
    part = {"tokens": [[1, 0]], "W_q": [[1], [0]], "W_k": [[1], [0]], "W_v": [[1], [0]], "scale": value}
    with pytest.raises(SpecError) as e:
        _solve(part)
    assert str(e.value) == f"parts[0].scale: {message}"


def test_the_lms_states_a_scale_that_is_not_the_default():
    from generator.kinds import kind
    part = {"tokens": [[1, 0]], "W_q": [[1], [0]], "W_k": [[1], [0]], "W_v": [[1], [0]]}
    for scale, row in (("sqrt_dk", None), ("none", "none"), (0.5, 0.5)):
        spec, p = _solve({**part, "scale": scale})
        rows = dict(kind("attention").given(spec.problems[0], p))
        scaled = [v for k, v in rows.items() if k.startswith("scale")]
        assert (scaled == []) if row is None else (len(scaled) == 1 and str(scaled[0]) == str(row)), rows
