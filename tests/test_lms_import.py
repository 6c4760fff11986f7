"""LMS files that import with their answers (issue 19, item 3): read back by parsers this project did not
write, and by the rule Canvas's importer applies, every numerical question accepts exactly the intervals
of ``answers.accepted`` — the ones ``dryrun grade`` calls correct — written as plain decimals; Canvas gets
one quiz per variant; images are named by their content's hash; no student's name is in the files."""

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import xml.dom.minidom
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import escape
from generator.answers import accepted
from generator.cli import main
from generator.homework import draw, plan_variants, read_roster, variant_answers
from generator.limits import DEFAULT
from generator.lms import _dec, intervals
from generator.spec import load_spec
from tests.conftest import SPECS

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
SEED = 11           # with this roster, three answers whose carried and full-precision values are 5 units apart
pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None,
                                reason="pdflatex and pdftoppm are needed")

STUDENTS = [  # (first name, surname, ID number, email, file-name slug)
    ("Zoë", "Müller", "s100", "zoe@u.edu", "zoe-muller"),
    ("Pat", "O'Brien", "s101", "pat@u.edu", "pat-o-brien"),
    ("Ada", "Lovelace", "s102", "ada@u.edu", "ada-lovelace"),
]


@pytest.fixture(scope="module")
def hw(tmp_path_factory):
    """A carry-mode homework (seed003 at 2 decimals, carried) for three students, both LMS files; and
    per variant (in order) its answers, recomputed here through the library."""
    base = tmp_path_factory.mktemp("lms_import")
    src = (SPECS / "seed003.yaml").read_text(encoding="utf-8")
    assert "rounding:\n  decimals: 4\n" in src
    spec = base / "carry.yaml"
    spec.write_text(src.replace("rounding:\n  decimals: 4\n", "rounding:\n  mode: carry\n  decimals: 2\n"),
                    encoding="utf-8")
    roster = base / "roster.csv"
    roster.write_text("First name,Surname,ID number,Email address\n"
                      + "".join(f"{f},{s},{i},{e}\n" for f, s, i, e, _ in STUDENTS), encoding="utf-8")
    result = CliRunner().invoke(main, ["homework", str(spec), "--students", str(roster), "--seed", str(SEED),
                                       "-o", str(base / "hw"), "--lms", "moodle", "--lms", "canvas", "--key", "none"])
    assert result.exit_code == 0, result.output
    loaded = load_spec(spec, DEFAULT)
    people = read_roster(roster)
    batch = draw(loaded, plan_variants(None, people, (1, 1), DEFAULT.max_variants, []), SEED)
    rows = [(v, variant_answers(v)) for v in batch.variants]
    assert [v.ident for v, _ in rows] == [s[4] for s in STUDENTS]
    # the premise: a carried value more than one unit from full precision, so two intervals
    assert sum(len(accepted(a)) == 2 for _, ans in rows for a in ans) >= 2
    return base / "hw", rows


