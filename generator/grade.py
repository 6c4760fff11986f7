"""Grading submitted answers with error carried forward.

Each answer of a student is

- **correct**: within ``answers.accepted(a)`` (the key ± one unit of the asked last digit, or the
  full-precision value rounded as asked ± one unit: the intervals the LMS files accept), or a
  correct rounding of either at most ``grading: {coarser_digits: N}`` digits coarser than asked
  (default 1); the asked precision comes from the rounding policy, never from a printed float;
- **consistent**: wrong, but what the exercise gives when it is computed again from the student's
  own earlier answers (their gradients, their parameters …): the engine recomputes every value
  with the student's values in place of its own, and the answer matches that recomputation; or it
  follows from one slip of an earlier value, asked or not (``find_slip``);
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

from .answers import split_answer_name
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
    slip: object = None     # the Slip of an earlier value the student's answers follow from (find_slip)

    @property
    def total(self) -> float:
        return sum(m.points for m in self.marks)


#: Read as a minus sign: the minus sign U+2212, the en dash U+2013 (what word processors make of
#: ' - '), the hyphen U+2010 and non-breaking hyphen U+2011, the small and full-width hyphen-minus.
MINUS_SIGNS = "\u2212\u2013\u2010\u2011\ufe63\uff0d"
_LEADING = re.compile(r"^(?:[\u2248=~]\s*)+")       # a leading ≈, = or ~ ('≈ 0.25', '=0.25')


def parse_number(text: str) -> Decimal | None:
    """A submitted number: '0.25', '0,25', ' -1.5e-3 ', '−0.5', '–0.5' (an en dash), '≈ 0.25', '=0.25';
    None for anything else.  Digits are ASCII only: another script's digit (an Arabic-Indic five, a
    full-width 1) is unreadable, never a number the student did not see."""
    t = _LEADING.sub("", str(text).strip())
    t = t.translate({ord(c): "-" for c in MINUS_SIGNS}).replace(" ", "").replace("\u00a0", "")
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


def coarser_by(s: Decimal, unit: Decimal) -> int:
    """How many digits coarser than asked ``s`` is written: the place of its last digit minus the
    place of ``unit`` (one unit of the asked last digit).  '0.48' against 0.0001: 2; '0.4771': 0."""
    return s.as_tuple().exponent - unit.normalize().as_tuple().exponent


def _wide(otherwise):
    """Run a function of submitted numbers in a decimal context no student's number overflows
    ('1e999999999', 3000 digits); a number no arithmetic can take gives ``otherwise``."""
    import functools
    from decimal import MAX_EMAX, MIN_EMIN, Context, localcontext

    def wrap(f):
        @functools.wraps(f)
        def run(*args, **kwargs):
            try:
                with localcontext(Context(prec=120, Emax=MAX_EMAX, Emin=MIN_EMIN)):
                    return f(*args, **kwargs)
            except ArithmeticError:
                return otherwise
        return run
    return wrap


@_wide(False)
def rounds_to(s: Decimal, refs, unit: Decimal, coarser_digits: int) -> bool:
    """Whether ``s``, written 1 … ``coarser_digits`` digits coarser than asked, is within half a unit
    of its own last digit of one of ``refs`` (a correct rounding of it at the student's precision)."""
    d = coarser_by(s, unit) if unit else 0
    if not 0 < d <= coarser_digits:
        return False
    half = Decimal(1).scaleb(s.as_tuple().exponent) / 2
    return any(r is not None and abs(s - r) <= half for r in refs)


@_wide(False)
def is_correct(s: Decimal, a, coarser_digits: int = 1) -> bool:
    """*correct*: within ``answers.accepted(a)`` (the intervals the LMS files accept too), or a correct
    rounding of the full-precision value or of the key at most ``coarser_digits`` digits coarser than
    asked (grade only; ``grading: {coarser_digits: N}`` in the spec)."""
    from .answers import accepted
    if not a.unit:                                   # an answer made without a rounding policy
        return s in (a.key, a.full_exact)
    if any(lo <= s <= hi for lo, hi in accepted(a)):
        return True
    return rounds_to(s, (a.full_exact, a.key), a.unit, coarser_digits)


def _unit_at(a, r: Decimal) -> Decimal:
    """One asked unit at the value ``r``: the answer's unit, moved with the magnitude for significant figures."""
    if "significant" in a.asked and r != 0 and a.key != 0:
        return a.unit.scaleb(r.adjusted() - a.key.adjusted())
    return a.unit


@_wide(False)
def follows(s: Decimal, r, a, coarser_digits: int = 1) -> bool:
    """Whether ``s`` is the recomputed value ``r`` (from the student's own values) as the rules of
    *correct* read it: within one asked unit of ``r`` or of ``r`` rounded as asked, or a correct
    rounding of ``r`` at most ``coarser_digits`` coarser; and ``r`` is not the key's value (within one
    unit): a value that follows from the student's slip, not a right one."""
    from decimal import ROUND_HALF_UP
    if r is None:
        return False
    r = Decimal(r)
    u = _unit_at(a, r)
    if not u:
        return s == r and r != a.key
    if abs(r - a.key) <= a.unit:
        return False
    near = abs(s - r) <= u or abs(s - r.quantize(u, rounding=ROUND_HALF_UP)) <= u
    return near or rounds_to(s, (r,), u, coarser_digits)


#: The column names that name the student in a responses file (besides the roster's id columns).
WHO_COLUMNS = ("variant", "student")


def known_column(name: str) -> bool:
    """A column a responses file may have: one naming the student, or one named like an answer."""
    from .roster import KNOWN_COLUMNS
    return name.casefold() in WHO_COLUMNS or name.casefold() in KNOWN_COLUMNS or split_answer_name(name) is not None


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
    delimiter = sniff_delimiter(text, known_column)
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


_APOSTROPHES = "'\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032"


def _name_tokens(name: str, apostrophe: str = "") -> tuple:
    """A name's words as they are compared, in "First Last" order: transliterated as file names are
    (``roster.transliterate``: Søren -> soren, Łukasz -> lukasz, Guðmundsdóttir -> gudmundsdottir,
    Анна -> anna), accents and case ignored, apostrophes (any kind) dropped (O'Brien -> obrien; with
    ``apostrophe=" "`` read as a space: o brien); "Last, First" (one comma) turned round, so "van der
    Berg, Jan" gives ('jan', 'van', 'der', 'berg')."""
    from .roster import transliterate
    n = transliterate(name).casefold()
    n = n.translate({ord(c): apostrophe for c in _APOSTROPHES})
    if n.count(",") == 1:
        last, first = n.split(",")
        n = f"{first} {last}"
    return tuple(n.replace(",", " ").split())


def _names_index(planned):
    """{ordered words: [variants]} and {sorted words: [variants]} of the planned variants' names; a name
    with an apostrophe is there twice: O'Brien as 'obrien' and as 'o brien'."""
    ordered: dict = {}
    anyorder: dict = {}
    for v in planned:
        for t in dict.fromkeys((_name_tokens(v.label), _name_tokens(v.label, " "))):
            if not t:
                continue
            if v not in ordered.setdefault(t, []):
                ordered[t].append(v)
            if v not in anyorder.setdefault(tuple(sorted(t)), []):
                anyorder[tuple(sorted(t))].append(v)
    return ordered, anyorder


def find_by_name(name: str, planned=None, *, index=None) -> tuple[list, str]:
    """The students a name can be: ([variant], problem).  Accents, case, apostrophes (O'Brien, OBrien
    and O Brien are one name) and extra spaces are ignored, letters transliterated as file names are
    (Søren Kierkegaard is Soren Kierkegaard), compound surnames kept whole; "Last, First" (a comma) is
    read in that order, and matched in any order only when that is unique; a name without a comma is
    matched in either order ("Wei Wang" finds Wang Wei) — when that fits two students (Wang Wei and
    Wei Wang) the problem names both and no one is chosen.  Responses and overrides both use it."""
    ordered, anyorder = index or _names_index(planned)
    t = _name_tokens(name)
    if not t:
        return [], ""
    found = []
    if "," in name:
        found = ordered.get(t, [])
    if not found:
        found = anyorder.get(tuple(sorted(t)), [])
    if len(found) <= 1:
        return list(found), ""
    labels = {v.label for v in found}
    if len(labels) == 1:
        return list(found), (f"two students are called '{terminal(name)}' "
                             f"({', '.join(v.ident for v in found[:4])})")
    return list(found), (f"'{terminal(name)}' could be " +
                         " or ".join(f"{terminal(v.label)} ({v.ident})" for v in found[:4]))


def recorded_identities(doc) -> dict:
    """{variant id of answers.json: roster id} of an answers file's variants that record their
    student's roster id (``roster_id``): what a ``variant`` column of its responses-template names."""
    out: dict = {}
    for r in (doc or {}).get("variants", ()) if isinstance(doc, dict) else ():
        if isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("roster_id"), str):
            out[r["id"].casefold()] = r["roster_id"]
    return out


