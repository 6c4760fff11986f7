"""The trace: every intermediate value of a solution, in order, with its kind and formula.

It is the single source of every number in a document; ``to_json`` is the public contract
printed by ``dryrun trace``."""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np

from decimal import Decimal, DivisionUndefined, InvalidOperation, Overflow

from .engine import exact
from .errors import ComputationError as ComputationErrorReport
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
    op: str | None = None         # the shared operation that computed it (generator.ops), if any
    operands: tuple = ()          # the names of the steps it was computed from, in order
    params: dict | None = None    # the operation's parameters (an axis, a function, a pattern)

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
    model: object = field(default=None, repr=False, compare=False)   # the validated model it solved
    cache: dict = field(default_factory=dict, repr=False, compare=False)   # derived, computed once

    def note(self, name: str) -> tuple | None:
        """The note step ``name`` declared (its notation key, {parameter: value}), or None."""
        entry = self.entries.get(name)
        return (entry.params or {}).get("note") if entry is not None else None

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
                           **({"exact_value": _symbolic_text(e.symbolic)} if e.symbolic is not None else {}),
                           **({"op": e.op, "operands": list(e.operands)} if e.op else {})}
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
    """A recorded value is not finite or grows beyond MAX_MAGNITUDE: ``name``, ``index`` (0-based)
    and ``value`` say which, ``why`` how.  ``guard`` reports it as one line."""

    def __init__(self, name: str, why: str, index: tuple = (), value=None, formula: str = ""):
        self.name, self.why, self.index, self.value, self.formula = name, why, index, value, formula
        super().__init__(f"{_at(name, index)} {why}")


_GUARD: ContextVar["_Guard | None"] = ContextVar("dryrun_guard", default=None)


class _Guard:
    """What the guard of one exercise knows: its recorders (the values computed so far, and
    which of them carried rounding made 0 or ±1) and whether it trains (a value growing without
    bound is then a diverging training)."""

    def __init__(self, ident: str, training: bool):
        self.ident = ident
        self.training = training
        self.recorders: list["Recorder"] = []

    def explain(self, e: ArithmeticError) -> str:
        if isinstance(e, ComputationError):
            what = f"{_at(e.name, e.index)}" + (f" ({e.formula})" if e.formula else "")
            if e.value is None:
                return f"{what} {e.why}; choose other numbers"
            return f"{what} is {_show(e.value)}, {e.why}: " + self._too_large()
        if isinstance(e, exact.Undefined) and e.what.startswith("e^x"):
            found = self._find(e.operand)
            arg = f"{_at(found[0], found[1])} = {_show(e.operand)}" if found else _show(e.operand)
            return f"e^x of {arg} {e.what[4:]}: " + self._too_large()
        why = _why(e)
        if why is None:
            return f"{e}; choose other numbers"
        rounded = self._rounded()
        if rounded is not None:
            name, formula, hits, prec = rounded
            index, full, carried = hits[0]
            more = f" (and {len(hits) - 1} more of its entries)" if len(hits) > 1 else ""
            return (f"{_at(name, index)}" + (f" ({formula})" if formula else "") +
                    f" is {_show(full, prec)}, which rounds to {format(carried, 'f')} at {_precision(prec)}"
                    f"{more}, so a later step {why}; give more decimals or significant figures "
                    "(rounding:), or other numbers")
        last = self._last()
        zero = self._zero() if "0" in why else None
        return ((f"the step after {last}" if last else "a step") + f" {why}" +
                (f" ({_at(*zero)} is 0)" if zero else "") + "; choose other numbers")

    def _too_large(self) -> str:
        if self.training:
            return ("the computation diverges or its numbers are too large for a hand calculation; "
                    "choose smaller weights or inputs, or another learning rate")
        return "the numbers are too large for a hand calculation; choose smaller values"

    def _entries(self):
        """Every recorded entry, the latest first."""
        for rec in reversed(self.recorders):
            yield from reversed(list(rec.problem.entries.values()))

    def _find(self, value):
        """(name, index) of the latest recorded value equal to ``value``."""
        for e in self._entries():
            for idx, v in np.ndenumerate(np.asarray(e.dec, dtype=object)):
                if isinstance(v, Decimal) and v == value:
                    return e.name, idx
        return None

    def _zero(self):
        """(name, index) of the latest computed (not given) value that is 0."""
        for e in self._entries():
            if e.kind == "given":
                continue
            for idx, v in np.ndenumerate(np.asarray(e.dec, dtype=object)):
                if isinstance(v, Decimal) and v == 0:
                    return e.name, idx
        return None

    def _last(self) -> str | None:
        for e in self._entries():
            return e.name
        return None

    def _rounded(self):
        """The latest value that carried rounding made 0 or ±1 (a later 1/x, ln x or ln(1 − x)
        then has no value)."""
        for rec in reversed(self.recorders):
            if rec.critical:
                return rec.critical[-1]
        return None


