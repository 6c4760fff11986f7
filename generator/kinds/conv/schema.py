"""The schema of a convolution exercise: one kernel (with a channel per input channel) over a grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import grid, integer, join, mapping, number, positions, text, upstream


@dataclass(frozen=True, eq=False)
class Conv:
    id: str
    title: str
    text: str
    input: np.ndarray      # channels × H × W
    kernel: np.ndarray     # channels × kh × kw
    bias: float | None
    stride: int
    padding: int
    upstream: np.ndarray | None   # out_h × out_w
    kind: str = "conv"



CONV_KEYS = ("id", "title", "text", "input", "kernel", "bias", "stride", "padding", "upstream")


def parse(value, field: str, ident: str, limits) -> Conv:
    m = mapping(value, field, CONV_KEYS, ("input", "kernel"))
    x = grid(m["input"], join(field, "input"), limits, channels=True)
    k = grid(m["kernel"], join(field, "kernel"), limits, channels=True)
    if k.shape[0] != x.shape[0]:
        raise SpecError(f"the kernel has {k.shape[0]} channel(s), the input {x.shape[0]}",
                        field=join(field, "kernel"))
    stride = integer(m.get("stride", 1), join(field, "stride"), 1, 16)
    padding = integer(m.get("padding", 0), join(field, "padding"), 0, 8)
    oh = positions(x.shape[1], k.shape[1], stride, padding, join(field, "kernel"))
    ow = positions(x.shape[2], k.shape[2], stride, padding, join(field, "kernel"))
    bias = None if m.get("bias") is None else number(m["bias"], join(field, "bias"))
    return Conv(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                text=text(m.get("text"), join(field, "text")), input=x, kernel=k, bias=bias,
                stride=stride, padding=padding,
                upstream=upstream(m.get("upstream"), join(field, "upstream"), (oh, ow)))


def cost(model: Conv) -> int:
    """The terms the worked solution computes and writes out (each window, product and printed
    entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    C, H, W = (int(n) for n in model.input.shape)
    _, kh, kw = (int(n) for n in model.kernel.shape)
    oh = (H + 2 * model.padding - kh) // model.stride + 1
    ow = (W + 2 * model.padding - kw) // model.stride + 1
    padded = C * (H + 2 * model.padding) * (W + 2 * model.padding)
    forward = 3 * oh * ow * C * kh * kw + 2 * oh * ow
    backward = 0 if model.upstream is None else 2 * oh * ow * C * kh * kw + padded + oh * ow
    return padded + forward + backward