def _zip(folder: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(folder / "canvas.zip") as z:
        return {n: z.read(n) for n in z.namelist()}


def _assessments(files):
    """{assessment ident: (its title, [its items])}, parsed by ElementTree; minidom must read each file too."""
    out = {}
    for name, data in files.items():
        if not name.endswith(".xml") or name == "imsmanifest.xml":
            continue
        xml.dom.minidom.parseString(data)
        root = ET.fromstring(data)
        for a in root.iter(f"{QTI}assessment"):
            out[a.get("ident")] = (a.get("title"), a.findall(f".//{QTI}item"), root)
    return out


# --- Canvas's reading rule, re-implemented here as an independent reader ----------------------------------
#
# Canvas (Classic Quizzes) imports a QTI 1.2 package in two steps:
#   1. instructure/canvas-lms, gems/plugins/qti_exporter/lib/qti.rb (get_conversion_command) runs
#      instructure/QTIMigrationTool's migrate.py with `--ucvars --nogui --overwrite` (no --forcefibfloat), which
#      turns QTI 1.2 into 2.1 (lib/imsqtiv1.py): a <response_str> stays string-typed whatever render_fib's
#      fibtype says (RenderFib: "numeric fibtype does not match enclosing <response_str>, assuming string"),
#      so <varequal> becomes <stringMatch> (VarEqual.CloseObject) and <vargte>/<varlte>/<vargt> become
#      <customOperator class="vargte"|"varlte"|"vargt"> (VarGTE/VarLTE/VarGT.CloseObject); consecutive
#      <respcondition continue="No"> become one <responseIf> and its <responseElseIf>s
#      (ResProcessing.AddRespCondition). The item's qtimetadata question_type=numerical_question reaches
#      the 2.1 manifest as instructureField question_type, which
#      gems/plugins/qti_exporter/lib/qti/assessment_item_converter.rb (create_instructure_question) routes
#      to NumericInteraction; an assessment's qmd_assessmenttype=Examination reaches it as quiz_type
#      "examination", which assessment_test_converter.rb makes a graded quiz (quiz_type "assignment").
#   2. instructure/canvas-lms, gems/plugins/qti_exporter/lib/qti/numeric_interaction.rb, get_canvas_answers:
#      for each responseIf/responseElseIf, if it holds an <or>: the exact answer is the text of the
#      `or stringMatch baseValue` (none: the condition gives NO answer — why a range-only <or> imported 0
#      answers); if the <or> has `and customOperator[class=vargt]` and `[class=varlte]` both ending in 5 and
#      symmetric around a power-of-ten width, a precision answer; otherwise an exact answer whose margin is
#      BigDecimal(`and customOperator[class=varlte] baseValue`) − BigDecimal(exact) — the lower bound is
#      never read. A condition with an <and> and no <or> is a range answer (vargte start, varlte end).
# So an interval [lo, hi] arrives whole only as exact = (lo + hi)/2, varlte = hi (and vargte = lo for other
# readers); two intervals need two conditions.

def canvas_answers(item) -> list[dict]:
    """What Canvas's numeric importer makes of a QTI 1.2 item (the rule above), read with ElementTree."""
    answers = []
    for cond in item.findall(f"{QTI}resprocessing/{QTI}respcondition"):
        if cond.get("continue", "No") != "No":
            continue                        # a continue="Yes" condition is no responseIf/ElseIf of the chain
        var = cond.find(f"{QTI}conditionvar")
        or_node = var.find(f".//{QTI}or")
        if or_node is not None:
            exact = or_node.find(f".//{QTI}varequal")
            if exact is None:
                continue                    # `next unless exact_node`
            assert or_node.find(f".//{QTI}and/{QTI}vargt") is None      # never the precision-answer path
            upper = or_node.find(f".//{QTI}and/{QTI}varlte")
            margin = Decimal(upper.text) - Decimal(exact.text) if upper is not None else Decimal(0)
            answers.append({"type": "exact_answer", "exact": Decimal(exact.text), "margin": margin})
        elif (and_node := var.find(f".//{QTI}and")) is not None:
            lo, hi = and_node.find(f"{QTI}vargte"), and_node.find(f"{QTI}varlte")
            answers.append({"type": "range_answer", "start": lo is not None and Decimal(lo.text),
                            "end": hi is not None and Decimal(hi.text)})
    return answers


def canvas_intervals(item) -> list[tuple[Decimal, Decimal]]:
    out = []
    for a in canvas_answers(item):
        if a["type"] == "exact_answer":
            out.append((a["exact"] - a["margin"], a["exact"] + a["margin"]))
        else:
            out.append((a["start"], a["end"]))
    return sorted(out)


def test_every_canvas_item_carries_an_exact_answer_equal_to_accepted(hw):
    folder, rows = hw
    quizzes = _assessments(_zip(folder))
    two = 0
    for v, answers in rows:
        (title, items, _), = [q for q in quizzes.values() if q[0].endswith(f"variant {v.index}")]
        assert len(items) == len(answers)
        for item, a in zip(items, answers):
            assert item.find(f".//{QTI}fieldentry").text == "numerical_question"
            conds = item.findall(f"{QTI}resprocessing/{QTI}respcondition")
            assert len(conds) == len(accepted(a))
            for cond in conds:                 # the shape: <or><varequal/><and><vargte/><varlte/></and></or>
                or_node = cond.find(f"{QTI}conditionvar/{QTI}or")
                assert [c.tag for c in or_node] == [f"{QTI}varequal", f"{QTI}and"]
                assert [c.tag for c in or_node.find(f"{QTI}and")] == [f"{QTI}vargte", f"{QTI}varlte"]
                texts = [e.text for e in or_node.iter() if e.tag in (f"{QTI}varequal", f"{QTI}vargte", f"{QTI}varlte")]
                assert all(DECIMAL.match(t) for t in texts), texts
                exact, low, high = (Decimal(t) for t in texts)
                assert exact - low == high - exact > 0          # symmetric: Canvas reads only the upper bound
            got = canvas_intervals(item)
            assert all(x["type"] == "exact_answer" for x in canvas_answers(item))
            assert sorted(got) == sorted(accepted(a)), (v.ident, a.name)
            two += len(got) == 2
    assert two >= 2                                            # both intervals reached Canvas as two answers


def test_one_graded_quiz_per_variant_and_no_question_group(hw):
    folder, rows = hw
    files = _zip(folder)
    quizzes = _assessments(files)
    assert len(quizzes) == len(rows) == len(STUDENTS)
    assert sorted(t for t, _, _ in quizzes.values()) == sorted(f"Training by Hand: variant {v.index}" for v, _ in rows)
    for title, items, root in quizzes.values():
        index = title.rsplit(" ", 1)[1]
        assert all(i.get("title").startswith(f"variant {index}:") for i in items)   # its own items only
        assert root.find(f".//{QTI}selection_ordering") is None and root.find(f".//{QTI}objectbank") is None
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                  for f in root.find(f"{QTI}assessment/{QTI}qtimetadata")}
        assert fields["qmd_assessmenttype"] == "Examination"           # a graded quiz: it has an assignment
    idents = [i.get("ident") for _, items, _ in quizzes.values() for i in items]
    assert len(idents) == len(set(idents))