def _why(e: ArithmeticError) -> str | None:
    if isinstance(e, exact.Undefined):
        return "takes " + e.what
    if isinstance(e, InvalidOperation) and any(a is DivisionUndefined for a in (e.args[0] if e.args and
                                                                             isinstance(e.args[0], list) else ())):
        return "computes 0/0"
    if isinstance(e, ZeroDivisionError):
        return "divides by 0"
    if isinstance(e, Overflow):
        return "overflows (a number beyond 1e+999999)"
    if isinstance(e, InvalidOperation):
        return "has no value (an invalid operation)"
    return None


def _at(name: str, index=()) -> str:
    """A trace value as ``dryrun trace`` names it, with its entry counted from 1: ``it1.W1[2,1]``."""
    return f"{name}[{','.join(str(int(i) + 1) for i in index)}]" if index else name


def _precision(prec) -> str:
    unit = "decimal" if prec.style == "decimals" else "significant figure"
    return f"{prec.digits} {unit}{'s' if prec.digits != 1 else ''}"


def _show(v, prec=None) -> str:
    """A value for a message: three significant figures, or (``prec``) three digits more than
    the precision shows, enough to see what rounding did."""
    v = Decimal(v)
    if not v.is_finite():
        return str(v)
    if v == 0:
        return "0"
    if prec is not None and Decimal("1e-3") <= abs(v) < Decimal("1e6"):
        from .numbers import Precision
        more = round_decimal(v, Precision(prec.style, prec.digits + 3))
        return format(more, "f")
    return format(v, ".3g")


@contextmanager
def guard(ident: str, *, training: bool = False):
    """Compute exercise ``ident`` in exact arithmetic (``exact.arithmetic``); a value that cannot
    be computed (it overflows or underflows, grows beyond MAX_MAGNITUDE, a step divides by 0 or
    takes the logarithm of 0 …) ends it with one ``errors.ComputationError`` naming the value and
    why.  Every kind runs in it (``kinds.Kind.solve``); the recorders made inside it register with
    it.  Nested (``training`` within a kind's guard) it only marks the exercise as a training: the
    outermost guard reports."""
    state = _GUARD.get()
    if state is not None:
        state.training = state.training or training
        with exact.arithmetic():
            yield state
        return
    state = _Guard(ident, training)
    token = _GUARD.set(state)
    try:
        with exact.arithmetic():
            yield state
    except ArithmeticError as e:       # decimal signals, ZeroDivisionError, exact.Undefined, ComputationError
        raise ComputationErrorReport(" ".join(state.explain(e).split()), field=ident) from None
    finally:
        _GUARD.reset(token)


def training(ident: str):
    """Run a training in exact arithmetic under the guard (``guard``): a value growing without
    bound is reported as a diverging training."""
    return guard(ident, training=True)


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
        # carry mode: (name, formula, [(index, full, carried)], precision) of each value whose
        # rounding made entries 0 or ±1 (what a later 1/x or ln x fails on), in order
        self.critical: list = []
        state = _GUARD.get()
        if state is not None:
            state.recorders.append(self)

    def __call__(self, name, value, kind, formula, sample_axis=None, symbolic=None, rounded=True,
                 given=False, op=None, operands=(), params=None):
        """Record ``value``; ``rounded=False``: an exact intermediate, never rounded in carry mode;
        ``given=True`` with it: made only of given numbers (a window, a product of given values),
        printed with all its digits in both modes."""
        prec = self.policy.precision(kind)
        if symbolic is not None:
            arr = _symbolic_decimals(symbolic)
        else:
            arr = exact.array(value) if isinstance(value, np.ndarray) else np.asarray(exact.D(value), dtype=object)
        if not exact.is_finite(arr):
            bad = next((i for i, v in np.ndenumerate(arr) if not (isinstance(v, Decimal) and v.is_finite())), ())
            raise ComputationError(name, "is not a finite number", bad, None, formula)
        for idx, v in np.ndenumerate(arr):
            if abs(v) > MAX_MAGNITUDE:
                raise ComputationError(name, f"beyond {MAX_MAGNITUDE:.0e}", idx, v, formula)
            if v != 0 and v.adjusted() < exact.CONTEXT.Emin:      # an exact value no arithmetic can carry
                raise ComputationError(name, "below 1e-999999 (it underflows)", idx, v, formula)
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
                hits = [(idx, v, q[idx]) for idx, v in np.ndenumerate(arr)
                        if q[idx] != v and (q[idx] == 0 or abs(q[idx]) == 1)]
                if hits:
                    self.critical.append((name, formula, hits, prec))
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
                                           flag, symbolic, full, op=op, operands=tuple(operands),
                                           params=params)
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
