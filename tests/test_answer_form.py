"""The answer form of a homework set (issue 19): responses-template.csv, which 'dryrun grade' reads,
and the question sheet's "What to hand in"; every student's name printed in its own script."""

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import SPECS

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")
HW = SPECS / "seed003.yaml"
SEED = 11

#: A Canvas gradebook export: names "Last, First" in Cyrillic, Greek, Vietnamese, Chinese and
#: Korean, and Canvas's test student.
CANVAS = """Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
"Lovelace, Ada",101,s101,ada@uni.edu,A
"Иванова, Анна",102,s102,anna@uni.edu,A
"Παπαδόπουλος, Νίκος",103,s103,nikos@uni.edu,A
"Nguyễn, Văn Đức",104,s104,duc@uni.edu,A
"王, 小明",105,s105,wang@uni.edu,A
"김, 민준",106,s106,kim@uni.edu,A
"Student, Test",107,,test@uni.edu,A
"""
NAMES = {"s101": "Lovelace, Ada", "s102": "Иванова, Анна", "s103": "Παπαδόπουλος, Νίκος",
         "s104": "Nguyễn, Văn Đức", "s105": "王, 小明", "s106": "김, 민준"}
# as the sheets print them: Canvas's "Last, First" turned round, a CJK name family name first, unspaced
SHOWN = {"s101": "Ada Lovelace", "s102": "Анна Иванова", "s103": "Νίκος Παπαδόπουλος",
         "s104": "Văn Đức Nguyễn", "s105": "王小明", "s106": "김민준"}


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output + (getattr(result, "stderr", "") or "")


