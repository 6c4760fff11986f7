"""Snapshots of every value a document shows — the rendered string and the full-precision value —
and their comparison, for CI regression on rendered values."""

from __future__ import annotations

import math

import numpy as np

from .numbers import format_number
from .trace import Trace

VERSION = 1


def _shown(value, policy, kind):
    if isinstance(value, np.ndarray) or isinstance(value, list):
        return [_shown(v, policy, kind) for v in value]
    return format_number(value, policy, None if kind == "given" else kind)


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def snapshot(spec_name: str, trace: Trace) -> dict:
    """{"values": {"PROBLEM/NAME": {"shown": …, "value": …}}} for every value of the trace."""
    values = {}
    for p in trace.problems:
        for name, e in p.entries.items():
            values[f"{p.id}/{name}"] = {"shown": _shown(e.dec, trace.rounding, None if e.full else e.kind),
                                        "value": _plain(e.value)}
    return {"dryrun_snapshot": VERSION, "spec": spec_name, "rounding": trace.rounding.as_dict(),
            "values": values}


def _flat(x, prefix=""):
    if isinstance(x, list):
        out = []
        for i, v in enumerate(x):
            out += _flat(v, f"{prefix}[{i}]")
        return out
    return [(prefix, x)]


def compare(expected: dict, got: dict, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12):
    """Rows (name, expected, got) of every difference: a shown string that changed, a value beyond
    the tolerances, a value that appeared or disappeared."""
    rows = []
    old, new = expected.get("values", {}), got.get("values", {})
    for name in sorted(set(old) | set(new)):
        if name not in new:
            rows.append((name, "present", "missing"))
            continue
        if name not in old:
            rows.append((name, "missing", "present"))
            continue
        a_shown, b_shown = _flat(old[name]["shown"]), _flat(new[name]["shown"])
        a_val, b_val = _flat(old[name]["value"]), _flat(new[name]["value"])
        if len(a_val) != len(b_val):
            rows.append((name, f"{len(a_val)} entries", f"{len(b_val)} entries"))
            continue
        for (idx, sa), (_, sb), (_, va), (_, vb) in zip(a_shown, b_shown, a_val, b_val):
            if sa != sb:
                rows.append((name + idx, sa, sb))
            elif not math.isclose(va, vb, rel_tol=rel_tol, abs_tol=abs_tol):
                rows.append((name + idx, repr(va), repr(vb)))
    return rows


def table(rows, limit: int = 50) -> str:
    widths = [max(len(str(r[i])) for r in rows + [("name", "expected", "got")]) for i in range(3)]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    out = [line(("name", "expected", "got")), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in rows[:limit]]
    if len(rows) > limit:
        out.append(f"… and {len(rows) - limit} more")
    return "\n".join(out)
