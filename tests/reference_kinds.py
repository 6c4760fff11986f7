"""An independent second implementation ("reference") of four exercise kinds.

Written from the textbook equations with plain loops over indices, in float64, so that a
reader can check every line against the formulas.  It shares no code with ``generator``
and is used only to test the real engine.

Each kind takes ``part`` (the plain YAML mapping of one exercise) and returns
``dict[str, numpy.ndarray]`` of float64 arrays keyed by trace names.  Scalars (losses) are
0-d arrays.

Conventions (beyond the task statement):

* A convolution output has size ``(H + 2p - kh) // s + 1`` (rows that do not fit are
  dropped); pooling uses no padding, same size rule.  A pool ``stride`` may be a number or
  ``[sh, sw]``; its default is the window height (for both directions).
* ``leaky_relu`` has slope 0.01 for z < 0 and slope 1 for z > 0; at z = 0 its value is 0
  and its derivative 0.01.  ``relu``'(0) = 0.
* ``bce`` needs a sigmoid output and ``cce`` a softmax output (else ``ValueError``).
* Biases that are not given are zeros, are not trained and are not reported
  (conv ``bias``, dense ``bias``, and also the RNN's ``b_h`` / ``b_y``).
* ``grad1.*`` keys exist only when ``iterations >= 1`` (default ``iterations`` = 1).
* RNN ``hidden`` holds h_1..h_T (not h_0); ``output`` holds ŷ_1..ŷ_T for every step, also
  the ones without a target.
"""

from __future__ import annotations

import math

import numpy as np

LEAK = 0.01
KINK = 1e-6          # distance from a kink (ReLU at 0, max-pool tie) that random_part rejects


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------

def _f64(x) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def _scalar(x) -> np.ndarray:
    return np.array(float(x), dtype=np.float64)


def _act(name: str, z: np.ndarray) -> np.ndarray:
    """Activation of a 1-D vector (softmax over the whole vector)."""
    n = len(z)
    a = np.zeros(n)
    if name == "softmax":
        m = max(z[i] for i in range(n))
        e = [math.exp(z[i] - m) for i in range(n)]
        total = sum(e)
        for i in range(n):
            a[i] = e[i] / total
        return a
    for i in range(n):
        a[i] = _act_scalar(name, z[i])
    return a


def _act_scalar(name: str, z: float) -> float:
    if name == "identity":
        return z
    if name == "relu":
        return z if z > 0 else 0.0
    if name == "leaky_relu":
        return z if z > 0 else LEAK * z
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    raise ValueError(f"unknown activation {name!r}")


def _act_scalar_deriv(name: str, z: float) -> float:
    if name == "identity":
        return 1.0
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if z > 0 else LEAK
    if name == "sigmoid":
        s = 1.0 / (1.0 + math.exp(-z))
        return s * (1.0 - s)
    if name == "tanh":
        t = math.tanh(z)
        return 1.0 - t * t
    raise ValueError(f"unknown activation {name!r}")


