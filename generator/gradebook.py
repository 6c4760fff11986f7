"""The LMS round trip of ``dryrun grade``: quiz-response exports in, gradebook imports out, and the
instructor's overrides in between.

In:
- a **Moodle quiz "Responses" report** downloaded as CSV (mod/quiz/report/responses): the user columns
  (``Surname``/``Last name``, ``First name``, the site's identity fields such as ``ID number`` or
  ``Email address``), ``State``/``Status``, ``Started on``, ``Completed``, ``Time taken``,
  ``Grade/10.00``, then ``Response 1``, ``Response 2`` … (one per question slot).  A cloze question's
  response is its parts' summaries joined by ``; ``: ``part 1: 0.1269; part 2: 0.1159`` (qtype_multianswer
  ``summarise_response``, string ``subqresponse``); a slot without a response is ``-``.  The parts are the
  fields of the variant's question in order, which are the variant's answers in order (lms.moodle_xml);
- a **Canvas quiz "Student Analysis" report** (Quizzes::QuizStatistics::StudentAnalysis#to_csv):
  ``name``, ``id``, [``sis_id``], [``root_account``], ``section``, ``section_id``, [``section_sis_id``],
  ``submitted``, [``attempt``], then per question ``<question id>: <question text without tags>`` and a
  column of its points (headed by the points possible), then ``n correct``, ``n incorrect``, ``score``.
  One quiz per variant (lms.canvas_qti), one item per answer whose text ends "Give <label>.": a column
  is mapped by that label, else by the order of the items;
- dryrun's own responses CSV (``grade.read_responses``).

Out, next to marks.csv:
- ``moodle-grades.csv`` for Moodle's "Import → CSV file" (grade/import/csv): a column that identifies
  the user (mapped to ``ID number``, ``Email address`` or ``Username``), one column per grade item, and a
  feedback column (mapped to "Feedback: <item>"); an empty or ``-`` grade is no grade;
- ``canvas-grades.csv`` for Canvas's Gradebook → Import (lib/gradebook_importer.rb): ``Student``,
  ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then ``<Assignment name> (<assignment id>)``
  (a name without an id makes a new assignment), a "Points Possible" row first.

Overrides (``--overrides overrides.yaml``), applied after grading on every run::

    accept: {final.W1[1,2]: [0.4772]}      # another value counts as correct (within the answer's tolerance)
    drop: [it2.loss]                       # not counted for anybody
    set:                                   # one student's mark: an answer's points, or the total
      - {student: s100, answer: it1.loss, points: 1, reason: "rounded as the sheet said"}
      - {student: pat-o-brien, total: 20, reason: "re-marked on paper"}
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .errors import SpecError
from .escape import csv_cell, terminal
from .grade import Mark, Rows, StudentMarks, parse_number, points_possible

FORMATS = ("moodle", "canvas", "dryrun")

#: The key, in a row read from an LMS export, of its raw responses: [(column header, cell)].
RAW = "\x00responses"
#: The line of the row in its file, and the file, for messages.
WHERE = "\x00where"

_MOODLE_RESPONSE = re.compile(r"response\s+(\S+)", re.I)
_CANVAS_QUESTION = re.compile(r"(\d+):\s(.*)", re.S)
_MOODLE_FIRST = ("first name", "firstname")
_MOODLE_LAST = ("surname", "last name", "lastname")


# ---------------------------------------------------------------------------------------------
# reading responses


def detect_format(header) -> str:
    """``moodle``, ``canvas`` or ``dryrun`` from a responses file's header."""
    low = [c.strip().casefold() for c in header]
    if {"n correct", "n incorrect"} <= set(low) and "name" in low and \
            any(_CANVAS_QUESTION.fullmatch(c.strip()) for c in header):
        return "canvas"
    if any(_MOODLE_RESPONSE.fullmatch(c) for c in low) and \
            any(c in low for c in _MOODLE_LAST + _MOODLE_FIRST + ("email address", "id number", "username")):
        return "moodle"
    return "dryrun"


def _known(cell: str) -> bool:
    """A column name of any of the formats (for telling the delimiter)."""
    from .grade import known_column
    c = cell.strip()
    return (known_column(c) or bool(_MOODLE_RESPONSE.fullmatch(c)) or bool(_CANVAS_QUESTION.fullmatch(c))
            or c.casefold() in ("n correct", "n incorrect", "score", "state", "status", "started on",
                                "completed", "time taken", "section", "submitted", "attempt"))


