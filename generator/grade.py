"""Grading submitted answers with error carried forward.

Each answer of a student is

- **correct**: within the tolerance of the key's value or of the full-precision value, or a
  correct rounding of either at the student's own precision (at most one digit coarser than the
  key's);
- **consistent**: wrong, but what the exercise gives when it is computed again from the student's
  own earlier answers (their gradients, their parameters …): the engine recomputes every value
  with the student's values in place of its own, and the answer matches that recomputation;
- **wrong**, **missing** or **unreadable**.

Points (configurable): correct 1, consistent ``ecf`` (default 0.5), otherwise 0.  The feedback
of a student names the first wrong step, the expected value and what the student's value
implies for the answers after it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np

from .errors import DryrunError, SpecError
from .escape import csv_cell, terminal

STATUSES = ("correct", "consistent", "wrong", "missing", "unreadable")


@dataclass
class Mark:
    name: str
    status: str
    points: float
    given: str          # what the student wrote
    expected: str       # the key's string
    recomputed: str = ""   # the value the student's own earlier answers give (when different)
    note: str = ""         # why the value could not be carried forward (it makes the exercise diverge)


@dataclass
class StudentMarks:
    ident: str
    label: str
    marks: list = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(m.points for m in self.marks)


def parse_number(text: str) -> Decimal | None:
    """A submitted number: '0.25', '0,25', ' -1.5e-3 ', '−0.5'; None for anything else.  Digits are
    ASCII only: another script's digit (an Arabic-Indic five, a full-width 1) is unreadable, never
    a number the student did not see."""
    t = str(text).strip().replace("\u2212", "-").replace(" ", "")
    if re.fullmatch(r"[-+]?[0-9]+,[0-9]+", t):
        t = t.replace(",", ".")
    if not re.fullmatch(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _decimals(d: Decimal) -> int:
    return max(0, -d.as_tuple().exponent)


def _matches(s: Decimal, refs, tolerance: float, key_places: int) -> bool:
    """Whether ``s`` is one of the reference values within the tolerance, or a correct rounding
    of one at the student's own precision (no more than one digit coarser than the key)."""
    for ref in refs:
        if ref is None:
            continue
        diff = abs(float(s) - float(ref))
        if diff <= tolerance * (1 + 1e-9):
            return True
        places = _decimals(s)
        if places >= key_places - 1 and diff <= 0.5 * 10 ** -places * (1 + 1e-9):
            return True
    return False


def _split(name: str):
    """'part/final.W1[1,2]' -> ('part', 'final.W1', (0, 1))."""
    m = re.fullmatch(r"(?:([\w-]+)/)?([\w.]+?)(?:\[([\d,]+)\])?", name)
    part, trace_name, idx = m.groups()
    return part, trace_name, tuple(int(i) - 1 for i in idx.split(",")) if idx else ()


#: The column names that name the student in a responses file (besides the roster's id columns).
WHO_COLUMNS = ("variant", "student")
_ANSWER_NAME = re.compile(r"(?:[\w-]+/)?[^\W\d][\w.]*(?:\[[0-9]+(?:,[0-9]+)*\])?")


def _known_column(name: str) -> bool:
    """A column a responses file may have: one naming the student, or one named like an answer."""
    from .roster import KNOWN_COLUMNS
    return name.casefold() in WHO_COLUMNS or name.casefold() in KNOWN_COLUMNS or bool(_ANSWER_NAME.fullmatch(name))


class Rows(list):
    """The rows of a responses file, [(row dict, line)], with its ``header`` (every column, in order,
    a repeated one as often as it appears)."""

    def __init__(self, rows=(), header=()):
        super().__init__(rows)
        self.header = list(header)


def read_responses(text: str, where: str = "<responses>") -> Rows:
    """The rows of a responses CSV: a header naming the student (``variant``, ``student``, or an
    id column such as ``ID number``/``Email address``) and answer columns named as in
    answers.csv.  Commas, semicolons (spreadsheets in decimal-comma locales) or tabs separate: the
    one that makes the header line known column names (``output[1,1]`` is one name)."""
    from .roster import sniff_delimiter
    delimiter = sniff_delimiter(text, _known_column)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header, rows = None, Rows()
    try:
        for r in reader:
            if header is None:
                if not any(c.strip() for c in r):
                    continue
                header = [c.strip() for c in r]
                rows.header = header
                continue
            if any(c.strip() for c in r):
                row: dict = {}
                for k, v in zip(header, r):
                    row.setdefault(k, v.strip())        # a repeated column: refused by check_columns
                rows.append((row, reader.line_num))
    except csv.Error as e:
        raise SpecError(f"malformed CSV on line {reader.line_num}: {e}", where=where) from None
    return rows


def check_columns(header, expected, where: str = "<responses>") -> None:
    """Refuse a responses header that names an answer, or a column naming the student, twice: which
    of the two is the student's answer cannot be known."""
    from .roster import ID_COLUMNS
    used = {n.casefold() for n in expected} | set(WHO_COLUMNS) | set(ID_COLUMNS)
    seen: dict = {}
    for i, c in enumerate(header, start=1):
        k = c.casefold()
        if k in used and k in seen:
            raise SpecError(f"the column '{terminal(c)}' appears twice (columns {seen[k]} and {i}): "
                            "keep one", where=where)
        seen.setdefault(k, i)


