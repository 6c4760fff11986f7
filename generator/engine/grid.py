"""Window arithmetic over grids, in exact decimals: output sizes and padding, the convolution
(cross-correlation, as in deep learning) with its two gradients, pooling with its gradient.

A grid is H × W (one channel) or C × H × W (channels, or the maps of several kernels); a window of
size kh × kw moves with ``stride`` over the grid padded by ``padding`` on every side.  Window
(i, j) covers grid position (r, q) = (i s + a − p, j s + b − p) with its entry (a, b); a position
outside the grid is padding: 0 in a convolution and an average, never the maximum.  Sums run in
reading order (channel, then row, then column; windows (i, j) row by row), so that every kind
computes the same decimals.  ``generator.ops`` records these as steps; nothing here records."""

from __future__ import annotations

import numpy as np

from . import exact


def out_size(n: int, k: int, s: int, p: int) -> int:
    """Positions of a window of size k with stride s over n entries padded by p on each side."""
    return (n + 2 * p - k) // s + 1


def sizes(shape, size, stride: int, padding: int) -> dict:
    """What the size formula ⌊(n + 2p − k)/s⌋ + 1 of a grid of ``shape`` says, rows and columns:
    its numerators ``span_h``, ``span_w`` and the output size ``out_h``, ``out_w``."""
    (h, w), (kh, kw) = shape[-2:], size
    return {"out_h": out_size(h, kh, stride, padding), "out_w": out_size(w, kw, stride, padding),
            "span_h": h + 2 * padding - kh, "span_w": w + 2 * padding - kw}


def padding_cells(shape, size, stride: int, padding: int) -> list:
    """For window (i, j) and its entry (a, b), [i][j][a][b]: whether it lies in the padding."""
    oh, ow = _grid_shape(shape, size, stride, padding)
    return [[[[not inside(r, q, shape) for a, b, r, q in cells(i, j, size, stride, padding) if a == row]
              for row in range(size[0])] for j in range(ow)] for i in range(oh)]


def pad(a: np.ndarray, p: int, fill, axes) -> np.ndarray:
    """``a`` with ``p`` entries of ``fill`` around it along ``axes`` (an object array stays one)."""
    shape = list(a.shape)
    for ax in axes:
        shape[ax] += 2 * p
    out = exact.full(tuple(shape), fill)
    index = tuple(slice(p, p + a.shape[ax]) if ax in axes else slice(None) for ax in range(a.ndim))
    out[index] = a
    return out


def padded(x, padding: int) -> np.ndarray:
    """The grid(s) ``x`` with ``padding`` zeros around every grid."""
    x = exact.array(x)
    return pad(x, padding, exact.ZERO, axes=(x.ndim - 2, x.ndim - 1))


def maps(x) -> np.ndarray:
    """A grid or a stack of grids as C × H × W."""
    a = np.asarray(x, dtype=object)
    return a[None] if a.ndim == 2 else a


def kernels(k, filters: bool) -> np.ndarray:
    """Kernels as F × C × kh × kw: ``filters`` — the first axis is the kernel (one output map
    each), a kernel without a channel axis has one channel; else one kernel (kh × kw, or
    C × kh × kw)."""
    a = np.asarray(k, dtype=object)
    if filters:
        return a[:, None] if a.ndim == 3 else a
    return a[None, None] if a.ndim == 2 else a[None]


def cells(i: int, j: int, size, stride: int, padding: int):
    """(a, b, r, q) for each entry (a, b) of window (i, j), in reading order: the grid position
    (r, q) it covers (outside the grid where it is padding)."""
    kh, kw = size
    return [(a, b, i * stride + a - padding, j * stride + b - padding) for a in range(kh) for b in range(kw)]


def inside(r: int, q: int, shape) -> bool:
    return 0 <= r < shape[-2] and 0 <= q < shape[-1]


def _sum(terms):
    """Σ of ``terms`` in order (exact 0 for none)."""
    out = exact.ZERO
    for n, t in enumerate(terms):
        out = t if n == 0 else out + t
    return out


def _grid_shape(x_shape, size, stride: int, padding: int):
    return out_size(x_shape[-2], size[0], stride, padding), out_size(x_shape[-1], size[1], stride, padding)