def test_the_manifest_lists_every_file_through_zip_name(hw):
    folder, rows = hw
    files = _zip(folder)
    manifest = ET.fromstring(files["imsmanifest.xml"])
    xml.dom.minidom.parseString(files["imsmanifest.xml"])
    hrefs = [f.get("href") for f in manifest.iter(f"{CP}file")]
    assert sorted(hrefs) == sorted(set(files) - {"imsmanifest.xml"})
    for name in files:
        assert all(part == escape.zip_name(part) for part in name.split("/")), name
    qti = [r for r in manifest.iter(f"{CP}resource") if r.get("type") == "imsqti_xmlv1p2"]
    assert len(qti) == len(rows)
    for r in manifest.iter(f"{CP}resource"):
        if r.get("href"):
            assert r.get("href") in files


def test_moodle_tolerances_are_the_accepted_intervals(hw):
    folder, rows = hw
    data = (folder / "moodle.xml").read_bytes()
    xml.dom.minidom.parseString(data)
    cloze = ET.fromstring(data).findall("question")[1:]
    assert len(cloze) == len(rows)
    two = 0
    for q, (v, answers) in zip(cloze, rows):
        assert q.find("name/text").text.endswith(f"variant {v.index}")
        fields = re.findall(r"\{1:NUMERICAL:([^}]*)\}", q.find("questiontext/text").text)
        assert len(fields) == len(answers)
        for field, a in zip(fields, answers):
            got = []
            for alt in field.split("~"):
                m = re.fullmatch(r"(?:=|%100%)([^:]+):(.+)", alt)
                assert m, alt
                mid, half = m.groups()
                assert DECIMAL.match(mid) and DECIMAL.match(half), alt       # never 1e-09, never float noise
                got.append((Decimal(mid) - Decimal(half), Decimal(mid) + Decimal(half)))
            assert sorted(got) == sorted(accepted(a)), (v.ident, a.name, field)
            two += len(got) == 2
    assert two >= 2
    assert not re.search(rb"1(\.0*)?e-0*9", re.sub(rb'encoding="base64">[^<]*<', b"", data), re.IGNORECASE)


def test_images_are_named_by_their_content_hash(hw):
    folder, rows = hw
    files = _zip(folder)
    pngs = {n: d for n, d in files.items() if n.endswith(".png")}
    assert len(pngs) == len(rows)
    for name, blob in pngs.items():
        assert blob.startswith(b"\x89PNG") and name == f"{hashlib.sha256(blob).hexdigest()[:16]}.png"
    used = set()
    for _, items, _ in _assessments(files).values():
        text = items[0].find(f".//{QTI}mattext").text
        used |= set(re.findall(r"\$IMS-CC-FILEBASE\$/([^\"]+)", text))
    assert used == set(pngs)
    for q in ET.parse(folder / "moodle.xml").getroot().findall("question")[1:]:
        f = q.find("questiontext/file")
        blob = base64.b64decode(f.text)
        assert f.get("name") == f"{hashlib.sha256(blob).hexdigest()[:16]}.png"
        assert f"@@PLUGINFILE@@/{f.get('name')}" in q.find("questiontext/text").text


