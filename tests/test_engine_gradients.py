"""The engine's gradients against independent computations:
central finite differences of a loss written here from scratch, sympy differentiation of the
loss written out symbolically, and exact rational arithmetic for a ReLU network."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from generator.numbers import RoundingPolicy
from generator.kinds.network.engine import solve as solve_network
from generator.kinds.network.schema import Layer, Network

ACTS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"]


# ---- an independent reference: forward pass and loss written plainly, sample by sample ----

def ref_act(name, z, slope):
    if name == "identity":
        return list(z)
    if name == "relu":
        return [max(0.0, v) for v in z]
    if name == "leaky_relu":
        return [v if v > 0 else slope * v for v in z]
    if name == "sigmoid":
        return [1 / (1 + np.exp(-v)) for v in z]
    if name == "tanh":
        return [np.tanh(v) for v in z]
    if name == "softmax":
        e = [np.exp(v) for v in z]
        return [v / sum(e) for v in e]


def ref_loss(loss, yhat, y):
    n = len(yhat)
    if loss == "square":
        return sum(v * v for v in yhat)
    if loss in ("sse", "half_sse", "mse", "half_mse"):
        s = sum((a - b) ** 2 for a, b in zip(yhat, y))
        return s * {"sse": 1, "half_sse": 0.5, "mse": 1 / n, "half_mse": 0.5 / n}[loss]
    if loss == "bce":
        return -sum(b * np.log(a) + (1 - b) * np.log(1 - a) for a, b in zip(yhat, y))
    if loss == "cce":
        return -sum(b * np.log(a) for a, b in zip(yhat, y))


def ref_total_loss(net, Ws, bs):
    total = 0.0
    m = net.inputs.shape[1]
    for s in range(m):
        a = list(net.inputs[:, s])
        for layer, W, b in zip(net.layers, Ws, bs):
            z = [sum(W[i][j] * a[j] for j in range(len(a))) + (b[i] if b is not None else 0.0)
                 for i in range(len(W))]
            a = ref_act(layer.activation, z, layer.slope)
        if net.output == "sum":
            a = [sum(a)]
        y = None if net.targets is None else list(net.targets[:, s])
        total += ref_loss(net.loss, a, y)
    return total / m


def random_net(rng, depth, acts, loss, samples, output="layer"):
    sizes = [int(rng.integers(1, 5))] + [int(rng.integers(1, 5)) for _ in range(depth)]
    if loss == "bce":
        sizes[-1] = 1
    if loss == "cce":
        sizes[-1] = max(2, sizes[-1])
    layers = []
    for l in range(depth):
        act = acts[l]
        layers.append(Layer(activation=act, weights=rng.normal(0, 0.8, (sizes[l + 1], sizes[l])),
                            bias=rng.normal(0, 0.5, sizes[l + 1]) if rng.random() < 0.8 else None,
                            slope=0.1))
    X = rng.normal(0, 1, (sizes[0], samples))
    n_out = 1 if output == "sum" else sizes[-1]
    if loss == "square":
        Y = None
    elif loss == "bce":
        Y = rng.integers(0, 2, (1, samples)).astype(float)
    elif loss == "cce":
        Y = np.zeros((n_out, samples))
        Y[rng.integers(0, n_out, samples), np.arange(samples)] = 1.0
    else:
        Y = rng.normal(0, 1, (n_out, samples))
    return Network(id="main", title="", text="", inputs=X, batch=samples > 1, targets=Y,
                   layers=tuple(layers), output=output, loss=loss, learning_rate=0.1, iterations=1)


CASES = []
for seed in range(36):
    rng = np.random.default_rng(seed)
    depth = 1 + seed % 4
    loss = ["sse", "half_sse", "mse", "half_mse", "square", "bce", "cce"][seed % 7]
    acts = [ACTS[int(i)] for i in rng.integers(0, 5, depth)]   # hidden: no softmax by default
    if seed % 5 == 0:
        acts[0] = "softmax"
    if loss == "bce":
        acts[-1] = "sigmoid"
    if loss == "cce":
        acts[-1] = "softmax"
    samples = [1, 1, 3, 4][seed % 4]
    output = "sum" if loss in ("square", "sse") and seed % 2 else "layer"
    CASES.append((seed, depth, tuple(acts), loss, samples, output))


@pytest.mark.parametrize("seed,depth,acts,loss,samples,output", CASES)
def test_gradients_match_central_differences(seed, depth, acts, loss, samples, output):
    rng = np.random.default_rng(1000 + seed)
    net = random_net(rng, depth, acts, loss, samples, output)
    trace = solve_network(net, RoundingPolicy())
    h = 1e-6
    Ws = [l.weights.copy() for l in net.layers]
    bs = [None if l.bias is None else l.bias.copy() for l in net.layers]
    assert trace["it1.loss"] == pytest.approx(ref_total_loss(net, Ws, bs), rel=1e-10, abs=1e-12)
    for l in range(depth):
        dW = np.atleast_2d(np.asarray(trace[f"it1.dW{l + 1}"]))
        for i, j in np.ndindex(Ws[l].shape):
            plus = [w.copy() for w in Ws]; plus[l][i, j] += h
            minus = [w.copy() for w in Ws]; minus[l][i, j] -= h
            fd = (ref_total_loss(net, plus, bs) - ref_total_loss(net, minus, bs)) / (2 * h)
            assert dW[i, j] == pytest.approx(fd, rel=1e-5, abs=1e-7), (l, i, j)
        if bs[l] is not None:
            db = np.atleast_1d(np.asarray(trace[f"it1.db{l + 1}"]))
            for i in range(len(bs[l])):
                plus = [None if b is None else b.copy() for b in bs]; plus[l][i] += h
                minus = [None if b is None else b.copy() for b in bs]; minus[l][i] -= h
                fd = (ref_total_loss(net, Ws, plus) - ref_total_loss(net, Ws, minus)) / (2 * h)
                assert db[i] == pytest.approx(fd, rel=1e-5, abs=1e-7), (l, i)


def test_update_is_sgd_step_and_frozen_parameters_keep_their_value():
    rng = np.random.default_rng(7)
    net = random_net(rng, 2, ("tanh", "identity"), "mse", 2)
    layers = (net.layers[0].__class__(**{**net.layers[0].__dict__, "train_bias": False}),
              net.layers[1].__class__(**{**net.layers[1].__dict__, "bias": np.array([0.3] * net.layers[1].units),
                                         "train_weights": False}))
    net = Network(**{**net.__dict__, "layers": layers, "iterations": 2})
    t = solve_network(net, RoundingPolicy())
    W1 = layers[0].weights - 0.1 * np.asarray(t["it1.dW1"])
    assert np.allclose(t["it1.W1"], W1)
    if layers[0].bias is not None:
        assert np.allclose(t["it1.b1"], layers[0].bias) and "it1.stepb1" not in t
    assert np.allclose(t["it2.W2"], layers[1].weights) and "it1.stepW2" not in t
    assert np.allclose(t["final.W1"], t["it2.W1"])


def _sym_net_loss(loss, acts):
    """Loss of a 2-2-2 network on 2 samples, written with sympy; returns (L, symbols, values)."""
    W1 = sympy.Matrix(2, 2, sympy.symbols("w1_:4"))
    b1 = sympy.Matrix(sympy.symbols("b1_:2"))
    W2 = sympy.Matrix(2, 2, sympy.symbols("w2_:4"))
    b2 = sympy.Matrix(sympy.symbols("b2_:2"))
    X = sympy.Matrix([[0.5, -1.0], [1.5, 0.25]])
    Y = sympy.Matrix([[1, 0], [0, 1]])
    f = {"sigmoid": lambda v: 1 / (1 + sympy.exp(-v)), "tanh": sympy.tanh, "identity": lambda v: v,
         "softmax": None}
    total = 0
    for s in range(2):
        a = W1 * X[:, s] + b1
        a = a.applyfunc(f[acts[0]])
        z = W2 * a + b2
        if acts[1] == "softmax":
            e = z.applyfunc(sympy.exp)
            yhat = e / sum(e)
        else:
            yhat = z.applyfunc(f[acts[1]])
        if loss == "cce":
            total += -sum(Y[i, s] * sympy.log(yhat[i]) for i in range(2))
        else:  # half_mse
            total += sum((yhat[i] - Y[i, s]) ** 2 for i in range(2)) / 4
    values = {**dict(zip(W1, [0.1, -0.2, 0.3, 0.4])), **dict(zip(b1, [0.05, -0.1])),
              **dict(zip(W2, [0.7, -0.5, 0.2, 0.6])), **dict(zip(b2, [0.0, 0.1]))}
    return total / 2, (W1, b1, W2, b2), values, X, Y


@pytest.mark.parametrize("loss,acts", [("half_mse", ("sigmoid", "tanh")), ("cce", ("tanh", "softmax")),
                                       ("half_mse", ("identity", "softmax"))])
def test_gradients_match_sympy_differentiation(loss, acts):
    L, (W1, b1, W2, b2), vals, X, Y = _sym_net_loss(loss, acts)
    as_np = lambda M: np.array(M.subs(vals), dtype=float)
    net = Network(id="main", title="", text="", inputs=np.array(X, dtype=float), batch=True,
                  targets=np.array(Y, dtype=float),
                  layers=(Layer(acts[0], as_np(W1), as_np(b1).ravel()),
                          Layer(acts[1], as_np(W2), as_np(b2).ravel())),
                  output="layer", loss=loss, learning_rate=0.5, iterations=1)
    t = solve_network(net, RoundingPolicy())
    assert t["it1.loss"] == pytest.approx(float(L.subs(vals)), rel=1e-12)
    for M, name in ((W1, "dW1"), (W2, "dW2"), (b1, "db1"), (b2, "db2")):
        expected = np.array([[float(sympy.diff(L, s).subs(vals)) for s in row]
                             for row in M.tolist()])
        got = np.asarray(t[f"it1.{name}"]).reshape(expected.shape)
        assert np.allclose(got, expected, rtol=1e-10, atol=1e-13), name


def test_seed000_relu_sum_square_in_exact_rational_arithmetic():
    """Seed 000 computed with Fractions: every value of both iterations, exactly."""
    from generator.spec import load_spec
    from tests.conftest import SPECS
    from generator.solve import solve

    t = solve(load_spec(SPECS / "seed000.yaml")).problem()
    F = Fraction
    x = [F(1), F(2), F(3), F(4)]
    W = [[F(1, 10), F(2, 10), F(3, 10), F(4, 10)], [F(5, 10), F(6, 10), F(7, 10), F(8, 10)],
         [F(9, 10), F(1), F(11, 10), F(12, 10)]]
    b = [F(1, 10), F(2, 10), F(3, 10)]
    eta = F(1, 1000)
    for k in (1, 2):
        z = [sum(w * v for w, v in zip(row, x)) + bi for row, bi in zip(W, b)]
        a = [max(F(0), v) for v in z]
        y = sum(a)
        assert t[f"it{k}.z1"] == pytest.approx([float(v) for v in z], rel=1e-14)
        assert t[f"it{k}.y"] == pytest.approx(float(y), rel=1e-14)
        assert t[f"it{k}.loss"] == pytest.approx(float(y * y), rel=1e-14)
        delta = [2 * y * (1 if v > 0 else 0) for v in z]
        W = [[w - eta * d * v for w, v in zip(row, x)] for row, d in zip(W, delta)]
        b = [bi - eta * d for bi, d in zip(b, delta)]
        assert np.allclose(t[f"it{k}.W1"], [[float(w) for w in row] for row in W], rtol=1e-14)
        assert np.allclose(t[f"it{k}.b1"], [float(v) for v in b], rtol=1e-14)
    # the seed document prints 309.139 for the second loss: 17.5824^2 = 309.14078976 exactly
    assert float(sum(max(F(0), sum(w * v for w, v in zip(row, x)) + bi) for row, bi in zip(W, b)) ** 2) \
        == pytest.approx(t["final.loss"], rel=1e-14)
    assert t["it2.loss"] == pytest.approx(309.14078976, rel=1e-14)
