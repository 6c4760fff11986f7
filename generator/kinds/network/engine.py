"""Gradient descent on a dense network, step by step, composed of the shared operations
(``generator.ops``): every value is a step of a ``Graph`` that records it with its operation and
operands, in exact decimal arithmetic; in carry mode each step goes on with the value rounded as a
student writes it down (an exact intermediate, ``rounded=False``, keeps all its digits).

Values are laid out as the trace shows them (docs/trace.md): with a batch, per-sample values are
``units × samples`` matrices; with a single sample they are vectors, so that every printed line is
the operation of the values it prints.  Nothing here computes a value itself."""

from __future__ import annotations

from ...engine.dense import combined_delta
from ...ops import Graph
from ...ops import compose, optimizers
from ...trace import ProblemTrace, Recorder, training

#: The operation of a loss of squares that has no divisor of its own, averaged over m > 1 samples:
#: its sum of squares over the count m (cross-entropies are computed from their written logarithms).
_OVER_SAMPLES = {"sse": "mse", "half_sse": "half_mse", "square": "mean_square"}
_GRADS = {"sse": "sse_grad", "half_sse": "half_sse_grad", "mse": "mse_grad", "half_mse": "half_mse_grad",
          "square": "square_grad", "bce": "bce_grad", "cce": "cce_grad"}
_FORWARD = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "identity": "identity"}


def _prev(k: int, P: str) -> str:
    """Trace name of parameter ``P`` (W1, b2 …) before the update of iteration k."""
    return f"init.{P}" if k == 1 else f"it{k - 1}.{P}"


class _Pass:
    """What one pass (``it3`` or ``final``) computes with: its parameters, its input and target,
    its samples (``cols``: the columns of a mini-batch, None for all) and whether it trains."""

    def __init__(self, net, pre: str, k: int | None, x: str, target: str | None, cols, train: bool):
        self.net, self.pre, self.k, self.x, self.target, self.cols, self.train = net, pre, k, x, target, cols, train

    def W(self, l: int) -> str:
        return f"final.W{l}" if self.k is None else _prev(self.k, f"W{l}")

    def b(self, l: int) -> str:
        return f"final.b{l}" if self.k is None else _prev(self.k, f"b{l}")

    def a(self, l: int) -> str:
        """The activation a⁽ˡ⁾ a later layer takes (a⁽⁰⁾: the input)."""
        return self.x if l == 0 else f"{self.pre}.a{l}"

    def before_dropout(self, l: int) -> str:
        return f"{self.pre}.f{l}" if self.dropout(l) else f"{self.pre}.a{l}"

    def dropout(self, l: int) -> bool:
        return self.train and self.net.layers[l - 1].dropout_mask is not None

    def output(self) -> str:
        return f"{self.pre}.y" if self.net.output == "sum" else f"{self.pre}.a{len(self.net.layers)}"


def _samples(g, p: _Pass) -> int:
    """The number of samples pass ``p`` computes with (1 for a single sample, a vector)."""
    shape = g.value(p.x).shape
    return shape[1] if len(shape) == 2 else 1


