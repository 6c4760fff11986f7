"""Where the parts of a network diagram go: node positions that fit the page without scaling,
and a place on each edge for its weight label where no two labels, and no label and node, touch.
When the labels cannot all be placed legibly, the weights go into a table beside the diagram.

Positions are in centimetres; the template draws them.  Nothing here formats a number: label
widths are estimated from the printed text the caller passes in."""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT_WIDTH = 16.0          # cm available for the drawing (the page's text is 16.6 cm wide)
MAX_HEIGHT = 11.0          # cm
NODE = 0.9                 # node diameter, cm
CAPTION = 2.4              # width of a column's caption (layer, activation) below the drawing, cm
LABEL_H = 0.34             # height of a \scriptsize label with its white background, cm
DIGIT = 0.15               # width of one character of a \scriptsize label, cm
PAD = 0.03                 # clearance kept around a label, cm
#: where on an edge a label may sit: near the arrow head first, then back towards the source
POSITIONS = (0.75, 0.7, 0.8, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25)
MAX_EDGES = 6              # more edges between two columns than this: the weights go into a table
NEAR_HEAD = (0.78, 0.72, 0.66)     # tried first, with more room between the columns if needed


@dataclass
class Layout:
    x: float                                     # cm between columns
    y: float                                     # cm between nodes of a column
    labels: dict = field(default_factory=dict)   # (layer c, to i, from j) -> position on the edge
    table: bool = False                          # weights in a table instead of on the edges


def _box(cx, cy, w, h):
    return (cx - w / 2 - PAD, cy - h / 2 - PAD, cx + w / 2 + PAD, cy + h / 2 + PAD)


def _crosses(p, q, box) -> bool:
    """Whether the segment p–q passes through the rectangle ``box`` (x0, y0, x1, y1)."""
    (x0, y0), (x1, y1) = p, q
    t0, t1 = 0.0, 1.0
    for d, lo, hi, start in ((x1 - x0, box[0], box[2], x0), (y1 - y0, box[1], box[3], y0)):
        if d == 0:
            if not lo <= start <= hi:
                return False
            continue
        a, b = (lo - start) / d, (hi - start) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return False
    return True


def _hit(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def layout(sizes: list[int], texts: dict | None, extra_columns: float = 0.8) -> Layout:
    """``sizes``: units per column (inputs first); ``texts``: (c, i, j) -> the printed weight of
    the edge from unit j of column c−1 to unit i of column c, or None for no labels.  Wider and
    taller spacings are tried (up to what the page holds) before the weights go into a table."""
    columns = len(sizes) - 1 + extra_columns
    x_max = min(5.0, (TEXT_WIDTH - CAPTION) / columns)
    y_max = min(2.0, (MAX_HEIGHT - NODE) / max(1, max(sizes) - 1))
    x0, y0 = min(3.0, x_max), min(1.25, y_max)
    if not texts:
        return Layout(x0, y0)
    if any(a * b > MAX_EDGES for a, b in zip(sizes, sizes[1:])):
        return Layout(x0, y0, {}, table=True)     # too many crossings to tell which label is whose
    for positions in (NEAR_HEAD, POSITIONS):
        for x in sorted({x0, *(v for v in (3.5, 4.0, 4.5, 5.0) if v <= x_max)}):
            for y in sorted({y0, *(v for v in (1.6, 2.0) if v <= y_max)}):
                labels = _place(sizes, texts, x, y, positions)
                if labels is not None:
                    return Layout(x, y, labels)
    return Layout(x0, y0, {}, table=True)


def _place(sizes, texts, x, y, positions) -> dict | None:
    """A position on its edge for every label, greedily, or None where one finds no room."""
    def pos(c, i, n):          # centre of unit i (1-based) of a column with n units
        return c * x, ((n + 1) / 2 - i) * y

    boxes = [_box(*pos(c, i, n), NODE, NODE) for c, n in enumerate(sizes) for i in range(1, n + 1)]
    edges = [(c, i, j, pos(c - 1, j, sizes[c - 1]), pos(c, i, sizes[c]))
             for c in range(1, len(sizes)) for i in range(1, sizes[c] + 1) for j in range(1, sizes[c - 1] + 1)]
    labels = {}
    for c in range(1, len(sizes)):
        for i in range(1, sizes[c] + 1):
            for j in range(1, sizes[c - 1] + 1):
                w = DIGIT * len(texts[(c, i, j)]) + 0.1
                (xa, ya), (xb, yb) = pos(c - 1, j, sizes[c - 1]), pos(c, i, sizes[c])
                # TikZ measures pos= along the visible edge, from border to border of the nodes
                r = NODE / 2 / (((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5)
                xa, ya, xb, yb = xa + r * (xb - xa), ya + r * (yb - ya), xb - r * (xb - xa), yb - r * (yb - ya)
                others = [(p, q) for (cc, ii, jj, p, q) in edges if (cc, ii, jj) != (c, i, j)]
                for t in positions:
                    box = _box(xa + t * (xb - xa), ya + t * (yb - ya), w, LABEL_H)
                    # no other label or node under it, and no other edge through it (a label on a
                    # crossing cannot be told apart from its neighbour's)
                    if not any(_hit(box, b) for b in boxes) and not any(_crosses(p, q, box) for p, q in others):
                        labels[(c, i, j)] = t
                        boxes.append(box)
                        break
                else:
                    return None
    return labels
