"""The schema of a pooling exercise: max or average pooling over one grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import choice, grid, integer, join, mapping, positions, text, upstream


@dataclass(frozen=True, eq=False)
class Pool:
    id: str
    title: str
    text: str
    input: np.ndarray      # H × W
    mode: str              # max | average
    window: tuple[int, int]
    stride: int
    padding: int
    upstream: np.ndarray | None
    kind: str = "pool"



POOL_KEYS = ("id", "title", "text", "input", "mode", "window", "stride", "padding", "upstream")


def parse(value, field: str, ident: str, limits) -> Pool:
    m = mapping(value, field, POOL_KEYS, ("input", "window"))
    x = grid(m["input"], join(field, "input"), limits)
    w = m["window"]
    if isinstance(w, list):
        if len(w) != 2:
            raise SpecError("expected a size or [height, width]", field=join(field, "window"))
        window = (integer(w[0], join(field, "window"), 1, 16), integer(w[1], join(field, "window"), 1, 16))
    else:
        n = integer(w, join(field, "window"), 1, 16)
        window = (n, n)
    stride = integer(m.get("stride", window[0]), join(field, "stride"), 1, 16)
    padding = integer(m.get("padding", 0), join(field, "padding"), 0, 8)
    mode = choice(m.get("mode", "max"), join(field, "mode"), ("max", "average"), {"avg": "average", "mean": "average"})
    if 2 * padding > min(window):
        raise SpecError(f"padding {padding} is more than half the window {window[0]}×{window[1]}: "
                        "some windows would hold padding only", field=join(field, "padding"))
    oh = positions(x.shape[0], window[0], stride, padding, join(field, "window"))
    ow = positions(x.shape[1], window[1], stride, padding, join(field, "window"))
    return Pool(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                text=text(m.get("text"), join(field, "text")), input=x, mode=mode, window=window,
                stride=stride, padding=padding,
                upstream=upstream(m.get("upstream"), join(field, "upstream"), (oh, ow)))


def cost(model: Pool) -> int:
    """The terms the worked solution computes and writes out (each window entry and printed
    entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    H, W = (int(n) for n in model.input.shape)
    (wh, ww), s, p = model.window, model.stride, model.padding
    oh, ow = (H + 2 * p - wh) // s + 1, (W + 2 * p - ww) // s + 1
    windows = oh * ow * (wh * ww + 2)
    backward = 0 if model.upstream is None else windows + (H + 2 * p) * (W + 2 * p)
    return (H + 2 * p) * (W + 2 * p) + windows + backward
