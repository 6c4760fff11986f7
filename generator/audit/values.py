"""The computation's side of an audit: every entry of every solved step as one ``Element`` (its
exact value, the entries of the operands it was computed from), and the same steps recomputed
from the numbers a document printed (``recompute``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np

Key = tuple            # (problem id, trace name, entry index)


@dataclass
class Element:
    key: Key
    value: Decimal                     # exact (full precision)
    order: int                         # position in the computation
    operands: list = field(default_factory=list)   # keys of the entries it is computed from
    given: bool = False


@lru_cache(maxsize=64)
def unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def rounds_to(value: Decimal, printed: Decimal, places: int) -> bool:
    """Whether ``printed`` (with ``places`` decimals) is ``value`` at its printed precision: within
    half a unit of its last digit (a tie counts as right)."""
    return abs(value - printed) <= unit(places) / 2


def at_precision(value: Decimal, places: int) -> Decimal:
    with localcontext() as ctx:       # room for every digit the printed number has
        ctx.prec = max(28, places + value.adjusted() + 3)
        return value.quantize(unit(places), rounding=ROUND_HALF_UP)


def _entries(arr) -> list[tuple[tuple, Decimal]]:
    a = np.asarray(arr, dtype=object)
    return [(idx, a[idx]) for idx in np.ndindex(a.shape)]


def _expand(shape: tuple, index: tuple) -> list[tuple]:
    """The concrete indices an index with slices selects in an array of ``shape``."""
    if not any(isinstance(i, slice) for i in index):
        return [tuple(int(i) for i in index)]
    flat = np.arange(int(np.prod(shape)) if shape else 1).reshape(shape)[index]
    return [tuple(int(x) for x in np.unravel_index(int(f), shape)) for f in np.ravel(flat)]


def elements(trace) -> dict[Key, Element]:
    """Every entry of every problem of a solved ``trace``, in computation order."""
    from ..ops.graph import OPS

    out: dict[Key, Element] = {}
    order = 0
    for p in trace.problems:
        for name, entry in p.entries.items():
            shapes = None
            if entry.op in OPS and all(o in p.entries for o in entry.operands):
                shapes = [np.shape(p.entries[o].dec) for o in entry.operands]
            for idx, v in _entries(entry.dec):
                if not isinstance(v, Decimal):
                    try:
                        v = Decimal(str(v))
                    except Exception:
                        continue
                operands = []
                if shapes is not None:
                    try:
                        for k, sub in OPS[entry.op].depends(idx, shapes, entry.params or {}):
                            operands += [(p.id, entry.operands[k], i) for i in _expand(shapes[k], sub)]
                    except Exception:         # an operation whose entries do not map one to one
                        operands = []
                out[(p.id, name, idx)] = Element((p.id, name, idx), v, order, operands, entry.kind == "given")
                order += 1
    return out


def step_value(entry, operands: list) -> np.ndarray | None:
    """Step ``entry``'s operation applied to ``operands`` (object arrays, one per operand), or None
    for a step without a graph operation or operands it cannot take."""
    from ..ops.graph import OPS

    if entry.op not in OPS:
        return None
    try:
        r = OPS[entry.op].compute([a if a.ndim else a.item() for a in operands], dict(entry.params or {}))
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return None
    return np.asarray(r, dtype=object)


def as_array(value) -> np.ndarray:
    """A step's value as a fresh object array (a copy that may be written)."""
    return np.array(np.asarray(value, dtype=object), dtype=object)


def recompute(trace, printed: dict[Key, Decimal]) -> dict[Key, Decimal]:
    """Each entry of a graph step recomputed from its operands as the document printed them
    (``printed``; an operand it did not print: as computed from the document's own numbers in turn),
    never from itself: what the document should have written at each step given what it wrote
    before."""
    out: dict[Key, Decimal] = {}
    for p in trace.problems:
        own: dict[str, np.ndarray] = {}          # each step as the document has it
        for name, entry in p.entries.items():
            a = as_array(entry.dec)
            r = step_value(entry, [own[o] for o in entry.operands]) if all(o in own for o in entry.operands) \
                else None
            if r is not None and r.shape == a.shape:
                for idx in np.ndindex(a.shape):
                    out[(p.id, name, idx)] = r[idx]
            mine = a.copy()
            for idx in np.ndindex(a.shape):
                key = (p.id, name, idx)
                if key in printed:
                    mine[idx] = printed[key]
                elif key in out:
                    mine[idx] = out[key]
            own[name] = mine
    return out