def forward(g, p: _Pass) -> None:
    """One forward pass: per layer the products W_ij a_j, W a, z, the activation (with inverted
    dropout in training), then the output."""
    net, pre = p.net, p.pre
    batch = net.batch
    for l, layer in enumerate(net.layers, start=1):
        W, b, a = p.W(l), p.b(l), p.a(l - 1)
        note = {"l": l}
        g.apply("matmul_terms", f"{pre}.prod{l}", [W, a], "preactivation", formula=f"W{l}_ij a{l-1}_j",
                rounded=False, note=("prod", note))
        product = "matmul" if batch else "affine"
        g.apply(product, f"{pre}.Wa{l}", [W, a], "preactivation", formula=f"W{l} a{l-1}", rounded=False,
                note=("Wa", note))
        formula = f"z{l} = W{l} a{l-1}" + (f" + b{l}" if layer.bias is not None else "")
        if layer.bias is None:
            g.apply(product, f"{pre}.z{l}", [W, a], "preactivation", formula=formula, note=("z", note))
        elif batch:
            g.apply("sum", f"{pre}.z{l}", [f"{pre}.Wa{l}", (b, (0,))], "preactivation", formula=formula,
                    note=("z", note))
        else:
            g.apply("affine", f"{pre}.z{l}", [W, a, b], "preactivation", formula=formula, bias=True, note=("z", note))
        z = f"{pre}.z{l}"
        out = p.before_dropout(l)
        formula = f"{layer.activation}(z{l})"
        key = ("f", note) if p.dropout(l) else ("a", note)
        if layer.activation == "softmax":      # as by hand: the exponentials, their sum, the quotients
            compose.softmax(g, z, exp=f"{pre}.exp{l}", total=f"{pre}.expsum{l}", out=out, axis=0,
                            notes=(("exp", note), ("expsum", note), key), rounded=(True, False, True))
        elif layer.activation == "leaky_relu":
            g.apply("leaky_relu_by", out, [z], "activation", formula=formula, slope=layer.slope, note=key)
        else:
            g.apply(_FORWARD[layer.activation], out, [z], "activation", formula=formula, note=key)
        if p.dropout(l):                       # inverted dropout: kept units scaled by 1/(1 − p)
            mask = layer.dropout_mask if p.cols is None else layer.dropout_mask[:, p.cols]
            g.apply("constant", f"{pre}.mask{l}", [], "activation", formula=f"dropout mask of layer {l}",
                    rounded=False, given=True, value=mask if batch else mask[:, 0], note=("mask", note))
            g.apply("product_over", f"{pre}.a{l}", [out, f"{pre}.mask{l}", (f"drop.keep{l}", ())], "activation",
                    formula=f"a{l} = f{l} * mask / (1 - p)", note=("a", note))
    if net.output == "sum":
        L = len(net.layers)
        g.apply("sum_keep", f"{pre}.y", [f"{pre}.a{L}"], "activation", formula=f"y = sum_i a{L}_i", axis=0,
                note=("y", {}))


def loss(g, p: _Pass) -> None:
    """The sample-averaged loss (and the error ŷ − y where there is a target); with ``net.l2`` plus
    (λ/2)·Σ w² over the weights of the pass (not the biases)."""
    net, pre = p.net, p.pre
    yhat, y = p.output(), p.target
    m = _samples(g, p)
    n = g.value(yhat).shape[0]
    if y is not None:
        g.apply("difference", f"{pre}.err", [yhat, y], "loss", formula="yhat - y", rounded=False, note=("err", {}))
    name = f"{pre}.loss_data" if net.l2 else f"{pre}.loss"
    formula = f"the {net.loss} loss" if net.l2 else f"L = {net.loss}"
    key = "loss_data" if net.l2 else "loss"
    if net.loss == "multiclass_hinge":
        # the true class's score s_c, the terms max(0, s_j − s_c + 1) of the other classes, their mean
        per = (1,) if net.batch else ()
        g.apply("dot_along", f"{pre}.score_true", [yhat, y], "loss", formula="s_c = sum_i y_i s_i (y one-hot)",
                axis=0, rounded=False, note=("score_true", {}))
        g.apply("hinge_terms", f"{pre}.loss_terms", [yhat, (f"{pre}.score_true", per), y], "loss",
                formula="max(0, s_j - s_c + 1) for j not the class", rounded=False, note=("loss_terms", {}))
        if m == 1:
            g.apply("sum_along", name, [f"{pre}.loss_terms"], "loss", formula=formula, axis=None, note=(key, {}))
        else:
            g.apply("mean_along", name, [f"{pre}.loss_terms"], "loss", formula=formula, axis=None, count=m,
                    note=(key, {}))
    elif net.loss in ("bce", "cce"):
        # the logarithms are written down (rounded); the terms and the loss are exact in them
        g.apply("ln_where", f"{pre}.ln_yhat", [yhat, y], "loss", formula="ln yhat (where y is not 0)",
                note=("ln_yhat", {}))
        logs = [y, f"{pre}.ln_yhat"]
        if net.loss == "bce":
            g.apply("ln_complement_where", f"{pre}.ln_1m_yhat", [yhat, y], "loss",
                    formula="ln(1 - yhat) (where 1 - y is not 0)", note=("ln_1m_yhat", {}))
            logs.append(f"{pre}.ln_1m_yhat")
        g.apply(f"{net.loss}_log_terms", f"{pre}.loss_terms", logs, "loss", formula=f"terms of {net.loss}",
                rounded=False, note=("loss_terms", {}))
        g.apply(f"{net.loss}_of_logs", name, logs, "loss", formula=formula, count=m, note=(key, {}))
    else:
        if net.loss == "square":
            g.apply("product", f"{pre}.loss_terms", [yhat, yhat], "loss", formula="terms of square", rounded=False,
                    note=("loss_terms", {}))
        else:
            g.apply("squared_error", f"{pre}.loss_terms", [yhat, y], "loss", formula=f"terms of {net.loss}",
                    rounded=False, note=("loss_terms", {}))
        if net.loss in ("mse", "half_mse"):    # the mean over every output of every sample
            op, params = net.loss, {"count": n * m}
        elif m == 1:
            op, params = net.loss, {}
        else:                                   # sse, ½sse, square: the mean over the samples
            op, params = _OVER_SAMPLES[net.loss], {"count": m}
        g.apply(op, name, [yhat] if net.loss == "square" else [yhat, y], "loss", formula=formula,
                note=(key, {}), **params)
    if net.l2:
        weights = [p.W(l) for l in range(1, len(net.layers) + 1)]
        g.apply("sum_of_squares", f"{pre}.sumsq", weights, "loss", formula="sum of the squared weights",
                rounded=False, note=("sumsq", {}))
        g.apply("l2_penalty", f"{pre}.l2", weights, "loss", formula="lambda/2 sum w^2", lam=net.l2,
                note=("l2", {}))
        g.apply("sum", f"{pre}.loss", [name, f"{pre}.l2"], "loss", formula=f"L = {net.loss} + L2",
                note=("loss", {}))


