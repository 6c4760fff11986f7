"""A CNN trained end to end, in exact decimal arithmetic (``exact``); every value goes through
``observe``.

Forward: z_k = Σ_c x_c ⋆ w_kc + b_k (cross-correlation, zero padding), a_k = f(z_k), p_k = pool(a_k),
the maps flattened row-major (map by map, each row by row), then dense layers and the loss.
Backward: the dense layers as in a network, ∂L/∂flat = W₁ᵀ δ₁ folded back into the maps, routed
through the pooling (max: to the first maximum of each window; average: spread evenly), through the
activation (∂L/∂z = ∂L/∂a ⊙ f′(z)), and onto the kernels: ∂L/∂w_kcab = Σ_ij ∂L/∂z_kij ·
x_pad[c, i s + a, j s + b], ∂L/∂b_k = Σ_ij ∂L/∂z_kij.  Plain gradient descent on every parameter."""

from __future__ import annotations

from ...engine import dense as ops, exact
from ...engine.grid import pad
from ...trace import ProblemTrace, Recorder, training


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind="cnn",
                      info={"iterations": model.iterations, "mode": policy.mode,
                            "conv_shape": list(model.conv_shape), "pool_shape": list(model.pool_shape),
                            "combined_delta": ops.combined_delta(model.loss, model.dense[-1].activation),
                            "divisor": ops.loss_divisor(model.loss, model.target.size)})
    rec = Recorder(pt, policy, batch=True, overrides=overrides)
    with training(model.id):
        train(model, rec, pt.info)
    return pt


SLOPE = 0.01     # the leaky ReLU's slope; its derivative at 0 is the slope (the left derivative)


def _derivative(name, z, a):
    return ops.derivative(name, z, a, slope=SLOPE, relu_at_zero=SLOPE if name == "leaky_relu" else 0)


def parameter_names(model) -> list[str]:
    """The trained parameters, in the order they are written: kernels, conv_bias, W1, b1, …"""
    names = ["kernels"] + (["conv_bias"] if model.conv_bias is not None else [])
    for l, layer in enumerate(model.dense, start=1):
        names += [f"W{l}"] + ([f"b{l}"] if layer.bias is not None else [])
    return names


def _windows(model):
    """(k-independent) the pooling windows: [(i, j, [(r, c), …])] over the activation maps."""
    _, oh, ow = model.conv_shape
    _, ph, pw = model.pool_shape
    (wh, ww), s = model.pool_window, model.pool_stride
    return [(i, j, [(i * s + a, j * s + b) for a in range(wh) for b in range(ww)])
            for i in range(ph) for j in range(pw)]


def forward(model, P, xp, pre, observe, info):
    """The forward pass with parameters ``P`` over the padded input ``xp``; returns what the
    backward pass needs."""
    K, oh, ow = model.conv_shape
    _, _, kh, kw = model.kernels.shape
    s = model.stride
    kernels = P["kernels"]
    z = exact.full((K, oh, ow))
    for k in range(K):
        for i in range(oh):
            for j in range(ow):
                v = (xp[:, i * s:i * s + kh, j * s:j * s + kw] * kernels[k]).sum()
                z[k, i, j] = v + P["conv_bias"][k] if "conv_bias" in P else v
    z = observe(f"{pre}.conv", z, "preactivation", "z_k = sum_c x_c * w_kc + b_k")
    a = observe(f"{pre}.act", ops.activate(model.activation, z), "activation", "a = f(z)")
    argmax = None
    if model.pool_mode is None:
        pooled = a
    else:
        _, ph, pw = model.pool_shape
        pooled = exact.full((K, ph, pw))
        argmax = [[[None] * pw for _ in range(ph)] for _ in range(K)]
        area = exact.D(model.pool_window[0] * model.pool_window[1])
        for k in range(K):
            for i, j, cells in _windows(model):
                if model.pool_mode == "max":
                    r, c = max(cells, key=lambda rc: (a[k][rc], -cells.index(rc)))   # first maximum
                    pooled[k, i, j] = a[k, r, c]
                    argmax[k][i][j] = [r, c]
                else:
                    pooled[k, i, j] = sum((a[k][rc] for rc in cells), exact.ZERO) / area
        pooled = observe(f"{pre}.pool", pooled, "activation", f"{model.pool_mode} pooling",
                         rounded=model.pool_mode != "max")
        info[f"{pre}.argmax"] = argmax
    h = observe(f"{pre}.flat", pooled.reshape(-1), "activation", "flattened row-major", rounded=False)
    acts, zs = [h], [None]
    for l, layer in enumerate(model.dense, start=1):
        zl = P[f"W{l}"].dot(acts[-1])
        if f"b{l}" in P:
            zl = zl + P[f"b{l}"]
        zl = observe(f"{pre}.z{l}", zl, "preactivation", f"z{l} = W{l} a{l - 1} + b{l}")
        al = observe(f"{pre}.a{l}", ops.activate(layer.activation, zl), "activation", f"a{l} = f(z{l})")
        zs.append(zl)
        acts.append(al)
    y = exact.array(model.target)
    terms = observe(f"{pre}.terms", ops.loss_terms(model.loss, acts[-1], y), "loss", "loss terms", rounded=False)
    observe(f"{pre}.loss", terms.sum() / exact.D(ops.loss_divisor(model.loss, y.size)), "loss", "L")
    return {"xp": xp, "z": z, "a": a, "argmax": argmax, "acts": acts, "zs": zs}