def _who(v) -> str:
    return f"{terminal(v.label)} ({terminal(v.key or v.ident)})"


def match_rows(rows, planned, where: str = "<responses>", header=(), *, students=None,
               unmatched: list | None = None, recorded=None) -> list:
    """Each response row with its variant, from every identifier the row has: the roster's id columns
    (``ID number``, ``Email address`` …: ``students``, the roster, holds every id of each student), the
    ``variant`` column and the ``student`` name ("First Last" or "Last, First").

    The roster id wins: a ``variant`` column is read through answers.json (``recorded``, the parsed
    file), whose variants record their student's ``roster_id`` — a responses-template of another
    export of the same roster names the same students — and, without it, as this run's variant ids.
    Every identifier that names a student must name the same one: a row whose ids, variant and name
    disagree (``zoe-muller`` with the ``ID number`` of José), or whose roster id is no student of the
    roster, is never resolved silently.

    A row that matches no student, whose identifiers disagree, or whose name two students share is an
    error naming its line, or, with ``unmatched`` given, appended to it as (line, who, reason) and left
    out; two rows for one student are always an error."""
    from .roster import ID_COLUMNS
    by_ident = {v.ident.casefold(): v for v in planned}
    by_key = {(v.key or "").casefold(): v for v in planned if getattr(v, "key", None)}
    handed_out = recorded_identities(recorded)
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
    names = _names_index(planned)
    id_columns = [c for c in header if c.casefold() in ID_COLUMNS]
    if not (set(WHO_COLUMNS) & {c.casefold() for c in header}) and not id_columns:
        raise SpecError("the responses need a column naming the student: 'variant' (as in answers.csv), "
                        "'student', or the roster's id column", where=where)

    def by_id(column: str, value: str):
        """(variant or None, whether the value is one the roster should know)."""
        value = value.casefold()
        if column.casefold() in by_column:
            return by_column[column.casefold()].get(value), True
        found = by_any.get(value, set())
        if len(found) == 1:
            return by_ident[next(iter(found)).casefold()], True
        return by_key.get(value), False

    def by_variant(value: str):
        value = value.casefold()
        if value in handed_out:                 # the student answers.json handed this variant to
            return by_key.get(handed_out[value].casefold())
        return by_ident.get(value)

    out, taken = [], {}
    for row, line in rows:
        lower = {k.casefold(): v for k, v in row.items() if isinstance(v, str)}
        who = lower.get("variant") or lower.get("student") or next((row.get(c) for c in id_columns if row.get(c)), "")
        said = []                  # (what names the student, variant) of every identifier that names one
        unknown = None             # a roster id of the roster's own columns that names nobody
        for c in id_columns:
            value = row.get(c, "")
            if not value:
                continue
            v, known = by_id(c, value)
            if v is not None:
                said.append((f"{c} '{terminal(value)}'", v))
            elif known and unknown is None:
                unknown = f"{c} '{terminal(value)}' is no student of the roster"
        if said:
            unknown = None         # the roster id that names a student wins (an old e-mail beside it is no conflict)
        problem = None
        if lower.get("variant"):
            v = by_variant(lower["variant"])
            if v is not None:
                said.append((f"variant '{terminal(lower['variant'])}'", v))
        if lower.get("student"):
            found, why = find_by_name(lower["student"], index=names)
            if len(found) == 1:
                said.append((f"the name '{terminal(lower['student'])}'", found[0]))
            elif len(found) > 1 and not said:
                problem = f"line {line}: {why}; name them by their variant id or the roster's id column"
        chosen = {v.ident for _, v in said}
        v = None
        if len(chosen) > 1 or (said and unknown):
            parts = [f"{what} is {_who(x)}" for what, x in said]
            problem = (f"line {line}: the row's identifiers disagree: " + ", ".join(parts)
                       + (f"; {unknown}" if unknown else "") + ": correct the row")
        elif said:
            v = said[0][1]
        else:
            problem = problem or f"line {line}: no student or variant '{terminal(who)}' in this homework set"
        if v is None:
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