def read_files(paths, fmt: str = "auto") -> Rows:
    """The rows of one or more responses files, each in its own format (``fmt``, or detected from
    its header): dryrun's CSV as ``grade.read_responses`` reads it, a Moodle or Canvas export with
    its student's ids and name and the raw responses, mapped to answer names by ``map_answers``
    once the variants are drawn.  ``rows.lms`` is true when any file is an LMS export."""
    from .files import read_limited
    from .grade import read_responses
    from .limits import DEFAULT
    from .roster import sniff_delimiter

    out = Rows()
    out.lms = False
    header: list = []
    for path in paths:
        where = str(path)
        raw = read_limited(path, DEFAULT.max_input_bytes, "responses")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SpecError(f"not UTF-8 text (byte {e.start}): save the file as UTF-8 CSV", where=where) from None
        delimiter = sniff_delimiter(text, _known)
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
        table = []
        try:
            for r in reader:
                if any(c.strip() for c in r):
                    table.append((r, reader.line_num))
        except csv.Error as e:
            raise SpecError(f"malformed CSV on line {reader.line_num}: {e}", where=where) from None
        kind = detect_format(table[0][0]) if table and fmt == "auto" else fmt
        if kind not in ("moodle", "canvas"):
            rows = read_responses(text, where)
            for row, line in rows:
                row[WHERE] = (where, line)
        else:
            if not table:
                raise SpecError("the file is empty", where=where)
            rows = (_moodle_rows if kind == "moodle" else _canvas_rows)(table, where)
            out.lms = True
        out.extend(rows)
        header += [c for c in rows.header if c not in header]
    out.header = header
    if out.lms:
        _one_row_each(out)
    return out


def _moodle_rows(table, where: str) -> Rows:
    from .roster import ID_COLUMNS
    head = [c.strip() for c in table[0][0]]
    low = [c.casefold() for c in head]
    responses = [i for i, c in enumerate(low) if _MOODLE_RESPONSE.fullmatch(c)]
    if not responses:
        raise SpecError("a Moodle responses export needs its 'Response 1' column: download the Responses "
                        "report with 'Response' ticked", where=where)
    ids = [i for i, c in enumerate(low) if c in ID_COLUMNS]
    first = next((i for i, c in enumerate(low) if c in _MOODLE_FIRST), None)
    last = next((i for i, c in enumerate(low) if c in _MOODLE_LAST), None)
    state = next((i for i, c in enumerate(low) if c in ("state", "status")), None)
    if not ids and first is None and last is None:
        raise SpecError("the Moodle export names no student: show an identity field ('ID number' or "
                        "'Email address') or the names in the report", where=where)
    rows = Rows(header=[head[i] for i in ids] + ["student"])
    for r, line in table[1:]:
        cell = lambda i: r[i].strip() if i is not None and i < len(r) else ""
        name = " ".join(p for p in (cell(first), cell(last)) if p)
        if not name and not any(cell(i) for i in ids):
            continue                                    # an average row, a blank line
        if name.casefold().startswith("overall average"):
            continue
        row = {head[i]: cell(i) for i in ids}
        row["student"] = name
        row[RAW] = [(head[i], cell(i)) for i in responses]
        row[WHERE] = (where, line)
        row["\x00state"] = cell(state).casefold()
        rows.append((row, line))
    return rows


def _canvas_rows(table, where: str) -> Rows:
    head = [c.strip() for c in table[0][0]]
    low = [c.casefold() for c in head]
    questions = [i for i, c in enumerate(head) if _CANVAS_QUESTION.fullmatch(c)]
    if "name" not in low and "id" not in low:
        raise SpecError("the Canvas Student Analysis names no student (an anonymous survey?): 'name' and "
                        "'id' columns are needed", where=where)
    col = lambda n: low.index(n) if n in low else None
    name, ident, sis, attempt = col("name"), col("id"), col("sis_id"), col("attempt")
    rows = Rows(header=["ID"] + (["SIS User ID"] if sis is not None else []) + ["student"])
    for r, line in table[1:]:
        cell = lambda i: r[i].strip() if i is not None and i < len(r) else ""
        if not cell(name) and not cell(ident):
            continue                                    # a logged-out user's submission
        row = {"ID": cell(ident), "student": cell(name)}
        if sis is not None:
            row["SIS User ID"] = cell(sis)
        row[RAW] = [(head[i], cell(i)) for i in questions]
        row[WHERE] = (where, line)
        row["\x00attempt"] = cell(attempt)
        rows.append((row, line))
    return rows


