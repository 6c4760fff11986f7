"""The schema of a CNN exercise: an image (or its channels), a convolution with one kernel per
output channel, an optional pooling, dense layers on the flattened maps, the loss and the training —
or ``stop_after``: the forward pass alone (with the loss where a target is given) or the gradients,
no update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine.dense import ACTIVATION_ALIASES, LOSS_ALIASES, LOSSES
from ...errors import SpecError
from ...validate import (iterations as iteration_count, choice, grid, integer, join, mapping, matrix, number, plural, positions, shape_text,
                         text, vector)
from ...limits import DEFAULT, bound
from ..common import refuse_training, stop_after

#: Beyond these a map, a kernel or a weight matrix no longer fits on a line of the page.
#: The default sizes (``--limit max_cnn_side=N``, ``max_cnn_channels``, ``max_cnn_kernels``,
#: ``max_cnn_flat``, ``max_cnn_units`` raise them).
MAX_SIDE, MAX_KERNELS, MAX_CHANNELS, MAX_FLAT, MAX_UNITS = (DEFAULT.max_cnn_side, DEFAULT.max_cnn_kernels,
                                                           DEFAULT.max_cnn_channels, DEFAULT.max_cnn_flat,
                                                           DEFAULT.max_cnn_units)
KEYS = ("id", "title", "text", "input", "conv", "pool", "dense", "target", "loss", "learning_rate", "iterations",
        "stop_after")
CONV_KEYS = ("kernels", "bias", "stride", "padding", "activation")
POOL_KEYS = ("mode", "window", "stride")
LAYER_KEYS = ("activation", "weights", "bias")
CONV_ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")
DENSE_ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
CNN_LOSSES = tuple(l for l in LOSSES if l != "square")


@dataclass(frozen=True, eq=False)
class Dense:
    activation: str
    weights: np.ndarray          # units × inputs
    bias: np.ndarray | None


@dataclass(frozen=True, eq=False)
class CNN:
    id: str
    title: str
    text: str
    input: np.ndarray            # C × H × W
    kernels: np.ndarray          # K × C × kh × kw
    conv_bias: np.ndarray | None  # K
    stride: int
    padding: int
    activation: str
    pool_mode: str | None        # max | average | None (no pooling)
    pool_window: tuple[int, int]
    pool_stride: int
    dense: tuple[Dense, ...]
    target: np.ndarray | None    # None: a forward pass without a loss
    loss: str | None             # None: a forward pass without a loss (and no target)
    learning_rate: float | None  # None: an exercise that stops before the update (stop_after)
    iterations: int
    channels_given: bool         # the kernels were given with a channel axis (C × kh × kw each)
    kind: str = "cnn"
    stop_after: str | None = None   # "forward" or "gradients": one pass, no update (None: train)

    @property
    def conv_shape(self) -> tuple[int, int, int]:
        C, H, W = self.input.shape
        K, _, kh, kw = self.kernels.shape
        return K, (H + 2 * self.padding - kh) // self.stride + 1, (W + 2 * self.padding - kw) // self.stride + 1

    @property
    def pool_shape(self) -> tuple[int, int, int]:
        K, oh, ow = self.conv_shape
        if self.pool_mode is None:
            return K, oh, ow
        (ph, pw), s = self.pool_window, self.pool_stride
        return K, (oh - ph) // s + 1, (ow - pw) // s + 1

    @property
    def flat_size(self) -> int:
        K, h, w = self.pool_shape
        return K * h * w

    def kernel_value(self, a: np.ndarray) -> np.ndarray:
        """A K × C × kh × kw array in the spec's shape (K × kh × kw for a one-channel image)."""
        return a if self.channels_given else a[:, 0]


def _kernels(value, field, C, limits):
    if not isinstance(value, list) or not value:
        raise SpecError("expected a list of kernels (one per output channel)", field=field)
    if len(value) > limits.max_cnn_kernels:
        raise SpecError(f"more than {limits.max_cnn_kernels} kernels (limit max_cnn_kernels)", field=field)
    ks = [grid(k, join(field, i), limits, channels=True) for i, k in enumerate(value)]
    for i, k in enumerate(ks):
        if k.shape[0] != C:
            raise SpecError(f"kernel {i + 1} has {plural(k.shape[0], 'channel')}, the input {C}", field=join(field, i))
        if k.shape != ks[0].shape:
            raise SpecError("all kernels must have the same shape", field=join(field, i))
    return np.stack(ks)