def grade_variant(v, row: dict, *, ecf: float = 0.5, coarser_digits: int | None = None,
                  slips: bool = True) -> StudentMarks:
    """The marks of one student's row against their variant ``v`` (homework.Variant).
    ``coarser_digits``: how much coarser than asked a correct rounding may be (default: the spec's
    ``grading: {coarser_digits: N}``, else 1); ``slips``: search one slip of an earlier value that
    the student's wrong answers follow from (``find_slip``)."""
    from .homework import variant_answers

    answers = variant_answers(v)
    policy = v.trace.rounding
    if coarser_digits is None:
        coarser_digits = getattr(getattr(v.spec, "grading", None), "coarser_digits", 1)
    submitted = {a.name: parse_number(row.get(a.name, "")) for a in answers}
    # the exercise recomputed from the student's own values, each in place of the engine's
    own, impossible = _recompute(v, answers, submitted, policy)
    out = StudentMarks(v.ident, v.label)
    for a in answers:
        raw = row.get(a.name, "")
        s = submitted[a.name]
        if not raw:
            out.marks.append(Mark(a.name, "missing", 0.0, "", a.shown))
            continue
        if s is None:
            out.marks.append(Mark(a.name, "unreadable", 0.0, raw, a.shown))
            continue
        if is_correct(s, a, coarser_digits):
            out.marks.append(Mark(a.name, "correct", 1.0, raw, a.shown))
            continue
        recomputed = _recomputed(own, v, a.name)
        note = ("this value makes the exercise impossible to compute on (it diverges): the later "
                "answers are checked without it") if a.name in impossible else ""
        if follows(s, recomputed, a, coarser_digits) and not _nothing_carried(v, a.name, s, recomputed):
            out.marks.append(Mark(a.name, "consistent", ecf, raw, a.shown, _text(recomputed, policy, a), note))
        else:
            differs = recomputed is not None and abs(Decimal(recomputed) - a.key) > a.unit
            out.marks.append(Mark(a.name, "wrong", 0.0, raw, a.shown,
                                  _text(recomputed, policy, a) if differs else "", note))
    if slips and own is not None:
        slip = find_slip(v, answers, submitted, out.marks, impossible, coarser_digits, own=own)
        if slip is not None:
            out.slip = slip
            by = {a.name: a for a in answers}
            for m in out.marks:
                if m.name in slip.explained and m.status == "wrong" and \
                        not _nothing_carried(v, m.name, submitted[m.name], slip.explained[m.name]):
                    m.status, m.points = "consistent", ecf
                    m.recomputed = _text(slip.explained[m.name], policy, by[m.name])
                    m.note = f"follows from {slip.name} = {slip.shown_value}"
                elif m.name in slip.itself and m.status == "wrong":
                    m.note = f"this is {slip.name} itself, the slip"
    return out


def _nothing_carried(v, name: str, s: Decimal, r) -> bool:
    """Whether a value that follows from the student's own ones shows no computation: 0 written where
    their values give 0, or a trained parameter their values leave at its given start value (their
    gradient was 0) — a student who writes 0 everywhere earns nothing for it."""
    if s == 0 and Decimal(r) == 0:
        return True
    part, trace_name, idx = split_answer_name(name)
    if not trace_name.startswith("final."):
        return False
    try:
        start = v.trace.problem(part or v.trace.problems[0].id).entries.get("init." + trace_name[6:])
    except KeyError:
        return False
    if start is None:
        return False
    given = np.asarray(start.dec, dtype=object)
    try:
        return Decimal(given[idx] if idx else given.item()) == Decimal(r)
    except (IndexError, ValueError):
        return False


# ---- error carried forward through a value that was not asked --------------------------------

#: The bounds of the slip search (docs/homework.md, "The slip search"): the computed entries searched
#: (the nearest before the first wrong answer), the candidates verified exactly, the secant steps per
#: candidate, and how many later wrong answers a slip must explain besides the first.
SLIP_CANDIDATES = 64
SLIP_VERIFIED = 4
SLIP_STEPS = 3
SLIP_LATER = 2