def correlate(x, k, *bias, stride: int, padding: int, filters: bool = False) -> np.ndarray:
    """z = Σ_c Σ_ab k_cab x_c[i s + a − p, j s + b − p] (+ b): one map (oh × ow) of one kernel, or
    with ``filters`` a map per kernel (F × oh × ow, a bias per kernel)."""
    X, K = maps(x), kernels(k, filters)
    F, C, kh, kw = K.shape
    oh, ow = _grid_shape(X.shape, (kh, kw), stride, padding)
    out = exact.full((F, oh, ow))
    for f in range(F):
        for i in range(oh):
            for j in range(ow):
                v = _sum(X[c, r, q] * K[f, c, a, b] for c in range(C)
                         for a, b, r, q in cells(i, j, (kh, kw), stride, padding) if inside(r, q, X.shape))
                if bias:
                    v = v + (np.asarray(bias[0], dtype=object).reshape(-1)[f])
                out[f, i, j] = v
    return out if filters else out[0]


def kernel_grad(g, x, *, stride: int, padding: int, shape, filters: bool = False) -> np.ndarray:
    """∂L/∂k_cab = Σ_ij g_ij x_c[i s + a − p, j s + b − p] (the input correlated with the upstream
    gradient), per kernel with ``filters``; in the kernel's ``shape``."""
    G = np.asarray(g, dtype=object)
    G = G if filters else G[None]
    X = maps(x)
    full = kernels(np.empty(shape, dtype=object), filters).shape
    F, C, kh, kw = full
    out = exact.full(full)
    for f in range(F):
        for c in range(C):
            for a in range(kh):
                for b in range(kw):
                    total = exact.ZERO
                    for i in range(G.shape[1]):
                        for j in range(G.shape[2]):
                            r, q = i * stride + a - padding, j * stride + b - padding
                            if inside(r, q, X.shape):
                                total = total + G[f, i, j] * X[c, r, q]
                    out[f, c, a, b] = total
    return out.reshape(shape)


def input_grad(g, k, *, stride: int, padding: int, shape, filters: bool = False) -> np.ndarray:
    """∂L/∂x_c[r, q] = Σ over the windows (i, j) and kernel entries (a, b) that reach (r, q) of
    g_ij k_cab (a full convolution); positions in the padding are dropped.  In the input's
    ``shape``."""
    G = np.asarray(g, dtype=object)
    G = G if filters else G[None]
    K = kernels(k, filters)
    F, C, kh, kw = K.shape
    out = exact.full(maps(np.empty(shape, dtype=object)).shape)
    for i in range(G.shape[1]):
        for j in range(G.shape[2]):
            for f in range(F):
                for c in range(C):
                    for a, b, r, q in cells(i, j, (kh, kw), stride, padding):
                        if inside(r, q, out.shape):
                            out[c, r, q] = out[c, r, q] + G[f, i, j] * K[f, c, a, b]
    return out.reshape(shape)


def routes(shape, size, stride: int, padding: int) -> list:
    """For each input position [c][r][q] the [i, j, a, b] of the windows and kernel entries that
    reach it, in the order of the sums."""
    C, H, W = maps(np.empty(shape, dtype=object)).shape
    out = [[[[] for _ in range(W)] for _ in range(H)] for _ in range(C)]
    oh, ow = _grid_shape(shape, size, stride, padding)
    for i in range(oh):
        for j in range(ow):
            for c in range(C):
                for a, b, r, q in cells(i, j, size, stride, padding):
                    if inside(r, q, (H, W)):
                        out[c][r][q].append([i, j, a, b])
    return out


def windows(x, *, size, stride: int, padding: int) -> np.ndarray:
    """The window of every output position: oh × ow × kh × kw (oh × ow × C × kh × kw for
    channels), padding as 0."""
    xp = padded(x, padding)
    kh, kw = size
    oh, ow = _grid_shape(np.shape(x), size, stride, padding)
    return np.stack([np.stack([xp[..., i * stride:i * stride + kh, j * stride:j * stride + kw] for j in range(ow)])
                     for i in range(oh)])


