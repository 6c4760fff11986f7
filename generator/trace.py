"""The trace: every intermediate value of a solution, in order, with its kind and formula.

It is the single source of every number in a document; ``to_json`` is the public contract
printed by ``dryrun trace``."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from decimal import Decimal

from .engine import exact
from .errors import SpecError
from .numbers import RoundingPolicy, is_exact, round_decimal


@dataclass
class Entry:
    name: str
    dec: object                   # the value: a Decimal, or an object array of Decimals
    kind: str
    formula: str
    _exact: object                # a bool array (entry by entry), or the Precision to decide it with
    symbolic: object = None       # the exact (sympy) value, where the engine computes exactly
    full: bool = False            # an exact intermediate, printed with all its digits (carry mode)
    _float: object = None

    @property
    def value(self):
        """The value as a float (an array of floats): for JSON, constraints and numeric checks."""
        if self._float is None:
            self._float = _to_float(self.dec)
        return self._float

    @property
    def exact(self) -> bool:
        """Whether the value is shown without loss at its kind's precision ("=" rather than "≈"):
        in carry mode, whether rounding changed nothing; in display mode, whether the full value
        has no more digits than the precision shows."""
        return bool(self.exact_mask.all())

    @property
    def exact_mask(self) -> np.ndarray:
        """``exact`` entry by entry (a bool array of the value's shape)."""
        if isinstance(self._exact, (bool, np.bool_)):
            self._exact = np.full(np.shape(self.dec), bool(self._exact))
        elif not isinstance(self._exact, np.ndarray):
            prec = self._exact
            dec = np.asarray(self.dec, dtype=object)
            self._exact = np.array([is_exact(x, prec) for x in dec.ravel()], dtype=bool).reshape(dec.shape)
        return self._exact


def _to_float(v):
    if isinstance(v, np.ndarray):
        return np.array([float(x) for x in v.ravel()], dtype=float).reshape(v.shape)
    if isinstance(v, list):
        return [float(x) for x in v]
    return float(v)


@dataclass
class ProblemTrace:
    id: str
    kind: str
    entries: dict[str, Entry] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __getitem__(self, name: str):
        """The value as floats (see ``dec`` for the exact decimals)."""
        return self.entries[name].value

    def dec(self, name: str):
        """The value as Decimals: exactly what the document shows or rounds."""
        return self.entries[name].dec

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def exact(self, name: str) -> bool:
        return self.entries[name].exact


@dataclass
class Trace:
    rounding: RoundingPolicy
    problems: list[ProblemTrace]
    reference: "Trace | None" = None    # carry mode: the same problems at full precision
    cache: dict = field(default_factory=dict, repr=False, compare=False)   # derived, computed once

    def problem(self, ident: str = "main") -> ProblemTrace:
        for p in self.problems:
            if p.id == ident:
                return p
        raise KeyError(ident)

    def to_dict(self) -> dict:
        return {
            "rounding": self.rounding.as_dict(),
            "problems": [{
                "id": p.id, "kind": p.kind, **p.info,
                "values": {n: _plain(e.value) for n, e in p.entries.items()},
                "steps": [{"name": n, "kind": e.kind, "formula": e.formula, "exact": e.exact,
                           **({"exact_value": _symbolic_text(e.symbolic)} if e.symbolic is not None else {})}
                          for n, e in p.entries.items()],
            } for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)


def _symbolic_text(v):
    return [str(x) for x in v] if isinstance(v, tuple) else str(v)


def _plain(v):
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


#: Values beyond this are no hand calculation any more (a diverging training).
MAX_MAGNITUDE = Decimal("1e15")


class ComputationError(ArithmeticError):
    """A value of the computation is not finite or grows beyond MAX_MAGNITUDE."""


@contextmanager
def training(ident: str):
    """Run a training in exact arithmetic; a value that diverges or leaves the loss's domain is
    one SpecError naming the exercise ``ident``."""
    with exact.arithmetic():
        try:
            yield
        except ArithmeticError as e:
            why = str(e) if isinstance(e, ComputationError) else "a number overflows"
            raise SpecError(f"the computation diverges or leaves the domain of the loss ({why}); "
                            "choose smaller weights or another learning rate", field=ident) from None


class Recorder:
    """The observer a numeric engine reports to.  In carry mode it returns the rounded value,
    so the next step goes on with what a student would have written down; the rounding is exact
    decimal arithmetic (half up, ties away from zero) on the exact value."""

    def __init__(self, problem: ProblemTrace, policy: RoundingPolicy, *, batch: bool, overrides=None):
        self.problem = problem
        self.policy = policy
        self.batch = batch
        # {trace name: {entry index: Decimal}}: values a student wrote, used downstream in place of
        # the computed ones (grading with error carried forward); the entry keeps the computed value
        self.overrides = overrides or {}

    def __call__(self, name, value, kind, formula, sample_axis=None, symbolic=None, rounded=True,
                 given=False):
        """Record ``value``; ``rounded=False``: an exact intermediate, never rounded in carry mode;
        ``given=True`` with it: made only of given numbers (a window, a product of given values),
        printed with all its digits in both modes."""
        prec = self.policy.precision(kind)
        if symbolic is not None:
            arr = _symbolic_decimals(symbolic)
        else:
            arr = exact.array(value) if isinstance(value, np.ndarray) else np.asarray(exact.D(value), dtype=object)
        if not exact.is_finite(arr):
            raise ComputationError(f"{name} is not a finite number")
        if any(abs(v) > MAX_MAGNITUDE for v in arr.flat):
            raise ComputationError(f"{name} grows beyond {MAX_MAGNITUDE:.0e}")
        for idx, v in np.ndenumerate(arr):
            arr[idx] = _clean(v)
        flag = prec                                   # decided on first use
        full = False
        if self.policy.mode == "carry" and symbolic is None:
            if rounded:
                q = np.empty(arr.shape, dtype=object)
                for idx, v in np.ndenumerate(arr):
                    q[idx] = _clean(round_decimal(v, prec))
                flag = np.array([a == b for a, b in zip(q.flat, arr.flat)], dtype=bool).reshape(arr.shape)
                arr = q
            else:
                flag, full = True, True
        elif given and not rounded and symbolic is None:
            flag, full = True, True
        shown = arr
        if sample_axis is not None and not self.batch:
            shown = np.take(arr, 0, axis=sample_axis)
            if isinstance(flag, np.ndarray):
                flag = np.take(flag, 0, axis=sample_axis)
        scalar = np.ndim(value) == 0 if symbolic is None else not isinstance(symbolic, tuple)
        self.problem.entries[name] = Entry(name, shown.item() if scalar else shown.copy(), kind, formula,
                                           flag, symbolic, full)
        if symbolic is not None:
            return value            # exact values are carried exactly
        if name in self.overrides:
            arr = arr.copy()
            for idx, v in self.overrides[name].items():
                full_idx = idx
                if sample_axis is not None and not self.batch:
                    full_idx = idx[:sample_axis] + (0,) + idx[sample_axis:]
                if scalar:
                    arr = np.asarray(v, dtype=object)
                elif len(full_idx) == arr.ndim:
                    arr[full_idx] = v
        return arr.item() if scalar else arr

    def given(self, name, value, formula, symbolic=None):
        """A value of the problem statement: recorded as given, never rounded."""
        arr = _symbolic_decimals(symbolic) if symbolic is not None else (
            np.asarray(value, dtype=object) if isinstance(value, Decimal) else exact.array(value))
        v = arr.item() if arr.ndim == 0 else arr.copy()
        self.problem.entries[name] = Entry(name, v, "given", formula, True, symbolic)




def _clean(d: Decimal) -> Decimal:
    """No −0."""
    return d.copy_abs() if d == 0 else d


def _symbolic_decimals(symbolic):
    """Decimals (60 digits) of an exact sympy value or a tuple of them."""
    items = symbolic if isinstance(symbolic, tuple) else (symbolic,)
    out = np.empty(len(items), dtype=object)
    for i, e in enumerate(items):
        out[i] = _clean(Decimal(str(e.evalf(60))) if not e.is_Integer else Decimal(int(e)))
    return out if isinstance(symbolic, tuple) else np.asarray(out[0], dtype=object)