@dataclass
class Slip:
    """One value of the computation (asked or not) whose slip the student's answers follow from."""
    name: str               # 'it1.delta2[1]' (1-based), 'part/…' in a parts spec
    label: str              # 'delta2[1] (iteration 1)'
    value: Decimal          # the value the student's answers follow from
    key: Decimal            # the key's value there
    form: str               # 'two digits swapped', 'the sign', 'a digit dropped', or ''
    explained: dict         # answer name -> the value recomputed from the slip
    shown_value: str = ""
    shown_key: str = ""
    itself: tuple = ()      # asked answers that are the slipped value itself (wrong: the mistake)

    def sentence(self) -> str:
        form = f" ({self.form})" if self.form else ""
        same = (f"; {', '.join(self.itself)} {'is' if len(self.itself) == 1 else 'are'} that value itself"
                if self.itself else "")
        return (f"{self.label}, {self.name}: your answers follow from {self.shown_value}; "
                f"the key has {self.shown_key}{form}{same}")


def _overrides(v, submitted, names) -> dict:
    out: dict = {}
    for name in names:
        part, trace_name, idx = split_answer_name(name)
        problem = part or v.trace.problems[0].id
        out.setdefault(problem, {}).setdefault(trace_name, {})[idx] = submitted[name]
    return out


def _with(base: dict, pid: str, name: str, idx, value) -> dict:
    out = {p: {n: dict(e) for n, e in d.items()} for p, d in base.items()}
    out.setdefault(pid, {}).setdefault(name, {})[tuple(idx)] = value
    return out


def _candidates(problem, before: str, policy) -> list:
    """(trace name, index, value, unit) of the computed entries recorded before ``before``, the
    SLIP_CANDIDATES nearest to it; unit: one unit of the digit the student writes the value to."""
    from .answers import asked_unit
    from .numbers import KINDS
    names = list(problem.entries)
    out = []
    for n in names[:names.index(before)]:
        e = problem.entries[n]
        if e.kind == "given" or e.symbolic is not None:
            continue
        prec = policy.precision(e.kind if e.kind in KINDS else None)
        for idx, val in np.ndenumerate(np.asarray(e.dec, dtype=object)):
            if not isinstance(val, Decimal):
                continue
            u = asked_unit(val, prec)
            if e.full and val != 0:          # an exact intermediate: written with all its digits
                u = min(u, Decimal(1).scaleb(val.normalize().as_tuple().exponent))
            out.append((n, tuple(int(i) for i in idx), val, u))
    return out[-SLIP_CANDIDATES:]


#: {structure of an exercise: {(problem, trace name, index): the answers it feeds}}: learned once per
#: structure (the same entries, shapes, answers and rounding) for a whole class, the first time a
#: student's search needs it; at most _DEPENDENCY_STRUCTURES structures are kept.
_DEPENDENCIES: dict = {}
_DEPENDENCY_STRUCTURES = 16




def _structure(v, answers) -> tuple:
    """What a dependency table is shared by: the entries and their shapes, the answers, the rounding
    and the entries that are exactly 0 (marks never depend on which student was graded first).
    The variants share it when every kind of theirs says that its answers feed on the same entries
    in every variant of the same shapes, except through values that are exactly 0 (an input 0, a
    dead unit): ``answers.SHARED_STRUCTURE``; else (max pooling routes by value) the given values
    are part of it too, a table per variant."""
    from .kinds import kind as kind_of
    def zeros(p):        # computed values only: a given 0 that multiplies shows as a computed 0
        return tuple((n, idx) for n, e in p.entries.items() if e.kind != "given"
                     for idx, x in np.ndenumerate(np.asarray(e.dec, dtype=object))
                     if isinstance(x, Decimal) and x == 0)
    own = () if all(kind_of(p.kind).shares_structure for p in v.trace.problems) else \
        tuple((p.id, n, str(e.dec)) for p in v.trace.problems for n, e in p.entries.items() if e.kind == "given")
    return (v.trace.rounding, tuple(a.name for a in answers), own,
            tuple((p.id, p.kind, tuple((n, np.shape(e.dec)) for n, e in p.entries.items()), zeros(p))
                  for p in v.trace.problems))


def _dependents(v, answers, pid: str, name: str, idx) -> frozenset | None:
    """The answers that entry ``idx`` of ``name`` feeds: those that change when it is moved far up or
    far down in the key's computation (two solves, once per exercise structure and entry); None
    when neither move can be computed (then every answer may depend on it)."""
    from .solve import solve
    sig = _structure(v, answers)
    table = _DEPENDENCIES.get(sig)
    if table is None:
        if len(_DEPENDENCIES) >= _DEPENDENCY_STRUCTURES:
            _DEPENDENCIES.pop(next(iter(_DEPENDENCIES)))
        table = _DEPENDENCIES[sig] = {}
    k = (pid, name, tuple(idx))
    if k in table:
        return table[k]
    e = v.trace.problem(pid).entries[name]
    v0 = Decimal(np.asarray(e.dec, dtype=object)[tuple(idx)] if idx else np.asarray(e.dec, dtype=object).item())
    step = abs(v0) * 3 + 1
    base = {a.name: _recomputed(v.trace, v, a.name) for a in answers}
    found, ran = set(), False
    for x in (v0 + step, v0 - step):
        try:
            t = solve(v.spec, v.trace.rounding, overrides={pid: {name: {tuple(idx): x}}})
        except _IMPOSSIBLE:
            continue
        ran = True
        found |= {a.name for a in answers if _recomputed(t, v, a.name) != base[a.name]}
    table[k] = frozenset(found) if ran else None
    return table[k]


def slip_form(key: Decimal, value: Decimal) -> str:
    """Which common slip turns ``key`` into ``value`` (both written to the same digit): 'the sign',
    'two digits swapped' (adjacent), 'a digit dropped', or ''."""
    if value == -key and key != 0:
        return "the sign"
    q = min(key.as_tuple().exponent, value.as_tuple().exponent)
    a, b = (format(abs(x.quantize(Decimal(1).scaleb(q))), "f") for x in (key, value))
    if (key < 0) != (value < 0) and value != 0:
        return ""
    if len(a) == len(b) and a != b:
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return "two digits swapped"
    for i, c in enumerate(a):
        if c.isdigit():
            dropped = a[:i] + a[i + 1:]
            try:
                if dropped and dropped != "." and Decimal(dropped.rstrip(".") or "0") == abs(value):
                    return "a digit dropped"
            except InvalidOperation:
                pass
    return ""


