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
KNOWN_COLUMNS = set(ID_COLUMNS + NAME_COLUMNS + FIRST_COLUMNS + LAST_COLUMNS)


@dataclass(frozen=True)
class Student:
    key: str        # what the variant is drawn from: the id column, else the name
    name: str       # as printed on the sheet
    ids: tuple = ()     # every id of the roster's row: ((column, value), …), column case-folded


class Roster(list):
    """The students of a roster (a list of ``Student``), with ``notes``: what was repaired on the way
    (a row without a name, control characters dropped), one line each for the user."""

    def __init__(self, students=(), notes=()):
        super().__init__(students)
        self.notes = list(notes)


#: What may separate the cells of a CSV as spreadsheets save it: commas, semicolons (decimal-comma
#: locales) or tabs ("Unicode text" / TSV).
DELIMITERS = (",", ";", "\t")


def sniff_delimiter(text: str, known) -> str:
    """The delimiter of a CSV ``text``: of ',', ';' and tab, the one whose header line (read as CSV, so
    that a quoted cell such as "output[1,1]" or "Müller, Zoë" is one cell) has the most cells that
    ``known(cell)`` recognises, then the one that gives the following lines the header's column
    count, then the one that gives more columns; ',' when nothing tells them apart (a list of names
    without a header)."""
    best, best_score = ",", None
    for d in DELIMITERS:
        rows = []
        try:
            for r in csv.reader(io.StringIO(text), delimiter=d, strict=True):
                if any(c.strip() for c in r):
                    rows.append(r)
                if len(rows) > 50:
                    break
        except csv.Error:          # judged on the lines before it; the reading proper reports it
            pass
        if not rows:
            continue
        header = [c.strip() for c in rows[0]]
        hits = sum(1 for c in header if c and known(c))
        consistent = sum(1 for r in rows[1:] if len(r) == len(header))
        score = (hits, consistent, len(header))
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


# Control characters (C0, DEL, C1) and the invisible bidirectional controls that can reorder how a
# name is shown (a "Trojan source" name); line and paragraph separators become spaces.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile("[\t\n\r\u2028\u2029]")


def clean_cell(text: str) -> tuple[str, bool]:
    """A roster cell without control characters (dropped) and with line breaks or tabs inside it made
    spaces; and whether something other than white space was dropped."""
    spaced = _SPACES.sub(" ", text)
    cleaned = _INVISIBLE.sub("", spaced)
    return " ".join(cleaned.split()), cleaned != spaced


def stream(key: str) -> int:
    """The random stream of a student: a 64-bit number from their identity alone."""
    return int(hashlib.sha256(key.strip().casefold().encode("utf-8")).hexdigest()[:16], 16)


#: Cyrillic and Greek letters in Latin (file names only; the sheet prints the name itself).
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўђјљњћџѓќѕ",
                     "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya i yi ye g u "
                     "dj j lj nj c dz g k dz".split()))
_GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
                  "a v g d e z i th i k l m n x o p r s s t y f ch ps o a e i i o y o i y i y".split()))
_SCRIPT_LETTERS = {**{k: ("" if v == "_" else v) for k, v in _CYRILLIC.items()}, **_GREEK}

_LETTERS = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
            "þ": "th", "Þ": "Th", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ı": "i", "’": "'", "‘": "'"}


#: Greek ου (also with an accent on the υ: ού) is one sound, "ou" (Παπαδοπούλου -> papadopoulou); ουϋ
#: with a diaeresis (οϋ) is two vowels and stays o + y.
_GREEK_OU = re.compile("([οΟ])([υΥ])", re.UNICODE)


def transliterate(name: str) -> str:
    """A name in Latin letters without accents, as file names and name matching read it: Zoë Müller ->
    Zoe Muller, Søren -> Soren, Łukasz -> Lukasz, Guðmundsdóttir -> Gudmundsdottir, Straße -> Strasse,
    Анна -> Anna, Παπαδοπούλου -> Papadopoulou; a character of another script (李) is left as it is."""
    name = unicodedata.normalize("NFC", name)
    # an accent on the υ of ου does not split the digraph: drop Greek tonos (not the diaeresis) first
    name = unicodedata.normalize("NFC", "".join(
        c for c in unicodedata.normalize("NFD", name) if c != "\u0301"
    )) if any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in name) else name
    name = _GREEK_OU.sub(lambda m: ("O" if m.group(1) == "Ο" else "o")
                         + ("U" if m.group(1) == "Ο" and m.group(2) == "Υ" else "u"), name)
    name = "".join(_LETTERS.get(ch) or _script_letter(ch) for ch in name)
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def slug(name: str) -> str:
    """A file name from a name: transliterated to ASCII (``transliterate``: Zoë Müller -> zoe-muller,
    Łukasz -> lukasz, Анна Иванова -> anna-ivanova, Νίκος -> nikos, Παπαδοπούλου -> papadopoulou); a
    name in another script (Chinese …) gives 'student' (the caller uses the student's id instead, or
    makes it unique)."""
    ascii_name = transliterate(name).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return s[:40] or "student"


def first_last(name: str) -> str:
    """A name as the sheet prints it: "Last, First" (one comma, as Canvas's gradebook export writes
    names) turned round to "First Last"; a Chinese, Japanese or Korean name keeps the family name first
    and is written without a space ("王, 小明" → "王小明"); any other name as it is."""
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if last and first:
            if all(_cjk(ch) for ch in (last + first) if not ch.isspace()):
                return f"{last}{first}"
            return f"{first} {last}"
    return name