def _act_backward(name: str, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
    """dL/dz from dL/da, for a = act(z) (1-D)."""
    n = len(z)
    dz = np.zeros(n)
    if name == "softmax":
        # da_j/dz_i = a_j (δ_ij − a_i)  →  dz_i = Σ_j da_j a_j (δ_ij − a_i)
        for i in range(n):
            total = 0.0
            for j in range(n):
                delta = 1.0 if i == j else 0.0
                total += da[j] * a[j] * (delta - a[i])
            dz[i] = total
        return dz
    for i in range(n):
        dz[i] = da[i] * _act_scalar_deriv(name, z[i])
    return dz


def _kink_distance(name: str, z: np.ndarray) -> float:
    """How far the pre-activations are from a kink of the activation (inf: no kink)."""
    if name not in ("relu", "leaky_relu"):
        return math.inf
    return min((abs(float(v)) for v in np.ravel(z)), default=math.inf)


def _check_loss_output(loss: str, out_act: str) -> None:
    if loss == "bce" and out_act != "sigmoid":
        raise ValueError("bce needs a sigmoid output")
    if loss == "cce" and out_act != "softmax":
        raise ValueError("cce needs a softmax output")
    if loss not in ("sse", "half_sse", "mse", "half_mse", "bce", "cce"):
        raise ValueError(f"unknown loss {loss!r}")


def _loss(name: str, yhat: np.ndarray, y: np.ndarray) -> float:
    n = len(y)
    if name in ("sse", "half_sse", "mse", "half_mse"):
        s = 0.0
        for i in range(n):
            s += (yhat[i] - y[i]) ** 2
        return {"sse": s, "half_sse": s / 2, "mse": s / n, "half_mse": s / (2 * n)}[name]
    if name == "bce":
        s = 0.0
        for i in range(n):
            s -= y[i] * math.log(yhat[i]) + (1 - y[i]) * math.log(1 - yhat[i])
        return s
    if name == "cce":
        s = 0.0
        for i in range(n):
            if y[i] != 0:
                s -= y[i] * math.log(yhat[i])
        return s
    raise ValueError(f"unknown loss {name!r}")


def _loss_grad(name: str, yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dŷ."""
    n = len(y)
    g = np.zeros(n)
    for i in range(n):
        d = yhat[i] - y[i]
        if name == "sse":
            g[i] = 2 * d
        elif name == "half_sse":
            g[i] = d
        elif name == "mse":
            g[i] = 2 * d / n
        elif name == "half_mse":
            g[i] = d / n
        elif name == "bce":
            g[i] = -y[i] / yhat[i] + (1 - y[i]) / (1 - yhat[i])
        elif name == "cce":
            g[i] = -y[i] / yhat[i]
        else:
            raise ValueError(f"unknown loss {name!r}")
    return g


def _vector(x) -> np.ndarray:
    """A number or a list → a 1-D float64 array."""
    if isinstance(x, (int, float)):
        return _f64([x])
    return _f64(x).reshape(-1)


def _pair(v) -> tuple[int, int]:
    if isinstance(v, (list, tuple)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


# ---------------------------------------------------------------------------------------
# 1. CNN: conv → (pool) → flatten → dense layers → loss
# ---------------------------------------------------------------------------------------

class _CnnSpec:
    def __init__(self, part: dict):
        x = _f64(part["input"])
        if x.ndim == 2:
            x = x[None, :, :]
        self.x = x                                   # C × H × W
        C = x.shape[0]
        conv = part["conv"]
        k = _f64(conv["kernels"])
        self.kernel_shape = k.shape                  # as given
        if k.ndim == 3:                              # K × kh × kw: single input channel
            if C != 1:
                raise ValueError("kh×kw kernels need a single input channel")
            k = k[:, None, :, :]
        if k.shape[1] != C:
            raise ValueError("kernel channels do not match the input")
        self.kernels = k                             # K × C × kh × kw
        K = k.shape[0]
        self.has_conv_bias = conv.get("bias") is not None
        self.conv_bias = _f64(conv["bias"]) if self.has_conv_bias else np.zeros(K)
        self.stride = int(conv.get("stride", 1))
        self.padding = int(conv.get("padding", 0))
        self.conv_act = conv.get("activation", "relu")
        pool = part.get("pool")
        if pool:
            self.pool_mode = pool["mode"]
            self.pool_window = _pair(pool["window"])
            self.pool_stride = _pair(pool.get("stride", self.pool_window[0]))
            if int(pool.get("padding", 0)) != 0:
                raise ValueError("pool padding must be 0")
        else:
            self.pool_mode = None
        self.acts = []
        self.W = []
        self.b = []                                  # None where no bias is given
        for layer in part["dense"]:
            self.acts.append(layer["activation"])
            self.W.append(_f64(layer["weights"]))
            self.b.append(_f64(layer["bias"]) if layer.get("bias") is not None else None)
        self.y = _vector(part["target"])
        self.loss = part["loss"]
        _check_loss_output(self.loss, self.acts[-1])
        self.lr = float(part["learning_rate"])
        self.iterations = int(part.get("iterations", 1))

    def params(self) -> dict[str, np.ndarray]:
        """The trainable parameters, keyed by their trace name (internal shapes)."""
        p = {"kernels": self.kernels}
        if self.has_conv_bias:
            p["conv_bias"] = self.conv_bias
        for l in range(len(self.W)):
            p[f"W{l + 1}"] = self.W[l]
            if self.b[l] is not None:
                p[f"b{l + 1}"] = self.b[l]
        return p

    def set_params(self, p: dict[str, np.ndarray]) -> None:
        self.kernels = p["kernels"]
        if self.has_conv_bias:
            self.conv_bias = p["conv_bias"]
        for l in range(len(self.W)):
            self.W[l] = p[f"W{l + 1}"]
            if self.b[l] is not None:
                self.b[l] = p[f"b{l + 1}"]


def _cnn_forward(s: _CnnSpec) -> dict:
    C, H, W = s.x.shape
    K, _, kh, kw = s.kernels.shape
    p, st = s.padding, s.stride
    # zero padding
    xp = np.zeros((C, H + 2 * p, W + 2 * p))
    for c in range(C):
        for i in range(H):
            for j in range(W):
                xp[c, i + p, j + p] = s.x[c, i, j]
    oh = (H + 2 * p - kh) // st + 1
    ow = (W + 2 * p - kw) // st + 1
    if oh < 1 or ow < 1:
        raise ValueError("kernel larger than the padded input")
    # cross-correlation: z[k,i,j] = b[k] + Σ_c Σ_u Σ_v K[k,c,u,v] · xp[c, i·s+u, j·s+v]
    z = np.zeros((K, oh, ow))
    for k in range(K):
        for i in range(oh):
            for j in range(ow):
                total = s.conv_bias[k]
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            total += s.kernels[k, c, u, v] * xp[c, i * st + u, j * st + v]
                z[k, i, j] = total
    a = np.zeros_like(z)
    for k in range(K):
        for i in range(oh):
            for j in range(ow):
                a[k, i, j] = _act_scalar(s.conv_act, z[k, i, j])
    kink = _kink_distance(s.conv_act, z)

    # pooling (per channel)
    argmax = None
    if s.pool_mode:
        (ph, pw), (sh, sw) = s.pool_window, s.pool_stride
        qh = (oh - ph) // sh + 1
        qw = (ow - pw) // sw + 1
        if qh < 1 or qw < 1:
            raise ValueError("pool window larger than the feature map")
        pooled = np.zeros((K, qh, qw))
        argmax = {}
        for k in range(K):
            for i in range(qh):
                for j in range(qw):
                    if s.pool_mode == "max":
                        best, where = None, None
                        values = []
                        for u in range(ph):            # reading order: row by row
                            for v in range(pw):
                                val = a[k, i * sh + u, j * sw + v]
                                values.append(val)
                                if best is None or val > best:   # strict: the FIRST max wins
                                    best, where = val, (i * sh + u, j * sw + v)
                        pooled[k, i, j] = best
                        argmax[k, i, j] = where
                        values.sort(reverse=True)
                        if len(values) > 1:
                            kink = min(kink, values[0] - values[1])
                    elif s.pool_mode == "average":
                        total = 0.0
                        for u in range(ph):
                            for v in range(pw):
                                total += a[k, i * sh + u, j * sw + v]
                        pooled[k, i, j] = total / (ph * pw)
                    else:
                        raise ValueError(f"unknown pool mode {s.pool_mode!r}")
    else:
        pooled = a

    # flatten row-major: index c·H·W + i·W + j
    Kp, hh, ww = pooled.shape
    flat = np.zeros(Kp * hh * ww)
    for c in range(Kp):
        for i in range(hh):
            for j in range(ww):
                flat[c * hh * ww + i * ww + j] = pooled[c, i, j]

    # dense layers: z_l = W_l a_{l-1} + b_l, a_l = act_l(z_l)
    acts_in = [flat]
    zs = []
    prev = flat
    for l in range(len(s.W)):
        Wl = s.W[l]
        units, inputs = Wl.shape
        if inputs != len(prev):
            raise ValueError(f"W{l + 1} has {inputs} columns, the layer input has {len(prev)} values")
        zl = np.zeros(units)
        for r in range(units):
            total = s.b[l][r] if s.b[l] is not None else 0.0
            for q in range(inputs):
                total += Wl[r, q] * prev[q]
            zl[r] = total
        al = _act(s.acts[l], zl)
        kink = min(kink, _kink_distance(s.acts[l], zl))
        zs.append(zl)
        acts_in.append(al)
        prev = al
    yhat = prev
    if len(yhat) != len(s.y):
        raise ValueError("the target has a different size than the output")
    loss = _loss(s.loss, yhat, s.y)
    return dict(xp=xp, z=z, a=a, pooled=pooled, argmax=argmax, flat=flat, zs=zs,
                acts=acts_in, yhat=yhat, loss=loss, kink=kink, conv_size=(oh, ow))


def _cnn_backward(s: _CnnSpec, f: dict) -> dict[str, np.ndarray]:
    grads = {}
    da = _loss_grad(s.loss, f["yhat"], s.y)
    for l in reversed(range(len(s.W))):
        dz = _act_backward(s.acts[l], f["zs"][l], f["acts"][l + 1], da)
        Wl = s.W[l]
        units, inputs = Wl.shape
        prev = f["acts"][l]
        dW = np.zeros_like(Wl)
        for r in range(units):
            for q in range(inputs):
                dW[r, q] = dz[r] * prev[q]
        grads[f"W{l + 1}"] = dW
        if s.b[l] is not None:
            grads[f"b{l + 1}"] = dz.copy()
        dprev = np.zeros(inputs)
        for q in range(inputs):
            for r in range(units):
                dprev[q] += Wl[r, q] * dz[r]
        da = dprev
    dflat = da

    # un-flatten
    Kp, hh, ww = f["pooled"].shape
    dpooled = np.zeros((Kp, hh, ww))
    for c in range(Kp):
        for i in range(hh):
            for j in range(ww):
                dpooled[c, i, j] = dflat[c * hh * ww + i * ww + j]

    # un-pool
    a = f["a"]
    K, oh, ow = a.shape
    if s.pool_mode:
        (ph, pw), (sh, sw) = s.pool_window, s.pool_stride
        dA = np.zeros_like(a)
        for k in range(K):
            for i in range(hh):
                for j in range(ww):
                    if s.pool_mode == "max":
                        u, v = f["argmax"][k, i, j]
                        dA[k, u, v] += dpooled[k, i, j]
                    else:
                        for u in range(ph):
                            for v in range(pw):
                                dA[k, i * sh + u, j * sw + v] += dpooled[k, i, j] / (ph * pw)
    else:
        dA = dpooled

    # through the conv activation
    z = f["z"]
    dZ = np.zeros_like(z)
    for k in range(K):
        for i in range(oh):
            for j in range(ow):
                dZ[k, i, j] = dA[k, i, j] * _act_scalar_deriv(s.conv_act, z[k, i, j])

    # conv parameters
    xp = f["xp"]
    _, C, kh, kw = s.kernels.shape
    st = s.stride
    dK = np.zeros_like(s.kernels)
    for k in range(K):
        for c in range(C):
            for u in range(kh):
                for v in range(kw):
                    total = 0.0
                    for i in range(oh):
                        for j in range(ow):
                            total += dZ[k, i, j] * xp[c, i * st + u, j * st + v]
                    dK[k, c, u, v] = total
    grads["kernels"] = dK
    if s.has_conv_bias:
        db = np.zeros(K)
        for k in range(K):
            for i in range(oh):
                for j in range(ow):
                    db[k] += dZ[k, i, j]
        grads["conv_bias"] = db
    return grads


def _cnn_report_shape(s: _CnnSpec, name: str, value: np.ndarray) -> np.ndarray:
    if name == "kernels":
        return value.reshape(s.kernel_shape).copy()
    return value.copy()


def _cnn_train(part: dict):
    """Run the whole exercise; returns (result dict, smallest kink distance seen)."""
    s = _CnnSpec(part)
    out: dict[str, np.ndarray] = {}
    kink = math.inf
    first = _cnn_forward(s)
    out["output"] = _f64(first["yhat"])
    for k in range(1, s.iterations + 1):
        f = _cnn_forward(s)
        kink = min(kink, f["kink"])
        out[f"it{k}.loss"] = _scalar(f["loss"])
        grads = _cnn_backward(s, f)
        if k == 1:
            for name, g in grads.items():
                out[f"grad1.{name}"] = _cnn_report_shape(s, name, g)
        params = s.params()
        new = {}
        for name, value in params.items():
            new[name] = value - s.lr * grads[name]      # plain SGD
        s.set_params(new)
    f = _cnn_forward(s)
    kink = min(kink, f["kink"])
    out["final.loss"] = _scalar(f["loss"])
    for name, value in s.params().items():
        out[f"final.{name}"] = _cnn_report_shape(s, name, value)
    return out, kink


def cnn(part: dict) -> dict[str, np.ndarray]:
    """Conv → (pool) → flatten → dense → loss, trained with plain SGD on one sample."""
    return _cnn_train(part)[0]


def cnn_loss(part: dict) -> float:
    """The loss of the first forward pass (initial parameters): for finite differences."""
    s = _CnnSpec(part)
    return _cnn_forward(s)["loss"]


# ---------------------------------------------------------------------------------------
# 2. RNN (Elman), backpropagation through time
# ---------------------------------------------------------------------------------------

_RNN_PARAMS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


class _RnnSpec:
    def __init__(self, part: dict):
        xs = _f64(part["inputs"])
        if xs.ndim == 1:
            xs = xs[:, None]                         # T numbers → d_x = 1
        self.xs = xs
        self.h0 = _vector(part["h0"])
        self.p = {}
        self.p["W_xh"] = _f64(part["W_xh"]).reshape(len(self.h0), xs.shape[1])
        self.p["W_hh"] = _f64(part["W_hh"]).reshape(len(self.h0), len(self.h0))
        W_hy = _f64(part["W_hy"])
        if W_hy.ndim == 1:
            W_hy = W_hy[None, :]                     # d_y = 1 given as one row
        self.p["W_hy"] = W_hy
        self.given = {"W_xh", "W_hh", "W_hy"}
        for name, size in (("b_h", len(self.h0)), ("b_y", W_hy.shape[0])):
            if part.get(name) is not None:
                self.p[name] = _vector(part[name])
                self.given.add(name)
            else:
                self.p[name] = np.zeros(size)
        self.act = part.get("activation", "tanh")
        if self.act not in ("tanh", "relu"):
            raise ValueError(f"unknown RNN activation {self.act!r}")
        self.out = part.get("output", "identity")
        if self.out not in ("identity", "sigmoid", "softmax"):
            raise ValueError(f"unknown RNN output {self.out!r}")
        T = len(xs)
        self.targets: list = [None] * T
        if part.get("targets") is not None:
            rows = part["targets"]
            if len(rows) != T:
                raise ValueError("one target row per step")
            for t, row in enumerate(rows):
                self.targets[t] = None if row is None else _vector(row)
        else:
            self.targets[T - 1] = _vector(part["target"])
        self.loss = part["loss"]
        _check_loss_output(self.loss, self.out)
        self.lr = float(part["learning_rate"])
        self.iterations = int(part.get("iterations", 1))


def _matvec(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    rows, cols = M.shape
    r = np.zeros(rows)
    for i in range(rows):
        for j in range(cols):
            r[i] += M[i, j] * v[j]
    return r


def _rnn_forward(s: _RnnSpec) -> dict:
    p = s.p
    T = len(s.xs)
    hs = [s.h0]
    zs, os_, yhats = [], [], []
    loss = 0.0
    kink = math.inf
    for t in range(T):
        z = _matvec(p["W_xh"], s.xs[t]) + _matvec(p["W_hh"], hs[-1]) + p["b_h"]
        h = _act(s.act, z)
        kink = min(kink, _kink_distance(s.act, z))
        o = _matvec(p["W_hy"], h) + p["b_y"]
        yhat = _act(s.out, o)
        zs.append(z)
        hs.append(h)
        os_.append(o)
        yhats.append(yhat)
        if s.targets[t] is not None:
            loss += _loss(s.loss, yhat, s.targets[t])
    return dict(hs=hs, zs=zs, os=os_, yhats=yhats, loss=loss, kink=kink)


def _rnn_backward(s: _RnnSpec, f: dict) -> dict[str, np.ndarray]:
    """The parameters' gradients, and (keys ``inputs``, ``h0``) ∂L/∂x_t = W_xhᵀ δ_t per row and
    ∂L/∂h_0 = W_hhᵀ δ_1, the dL/dh_t a step before the first."""
    p = s.p
    T = len(s.xs)
    g = {name: np.zeros_like(p[name]) for name in _RNN_PARAMS}
    g["inputs"] = np.zeros_like(s.xs)
    dh_next = np.zeros(len(s.h0))                   # dL/dh_t coming from step t+1
    for t in reversed(range(T)):
        h = f["hs"][t + 1]
        h_prev = f["hs"][t]
        dh = dh_next.copy()
        if s.targets[t] is not None:
            dyhat = _loss_grad(s.loss, f["yhats"][t], s.targets[t])
            do = _act_backward(s.out, f["os"][t], f["yhats"][t], dyhat)
            d_y, d_h = p["W_hy"].shape
            for i in range(d_y):
                for j in range(d_h):
                    g["W_hy"][i, j] += do[i] * h[j]
                g["b_y"][i] += do[i]
            for j in range(d_h):
                for i in range(d_y):
                    dh[j] += p["W_hy"][i, j] * do[i]
        dz = _act_backward(s.act, f["zs"][t], h, dh)
        d_h, d_x = p["W_xh"].shape
        for i in range(d_h):
            for j in range(d_x):
                g["W_xh"][i, j] += dz[i] * s.xs[t][j]
            for j in range(d_h):
                g["W_hh"][i, j] += dz[i] * h_prev[j]
            g["b_h"][i] += dz[i]
        for j in range(d_x):
            for i in range(d_h):
                g["inputs"][t, j] += p["W_xh"][i, j] * dz[i]
        dh_next = np.zeros(d_h)
        for j in range(d_h):
            for i in range(d_h):
                dh_next[j] += p["W_hh"][i, j] * dz[i]
    g["h0"] = dh_next
    return g


def _rnn_train(part: dict):
    s = _RnnSpec(part)
    out: dict[str, np.ndarray] = {}
    first = _rnn_forward(s)
    out["output"] = _f64(first["yhats"])
    out["hidden"] = _f64(first["hs"][1:])
    kink = math.inf
    for k in range(1, s.iterations + 1):
        f = _rnn_forward(s)
        kink = min(kink, f["kink"])
        out[f"it{k}.loss"] = _scalar(f["loss"])
        grads = _rnn_backward(s, f)
        out[f"it{k}.grad.inputs"], out[f"it{k}.grad.h0"] = grads["inputs"], grads["h0"]
        if k == 1:
            for name in _RNN_PARAMS:
                if name in s.given:
                    out[f"grad1.{name}"] = grads[name].copy()
        for name in _RNN_PARAMS:
            if name in s.given:
                s.p[name] = s.p[name] - s.lr * grads[name]     # plain SGD
    f = _rnn_forward(s)
    kink = min(kink, f["kink"])
    out["final.loss"] = _scalar(f["loss"])
    for name in _RNN_PARAMS:
        if name in s.given:
            out[f"final.{name}"] = s.p[name].copy()
    return out, kink


def rnn(part: dict) -> dict[str, np.ndarray]:
    """An Elman RNN over T steps, trained with plain SGD and backpropagation through time."""
    return _rnn_train(part)[0]


def rnn_loss(part: dict) -> float:
    return _rnn_forward(_RnnSpec(part))["loss"]


# --- an RNN layer given upstream gradients, as CS231n's assignment 3 writes it ------------------
# rnn_step_forward / rnn_step_backward / rnn_forward / rnn_backward(dh, cache), in its row-vector
# convention (a minibatch of one): next_h = tanh(x Wx + prev_h Wh + b) with Wx = W_xhᵀ (D × H) and
# Wh = W_hhᵀ (H × H); dh[t] is the upstream gradient of h_t, added to the gradient dprev_h coming
# back from step t + 1; dh0 is the last dprev_h.  The ReLU case only changes the step's derivative.

def _upstream_part(part: dict):
    xs = _f64(part["inputs"])
    xs = xs[:, None] if xs.ndim == 1 else xs
    Wx, Wh = _f64(part["W_xh"]).reshape(-1, xs.shape[1]).T, _f64(part["W_hh"]).T
    H = Wh.shape[0]
    h0 = np.zeros(H) if part.get("h0") is None else _vector(part["h0"])
    b = np.zeros(H) if part.get("b_h") is None else _vector(part["b_h"])
    up = part["upstream"]
    dh = np.ones((len(xs), H)) if up == "ones" else _f64(up).reshape(len(xs), H)
    return xs, h0, Wx, Wh, b, dh, part.get("activation", "tanh")


def _rnn_step_forward(x, prev_h, Wx, Wh, b, act):
    a = x @ Wx + prev_h @ Wh + b
    next_h = np.tanh(a) if act == "tanh" else np.maximum(a, 0.0)
    return next_h, (x, prev_h, Wx, Wh, a, next_h)


def _rnn_step_backward(dnext_h, cache, act):
    x, prev_h, Wx, Wh, a, next_h = cache
    da = dnext_h * (1 - next_h ** 2) if act == "tanh" else dnext_h * (a > 0)
    return da @ Wx.T, da @ Wh.T, np.outer(x, da), np.outer(prev_h, da), da


def rnn_upstream(part: dict) -> dict[str, np.ndarray]:
    """The hidden states and the gradients of an RNN layer given ``upstream`` (T × H): of the
    inputs (T × D), of h_0 and of W_xh, W_hh, b_h (in dryrun's orientation, W_xh H × D), named as
    dryrun's trace names them."""
    xs, h0, Wx, Wh, b, dh, act = _upstream_part(part)
    h, caches, hs = h0, [], []
    for x in xs:                                    # rnn_forward
        h, cache = _rnn_step_forward(x, h, Wx, Wh, b, act)
        hs.append(h)
        caches.append(cache)
    dx, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev_h = np.zeros_like(h0)
    for t in reversed(range(len(xs))):             # rnn_backward(dh, cache)
        dx[t], dprev_h, dWx_t, dWh_t, db_t = _rnn_step_backward(dh[t] + dprev_h, caches[t], act)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    out = {"hidden": np.array(hs), "it1.grad.inputs": dx, "it1.grad.h0": dprev_h, "it1.dW_xh": dWx.T,
           "it1.dW_hh": dWh.T}
    if part.get("b_h") is not None:
        out["it1.db_h"] = db
    return out


def rnn_upstream_loss(part: dict) -> float:
    """L = Σ_t upstream_t · h_t: the loss whose gradients ``rnn_upstream`` gives."""
    xs, h0, Wx, Wh, b, dh, act = _upstream_part(part)
    h, total = h0, 0.0
    for t, x in enumerate(xs):
        h, _ = _rnn_step_forward(x, h, Wx, Wh, b, act)
        total += float(dh[t] @ h)
    return total


# ---------------------------------------------------------------------------------------
# 3. single-head scaled dot-product self-attention
# ---------------------------------------------------------------------------------------

def _matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    n, m = A.shape
    m2, p = B.shape
    if m != m2:
        raise ValueError("inner dimensions differ")
    C = np.zeros((n, p))
    for i in range(n):
        for j in range(p):
            for k in range(m):
                C[i, j] += A[i, k] * B[k, j]
    return C


def _transpose(A: np.ndarray) -> np.ndarray:
    n, m = A.shape
    T = np.zeros((m, n))
    for i in range(n):
        for j in range(m):
            T[j, i] = A[i, j]
    return T


def _matrix(x) -> np.ndarray:
    a = _f64(x)
    if a.ndim == 1:
        a = a[None, :]
    return a


def attention(part: dict) -> dict[str, np.ndarray]:
    """Q = X W_q, K = X W_k, V = X W_v, S = Q Kᵀ/√d_k (masked), A = softmax_rows(S), O = A V."""
    X = _matrix(part["tokens"])
    Wq, Wk, Wv = _matrix(part["W_q"]), _matrix(part["W_k"]), _matrix(part["W_v"])
    mask = part.get("mask") or "none"
    if mask not in ("none", "causal"):
        raise ValueError(f"unknown mask {mask!r}")
    n = X.shape[0]
    dk = Wq.shape[1]
    Q, K, V = _matmul(X, Wq), _matmul(X, Wk), _matmul(X, Wv)
    S = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if mask == "causal" and j > i:
                S[i, j] = -math.inf
            else:
                total = 0.0
                for c in range(dk):
                    total += Q[i, c] * K[j, c]
                S[i, j] = total / math.sqrt(dk)
    A = np.zeros((n, n))
    for i in range(n):
        m = max(S[i, j] for j in range(n) if S[i, j] != -math.inf)
        e = [0.0 if S[i, j] == -math.inf else math.exp(S[i, j] - m) for j in range(n)]
        total = sum(e)
        for j in range(n):
            A[i, j] = e[j] / total
    O = _matmul(A, V)
    out = {"Q": Q, "K": K, "V": V, "scores": S, "weights": A, "output": O}
    if part.get("upstream") is None:
        return out

    G = _matrix(part["upstream"])                    # ∂L/∂O, n × d_v
    dv = V.shape[1]
    # O = A V  →  dA_ij = Σ_c G_ic V_jc,  dV_jc = Σ_i A_ij G_ic
    dA = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            for c in range(dv):
                dA[i, j] += G[i, c] * V[j, c]
    dV = np.zeros_like(V)
    for j in range(n):
        for c in range(dv):
            for i in range(n):
                dV[j, c] += A[i, j] * G[i, c]
    # row softmax: dS_ij = A_ij (dA_ij − Σ_k A_ik dA_ik); a masked entry has A_ij = 0 → dS_ij = 0
    dS = np.zeros((n, n))
    for i in range(n):
        row = 0.0
        for k in range(n):
            row += A[i, k] * dA[i, k]
        for j in range(n):
            dS[i, j] = A[i, j] * (dA[i, j] - row)
    # S_ij = Σ_c Q_ic K_jc / √d_k
    dQ = np.zeros_like(Q)
    dK = np.zeros_like(K)
    for i in range(n):
        for j in range(n):
            for c in range(dk):
                dQ[i, c] += dS[i, j] * K[j, c] / math.sqrt(dk)
                dK[j, c] += dS[i, j] * Q[i, c] / math.sqrt(dk)
    Xt = _transpose(X)
    out["grad.W_q"] = _matmul(Xt, dQ)
    out["grad.W_k"] = _matmul(Xt, dK)
    out["grad.W_v"] = _matmul(Xt, dV)
    out["grad.tokens"] = (_matmul(dQ, _transpose(Wq)) + _matmul(dK, _transpose(Wk))
                          + _matmul(dV, _transpose(Wv)))
    return out


def attention_loss(part: dict) -> float:
    """L = Σ_ij G_ij O_ij."""
    O = attention({**part, "upstream": None})["output"]
    G = _matrix(part["upstream"])
    total = 0.0
    for i in range(O.shape[0]):
        for j in range(O.shape[1]):
            total += G[i, j] * O[i, j]
    return total


# ---------------------------------------------------------------------------------------
# 4. batch normalisation (training mode, one batch)
# ---------------------------------------------------------------------------------------

def batchnorm(part: dict) -> dict[str, np.ndarray]:
    """Per feature f over the N samples: μ, biased σ², x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β."""
    X = _matrix(part["input"])                       # F × N (a flat list: one feature)
    F, N = X.shape
    gamma, beta = _vector(part["gamma"]), _vector(part["beta"])
    eps = float(part.get("epsilon", 1e-5))
    mean = np.zeros(F)
    var = np.zeros(F)
    xhat = np.zeros((F, N))
    y = np.zeros((F, N))
    for f in range(F):
        mean[f] = sum(X[f, n] for n in range(N)) / N
        var[f] = sum((X[f, n] - mean[f]) ** 2 for n in range(N)) / N
        for n in range(N):
            xhat[f, n] = (X[f, n] - mean[f]) / math.sqrt(var[f] + eps)
            y[f, n] = gamma[f] * xhat[f, n] + beta[f]
    out = {"mean": mean, "variance": var, "xhat": xhat, "output": y}
    if part.get("upstream") is None:
        return out

    G = _matrix(part["upstream"])                    # ∂L/∂y, F × N
    dgamma = np.zeros(F)
    dbeta = np.zeros(F)
    dX = np.zeros((F, N))
    for f in range(F):
        s = math.sqrt(var[f] + eps)
        dxhat = [G[f, n] * gamma[f] for n in range(N)]
        for n in range(N):
            dgamma[f] += G[f, n] * xhat[f, n]
            dbeta[f] += G[f, n]
        # chain rule through σ² and μ, step by step
        dvar = sum(dxhat[n] * (X[f, n] - mean[f]) for n in range(N)) * (-0.5) * (var[f] + eps) ** -1.5
        dmean = (sum(-dxhat[n] / s for n in range(N))
                 + dvar * sum(-2.0 * (X[f, n] - mean[f]) for n in range(N)) / N)
        for n in range(N):
            dX[f, n] = dxhat[n] / s + dvar * 2.0 * (X[f, n] - mean[f]) / N + dmean / N
    out["grad.gamma"] = dgamma
    out["grad.beta"] = dbeta
    out["grad.input"] = dX
    return out


def batchnorm_loss(part: dict) -> float:
    """L = Σ upstream ⊙ y."""
    y = batchnorm({**part, "upstream": None})["output"]
    G = _matrix(part["upstream"])
    return float(sum(G[f, n] * y[f, n] for f in range(y.shape[0]) for n in range(y.shape[1])))


# ---------------------------------------------------------------------------------------
# random instances
# ---------------------------------------------------------------------------------------

_GRIDS = (0.1, 0.25)
_PLAIN_LOSSES = ("sse", "half_sse", "mse", "half_mse")
_DENSE_ACTS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")


def _grid_values(rng: np.random.Generator, shape, step: float, low=-1.0, high=1.0):
    """Values on the grid of ``step`` in [low, high], as nested Python lists of floats."""
    lo, hi = round(low / step), round(high / step)
    ints = rng.integers(lo, hi + 1, size=shape)
    vals = np.round(ints * step, 10)
    return vals.tolist()


def _choice(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _output_and_target(rng, step, units_choices=(1, 2, 3)):
    """(output activation, loss, units, target) — every valid combination."""
    loss = _choice(rng, _PLAIN_LOSSES + ("bce", "cce"))
    if loss == "bce":
        act = "sigmoid"
    elif loss == "cce":
        act = "softmax"
    else:
        act = _choice(rng, _DENSE_ACTS + ("softmax",))
    units = _choice(rng, (2, 3)) if act == "softmax" else _choice(rng, units_choices)
    if loss == "cce":
        y = [0.0] * units
        y[int(rng.integers(units))] = 1.0
    elif loss == "bce":
        y = _grid_values(rng, units, step, 0.0, 1.0)
    else:
        y = _grid_values(rng, units, step)
    return act, loss, units, y


def _random_cnn(rng: np.random.Generator) -> dict:
    step = _choice(rng, _GRIDS)
    size = _choice(rng, (4, 5))
    C = _choice(rng, (1, 2))
    K = _choice(rng, (1, 2))
    kh = _choice(rng, (2, 3))
    stride = _choice(rng, (1, 1, 2))
    padding = _choice(rng, (0, 0, 1))
    x = _grid_values(rng, (size, size), step) if C == 1 else _grid_values(rng, (C, size, size), step)
    if C == 1 and rng.random() < 0.5:
        kernels = _grid_values(rng, (K, kh, kh), step)
    else:
        kernels = _grid_values(rng, (K, C, kh, kh), step)
    conv = {"kernels": kernels, "activation": _choice(rng, _DENSE_ACTS)}
    if rng.random() < 0.6:
        conv["bias"] = _grid_values(rng, K, step)
    if stride != 1:
        conv["stride"] = stride
    if padding:
        conv["padding"] = padding
    part = {"input": x, "conv": conv}
    oh = (size + 2 * padding - kh) // stride + 1
    side = oh
    if rng.random() < 0.6:
        window = _choice(rng, (2, [2, 2]))
        pool = {"mode": _choice(rng, ("max", "average")), "window": window}
        pstride = _choice(rng, (None, 1, 2))
        if pstride is not None:
            pool["stride"] = pstride
        ps = pstride or 2
        if oh >= 2:
            part["pool"] = pool
            side = (oh - 2) // ps + 1
    n_in = K * side * side
    layers = []
    if rng.random() < 0.5:                             # a hidden layer
        hidden = _choice(rng, (1, 2, 3))
        layer = {"activation": _choice(rng, _DENSE_ACTS + ("softmax",)),
                 "weights": _grid_values(rng, (hidden, n_in), step)}
        if layer["activation"] == "softmax" and hidden == 1:
            layer["activation"] = "tanh"
        if rng.random() < 0.7:
            layer["bias"] = _grid_values(rng, hidden, step)
        layers.append(layer)
        n_in = hidden
    act, loss, units, y = _output_and_target(rng, step)
    layer = {"activation": act, "weights": _grid_values(rng, (units, n_in), step)}
    if rng.random() < 0.7:
        layer["bias"] = _grid_values(rng, units, step)
    layers.append(layer)
    part["dense"] = layers
    part["target"] = y[0] if units == 1 and rng.random() < 0.5 else y
    part["loss"] = loss
    part["learning_rate"] = _choice(rng, (0.1, 0.5))
    part["iterations"] = _choice(rng, (1, 2))
    return part


def _random_rnn(rng: np.random.Generator) -> dict:
    step = _choice(rng, _GRIDS)
    T = int(rng.integers(2, 5))
    dx, dh = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    out, loss, dy, _ = _output_and_target(rng, step)
    if out not in ("identity", "sigmoid", "softmax"):
        out = "identity"
        loss = _choice(rng, _PLAIN_LOSSES)

    def target():
        if loss == "cce":
            y = [0.0] * dy
            y[int(rng.integers(dy))] = 1.0
            return y
        if loss == "bce":
            return _grid_values(rng, dy, step, 0.0, 1.0)
        return _grid_values(rng, dy, step)

    part = {
        "inputs": _grid_values(rng, T, step) if dx == 1 and rng.random() < 0.5
        else _grid_values(rng, (T, dx), step),
        "h0": _grid_values(rng, dh, step),
        "W_xh": _grid_values(rng, (dh, dx), step),
        "W_hh": _grid_values(rng, (dh, dh), step),
        "b_h": _grid_values(rng, dh, step),
        "W_hy": _grid_values(rng, (dy, dh), step),
        "b_y": _grid_values(rng, dy, step),
        "activation": _choice(rng, ("tanh", "relu")),
        "output": out,
    }
    if rng.random() < 0.5:
        rows = [target() if rng.random() < 0.7 else None for _ in range(T)]
        if all(r is None for r in rows):
            rows[-1] = target()
        part["targets"] = rows
    else:
        part["target"] = target()
    part["loss"] = loss
    part["learning_rate"] = _choice(rng, (0.1, 0.5))
    part["iterations"] = _choice(rng, (1, 2))
    return part


def _random_attention(rng: np.random.Generator) -> dict:
    step = _choice(rng, _GRIDS)
    n, d = int(rng.integers(2, 5)), int(rng.integers(2, 4))
    dk, dv = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {
        "tokens": _grid_values(rng, (n, d), step),
        "W_q": _grid_values(rng, (d, dk), step),
        "W_k": _grid_values(rng, (d, dk), step),
        "W_v": _grid_values(rng, (d, dv), step),
        "mask": _choice(rng, ("none", "causal")),
        "upstream": _grid_values(rng, (n, dv), step),
    }


def _random_batchnorm(rng: np.random.Generator) -> dict:
    step = _choice(rng, _GRIDS)
    F, N = int(rng.integers(1, 4)), int(rng.integers(2, 6))
    part = {
        "input": _grid_values(rng, (F, N), step),
        "gamma": _grid_values(rng, F, step),
        "beta": _grid_values(rng, F, step),
        "upstream": _grid_values(rng, (F, N), step),
    }
    if rng.random() < 0.5:
        part["epsilon"] = _choice(rng, (1e-5, 1e-3, 0.01))
    return part


def implemented(kinds) -> tuple:
    """The kinds of ``kinds`` (names, in their order) this module implements: a function named after
    the kind and its loss ``<kind>_loss``."""
    here = globals()
    return tuple(k for k in kinds if callable(here.get(k)) and callable(here.get(f"{k}_loss")))


def random_part(kind: str, rng: np.random.Generator) -> dict:
    """A small random valid instance of ``kind`` (cnn, rnn, attention, batchnorm).

    Instances where a ReLU / leaky-ReLU pre-activation or a max-pool tie lies within 1e-6 of
    its kink, in any forward pass of the training (initial, after each update), are redrawn."""
    makers = {"cnn": _random_cnn, "rnn": _random_rnn,
              "attention": _random_attention, "batchnorm": _random_batchnorm}
    if kind not in makers:
        raise ValueError(f"unknown kind {kind!r}")
    for _ in range(1000):
        part = makers[kind](rng)
        if kind == "cnn":
            _, kink = _cnn_train(part)
        elif kind == "rnn":
            _, kink = _rnn_train(part)
        else:
            kink = math.inf
        if kink > KINK:
            return part
    raise RuntimeError("could not draw an instance away from every kink")