def _slip_forms(key: Decimal, unit: Decimal) -> list:
    """The common slips of ``key`` written to ``unit``: its sign, adjacent digits swapped, a digit dropped."""
    q = key.quantize(unit) if unit else key
    a = format(abs(q), "f")
    sign = -1 if q < 0 else 1
    out = {-q}
    for i in range(len(a) - 1):
        if a[i].isdigit() and a[i + 1].isdigit() and a[i] != a[i + 1]:
            out.add(sign * Decimal(a[:i] + a[i + 1] + a[i] + a[i + 2:]))
    for i, c in enumerate(a):
        if c.isdigit():
            t = (a[:i] + a[i + 1:]).rstrip(".")
            if t and t != ".":
                try:
                    out.add(sign * Decimal(t))
                except InvalidOperation:
                    pass
    out.discard(q)
    return sorted(out)


def pins(s, a, coarser_digits: int = 1) -> bool:
    """Whether a submitted number ``s`` is written as precisely as a correct answer may be: to the
    asked digit or at most ``coarser_digits`` coarser.  Only such answers are evidence of a slip."""
    if s is None:
        return False
    if not a.unit:
        return True
    try:
        return coarser_by(s, _unit_at(a, s) if s != 0 else a.unit) <= coarser_digits
    except (ArithmeticError, TypeError):
        return False


#: {(structure, problem, entry, index): the asked answers that are that entry itself}, like _DEPENDENCIES.
_IDENTITIES: dict = {}
#: The two values the slipped entry is set to, and the factors the exercise's numbers are moved by,
#: when its identities are probed: generic values, so that no product or sum of them is 1 or 0 by chance.
_PROBE_VALUES = (Decimal("0.7318421"), Decimal("-1.3926053"))


def _moved(data, counter=None):
    """The spec data with every number in a list (inputs, weights, biases, targets …) and every
    non-integral number (a learning rate) multiplied by a generic factor of its own (1.0137…, 1.0291…);
    integers outside lists (iterations, strides, decimals) are structure and stay."""
    counter = counter if counter is not None else [0]

    def move(x, in_list):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return x
        if not in_list and float(x).is_integer():
            return x
        counter[0] += 1
        factor = 1 + 0.0137 * counter[0] + 0.00031 * counter[0] ** 2
        return float(Decimal(repr(float(x))) * Decimal(repr(factor)))

    def walk(node, in_list=False):
        if isinstance(node, dict):
            return {k: walk(v, False) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, True) for v in node]
        return move(node, in_list)
    return walk(data)


def identities(v, answers, pid: str, name: str, idx, unit=None) -> frozenset | None:
    """The asked answers that *are* entry ``idx`` of ``name`` by the computation (∂L/∂b⁽²⁾ = δ⁽²⁾):
    with the entry set to two generic values and every number of the exercise moved by a generic
    factor of its own (``_moved``), the answer equals the entry both times — its derivative with
    respect to the entry is exactly 1 and no other number of the exercise changes it.  An answer that
    equals the entry only through this variant's values (δ⁽²⁾·a⁽¹⁾ with a⁽¹⁾ = 1, δ⁽¹⁾·x with x = 1)
    changes when they move and is no identity.  None when the moved exercise cannot be computed (a
    dropout mask or a one-hot target that must stay 0/1): the caller decides another way.  Learned
    once per exercise structure and entry, like ``_dependents``; the two values are written to ``unit``
    (the digit the entry is written to), so that carried rounding keeps an identity exact."""
    from .solve import solve
    from .spec import spec_from_data
    k = (_structure(v, answers), pid, name, tuple(idx), unit)
    if k in _IDENTITIES:
        return _IDENTITIES[k]
    data = getattr(v.spec, "data", None)
    found = None
    if isinstance(data, dict):
        try:
            moved = spec_from_data(_moved(data), limits=getattr(v.spec, "limits", None))
            found = None
            for x in _PROBE_VALUES:
                x = x.quantize(unit) if unit else x
                t = solve(moved, v.trace.rounding, overrides={pid: {name: {tuple(idx): x}}})
                same = {a.name for a in answers if _recomputed(t, v, a.name) is not None
                        and Decimal(_recomputed(t, v, a.name)) == x}
                found = same if found is None else found & same
            found = frozenset(found)
        except (_IMPOSSIBLE + (KeyError, IndexError, TypeError)):
            found = None
    if len(_IDENTITIES) >= 64 * _DEPENDENCY_STRUCTURES:
        _IDENTITIES.pop(next(iter(_IDENTITIES)))
    _IDENTITIES[k] = found
    return found


def _identities_by_value(run, v, answers, name, idx, x, got) -> frozenset:
    """The fallback of ``identities`` when the exercise cannot be moved: the answers that equal the
    entry exactly at the student's value and at a second one (derivative exactly 1 here)."""
    other = x * Decimal("1.37") + Decimal("0.0913")
    t = run(name, idx, other)
    if t is None:
        return frozenset()
    out = set()
    for n, r in got.items():
        r2 = _recomputed(t, v, n)
        if r == x and r2 is not None and Decimal(r2) == other:
            out.add(n)
    return frozenset(out)