def _cjk(ch: str) -> bool:
    """A character of a script written family name first, without spaces (Han, kana, Hangul)."""
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF


def _script_letter(ch: str) -> str:
    """A Cyrillic or Greek letter in Latin (Иван -> Ivan, Νίκος -> Nikos), any other character as it is."""
    low = ch.lower()
    if low in _SCRIPT_LETTERS:
        latin = _SCRIPT_LETTERS[low]
        return latin.capitalize() if ch != low else latin
    return ch


def _column(header: list[str], names) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


def parse_roster(text: str, where: str = "<roster>", notes: list | None = None) -> Roster:
    """The students of a roster CSV: with a header (an id column when there is one, a name
    column or first and last name columns joined), or without one (one name per line).

    Commas, semicolons or tabs separate (sniffed from the header).  A header is never a student: a
    first line with several cells none of which names a known column is refused.  A row with an id
    and no name is kept, named by its id; control characters are dropped from every cell.  Both are
    reported in the result's ``notes`` (and appended to ``notes`` when given)."""
    found: list[str] = []
    rows = []
    delimiter = sniff_delimiter(text, lambda c: c.casefold() in KNOWN_COLUMNS)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        for r in reader:
            cells = [clean_cell(c) for c in r]
            if any(c for c, _ in cells):
                rows.append(([c for c, _ in cells], reader.line_num))
                if any(dropped for _, dropped in cells):
                    found.append(f"line {reader.line_num}: control characters removed")
    except csv.Error as e:
        raise SpecError(f"malformed CSV on line {reader.line_num}: {e}", where=where) from None
    if not rows:
        raise SpecError("the roster is empty", where=where)
    header = [c.casefold() for c in rows[0][0]]
    has_header = any(c in KNOWN_COLUMNS for c in header)
    if not has_header and sum(1 for c in header if c) > 1:
        shown = ", ".join(repr(c) for c in rows[0][0][:4])
        raise SpecError(f"line {rows[0][1]} ({shown}) names no known column: a roster with several columns "
                        "needs a header with 'Name' (or 'First name' and 'Last name') and an id column "
                        "such as 'ID number' or 'Email address'; a list without a header has one name "
                        "per line (in double quotes when it has a comma)", where=where)
    body = rows[1:] if has_header else rows
    ident = _column(header, ID_COLUMNS) if has_header else None
    name = _column(header, NAME_COLUMNS) if has_header else 0
    first, last = (_column(header, FIRST_COLUMNS), _column(header, LAST_COLUMNS)) if has_header else (None, None)
    if has_header and name is None and first is None and last is None:
        name = ident if ident is not None else 0
    id_columns = [header.index(c) for c in ID_COLUMNS if has_header and c in header]
    students = []
    for r, line in body:
        cell = lambda i: r[i] if i is not None and i < len(r) else ""
        if name is not None:
            full = cell(name)
        else:
            full = " ".join(p for p in (cell(first), cell(last)) if p)
        if full.casefold().startswith("points possible"):     # Canvas's second row
            continue
        if " ".join(full.replace(",", " ").split()).casefold() in ("student test", "test student"):
            # Canvas's "Test Student" (the student view of the course): no one to give homework to
            found.append(f"line {line}: '{full}' is Canvas's test student (the student view): skipped, "
                         "no homework")
            continue
        ids = tuple((header[i], cell(i)) for i in id_columns if cell(i))
        if not full:
            if not ids:
                continue                       # no name, no id: no student (Canvas's "Manual Posting" row)
            full = cell(ident) or ids[0][1]
            found.append(f"line {line}: no name for '{full}': the sheet shows the id")
        # the identity is the cell as the roster has it (a name-only roster keeps drawing the same
        # variants); the sheet and the file name read "Last, First" as "First Last"
        key = cell(ident) or full
        students.append(Student(key, first_last(full) if name is not None else full, ids))
    if not students:
        raise SpecError("the roster has no names", where=where)
    from .latex import missing_script, untypesettable
    for i, st in enumerate(students):
        ch = untypesettable(st.name)
        if ch:                                 # a script the fonts here lack: printed as the id, said so
            shown = st.key if st.key != st.name and not untypesettable(st.key) else f"student {i + 1}"
            found.append(f"{st.name} ({shown}): the name cannot be printed here ('{ch}' U+{ord(ch):04X}: "
                         f"{missing_script(ch)}): the sheet shows '{shown}'")
            students[i] = Student(st.key, shown, st.ids)
    seen: dict[str, str] = {}
    for s in students:
        k = s.key.casefold()
        if k in seen:
            raise SpecError(f"two students share the identifier '{s.key}' ({seen[k]} and {s.name}); "
                            "each needs their own", where=where)
        seen[k] = s.name
    if notes is not None:
        notes.extend(found)
    return Roster(students, found)


def read_roster(path, notes: list | None = None) -> Roster:
    """The students of the roster file at ``path`` (a regular UTF-8 file within the size limit); what
    was repaired is in the result's ``notes``."""
    from .files import read_limited
    from .limits import DEFAULT
    try:
        text = read_limited(path, DEFAULT.max_input_bytes, "roster").decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"cannot read the roster: not UTF-8 text (byte {e.start})", where=str(path)) from None
    return parse_roster(text, str(path), notes)
