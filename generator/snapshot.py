"""Snapshots of every value a document shows — the rendered string and the full-precision value —
and of the rendered pages, and their comparison, for CI regression on rendered values.

A comparison says first which given values changed, then the first computed value that differs
(in the order of the computation) and how many values downstream differ with it, then — when
every value is the same — whether the page itself changed (a template change), with a diff of
its LaTeX lines.  Indices are 1-based, as in ``answers.csv``."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np

from . import escape
from .numbers import format_number
from .trace import Trace

VERSION = 2
MAX_NESTING = 8          # lists within lists of a value: a stack of kernels has 4; a snapshot's more is tampered


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
    rows = [tuple(escape.terminal(str(c)) for c in r) for r in rows]    # a snapshot's text is shown, never obeyed
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
        out.append(f"the page changed ({escape.terminal(what)}: every value is the same, the LaTeX is not):")
        out += [escape.terminal(line) for line in diff[:diff_lines]]
        out += [f"… {len(diff) - diff_lines} more diff lines"] if len(diff) > diff_lines else []
    return "\n".join(out)


def max_bytes(limits=None) -> int:
    """The largest snapshot file: what ``encode`` writes and ``check`` reads (limit max_snapshot_bytes,
    room for the LaTeX of a document at max_tex_bytes and its values). One number for both, so that
    ``check`` never refuses a snapshot ``snapshot`` has written."""
    from .limits import DEFAULT
    return (limits or DEFAULT).max_snapshot_bytes


def encode(doc: dict, limits=None, where: str = "") -> bytes:
    """The snapshot file's bytes; a SpecError (exit 2) if it would be larger than ``check`` reads."""
    from .errors import SpecError
    data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    limit = max_bytes(limits)
    if len(data) > limit:
        raise SpecError(f"its snapshot would be {len(data)} bytes, more than 'dryrun check' reads "
                        f"({limit} bytes, limit max_snapshot_bytes); raise the limit for both commands: "
                        f"dryrun --limit max_snapshot_bytes={len(data)} snapshot …, and the same for check",
                        where=where)
    return data


def take_snapshot(spec_path, limits=None):
    """(spec, snapshot) of a spec now: its values and its rendered pages (each within max_tex_bytes,
    as for ``render``)."""
    from .pipeline import check_size
    from .render import render
    from .solve import solve
    from .spec import load_spec

    s = load_spec(spec_path, limits)
    trace = solve(s)
    pages = {}
    for what in ("solution", "question"):
        pages[what] = render(s, trace, what)
        check_size(pages[what], f"{spec_path}: the {what}", limits)
    return s, snapshot(s.name, trace, pages)


def _kind(x) -> str:
    return {type(None): "null", bool: "true or false", str: "text", dict: "a mapping", list: "a list",
            int: "a number", float: "a number"}.get(type(x), type(x).__name__)


def _leaves(x, field: str, what: str, depth: int = 0) -> list:
    """The shape of a (nested) list of numbers (``what`` 'number') or texts ('text'), checking each leaf."""
    from .errors import SpecError
    if isinstance(x, list):
        if depth >= MAX_NESTING:
            raise SpecError(f"lists nested more than {MAX_NESTING} deep", field=field)
        return [_leaves(v, f"{field}[{i + 1}]", what, depth + 1) for i, v in enumerate(x)]
    if what == "text":
        if not isinstance(x, str):
            raise SpecError(f"expected text, got {_kind(x)}", field=field)
    else:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise SpecError(f"expected a number, got {_kind(x)}", field=field)
        try:
            float(x)
        except OverflowError:
            raise SpecError(f"a number of about {int(x.bit_length() * 0.30103) + 1} digits, beyond any "
                            "value dryrun computes", field=field) from None
    return None


def _name(key: str) -> str:
    return json.dumps(key, ensure_ascii=True)      # a tampered name is shown quoted, escapes written out