def rows_of(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def fill_with_key(template, answers_json, out):
    """The responses template with every answer the key's printed value (answers.json 'shown')."""
    doc = json.loads(answers_json.read_text(encoding="utf-8"))
    shown = {v["id"]: {n: a["shown"] for n, a in v["answers"].items()} for v in doc["variants"]}
    text = template.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in reader:
        row = list(row)
        for i, column in enumerate(header):
            if column in shown[row[0]]:
                assert row[i] == ""                       # the template leaves every answer blank
                row[i] = shown[row[0]][column]
        w.writerow(row)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


def text_of(pdf):
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def homework(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("form")
    roster = tmp / "canvas.csv"
    roster.write_text(CANVAS, encoding="utf-8")
    code, out = cli("homework", HW, "--students", roster, "--seed", SEED, "-o", tmp / "out", "--key", "none")
    return tmp, roster, code, out


@needs_tex
def test_the_template_has_a_row_per_student_and_a_column_per_asked_value(homework):
    tmp, roster, code, out = homework
    assert code == 0, out
    rows = rows_of(tmp / "out" / "responses-template.csv")
    answers = json.loads((tmp / "out" / "answers.json").read_text(encoding="utf-8"))
    names = [a["name"] for a in answers["answers"]]
    header = (tmp / "out" / "responses-template.csv").read_text(encoding="utf-8").splitlines()[0]
    assert next(csv.reader([header])) == ["variant", "student", "SIS User ID", "SIS Login ID", "ID"] + names
    assert len(rows) == 6                               # the test student has none
    assert [r["variant"] for r in rows] == [v["id"] for v in answers["variants"]]
    assert {r["SIS User ID"]: r["student"] for r in rows} == {**SHOWN, "s106": "s106"}
    assert all(r[n] == "" for r in rows for n in names)


@needs_tex
def test_the_template_filled_with_the_key_grades_to_full_marks(homework):
    tmp, roster, _, _ = homework
    filled = fill_with_key(tmp / "out" / "responses-template.csv", tmp / "out" / "answers.json",
                           tmp / "filled.csv")
    code, out = cli("grade", HW, "--responses", filled, "--seed", SEED, "--students", roster, "-o", tmp / "marks")
    assert code == 0, out
    marks = rows_of(tmp / "marks" / "marks.csv")
    assert len(marks) == 6
    assert all(float(m["total"]) == float(m["max"]) > 0 for m in marks)


@needs_tex
def test_the_question_sheet_says_what_to_hand_in(homework):
    tmp, _, _, _ = homework
    answers = json.loads((tmp / "out" / "answers.json").read_text(encoding="utf-8"))
    for v in answers["variants"][:2]:
        text = text_of(tmp / "out" / f"{v['id']}-question.pdf")
        assert "What to hand in" in text
        flat = re.sub(r"\s+", "", text)
        for name in v["answers"]:
            assert name in flat, name
        assert "4 decimals" in text and v["id"] in flat
    from tests.legibility import problems
    assert problems(tmp / "out" / f"{answers['variants'][0]['id']}-question.pdf") == []
    # the solution does not ask
    assert "What to hand in" not in text_of(tmp / "out" / f"{answers['variants'][0]['id']}-solution.pdf")


@needs_tex
def test_every_name_is_printed_in_its_own_script_or_a_warning_names_the_student(homework):
    from generator.latex import available_scripts
    tmp, _, _, out = homework
    scripts = available_scripts()
    files = {p.name for p in (tmp / "out").iterdir()}
    for ident, name, enc in (("anna-ivanova", "Анна Иванова", "T2A"),
                             ("nikos-papadopoulos", "Νίκος Παπαδόπουλος", "LGR"),
                             ("van-duc-nguyen", "Văn Đức Nguyễn", "T5")):
        assert f"{ident}-question.pdf" in files           # the file name is transliterated ASCII
        if enc in scripts:
            assert name in text_of(tmp / "out" / f"{ident}-question.pdf")
        else:
            assert name in out and "cannot be printed" in out
    assert {"T2A", "LGR"} <= set(scripts), "scripts/setup.sh installs Cyrillic and Greek"
    # Chinese: printed when the fonts are installed, else a warning names the student
    if "CJK" in scripts:
        assert re.sub(r"\s+", "", "王小明") in re.sub(r"\s+", "", text_of(tmp / "out" / "s105-question.pdf"))
    else:
        assert "王, 小明" in out and "cannot be printed" in out
    # Korean: no font here; the sheet shows the id, and a warning says so naming the student
    assert "김민준" in out and "cannot be printed" in out and "s106" in out
    assert "s106" in text_of(tmp / "out" / "s106-question.pdf")


@needs_tex
def test_canvas_test_student_gets_no_homework_and_a_warning(homework):
    tmp, _, _, out = homework
    assert "Student, Test" in out and "test student" in out and "skipped" in out
    rows = rows_of(tmp / "out" / "responses-template.csv")
    assert not any("test" in r["student"].casefold() for r in rows)
    assert not any(p.name.startswith("student-test") or p.name.startswith("test") for p in (tmp / "out").iterdir())


def test_a_class_of_120_gets_a_template_that_grades_to_full_marks(tmp_path):
    """The template alone (no PDFs): 120 rows, filled with the key, 'dryrun grade' gives everyone
    full marks."""
    from generator.homework import Batch, answers_files, draw, plan_variants, read_roster, responses_template
    from generator.spec import load_spec
    roster = tmp_path / "moodle.csv"
    roster.write_text("First name,Last name,ID number,Email address\n"
                      + "".join(f"Student{i},Number {i},{1000 + i},s{i}@uni.edu\n" for i in range(120)),
                      encoding="utf-8")
    students = read_roster(roster)
    batch = draw(load_spec(HW), plan_variants(None, students), SEED)
    assert len(batch.variants) == 120 and not batch.failed
    template = tmp_path / "responses-template.csv"
    template.write_bytes(responses_template(batch, students))
    answers = tmp_path / "answers.json"
    answers.write_bytes(answers_files(Batch(batch.variants), load_spec(HW), SEED, students)[1])
    rows = rows_of(template)
    assert len(rows) == 120
    names = [a["name"] for a in json.loads(answers.read_text(encoding="utf-8"))["answers"]]
    assert list(rows[0]) == ["variant", "student", "ID number", "Email address"] + names
    assert rows[7]["ID number"] == "1007" and rows[7]["student"] == "Student7 Number 7"
    filled = fill_with_key(template, answers, tmp_path / "filled.csv")
    code, out = cli("grade", HW, "--responses", filled, "--seed", SEED, "--students", roster, "-o", tmp_path / "marks")
    assert code == 0, out
    marks = rows_of(tmp_path / "marks" / "marks.csv")
    assert len(marks) == 120 and all(float(m["total"]) == float(m["max"]) > 0 for m in marks)


def test_a_plain_question_sheet_asks_only_when_the_spec_declares_answers():
    from generator.render import render
    from generator.solve import solve
    from generator.spec import load_spec
    plain = load_spec(SPECS / "seed000.yaml")
    assert "What to hand in" not in render(plain, solve(plain), "question")
    assert "What to hand in" in render(plain, solve(plain), "question", handin=True)
    declared = load_spec(SPECS / "attention.yaml")            # declares answers:
    tex = render(declared, solve(declared), "question")
    assert "What to hand in" in tex and "What to hand in" not in render(declared, solve(declared), "solution")


def test_names_in_other_scripts_are_escaped_in_their_fonts():
    from generator.latex import available_scripts, escape_latex, untypesettable
    scripts = available_scripts()
    if "T2A" in scripts:
        assert escape_latex("Анна Иванова") == r"\dryrunscript{T2A}{Анна Иванова}"
    if "LGR" in scripts:
        assert escape_latex("Νίκος Παπαδόπουλος") == r"\dryrunscript{LGR}{Νίκος Παπαδόπουλος}"
    assert escape_latex("σ(z), η") == r"$\sigma$(z), $\eta$"          # a single Greek letter: a symbol
    assert escape_latex("Zoë & Co_1") == r"Zoë \& Co\_1"
    assert untypesettable("김민준") == "김"


def test_a_name_that_cannot_be_printed_is_named_in_a_note():
    from generator.roster import parse_roster, slug
    students = parse_roster("ID number,Name\n7,김민준\n8,Анна Иванова\n")
    assert students[0].name == "7"
    assert any("김민준" in n and "'7'" in n for n in students.notes)
    assert slug("Анна Иванова") == "anna-ivanova" and slug("Νίκος Παπαδόπουλος") == "nikos-papadopoulos"
