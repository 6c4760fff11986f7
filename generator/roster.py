"""Class rosters as the usual LMS exports write them (Moodle, Canvas, a plain list of names), and
the stable identity of each student: a student's variant depends only on the seed and this
identity, so adding or removing students changes nobody else's numbers."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

from .errors import SpecError

#: Columns that identify a student, best first (Moodle: "ID number", "Email address"; Canvas:
#: "SIS User ID", "SIS Login ID", "ID"; others: "Student ID", "Username").
ID_COLUMNS = ("id number", "student id", "student number", "sis user id", "matriculation number",
              "email address", "email", "e-mail", "sis login id", "username", "login id", "id")
NAME_COLUMNS = ("name", "student", "full name", "student name")
FIRST_COLUMNS = ("first name", "given name", "firstname", "forename")
LAST_COLUMNS = ("last name", "surname", "family name", "lastname")
_KNOWN = set(ID_COLUMNS + NAME_COLUMNS + FIRST_COLUMNS + LAST_COLUMNS)


@dataclass(frozen=True)
class Student:
    key: str        # what the variant is drawn from: the id column, else the name
    name: str       # as printed on the sheet


def stream(key: str) -> int:
    """The random stream of a student: a 64-bit number from their identity alone."""
    return int(hashlib.sha256(key.strip().casefold().encode("utf-8")).hexdigest()[:16], 16)


_LETTERS = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
            "þ": "th", "Þ": "Th", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ı": "i", "’": "'", "‘": "'"}


def slug(name: str) -> str:
    """A file name from a name: transliterated to ASCII (Zoë Müller -> zoe-muller, Łukasz -> lukasz);
    a name in another script gives 'student' (the caller makes it unique)."""
    name = "".join(_LETTERS.get(ch, ch) for ch in name)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return s[:40] or "student"


def _column(header: list[str], names) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


def parse_roster(text: str, where: str = "<roster>") -> list[Student]:
    """The students of a roster CSV: with a header (an id column when there is one, a name
    column or first and last name columns joined), or without one (one name per line)."""
    rows = []
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for r in reader:
            if any(c.strip() for c in r):
                rows.append([c.strip() for c in r])
    except csv.Error as e:
        raise SpecError(f"malformed CSV on line {reader.line_num}: {e}", where=where) from None
    if not rows:
        raise SpecError("the roster is empty", where=where)
    header = [c.casefold() for c in rows[0]]
    has_header = any(c in _KNOWN for c in header)
    body = rows[1:] if has_header else rows
    ident = _column(header, ID_COLUMNS) if has_header else None
    name = _column(header, NAME_COLUMNS) if has_header else 0
    first, last = (_column(header, FIRST_COLUMNS), _column(header, LAST_COLUMNS)) if has_header else (None, None)
    if has_header and name is None and first is None and last is None:
        name = ident if ident is not None else 0
    students = []
    for r in body:
        cell = lambda i: r[i] if i is not None and i < len(r) else ""
        if name is not None:
            full = cell(name)
        else:
            full = " ".join(p for p in (cell(first), cell(last)) if p)
        if not full or full.casefold().startswith("points possible"):     # Canvas's second row
            continue
        key = cell(ident) or full
        students.append(Student(key, full))
    if not students:
        raise SpecError("the roster has no names", where=where)
    from .latex import untypesettable
    for i, st in enumerate(students):
        if untypesettable(st.name):            # a script the fonts here lack: printed as the id
            students[i] = Student(st.key, st.key if st.key != st.name and not untypesettable(st.key)
                                  else f"student {i + 1}")
    seen: dict[str, str] = {}
    for s in students:
        k = s.key.casefold()
        if k in seen:
            raise SpecError(f"two students share the identifier '{s.key}' ({seen[k]} and {s.name}); "
                            "each needs their own", where=where)
        seen[k] = s.name
    return students


def read_roster(path) -> list[Student]:
    """The students of the roster file at ``path`` (a regular UTF-8 file within the size limit)."""
    from .files import read_limited
    from .limits import DEFAULT
    try:
        text = read_limited(path, DEFAULT.max_input_bytes, "roster").decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"cannot read the roster: not UTF-8 text (byte {e.start})", where=str(path)) from None
    return parse_roster(text, str(path))
