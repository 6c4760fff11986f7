"""Compositions of the shared operations that several kinds use, so that each reads the same
wherever it appears: softmax written out (e^z, the sum, the quotients)."""

from __future__ import annotations

import numpy as np


def softmax(g, z: str, *, exp: str, total: str, out: str, axis: int = 0, kind: str = "activation",
            notes: tuple = (None, None, None), mask: str | None = None,
            rounded: tuple = (True, True, True)) -> str:
    """softmax(z) along ``axis`` as three printed steps: e^z, their sum Σ e^z, and e^z / Σ e^z;
    ``notes``: the kind's notation of the three; ``mask``: a given 0/1 step, e^z only where it is 1
    (a masked score counts as −∞: its exponential is 0, never computed); ``rounded``: which of the
    three carry mode rounds (False: an exact intermediate, e.g. the sum of rounded exponentials)."""
    shape = np.shape(g.value(z))
    if mask is None:
        g.apply("exp", exp, [z], kind, formula="e^z", note=notes[0], rounded=rounded[0])
    else:
        g.apply("exp_where", exp, [z, mask], kind, formula="e^z (0 where masked)", note=notes[0],
                rounded=rounded[0])
    g.apply("sum_along", total, [exp], kind, formula="sum e^z", axis=axis if len(shape) > 1 else None,
            note=notes[1], rounded=rounded[1])
    rest = tuple(d for d in range(len(shape)) if d != axis)
    return g.apply("quotient", out, [exp, (total, rest)], kind, formula="e^z / sum e^z", note=notes[2],
                   rounded=rounded[2])