@_wide(None)
def find_slip(v, answers, submitted, marks, impossible=(), coarser_digits: int = 1, *, own=None):
    """The one slip of an earlier value — asked or not, one entry (one entry of δ, say) — that the
    student's first wrong answer and at least SLIP_LATER of their later wrong answers follow from;
    None when there is none.

    The search (bounded: SLIP_CANDIDATES perturbed solves, then at most SLIP_VERIFIED × SLIP_STEPS
    exact ones): the computation is run once more per candidate entry (the computed values recorded
    before the first wrong answer, nearest first) with that entry moved by a step h, all with the
    student's own answers in place; the value that gives the student's first wrong answer is solved
    for by the secant through the two runs, and the later answers predicted linearly.  Candidates
    that would change an earlier right answer, or that predict fewer than SLIP_LATER of the later
    wrong answers, are dropped; the best are verified with exact solves (secant steps, rounded to
    the digit the student writes the value to), and a slip counts only when the exact
    recomputation gives the first wrong answer, leaves the earlier right ones and gives at least
    SLIP_LATER later wrong answers.  Of several, the one explaining most answers, then the one whose
    value is a common slip of the key's (sign, adjacent digits swapped, a digit dropped), then the
    one nearest the first wrong answer."""
    from .labels import label
    from .numbers import KINDS, format_number
    from .solve import solve

    policy = v.trace.rounding
    status = {m.name: m.status for m in marks}
    # only an answer written as precisely as a correct one may be (``pins``) is evidence of a slip: a
    # coarser one cannot tell a slip from rounding (-1.70 for -1.6979 at 4 decimals asked)
    evidence = {a.name for a in answers if status.get(a.name) == "wrong" and
                pins(submitted.get(a.name), a, coarser_digits)}
    first_i = next((i for i, a in enumerate(answers) if a.name in evidence), None)
    if first_i is None:
        return None
    first = answers[first_i]
    later = [a for a in answers[first_i + 1:] if a.name in evidence]
    if len(later) < SLIP_LATER:
        return None
    earlier = [a for a in answers[:first_i] if status.get(a.name) in ("correct", "consistent")]
    part, tname, _ = split_answer_name(first.name)
    pid = part or v.trace.problems[0].id
    prefix = f"{part}/" if part else ""
    if own is None:
        own, impossible = _recompute(v, answers, submitted, policy)
        if own is None:
            return None
    try:
        problem = own.problem(pid)
    except KeyError:
        return None
    if tname not in problem.entries:
        return None
    base = _overrides(v, submitted, [a.name for a in answers if submitted[a.name] is not None
                                     and a.name not in impossible])
    base_vals = {a.name: _recomputed(own, v, a.name) for a in answers}
    s_first, A0 = submitted[first.name], base_vals[first.name]
    if A0 is None:
        return None

    def run(name, idx, x):
        try:
            return solve(v.spec, policy, overrides=_with(base, pid, name, idx, x))
        except _IMPOSSIBLE:
            return None

    def value(t, a):
        r = _recomputed(t, v, a.name)
        return None if r is None else Decimal(r)

    # which entries can carry the slip: those that feed the first wrong answer and at least SLIP_LATER
    # later wrong ones; first those that feed no earlier right answer, then (only when none of those
    # explains the answers) those whose effect on an earlier right one may stay below one unit
    tiers: tuple = ([], [])
    for pos, (name, idx, v0, u) in enumerate(_candidates(problem, tname, policy)):
        deps = _dependents(v, answers, pid, name, idx)
        if deps is not None and (first.name not in deps or sum(b.name in deps for b in later) < SLIP_LATER):
            continue
        tiers[1 if deps is not None and any(b.name in deps for b in earlier) else 0].append((pos, name, idx, v0, u))

    def probe(cands) -> list:
        """The candidates whose linear prediction gives the first wrong answer, keeps the earlier
        right ones and gives at least SLIP_LATER later wrong ones; the most convincing first."""
        survivors = []
        for pos, name, idx, v0, u in cands:
            h = max(abs(v0) / 2, 20 * u).quantize(u) if u else abs(v0) / 2 or Decimal(1)
            t1 = run(name, idx, v0 + h)
            if t1 is None:
                continue
            A1 = value(t1, first)
            if A1 is None or abs(A1 - A0) < 2 * first.unit:
                continue                                  # the first wrong answer hardly depends on it
            ratio = (s_first - A0) / (A1 - A0)            # (x − v0) / h of the value that gives it
            if abs(ratio) > 1000:
                continue
            ok = True
            for b in earlier:
                b0, b1 = base_vals[b.name], value(t1, b)
                if b0 is not None and b1 is not None and abs((b1 - b0) * ratio) > 3 * b.unit:
                    ok = False
                    break
            if not ok:
                continue
            count, sharpest, starts = 0, abs(A1 - A0) / first.unit, [v0 + h * ratio]
            for b in later:
                b0, b1 = base_vals[b.name], value(t1, b)
                if b0 is None or b1 is None:
                    continue
                pred = b0 + (b1 - b0) * ratio
                if abs(pred - b0) > b.unit and abs(pred - submitted[b.name]) <= 2 * b.unit + abs(pred - b0) / 4:
                    count += 1
                    if abs(b1 - b0) / b.unit > sharpest:   # a later answer that pins the value down better
                        sharpest = abs(b1 - b0) / b.unit
                        starts.insert(0, v0 + h * (submitted[b.name] - b0) / (b1 - b0))
                        del starts[1:-1]
            if count >= SLIP_LATER:
                starts = list(dict.fromkeys(x.quantize(u) if u else x for x in starts))
                survivors.append((count, pos, name, idx, v0, u, h, A1, starts))
        survivors.sort(key=lambda c: (-c[0], -c[1]))
        return survivors

    def explained_by(t):
        """{answer: recomputed} that follow from the slip of run ``t``, or None when it changes an
        earlier right answer or explains too little."""
        for b in earlier:
            r, r0 = value(t, b), base_vals[b.name]
            if r is not None and r0 is not None and abs(r - Decimal(r0)) > b.unit \
                    and abs(r - submitted[b.name]) > b.unit:
                return None
        got = {}
        for b in [first] + later:
            r = value(t, b)
            if r is not None and follows(submitted[b.name], r, b, coarser_digits):
                got[b.name] = r
        if first.name not in got or len(got) < 1 + SLIP_LATER:
            return None
        return got

    def verify(survivors) -> list:
        """The survivors an exact recomputation confirms, with secant steps towards the value."""
        found = []
        for count, pos, name, idx, v0, u, h, A1, starts in survivors[:SLIP_VERIFIED]:
            best = None
            for x in starts:            # from the sharpest later answer, and from the first wrong one
                pts = [(v0 + h, A1)]
                for _ in range(SLIP_STEPS):
                    t = run(name, idx, x)
                    if t is None:
                        break
                    got = explained_by(t)
                    if got is not None:
                        if best is None or len(got) > len(best[-1]):
                            best = (len(got), pos, name, idx, v0, u, x, got)
                        break
                    Ax = value(t, first)
                    xa, Aa = pts[-1]
                    pts.append((x, Ax))
                    if Ax is None or Ax == Aa or x == xa:
                        break
                    nxt = x + (s_first - Ax) * (x - xa) / (Ax - Aa)
                    x = nxt.quantize(u) if u else nxt
                if best is not None and len(best[-1]) == 1 + len(later):
                    break                # everything explained: no need to try the other start
            if best is not None:
                found.append(best)
        return found

    found = []
    for cands in tiers:
        found = verify(probe(cands)) if cands else []
        if found:
            break
    if not found:
        return None

    key_trace = v.trace.problem(pid)

    def key_of(name, idx, v0):
        e = key_trace.entries.get(name)
        if e is None:
            return v0
        k = np.asarray(e.dec, dtype=object)[idx] if idx else np.asarray(e.dec, dtype=object).item()
        return Decimal(k)

    def rank(f):
        n, pos, name, idx, v0, u, x, got = f
        form = slip_form(key_of(name, idx, v0).quantize(u) if u else key_of(name, idx, v0), x)
        return (n, bool(form), pos)
    found.sort(key=rank, reverse=True)
    n, pos, name, idx, v0, u, x, got = found[0]
    key = key_of(name, idx, v0)
    keyq = key.quantize(u) if u else key
    form = slip_form(keyq, x)
    if not form:                       # a common slip of the key's value just beside it gives the same?
        for f in _slip_forms(keyq, u):
            if f != x and abs(f - x) <= 3 * u:
                t = run(name, idx, f)
                better = explained_by(t) if t is not None else None
                if better is not None and len(better) >= len(got):
                    x, got, form = f, better, slip_form(keyq, f)
                    break
    # an asked answer that is the slipped value itself (∂L/∂b⁽²⁾₁ = δ⁽²⁾₁) is the mistake, not a
    # consequence of it: it stays wrong.  Told by the computation's structure (``identities``), never
    # by equal values: δ⁽²⁾₁·a⁽¹⁾₁ with a⁽¹⁾₁ = 1 equals δ⁽²⁾₁ but follows from it
    same = identities(v, answers, pid, name, idx, u)
    if same is None:                   # the structure cannot be probed: equal in value in two runs
        same = _identities_by_value(run, v, answers, name, idx, x, got)
    itself = tuple(n for n in got if n in same)
    got = {n: r for n, r in got.items() if n not in itself}
    if len(got) < 1 + SLIP_LATER:
        return None
    kind = key_trace.entries[name].kind if name in key_trace.entries else None
    kind = kind if kind in KINDS else None
    entry = f"{prefix}{name}" + (f"[{','.join(str(i + 1) for i in idx)}]" if idx else "")
    return Slip(entry, label(name, idx, tex=False, problem=key_trace), x, key, form, got,
                shown_value=format_number(x, policy, kind), shown_key=format_number(key, policy, kind),
                itself=itself)


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
        return _overrides(v, submitted, names)

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
    part, trace_name, idx = split_answer_name(name)
    problem = own.problem(part or v.trace.problems[0].id)
    if trace_name not in problem.entries:
        return None
    value = np.asarray(problem.dec(trace_name), dtype=object)
    return value[idx] if idx else value.item() if value.ndim == 0 else None


