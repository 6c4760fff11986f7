"""Gradient descent on a dense network, step by step, in exact decimal arithmetic (``exact``).

Every intermediate passes through ``observe(name, value, kind, formula, sample_axis, rounded)``,
which returns the value the computation goes on with: the full value, or in carry mode the value
rounded as a student writes it down.  ``rounded=False`` marks an exact intermediate (a product or
a sum of printed values) that is never rounded: a student keeps all its digits.  Arrays are
``units × samples``; ``sample_axis`` tells the observer where the samples are."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ...engine import dense, exact
from ...trace import ProblemTrace, Recorder, training


class Observer(Protocol):
    def __call__(self, name: str, value, kind: str, formula: str,
                 sample_axis: int | None = None, rounded: bool = True): ...


def forward(net, params, pre: str, observe: Observer, X=None, cols=None, train=False):
    """One forward pass from ``X`` (default: every sample, ``net.inputs``); returns
    (activations a0…aL, pre-activations, ŷ, activations before dropout).  ``train``: inverted
    dropout applies (the samples ``cols`` of each layer's mask); the final pass has none."""
    acts, zs = [exact.array(net.inputs) if X is None else X], [None]
    fs = [acts[0]]
    for l, layer in enumerate(net.layers, start=1):
        W, b = params[l]
        prev = acts[-1]
        # products W_ij · a_j for each unit i and sample s: shape out × samples × in
        prod = observe(f"{pre}.prod{l}", W[:, None, :] * prev.T[None, :, :], "preactivation",
                       f"W{l}_ij a{l-1}_j", sample_axis=1, rounded=False)
        wa = observe(f"{pre}.Wa{l}", prod.sum(axis=2), "preactivation", f"W{l} a{l-1}", sample_axis=1,
                     rounded=False)
        z = wa + b[:, None] if b is not None else wa
        z = observe(f"{pre}.z{l}", z, "preactivation",
                    f"z{l} = W{l} a{l-1}" + (f" + b{l}" if b is not None else ""), sample_axis=1)
        if layer.activation == "softmax":      # as by hand: the exponentials, their sum, the quotients
            e = observe(f"{pre}.exp{l}", exact.exp(z), "activation", f"e^z{l}", sample_axis=1)
            total = observe(f"{pre}.expsum{l}", e.sum(axis=0, keepdims=True), "activation",
                            f"sum_j e^z{l}_j", sample_axis=1, rounded=False)
            a = observe(f"{pre}.a{l}", e / total, "activation", f"a{l} = e^z{l} / sum", sample_axis=1)
        else:
            name = f"{pre}.f{l}" if train and layer.dropout_mask is not None else f"{pre}.a{l}"
            a = observe(name, dense.activate(layer.activation, z, layer.slope), "activation",
                        f"{layer.activation}(z{l})", sample_axis=1)
        fs.append(a)
        if train and layer.dropout_mask is not None:     # inverted dropout: kept units scaled by 1/(1 − p)
            mask = observe(f"{pre}.mask{l}", _mask(layer, cols), "activation", f"dropout mask of layer {l}",
                           sample_axis=1, rounded=False, given=True)
            a = observe(f"{pre}.a{l}", a * mask / (1 - exact.D(layer.dropout_p)), "activation",
                        f"a{l} = f{l} * mask / (1 - p)", sample_axis=1)
        zs.append(z)
        acts.append(a)
    yhat = acts[-1]
    if net.output == "sum":
        yhat = observe(f"{pre}.y", yhat.sum(axis=0, keepdims=True), "activation",
                       f"y = sum_i a{len(net.layers)}_i", sample_axis=1)
    return acts, zs, yhat, fs


def _mask(layer, cols):
    mask = exact.array(layer.dropout_mask)
    return mask if cols is None else mask[:, cols]


def loss(net, yhat, pre: str, observe: Observer, Y=None, params=None):
    """The sample-averaged loss, with its terms (and the error ŷ − y where there is a target); with
    ``net.l2`` plus (λ/2)·Σ w² over the weights of ``params`` (not the biases)."""
    y = (None if net.targets is None else exact.array(net.targets)) if Y is None else Y
    if y is not None:
        observe(f"{pre}.err", yhat - y, "loss", "yhat - y", sample_axis=1, rounded=False)
    if net.loss in ("bce", "cce"):
        # the logarithms are written down (rounded); the terms are exact products of them
        lns = observe(f"{pre}.ln_yhat", dense.ln_where(y, yhat), "loss", "ln yhat (where y is not 0)",
                      sample_axis=1)
        terms = -(y * lns)
        if net.loss == "bce":
            ln1 = observe(f"{pre}.ln_1m_yhat", dense.ln_where(exact.ONE - y, exact.ONE - yhat), "loss",
                          "ln(1 - yhat) (where 1 - y is not 0)", sample_axis=1)
            terms = terms - (exact.ONE - y) * ln1
    else:
        terms = dense.loss_terms(net.loss, yhat, y)          # squares of printed values: exact
    terms = observe(f"{pre}.loss_terms", terms, "loss", f"terms of {net.loss}", sample_axis=1,
                    rounded=False)
    m = yhat.shape[1]
    value = terms.sum() / exact.D(dense.loss_divisor(net.loss, yhat.shape[0]) * m)
    if net.l2 and params is not None:
        data = observe(f"{pre}.loss_data", value, "loss", f"the {net.loss} loss")
        squares = sum((W * W).sum() for W, _ in params.values())
        squares = observe(f"{pre}.sumsq", squares, "loss", "sum of the squared weights", rounded=False)
        penalty = observe(f"{pre}.l2", exact.D(net.l2) / 2 * squares, "loss", "lambda/2 sum w^2")
        value = data + penalty
    return observe(f"{pre}.loss", value, "loss", f"L = {net.loss}" + (" + L2" if net.l2 else ""))


def backward(net, params, acts, zs, yhat, pre: str, observe: Observer, Y=None, fs=None, cols=None):
    """Gradients of the loss for every layer: {l: (dW, db or None)}; with ``net.l2`` each dW
    gains λW."""
    L = len(net.layers)
    m = yhat.shape[1]
    last = net.layers[-1]
    y = (None if net.targets is None else exact.array(net.targets)) if Y is None else Y
    grads = {}
    dyhat = observe(f"{pre}.dL_dyhat", dense.loss_grad(net.loss, yhat, y), "gradient",
                    "dL/dyhat", sample_axis=1)
    if net.output == "sum":
        ones = observe(f"{pre}.dy_da", exact.full(acts[L].shape, 1), "gradient", "dy/da = 1",
                       sample_axis=1, rounded=False)
        da = observe(f"{pre}.da{L}", dyhat * ones, "gradient", f"dL/da{L} = dL/dy dy/da", sample_axis=1)
    else:
        da = observe(f"{pre}.da{L}", dyhat, "gradient", f"dL/da{L} = dL/dyhat", sample_axis=1)
    if net.output != "sum" and dense.combined_delta(net.loss, last.activation):
        delta = observe(f"{pre}.delta{L}", yhat - y, "gradient",
                        f"delta{L} = yhat - y", sample_axis=1)
    else:
        delta = _delta(net, L, da, fs or acts, zs, pre, observe, cols)
    for l in range(L, 0, -1):
        W, b = params[l]
        prev = acts[l - 1]
        name = f"{pre}.dWdata{l}" if net.l2 else f"{pre}.dW{l}"
        if m > 1:
            total = observe(f"{pre}.dWsum{l}", delta @ prev.T, "gradient", f"delta{l} a{l-1}^T",
                            rounded=False)
            dW = observe(name, total / exact.D(m), "gradient", f"dL/dW{l} = 1/m delta{l} a{l-1}^T")
        else:
            dW = observe(name, delta @ prev.T, "gradient", f"dL/dW{l} = delta{l} a{l-1}^T")
        if net.l2:
            decay = observe(f"{pre}.l2W{l}", exact.D(net.l2) * W, "gradient", f"lambda W{l}", rounded=False)
            dW = observe(f"{pre}.dW{l}", dW + decay, "gradient", f"dL/dW{l} + lambda W{l}")
        db = None
        if b is not None:
            db = observe(f"{pre}.db{l}", delta.sum(axis=1) / exact.D(m), "gradient",
                         f"dL/db{l} = mean delta{l}" if m > 1 else f"dL/db{l} = delta{l}")
        grads[l] = (dW, db)
        if l > 1:
            da = observe(f"{pre}.da{l-1}", W.T @ delta, "gradient",
                         f"dL/da{l-1} = W{l}^T delta{l}", sample_axis=1)
            delta = _delta(net, l - 1, da, fs or acts, zs, pre, observe, cols)
    return grads


def _delta(net, l, da, acts, zs, pre, observe, cols=None):
    """δ of layer l from ∂L/∂a; ``acts``: the activations before dropout; through a dropout
    mask first (∂L/∂f = ∂L/∂a · mask / (1 − p))."""
    layer = net.layers[l - 1]
    if layer.dropout_mask is not None and pre != "final":
        mask = exact.array(layer.dropout_mask if cols is None else layer.dropout_mask[:, cols])
        da = observe(f"{pre}.df{l}", da * mask / (1 - exact.D(layer.dropout_p)), "gradient",
                     f"dL/df{l} = dL/da{l} * mask / (1 - p)", sample_axis=1)
    if layer.activation == "softmax":
        J = observe(f"{pre}.J{l}", dense.softmax_jacobian(acts[l]), "gradient",
                    f"da{l}/dz{l} = diag(a) - a a^T", sample_axis=0)
        value = np.stack([J[s].T @ da[:, s] for s in range(da.shape[1])], axis=1)
        return observe(f"{pre}.delta{l}", value, "gradient", f"delta{l} = J{l}^T dL/da{l}", sample_axis=1)
    g = observe(f"{pre}.g{l}", dense.derivative(layer.activation, zs[l], acts[l], layer.slope,
                                                net.grad_at_zero(layer)),
                "gradient", f"da{l}/dz{l} = {layer.activation}'(z{l})", sample_axis=1)
    return observe(f"{pre}.delta{l}", da * g, "gradient", f"delta{l} = dL/da{l} * g{l}", sample_axis=1)


def update(net, params, grads, pre: str, observe: Observer, state: dict, t: int):
    """One step of the network's optimizer (PyTorch's equations, torch.optim); frozen and absent
    parameters keep their value.  ``state`` carries each parameter's velocity or moments from
    step to step; ``t`` is the step number (Adam's bias corrections)."""
    new = {}
    for l, layer in enumerate(net.layers, start=1):
        W, b = params[l]
        dW, db = grads[l]
        if layer.train_weights:
            W = _step(net, f"W{l}", W, dW, pre, observe, state, t)
        W = observe(f"{pre}.W{l}", W, "parameter", f"W{l} <- W{l} - eta dL/dW{l}"
                    if layer.train_weights else f"W{l} (frozen)", rounded=layer.train_weights)
        if b is not None:
            if layer.train_bias:
                b = _step(net, f"b{l}", b, db, pre, observe, state, t)
            b = observe(f"{pre}.b{l}", b, "parameter", f"b{l} <- b{l} - eta dL/db{l}"
                        if layer.train_bias else f"b{l} (frozen)", rounded=layer.train_bias)
        new[l] = (W, b)
    return new


def _step(net, P: str, value, g, pre: str, observe: Observer, state: dict, t: int):
    """The parameter ``P`` (W1, b2 …) after one optimizer step, before it is rounded; every state
    variable is observed (``it2.mW1``, ``it2.vW1`` …, see docs/trace.md)."""
    opt, eta = net.optimizer, exact.D(net.learning_rate)
    D = lambda key: exact.D(opt.get(key))
    zero = exact.full(np.shape(value))
    if opt.name == "sgd":
        step = observe(f"{pre}.step{P}", eta * g, "gradient", f"eta dL/d{P}", rounded=False)
        return value - step
    if opt.name in ("momentum", "nesterov"):
        vel = observe(f"{pre}.vel{P}", D("beta") * state.get(f"vel{P}", zero) + g, "gradient",
                      f"v{P} <- beta v{P} + dL/d{P}")
        state[f"vel{P}"] = vel
        direction = vel
        if opt.name == "nesterov":
            direction = observe(f"{pre}.dir{P}", g + D("beta") * vel, "gradient", f"dL/d{P} + beta v{P}")
        step = observe(f"{pre}.step{P}", eta * direction, "gradient", f"eta v{P}", rounded=False)
        return value - step
    if opt.name in ("rmsprop", "adagrad"):
        acc = state.get(f"s{P}", zero)
        acc = D("rho") * acc + (1 - D("rho")) * g * g if opt.name == "rmsprop" else acc + g * g
        acc = observe(f"{pre}.s{P}", acc, "gradient", f"s{P} (accumulated squares)")
        state[f"s{P}"] = acc
        den = observe(f"{pre}.den{P}", exact.sqrt(acc) + D("epsilon"), "gradient", f"sqrt(s{P}) + epsilon")
        zeros = _spare(observe, f"{pre}.den{P}", _zeros(observe, pre, P, g, state))
        step = observe(f"{pre}.step{P}", _quotient(eta * g, den, zeros), "gradient",
                       f"eta dL/d{P} / (sqrt(s{P}) + epsilon)")
        return value - step
    if opt.name == "adamw":                       # decoupled weight decay, before the Adam step
        value = observe(f"{pre}.decay{P}", value - eta * D("weight_decay") * value, "parameter",
                        f"{P} - eta lambda {P}")
    m = observe(f"{pre}.m{P}", D("beta1") * state.get(f"m{P}", zero) + (1 - D("beta1")) * g, "gradient",
                f"m{P} <- beta1 m{P} + (1 - beta1) dL/d{P}")
    v = observe(f"{pre}.v{P}", D("beta2") * state.get(f"v{P}", zero) + (1 - D("beta2")) * g * g, "gradient",
                f"v{P} <- beta2 v{P} + (1 - beta2) (dL/d{P})^2")
    state[f"m{P}"], state[f"v{P}"] = m, v
    mhat = observe(f"{pre}.mhat{P}", m / (1 - D("beta1") ** t), "gradient", f"m{P} / (1 - beta1^{t})")
    vhat = observe(f"{pre}.vhat{P}", v / (1 - D("beta2") ** t), "gradient", f"v{P} / (1 - beta2^{t})")
    den = observe(f"{pre}.den{P}", exact.sqrt(vhat) + D("epsilon"), "gradient", f"sqrt(vhat{P}) + epsilon")
    # m is 0 only where every gradient so far was exactly 0
    zeros = _zeros(observe, pre, P, g, state) & state.get(f"zeros{P}", True)
    state[f"zeros{P}"] = zeros
    _spare(observe, f"{pre}.den{P}", zeros)
    step = observe(f"{pre}.step{P}", _quotient(eta * mhat, den, zeros), "gradient",
                   f"eta mhat{P} / (sqrt(vhat{P}) + epsilon)")
    return value - step


def _zeros(observe, pre: str, P: str, g, state: dict) -> np.ndarray:
    """Where the gradient ``g`` of ``P`` is exactly 0 with no rounding involved (an input or an
    activation that is exactly 0): there the step is exactly 0.  A gradient that carried
    rounding made 0 (1e−9 written 0.0000) is not: its step is not 0 at full precision."""
    zero = np.asarray(g, dtype=object) == 0
    entries = getattr(getattr(observe, "problem", None), "entries", {})
    entry = entries.get(f"{pre}.d{P}")
    if entry is not None and np.shape(entry.exact_mask) == zero.shape:
        zero = zero & np.asarray(entry.exact_mask, dtype=bool)
    return zero


def _spare(observe, name: str, zeros):
    """``zeros``, after telling the guard that the entries of the denominator ``name`` over an
    exactly-0 numerator are harmless where rounding made them 0 (a later failure then names an
    entry that does divide by it)."""
    critical = getattr(observe, "critical", None)
    if critical and critical[-1][0] == name:
        what, formula, hits, prec = critical[-1]
        mask = np.asarray(zeros, dtype=bool)
        kept = [h for h in hits if not (mask[h[0]] if mask.shape else bool(mask))]
        if kept:
            critical[-1] = (what, formula, kept, prec)
        else:
            critical.pop()
    return zeros


def _quotient(num, den, zeros):
    """``num / den`` entry by entry, an entry whose numerator is exactly 0 (``zeros``) being
    exactly 0 without a division: a zero gradient takes a zero step even where carried rounding
    made the denominator 0 (√0 + 1e−10 written 0.0000).  Any other numerator over 0 still fails
    (the guard names the rounded denominator)."""
    num, den = np.asarray(num, dtype=object), np.asarray(den, dtype=object)
    num, den, zeros = np.broadcast_arrays(num, den, np.asarray(zeros, dtype=bool))
    out = np.empty(num.shape, dtype=object)
    for idx in np.ndindex(num.shape):
        out[idx] = exact.ZERO if zeros[idx] and num[idx] == 0 else num[idx] / den[idx]
    return out if out.ndim else out.item()


def train(net, observe: Observer) -> dict:
    """All iterations of gradient descent, then one more forward pass (``final.*``)."""
    params = {l: (exact.array(layer.weights), None if layer.bias is None else exact.array(layer.bias))
              for l, layer in enumerate(net.layers, start=1)}
    state: dict = {}
    X_all = exact.array(net.inputs)
    Y_all = None if net.targets is None else exact.array(net.targets)
    for k in range(1, net.iterations + 1):
        pre = f"it{k}"
        X, Y, cols = X_all, Y_all, None
        if net.batch_size:                   # the k-th mini-batch: consecutive samples, cyclically
            cols = minibatch(net, k)
            X = observe(f"{pre}.x", X_all[:, cols], "activation", "the samples of this mini-batch",
                        sample_axis=1, rounded=False, given=True)
            if Y_all is not None:
                Y = observe(f"{pre}.target", Y_all[:, cols], "activation", "their targets",
                            sample_axis=1, rounded=False, given=True)
        acts, zs, yhat, fs = forward(net, params, pre, observe, X, cols, train=True)
        loss(net, yhat, pre, observe, Y, params)
        grads = backward(net, params, acts, zs, yhat, pre, observe, Y, fs, cols)
        params = update(net, params, grads, pre, observe, state, k)
    for l, (W, b) in list(params.items()):
        layer = net.layers[l - 1]
        W = observe(f"final.W{l}", W, "parameter", f"W{l} after {net.iterations} iterations",
                    rounded=layer.train_weights)
        if b is not None:
            b = observe(f"final.b{l}", b, "parameter", f"b{l} after {net.iterations} iterations",
                        rounded=layer.train_bias)
        params[l] = (W, b)            # the final pass uses them (a student's own, when grading)
    acts, zs, yhat, _ = forward(net, params, "final", observe)
    loss(net, yhat, "final", observe, None, params)
    return params


def minibatch(net, k: int) -> list[int]:
    """The samples (columns) of mini-batch k: batch_size consecutive samples, cyclically."""
    from .schema import minibatch as samples
    return samples(net, k)


def solve(net, policy, overrides=None) -> ProblemTrace:
    """The trace of training ``net`` under ``policy``; ``overrides``: a student's own values
    ({trace name: {index: value}}) used in place of the computed ones."""

    info = {"batch": net.batch, "samples": net.samples, "iterations": net.iterations,
            "layers": [{"units": l.units, "activation": l.activation, "bias": l.bias is not None,
                        "train_weights": l.train_weights, "train_bias": l.train_bias}
                       for l in net.layers],
            "inputs": int(net.inputs.shape[0]), "output": net.output, "loss": net.loss,
            "learning_rate": net.learning_rate, "mode": policy.mode,
            # δ of the output layer is ŷ − y (sigmoid + BCE, softmax + CCE): as the engine computes it
            "combined_delta": net.output != "sum" and dense.combined_delta(net.loss, net.layers[-1].activation)}
    problem = ProblemTrace(id=net.id, kind="network", info=info)
    rec = Recorder(problem, policy, batch=net.batch, overrides=overrides)
    rec.given("x", net.inputs if net.batch else net.inputs[:, 0], "input")
    if net.targets is not None:
        rec.given("target", net.targets if net.batch else net.targets[:, 0], "target")
    for l, layer in enumerate(net.layers, start=1):
        rec.given(f"init.W{l}", layer.weights, f"initial W{l}")
        if layer.bias is not None:
            rec.given(f"init.b{l}", layer.bias, f"initial b{l}")
    rec.given("learning_rate", net.learning_rate, "eta")
    for l, layer in enumerate(net.layers, start=1):
        if layer.dropout_mask is not None:
            with exact.arithmetic():
                rec.given(f"drop.keep{l}", 1 - exact.D(layer.dropout_p), "1 - p")
    _optimizer_constants(net, rec)
    with training(net.id):
        train(net, rec)
    # only losses over the same data (samples, dropout masks) show a trend: schema.comparable
    from .schema import comparable
    pairs = [(problem.dec(a.name + ".loss"), problem.dec(b.name + ".loss"))
             for group in comparable(net) for a, b in zip(group, group[1:])]
    problem.info["loss_decreased"] = bool(pairs) and all(b < a for a, b in pairs)
    return problem


def _optimizer_constants(net, rec) -> None:
    """The constants an optimizer's lines print (β, 1 − β, ε, ηλ, and Adam's 1 − βᵗ per step),
    exact decimals recorded as given values: the templates only format them."""
    opt = net.optimizer
    with exact.arithmetic():
        for key, value in opt.settings:
            rec.given(f"opt.{key}", value, key)
            if key in ("beta1", "beta2", "rho"):
                rec.given(f"opt.one_minus_{key}", 1 - exact.D(value), f"1 - {key}")
        if opt.name == "adamw":
            rec.given("opt.eta_lambda", exact.D(net.learning_rate) * exact.D(opt.get("weight_decay")), "eta lambda")
        if opt.name in ("adam", "adamw"):
            for t in range(1, net.iterations + 1):
                for key in ("beta1", "beta2"):
                    rec.given(f"it{t}.bc_{key}", 1 - exact.D(opt.get(key)) ** t, f"1 - {key}^{t}")
