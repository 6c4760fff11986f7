"""Grid operations shared by the convolution and pooling kinds: output sizes and padding."""

from __future__ import annotations

import numpy as np

from . import exact


def out_size(n: int, k: int, s: int, p: int) -> int:
    """Positions of a window of size k with stride s over n entries padded by p on each side."""
    return (n + 2 * p - k) // s + 1


def pad(a: np.ndarray, p: int, fill, axes) -> np.ndarray:
    """``a`` with ``p`` entries of ``fill`` around it along ``axes`` (an object array stays one)."""
    shape = list(a.shape)
    for ax in axes:
        shape[ax] += 2 * p
    out = exact.full(tuple(shape), fill)
    index = tuple(slice(p, p + a.shape[ax]) if ax in axes else slice(None) for ax in range(a.ndim))
    out[index] = a
    return out