def backward(g, p: _Pass) -> None:
    """Gradients of the loss for every layer: ∂L/∂W (with ``net.l2`` plus λW) and ∂L/∂b."""
    net, pre = p.net, p.pre
    L = len(net.layers)
    m = _samples(g, p)
    batch = net.batch
    last = net.layers[-1]
    yhat, y = p.output(), p.target
    if net.loss == "multiclass_hinge":
        # per sample (the batch's 1/m comes with ∂L/∂W, as for every loss): ∂ℓ/∂s_j = 1[ℓ_j > 0] for
        # the other classes, −(their count) for the true class; 0 at the hinge ℓ_j = 0 (a subgradient)
        per = (1,) if batch else ()
        g.apply("positive_indicator", f"{pre}.hinge_active", [f"{pre}.loss_terms"], "gradient",
                formula="1[l_j > 0]", rounded=False, note=("hinge_active", {}))
        g.apply("sum_along", f"{pre}.hinge_count", [f"{pre}.hinge_active"], "gradient",
                formula="the number of active terms", axis=0, rounded=False, note=("hinge_count", {}))
        g.apply("hinge_grad", f"{pre}.dL_dyhat", [f"{pre}.hinge_active", y, (f"{pre}.hinge_count", per)],
                "gradient", formula="dl/ds = 1[l_j > 0] - y_j count (per sample)", count=1,
                note=("dL_dyhat", {}))
    else:
        count = {"count": g.value(yhat).shape[0]} if net.loss in ("mse", "half_mse") else {}
        g.apply(_GRADS[net.loss], f"{pre}.dL_dyhat", [yhat] if net.loss == "square" else [yhat, y], "gradient",
                formula="dL/dyhat", note=("dL_dyhat", {}), **count)
    if net.output == "sum":
        g.apply("identity_slope", f"{pre}.dy_da", [f"{pre}.a{L}"], "gradient", formula="dy/da = 1", rounded=False,
                note=("dy_da", {"l": L}))
        g.apply("broadcast_product", f"{pre}.da{L}", [f"{pre}.dL_dyhat", f"{pre}.dy_da"], "gradient",
                formula=f"dL/da{L} = dL/dy dy/da", note=("da", {"l": L}))
    else:
        g.apply("identity", f"{pre}.da{L}", [f"{pre}.dL_dyhat"], "gradient", formula=f"dL/da{L} = dL/dyhat",
                note=("da", {"l": L}))
    if net.output != "sum" and combined_delta(net.loss, last.activation):
        g.apply("difference", f"{pre}.delta{L}", [yhat, y], "gradient", formula=f"delta{L} = yhat - y",
                note=("delta", {"l": L}))
    else:
        _delta(g, p, L)
    for l in range(L, 0, -1):
        layer = net.layers[l - 1]
        W, a, delta = p.W(l), p.a(l - 1), f"{pre}.delta{l}"
        note = {"l": l}
        name = f"{pre}.dWdata{l}" if net.l2 else f"{pre}.dW{l}"
        key = ("dWdata", note) if net.l2 else ("dW", note)
        if m > 1:
            g.apply("matmul", f"{pre}.dWsum{l}", [delta, a], "gradient", formula=f"delta{l} a{l-1}^T", rounded=False,
                    tb=True, note=("dWsum", note))
            g.apply("over_count", name, [f"{pre}.dWsum{l}"], "gradient", formula=f"dL/dW{l} = 1/m delta{l} a{l-1}^T",
                    count=m, note=key)
        elif batch:
            g.apply("matmul", name, [delta, a], "gradient", formula=f"dL/dW{l} = delta{l} a{l-1}^T", tb=True, note=key)
        else:
            g.apply("outer", name, [delta, a], "gradient", formula=f"dL/dW{l} = delta{l} a{l-1}^T", note=key)
        if net.l2:
            g.apply("scale", f"{pre}.l2W{l}", [W], "gradient", formula=f"lambda W{l}", rounded=False,
                    factor=net.l2, note=("l2W", note))
            g.apply("sum", f"{pre}.dW{l}", [name, f"{pre}.l2W{l}"], "gradient", formula=f"dL/dW{l} + lambda W{l}",
                    note=("dW", note))
        if layer.bias is not None:
            if m > 1:
                g.apply("mean_along", f"{pre}.db{l}", [delta], "gradient", formula=f"dL/db{l} = mean delta{l}",
                        axis=1, count=m, note=("db", note))
            elif batch:
                g.apply("sum_along", f"{pre}.db{l}", [delta], "gradient", formula=f"dL/db{l} = delta{l}", axis=1,
                        note=("db", note))
            else:
                g.apply("identity", f"{pre}.db{l}", [delta], "gradient", formula=f"dL/db{l} = delta{l}",
                        note=("db", note))
        if l > 1:
            g.apply("matmul" if batch else "transposed", f"{pre}.da{l-1}", [W, delta], "gradient",
                    formula=f"dL/da{l-1} = W{l}^T delta{l}", note=("da", {"l": l - 1}), **({"ta": True} if batch else {}))
            _delta(g, p, l - 1)


