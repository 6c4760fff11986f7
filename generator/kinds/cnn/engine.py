"""A CNN trained end to end, composed of the shared operations (``generator.ops``): the same
window operations as the conv and pool kinds, the same dense layers, softmax, losses and
updates as the other kinds; no arithmetic of its own.

Forward: z_k = Σ_c x_c ⋆ w_kc + b_k (cross-correlation, zero padding), a_k = f(z_k), p_k = pool(a_k),
the maps flattened row-major (map by map, each row by row), then dense layers and the loss.
Backward: the dense layers as in a network, ∂L/∂f = W₁ᵀ δ₁ folded back into the maps, routed
through the pooling (max: to the first maximum of each window; average: spread evenly), through the
activation (∂L/∂z = ∂L/∂a ⊙ f′(z)), and onto the kernels: ∂L/∂w_kcab = Σ_ij ∂L/∂z_kij ·
x_pad[c, i s + a, j s + b], ∂L/∂b_k = Σ_ij ∂L/∂z_kij.  Plain gradient descent on every parameter.
An exercise that stops (``stop_after``) runs the pass ``it1`` alone, up to its forward pass (and
loss, where it has a target) or its gradients."""

from __future__ import annotations

from decimal import Decimal

from ...engine import dense as ops, grid
from ...ops import Graph, compose
from ...trace import ProblemTrace, Recorder, training

#: The leaky ReLU's slope; its derivative at 0 is the slope (the left derivative).
SLOPE = Decimal("0.01")
#: Each activation: its operation, its slope's operation and whether the slope is written with
#: the activation a (σ′ = a(1 − a)) rather than z; the leaky ReLU's with its slope (and that slope
#: at z = 0).
ACTIVATIONS = {"identity": ("identity", "identity_slope", False), "relu": ("relu", "relu_slope", False),
               "leaky_relu": ("leaky_relu_by", "leaky_relu_slope_at", False),
               "sigmoid": ("sigmoid", "sigmoid_slope", True), "tanh": ("tanh", "tanh_slope", True)}
#: The terms of each loss, entry by entry (the loss is their sum over the divisor).
TERMS = {"bce": "bce_terms", "cce": "cce_terms"}


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind="cnn",
                      info={"iterations": model.iterations, "mode": policy.mode,
                            "conv_shape": list(model.conv_shape), "pool_shape": list(model.pool_shape),
                            "combined_delta": ops.combined_delta(model.loss, model.dense[-1].activation),
                            "divisor": ops.loss_divisor(model.loss, model.dense[-1].weights.shape[0]),
                            "stop_after": model.stop_after})
    g = Graph(Recorder(pt, policy, batch=True, overrides=overrides))
    with training(model.id):
        train(model, g, pt.info)
    return pt


def parameter_names(model) -> list[str]:
    """The trained parameters, in the order they are written: kernels, conv_bias, W1, b1, …"""
    names = ["kernels"] + (["conv_bias"] if model.conv_bias is not None else [])
    for l, layer in enumerate(model.dense, start=1):
        names += [f"W{l}"] + ([f"b{l}"] if layer.bias is not None else [])
    return names


def _leaky(act: str, at_kink: bool) -> dict:
    """The constants of the leaky ReLU's operations: its slope (and its slope at the kink)."""
    if act != "leaky_relu":
        return {}
    return {"slope": SLOPE, "at": SLOPE} if at_kink else {"slope": SLOPE}


def _activate(g, act: str, z: str, out: str, formula: str, note) -> str:
    op, _, _ = ACTIVATIONS[act]
    return g.apply(op, out, [z], "activation", formula=formula, note=note, **_leaky(act, False))


def _slope(g, act: str, z: str, a: str, out: str, formula: str, note) -> str:
    _, op, of_a = ACTIVATIONS[act]
    return g.apply(op, out, [a if of_a else z], "gradient", formula=formula, note=note, **_leaky(act, True))


def _new(name: str) -> tuple:
    """The note of parameter ``name`` after an update: new.kernels, new.conv_bias, new.W, new.b."""
    return (f"new.{name}", {}) if name in ("kernels", "conv_bias") else (f"new.{name[0]}", {"l": int(name[1:])})


def _count(model) -> dict:
    """The ``count`` of the loss (and its gradient): the outputs of a mean, 1 for cross-entropy."""
    if model.loss in ("mse", "half_mse"):
        return {"count": model.target.size}
    return {"count": 1} if model.loss in ("bce", "cce") else {}