def _one_row_each(rows: Rows) -> None:
    """One attempt per student: of several rows of one student in an LMS export, a Moodle row whose
    attempt is finished is kept over unfinished ones; any other repetition is an error saying how to
    download one attempt per student."""
    groups: dict = {}
    for item in rows:
        row = item[0]
        if RAW not in row:
            continue
        key = next((f"{k}={v.casefold()}" for k, v in row.items() if isinstance(v, str) and v and not k.startswith("\x00")
                    and k != "student"), None) or ("name=" + row.get("student", "").casefold())
        groups.setdefault(key, []).append(item)
    drop = set()
    for key, items in groups.items():
        if len(items) < 2:
            continue
        finished = [it for it in items if it[0].get("\x00state") in ("finished", "")]
        keep = finished if finished and "\x00state" in items[0][0] else items
        if len(keep) > 1:
            (a, la), (b, lb) = keep[0], keep[1]
            hint = ("download the Responses report with only the graded attempt of each student"
                    if "\x00state" in a else "download the Student Analysis without every attempt")
            raise SpecError(f"lines {la} and {lb} are two attempts of '{terminal(a.get('student') or key)}': {hint}",
                            where=a[WHERE][0])
        drop |= {id(it) for it in items if it is not keep[0]}
    rows[:] = [it for it in rows if id(it) not in drop]


_PART = re.compile(r"(?:^|;\s*)([^\W\d_][^\W\d_.]*\.?)\s*(\d+)\s*:[ \t]?")


def cloze_parts(cell: str) -> dict | None:
    """{part number: the student's text} of a Moodle cloze response summary ('part 1: 0.1; part 2: ');
    None for no response ('-' or empty) or a cell that is no such summary."""
    text = cell.strip()
    if text in ("", "-"):
        return None
    found = list(_PART.finditer(text))
    if not found or found[0].start() != 0:
        return None
    out = {}
    for m, after in zip(found, found[1:] + [None]):
        out[int(m.group(2))] = text[m.end():after.start() if after else len(text)].strip()
    return out


def _plain(text: str) -> str:
    return " ".join(html.unescape(text).split())


def map_answers(rows, chosen, where: str = "<responses>", unmatched: list | None = None) -> list:
    """Fill each LMS row of ``chosen`` ([(variant, row)], the variants drawn) with its answers under
    their names (as in answers.csv); returns the header to check and report: the ids, ``student`` and
    every answer name.  A row whose responses do not fit its student's variant (19 cloze parts for 20
    answers) is an error naming its line, or, with ``unmatched`` given, appended to it as (line, who,
    reason) and removed from ``chosen``: everyone else is graded."""
    from .homework import variant_answers
    names: list = []
    bad = []
    for item in chosen:
        v, row = item
        answers = variant_answers(v)
        for a in answers:
            if a.name not in names:
                names.append(a.name)
        if RAW not in row:
            continue
        file, line = row[WHERE]
        cells = row[RAW]
        try:
            if "\x00state" in row:
                given = _moodle_answers(cells, answers, file, line)
            else:
                given = _canvas_answers(cells, answers, file, line)
        except SpecError as e:
            if unmatched is None:
                raise
            who = row.get("student") or v.label
            unmatched.append((line, who, f"{e.detail} ({terminal(v.label)}, "
                                         f"{terminal(v.ident)})"))
            bad.append(id(item))
            continue
        for a in answers:
            row[a.name] = "" if given.get(a.name) in (None, "-") else given[a.name]
    chosen[:] = [item for item in chosen if id(item) not in bad]
    return list(rows.header) + [n for n in names if n not in rows.header]


