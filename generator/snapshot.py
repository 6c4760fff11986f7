"""Snapshots of every value a document shows — the rendered string and the full-precision value —
and of the rendered pages, and their comparison, for CI regression on rendered values.

A comparison says first which given values changed, then the first computed value that differs
(in the order of the computation) and how many values downstream differ with it, then — when
every value is the same — whether the page itself changed (a template change), with a diff of
its LaTeX lines.  Indices are 1-based, as in ``answers.csv``."""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from .numbers import format_number
from .trace import Trace

VERSION = 2


def _shown(value, policy, kind):
    if isinstance(value, np.ndarray) or isinstance(value, list):
        return [_shown(v, policy, kind) for v in value]
    return format_number(value, policy, None if kind == "given" else kind)


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def snapshot(spec_name: str, trace: Trace, pages: dict[str, str] | None = None) -> dict:
    """{"values": {"PROBLEM/NAME": {"shown", "value", "given"}}, "pages": {WHAT: {"sha256",
    "lines"}}} for every value of the trace (in the order it was computed) and every page."""
    values = {}
    for p in trace.problems:
        for name, e in p.entries.items():
            values[f"{p.id}/{name}"] = {"shown": _shown(e.dec, trace.rounding, None if e.full else e.kind),
                                        "value": _plain(e.value), "given": e.kind == "given"}
    doc = {"dryrun_snapshot": VERSION, "spec": spec_name, "rounding": trace.rounding.as_dict(),
           "problems": [p.id for p in trace.problems], "values": values}
    if pages:
        doc["pages"] = {what: {"sha256": hashlib.sha256(tex.encode()).hexdigest(),
                               "lines": tex.splitlines()} for what, tex in pages.items()}
    return doc


def _flat(x, prefix=""):
    if isinstance(x, list):
        out = []
        for i, v in enumerate(x):
            out += _flat(v, f"{prefix},{i + 1}" if prefix else f"{i + 1}")
        return out
    return [(prefix, x)]


def _entry(name: str, idx: str) -> str:
    return f"{name}[{idx}]" if idx else name


@dataclass
class Comparison:
    given: list = field(default_factory=list)      # (name, shown before, shown now)
    computed: list = field(default_factory=list)   # (name, shown before, shown now, value before, value now)
    structure: list = field(default_factory=list)  # (name, before, now): appeared, disappeared, reshaped
    pages: list = field(default_factory=list)      # (what, diff lines)
    values: int = 0                                # how many values were compared
    page_count: int = 0                            # how many pages were compared

    @property
    def changed(self) -> bool:
        return bool(self.given or self.computed or self.structure or self.pages)


def compare(expected: dict, got: dict, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12) -> Comparison:
    """What differs between two snapshots, in the order of the computation."""
    old, new = expected.get("values", {}), got.get("values", {})
    out = Comparison(values=len(old), page_count=len(expected.get("pages") or {}))
    for name in list(new) + [n for n in old if n not in new]:
        if name not in new or name not in old:
            out.structure.append((name, "present" if name in old else "missing",
                                  "present" if name in new else "missing"))
            continue
        a_shown, b_shown = _flat(old[name]["shown"]), _flat(new[name]["shown"])
        a_val, b_val = _flat(old[name]["value"]), _flat(new[name]["value"])
        if len(a_val) != len(b_val):
            out.structure.append((name, f"{len(a_val)} entries", f"{len(b_val)} entries"))
            continue
        for (idx, sa), (_, sb), (_, va), (_, vb) in zip(a_shown, b_shown, a_val, b_val):
            if sa == sb and math.isclose(va, vb, rel_tol=rel_tol, abs_tol=abs_tol):
                continue
            if new[name].get("given"):
                out.given.append((_entry(name, idx), sa, sb))
            else:
                out.computed.append((_entry(name, idx), sa, sb, repr(va), repr(vb)))
    if not out.given and not out.computed and not out.structure:
        for what, page in (got.get("pages") or {}).items():
            before = (expected.get("pages") or {}).get(what)
            if before and before.get("sha256") != page["sha256"]:
                diff = list(difflib.unified_diff(before.get("lines", []), page["lines"],
                                                 f"{what} (snapshot)", f"{what} (now)", n=1, lineterm=""))
                out.pages.append((what, diff))
    return out


def _table(header, rows) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return [line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]


def report(c: Comparison, limit: int = 20, diff_lines: int = 60) -> str:
    """The comparison for a person: the cause first, then its consequences."""
    out = []
    if c.structure:
        out.append(f"the computation changed shape ({len(c.structure)} value(s) appeared, disappeared or resized):")
        out += _table(("name", "snapshot", "now"), c.structure[:limit])
    if c.given:
        out.append(f"given values changed ({len(c.given)}):")
        out += _table(("name", "snapshot", "now"), c.given[:limit])
    if c.computed:
        first = c.computed[0]
        out.append("first computed value that differs:")
        out += _table(("name", "shown (snapshot)", "shown (now)", "value (snapshot)", "value (now)"), [first])
        rest = c.computed[1:]
        if rest:
            out.append(f"and {len(rest)} value(s) downstream differ with it:")
            out += _table(("name", "shown (snapshot)", "shown (now)", "value (snapshot)", "value (now)"),
                          rest[:limit])
            if len(rest) > limit:
                out.append(f"… and {len(rest) - limit} more")
    for what, diff in c.pages:
        out.append(f"the page changed ({what}: every value is the same, the LaTeX is not):")
        out += diff[:diff_lines] + ([f"… {len(diff) - diff_lines} more diff lines"] if len(diff) > diff_lines else [])
    return "\n".join(out)


def take_snapshot(spec_path, limits=None):
    """(spec, snapshot) of a spec now: its values and its rendered pages."""
    from .render import render
    from .solve import solve
    from .spec import load_spec

    s = load_spec(spec_path, limits)
    trace = solve(s)
    pages = {what: render(s, trace, what) for what in ("solution", "question")}
    return s, snapshot(s.name, trace, pages)


def check(spec_path, snapshot_path, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12, limits=None) -> Comparison:
    """Re-solve and re-render ``spec_path`` and compare with the snapshot at ``snapshot_path``
    (``str`` or ``Path``); a file that is no snapshot, or one of another spec, is a SpecError."""
    import json

    from .errors import SpecError, UsageError

    if rel_tol < 0 or abs_tol < 0:
        raise UsageError("tolerances must not be negative")
    where = str(snapshot_path)
    from .files import read_limited
    from .limits import DEFAULT
    raw = read_limited(snapshot_path, (limits or DEFAULT).max_input_bytes, "snapshot")
    try:
        expected = json.loads(raw.decode("utf-8"))
        if not isinstance(expected, dict) or not isinstance(expected.get("values"), dict) or not all(
                isinstance(v, dict) and "shown" in v and "value" in v for v in expected["values"].values()):
            raise ValueError("not a dryrun snapshot")
    except (ValueError, RecursionError) as e:
        raise SpecError(f"cannot read the snapshot: {e}", where=where) from None
    s, now = take_snapshot(spec_path, limits)
    if expected.get("spec") != now["spec"] or expected.get("problems", now["problems"]) != now["problems"]:
        raise SpecError(f"this is a snapshot of spec '{expected.get('spec')}' "
                        f"(exercises {', '.join(map(str, expected.get('problems', []))) or '?'}), "
                        f"not of '{now['spec']}'", where=where)
    try:
        return compare(expected, now, rel_tol=rel_tol, abs_tol=abs_tol)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise SpecError("cannot read the snapshot: malformed values", where=where) from None