def _delta(g, p: _Pass, l: int) -> None:
    """δ of layer l from ∂L/∂a: through the dropout mask first (∂L/∂ã = ∂L/∂a ⊙ M / (1 − p)), then
    the activation's derivative (at the activation before dropout)."""
    net, pre = p.net, p.pre
    layer = net.layers[l - 1]
    note = {"l": l}
    da = f"{pre}.da{l}"
    if p.dropout(l):
        g.apply("product_over", f"{pre}.df{l}", [da, f"{pre}.mask{l}", (f"drop.keep{l}", ())], "gradient",
                formula=f"dL/df{l} = dL/da{l} * mask / (1 - p)", note=("df", note))
        da = f"{pre}.df{l}"
    a, z = p.before_dropout(l), f"{pre}.z{l}"
    if layer.activation == "softmax":
        g.apply("softmax_jacobian", f"{pre}.J{l}", [a], "gradient", formula=f"da{l}/dz{l} = diag(a) - a a^T",
                note=("J", note))
        g.apply("stacked_transposed" if net.batch else "transposed", f"{pre}.delta{l}", [f"{pre}.J{l}", da], "gradient",
                formula=f"delta{l} = J{l}^T dL/da{l}", note=("delta", note))
        return
    formula = f"da{l}/dz{l} = {layer.activation}'(z{l})"
    r0 = net.grad_at_zero(layer)
    if layer.activation == "relu":
        g.apply("relu_slope_at", f"{pre}.g{l}", [z], "gradient", formula=formula, at=r0, note=("g", note))
    elif layer.activation == "leaky_relu":
        g.apply("leaky_relu_slope_at", f"{pre}.g{l}", [z], "gradient", formula=formula, slope=layer.slope,
                at=r0, note=("g", note))
    elif layer.activation == "identity":
        g.apply("identity_slope", f"{pre}.g{l}", [z], "gradient", formula=formula, note=("g", note))
    else:
        g.apply(f"{layer.activation}_slope", f"{pre}.g{l}", [a], "gradient", formula=formula, note=("g", note))
    g.apply("product", f"{pre}.delta{l}", [da, f"{pre}.g{l}"], "gradient", formula=f"delta{l} = dL/da{l} * g{l}",
            note=("delta", note))