def _dense(value, field, n_in, limits):
    if not isinstance(value, list) or not value:
        raise SpecError("expected a list of dense layers", field=field)
    if len(value) > limits.max_layers:
        raise SpecError(f"more than {limits.max_layers} layers (limit max_layers)", field=field)
    layers = []
    for i, lv in enumerate(value):
        f = join(field, i)
        m = mapping(lv, f, LAYER_KEYS, ("activation", "weights"))
        act = choice(m["activation"], join(f, "activation"), DENSE_ACTIVATIONS, ACTIVATION_ALIASES)
        W = matrix(m["weights"], join(f, "weights"))
        source = f"the {plural(n_in, 'flattened value')}" if i == 0 else f"the {plural(n_in, 'unit')} of dense layer {i}"
        if W.shape[1] != n_in:
            raise SpecError(f"must have {n_in} columns ({source}), got {shape_text(W)}", field=join(f, "weights"))
        most, limit = bound(limits, "max_cnn_units", "max_units")
        if W.shape[0] > most:
            raise SpecError(f"{W.shape[0]} units, more than {most} (limit {limit})", field=join(f, "weights"))
        b = None
        if m.get("bias") is not None:
            b = vector(m["bias"], join(f, "bias"))
            if b.size != W.shape[0]:
                raise SpecError(f"expected {plural(W.shape[0], 'entry', 'entries')} (one per unit), got {b.size}",
                                field=join(f, "bias"))
        if act == "softmax" and i != len(value) - 1:
            raise SpecError("softmax belongs to the output layer", field=join(f, "activation"))
        layers.append(Dense(act, W, b))
        n_in = W.shape[0]
    return tuple(layers)