def _text(value, policy, a) -> str:
    from .numbers import format_number
    kind = "loss" if "loss" in a.name else "parameter"
    return format_number(value, policy, kind)


#: The wrong-draw warning (``another_draw``): a student "answers another exercise" when fewer than
#: this share of their answers is correct and at least FAR_SHARE of their wrong answers are far from
#: the key (more than FAR_RELATIVE of its size, and more than 10 asked units, away); the warning comes
#: when more than half of the students with answers do.
FEW_RIGHT = 0.2
FAR_SHARE = 0.5
FAR_RELATIVE = Decimal("0.1")


@_wide(False)
def _far(given: str, expected: str, unit) -> bool:
    s, k = parse_number(given), parse_number(expected)
    if s is None or k is None:
        return False
    unit = unit or Decimal(1).scaleb(k.as_tuple().exponent)       # the key's last printed digit
    gap = abs(s - k)
    return gap > FAR_RELATIVE * abs(k) and gap > 10 * unit


def another_draw(results) -> tuple[int, int]:
    """(how many students look as if they answered another draw of the exercise, how many answered
    anything): fewer than FEW_RIGHT of their answers right, and most of their wrong answers far from
    their key — what a wrong --seed, another roster or another spec gives; a class that merely
    struggles is near its keys (slips, rounding).  ``cli grade`` warns when more than half do."""
    odd = answered = 0
    for m in results:
        given = [k for k in m.marks if k.status != "missing"]
        if not given or getattr(m, "paper_only", False):
            continue
        answered += 1
        right = sum(k.status == "correct" for k in given)
        wrong = [k for k in given if k.status in ("wrong", "unreadable", "consistent")]
        far = sum(_far(k.given, k.expected, None) for k in wrong)
        if right < FEW_RIGHT * len(given) and wrong and far >= FAR_SHARE * len(wrong):
            odd += 1
    return odd, answered


