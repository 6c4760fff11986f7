"""Convolution and pooling against a second, vectorised implementation, and their gradients
against finite differences."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from generator.errors import SpecError
from generator.solve import solve
from generator.spec import load_spec, spec_from_data
from tests.conftest import SPECS


def run(part):
    spec = spec_from_data({"parts": [part]})
    return spec.problems[0], solve(spec).problems[0]


def conv_ref(x, k, s, p, bias=0.0):
    """Vectorised: every window at once with sliding_window_view, then an einsum."""
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    win = sliding_window_view(xp, k.shape[1:], axis=(1, 2))[:, ::s, ::s]
    return np.einsum("chwab,cab->hw", win, k) + bias


def pool_ref(x, kh, kw, s, p, mode):
    fill = -np.inf if mode == "max" else 0.0
    win = sliding_window_view(np.pad(x, p, constant_values=fill), (kh, kw))[::s, ::s]
    return win.max(axis=(2, 3)) if mode == "max" else win.mean(axis=(2, 3))


CONV_CASES = [(c, h, w, kh, kw, s, p) for c, h, w, kh, kw, s, p in [
    (1, 3, 3, 2, 2, 1, 0), (1, 3, 3, 2, 2, 3, 1), (1, 5, 4, 3, 2, 2, 1), (2, 4, 4, 3, 3, 1, 1),
    (3, 6, 5, 2, 3, 2, 0), (1, 7, 7, 3, 3, 3, 2), (2, 5, 5, 1, 1, 2, 0)]]


@pytest.mark.parametrize("c,h,w,kh,kw,s,p", CONV_CASES)
def test_conv_matches_vectorised_and_finite_differences(c, h, w, kh, kw, s, p):
    rng = np.random.default_rng(h * 100 + w * 10 + s)
    x = np.round(rng.uniform(-2, 2, (c, h, w)), 1)
    k = np.round(rng.uniform(-1, 1, (c, kh, kw)), 1)
    oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    G = np.round(rng.uniform(-1, 1, (oh, ow)), 1)
    part = {"kind": "conv", "input": (x[0] if c == 1 else x).tolist(),
            "kernel": (k[0] if c == 1 else k).tolist(), "stride": s, "padding": p, "bias": 0.5,
            "upstream": G.tolist()}
    model, t = run(part)
    assert np.allclose(t["output"], conv_ref(x, k, s, p, 0.5), atol=1e-12)
    loss = lambda xx, kk, bb: float((G * conv_ref(xx, kk, s, p, bb)).sum())
    h_ = 1e-6
    gk = np.zeros_like(k)
    for idx in np.ndindex(k.shape):
        d = np.zeros_like(k); d[idx] = h_
        gk[idx] = (loss(x, k + d, 0.5) - loss(x, k - d, 0.5)) / (2 * h_)
    gx = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x); d[idx] = h_
        gx[idx] = (loss(x + d, k, 0.5) - loss(x - d, k, 0.5)) / (2 * h_)
    got_k = np.asarray(t["grad.kernel"]).reshape(k.shape)
    got_x = np.asarray(t["grad.input"]).reshape(x.shape)
    assert np.allclose(got_k, gk, atol=1e-6) and np.allclose(got_x, gx, atol=1e-6)
    assert t["grad.bias"] == pytest.approx(G.sum())


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("h,w,kh,kw,s,p", [(3, 3, 2, 2, 1, 0), (4, 4, 2, 2, 2, 0), (5, 6, 3, 2, 2, 1),
                                         (6, 6, 3, 3, 3, 0)])
def test_pool_matches_vectorised_and_finite_differences(mode, h, w, kh, kw, s, p):
    rng = np.random.default_rng(h * 7 + w + s)
    x = rng.uniform(-2, 2, (h, w))            # continuous values: no ties
    oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    G = rng.uniform(-1, 1, (oh, ow))
    model, t = run({"kind": "pool", "input": x.tolist(), "mode": mode, "window": [kh, kw],
                    "stride": s, "padding": p, "upstream": G.tolist()})
    assert np.allclose(t["output"], pool_ref(x, kh, kw, s, p, mode), atol=1e-12)
    loss = lambda xx: float((G * pool_ref(xx, kh, kw, s, p, mode)).sum())
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x); d[idx] = 1e-6
        fd[idx] = (loss(x + d) - loss(x - d)) / 2e-6
    assert np.allclose(t["grad.input"], fd, atol=1e-6)


def test_max_pool_ties_go_to_the_first_maximum():
    model, t = run({"kind": "pool", "input": [[1, 3], [3, 2]], "window": 2, "upstream": [[5]]})
    assert t["grad.input"].tolist() == [[0, 5], [0, 0]]
    assert t["argmax"].tolist() == [[[0, 1]]]


def test_seed002_convolutions_and_pooling():
    """The sheet prints conv(stride 3, padding 1) = [[2, 0], [0, 1]]; the last window of the padded
    input is [[2, 0], [0, 0]], so z22 = 2·1 = 2."""
    trace = solve(load_spec(SPECS / "seed002.yaml"))
    assert trace.problem("conv-s1p0")["output"].tolist() == [[3, -4], [1, 6]]
    assert trace.problem("conv-s3p1")["output"].tolist() == [[2, 0], [0, 2]]
    assert trace.problem("conv-s3p1")["padded_input"].shape == (5, 5)
    assert trace.problem("maxpool")["output"].tolist() == [[2, 2], [2, 2]]


@pytest.mark.parametrize("part,message", [
    ({"kind": "conv", "input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]] * 3}, "larger than the padded input"),
    ({"kind": "conv", "input": [[1]], "kernel": [[1]], "stride": 0}, "stride: must be between 1 and 16"),
    ({"kind": "conv", "input": [[[1]], [[2]]], "kernel": [[1]]}, "the kernel has 1 channel(s), the input 2"),
    ({"kind": "conv", "input": [[1, 2]], "kernel": [[1]], "upstream": [[1]]}, "must be 1×2 like the output"),
    ({"kind": "pool", "input": [[1, 2]], "window": 2, "mode": "median"}, "unknown value 'median'"),
    ({"kind": "pool", "input": [[1, 2]], "window": [1, 2, 3]}, "expected a size or [height, width]"),
    ({"kind": "pool", "input": [[1] * 40], "window": 2}, "grid larger than 32×32"),
])
def test_conv_pool_spec_errors(part, message):
    with pytest.raises(SpecError) as err:
        run(part)
    assert message in str(err.value)