def validate(doc, where: str = "") -> dict:
    """``doc`` (parsed JSON) if it has a snapshot's structure; else a SpecError naming the field."""
    from .errors import SpecError
    try:
        if not isinstance(doc, dict):
            raise SpecError(f"not a dryrun snapshot (expected a mapping, got {_kind(doc)})")
        for key, kinds in (("dryrun_snapshot", (int,)), ("spec", (str,)), ("rounding", (dict,)),
                           ("problems", (list,)), ("pages", (dict,))):
            if key in doc and (not isinstance(doc[key], kinds) or isinstance(doc[key], bool)):
                raise SpecError(f"expected {_kind(kinds[0]())}, got {_kind(doc[key])}", field=key)
        for i, p in enumerate(doc.get("problems", [])):
            if not isinstance(p, str):
                raise SpecError(f"expected an exercise's id (text), got {_kind(p)}", field=f"problems[{i + 1}]")
        if not isinstance(doc.get("values"), dict):
            raise SpecError("not a dryrun snapshot (expected a mapping 'values')"
                            if "values" not in doc else f"expected a mapping, got {_kind(doc['values'])}",
                            field="values" if "values" in doc else "")
        for name, entry in doc["values"].items():
            field = f"values[{_name(name)}]"
            if not isinstance(entry, dict) or "shown" not in entry or "value" not in entry:
                raise SpecError(f"expected a mapping with 'shown' and 'value', got {_kind(entry)}", field=field)
            shape = _leaves(entry["value"], f"{field}.value", "number")
            if _leaves(entry["shown"], f"{field}.shown", "text") != shape:
                raise SpecError("'shown' and 'value' have different shapes", field=field)
            if not isinstance(entry.get("given", False), bool):
                raise SpecError(f"expected true or false, got {_kind(entry['given'])}", field=f"{field}.given")
        for what, page in doc.get("pages", {}).items():
            field = f"pages[{_name(what)}]"
            if not isinstance(page, dict):
                raise SpecError(f"expected a mapping, got {_kind(page)}", field=field)
            if not isinstance(page.get("sha256"), str):
                raise SpecError(f"expected text, got {_kind(page.get('sha256'))}", field=f"{field}.sha256")
            lines = page.get("lines", [])
            if not isinstance(lines, list):
                raise SpecError(f"expected a list of lines, got {_kind(lines)}", field=f"{field}.lines")
            for i, line in enumerate(lines):
                if not isinstance(line, str):
                    raise SpecError(f"expected text, got {_kind(line)}", field=f"{field}.lines[{i + 1}]")
    except SpecError as e:
        raise SpecError(e.detail, where=where, field=e.field) from None
    return doc


def read(snapshot_path, limits=None) -> dict:
    """A snapshot file (``str`` or ``Path``), read within ``max_bytes`` and validated: a SpecError
    (exit 2) names the file and the field for anything else."""
    from .errors import SpecError
    from .files import read_limited
    where = str(snapshot_path)
    raw = read_limited(snapshot_path, max_bytes(limits), "snapshot", "max_snapshot_bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:       # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise SpecError(f"cannot read the snapshot: {' '.join(str(e).split())[:200]}", where=where) from None
    return validate(doc, where)


def check(spec_path, snapshot_path, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12, limits=None) -> Comparison:
    """Re-solve and re-render ``spec_path`` and compare with the snapshot at ``snapshot_path``
    (``str`` or ``Path``); a file that is no snapshot, or one of another spec, is a SpecError."""
    from .errors import SpecError, UsageError

    if rel_tol < 0 or abs_tol < 0:
        raise UsageError("tolerances must not be negative")
    where = str(snapshot_path)
    expected = read(snapshot_path, limits)
    s, now = take_snapshot(spec_path, limits)
    if expected.get("spec") != now["spec"] or expected.get("problems", now["problems"]) != now["problems"]:
        raise SpecError(f"this is a snapshot of spec '{expected.get('spec')}' "
                        f"(exercises {', '.join(map(str, expected.get('problems', []))) or '?'}), "
                        f"not of '{now['spec']}'", where=where)
    try:
        return compare(expected, now, rel_tol=rel_tol, abs_tol=abs_tol)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        raise SpecError("cannot read the snapshot: malformed values", where=where) from None