def _name_key(name: str) -> str:
    """A name as it is compared: composed, case-folded, one apostrophe, single spaces."""
    import unicodedata
    n = unicodedata.normalize("NFKC", name).casefold().replace("’", "'").replace("‘", "'")
    return " ".join(n.split())


def match_rows(rows, planned, where: str = "<responses>", header=(), *, students=None,
               unmatched: list | None = None) -> list:
    """Each response row with its variant: by the ``variant`` column (the ids of answers.csv),
    by any id column of the roster (``ID number``, ``Email address`` …: ``students``, the roster,
    holds every id of each student), or by the student's name ("First Last" or "Last, First").

    A row that matches no student (or a name two students share) is an error naming its line, or,
    with ``unmatched`` given, appended to it as (line, who, reason) and left out; two rows for one
    student are always an error."""
    from .roster import ID_COLUMNS
    by_ident = {v.ident: v for v in planned}
    by_key = {(v.key or "").casefold(): v for v in planned if getattr(v, "key", None)}
    # every id of the roster: per column, and any column (an "Email address" answers an "ID number" roster)
    by_column: dict = {}
    by_any: dict = {}
    for s in students or ():
        v = by_key.get(s.key.casefold())
        if v is None:
            continue
        for column, value in getattr(s, "ids", ()):
            by_column.setdefault(column, {})[value.casefold()] = v
            by_any.setdefault(value.casefold(), set()).add(v.ident)
    by_name: dict = {}
    for v in planned:
        names = {_name_key(v.label)}
        if "," in v.label:
            last, first = v.label.split(",", 1)
            names.add(_name_key(f"{first} {last}"))
        else:
            parts = v.label.split()
            if len(parts) > 1:
                names.add(_name_key(f"{parts[-1]}, {' '.join(parts[:-1])}"))
        for n in names:
            by_name.setdefault(n, []).append(v)
    id_columns = [c for c in header if c.casefold() in ID_COLUMNS]
    if not (set(WHO_COLUMNS) & {c.casefold() for c in header}) and not id_columns:
        raise SpecError("the responses need a column naming the student: 'variant' (as in answers.csv), "
                        "'student', or the roster's id column", where=where)

    def by_id(column: str, value: str):
        value = value.casefold()
        if not value:
            return None
        if column.casefold() in by_column:
            return by_column[column.casefold()].get(value)
        found = by_any.get(value, set())
        return by_ident[next(iter(found))] if len(found) == 1 else by_key.get(value)

    out, taken = [], {}
    for row, line in rows:
        lower = {k.casefold(): v for k, v in row.items()}
        v = by_ident.get(lower.get("variant", ""))
        for c in id_columns:
            v = v or by_id(c, row.get(c, ""))
        problem = None
        if v is None and lower.get("student"):
            found = by_name.get(_name_key(lower["student"]), [])
            if len(found) > 1:
                problem = (f"line {line}: two students are called '{lower['student']}'; "
                           "name them by their variant id or the roster's id column")
            v = found[0] if len(found) == 1 else None
        who = lower.get("variant") or lower.get("student") or next((row.get(c) for c in id_columns if row.get(c)), "")
        if v is None:
            problem = problem or f"line {line}: no student or variant '{who}' in this homework set"
            if unmatched is None:
                raise SpecError(problem, where=where)
            unmatched.append((line, who, problem))
            continue
        if v.ident in taken:
            raise SpecError(f"lines {taken[v.ident]} and {line} both answer for {v.ident}; keep one",
                            where=where)
        taken[v.ident] = line
        out.append((v, row))
    return out


def unmatched_csv(unmatched) -> bytes:
    """The response rows that match no student: their line, who they name and why."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["line", "who", "problem"])
    for line, who, problem in unmatched:
        w.writerow([csv_cell(line), csv_cell(who), csv_cell(problem)])
    return buf.getvalue().encode()


def grade_variant(v, row: dict, *, ecf: float = 0.5) -> StudentMarks:
    """The marks of one student's row against their variant ``v`` (homework.Variant)."""
    from .homework import variant_answers

    answers = variant_answers(v)
    policy = v.trace.rounding
    submitted = {a.name: parse_number(row.get(a.name, "")) for a in answers}
    # the exercise recomputed from the student's own values, each in place of the engine's
    own, impossible = _recompute(v, answers, submitted, policy)
    out = StudentMarks(v.ident, v.label)
    for a in answers:
        raw = row.get(a.name, "")
        s = submitted[a.name]
        key_places = _decimals(Decimal(repr(a.value))) if a.tolerance > 1e-9 else 0
        if not raw:
            out.marks.append(Mark(a.name, "missing", 0.0, "", a.shown))
            continue
        if s is None:
            out.marks.append(Mark(a.name, "unreadable", 0.0, raw, a.shown))
            continue
        if _matches(s, (Decimal(repr(a.value)), Decimal(repr(a.full))), a.tolerance, key_places):
            out.marks.append(Mark(a.name, "correct", 1.0, raw, a.shown))
            continue
        recomputed = _recomputed(own, v, a.name)
        note = ("this value makes the exercise impossible to compute on (it diverges): the later "
                "answers are checked without it") if a.name in impossible else ""
        if recomputed is not None and _matches(s, (recomputed,), a.tolerance, key_places) \
                and abs(float(recomputed) - a.value) > a.tolerance:
            out.marks.append(Mark(a.name, "consistent", ecf, raw, a.shown, _text(recomputed, policy, a), note))
        else:
            differs = recomputed is not None and abs(float(recomputed) - a.value) > a.tolerance
            out.marks.append(Mark(a.name, "wrong", 0.0, raw, a.shown,
                                  _text(recomputed, policy, a) if differs else "", note))
    return out


