"""Solve a validated spec into its trace: run each exercise's engine (its kind's ``solve``)."""

from __future__ import annotations

from dataclasses import replace

from .errors import SpecError
from .numbers import RoundingPolicy
from .trace import Trace


def solve(spec, rounding: RoundingPolicy | None = None, overrides=None) -> Trace:
    """The trace of every problem of ``spec`` under ``rounding`` (default: the spec's own policy).
    In carry mode the trace also holds the full-precision solution (``reference``), so that a
    document can say where carried rounding changed an answer.  ``overrides``: a student's own
    values, {problem id: {trace name: {index: value}}}, used in place of the computed ones."""
    policy = rounding or spec.rounding
    trace = _solve(spec, policy, overrides)
    if overrides:                     # a student's values: the recomputation is all that is wanted
        return trace
    if policy.mode == "carry":
        trace.reference = _solve(spec, replace(policy, mode="display"))
    return trace


def _solve(spec, policy: RoundingPolicy, overrides=None) -> Trace:
    from .kinds import kind

    problems = []
    for p in spec.problems:
        try:
            problems.append(kind(p.kind).solve(p, policy, (overrides or {}).get(p.id)))
        except SpecError as e:   # found while computing: name the exercise (and the file)
            raise type(e)(e.detail, where=spec.path, field=e.field or p.id) from None
    return Trace(rounding=policy, problems=problems)
