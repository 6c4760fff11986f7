"""A class of 120 through the real workflow (issue 19, item 7).

One `dryrun homework` run (module fixture: 120 students of a Moodle participants export with
Cyrillic, Greek, Chinese, Vietnamese, accented Latin and compound names, two students called Wei
Wang with different ids and one Wang Wei; `--lms moodle --lms canvas`, `--jobs 2`), then:

- the key lists every student, name and roster id on one line, every word box inside the text block;
- moodle.xml and canvas.zip, read with xml.etree and zipfile only, accept exactly the intervals the
  grading policy calls correct (computed here, from the independent computation below);
- `dryrun grade` on synthetic students whose marks are written down here before grading: from the
  policy of docs/homework.md and issue 19 and from an independent Decimal computation of the
  network (`Net` below: the textbook equations with the carry rules of docs/spec.md), never from
  dryrun's engine.  Only the *given* numbers of each student's variant come from dryrun (its
  randomizer is what hands them out).

The exercise (tests/class_scale/hw232.yaml): 2 inputs, 3 sigmoid hidden units, 2 sigmoid outputs,
binary cross-entropy (δ⁽²⁾ = ŷ − y), carry mode at 4 decimals, one iteration, η = 0.5; asked: both
losses, every gradient and every final parameter (36 values; 35 where a final parameter equals its
given value).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

from tests.legibility import MARGIN, SLACK, words

HERE = Path(__file__).resolve().parent / "class_scale"
SPEC = HERE / "hw232.yaml"
ROSTER_MOODLE = HERE / "roster-moodle.csv"
ROSTER_CANVAS = HERE / "roster-canvas.csv"
SEED = 7

needs_tex = pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("pdftotext")),
                               reason="pdflatex and pdftotext are needed")

# ---------------------------------------------------------------------------------------------
# The independent computation: exact decimals, the textbook equations of a 2-3-2 sigmoid network
# with binary cross-entropy (summed over the two outputs, δ⁽²⁾ = ŷ − y), and the carry rules of
# docs/spec.md: every written result (z, a, ln ŷ, each gradient, each updated parameter) rounded
# half up at 4 decimals and carried on; products and sums of written values (W·a, η·∇, the loss as
# the sum of its rounded log terms) exact; σ'(z) written as a(1 − a) from the carried a.
# ---------------------------------------------------------------------------------------------

UNIT = Decimal("0.0001")
PREC = 80


def R(v: Decimal) -> Decimal:
    return v.quantize(UNIT, rounding=ROUND_HALF_UP)


def sigmoid(z: Decimal) -> Decimal:
    with localcontext() as c:
        c.prec = PREC
        return 1 / (1 + (-z).exp())


def ln(v: Decimal) -> Decimal:
    with localcontext() as c:
        c.prec = PREC
        return v.ln()


@dataclass
class Given:
    x: list
    y: list
    W1: list
    b1: list
    W2: list
    b2: list
    eta: Decimal

    @classmethod
    def of(cls, network: dict) -> "Given":
        d = lambda v: Decimal(str(v))
        l1, l2 = network["layers"]
        return cls([d(v) for v in network["input"]], [d(v) for v in network["target"]],
                   [[d(v) for v in r] for r in l1["weights"]], [d(v) for v in l1["bias"]],
                   [[d(v) for v in r] for r in l2["weights"]], [d(v) for v in l2["bias"]],
                   d(network["learning_rate"]))


def net(g: Given, carry: bool = True, delta2: dict | None = None) -> dict:
    """Every asked value (and the unasked δ's) by name, as dryrun names them (1-based indices).
    ``delta2``: {index: value} a slip in δ⁽²⁾ carried correctly through the rest."""
    r = R if carry else (lambda v: v)
    with localcontext() as c:
        c.prec = PREC

        def forward(W1, b1, W2, b2):
            z1 = [r(sum(W1[i][j] * g.x[j] for j in range(2)) + b1[i]) for i in range(3)]
            a1 = [r(sigmoid(z)) for z in z1]
            z2 = [r(sum(W2[i][j] * a1[j] for j in range(3)) + b2[i]) for i in range(2)]
            a2 = [r(sigmoid(z)) for z in z2]
            terms = [-(y * r(ln(a)) + (1 - y) * r(ln(1 - a))) for a, y in zip(a2, g.y)]
            return a1, a2, r(sum(terms))

        a1, a2, loss = forward(g.W1, g.b1, g.W2, g.b2)
        d2 = [a - y for a, y in zip(a2, g.y)]                       # δ⁽²⁾ = ŷ − y
        for i, v in (delta2 or {}).items():
            d2[i] = v
        dW2 = [[r(d2[i] * a1[j]) for j in range(3)] for i in range(2)]
        da1 = [r(sum(g.W2[i][j] * d2[i] for i in range(2))) for j in range(3)]   # W⁽²⁾ᵀ δ⁽²⁾
        g1 = [r(a * (1 - a)) for a in a1]                              # σ'(z⁽¹⁾) = a(1 − a)
        d1 = [r(da1[j] * g1[j]) for j in range(3)]
        dW1 = [[r(d1[i] * g.x[j]) for j in range(2)] for i in range(3)]
        step = lambda p, grad: r(p - g.eta * grad)
        W1n = [[step(g.W1[i][j], dW1[i][j]) for j in range(2)] for i in range(3)]
        b1n = [step(g.b1[i], d1[i]) for i in range(3)]
        W2n = [[step(g.W2[i][j], dW2[i][j]) for j in range(3)] for i in range(2)]
        b2n = [step(g.b2[i], d2[i]) for i in range(2)]
        out = {"it1.loss": loss}
        for name, m in (("it1.dW2", dW2), ("it1.dW1", dW1), ("final.W1", W1n), ("final.W2", W2n)):
            out.update({f"{name}[{i + 1},{j + 1}]": v for i, row in enumerate(m) for j, v in enumerate(row)})
        for name, m in (("it1.db2", d2), ("it1.db1", d1), ("final.b1", b1n), ("final.b2", b2n),
                        ("delta2", d2), ("delta1", d1)):
            out.update({f"{name}[{i + 1}]": v for i, v in enumerate(m)})
        out["final.loss"] = forward(W1n, b1n, W2n, b2n)[2]
    return out


#: The asked values, in the order of the computation (docs/trace.md names, 1-based).
NAMES = (["it1.loss"] + [f"it1.dW2[{i},{j}]" for i in (1, 2) for j in (1, 2, 3)] + ["it1.db2[1]", "it1.db2[2]"]
         + [f"it1.dW1[{i},{j}]" for i in (1, 2, 3) for j in (1, 2)] + [f"it1.db1[{i}]" for i in (1, 2, 3)]
         + [f"final.W1[{i},{j}]" for i in (1, 2, 3) for j in (1, 2)] + [f"final.b1[{i}]" for i in (1, 2, 3)]
         + [f"final.W2[{i},{j}]" for i in (1, 2) for j in (1, 2, 3)] + ["final.b2[1]", "final.b2[2]", "final.loss"])


def given_value(g: Given, name: str):
    """The given value a final parameter starts from (None for any other answer)."""
    m = re.fullmatch(r"final\.([Wb])([12])\[(\d)(?:,(\d))?\]", name)
    if not m:
        return None
    p = getattr(g, f"{m.group(1)}{m.group(2)}")
    return p[int(m.group(3)) - 1][int(m.group(4)) - 1] if m.group(4) else p[int(m.group(3)) - 1]


@dataclass
class Key:
    """One student's asked values: the carried key, full precision, and the accepted intervals."""
    given: Given
    carried: dict
    full: dict
    asked: list

    @classmethod
    def of(cls, g: Given) -> "Key":
        carried, full = net(g), net(g, carry=False)
        # a final parameter that still equals its given value asks nothing (docs/homework.md)
        asked = [n for n in NAMES if given_value(g, n) is None or carried[n] != given_value(g, n)]
        return cls(g, carried, full, asked)

    def accepted(self, name: str) -> list[tuple[Decimal, Decimal]]:
        """The policy's correct set: the key ± one unit of the asked last digit, and the
        full-precision value rounded as asked ± one unit; as merged pieces (``union``)."""
        return union([(self.carried[name] - UNIT, self.carried[name] + UNIT),
                      (R(self.full[name]) - UNIT, R(self.full[name]) + UNIT)])

    def correct(self, name: str, s: Decimal, coarser_digits: int = 1) -> bool:
        """The policy's *correct*: inside an accepted interval, or a correct rounding (half a unit of
        the student's own last digit) of the key or the full-precision value at a precision at most
        ``coarser_digits`` coarser than the 4 decimals asked."""
        if any(lo <= s <= hi for lo, hi in self.accepted(name)):
            return True
        places = max(0, -s.as_tuple().exponent)
        if places >= 4 - coarser_digits:
            half = Decimal(1).scaleb(-places) / 2
            return any(abs(s - ref) <= half for ref in (self.carried[name], self.full[name]))
        return False


def own_final_params(key: Key, answers: dict) -> dict:
    """The final parameters that follow from a student's own gradients (W − η·∇, rounded as asked):
    the error-carried-forward value of each final parameter."""
    out = {}
    for n in NAMES:
        m = re.fullmatch(r"final\.([Wb][12])(\[.*\])", n)
        if m and f"it1.d{m.group(1)}{m.group(2)}" in answers:
            grad = answers[f"it1.d{m.group(1)}{m.group(2)}"]
            if grad is not None:
                out[n] = R(given_value(key.given, n) - key.given.eta * grad)
    return out


def number(text: str) -> Decimal | None:
    t = text.replace("–", "-").replace("≈", "").replace("=", "").replace(",", ".").strip()
    try:
        return Decimal(t)
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# The synthetic students: who they are (roster id), what they write, what they earn.
# ---------------------------------------------------------------------------------------------

SLIP = "s240004"          # Jan van der Berg: a transposed-digit slip in δ⁽²⁾₁, carried correctly through
ZERO = "s240025"          # Анна Иванова: 0 everywhere
COARSER1 = "s240031"      # Γιώργος Παπαδόπουλος: every answer one digit coarser (3 decimals)
COARSER2 = "s240040"      # Thị Hồng Nguyễn: every answer two digits coarser (2 decimals)
ENDASH = "s240003"        # Wang Wei (not a Wei Wang): en-dash minus signs; named "Wei, Wang" (Last, First)
APPROX = "s240014"        # Zoë Müller: '≈ 0.1234' and '= 0.5', a decimal comma here and there
RANDOM = "s240024"        # Ørjan Æsøy: random numbers
EDGE = "s240019"          # Çağla Öztürk: every answer at the upper end of its last accepted interval
OUTSIDE = "s240018"       # José Álvarez: every answer one unit above that end
FULLPREC = ("s240036", "s240037", "s240038", "s240039")   # the full-precision value rounded, not the carried
#: rows that name the student rather than give the id (compound surname, Last, First; ’ typed ')
BY_NAME = {"s240004": "van der Berg, Jan", "s240003": "Wei, Wang", "s240012": "Siobhán Ní Bhriain",
           "s240013": "Pat O'Brien", "s240006": "de la Cruz, María José"}


def transposed(v: Decimal) -> Decimal:
    """The first two decimals of v swapped (0.1346 → 0.3146): a transposed-digit slip."""
    sign, digits, _ = v.quantize(UNIT).as_tuple()
    s = "".join(map(str, digits)).rjust(4, "0")
    ip, fp = s[:-4] or "0", s[-4:]
    return Decimal(f"{'-' if sign else ''}{ip}.{fp[1]}{fp[0]}{fp[2:]}")


def plain(d: Decimal, places: int = 4) -> str:
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(q, "f")
    return "0" if re.fullmatch(r"-?0(\.0*)?", text) else text


@dataclass
class Student:
    ident: str            # roster id
    name: str
    key: Key


def write_answers(st: Student) -> dict:
    """What each synthetic student writes, name -> text (every other student: the carried key)."""
    k = st.key
    if st.ident == SLIP:
        slip = transposed(k.carried["delta2[1]"])
        own = net(k.given, delta2={0: slip})
        return {n: plain(own[n]) for n in k.asked}
    if st.ident == ZERO:
        return {n: "0" for n in k.asked}
    if st.ident == COARSER1:
        return {n: plain(k.carried[n], 3) for n in k.asked}
    if st.ident == COARSER2:
        return {n: plain(k.carried[n], 2) for n in k.asked}
    if st.ident == ENDASH:
        return {n: plain(k.carried[n]).replace("-", "–") for n in k.asked}
    if st.ident == APPROX:
        out = {}
        for i, n in enumerate(k.asked):
            text = plain(k.carried[n])
            out[n] = (f"≈ {text}" if i % 3 == 0 else f"= {text}" if i % 3 == 1 else text.replace(".", ","))
        return out
    if st.ident == RANDOM:
        rng = np.random.default_rng(2024)
        return {n: plain(Decimal(str(round(float(rng.uniform(-3, 3)), 4)))) for n in k.asked}
    if st.ident == EDGE:
        return {n: plain(k.accepted(n)[-1][1]) for n in k.asked}
    if st.ident == OUTSIDE:
        return {n: plain(k.accepted(n)[-1][1] + UNIT) for n in k.asked}
    if st.ident in FULLPREC:
        return {n: plain(R(k.full[n])) for n in k.asked}
    return {n: plain(k.carried[n]) for n in k.asked}


# The marks, written down before grading (from the policy and the computation above; the totals
# are the numbers this computation gave, written here as literals, and the per-answer statuses
# follow from the policy in `expected_statuses`).  max = 36 for every synthetic student.
EXPECTED_TOTAL = {
    SLIP: 22.0,       # 9 correct (L_it1, row 2 of ∂L/∂W⁽²⁾, ∂L/∂b⁽²⁾₂, row 2 of W⁽²⁾, b⁽²⁾₂) + 26 × 0.5;
                      # ∂L/∂b⁽²⁾₁ = δ⁽²⁾₁ itself, the slip: wrong
    ZERO: 0.0,        # no key of this variant is within one unit of 0
    COARSER1: 36.0,
    COARSER2: 8.0,    # 5 correct (2-decimal values inside an accepted interval: -0.1100 written -0.11 …),
                      # 6 consistent: final parameters that W − η·∇ gives from the student's own
                      # 2-decimal gradients (η = 0.5: 1 − 0.5·(−0.02) = 1.01 exactly), 25 wrong
    ENDASH: 36.0, APPROX: 36.0, EDGE: 36.0,
    RANDOM: 0.0,
}


def expected_statuses(st: Student, written: dict) -> dict:
    """name -> status, from the policy: correct (an accepted interval, or a correct rounding at most
    one digit coarser), consistent (what the student's own earlier values give: here the slip
    student's carried-through answers and final parameters from the student's own gradients),
    else wrong."""
    k = st.key
    out = {}
    if st.ident == SLIP:
        slip = transposed(k.carried["delta2[1]"])
        for n in k.asked:
            s = number(written[n])
            if k.correct(n, s):
                out[n] = "correct"
            elif n == "it1.db2[1]":
                out[n] = "wrong"          # ∂L/∂b⁽²⁾₁ = δ⁽²⁾₁: the slip itself, nothing earlier gives it
            else:
                out[n] = "consistent"     # follows from δ⁽²⁾₁ = slip (carried correctly)
        assert slip != k.carried["delta2[1]"]
        return out
    values = {n: number(written[n]) for n in k.asked}
    own = own_final_params(k, values)
    for n in k.asked:
        s = values[n]
        if k.correct(n, s):
            out[n] = "correct"
        elif n in own and abs(s - own[n]) <= UNIT and abs(own[n] - k.carried[n]) > UNIT:
            out[n] = "consistent"
        else:
            out[n] = "wrong"
    return out


# ---------------------------------------------------------------------------------------------
# Fixtures: the roster, each student's given numbers and key, the one homework run.
# ---------------------------------------------------------------------------------------------

def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture(scope="module")
def roster() -> list[dict]:
    rows = read_csv(ROSTER_MOODLE)
    assert len(rows) == 120
    return rows


@pytest.fixture(scope="module")
def students(roster) -> dict[str, Student]:
    """Every student's given numbers (from dryrun's randomizer: what it hands out) and key (computed
    here), by roster id."""
    from generator import homework as hw
    from generator.api import load_spec
    spec = load_spec(SPEC)
    batch = hw.draw(spec, hw.plan_variants(None, hw.read_roster(ROSTER_MOODLE)), seed=SEED)
    assert not batch.failed
    out = {}
    for v in batch.variants:
        name = next(f"{r['First name']} {r['Surname']}" for r in roster if r["ID number"] == v.key)
        out[v.key] = Student(v.key, name, Key.of(Given.of(v.spec.data["network"])))
    assert len(out) == 120
    return out


def dryrun_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("dryrun")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from generator.cli import main; main()"]


@pytest.fixture(scope="module")
def homework(tmp_path_factory):
    """One real run for the class: 120 students, both LMS files, the full key, two jobs.
    (CLASS_SCALE_HOMEWORK=DIR reuses the output of an earlier run of this same command, when
    working on the checks only.)"""
    if not (shutil.which("pdflatex") and shutil.which("pdftotext")):
        pytest.skip("pdflatex and pdftotext are needed")
    reuse = os.environ.get("CLASS_SCALE_HOMEWORK")
    if reuse:
        return {"dir": Path(reuse), "stdout": "", "stderr": "", "seconds": 0.0}
    out = tmp_path_factory.mktemp("class") / "hw"
    started = time.monotonic()
    run = subprocess.run(dryrun_cmd() + ["homework", str(SPEC), "--students", str(ROSTER_MOODLE),
                                         "--seed", str(SEED), "-o", str(out), "--lms", "moodle",
                                         "--lms", "canvas", "--jobs", "2"],
                         capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - started
    print(f"\n[class-scale] dryrun homework, 120 students, --jobs 2: {elapsed:.0f} s")
    assert run.returncode == 0, run.stdout + run.stderr
    return {"dir": out, "stdout": run.stdout, "stderr": run.stderr, "seconds": elapsed}


def answers_json(homework) -> dict:
    return json.loads((homework["dir"] / "answers.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# The key and the answer files
# ---------------------------------------------------------------------------------------------

@needs_tex
def test_answer_files_match_the_independent_computation(homework, students):
    """answers.json: per student (matched by roster id) the asked values are those computed here,
    the carried key and the full precision rounded as asked, digit for digit."""
    doc = answers_json(homework)
    assert len(doc["variants"]) == 120
    labels = {v["label"] for v in doc["variants"]}
    assert len(labels) == 119                      # the two Wei Wangs share a name, not a variant
    ids = set()
    for v in doc["variants"]:
        st = _student_of(v, students)
        ids.add(st.ident)
        assert list(v["answers"]) == st.key.asked, v["id"]
        for n, a in v["answers"].items():
            assert Decimal(a["key"]) == st.key.carried[n], (v["id"], n, a["key"], st.key.carried[n])
            assert R(Decimal(a["full_exact"])) == R(st.key.full[n]), (v["id"], n)
    assert len(ids) == 120


def _lines(pdf: Path):
    """The text lines of a PDF from its word boxes: [(page, [Word…], y)], words left to right."""
    found, sizes = words(pdf)
    found.sort(key=lambda w: (w.page, w.y1, w.x0))
    lines, current = [], None
    for w in found:
        if current is None or current[0] != w.page or w.y1 - current[2] > 2.5:
            current = (w.page, [], w.y1)
            lines.append(current)
        current[1].append(w)
    return [(p, sorted(ws, key=lambda w: w.x0), y) for p, ws, y in lines], sizes


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().replace("’", "'").split())


@needs_tex
def test_key_lists_every_student_with_id_inside_the_page(homework, roster):
    """key.pdf: every student's name and roster id on one line (a long name may wrap below), as
    often as every other student (once per group of columns), every word box inside the text block
    of the A4 page (2.2 cm margins)."""
    key = homework["dir"] / "key.pdf"
    lines, sizes = _lines(key)
    seen: dict = {}
    outside = []
    for n, (page, ws, y) in enumerate(lines):
        ids = [w for w in ws if re.fullmatch(r"s24\d{4}", w.text)]
        if len(ids) != 1:
            continue
        sid = ids[0]
        name_words = [w for w in ws if w.x1 <= sid.x0 + 0.5]
        # continuation lines of a wrapped name: the next lines of the page with words only left of the id
        for page2, ws2, _ in lines[n + 1:n + 3]:
            if page2 != page or any(re.fullmatch(r"s24\d{4}", w.text) for w in ws2):
                break
            if ws2 and all(w.x1 <= sid.x0 + 0.5 for w in ws2):
                name_words += ws2
        seen.setdefault(sid.text, []).append(_squash("".join(w.text for w in name_words)))
        width, height = sizes[page - 1]
        for w in name_words + [sid]:
            if w.x0 < MARGIN - SLACK or w.x1 > width - MARGIN + SLACK or w.y0 < MARGIN - SLACK \
                    or w.y1 > height - MARGIN + SLACK:
                outside.append(f"page {page}: '{w.text}' at x {w.x0:.0f}–{w.x1:.0f}, y {w.y0:.0f}–{w.y1:.0f}")
    missing, wrong_name = [], []
    for r in roster:
        name = _squash(f"{r['First name']}{r['Surname']}")
        got = seen.get(r["ID number"])
        if not got:
            missing.append(f"{r['First name']} {r['Surname']} ({r['ID number']})")
        elif any(g != name for g in got):
            wrong_name.append(f"{r['ID number']}: {r['First name']} {r['Surname']} printed as {got[0]!r}")
    assert not missing, f"{len(missing)} students not in the key: {missing[:10]}"
    assert not wrong_name, wrong_name[:10]
    assert len({len(v) for v in seen.values()}) == 1, "some students are listed fewer times than others"
    assert not outside, outside[:10]


@needs_tex
def test_key_has_a_bookmark_per_student(homework, roster):
    """key.pdf has PDF bookmarks (outlines): one per student naming them and their roster id, each
    pointing at a page that names the student."""
    from pypdf import PdfReader
    reader = PdfReader(homework["dir"] / "key.pdf")

    def flat(items):
        for x in items:
            yield from flat(x) if isinstance(x, list) else [x]
    marks = list(flat(reader.outline))
    assert marks, "key.pdf has no bookmarks"
    for r in roster:
        name = _squash(f"{r['First name']}{r['Surname']}")
        found = [m for m in marks if r["ID number"] in m.title and name in _squash(m.title)]
        assert len(found) == 1, (r["ID number"], [m.title for m in found])
    for m in marks[::17]:                     # a sample: the page a bookmark opens names its student
        sid = re.search(r"s24\d{4}", m.title)
        if sid:
            page = reader.get_destination_page_number(m)
            text = _squash(reader.pages[page].extract_text())
            first = next(r for r in roster if r["ID number"] == sid.group())
            assert _squash(first["Surname"]) in text, (m.title, page)


# ---------------------------------------------------------------------------------------------
# LMS files, read independently
# ---------------------------------------------------------------------------------------------

DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def union(intervals) -> list[tuple[Decimal, Decimal]]:
    """A set of closed intervals as its sorted, merged pieces: how two files saying the same set in
    different pieces (one interval or two overlapping ones) compare equal."""
    out: list = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _student_of(v: dict, students) -> Student:
    """The student of an answers.json variant: by its roster id when it records one, else by its
    name; the two Wei Wangs by their file names (the roster's second gets '-2', docs/homework.md)."""
    roster_id = v.get("roster_id") or v.get("key") or v.get("student_id")
    if roster_id in students:
        return students[roster_id]
    ms = [s for s in students.values() if s.name == v["label"]]
    if len(ms) == 1:
        return ms[0]
    assert v["label"] == "Wei Wang" and v["id"] in ("wei-wang", "wei-wang-2"), v
    return students["s240001" if v["id"] == "wei-wang" else "s240002"]


def _variant_keys(homework, students) -> dict[int, Student]:
    """{variant index: student}, from answers.json."""
    return {v["index"]: _student_of(v, students) for v in answers_json(homework)["variants"]}


@needs_tex
def test_moodle_xml_accepts_exactly_what_grade_accepts(homework, students, roster):
    """moodle.xml (xml.etree): one cloze question per student's variant, no student's name; each
    numerical field's answers are the accepted intervals (midpoint:half-width, exact decimals);
    the diagram is named by its content's hash."""
    import base64
    import hashlib
    raw = (homework["dir"] / "moodle.xml").read_bytes()
    root = ET.fromstring(raw)
    questions = [q for q in root.findall("question") if q.get("type") == "cloze"]
    assert len(questions) == 120
    text_all = raw.decode("utf-8")
    for r in roster:
        assert f"{r['First name']} {r['Surname']}" not in text_all
        assert r["Surname"] not in text_all or len(r["Surname"]) < 4 or r["Surname"] in ("Wang", "Wei")
    by_index = _variant_keys(homework, students)
    checked = 0
    for q in questions:
        name = q.find("name/text").text
        index = int(re.search(r"(\d+)$", name).group(1))
        st = by_index[index]
        text = html.unescape(q.find("questiontext/text").text)
        fields = re.findall(r"\{1:NUMERICAL:([^}]*)\}", text)
        assert len(fields) == len(st.key.asked), name
        for n, field in zip(st.key.asked, fields):
            got = []
            for part in field.split("~"):
                m = re.fullmatch(r"(?:%100%|=)(-?[\d.]+):([\d.]+)", part)
                assert m, (name, part)
                assert DECIMAL.match(m.group(1)) and DECIMAL.match(m.group(2)), (name, part)
                mid, half = Decimal(m.group(1)), Decimal(m.group(2))
                got.append((mid - half, mid + half))
            assert union(got) == st.key.accepted(n), (name, n, field, st.key.accepted(n))
            checked += 1
        for f in q.iter("file"):
            blob = base64.b64decode(f.text)
            stem = f.get("name").rsplit(".", 1)[0]
            assert len(stem) >= 8 and hashlib.sha256(blob).hexdigest().startswith(stem), f.get("name")
    assert checked == sum(len(s.key.asked) for s in students.values())


@needs_tex
def test_canvas_zip_one_quiz_per_variant_with_exact_answers(homework, students, roster):
    """canvas.zip (zipfile + xml.etree): a manifest naming one QTI assessment per variant; every
    numerical item has per accepted interval an <or> of a <varequal> exact answer (the midpoint)
    and <vargte>/<varlte> bounds, all clean decimals, equal to the policy's intervals; images named
    by their content's hash; no student's name."""
    import hashlib
    qti = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    z = zipfile.ZipFile(homework["dir"] / "canvas.zip")
    names = z.namelist()
    manifest = ET.fromstring(z.read("imsmanifest.xml"))
    hrefs = [f.get("href") for f in manifest.iter() if f.tag.endswith("}file")]
    assert set(hrefs) <= set(names)
    for n in names:
        assert not any(r["Surname"] in n for r in roster if len(r["Surname"]) > 3)
        if n.endswith(".png"):
            stem = n.rsplit("/", 1)[-1][:-4]
            assert len(stem) >= 8 and hashlib.sha256(z.read(n)).hexdigest().startswith(stem), n
    for r in roster:
        for n in names:
            assert f"{r['First name']} {r['Surname']}".encode() not in z.read(n)
    quizzes = [n for n in names if n.endswith(".xml") and n != "imsmanifest.xml"]
    by_index = _variant_keys(homework, students)
    assessments = 0
    items_checked = 0
    for path in quizzes:
        root = ET.fromstring(z.read(path))
        for assessment in root.iter(f"{qti}assessment"):
            assessments += 1
            index = int(re.search(r"(\d+)\s*$", assessment.get("title")).group(1))
            st = by_index[index]
            items = list(assessment.iter(f"{qti}item"))
            assert len(items) == len(st.key.asked), assessment.get("title")
            for n, item in zip(st.key.asked, items):
                kind = [f.findtext(f"{qti}fieldentry") for f in item.iter(f"{qti}qtimetadatafield")
                        if f.findtext(f"{qti}fieldlabel") == "question_type"]
                assert kind == ["numerical_question"]
                got, exacts = [], []
                for cond in item.iter(f"{qti}respcondition"):
                    ors = cond.findall(f"{qti}conditionvar/{qti}or")
                    assert len(ors) == 1, (path, n)
                    exact = ors[0].findtext(f"{qti}varequal")
                    lo = ors[0].findtext(f"{qti}and/{qti}vargte")
                    hi = ors[0].findtext(f"{qti}and/{qti}varlte")
                    assert exact is not None, (path, n, "no <varequal> exact answer")
                    for t in (exact, lo, hi):
                        assert t is not None and DECIMAL.match(t.strip()), (path, n, t)
                    lo, hi, exact = Decimal(lo), Decimal(hi), Decimal(exact)
                    assert lo <= exact <= hi and exact - lo == hi - exact, (path, n)
                    got.append((lo, hi))
                    exacts.append(exact)
                assert union(got) == st.key.accepted(n), (path, n, got, st.key.accepted(n))
                # the exact answers Canvas shows are values a student writes: the key (first) or the
                # full-precision value rounded as asked
                assert exacts[0] == st.key.carried[n], (path, n, exacts)
                assert set(exacts) <= {st.key.carried[n], R(st.key.full[n])}, (path, n, exacts)
                items_checked += 1
    assert assessments == 120, "one quiz per variant"
    assert items_checked == sum(len(s.key.asked) for s in students.values())


# ---------------------------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------------------------

def responses_csv(students: dict) -> str:
    """Every student's row: the id (or, for a few, the name only), then their answers."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["ID number", "student"] + NAMES)
    for sid, st in sorted(students.items()):
        written = write_answers(st)
        who = ["", BY_NAME[sid]] if sid in BY_NAME else [sid, ""]
        w.writerow(who + [written.get(n, "") for n in NAMES])
    return buf.getvalue()


@pytest.fixture(scope="module")
def expectations(students) -> dict:
    """{roster id: (statuses, total)} for every student, written down before grading."""
    out = {}
    for sid, st in students.items():
        written = write_answers(st)
        statuses = expected_statuses(st, written)
        total = sum(1.0 if s == "correct" else 0.5 if s == "consistent" else 0.0 for s in statuses.values())
        out[sid] = (statuses, total)
    return out


def test_expectations_are_the_ones_written_down(students, expectations):
    """The written totals agree with the statuses the policy gives (a check of this file, no dryrun)."""
    for sid, total in EXPECTED_TOTAL.items():
        if total is not None:
            assert expectations[sid][1] == total, (sid, expectations[sid])
    # everyone else answers the key: full marks
    for sid, (statuses, total) in expectations.items():
        if sid not in EXPECTED_TOTAL and sid not in (ZERO, COARSER2, OUTSIDE):
            assert total == len(students[sid].key.asked)
    # the slip: 12 dependent gradients consistent, ∂L/∂b⁽²⁾₁ wrong
    st = expectations[SLIP][0]
    dependent = [f"it1.dW2[1,{j}]" for j in (1, 2, 3)] + [f"it1.dW1[{i},{j}]" for i in (1, 2, 3) for j in (1, 2)] \
        + [f"it1.db1[{i}]" for i in (1, 2, 3)]
    assert all(st[n] == "consistent" for n in dependent)
    assert st["it1.db2[1]"] == "wrong"
    # zero: only where 0 lies in an accepted interval (a key of 0 ± 1 unit)
    zero = students[ZERO].key
    assert all((s == "correct") == any(lo <= 0 <= hi for lo, hi in zero.accepted(n))
               for n, s in expectations[ZERO][0].items())
    assert "consistent" not in expectations[ZERO][0].values()
    # two digits coarser: wrong except where the 2-decimal value is still inside an accepted interval,
    # or is the final parameter the student's own 2-decimal gradient gives
    c2 = students[COARSER2].key
    own = own_final_params(c2, {n: Decimal(plain(c2.carried[n], 2)) for n in c2.asked})
    for n, s in expectations[COARSER2][0].items():
        two = Decimal(plain(c2.carried[n], 2))
        inside = any(lo <= two <= hi for lo, hi in c2.accepted(n))
        follows = n in own and abs(own[n] - two) <= UNIT
        assert s == ("correct" if inside else "consistent" if follows else "wrong"), (n, s)
    # random: nothing right by chance, nothing consistent by chance
    assert set(expectations[RANDOM][0].values()) == {"wrong"}
    assert "correct" not in expectations[OUTSIDE][0].values()


def _grade(tmp_path, roster_file: Path, responses, extra=()) -> tuple[subprocess.CompletedProcess, Path]:
    """``responses``: the text of one responses.csv, or {file name: text} of several files."""
    files = responses if isinstance(responses, dict) else {"responses.csv": responses}
    args = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        args += ["--responses", str(tmp_path / name)]
    out = tmp_path / "marks"
    run = subprocess.run(dryrun_cmd() + ["grade", str(SPEC), "--students", str(roster_file), "--seed", str(SEED),
                                         *args, "-o", str(out), *extra],
                         capture_output=True, text=True, timeout=1200)
    return run, out


@pytest.fixture(scope="module")
def graded(tmp_path_factory, students, homework):
    """The class graded against the Moodle roster and the answers.json the homework run wrote."""
    tmp = tmp_path_factory.mktemp("grade")
    started = time.monotonic()
    run, out = _grade(tmp, ROSTER_MOODLE, responses_csv(students),
                      ["--answers", str(homework["dir"] / "answers.json")])
    print(f"\n[class-scale] dryrun grade, 120 rows: {time.monotonic() - started:.0f} s")
    assert run.returncode == 0, run.stdout + run.stderr
    rows = read_csv(out / "marks.csv")
    return {"rows": rows, "dir": out, "stderr": run.stderr}


def _row(graded, sid: str) -> dict:
    rows = [r for r in graded["rows"] if r.get("id") == sid]
    assert len(rows) == 1, f"marks.csv has {len(rows)} rows for {sid}"
    return rows[0]


def _statuses(row: dict, asked) -> dict:
    return {n: row.get(f"{n} (status)", "") for n in asked}


def _compare(graded, students, expectations, sid):
    row = _row(graded, sid)
    statuses, total = expectations[sid]
    got = _statuses(row, students[sid].key.asked)
    diff = {n: (statuses[n], got[n]) for n in statuses if statuses[n] != got[n]}
    assert not diff, f"{sid} {students[sid].name}: expected vs dryrun: {diff}"
    assert float(row["total"]) == total, (sid, row["total"], total)


def test_every_student_is_graded_once_with_their_roster_id(graded, students):
    ids = [r["id"] for r in graded["rows"]]
    assert sorted(ids) == sorted(students)


def test_all_correct_students_get_full_marks(graded, students, expectations):
    """113 students answer the carried key computed here, 4 of them the full-precision value rounded:
    full marks, the two Wei Wangs each by their own id."""
    bad = []
    for sid, st in students.items():
        if sid in (SLIP, ZERO, COARSER1, COARSER2, ENDASH, APPROX, RANDOM, EDGE, OUTSIDE):
            continue
        row = _row(graded, sid)
        if float(row["total"]) != len(st.key.asked):
            bad.append((sid, st.name, row["total"], {n: s for n, s in _statuses(row, st.key.asked).items()
                                                     if s != "correct"}))
    assert not bad, bad[:5]


def test_slip_in_delta2_is_carried_forward(graded, students, expectations):
    """δ⁽²⁾₁ = 0.1346 written 0.3146 and carried through: the 12 gradients it feeds (row 1 of ∂L/∂W⁽²⁾,
    ∂L/∂W⁽¹⁾, ∂L/∂b⁽¹⁾) and the 13 final parameters and the final loss that follow are consistent;
    ∂L/∂b⁽²⁾₁ *is* δ⁽²⁾₁, the slipped value itself, so it is wrong (0), as a miscopied ∂L/∂b⁽²⁾₁
    alone would be: 9 + 26 × 0.5 = 22.0 of 36."""
    _compare(graded, students, expectations, SLIP)


def test_slip_feedback_names_delta2_1(graded, students):
    feedback = [p for p in (graded["dir"] / "feedback").iterdir()
                if p.stem in ("jan-van-der-berg", SLIP)]
    assert feedback, "no feedback file for Jan van der Berg"
    text = feedback[0].read_text(encoding="utf-8")
    assert re.search(r"δ⁽²⁾₁|delta2\[1\]|δ\(2\)_?1|δ2\[1\]|δ_1\^\(2\)", text), text


def test_all_zero_student(graded, students, expectations):
    _compare(graded, students, expectations, ZERO)


def test_one_digit_coarser_is_correct(graded, students, expectations):
    _compare(graded, students, expectations, COARSER1)


def test_two_digits_coarser_is_wrong(graded, students, expectations):
    _compare(graded, students, expectations, COARSER2)


def test_en_dash_minus_signs_are_read(graded, students, expectations):
    _compare(graded, students, expectations, ENDASH)


def test_approx_and_equals_signs_are_read(graded, students, expectations):
    _compare(graded, students, expectations, APPROX)


def test_random_numbers_earn_nothing(graded, students, expectations):
    _compare(graded, students, expectations, RANDOM)


def test_edges_of_the_lms_intervals_agree_with_grade(graded, students, expectations):
    """The largest value the LMS files accept is correct in grade; one unit more is not."""
    _compare(graded, students, expectations, EDGE)
    row = _row(graded, OUTSIDE)
    got = _statuses(row, students[OUTSIDE].key.asked)
    assert "correct" not in got.values(), {n: s for n, s in got.items() if s == "correct"}


def test_canvas_roster_grades_the_same(tmp_path, graded, students):
    """The same class as a Canvas gradebook export ("Last, First", Canvas ids, SIS ids, its "Points
    Possible" row and Test Student): the same variants (drawn from the SIS id), the same marks."""
    run, out = _grade(tmp_path, ROSTER_CANVAS, responses_csv(students))
    assert run.returncode == 0, run.stdout + run.stderr
    canvas = {}
    for r in read_csv(out / "marks.csv"):          # the roster id of a Canvas roster: SIS User ID first
        canvas[r["id"] if r["id"] in students else next(s for s in students if s in r.values())] = r
    moodle = {r["id"]: r for r in graded["rows"]}
    assert set(canvas) == set(moodle) == set(students)
    for sid in students:
        a, b = canvas[sid], moodle[sid]
        assert a["total"] == b["total"], (sid, a["total"], b["total"])
        assert {k: v for k, v in a.items() if k.endswith("(status)")} == \
               {k: v for k, v in b.items() if k.endswith("(status)")}


def test_wang_wei_without_comma_is_ambiguous(tmp_path, students):
    """"Wang Wei" without a comma is Wang Wei (first, last) or a Wei Wang (last, first): an unmatched row
    naming both, exit 1; everyone else graded.  "Wei Wang" names two students: unmatched too."""
    st = students["s240001"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["ID number", "student"] + NAMES)
    for who in (["", "Wang Wei"], ["", "Wei Wang"], ["s240001", ""]):
        w.writerow(who + [plain(st.key.carried[n]) if n in st.key.asked else "" for n in NAMES])
    run, out = _grade(tmp_path, ROSTER_MOODLE, buf.getvalue())
    assert run.returncode == 1, run.stdout + run.stderr
    unmatched = read_csv(out / "unmatched.csv")
    assert len(unmatched) == 2, unmatched
    assert [r["id"] for r in read_csv(out / "marks.csv")] == ["s240001"]
    assert float(read_csv(out / "marks.csv")[0]["total"]) == len(st.key.asked)


# ---------------------------------------------------------------------------------------------
# LMS exports in, gradebook files out
# ---------------------------------------------------------------------------------------------

EXPORTED = (SLIP, ZERO, COARSER1, COARSER2, "s240001", "s240002", "s240030", "s240036")


def moodle_export(students, roster) -> str:
    """Moodle's quiz Results → Responses report as downloaded (CSV), one cloze response per student."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Surname", "First name", "ID number", "Email address", "State", "Started on", "Completed",
                "Time taken", "Grade/36.00", "Response 1"])
    for sid in EXPORTED:
        r = next(r for r in roster if r["ID number"] == sid)
        written = write_answers(students[sid])
        response = "; ".join(f"part {i}: {written[n]}" for i, n in enumerate(students[sid].key.asked, 1))
        w.writerow([r["Surname"], r["First name"], sid, r["Email address"], "Finished",
                    "7 December 2025  10:00 AM", "7 December 2025  11:02 AM", "1 hour 2 mins", "12.00", response])
    return buf.getvalue()


def canvas_exports(homework, students) -> dict:
    """Canvas's Student Analysis of each exported student's quiz (one CSV per quiz): the question
    columns "<id>: <question text>" as Canvas writes them (the HTML's text), each with its points."""
    qti = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    z = zipfile.ZipFile(homework["dir"] / "canvas.zip")
    by_index = {v.ident: i for i, v in _variant_keys(homework, students).items()}
    canvas = {r["SIS User ID"]: r for r in read_csv(ROSTER_CANVAS) if r["SIS User ID"]}
    files = {}
    for sid in EXPORTED:
        index = by_index[sid]
        quiz = None
        for n in z.namelist():
            if n.endswith(".xml") and n != "imsmanifest.xml":
                a = ET.fromstring(z.read(n)).find(f"{qti}assessment")
                if a is not None and re.search(rf"\b{index}\s*$", a.get("title")):
                    quiz = a
        assert quiz is not None, f"no Canvas quiz for variant {index}"
        items = list(quiz.iter(f"{qti}item"))
        texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", i.find(f".//{qti}mattext").text)).strip() for i in items]
        written = write_answers(students[sid])
        header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted", "attempt"]
        row = [canvas[sid]["Student"], canvas[sid]["ID"], sid, "NN101", "101", "", "2025-12-07 11:02:00 UTC", "1"]
        for k, (n, text) in enumerate(zip(students[sid].key.asked, texts)):
            header += [f"{5000 + k}: {text}", "1.0"]
            row += [written[n], "0.0"]
        header += ["n correct", "n incorrect", "score"]
        row += ["0", str(len(items)), "0.0"]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerow(row)
        files[f"student-analysis-{index}.csv"] = buf.getvalue()
    return files


def _same_marks(row: dict, reference: dict, sid: str):
    assert row["total"] == reference["total"], (sid, row["total"], reference["total"])
    assert {k: v for k, v in row.items() if k.endswith("(status)")} == \
           {k: v for k, v in reference.items() if k.endswith("(status)")}, sid


def test_moodle_responses_export_is_graded_like_responses_csv(tmp_path, homework, students, roster, graded):
    """A Moodle Responses report of 8 students (cloze "part 1: …; part 2: …"): the same marks as their
    rows of responses.csv; moodle-grades.csv holds each total under the roster's id."""
    run, out = _grade(tmp_path, ROSTER_MOODLE, {"moodle-responses.csv": moodle_export(students, roster)},
                      ["--answers", str(homework["dir"] / "answers.json")])
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {r["id"]: r for r in read_csv(out / "marks.csv")}
    assert set(rows) == set(EXPORTED)
    for sid in EXPORTED:
        _same_marks(rows[sid], _row(graded, sid), sid)
    grades = read_csv(out / "moodle-grades.csv")
    first = list(grades[0])[0]
    assert first in ("ID number", "Email address")
    by = {g[first]: g for g in grades}
    for sid in EXPORTED:
        ident = sid if first == "ID number" else next(r["Email address"] for r in roster if r["ID number"] == sid)
        grade = by[ident]["Two-three-two by hand"]          # the grade item: the spec's title
        assert float(grade) == float(rows[sid]["total"]), (sid, grade)


def test_canvas_student_analysis_is_graded_like_responses_csv(tmp_path, homework, students, graded):
    """Canvas Student Analysis exports (one per quiz) of 8 students, with the Canvas roster: the same
    marks as their rows of responses.csv; canvas-grades.csv in the roster's columns, with its
    "Points Possible" row and without Test Student."""
    # graded against the recomputation: answers.json belongs to the Moodle roster's run (other file names)
    run, out = _grade(tmp_path, ROSTER_CANVAS, canvas_exports(homework, students))
    assert run.returncode == 0, run.stdout + run.stderr
    rows = read_csv(out / "marks.csv")
    assert len(rows) == len(EXPORTED)
    for sid in EXPORTED:
        row = next(r for r in rows if sid in r.values())
        _same_marks(row, _row(graded, sid), sid)
    # canvas-grades.csv: the roster's columns, a "Points Possible" row, no Test Student
    lines = list(csv.reader(io.StringIO((out / "canvas-grades.csv").read_text(encoding="utf-8-sig"))))
    assert lines[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert "Points Possible" in lines[1][0]
    assert not any("Test" in l[0] for l in lines[2:])
    col = next(i for i, h in enumerate(lines[0]) if h.startswith("Two-three-two by hand"))
    by = {l[2]: l for l in lines[2:]}
    for sid in EXPORTED:
        assert float(by[sid][col]) == float(_row(graded, sid)["total"]), (sid, by[sid])


# ---------------------------------------------------------------------------------------------
# What the students get: the hand-in table of each question sheet, responses-template.csv
# ---------------------------------------------------------------------------------------------

SHEETS = ("s240002", "s240004", "s240025", "s240031", "s240036", "s240040")   # Wei Wang 2, compound,
#                                                       Cyrillic, Greek, Chinese, Vietnamese


@needs_tex
def test_question_sheets_say_what_to_hand_in(homework, students):
    """A sample of question sheets: the student's name, a "What to hand in" section naming every asked
    value by its column, legible (tests/legibility.py: no overlap, nothing past the margins)."""
    from tests.legibility import problems
    by_ident = {st.ident: v["id"] for v in answers_json(homework)["variants"]
                for st in [_student_of(v, students)]}
    for sid in SHEETS:
        pdf = homework["dir"] / f"{by_ident[sid]}-question.pdf"
        found, _ = words(pdf)
        text = _squash("".join(w.text for w in found))
        assert _squash(students[sid].name) in text, (sid, students[sid].name)
        assert _squash("What to hand in") in text, sid
        for n in students[sid].key.asked:
            assert _squash(n) in text, (sid, n)
        assert not problems(pdf), (sid, problems(pdf)[:5])


@needs_tex
def test_responses_template_filled_in_grades_like_responses_csv(tmp_path, homework, students, graded):
    """responses-template.csv: one row per student (variant, name, roster ids) and one empty column per
    asked value; filled in with the synthetic answers it grades exactly as responses.csv."""
    text = (homework["dir"] / "responses-template.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert len(rows) == 120
    assert [c for c in header if c in NAMES] == NAMES
    assert sorted(r["ID number"] for r in rows) == sorted(students)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    for r in rows:
        assert all(not r[n] for n in NAMES), r["variant"]
        written = write_answers(students[r["ID number"]])
        w.writerow({**r, **{n: written.get(n, "") for n in NAMES}})
    run, out = _grade(tmp_path, ROSTER_MOODLE, {"filled-in.csv": buf.getvalue()},
                      ["--answers", str(homework["dir"] / "answers.json")])
    assert run.returncode == 0, run.stdout + run.stderr
    for row in read_csv(out / "marks.csv"):
        _same_marks(row, _row(graded, row["id"]), row["id"])