def forward(model, g, pre: str, P: dict, info: dict) -> None:
    """Steps ``{pre}.conv, .act, (.argmax, .pool,) .flat``, the dense layers ``.z{l}, .a{l}`` (a
    softmax written out: ``.exp{l}, .expsum{l}``), ``.terms`` and ``.loss`` with the parameters
    named by ``P``."""
    fn = model.activation
    at = {"stride": model.stride, "padding": model.padding, "filters": True}
    bias = [P["conv_bias"]] if "conv_bias" in P else []
    g.apply("correlate", f"{pre}.conv", ["input", P["kernels"]] + bias, "preactivation",
            formula="z_k = sum_c x_c * w_kc + b_k", bias=bool(bias), note=("conv", {}), **at)
    _activate(g, fn, f"{pre}.conv", f"{pre}.act", "a = f(z)", ("act", {}))
    maps = f"{pre}.act"
    if model.pool_mode is not None:
        window = {"size": model.pool_window, "stride": model.pool_stride, "padding": 0}
        K, ph, pw = model.pool_shape
        info[f"{pre}.argmax"] = [[[None] * pw for _ in range(ph)] for _ in range(K)]     # (r, c) of max pooling
        if model.pool_mode == "max":
            g.apply("window_argmax", f"{pre}.argmax", [maps], "activation", formula="the first maximum of each window",
                    rounded=False, given=True, **window)
            info[f"{pre}.argmax"] = grid.positions(g.value(f"{pre}.argmax"))
        g.apply(f"{model.pool_mode}_pool", f"{pre}.pool", [maps], "activation", formula=f"{model.pool_mode} pooling",
                rounded=model.pool_mode != "max", note=("pool", {}), **window)
        maps = f"{pre}.pool"
    prev = g.apply("reshape", f"{pre}.flat", [maps], "activation", formula="flattened row-major", rounded=False,
                   shape=(-1,))
    for l, layer in enumerate(model.dense, start=1):
        b = [P[f"b{l}"]] if f"b{l}" in P else []
        z = g.apply("affine", f"{pre}.z{l}", [P[f"W{l}"], prev] + b, "preactivation",
                    formula=f"z{l} = W{l} a{l - 1} + b{l}", bias=bool(b), note=("z", {"l": l}))
        if layer.activation == "softmax":
            compose.softmax(g, z, exp=f"{pre}.exp{l}", total=f"{pre}.expsum{l}", out=f"{pre}.a{l}",
                            notes=(("exp", {"l": l}), ("expsum", {"l": l}), ("a", {"l": l})))
        else:
            _activate(g, layer.activation, z, f"{pre}.a{l}", f"a{l} = f(z{l})", ("a", {"l": l}))
        prev = f"{pre}.a{l}"
    if model.loss is None:                      # a forward pass without a loss
        return
    g.apply(TERMS.get(model.loss, "squared_error"), f"{pre}.terms", [prev, "target"], "loss", formula="loss terms",
            rounded=False)
    g.apply(model.loss, f"{pre}.loss", [prev, "target"], "loss", formula="L", axis=None, note=("loss", {}),
            **_count(model))