def backward(model, P, f, pre, observe):
    """The gradients of every parameter (dense layers, the pooling and activation, the kernels)."""
    y = exact.array(model.target)
    acts, zs = f["acts"], f["zs"]
    L = len(model.dense)
    grads = {}
    if ops.combined_delta(model.loss, model.dense[-1].activation):
        delta = acts[-1] - y
    else:
        g = observe(f"{pre}.g{L}", _derivative(model.dense[-1].activation, zs[-1], acts[-1]), "gradient", f"f'(z{L})")
        delta = ops.loss_grad(model.loss, acts[-1], y) * g
    delta = observe(f"{pre}.delta{L}", delta, "gradient", f"delta{L}")
    for l in range(L, 0, -1):
        grads[f"W{l}"] = observe(f"{pre}.dW{l}", delta[:, None] * acts[l - 1][None, :], "gradient",
                                 f"dL/dW{l} = delta{l} a{l - 1}^T")
        if f"b{l}" in P:
            grads[f"b{l}"] = observe(f"{pre}.db{l}", delta, "gradient", f"dL/db{l} = delta{l}")
        back = observe(f"{pre}.da{l - 1}" if l > 1 else f"{pre}.dflat", P[f"W{l}"].T.dot(delta), "gradient",
                       f"W{l}^T delta{l}")
        if l > 1:
            layer = model.dense[l - 2]
            g = observe(f"{pre}.g{l - 1}", _derivative(layer.activation, zs[l - 1], acts[l - 1]), "gradient",
                        f"f'(z{l - 1})")
            delta = observe(f"{pre}.delta{l - 1}", back * g, "gradient", f"delta{l - 1}")
    K, oh, ow = model.conv_shape
    dpool = back.reshape(model.pool_shape)
    if model.pool_mode is None:
        da = dpool
    else:
        da = exact.full((K, oh, ow))
        area = exact.D(model.pool_window[0] * model.pool_window[1])
        for k in range(K):
            for i, j, cells in _windows(model):
                if model.pool_mode == "max":
                    r, c = f["argmax"][k][i][j]
                    da[k, r, c] += dpool[k, i, j]
                else:
                    for r, c in cells:
                        da[k, r, c] += dpool[k, i, j] / area
        da = observe(f"{pre}.dact", da, "gradient", "dL/da: routed back through the pooling")
    g = observe(f"{pre}.gconv", _derivative(model.activation, f["z"], f["a"]), "gradient", "f'(z)")
    dz = observe(f"{pre}.dconv", da * g, "gradient", "dL/dz = dL/da * f'(z)")
    _, C, kh, kw = model.kernels.shape
    s, xp = model.stride, f["xp"]
    dk = exact.full(model.kernels.shape)
    for k in range(K):
        for c in range(C):
            for a in range(kh):
                for b in range(kw):
                    dk[k, c, a, b] = sum((dz[k, i, j] * xp[c, i * s + a, j * s + b]
                                          for i in range(oh) for j in range(ow)), exact.ZERO)
    grads["kernels"] = _kernel(model, observe, f"{pre}.dkernels", dk, "gradient",
                               "dL/dw_kcab = sum_ij dL/dz_kij x_pad")
    if "conv_bias" in P:
        grads["conv_bias"] = observe(f"{pre}.dconv_bias", dz.sum(axis=(1, 2)), "gradient", "sum_ij dL/dz_kij")
    return grads


def _kernel(model, observe, name, value, kind, formula, **kw):
    """Observe kernel-shaped ``value`` (K × C × kh × kw) in the spec's shape (K × kh × kw for a
    one-channel image); the computation goes on with K × C × kh × kw."""
    v = observe(name, model.kernel_value(value), kind, formula, **kw)
    return v if model.channels_given else v[:, None]


def _record(model, observe, name, value, kind, formula, **kw):
    if name.endswith("kernels"):
        return _kernel(model, observe, name, value, kind, formula, **kw)
    return observe(name, value, kind, formula, **kw)


def train(model, observe, info) -> None:
    P = {"kernels": exact.array(model.kernels)}
    if model.conv_bias is not None:
        P["conv_bias"] = exact.array(model.conv_bias)
    for l, layer in enumerate(model.dense, start=1):
        P[f"W{l}"] = exact.array(layer.weights)
        if layer.bias is not None:
            P[f"b{l}"] = exact.array(layer.bias)
    names = parameter_names(model)
    observe.given("input", exact.array(model.input), "x")
    observe.given("target", exact.array(model.target), "y")
    xp = observe("padded_input", pad(exact.array(model.input), model.padding, exact.ZERO, axes=(1, 2)),
                 "activation", "the input with its zero padding (channels first)", rounded=False, given=True)
    for name in names:
        observe.given(f"init.{name}", model.kernel_value(P[name]) if name == "kernels" else P[name],
                      f"initial {name}")
    observe.given("learning_rate", model.learning_rate, "eta")
    eta = exact.D(model.learning_rate)
    for k in range(1, model.iterations + 1):
        pre = f"it{k}"
        f = forward(model, P, xp, pre, observe, info)
        if k == 1:
            observe("output", f["acts"][-1], "activation", "yhat", rounded=False)
        grads = backward(model, P, f, pre, observe)
        for name in names:
            step = _record(model, observe, f"{pre}.step{name}", eta * grads[name], "gradient",
                           f"eta dL/d{name}", rounded=False)
            P[name] = _record(model, observe, f"{pre}.{name}", P[name] - step, "parameter",
                              f"{name} <- {name} - eta dL/d{name}")
    for name in names:
        P[name] = _record(model, observe, f"final.{name}", P[name], "parameter",
                          f"{name} after {model.iterations} iterations", rounded=False)
    forward(model, P, xp, "final", observe, info)