def parse(value, field: str, ident: str, limits) -> CNN:
    stop = stop_after(value, field)
    m = mapping(value, field, KEYS, ("input", "conv", "dense") + (("target", "loss") if stop != "forward" else ())
                + (("learning_rate", "iterations") if stop is None else ()))
    refuse_training(m, field, stop)
    raw = m["input"]
    x = grid(raw, join(field, "input"), limits, channels=True)
    C, H, W = x.shape
    if max(H, W) > limits.max_cnn_side or C > limits.max_cnn_channels:
        raise SpecError(f"at most {limits.max_cnn_channels} channels of {limits.max_cnn_side}×{limits.max_cnn_side} "
                        f"(every map is written out; limits max_cnn_channels, max_cnn_side), got {C}×{H}×{W}",
                        field=join(field, "input"))
    cf = join(field, "conv")
    c = mapping(m["conv"], cf, CONV_KEYS, ("kernels",))
    kernels = _kernels(c["kernels"], join(cf, "kernels"), C, limits)
    # kernels written with a channel axis (C × kh × kw each) keep it in the trace
    channels_given = C > 1 or any(isinstance(r, list) and r and all(isinstance(q, list) for q in r)
                                  for k in c["kernels"] if isinstance(k, list) for r in k)
    K, _, kh, kw = kernels.shape
    stride = integer(c.get("stride", 1), join(cf, "stride"), 1, 16)
    padding = integer(c.get("padding", 0), join(cf, "padding"), 0, 8)
    oh = positions(H, kh, stride, padding, join(cf, "kernels"))
    ow = positions(W, kw, stride, padding, join(cf, "kernels"))
    bias = None
    if c.get("bias") is not None:
        bias = vector(c["bias"], join(cf, "bias"))
        if bias.size != K:
            raise SpecError(f"expected {plural(K, 'entry', 'entries')} (one per kernel), got {bias.size}",
                            field=join(cf, "bias"))
    act = choice(c.get("activation", "relu"), join(cf, "activation"), CONV_ACTIVATIONS, ACTIVATION_ALIASES)
    mode, window, pstride = None, (1, 1), 1
    if m.get("pool") is not None:
        pf = join(field, "pool")
        pm = mapping(m["pool"], pf, POOL_KEYS, ("window",))
        mode = choice(pm.get("mode", "max"), join(pf, "mode"), ("max", "average"), {"avg": "average", "mean": "average"})
        w = pm["window"]
        if isinstance(w, list):
            if len(w) != 2:
                raise SpecError("expected a size or [height, width]", field=join(pf, "window"))
            window = (integer(w[0], join(pf, "window"), 1, 16), integer(w[1], join(pf, "window"), 1, 16))
        else:
            window = (integer(w, join(pf, "window"), 1, 16),) * 2
        pstride = integer(pm.get("stride", window[0]), join(pf, "stride"), 1, 16)
        if window[0] > oh or window[1] > ow:
            raise SpecError(f"the window ({window[0]}×{window[1]}) is larger than the {oh}×{ow} maps of the "
                            "convolution", field=join(pf, "window"))
    model_kw = dict(input=x, kernels=kernels, conv_bias=bias, stride=stride, padding=padding, activation=act,
                    pool_mode=mode, pool_window=window, pool_stride=pstride)
    probe = CNN(id=ident, title="", text="", dense=(), target=np.zeros(1), loss="sse", learning_rate=1,
                iterations=1, channels_given=channels_given, **model_kw)
    n_flat = probe.flat_size
    if n_flat > limits.max_cnn_flat:
        raise SpecError(f"{n_flat} flattened values, more than {limits.max_cnn_flat} (limit max_cnn_flat; a row of "
                        "W1 must fit on a line)",
                        field=join(field, "pool" if mode else "conv"))
    dense = _dense(m["dense"], join(field, "dense"), n_flat, limits)
    n_out = dense[-1].weights.shape[0]
    if stop == "forward" and m.get("loss") is None:    # a forward pass only, no loss
        if m.get("target") is not None:
            raise SpecError("a target is compared with the output by a loss: give the loss, or remove the target",
                            field=join(field, "target"))
        return CNN(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                   text=text(m.get("text"), join(field, "text")), dense=dense, target=None, loss=None,
                   learning_rate=None, iterations=1, channels_given=channels_given, stop_after=stop, **model_kw)
    if stop == "forward" and m.get("target") is None:
        raise SpecError("a loss compares the output with a target: give the target, or remove the loss",
                        field=join(field, "target"))
    loss = choice(m["loss"], join(field, "loss"), CNN_LOSSES, LOSS_ALIASES)
    last = dense[-1].activation
    if loss == "bce" and last != "sigmoid":
        raise SpecError("loss 'bce' needs a sigmoid output layer", field=join(field, "loss"))
    if (loss == "cce") != (last == "softmax"):
        raise SpecError("a softmax output layer is trained with loss 'cce' (and 'cce' needs one)",
                        field=join(field, "loss"))
    y = vector(m["target"], join(field, "target"))
    if y.size != n_out:
        raise SpecError(f"expected {plural(n_out, 'target')} (one per output), got {y.size}", field=join(field, "target"))
    if loss in ("bce", "cce") and (y.min() < 0 or y.max() > 1):
        raise SpecError(f"targets of loss '{loss}' must lie in [0, 1]", field=join(field, "target"))
    iterations = iteration_count(m["iterations"], join(field, "iterations"), limits) if stop is None else 1
    return CNN(id=ident, title=text(m.get("title"), join(field, "title"), 300),
               text=text(m.get("text"), join(field, "text")), dense=dense, target=y, loss=loss,
               learning_rate=number(m["learning_rate"], join(field, "learning_rate"), positive=True)
               if stop is None else None,
               iterations=iterations, channels_given=channels_given, stop_after=stop, **model_kw)


def cost(model: CNN) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    K, C, kh, kw = (int(n) for n in model.kernels.shape)
    _, H, W = (int(n) for n in model.input.shape)
    _, oh, ow = model.conv_shape
    _, ph, pw = model.pool_shape
    maps = K * oh * ow
    sizes = [model.flat_size] + [int(layer.weights.shape[0]) for layer in model.dense]
    dense = sum(n_in * n + 4 * n for n_in, n in zip(sizes, sizes[1:]))
    pool = K * ph * pw * model.pool_window[0] * model.pool_window[1] if model.pool_mode else 0
    forward = maps * (C * kh * kw + 3) + pool + dense
    backward = 2 * dense + maps * (C * kh * kw + 4) + pool
    update = 3 * (K * C * kh * kw + K + sum(n_in * n + n for n_in, n in zip(sizes, sizes[1:])))
    padded = C * (H + 2 * model.padding) * (W + 2 * model.padding)
    return padded + model.iterations * (forward + backward + update) + forward
