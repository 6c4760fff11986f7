"""Optimizers against a second implementation written from PyTorch's published update equations
(torch.optim: SGD with momentum and Nesterov, RMSprop, Adagrad, Adam, AdamW), with gradients from
central finite differences of a loss written out here — nothing from the engine's code."""

import random
import zlib

import numpy as np
import pytest

from generator.solve import solve
from generator.spec import spec_from_data

ACTS = {"identity": lambda z: z, "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "relu": lambda z: np.maximum(z, 0)}


def loss_of(params, X, Y, acts, loss):
    a = X
    for (W, b), act in zip(params, acts):
        z = W @ a + b[:, None]
        a = ACTS[act](z) if act != "softmax" else np.exp(z) / np.exp(z).sum(axis=0)
    m, n = a.shape[1], a.shape[0]
    if loss == "half_sse":
        per = 0.5 * ((a - Y) ** 2).sum(axis=0)
    elif loss == "mse":
        per = ((a - Y) ** 2).sum(axis=0) / n
    elif loss == "bce":
        per = -(Y * np.log(a) + (1 - Y) * np.log(1 - a)).sum(axis=0)
    else:                                         # cce
        per = -(Y * np.log(a)).sum(axis=0)
    return per.sum() / m


def central(f, arr, h=1e-6):
    """The gradient of f() with respect to the entries of ``arr`` (changed in place and restored),
    by central differences."""
    g = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + h
        up = f()
        arr[idx] = old - h
        down = f()
        arr[idx] = old
        g[idx] = (up - down) / (2 * h)
    return g


def numeric_grads(params, X, Y, acts, loss, h=1e-6):
    f = lambda: loss_of(params, X, Y, acts, loss)
    return [(central(f, W, h), central(f, b, h)) for W, b in params]


def reference(params, X, Y, acts, loss, eta, steps, opt, cfg):
    """torch.optim's equations, written out."""
    state = {}
    for t in range(1, steps + 1):
        grads = numeric_grads(params, X, Y, acts, loss)
        new = []
        for li, ((W, b), (gW, gb)) in enumerate(zip(params, grads)):
            out = []
            for name, p, g in ((f"W{li}", W, gW), (f"b{li}", b, gb)):
                if opt == "sgd":
                    p = p - eta * g
                elif opt in ("momentum", "nesterov"):
                    v = cfg["beta"] * state.get(name, 0) + g
                    state[name] = v
                    p = p - eta * (v if opt == "momentum" else g + cfg["beta"] * v)
                elif opt == "rmsprop":
                    s = cfg["rho"] * state.get(name, 0) + (1 - cfg["rho"]) * g * g
                    state[name] = s
                    p = p - eta * g / (np.sqrt(s) + cfg["epsilon"])
                elif opt == "adagrad":
                    s = state.get(name, 0) + g * g
                    state[name] = s
                    p = p - eta * g / (np.sqrt(s) + cfg["epsilon"])
                else:
                    if opt == "adamw":
                        p = p * (1 - eta * cfg["weight_decay"])
                    m = cfg["beta1"] * state.get(name + "m", 0) + (1 - cfg["beta1"]) * g
                    v = cfg["beta2"] * state.get(name + "v", 0) + (1 - cfg["beta2"]) * g * g
                    state[name + "m"], state[name + "v"] = m, v
                    mhat, vhat = m / (1 - cfg["beta1"] ** t), v / (1 - cfg["beta2"] ** t)
                    p = p - eta * mhat / (np.sqrt(vhat) + cfg["epsilon"])
                out.append(p)
            new.append(tuple(out))
        params = new
    return params


SETTINGS = {"sgd": {}, "momentum": {"beta": 0.9}, "nesterov": {"beta": 0.8},
            "rmsprop": {"rho": 0.9, "epsilon": 1e-8}, "adagrad": {"epsilon": 1e-10},
            "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
            "adamw": {"beta1": 0.9, "beta2": 0.99, "epsilon": 1e-8, "weight_decay": 0.05}}


@pytest.mark.parametrize("opt", sorted(SETTINGS))
@pytest.mark.parametrize("loss", ["half_sse", "mse", "bce", "cce"])
def test_optimizer_matches_the_published_equations(opt, loss):
    rng = random.Random(zlib.crc32(f"{opt}/{loss}".encode()))        # the same networks on every run
    m = rng.choice([1, 3])
    n_in, hidden = 2, 3
    out = 2 if loss == "cce" else 1
    act = rng.choice(["tanh", "sigmoid", "identity"])
    last = "softmax" if loss == "cce" else ("sigmoid" if loss == "bce" else rng.choice(["identity", "tanh"]))
    r = lambda *shape: np.round(np.array([[rng.uniform(-1, 1) for _ in range(shape[1])] for _ in range(shape[0])]), 1)
    X = r(n_in, m)
    Y = (np.eye(out)[:, [rng.randrange(out) for _ in range(m)]] if loss == "cce"
         else np.array([[float(rng.randint(0, 1)) for _ in range(m)]]) if loss == "bce" else r(out, m))
    W1, b1, W2, b2 = r(hidden, n_in), r(1, hidden)[0], r(out, hidden), r(1, out)[0]
    steps, eta = 3, 0.1
    data = {"network": {"input": X.tolist() if m > 1 else X[:, 0].tolist(),
                        "target": Y.tolist() if m > 1 else Y[:, 0].tolist(),
                        "layers": [{"activation": act, "weights": W1.tolist(), "bias": b1.tolist()},
                                   {"activation": last, "weights": W2.tolist(), "bias": b2.tolist()}],
                        "loss": loss, "learning_rate": eta, "iterations": steps,
                        "optimizer": {"name": opt, **SETTINGS[opt]}}}
    t = solve(spec_from_data(data)).problem()
    want = reference([(W1.copy(), b1.copy()), (W2.copy(), b2.copy())], X, Y, [act, last], loss, eta, steps,
                     opt, SETTINGS[opt])
    for l, (W, b) in enumerate(want, start=1):
        assert np.allclose(t[f"final.W{l}"], W, rtol=1e-5, atol=1e-6), (opt, loss, l)
        assert np.allclose(t[f"final.b{l}"], b, rtol=1e-5, atol=1e-6), (opt, loss, l)


def test_adams_first_step_moves_every_parameter_by_the_learning_rate():
    data = {"network": {"input": [0.5, -1.0], "target": [1.0],
                        "layers": [{"activation": "sigmoid", "weights": [[0.2, -0.4], [0.7, 0.1]], "bias": [0.1, -0.1]},
                                   {"activation": "sigmoid", "weights": [[0.5, -0.3]], "bias": [0.2]}],
                        "loss": "half_sse", "learning_rate": 0.01, "iterations": 1, "optimizer": "adam"}}
    t = solve(spec_from_data(data)).problem()
    for name in ("W1", "b1", "W2", "b2"):
        moved = np.abs(np.asarray(t[f"final.{name}"]) - np.asarray(t[f"init.{name}"]))
        assert np.allclose(moved, 0.01, rtol=1e-5), name       # |m̂ / √v̂| = 1 on the first step


def test_optimizer_settings_are_checked():
    from generator.errors import SpecError
    base = {"input": [1], "target": [0], "layers": [{"activation": "identity", "weights": [[1]]}],
            "loss": "half_sse", "learning_rate": 0.1, "iterations": 1}
    with pytest.raises(SpecError, match="'rho' is not a setting of adam"):
        spec_from_data({"network": {**base, "optimizer": {"name": "adam", "rho": 0.9}}})
    with pytest.raises(SpecError, match="must be below 1"):
        spec_from_data({"network": {**base, "optimizer": {"name": "momentum", "beta": 1.2}}})
    with pytest.raises(SpecError, match="did you mean 'adam'"):
        spec_from_data({"network": {**base, "optimizer": "adma"}})


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_l2_and_mini_batches_match_the_published_equations(opt, batch_size):
    rng = random.Random(zlib.crc32(f"l2/{opt}/{batch_size}".encode()))
    r = lambda *shape: np.round(np.array([[rng.uniform(-1, 1) for _ in range(shape[1])] for _ in range(shape[0])]), 1)
    X, Y = r(2, 4), r(1, 4)
    W1, b1, W2, b2 = r(2, 2), r(1, 2)[0], r(1, 2), r(1, 1)[0]
    lam, eta, steps = 0.05, 0.2, 5
    data = {"network": {"input": X.tolist(), "target": Y.tolist(),
                        "layers": [{"activation": "tanh", "weights": W1.tolist(), "bias": b1.tolist()},
                                   {"activation": "identity", "weights": W2.tolist(), "bias": b2.tolist()}],
                        "loss": "half_sse", "learning_rate": eta, "iterations": steps, "l2": lam,
                        "batch_size": batch_size, "optimizer": {"name": opt, **SETTINGS[opt]}}}
    t = solve(spec_from_data(data)).problem()
    params, state = [(W1.copy(), b1.copy()), (W2.copy(), b2.copy())], {}
    for step in range(1, steps + 1):
        cols = [((step - 1) * batch_size + i) % 4 for i in range(batch_size)]      # consecutive, cyclic
        Xb, Yb = X[:, cols], Y[:, cols]

        def full_loss(ps, Xb=Xb, Yb=Yb):
            return loss_of(ps, Xb, Yb, ["tanh", "identity"], "half_sse") + lam / 2 * sum((W ** 2).sum() for W, _ in ps)
        grads = [[central(lambda: full_loss(params), arr) for arr in (W, b)] for W, b in params]
        params = reference_step(params, grads, eta, opt, SETTINGS[opt], state, step)
    for l, (W, b) in enumerate(params, start=1):
        assert np.allclose(t[f"final.W{l}"], W, rtol=1e-5, atol=1e-6), (opt, batch_size, l)
        assert np.allclose(t[f"final.b{l}"], b, rtol=1e-5, atol=1e-6), (opt, batch_size, l)
    assert t["it1.loss"] == pytest.approx(t["it1.loss_data"] + lam / 2 * sum(
        (np.asarray(t[f"init.W{l}"]) ** 2).sum() for l in (1, 2)))


def reference_step(params, grads, eta, opt, cfg, state, t):
    out = []
    for li, ((W, b), (gW, gb)) in enumerate(zip(params, grads)):
        new = []
        for name, p, g in ((f"W{li}", W, gW), (f"b{li}", b, gb)):
            if opt == "sgd":
                p = p - eta * g
            elif opt == "momentum":
                v = cfg["beta"] * state.get(name, 0) + g
                state[name] = v
                p = p - eta * v
            else:
                m = cfg["beta1"] * state.get(name + "m", 0) + (1 - cfg["beta1"]) * g
                v = cfg["beta2"] * state.get(name + "v", 0) + (1 - cfg["beta2"]) * g * g
                state[name + "m"], state[name + "v"] = m, v
                p = p - eta * (m / (1 - cfg["beta1"] ** t)) / (np.sqrt(v / (1 - cfg["beta2"] ** t)) + cfg["epsilon"])
            new.append(p)
        out.append(tuple(new))
    return out


@pytest.mark.parametrize("p_drop", [0.5, 0.25])
def test_dropout_forward_backward_and_update(p_drop):
    rng = random.Random(zlib.crc32(f"drop/{p_drop}".encode()))
    r = lambda *shape: np.round(np.array([[rng.uniform(-1, 1) for _ in range(shape[1])] for _ in range(shape[0])]), 1)
    X, Y = r(2, 3), np.array([[1.0, 0.0, 1.0]])
    W1, b1, W2, b2 = r(3, 2), r(1, 3)[0], r(1, 3), r(1, 1)[0]
    M = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=float)
    data = {"network": {"input": X.tolist(), "target": Y.tolist(),
                        "layers": [{"activation": "tanh", "weights": W1.tolist(), "bias": b1.tolist(),
                                    "dropout": {"p": p_drop, "mask": M.tolist()}},
                                   {"activation": "sigmoid", "weights": W2.tolist(), "bias": b2.tolist()}],
                        "loss": "bce", "learning_rate": 0.5, "iterations": 1}}
    t = solve(spec_from_data(data)).problem()

    def dropped_loss(ps):
        (A, a_b), (B, b_b) = ps
        h = np.tanh(A @ X + a_b[:, None]) * M / (1 - p_drop)
        yh = 1 / (1 + np.exp(-(B @ h + b_b[:, None])))
        return float((-(Y * np.log(yh) + (1 - Y) * np.log(1 - yh))).sum() / X.shape[1])
    params = [(W1.copy(), b1.copy()), (W2.copy(), b2.copy())]
    for l, (W, b) in enumerate(params, start=1):
        g = central(lambda: dropped_loss(params), W)
        assert np.allclose(t[f"it1.dW{l}"], g, rtol=1e-5, atol=1e-7), l
        assert np.allclose(t[f"final.W{l}"], W - 0.5 * g, rtol=1e-5, atol=1e-7), l
    assert t["it1.loss"] == pytest.approx(dropped_loss(params), rel=1e-9)
    assert np.allclose(t["final.a1"], np.tanh(np.asarray(t["final.W1"]) @ X + np.asarray(t["final.b1"])[:, None]))   # no dropout after training