def _moodle_answers(cells, answers, file, line) -> dict:
    parsed = [(h, cloze_parts(c), c) for h, c in cells]
    fitting = [(h, p) for h, p, _ in parsed if p is not None and max(p) == len(answers)]
    if not fitting:
        other = next(((h, p, c) for h, p, c in parsed if c.strip() not in ("", "-")), None)
        if other is None:
            return {}                                   # nothing answered
        h, p, c = other
        what = f"{max(p)} part(s)" if p else f"'{terminal(c[:40])}', no cloze response"
        raise SpecError(f"line {line}: {h} has {what}, but the student's variant asks {len(answers)} answers: "
                        "is this the quiz of this homework (and --seed and the roster the ones it was drawn "
                        "with)?", where=file)
    if len(fitting) > 1:
        raise SpecError(f"line {line}: {fitting[0][0]} and {fitting[1][0]} both hold {len(answers)} parts: "
                        "export only the response of this homework's question", where=file)
    parts = fitting[0][1]
    return {a.name: parts.get(i, "") for i, a in enumerate(answers, 1)}


def _canvas_answers(cells, answers, file, line) -> dict:
    texts = [(_CANVAS_QUESTION.fullmatch(h).group(2), c) for h, c in cells]
    by_label: dict = {}
    for i, (text, _) in enumerate(texts):
        t = _plain(text)
        hits = [a for a in answers if t.endswith(f"Give {_plain(a.label)}.") or f"({a.name})" in t]
        if len(hits) == 1:
            by_label.setdefault(hits[0].name, []).append(i)
    if len(by_label) == len(answers) and all(len(v) == 1 for v in by_label.values()):
        return {n: texts[i[0]][1] for n, i in by_label.items()}
    if len(texts) == len(answers):                     # the items in the order the quiz has them
        return {a.name: c for a, (_, c) in zip(answers, texts)}
    raise SpecError(f"line {line}: the export has {len(texts)} question(s), the student's variant asks "
                    f"{len(answers)} answers, and their labels do not name them: export the quiz of this "
                    "student's variant", where=file)


# ---------------------------------------------------------------------------------------------
# overrides


@dataclass
class Overrides:
    accept: dict = field(default_factory=dict)      # answer name -> [Decimal]
    drop: list = field(default_factory=list)        # answer names
    set: list = field(default_factory=list)         # dicts: student, answer|total, points, reason, field
    where: str = ""