def test_no_student_name_in_the_lms_files(hw):
    folder, _ = hw
    words = set()
    for first, surname, ident, email, slug in STUDENTS:
        words |= {first, surname, escape.html_text(surname), "Zoe", "Muller", "Brien", ident, email, slug,
                  f"{first} {surname}"}
    texts = {"moodle.xml": (folder / "moodle.xml").read_bytes()}
    texts.update({f"canvas.zip:{n}": d for n, d in _zip(folder).items()})
    for where, data in texts.items():
        assert not any(w.lower() in where.lower() for w in words), where        # no file named after one
        if where.endswith(".png"):
            long = [w for w in words if len(w) >= 8]
            assert not any(w.encode() in data for w in long), where
            continue
        text = data.decode("utf-8")
        found = [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE)]
        assert not found, f"{where} names {found}"


def test_the_assignment_list_maps_each_quiz_to_its_student(hw):
    """canvas-assign.csv (beside canvas.zip, never imported) is where the names are: quiz title → student."""
    folder, rows = hw
    got = list(csv.DictReader(io.StringIO((folder / "canvas-assign.csv").read_text(encoding="utf-8"))))
    titles = {t for t, _, _ in _assessments(_zip(folder)).values()}
    assert [(r["quiz"], r["id"], r["roster_id"]) for r in got] == \
        [(f"Training by Hand: variant {v.index}", v.ident, s[2]) for (v, _), s in zip(rows, STUDENTS)]
    assert {r["quiz"] for r in got} == titles
    assert got[0]["student"] == "Zoë Müller"


def test_bounds_are_plain_decimals_whatever_the_magnitude():
    assert [_dec(Decimal(x)) for x in ("1E-7", "0.02845", "-0.50", "1E+2", "-0", "12.3400")] == \
        ["0.0000001", "0.02845", "-0.5", "100", "0", "12.34"]

    class A:                                          # two far intervals; one 60-digit full value
        unit, key = Decimal("0.0001"), Decimal("0.0284")
        full_exact = Decimal("0.0300499999999999999999999999999999999999999999999999999999")
    assert intervals(A) == [(Decimal("0.0284"), Decimal("0.0001")), (Decimal("0.0300"), Decimal("0.0001"))]


@pytest.mark.skipif(not os.environ.get("DRYRUN_QTI_MIGRATE"), reason="set DRYRUN_QTI_MIGRATE to the path of "
                    "instructure/QTIMigrationTool's migrate.py (and DRYRUN_QTI_PYTHON to a Python with lxml) to "
                    "run Canvas's own QTI 1.2 → 2.1 conversion")
def test_canvas_own_converter_gives_the_same_answers(hw, tmp_path):
    """Canvas's converter run as Canvas runs it (qti.rb get_conversion_command), then numeric_interaction.rb's
    get_canvas_answers applied to its QTI 2.1 output: every item gets the exact answers and margins of
    ``accepted``."""
    folder, rows = hw
    with zipfile.ZipFile(folder / "canvas.zip") as z:
        z.extractall(tmp_path / "in")
    out = tmp_path / "out"
    python = os.environ.get("DRYRUN_QTI_PYTHON", sys.executable)          # one with lxml, which the tool needs
    done = subprocess.run([python, os.environ["DRYRUN_QTI_MIGRATE"], "--ucvars", "--nogui", "--overwrite",
                           f"--cpout={out}", str(tmp_path / "in")], capture_output=True, text=True, timeout=300,
                          cwd=Path(os.environ["DRYRUN_QTI_MIGRATE"]).parent)
    assert done.returncode == 0, done.stdout[-2000:]
    Q2 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
    manifest = (out / "imsmanifest.xml").read_text()
    assert manifest.count('name="quiz_type" value="examination"') == len(rows)
    for v, answers in rows:
        for i, a in enumerate(answers, 1):
            root = ET.parse(out / "assessmentItems" / f"dryrun_carry_v{v.index}_{i}.xml").getroot()
            got = []
            for r_if in [*root.iter(f"{Q2}responseIf"), *root.iter(f"{Q2}responseElseIf")]:
                or_node = r_if.find(f".//{Q2}or")
                if or_node is None:
                    continue
                exact = or_node.find(f".//{Q2}stringMatch/{Q2}baseValue").text
                upper = [c for c in or_node.iter(f"{Q2}customOperator") if c.get("class") == "varlte"][0]
                margin = Decimal(upper.find(f"{Q2}baseValue").text) - Decimal(exact)
                got.append((Decimal(exact) - margin, Decimal(exact) + margin))
            assert sorted(got) == accepted(a), (v.ident, a.name)
