"""The kinds cnn, rnn, attention and batchnorm against a second implementation written from the
textbook equations (``tests.reference_kinds``, plain loops in floats, itself checked against finite
differences), over random instances; and the engine's own gradients against finite differences of
its own forward pass."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from generator.kinds import KINDS
from generator.solve import solve
from generator.spec import spec_from_data
from tests import reference_kinds as R

REFERENCED = R.implemented(KINDS)       # the kinds with a second implementation in tests/reference_kinds.py


def _solve(kind: str, part: dict, **spec):
    data = {"parts": [{"kind": kind, "id": "x", **part}], **spec}
    s = spec_from_data(data)
    return s, solve(s).problems[0]


def _valid_part(kind: str, rng):
    """A random instance that dryrun takes: softmax is trained with CCE (the reference also allows
    other losses), and the kinds' size limits for a legible page hold."""
    from generator.errors import SpecError
    while True:
        part = R.random_part(kind, rng)
        try:
            _solve(kind, part)
            return part
        except SpecError:
            continue


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
    part = _valid_part("batchnorm", np.random.default_rng(seed))
    p = _compare("batchnorm", part, lambda ref: [n for n in ref if n in (
        "mean", "variance", "xhat", "output", "grad.gamma", "grad.beta", "grad.input")])
    assert "grad.input" in p


@pytest.mark.parametrize("seed", range(15))
def test_attention_agrees_with_the_reference(seed):
    part = _valid_part("attention", np.random.default_rng(seed))
    p = _compare("attention", part, lambda ref: [n for n in ref if n in (
        "Q", "K", "V", "weights", "output", "grad.W_q", "grad.W_k", "grad.W_v", "grad.tokens")])
    assert "grad.tokens" in p


@pytest.mark.parametrize("seed", range(12))
def test_cnn_agrees_with_the_reference(seed):
    part = _valid_part("cnn", np.random.default_rng(seed))
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
    part = _valid_part("rnn", np.random.default_rng(seed))
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
        part = _valid_part(kind, rng)
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




@pytest.mark.parametrize("kind", REFERENCED)
def test_random_instances_check_by_hand(kind):
    """Every printed line of random instances checks from its printed numbers, in both modes, with
    decimals, significant figures and a decimal comma."""
    from dataclasses import replace

    from generator.render import render
    from tests.handcheck import check_tex

    rng = np.random.default_rng(11)
    checked = 0
    for n in range(4):
        part = _valid_part(kind, rng)
        rounding = [{"decimals": 3}, {"significant": 3, "decimal_comma": True}, {"decimals": 2},
                    {"significant": 4}][n]
        spec, _ = _solve(kind, part, rounding=rounding)
        for mode in ("display", "carry"):
            policy = replace(spec.rounding, mode=mode)
            report = check_tex(render(spec, solve(spec, policy), "solution"), mode)
            assert not report.failures, [(f.left[:80], f.rel, f.right[:40], f.why) for f in report.failures[:3]]
            checked += report.checked
    assert checked > 100


@pytest.mark.parametrize("kind", REFERENCED)
def test_randomized_variants_of_the_new_kinds(kind):
    """specs/<kind>.yaml draws variants (randomize:) that differ and solve."""
    from generator.homework import draw, plan_variants
    from generator.spec import load_spec
    from tests.conftest import SPECS

    spec = load_spec(SPECS / f"{kind}.yaml")
    batch = draw(spec, plan_variants(3, None), seed=5)
    assert len(batch.variants) == 3 and not batch.failed
    outputs = {repr(np.asarray(v.trace.problems[0]["output"], dtype=float).round(9).tolist()) for v in batch.variants}
    assert len(outputs) == 3


def _trained_entries(kind: str, part: dict):
    """(trace name of the iteration-1 gradient, getter, setter) of every trained parameter."""
    out = []
    if kind == "rnn":
        for name in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"):
            if part.get(name) is not None:
                out.append((f"it1.d{name}", (lambda d, n=name: d[n]), (lambda d, v, n=name: d.__setitem__(n, v))))
    else:
        out.append(("it1.dkernels", lambda d: d["conv"]["kernels"], lambda d, v: d["conv"].__setitem__("kernels", v)))
        if part["conv"].get("bias") is not None:
            out.append(("it1.dconv_bias", lambda d: d["conv"]["bias"], lambda d, v: d["conv"].__setitem__("bias", v)))
        for l, layer in enumerate(part["dense"], start=1):
            for key, w in (("weights", "W"), ("bias", "b")):
                if layer.get(key) is not None:
                    out.append((f"it1.d{w}{l}", (lambda d, i=l - 1, k=key: d["dense"][i][k]),
                                (lambda d, v, i=l - 1, k=key: d["dense"][i].__setitem__(k, v))))
    return out


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
def test_trained_gradients_against_finite_differences_of_the_engine(kind):
    """∂L/∂θ of iteration 1 equals central differences of the engine's own loss ``it1.loss``."""
    rng = np.random.default_rng(3)
    compared = 0
    for _ in range(2):
        part = _valid_part(kind, rng)
        part["iterations"] = 1
        _, p = _solve(kind, part)
        for gname, get, put in _trained_entries(kind, part):
            base = np.asarray(get(part), dtype=float)
            grad = np.asarray(p[gname], dtype=float).reshape(base.shape)
            for idx in list(np.ndindex(base.shape))[:12]:
                losses = []
                for h in (1e-6, -1e-6):
                    d = copy.deepcopy(part)
                    v = base.copy()
                    v[idx] += h
                    put(d, v.tolist())
                    losses.append(float(_solve(kind, d)[1]["it1.loss"]))
                fd = (losses[0] - losses[1]) / 2e-6
                assert abs(fd - grad[idx]) < 1e-5 * max(1, abs(fd)), (gname, idx, fd, grad[idx])
                compared += 1
    assert compared >= 20
