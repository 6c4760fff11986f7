"""The trace: every intermediate value of a solution, in order, with its kind and formula.

It is the single source of every number in a document; ``to_json`` is the public contract
printed by ``dryrun trace``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .numbers import RoundingPolicy, is_exact, round_value


@dataclass
class Entry:
    name: str
    value: object                 # float or ndarray (squeezed for a single sample)
    kind: str
    formula: str
    _exact: object                # bool, or the Precision to decide it with (on first use)
    symbolic: object = None       # the exact (sympy) value, where the engine computes exactly

    @property
    def exact(self) -> bool:
        """Whether the value is shown without loss at its kind's precision ("=" rather than "≈")."""
        if not isinstance(self._exact, bool):
            flat = np.asarray(self.value, dtype=float).ravel()
            self._exact = all(is_exact(float(x), self._exact) for x in flat)
        return self._exact


@dataclass
class ProblemTrace:
    id: str
    kind: str
    entries: dict[str, Entry] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __getitem__(self, name: str):
        return self.entries[name].value

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def exact(self, name: str) -> bool:
        return self.entries[name].exact


@dataclass
class Trace:
    rounding: RoundingPolicy
    problems: list[ProblemTrace]

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
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


class Recorder:
    """The observer a numeric engine reports to.  In carry mode it returns the rounded value,
    so the next step goes on with what a student would have written down."""

    def __init__(self, problem: ProblemTrace, policy: RoundingPolicy, *, batch: bool):
        self.problem = problem
        self.policy = policy
        self.batch = batch

    def __call__(self, name, value, kind, formula, sample_axis=None, symbolic=None):
        prec = self.policy.precision(kind)
        scalar = np.ndim(value) == 0
        arr = np.asarray(value, dtype=float)
        exact = prec                                  # decided on first use
        if self.policy.mode == "carry" and symbolic is None:
            rounded = np.array([round_value(x, prec) for x in arr.ravel().tolist()]).reshape(arr.shape)
            exact = bool(np.allclose(rounded, arr, rtol=1e-12, atol=0))
            arr = rounded
        arr = arr + 0.0  # no −0
        shown = arr
        if sample_axis is not None and not self.batch:
            shown = np.take(arr, 0, axis=sample_axis)
        self.problem.entries[name] = Entry(name, float(shown) if scalar else shown.copy(), kind, formula,
                                           exact, symbolic)
        if symbolic is not None:
            return value            # exact values are carried exactly
        return float(arr) if scalar else arr

    def given(self, name, value, formula, symbolic=None):
        """A value of the problem statement: recorded as given, never rounded."""
        arr = np.asarray(value, dtype=float)
        v = float(arr) if arr.ndim == 0 else arr.copy()
        self.problem.entries[name] = Entry(name, v, "given", formula, True, symbolic)