def backward(model, g, pre: str, P: dict) -> dict:
    """The gradients of every parameter (dense layers, the pooling and activation, the kernels):
    {parameter: the step of its gradient}."""
    L = len(model.dense)
    last = model.dense[-1].activation
    yhat = f"{pre}.a{L}"
    if ops.combined_delta(model.loss, last):
        delta = g.apply("difference", f"{pre}.delta{L}", [yhat, "target"], "gradient", formula=f"delta{L}",
                        note=("delta", {"l": L}))
    else:
        slope = _slope(g, last, f"{pre}.z{L}", yhat, f"{pre}.g{L}", f"f'(z{L})", (f"slope.{last}", {"l": L}))
        g.apply(f"{model.loss}_grad", f"{pre}.dyhat", [yhat, "target"], "gradient", formula="dL/dyhat",
                note=("dyhat", {}), **(_count(model) if model.loss in ("mse", "half_mse") else {}))
        delta = g.apply("product", f"{pre}.delta{L}", [f"{pre}.dyhat", slope], "gradient",
                        formula=f"delta{L}", note=("delta", {"l": L}))
    grads = {}
    for l in range(L, 0, -1):
        below = f"{pre}.flat" if l == 1 else f"{pre}.a{l - 1}"
        sym = "f" if l == 1 else f"a^{{[{l - 1}]}}"
        grads[f"W{l}"] = g.apply("outer", f"{pre}.dW{l}", [delta, below], "gradient",
                                 formula=f"dL/dW{l} = delta{l} a{l - 1}^T", note=("dW", {"l": l}))
        if f"b{l}" in P:
            grads[f"b{l}"] = g.apply("identity", f"{pre}.db{l}", [delta], "gradient", formula=f"dL/db{l} = delta{l}",
                                     note=("db", {"l": l}))
        back = g.apply("transposed", f"{pre}.da{l - 1}" if l > 1 else f"{pre}.dflat", [P[f"W{l}"], delta], "gradient",
                       formula=f"W{l}^T delta{l}", note=("back", {"sym": sym}))
        if l > 1:
            act = model.dense[l - 2].activation
            slope = _slope(g, act, f"{pre}.z{l - 1}", below, f"{pre}.g{l - 1}", f"f'(z{l - 1})",
                           (f"slope.{act}", {"l": l - 1}))
            delta = g.apply("product", f"{pre}.delta{l - 1}", [back, slope], "gradient", formula=f"delta{l - 1}",
                            note=("delta", {"l": l - 1}))
    dmaps = g.apply("reshape", f"{pre}.dpool", [f"{pre}.dflat"], "gradient", formula="dL/df folded into the maps",
                    shape=tuple(model.pool_shape), note=("dpool", {"p": "p" if model.pool_mode else "a"}))
    if model.pool_mode is not None:
        window = {"size": model.pool_window, "stride": model.pool_stride, "padding": 0}
        shape = tuple(model.conv_shape)
        formula = "dL/da: routed back through the pooling"
        if model.pool_mode == "max":
            dmaps = g.apply("max_pool_grad", f"{pre}.dact", [dmaps, f"{pre}.argmax"], "gradient", formula=formula,
                            shape=shape, note=("dact", {}))
        else:
            dmaps = g.apply("average_pool_grad", f"{pre}.dact", [dmaps], "gradient", formula=formula, shape=shape,
                            note=("dact", {}), **window)
    fn = model.activation
    slope = _slope(g, fn, f"{pre}.conv", f"{pre}.act", f"{pre}.gconv", "f'(z)", (f"gconv.{fn}", {}))
    dz = g.apply("product", f"{pre}.dconv", [dmaps, slope], "gradient", formula="dL/dz = dL/da * f'(z)",
                 note=("dconv", {}))
    grads["kernels"] = g.apply("correlate_kernel_grad", f"{pre}.dkernels", [dz, "input"], "gradient",
                               formula="dL/dw_kcab = sum_ij dL/dz_kij x_pad", shape=g.value(P["kernels"]).shape,
                               stride=model.stride, padding=model.padding, filters=True, note=("dkernels", {}))
    if "conv_bias" in P:
        grads["conv_bias"] = g.apply("grid_sum", f"{pre}.dconv_bias", [dz], "gradient", formula="sum_ij dL/dz_kij",
                                     note=("dconv_bias", {}))
    return grads


def train(model, g, info) -> None:
    names = parameter_names(model)
    values = {"kernels": model.kernel_value(model.kernels), "conv_bias": model.conv_bias}
    for l, layer in enumerate(model.dense, start=1):
        values[f"W{l}"], values[f"b{l}"] = layer.weights, layer.bias
    g.given("input", model.input, "x")
    if model.target is not None:
        g.given("target", model.target, "y")
    g.apply("pad", "padded_input", ["input"], "activation", formula="the input with its zero padding (channels first)",
            rounded=False, given=True, padding=model.padding)
    for name in names:
        g.given(f"init.{name}", values[name], f"initial {name}")
    if model.learning_rate is not None:
        g.given("learning_rate", model.learning_rate, "eta")
    P = {name: f"init.{name}" for name in names}
    for k in range(1, model.iterations + 1):
        pre = f"it{k}"
        forward(model, g, pre, P, info)
        if k == 1:
            g.apply("identity", "output", [f"it1.a{len(model.dense)}"], "activation", formula="yhat", rounded=False)
        if model.stop_after == "forward":
            return
        grads = backward(model, g, pre, P)
        if model.stop_after == "gradients":
            return
        for name in names:
            g.apply("product", f"{pre}.step{name}", [("learning_rate", ()), grads[name]], "gradient",
                    formula=f"eta dL/d{name}", rounded=False)
            P[name] = g.apply("sgd", f"{pre}.{name}", [P[name], grads[name], ("learning_rate", ())], "parameter",
                              formula=f"{name} <- {name} - eta dL/d{name}", note=_new(name))
    for name in names:
        P[name] = g.apply("identity", f"final.{name}", [P[name]], "parameter",
                          formula=f"{name} after {model.iterations} iterations", rounded=False)
    forward(model, g, "final", P, info)
