"""The kinds cnn, rnn, attention and batchnorm against a second implementation written from the
textbook equations (``tests.reference_kinds``, plain loops in floats, itself checked against finite
differences), over random instances; and the engine's own gradients against finite differences of
its own forward pass."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from generator.solve import solve
from generator.spec import spec_from_data
from tests import reference_kinds as R


def _solve(kind: str, part: dict, **spec):
    data = {"parts": [{"kind": kind, "id": "x", **part}], **spec}
    s = spec_from_data(data)
    return s, solve(s).problems[0]


def _compare(kind: str, part: dict, names):
    ref = getattr(R, kind)(part)
    _, p = _solve(kind, part)
    for name in names(ref):
        got = np.asarray(p[name], dtype=float)
        want = np.asarray(ref[name], dtype=float).reshape(got.shape)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-10), (kind, name, got, want)
    return p


@pytest.mark.parametrize("seed", range(15))
def test_batchnorm_agrees_with_the_reference(seed):
    part = R.random_part("batchnorm", np.random.default_rng(seed))
    p = _compare("batchnorm", part, lambda ref: [n for n in ref if n in (
        "mean", "variance", "xhat", "output", "grad.gamma", "grad.beta", "grad.input")])
    assert "grad.input" in p


@pytest.mark.parametrize("seed", range(15))
def test_attention_agrees_with_the_reference(seed):
    part = R.random_part("attention", np.random.default_rng(seed))
    p = _compare("attention", part, lambda ref: [n for n in ref if n in (
        "Q", "K", "V", "weights", "output", "grad.W_q", "grad.W_k", "grad.W_v", "grad.tokens")])
    assert "grad.tokens" in p


@pytest.mark.parametrize("seed", range(12))
def test_cnn_agrees_with_the_reference(seed):
    rng = np.random.default_rng(seed)
    part = R.random_part("cnn", rng)
    while ((part["dense"][-1]["activation"] == "softmax") != (part["loss"] == "cce")   # softmax with CCE
           or any(d["activation"] == "softmax" for d in part["dense"][:-1])):
        part = R.random_part("cnn", rng)
    ref = R.cnn(part)
    _, p = _solve("cnn", part)
    names = ["kernels", "conv_bias"] + [f"{w}{l}" for l in range(1, 5) for w in "Wb"]
    pairs = [("output", "output"), ("final.loss", "final.loss")]
    pairs += [(f"it{k}.loss", f"it{k}.loss") for k in range(1, part.get("iterations", 1) + 1)]
    pairs += [(f"final.{n}", f"final.{n}") for n in names if f"final.{n}" in ref]
    pairs += [(f"it1.d{n}", f"grad1.{n}") for n in names if f"grad1.{n}" in ref]
    assert len(pairs) >= 7
    for ours, theirs in pairs:
        got = np.asarray(p[ours], dtype=float)
        want = np.asarray(ref[theirs], dtype=float)
        assert got.shape == want.shape, (ours, got.shape, want.shape)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-10), (ours, got, want)


RNN_PARAMS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


@pytest.mark.parametrize("seed", range(12))
def test_rnn_agrees_with_the_reference(seed):
    rng = np.random.default_rng(seed)
    part = R.random_part("rnn", rng)
    while part.get("output") == "softmax" and part["loss"] != "cce":   # dryrun trains softmax with CCE
        part = R.random_part("rnn", rng)
    ref = R.rnn(part)
    _, p = _solve("rnn", part)
    pairs = [("output", "output"), ("hidden", "hidden"), ("final.loss", "final.loss")]
    pairs += [(f"it{k}.loss", f"it{k}.loss") for k in range(1, part.get("iterations", 1) + 1)]
    pairs += [(f"final.{n}", f"final.{n}") for n in RNN_PARAMS if f"final.{n}" in ref]
    pairs += [(f"it1.d{n}", f"grad1.{n}") for n in RNN_PARAMS if f"grad1.{n}" in ref]
    for ours, theirs in pairs:
        got = np.asarray(p[ours], dtype=float)
        want = np.asarray(ref[theirs], dtype=float).reshape(got.shape)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-10), (ours, got, want)


def _upstream_loss(kind: str, part: dict) -> float:
    _, p = _solve(kind, part)
    return float(np.sum(np.asarray(p["output"], dtype=float) * np.asarray(part["upstream"], dtype=float)))


@pytest.mark.parametrize("kind, inputs", [("batchnorm", ("input", "gamma", "beta")),
                                          ("attention", ("tokens", "W_q", "W_k", "W_v"))])
def test_engine_gradients_against_finite_differences(kind, inputs):
    """∂(Σ G ⊙ output)/∂(every input entry), central differences of the engine's own forward pass."""
    rng = np.random.default_rng(7)
    for _ in range(3):
        part = R.random_part(kind, rng)
        _, p = _solve(kind, part)
        for name in inputs:
            base = np.asarray(part[name], dtype=float)
            grad = np.asarray(p[f"grad.{name}"], dtype=float).reshape(base.shape)
            h = 1e-6
            for idx in np.ndindex(base.shape):
                plus, minus = copy.deepcopy(part), copy.deepcopy(part)
                a, b = base.copy(), base.copy()
                a[idx] += h
                b[idx] -= h
                plus[name], minus[name] = a.tolist(), b.tolist()
                fd = (_upstream_loss(kind, plus) - _upstream_loss(kind, minus)) / (2 * h)
                assert abs(fd - grad[idx]) < 1e-5 * max(1, abs(fd)), (name, idx, fd, grad[idx])
