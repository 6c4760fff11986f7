"""Carried rounding against full precision: which answers a document computed by hand (carry
mode) gets visibly different from the exact computation, and where the chosen precision is too
low for the exercise.  Reads two traces; computes nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from .labels import label
from .numbers import round_decimal

#: A carried value further than this (relative) from full precision, and by more than one unit of
#: its last printed digit, makes the precision "too low".
WARN_RELATIVE = Decimal("0.05")


@dataclass(frozen=True)
class Divergence:
    problem: str          # the problem's id
    name: str             # the trace name
    index: tuple          # the entry (0-based), () for a number
    kind: str
    carried: Decimal
    full: Decimal         # the full-precision value (unrounded)
    key: bool             # a key answer (loss, final parameters, outputs …)
    part: str = ""        # the exercise's kind: the notation of its label
    exact: bool = False   # an exact sum of written values (printed with all its digits)
    problem_trace: object = field(default=None, repr=False, compare=False)   # the solved problem: its notation

    @property
    def relative(self) -> Decimal | None:
        if self.full == 0:
            return None
        return abs(self.carried - self.full) / abs(self.full)

    @property
    def too_far(self) -> bool:
        """More than 5 % away, and by more than one unit of the printed last digit (a value
        printed with one digit, 0.0005 for 0.00045, is as close as its precision allows)."""
        rel = self.relative
        unit = Decimal(1).scaleb(self.carried.as_tuple().exponent)
        return (rel is None or rel > WARN_RELATIVE) and abs(self.carried - self.full) > unit

    @property
    def shown_kind(self) -> str | None:
        """The kind the carried value is printed at in the solution: None (all its digits) for an
        exact sum of written values, such as an RNN's loss summed over the steps."""
        return None if self.exact else self.kind

    def label(self, tex: bool = True) -> str:
        return label(self.name, self.index, tex=tex, kind=self.part or None, problem=self.problem_trace)


def is_key(kind: str, name: str) -> bool:
    """Whether ``name`` is a key answer of an exercise of this kind."""
    from .kinds import kind as controller
    return controller(kind).is_key(name)


def divergences(trace, policy) -> list[Divergence]:
    """Every rounded value of a carry-mode ``trace`` whose carried value differs, at its printed
    precision, from the full-precision value of ``trace.reference``; [] without a reference.
    Computed once per trace and policy."""
    ref = getattr(trace, "reference", None)
    if ref is None:
        return []
    key = ("divergences", policy)
    if key not in trace.cache:
        trace.cache[key] = _divergences(trace, ref, policy)
    return trace.cache[key]


def _divergences(trace, ref, policy) -> list[Divergence]:
    out = []
    for p, q in zip(trace.problems, ref.problems):
        for name, e in p.entries.items():
            key = is_key(p.kind, name)
            # an exact sum of written values (an RNN's loss, its final parameters) is a key answer
            # like any other: compared at its kind's precision
            if e.kind == "given" or (e.full and not key) or e.symbolic is not None or name not in q.entries:
                continue
            prec = policy.precision(e.kind)
            carried = np.asarray(e.dec, dtype=object)
            full = np.asarray(q.entries[name].dec, dtype=object)
            if carried.shape != full.shape:
                continue
            for idx in np.ndindex(carried.shape):
                c, f = carried[idx], full[idx]
                if round_decimal(f, prec) != (round_decimal(c, prec) if e.full else c):
                    out.append(Divergence(p.id, name, idx, e.kind, c, f, key, p.kind, e.full, p))
    return out


def warning(divs: list[Divergence], policy, limit: int = 6) -> str | None:
    """One line naming the values whose carried answer is more than 5 % from full precision."""
    from .numbers import format_number

    far = [d for d in divs if d.too_far]
    if not far:
        return None
    parts = []
    for d in far[:limit]:
        rel = d.relative
        pct = "—" if rel is None else f"{float(rel) * 100:.0f} %"
        parts.append(f"{d.label(tex=False)}: {format_number(d.carried, policy, d.kind)} carried, "
                     f"{format_number(d.full, policy, d.kind)} at full precision ({pct})")
    more = f"; and {len(far) - limit} more" if len(far) > limit else ""
    return (f"carried rounding moves {len(far)} value(s) more than {float(WARN_RELATIVE) * 100:.0f} % "
            f"from full precision (precision too low for this exercise): " + "; ".join(parts) + more)