def points_possible(m) -> int:
    """What a student's homework is worth: one point per counted answer, or the maximum recorded on a
    paper-only mark (``gradebook.apply_overrides``)."""
    return getattr(m, "max_points", None) or len(m.marks)


def feedback(m: StudentMarks) -> str:
    """A student's feedback: the first wrong step, what was expected, what follows from theirs."""
    lines = [f"{m.label}: {m.total:g} of {points_possible(m)} points"]
    if getattr(m, "paper_only", False):
        return "\n".join(lines + ["No response of yours was graded here: the instructor set this total "
                                   "(a paper-only mark)."]) + "\n"
    slip = getattr(m, "slip", None)
    if slip is not None:
        lines.append(f"The first slip: {slip.sentence()}.")
        lines.append("These answers follow correctly from it and earn partial credit: "
                     + ", ".join(k for k in slip.explained) + ".")
    first = next((k for k in m.marks if k.status in ("wrong", "unreadable", "missing")), None)
    if first is None:
        lines.append("Every answer is right" + (" or follows correctly from your earlier answers."
                                                 if any(k.status == "consistent" for k in m.marks) else "."))
    else:
        lines.append(f"The {'next' if slip is not None else 'first'} step to look at: {first.name}: you wrote '{terminal(first.given) or '(nothing)'}', "
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
                                          points_possible(m)]
                    + [f"{by[n].points:g}" if n in by else "" for n in names]
                    + [by[n].status if n in by else "" for n in names]])
    return buf.getvalue().encode()


# ---- what was handed out ----------------------------------------------------------------------

def read_recorded(path, limit: int) -> dict:
    """The answers file a homework run wrote (``answers.json``), parsed: a JSON object with a list of
    ``variants``; a SpecError naming the file otherwise."""
    import json
    from .files import read_limited

    raw = read_limited(path, limit, "answers file")

    def bad(why):
        return SpecError(f"not an answers file of 'dryrun homework': {why}", where=str(path))
    from .answers import parse_answers_doc
    doc = parse_answers_doc(raw, str(path))
    if not isinstance(doc.get("variants"), list):
        raise bad("it has no list of 'variants'")
    return doc


def _recorded_differs(rec, a) -> str | None:
    """How the recorded answer ``rec`` (a dict of answers.json) differs from the recomputed ``a``: the
    first differing field, or None when they are the same."""
    if not isinstance(rec, dict):
        return "it is not recorded"
    if rec.get("shown") != a.shown:
        return f"handed out {terminal(str(rec.get('shown')))[:40]}, recomputed {a.shown}"
    exact = (("key", a.key), ("full_exact", a.full_exact), ("unit", a.unit))
    if all(k in rec for k, _ in exact):
        for k, mine in exact:
            try:
                theirs = Decimal(str(rec[k]))
            except (InvalidOperation, ValueError):
                return f"its '{k}' is not a number"
            if theirs != mine:
                return f"{k} handed out {terminal(str(rec[k]))[:70]}, recomputed {mine}"
        return None
    for k, mine in (("value", a.value), ("full_precision", a.full)):     # an answers file of an older dryrun
        if rec.get(k) != mine:
            return f"{k} handed out {terminal(str(rec.get(k)))[:40]}, recomputed {mine!r}"
    return None


def check_recorded(doc: dict, variants, seed: int, where: str = "answers.json") -> None:
    """Refuse to grade when the answers recomputed now (``variants``, drawn from the spec and the
    seed) are not the ones recorded when the homework was handed out (``doc``, answers.json): one
    line naming the first differing value (a SpecError, exit status 2), and the versions that made
    the file when they are not this run's."""
    from .homework import made_with, variant_answers

    recorded_with = doc.get("made_with") if isinstance(doc.get("made_with"), dict) else {}
    now = made_with()
    versions = ""
    if recorded_with and recorded_with != now:
        versions = (f" (answers.json was made with dryrun {terminal(str(recorded_with.get('dryrun')))[:20]} and NumPy "
                    f"{terminal(str(recorded_with.get('numpy')))[:20]}; this is dryrun {now['dryrun']}, "
                    f"NumPy {now['numpy']})")

    def refuse(what: str):
        raise SpecError(f"{what}: the homework handed out differs from what the spec and seed give now; "
                        f"not graded{versions}", where=where)
    if isinstance(doc.get("seed"), int) and doc["seed"] != seed:
        refuse(f"answers.json was drawn with seed {doc['seed']}, --seed is {seed}")
    records = [r for r in doc["variants"] if isinstance(r, dict)]
    by_id = {r.get("id"): r for r in records}
    by_roster_id = {r["roster_id"]: r for r in records if isinstance(r.get("roster_id"), str)}
    for v in variants:
        # the same student under another export of the roster ("Last, First" names other files)
        rec = (by_roster_id.get(v.key) if v.key else None) or by_id.get(v.ident)
        if rec is None:
            refuse(f"variant {terminal(v.ident)} is not in it")
        recorded = rec.get("answers") if isinstance(rec.get("answers"), dict) else {}
        mine = variant_answers(v)
        for a in mine:
            why = _recorded_differs(recorded.get(a.name), a)
            if why:
                refuse(f"variant {terminal(v.ident)}, {a.name}: {why}")
        extra = [n for n in recorded if n not in {a.name for a in mine}]
        if extra:
            refuse(f"variant {terminal(v.ident)}, {terminal(str(extra[0]))[:60]}: handed out, not recomputed")