def update(g, p: _Pass, state: dict) -> None:
    """One step of the network's optimizer (PyTorch's equations, torch.optim: ``ops.optimizers``);
    frozen and absent parameters keep their value.  ``state``: the trace names of each parameter's
    velocity or moments so far."""
    net, pre, k = p.net, p.pre, p.k
    for l, layer in enumerate(net.layers, start=1):
        for P, trained, present in ((f"W{l}", layer.train_weights, True),
                                    (f"b{l}", layer.train_bias, layer.bias is not None)):
            if not present:
                continue
            if trained:
                note = lambda key, P=P, l=l: (key, {"P": P[0], "l": l})     # noqa: E731
                optimizers.update(g, net.optimizer, P, f"{pre}.d{P}", _prev(k, P), f"{pre}.{P}", pre, state, k, note)
            else:
                g.apply("identity", f"{pre}.{P}", [_prev(k, P)], "parameter", formula=f"{P} (frozen)", rounded=False,
                        note=("param", {"P": P[0], "l": l}))


def train(g, net) -> None:
    """All iterations of gradient descent, then one more forward pass (``final.*``); an exercise
    that stops (``stop_after``) runs the first pass only, up to its forward pass (and loss) or its
    gradients."""
    state: dict = {}
    target = "target" if net.targets is not None else None
    for k in range(1, net.iterations + 1):
        pre = f"it{k}"
        x, y, cols = "x", target, None
        if net.batch_size:                   # the k-th mini-batch: consecutive samples, cyclically
            cols = minibatch(net, k)
            g.apply("columns", f"{pre}.x", ["x"], "activation", formula="the samples of this mini-batch",
                    rounded=False, given=True, cols=tuple(cols), note=("x", {"k": k}))
            x = f"{pre}.x"
            if target is not None:
                g.apply("columns", f"{pre}.target", ["target"], "activation", formula="their targets",
                        rounded=False, given=True, cols=tuple(cols), note=("target", {"k": k}))
                y = f"{pre}.target"
        p = _Pass(net, pre, k, x, y, cols, train=True)
        forward(g, p)
        if net.loss is not None:
            loss(g, p)
        if net.stop_after == "forward":
            return
        backward(g, p)
        if net.stop_after == "gradients":
            return
        update(g, p, state)
    K = net.iterations
    for l, layer in enumerate(net.layers, start=1):
        for P, trained, present in ((f"W{l}", layer.train_weights, True),
                                    (f"b{l}", layer.train_bias, layer.bias is not None)):
            if present:
                g.apply("identity", f"final.{P}", [f"it{K}.{P}"], "parameter",
                        formula=f"{P} after {K} iterations", rounded=trained, note=("final", {"P": P[0], "l": l}))
    p = _Pass(net, "final", None, "x", target, None, train=False)
    forward(g, p)
    loss(g, p)


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
            "combined_delta": net.output != "sum" and net.loss is not None
            and combined_delta(net.loss, net.layers[-1].activation), "stop_after": net.stop_after}
    problem = ProblemTrace(id=net.id, kind="network", info=info)
    g = Graph(Recorder(problem, policy, batch=net.batch, overrides=overrides))
    g.given("x", net.inputs if net.batch else net.inputs[:, 0], "input")
    if net.targets is not None:
        g.given("target", net.targets if net.batch else net.targets[:, 0], "target")
    for l, layer in enumerate(net.layers, start=1):
        g.given(f"init.W{l}", layer.weights, f"initial W{l}")
        if layer.bias is not None:
            g.given(f"init.b{l}", layer.bias, f"initial b{l}")
    if net.learning_rate is not None:
        g.given("learning_rate", net.learning_rate, "eta")
    with training(net.id):
        for l, layer in enumerate(net.layers, start=1):
            if layer.dropout_mask is not None:
                g.apply("one_minus", f"drop.keep{l}", [], "given", formula="1 - p", rounded=False, given=True,
                        c=layer.dropout_p)
        optimizers.constants(g, net.optimizer, net.iterations)
        train(g, net)
    # only losses over the same data (samples, dropout masks) show a trend: schema.comparable
    from .schema import comparable
    pairs = [(problem.dec(a.name + ".loss"), problem.dec(b.name + ".loss"))
             for group in comparable(net) for a, b in zip(group, group[1:])]
    problem.info["loss_decreased"] = bool(pairs) and all(b < a for a, b in pairs)
    return problem