def first_max(values) -> int:
    """The position of the maximum of ``values``; on a tie the first (in reading order),
    decided on the exact values."""
    return max(range(len(values)), key=lambda n: (values[n], -n))


def argmax(x, *, size, stride: int, padding: int) -> np.ndarray:
    """(r, q) of the maximum of each window (padding never), per grid: oh × ow × 2 (C × oh × ow
    × 2 for channels or maps), whole numbers (as decimals, like every value of a trace)."""
    X = maps(x)
    oh, ow = _grid_shape(X.shape, size, stride, padding)
    out = np.zeros((X.shape[0], oh, ow, 2), dtype=int)
    for c in range(X.shape[0]):
        for i in range(oh):
            for j in range(ow):
                where = [(r, q) for _, _, r, q in cells(i, j, size, stride, padding) if inside(r, q, X.shape)]
                out[c, i, j] = where[first_max([X[c, r, q] for r, q in where])]
    return exact.array(out if np.ndim(x) == 3 else out[0])


def positions(at) -> list:
    """``argmax`` as nested lists of [row, column] integers (for the trace's info)."""
    return np.asarray(at, dtype=int).tolist()


def pool(x, *, size, stride: int, padding: int, mode: str) -> np.ndarray:
    """Max (the first maximum of each window, padding never) or average (Σ window / (kh kw),
    the padding's zeros counted) of each window, per grid."""
    X = maps(x)
    oh, ow = _grid_shape(X.shape, size, stride, padding)
    out = exact.full((X.shape[0], oh, ow))
    area = exact.D(size[0] * size[1])
    for c in range(X.shape[0]):
        for i in range(oh):
            for j in range(ow):
                values = [X[c, r, q] for _, _, r, q in cells(i, j, size, stride, padding) if inside(r, q, X.shape)]
                out[c, i, j] = values[first_max(values)] if mode == "max" else _sum(values) / area
    return out if np.ndim(x) == 3 else out[0]


def max_pool_grad(g, at, *, shape) -> np.ndarray:
    """∂L/∂x: each upstream entry added to the position ``at`` of its window's maximum (``at``:
    ``argmax``), in the order of the windows; ``g`` in the order of the pooled outputs."""
    A = np.asarray(at, dtype=int)
    A = A if A.ndim == 4 else A[None]
    G = np.asarray(g, dtype=object).reshape(A.shape[:-1])
    out = exact.full(maps(np.empty(shape, dtype=object)).shape)
    for c in range(A.shape[0]):
        for i in range(A.shape[1]):
            for j in range(A.shape[2]):
                r, q = A[c, i, j]
                out[c, r, q] = out[c, r, q] + G[c, i, j]
    return out.reshape(shape)


def average_pool_grad(g, *, size, stride: int, padding: int, shape) -> np.ndarray:
    """∂L/∂x: each upstream entry spread evenly, g_ij / (kh kw) to every position of its window
    (padding dropped): at each position (Σ of the g_ij of the windows covering it) / (kh kw), the
    windows in order; ``g`` in the order of the pooled outputs."""
    out = exact.full(maps(np.empty(shape, dtype=object)).shape)
    oh, ow = _grid_shape(shape, size, stride, padding)
    G = np.asarray(g, dtype=object).reshape(out.shape[0], oh, ow)
    covering = [[[[] for _ in range(out.shape[2])] for _ in range(out.shape[1])] for _ in range(out.shape[0])]
    for c in range(out.shape[0]):
        for i in range(oh):
            for j in range(ow):
                for _, _, r, q in cells(i, j, size, stride, padding):
                    if inside(r, q, out.shape):
                        covering[c][r][q].append(G[c, i, j])
    area = exact.D(size[0] * size[1])
    for (c, r, q), _ in np.ndenumerate(out):
        out[c, r, q] = _sum(covering[c][r][q]) / area
    return out.reshape(shape)


def grid_sum(g) -> np.ndarray:
    """Σ_ij g_ij of a grid (a number), or of each grid of a stack (a vector): a convolution's bias
    gradient."""
    G = maps(g)
    out = exact.full((G.shape[0],))
    for c in range(G.shape[0]):
        out[c] = _sum(G[c].ravel())
    return out if np.ndim(g) == 3 else out[0]