#: What a student's value can make the recomputation raise: it diverges (a SpecError), a number
#: overflows or leaves a function's domain; never a reason to stop grading the class.
_IMPOSSIBLE = (DryrunError, ArithmeticError, ValueError, OverflowError)


def _recompute(v, answers, submitted, policy):
    """The exercise recomputed with the student's own values in place of the engine's, and the names
    of the answers left out of it because no computation goes on from them (1e20 for a weight: the
    training diverges).  All values at once first; when that fails, one answer after the other, in
    the order of the exercise, each kept when the computation still goes through with it."""
    from .solve import solve

    def overrides_of(names):
        out: dict = {}
        for name in names:
            part, trace_name, idx = _split(name)
            problem = part or v.trace.problems[0].id
            out.setdefault(problem, {}).setdefault(trace_name, {})[idx] = submitted[name]
        return out

    given = [a.name for a in answers if submitted[a.name] is not None]
    if not given:
        return None, set()
    try:
        return solve(v.spec, policy, overrides=overrides_of(given)), set()
    except _IMPOSSIBLE:
        pass
    own, kept, impossible = None, [], set()
    for name in given:
        try:
            own = solve(v.spec, policy, overrides=overrides_of(kept + [name]))
            kept.append(name)
        except _IMPOSSIBLE:
            impossible.add(name)
    return own, impossible


def _recomputed(own, v, name: str):
    """The value of answer ``name`` recomputed from the student's own earlier answers."""
    if own is None:
        return None
    part, trace_name, idx = _split(name)
    problem = own.problem(part or v.trace.problems[0].id)
    if trace_name not in problem.entries:
        return None
    value = np.asarray(problem.dec(trace_name), dtype=object)
    return value[idx] if idx else value.item() if value.ndim == 0 else None


def _text(value, policy, a) -> str:
    from .numbers import format_number
    kind = "loss" if "loss" in a.name else "parameter"
    return format_number(value, policy, kind)


def feedback(m: StudentMarks) -> str:
    """A student's feedback: the first wrong step, what was expected, what follows from theirs."""
    lines = [f"{m.label}: {m.total:g} of {len(m.marks)} points"]
    first = next((k for k in m.marks if k.status in ("wrong", "unreadable", "missing")), None)
    if first is None:
        lines.append("Every answer is right" + (" or follows correctly from your earlier answers."
                                                 if any(k.status == "consistent" for k in m.marks) else "."))
    else:
        lines.append(f"The first step to look at: {first.name}: you wrote '{terminal(first.given) or '(nothing)'}', "
                     f"the key has {first.expected}.")
        later = [k for k in m.marks[m.marks.index(first) + 1:] if k.status == "consistent"]
        if later:
            lines.append("Carried forward from your values, these later answers are consistent and earn "
                         "partial credit: " + ", ".join(k.name for k in later) + ".")
    for k in m.marks:
        extra = f" (from your earlier answers: {k.recomputed})" if k.recomputed else ""
        extra += f" ({k.note})" if k.note else ""
        lines.append(f"  {k.name}: {k.status}, {k.points:g} point(s); you: {terminal(k.given) or '-'}, "
                     f"key: {k.expected}{extra}")
    return "\n".join(lines) + "\n"


def marks_csv(all_marks: list[StudentMarks], ids: dict | None = None) -> bytes:
    """One row per student: the variant, the student and their roster id (for the gradebook),
    the total and per answer its points and status."""
    names = [k.name for k in all_marks[0].marks] if all_marks else []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(c) for c in ["variant", "student", "id", "total", "max"] + names
                + [f"{n} (status)" for n in names]])
    for m in all_marks:
        by = {k.name: k for k in m.marks}
        student = m.label if m.label != f"Variant {m.ident}" else ""
        w.writerow([csv_cell(c) for c in [m.ident, student, (ids or {}).get(m.ident) or "", f"{m.total:g}",
                                          len(m.marks)]
                    + [f"{by[n].points:g}" if n in by else "" for n in names]
                    + [by[n].status if n in by else "" for n in names]])
    return buf.getvalue().encode()