def load_overrides(path) -> Overrides:
    """An overrides file, checked like a spec: any problem is one line naming the file and the field."""
    from .files import read_limited
    from .limits import DEFAULT
    from .spec import parse_yaml
    where = str(path)
    raw = read_limited(path, DEFAULT.max_input_bytes, "overrides file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"not UTF-8 text (byte {e.start})", where=where) from None
    if not text.strip():
        return Overrides(where=where)
    data = parse_yaml(text, where)
    return parse_overrides(data, where)


def _bad(message: str, where: str, fld: str):
    return SpecError(message, where=where, field=fld)


def parse_overrides(data, where: str = "<overrides>") -> Overrides:
    if not isinstance(data, dict):
        raise _bad("expected a mapping with 'accept', 'drop' and/or 'set'", where, "")
    unknown = [k for k in data if k not in ("accept", "drop", "set")]
    if unknown:
        raise _bad(f"unknown key '{terminal(unknown[0])}' (known: accept, drop, set)", where, str(unknown[0]))
    out = Overrides(where=where)
    accept = data.get("accept") or {}
    if not isinstance(accept, dict):
        raise _bad("expected a mapping {answer name: [values]}", where, "accept")
    for name, values in accept.items():
        fld = f"accept.{name}"
        if not isinstance(name, str):
            raise _bad("an answer name is text such as final.W1[1,2]", where, fld)
        values = values if isinstance(values, list) else [values]
        if not values:
            raise _bad("give at least one value", where, fld)
        parsed = []
        for i, x in enumerate(values):
            d = parse_number(str(x)) if not isinstance(x, bool) and isinstance(x, (int, float, str)) else None
            if d is None or not d.is_finite():
                raise _bad(f"'{terminal(x)}' is not a number", where, f"{fld}[{i + 1}]")
            parsed.append(d)
        out.accept[name] = parsed
    drop = data.get("drop") or []
    if not isinstance(drop, list) or not all(isinstance(n, str) and n for n in drop):
        raise _bad("expected a list of answer names", where, "drop")
    out.drop = list(drop)
    sets = data.get("set") or []
    if not isinstance(sets, list):
        raise _bad("expected a list of {student, answer, points, reason} or {student, total, reason}", where, "set")
    for i, s in enumerate(sets, 1):
        fld = f"set[{i}]"
        if not isinstance(s, dict):
            raise _bad("expected a mapping {student, answer, points, reason} or {student, total, reason}", where, fld)
        extra = [k for k in s if k not in ("student", "answer", "points", "total", "reason")]
        if extra:
            raise _bad(f"unknown key '{terminal(extra[0])}' (known: student, answer, points, total, reason)",
                       where, f"{fld}.{extra[0]}")
        if not isinstance(s.get("student"), (str, int)) or isinstance(s.get("student"), bool) or s.get("student") == "":
            raise _bad("name the student: their roster id, variant id or name", where, f"{fld}.student")
        if ("total" in s) == ("answer" in s):
            raise _bad("give either 'answer' with 'points', or 'total'", where, fld)
        if "answer" in s and ("points" not in s or not isinstance(s["answer"], str)):
            raise _bad("an answer's mark needs 'answer: NAME' and 'points'", where, fld)
        if "total" in s and "points" in s:
            raise _bad("'points' belongs to an answer; a total is 'total'", where, f"{fld}.points")
        key = "total" if "total" in s else "points"
        value = s[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
            raise _bad(f"'{terminal(value)}' is not a number of points (0 or more)", where, f"{fld}.{key}")
        if key == "points" and value > 1:
            raise _bad(f"an answer is worth 1 point at most, not {value:g}", where, f"{fld}.points")
        reason = s.get("reason", "")
        if not isinstance(reason, str):
            raise _bad("a reason is text", where, f"{fld}.reason")
        out.set.append({"student": str(s["student"]), "answer": s.get("answer"), key: float(value),
                        "reason": " ".join(reason.split()), "field": fld})
    return out


def find_student(who: str, variants, students=None, planned=None) -> tuple[object | None, str]:
    """The student an override names: (variant, '') or (None, why not).  A variant id, roster id (any id
    column of the roster) or the student's key matches exactly; anything else is a name, matched by
    ``grade.find_by_name`` exactly as a responses row's name is (so "Wang, Wei", accents, apostrophes;
    "Wei Wang" when Wang Wei and Wei Wang both exist is ambiguous, never the first).  ``planned`` (every
    student of the roster) finds students without a response row too."""
    from .grade import find_by_name
    pool = list(planned or variants)
    ids: dict = {}
    for v in pool:
        for k in (v.ident, v.key or ""):
            if k:
                ids.setdefault(k.casefold(), {})[v.ident] = v
    by_key = {(v.key or "").casefold(): v for v in pool if v.key}
    for s in students or ():
        v = by_key.get(s.key.casefold())
        if v is not None:
            for _, value in getattr(s, "ids", ()):
                ids.setdefault(value.casefold(), {})[v.ident] = v
    found = ids.get(who.casefold(), {})
    if len(found) == 1:
        return next(iter(found.values())), ""
    if len(found) > 1:
        return None, f"'{terminal(who)}' is the id of several students: give another id"
    hits, why = find_by_name(who, pool)
    if len(hits) == 1:
        return hits[0], ""
    if hits:
        return None, f"{why}: give the student's id"
    return None, f"'{terminal(who)}' is no student of the roster (no id, variant id or name matches)"


def check_overrides(ov: Overrides, variants, students=None, planned=None) -> dict:
    """Refuse an override that names no answer or no student of this homework, a total above what the
    homework is worth, or two ``set`` entries that contradict each other (two totals, the same
    answer twice, an answer's points beside a total: both entries named); returns {set index:
    variant ident} for the ``set`` entries.  With ``planned`` (every student of the roster) a total
    may be set for a student without a response row (a paper-only mark); an answer's points need
    the student's graded row."""
    from .homework import variant_answers
    names = {a.name for v in variants for a in variant_answers(v)}
    for name in ov.accept:
        if name not in names:
            raise _bad(f"no answer '{terminal(name)}' in this homework ({_examples(names)})", ov.where, f"accept.{name}")
    for i, name in enumerate(ov.drop, 1):
        if name not in names:
            raise _bad(f"no answer '{terminal(name)}' in this homework ({_examples(names)})", ov.where, f"drop[{i}]")
    graded = {v.ident: v for v in variants}
    targets = {}
    claimed: dict = {}           # (ident, answer or None) -> field of the entry
    for i, s in enumerate(ov.set):
        v, why = find_student(s["student"], variants, students, planned)
        if v is None:
            raise _bad(why, ov.where, f"{s['field']}.student")
        if v.ident not in graded:
            if s.get("answer"):
                raise _bad(f"{terminal(v.label)} ({terminal(v.key or v.ident)}) has no response row, so there "
                           f"is no answer '{terminal(s['answer'])}' to mark: set their 'total' (a paper-only "
                           "mark) or add their row to the responses", ov.where, f"{s['field']}.student")
            if planned is None:
                raise _bad(f"{terminal(v.label)} ({terminal(v.key or v.ident)}) has no response row", ov.where,
                           f"{s['field']}.student")
        else:
            mine = {a.name for a in variant_answers(graded[v.ident])}
            if s.get("answer") and s["answer"] not in mine:
                raise _bad(f"no answer '{terminal(s['answer'])}' in {v.ident}'s variant", ov.where, f"{s['field']}.answer")
        if s.get("answer") in ov.drop:
            raise _bad(f"'{terminal(s['answer'])}' is dropped for everybody", ov.where, f"{s['field']}.answer")
        if s.get("answer") is None:
            top = max_points(graded.get(v.ident), ov, variants)
            if s["total"] > top:
                raise _bad(f"a total of {s['total']:g} is more than the {top:g} point(s) the homework is worth "
                           f"for {terminal(v.label)}", ov.where, f"{s['field']}.total")
        who = f"{terminal(v.label)} ({terminal(v.key or v.ident)})"
        answer = s.get("answer")
        for (ident, other), fld in claimed.items():
            if ident != v.ident or (answer and other and answer != other):
                continue
            what = (f"both set {answer} of {who}" if answer and other else
                    f"both set the total of {who}" if not answer and not other else
                    f"set a total and an answer's points of {who} (a total replaces every answer's points)")
            raise _bad(f"{fld} and {s['field']} {what}: keep one", ov.where, s["field"])
        mine_key = (v.ident, answer)
        claimed[mine_key] = s["field"]
        targets[i] = v.ident
    return targets


def max_points(v, ov: Overrides, variants) -> int:
    """What a student's homework is worth: one point per counted answer (the dropped ones left out);
    ``v`` None (no response row) is worth what the graded variants are."""
    from .homework import variant_answers
    pool = [v] if v is not None else list(variants)[:1]
    names = [a.name for x in pool for a in variant_answers(x)]
    return len([n for n in dict.fromkeys(names) if n not in ov.drop])


def _examples(names) -> str:
    return "e.g. " + ", ".join(sorted(names)[:3])


@dataclass
class AdjustedMarks(StudentMarks):
    """A student's marks after the overrides: ``notes`` says what changed, ``fixed_total`` is a total
    the instructor set (else the sum of the marks)."""

    notes: list = field(default_factory=list)
    fixed_total: float | None = None
    paper_only: bool = False            # a total the instructor set for a student without a response row
    max_points: int | None = None       # what the homework is worth (else one point per mark)

    @property
    def total(self) -> float:
        return self.fixed_total if self.fixed_total is not None else sum(m.points for m in self.marks)


def apply_overrides(results, ov: Overrides, variants, students=None, planned=None) -> list:
    """The marks with ``ov`` applied: accepted values made correct, dropped answers left out, set
    marks and totals put in; each change noted on the student it touches.  A total set for a roster
    student without a response row (``planned``: every student of the roster) adds them, marked as a
    paper-only mark: no answer of theirs, the set total, the homework's maximum."""
    from .homework import variant_answers
    targets = check_overrides(ov, variants, students, planned)
    by_ident = {v.ident: v for v in variants}
    out = []
    for m in results:
        base = {f.name: getattr(m, f.name) for f in dataclasses.fields(StudentMarks)}
        adj = AdjustedMarks(**base)
        adj.marks = [dataclasses.replace(k) for k in m.marks]
        answers = {a.name: a for a in variant_answers(by_ident[m.ident])} if m.ident in by_ident else {}
        for k in adj.marks:
            alts = ov.accept.get(k.name)
            a = answers.get(k.name)
            if not alts or a is None or k.status == "correct":
                continue
            s = parse_number(k.given)
            tol = Decimal(repr(a.tolerance)) * Decimal("1.000000001")
            hit = next((x for x in alts if s is not None and _within(s, x, tol)), None)
            if hit is not None:
                adj.notes.append(f"{k.name}: {k.given} accepted for everybody (the value {hit} counts as correct); "
                                 f"was {k.status}, {k.points:g} point(s), now 1")
                k.status, k.points = "correct", 1.0
                k.note = f"accepted: {hit}"
        dropped = [k for k in adj.marks if k.name in ov.drop]
        for k in dropped:
            adj.notes.append(f"{k.name}: not counted for anybody (dropped); you wrote "
                             f"{terminal(k.given) or '(nothing)'}, the key has {k.expected}")
        adj.marks = [k for k in adj.marks if k.name not in ov.drop]
        for i, s in enumerate(ov.set):
            if targets.get(i) != m.ident:
                continue
            why = f": {s['reason']}" if s["reason"] else ""
            if s.get("answer"):
                k = next(k for k in adj.marks if k.name == s["answer"])
                adj.notes.append(f"{k.name}: set to {s['points']:g} point(s) by the instructor (was {k.points:g}){why}")
                k.points = s["points"]
                k.note = (k.note + "; " if k.note else "") + "set by the instructor"
            else:
                before = adj.total
                adj.fixed_total = s["total"]
                adj.notes.append(f"total: set to {s['total']:g} by the instructor (the answers give {before:g}){why}")
        out.append(adj)
    graded = {m.ident for m in results}
    by_planned = {v.ident: v for v in planned or ()}
    for i, s in enumerate(ov.set):
        ident = targets.get(i)
        if ident is None or ident in graded or ident not in by_planned:
            continue
        v = by_planned[ident]
        why = f": {s['reason']}" if s["reason"] else ""
        paper = AdjustedMarks(v.ident, v.label)
        paper.fixed_total = s["total"]
        paper.paper_only = True
        paper.max_points = max_points(None, ov, variants)
        paper.notes.append(f"total: set to {s['total']:g} by the instructor; no response row (a paper-only "
                           f"mark){why}")
        out.append(paper)
    return out


def _within(s: Decimal, x: Decimal, tol: Decimal) -> bool:
    """|s − x| ≤ tol; a number beyond any range (1e999999999) is never within."""
    try:
        return abs(s - x) <= tol
    except ArithmeticError:
        return False


def _notes(m) -> list:
    return list(getattr(m, "notes", ()))


def marks_csv_with_overrides(marks_bytes: bytes, results) -> bytes:
    """marks.csv (``grade.marks_csv``) with an ``overrides`` column: what the overrides changed for the
    student, '' when nothing."""
    rows = list(csv.reader(io.StringIO(marks_bytes.decode("utf-8"))))
    if not rows:
        return marks_bytes
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(rows[0] + ["overrides"])
    for r, m in zip(rows[1:], results):
        w.writerow(r + [csv_cell(" | ".join(_notes(m)))])
    return buf.getvalue().encode()


def feedback_with_overrides(text: str, m) -> str:
    notes = _notes(m)
    if not notes:
        return text
    return text.rstrip("\n") + "\nChanged by the instructor after grading:\n" + \
        "".join(f"  {terminal(n)}\n" for n in notes)


# ---------------------------------------------------------------------------------------------
# gradebook imports


def roster_rows(path) -> list[dict]:
    """The rows of a roster file as {column (case-folded): cell}, the header's own spelling under
    ``\\x00header``; "Points Possible" and empty rows left out."""
    from .files import read_limited
    from .limits import DEFAULT
    from .roster import KNOWN_COLUMNS, clean_cell, sniff_delimiter
    text = read_limited(path, DEFAULT.max_input_bytes, "roster").decode("utf-8-sig")
    delimiter = sniff_delimiter(text, lambda c: c.casefold() in KNOWN_COLUMNS)
    table = [[clean_cell(c)[0] for c in r] for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    if not table:
        return []
    head = table[0]
    out = []
    for r in table[1:]:
        row = {h.casefold(): (r[i] if i < len(r) else "") for i, h in enumerate(head)}
        if any(v.casefold().startswith("points possible") for v in row.values() if v):
            continue
        row["\x00header"] = head
        out.append(row)
    return out


def _row_of(v, students, rows) -> dict:
    """The roster row of variant ``v``'s student: the row holding one of the student's ids."""
    s = next((s for s in students if v.key and s.key.casefold() == v.key.casefold()), None)
    if s is None:
        return {}
    for column, value in s.ids:
        for r in rows:
            if r.get(column, "").casefold() == value.casefold():
                return r
    return {}


MOODLE_IDS = (("id number", "ID number"), ("email address", "Email address"), ("email", "Email address"),
              ("username", "Username"))
CANVAS_IDS = ("id", "sis user id", "sis login id")


def _grade(x: float) -> str:
    return f"{round(x, 2):g}"


def moodle_grades(results, variants, students, rows, item: str) -> tuple[bytes | None, str]:
    """Moodle's grade import CSV: (bytes, '') or (None, what is missing)."""
    present = [(c, label) for c, label in MOODLE_IDS if any(r.get(c) for r in rows)]
    if not present:
        return None, ("the roster has no 'ID number', 'Email address' or 'Username' column to identify "
                      "students in Moodle (use Moodle's participants export)")
    column, label = present[0]
    by_ident = {v.ident: v for v in variants}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([label, "Full name", item, f"Feedback: {item}"])
    left_out = []
    for m in results:
        r = _row_of(by_ident[m.ident], students, rows)
        if not r.get(column):
            left_out.append(m.label)
            continue
        summary = f"{m.total:g} of {points_possible(m)} points" + "".join(f"; {n}" for n in _notes(m))
        w.writerow([csv_cell(c) for c in (r[column], m.label, _grade(m.total), summary)])
    note = f"{len(left_out)} student(s) without {label} left out: {', '.join(left_out[:5])}" if left_out else ""
    return buf.getvalue().encode(), note


def canvas_grades(results, variants, students, rows, item: str) -> tuple[bytes | None, str]:
    """Canvas's gradebook import CSV: (bytes, '') or (None, what is missing)."""
    if not any(r.get(c) for r in rows for c in CANVAS_IDS):
        return None, ("the roster has no 'ID', 'SIS User ID' or 'SIS Login ID' column to identify students "
                      "in Canvas (use Canvas's gradebook export as the roster)")
    head = rows[0]["\x00header"]
    # the homework's assignment, when the roster (a gradebook export) has its column "Name (id)"
    column = next((h for h in head if re.fullmatch(rf"{re.escape(item)}\s*\(\d+\)", h.strip())), None) or item
    maximum = max((points_possible(m) for m in results), default=0)
    by_ident = {v.ident: v for v in variants}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", csv_cell(column)])
    w.writerow(["    Points Possible", "", "", "", "", str(maximum)])
    left_out = []
    for m in results:
        r = _row_of(by_ident[m.ident], students, rows)
        if not any(r.get(c) for c in CANVAS_IDS):
            left_out.append(m.label)
            continue
        w.writerow([csv_cell(c) for c in (r.get("student") or r.get("name") or m.label, r.get("id", ""),
                                          r.get("sis user id", ""), r.get("sis login id", ""),
                                          r.get("section", ""), _grade(m.total))])
    note = f"{len(left_out)} student(s) without a Canvas id left out: {', '.join(left_out[:5])}" if left_out else ""
    return buf.getvalue().encode(), note


def write_gradebooks(out: Path, results, variants, students, roster_path, item: str, write, warn) -> list:
    """moodle-grades.csv and canvas-grades.csv in ``out`` where the roster has the ids each needs;
    a warning for each that cannot be written, saying what is missing.  Returns the files written."""
    written = []
    if not roster_path:              # --variants: no roster, no ids a gradebook knows (docs/homework.md)
        return written
    rows = roster_rows(roster_path)
    for name, make in (("moodle-grades.csv", moodle_grades), ("canvas-grades.csv", canvas_grades)):
        data, note = make(results, variants, students, rows, item)
        if data is None:
            (out / name).unlink(missing_ok=True)        # no stale file of an earlier run
            warn(f"{name} not written: {note}")
            continue
        write(out / name, data)
        written.append(out / name)
        if note:
            warn(f"{name}: {note}")
    return written
