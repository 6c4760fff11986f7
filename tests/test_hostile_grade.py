"""Hostile and messy classroom input for 'dryrun grade' and rosters (issue 18, hardening III): one
student's absurd answer, foreign digits, formulas in names, repeated columns, semicolon and tab files,
ids from another column of the roster, rosters as LMS exports write them in other locales, rows without
a name and control characters in names.  Grading never stops for one student."""

import csv
import io

import pytest
from click.testing import CliRunner

from generator import homework as hw
from generator.cli import main
from generator.errors import SpecError
from generator.grade import match_rows, parse_number, read_responses
from generator.roster import parse_roster
from generator.spec import load_spec
from tests.conftest import SPECS
from tests.test_grade import spec_text

# Moodle's participants export (Participants → Download table data as CSV), every cell quoted
MOODLE = ('"First name","Last name","ID number","Email address"\n'
          '"Zoë","Müller","s100","zoe@uni.edu"\n'
          '"Pat","O\'Brien","s101","pat@uni.edu"\n'
          '"Ada","Lovelace","s102","ada@uni.edu"\n')
# Canvas's gradebook export, with its "Points Possible" row
CANVAS = ("Student,ID,SIS User ID,SIS Login ID,Section\n"
          "    Points Possible,,,,\n"
          "\"Müller, Zoë\",17,s100,zoe,A\n"
          "\"O'Brien, Pat\",18,s101,pat,A\n")


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def homework(tmp_path, roster_text, spec_path=None, seed=1):
    """The spec, the roster file and, per student, their variant's correct answers {ident: {name: shown}}."""
    spec = spec_path
    if spec is None:
        spec = tmp_path / "hw.yaml"
        spec.write_text(spec_text(), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text, encoding="utf-8")
    batch = hw.draw(load_spec(spec), hw.plan_variants(None, parse_roster(roster_text)), seed)
    assert not batch.failed
    key = {v.ident: {a.name: a.shown for a in hw.variant_answers(v)} for v in batch.variants}
    return spec, roster, key


def write_responses(path, header, rows, delimiter=","):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def marks_of(out):
    return {r["variant"]: r for r in csv.DictReader(io.StringIO((out / "marks.csv").read_text(encoding="utf-8")))}


# ---------------------------------------------------------------- one student never stops the class

def test_an_absurd_parameter_is_wrong_and_the_class_is_graded(tmp_path):
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    param = "final.W2[1,1]"
    assert param in names and "final.loss" in names
    zoe = dict(key["zoe-muller"], **{param: "1e20"})              # the training diverges from it
    pat = dict(key["pat-o-brien"], **{"final.W1[1,1]": "12345"})
    ada = key["ada-lovelace"]
    # the responses name students by email: the roster's first id column is 'ID number'
    responses = write_responses(tmp_path / "r.csv", ["Email address"] + names, [
        ["zoe@uni.edu"] + [zoe[n] for n in names],
        ["pat@uni.edu"] + [pat[n] for n in names],
        ["ada@uni.edu"] + [ada[n] for n in names],
        ["nobody@uni.edu"] + [ada[n] for n in names],
    ])
    out = tmp_path / "marks"
    code, stdout, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses, "-o", out)
    assert code == 1, stderr                                     # graded, but a row matched nobody
    assert "Traceback" not in stderr and "diverges" not in stderr
    marks = marks_of(out)
    assert sorted(marks) == ["ada-lovelace", "pat-o-brien", "zoe-muller"]
    assert marks["zoe-muller"][f"{param} (status)"] == "wrong"
    assert marks["pat-o-brien"]["final.W1[1,1] (status)"] == "wrong"
    for ident in marks:                                          # every other answer is marked normally
        others = [n for n in names if n not in (param, "final.W1[1,1]")]
        assert all(marks[ident][f"{n} (status)"] == "correct" for n in others), ident
    assert float(marks["zoe-muller"]["total"]) == len(names) - 1
    assert float(marks["ada-lovelace"]["total"]) == len(names)
    assert marks["zoe-muller"]["id"] == "s100"
    feedback = (out / "feedback" / "zoe-muller.txt").read_text(encoding="utf-8")
    assert f"The first step to look at: {param}" in feedback and "impossible to compute on" in feedback
    # the row that matched nobody: a warning naming its line, and a file
    assert "line 5: no student or variant 'nobody@uni.edu'" in stderr and "unmatched.csv" in stderr
    unmatched = list(csv.DictReader(io.StringIO((out / "unmatched.csv").read_text(encoding="utf-8"))))
    assert [(r["line"], r["who"]) for r in unmatched] == [("5", "nobody@uni.edu")]


def test_a_divergent_gradient_still_lets_later_answers_follow(tmp_path):
    """A gradient of 1e20 cannot be carried forward; the student's other values still are."""
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    zoe = dict(key["zoe-muller"], **{"it1.dW2[1,1]": "1e20"})
    responses = write_responses(tmp_path / "r.csv", ["ID number"] + names, [["s100"] + [zoe[n] for n in names]])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 0, stderr
    row = marks_of(tmp_path / "m")["zoe-muller"]
    assert row["it1.dW2[1,1] (status)"] == "wrong"
    assert float(row["total"]) == len(names) - 1


def test_numbers_beyond_any_range_are_wrong_not_fatal(tmp_path):
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    hostile = ["1e999999999", "-1e-999999999", "9" * 3000, "0e0", "-0", "1e15", "12345", "-12345.6789"]
    zoe = dict(key["zoe-muller"])
    for n, value in zip(names, hostile):
        zoe[n] = value
    responses = write_responses(tmp_path / "r.csv", ["ID number"] + names, [["s100"] + [zoe[n] for n in names]])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 0, stderr
    row = marks_of(tmp_path / "m")["zoe-muller"]
    assert all(row[f"{n} (status)"] in ("wrong", "consistent", "correct") for n in names)
    assert all(row[f"{n} (status)"] == "correct" for n in names[len(hostile):])


def test_when_no_row_matches_nothing_is_written_and_the_exit_is_2(tmp_path):
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    responses = write_responses(tmp_path / "r.csv", ["ID number"] + names,
                                [["s999"] + list(key["zoe-muller"].values())])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 2 and "no row matches a student" in stderr and "s999" in stderr
    assert len(stderr.strip().splitlines()) == 1 and not (tmp_path / "m" / "marks.csv").exists()


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("text", ["1\u0665", "\u0661\u0665", "\uff11\uff15", "1\u09eb", "0.\u0665", "1e\u0665",
                                  "\U0001d7cf\U0001d7d3"])
def test_only_ascii_digits_are_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text,value", [("15", "15"), ("0,25", "0.25"), ("\u22120.5", "-0.5"), (" -1.5e-3 ", "-0.0015"),
                                        ("+.5", "0.5")])
def test_the_usual_numbers_are_still_read(text, value):
    from decimal import Decimal
    assert parse_number(text) == Decimal(value)


def test_an_arabic_indic_digit_is_unreadable_in_the_marks(tmp_path):
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    zoe = dict(key["zoe-muller"], **{"final.loss": "1\u0665"})
    responses = write_responses(tmp_path / "r.csv", ["ID number"] + names, [["s100"] + [zoe[n] for n in names]])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 0, stderr
    assert marks_of(tmp_path / "m")["zoe-muller"]["final.loss (status)"] == "unreadable"


# ---------------------------------------------------------------- marks.csv in a spreadsheet

def test_marks_csv_cells_are_never_formulas(tmp_path):
    roster_text = ('"First name","Last name","ID number","Email address"\n'
                   '"=HYPERLINK(""http://evil.example"",""Zoë"")","Müller","@SUM(1)","zoe@uni.edu"\n'
                   '"Pat","O\'Brien","+s101","pat@uni.edu"\n')
    spec, roster, key = homework(tmp_path, roster_text)
    idents = sorted(key)
    names = list(key[idents[0]])
    responses = write_responses(tmp_path / "r.csv", ["Email address"] + names,
                                [[f"{who}@uni.edu"] + [key[i][n] for n in names]
                                 for who, i in zip(("pat", "zoe"), idents)])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 0, stderr
    for row in csv.reader(io.StringIO((tmp_path / "m" / "marks.csv").read_text(encoding="utf-8"))):
        for cell in row:
            assert cell[:1] not in ("=", "+", "@", "\t", "\r"), row
            if cell.startswith("-"):
                float(cell)                                    # only a plain negative number
    marks = marks_of(tmp_path / "m")
    assert {r["id"] for r in marks.values()} == {"'@SUM(1)", "'+s101"}
    assert any(r["student"].startswith("'=HYPERLINK") for r in marks.values())


# ---------------------------------------------------------------- responses files

def test_a_repeated_answer_column_is_refused_by_name(tmp_path):
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    zoe = key["zoe-muller"]
    responses = write_responses(tmp_path / "r.csv", ["ID number"] + names + ["final.loss"],
                                [["s100"] + [zoe[n] for n in names] + ["0.9999"]])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 2 and "the column 'final.loss' appears twice" in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert not (tmp_path / "m" / "marks.csv").exists()
    responses = write_responses(tmp_path / "r.csv", ["Email address"] + names + ["email address"],
                                [["zoe@uni.edu"] + [zoe[n] for n in names] + ["pat@uni.edu"]])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 2 and "the column 'email address' appears twice" in stderr


def test_a_repeated_column_that_is_no_answer_is_only_ignored(tmp_path):
    """A quiz export repeats columns such as 'score' per question: not an answer, not refused."""
    spec, roster, key = homework(tmp_path, MOODLE)
    names = list(key["zoe-muller"])
    zoe = key["zoe-muller"]
    responses = write_responses(tmp_path / "r.csv", ["ID number", "score"] + names + ["score"],
                                [["s100", "1"] + [zoe[n] for n in names] + ["2"]])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 0, stderr
    assert float(marks_of(tmp_path / "m")["zoe-muller"]["total"]) == len(names)


def test_semicolon_and_tab_headers_with_commas_in_column_names():
    for delimiter in (";", "\t"):
        text = delimiter.join(["variant", "output[1,1]", "output[1,2]", "grad.W_q[2,1]"]) + "\n" + \
            delimiter.join(["v01", "0,5", "1,25", "-0,125"]) + "\n"
        rows = read_responses(text)
        assert rows.header == ["variant", "output[1,1]", "output[1,2]", "grad.W_q[2,1]"]
        assert rows[0][0] == {"variant": "v01", "output[1,1]": "0,5", "output[1,2]": "1,25", "grad.W_q[2,1]": "-0,125"}
    rows = read_responses('variant,"output[1,1]","output[1,2]"\nv01,0.5,1.25\n')       # commas still work
    assert rows.header == ["variant", "output[1,1]", "output[1,2]"] and rows[0][0]["output[1,2]"] == "1.25"


@pytest.mark.parametrize("spec_name", ["cnn.yaml", "attention.yaml"])
@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_responses_of_a_cnn_or_attention_homework_are_graded(tmp_path, spec_name, delimiter):
    spec = SPECS / spec_name
    batch = hw.draw(load_spec(spec), hw.plan_variants(2, None), 3)
    key = {v.ident: {a.name: a.shown for a in hw.variant_answers(v)} for v in batch.variants}
    names = list(dict.fromkeys(n for answers in key.values() for n in answers))
    assert any("," in n for n in names)
    responses = write_responses(tmp_path / "r.csv", ["variant"] + names,
                                [[i] + [key[i].get(n, "").replace(".", ",") for n in names] for i in key], delimiter)
    code, _, stderr = cli("grade", spec, "-n", 2, "--seed", 3, "--responses", responses, "-o", tmp_path / "m")
    assert code == 0, stderr
    marks = marks_of(tmp_path / "m")
    assert all(float(marks[i]["total"]) == len(key[i]) for i in key)


def test_ids_match_on_every_id_column_of_the_roster():
    planned = hw.plan_variants(None, parse_roster(MOODLE))
    roster = parse_roster(MOODLE)
    rows = read_responses("Email address,final.loss\nPAT@uni.edu,0.3\nzoe@uni.edu,0.2\n")
    got = match_rows(rows, planned, header=rows.header, students=roster)
    assert [v.ident for v, _ in got] == ["pat-o-brien", "zoe-muller"]
    rows = read_responses("ID number;final.loss\ns102;0,3\n")
    assert [v.ident for v, _ in match_rows(rows, planned, header=rows.header, students=roster)] == ["ada-lovelace"]
    canvas = parse_roster(CANVAS)
    planned = hw.plan_variants(None, canvas)
    for column, value in (("SIS Login ID", "zoe"), ("SIS User ID", "s100"), ("ID", "17")):
        rows = read_responses(f"{column},final.loss\n{value},0.3\n")
        assert [v.ident for v, _ in match_rows(rows, planned, header=rows.header, students=canvas)] == ["zoe-muller"]
    rows = read_responses("SIS Login ID,final.loss\nnobody,0.3\n")
    with pytest.raises(SpecError, match="line 2: no student or variant 'nobody'"):
        match_rows(rows, planned, header=rows.header, students=canvas)
    unmatched = []
    assert match_rows(rows, planned, header=rows.header, students=canvas, unmatched=unmatched) == []
    assert unmatched[0][:2] == (2, "nobody")


# ---------------------------------------------------------------- rosters

@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_rosters_are_read_like_comma_ones(delimiter):
    for text in (MOODLE, CANVAS):
        rows = list(csv.reader(io.StringIO(text)))
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
        want, got = parse_roster(text), parse_roster(buf.getvalue())
        assert [(s.key, s.name) for s in got] == [(s.key, s.name) for s in want]
        assert all(s.name not in ("First name", "Student") for s in got)


def test_a_header_of_unknown_columns_is_never_a_student():
    french = "Prénom;Nom;Numéro d'identification;Adresse de courriel\nZoë;Müller;s100;zoe@uni.edu\n"
    with pytest.raises(SpecError, match="line 1 .*names no known column") as err:
        parse_roster(french)
    assert "Prénom" in str(err.value)
    assert [s.name for s in parse_roster("Zoë Müller\nPat O'Brien\n")] == ["Zoë Müller", "Pat O'Brien"]


def test_a_row_with_an_id_and_no_name_is_kept_and_reported():
    text = MOODLE + '"","","s104","kim@uni.edu"\n' + '"","","",""\n'
    students = parse_roster(text)
    assert [(s.key, s.name) for s in students][-1] == ("s104", "s104")
    assert len(students) == 4
    assert students.notes == ["line 5: no name for 's104': the sheet shows the id"]
    canvas = parse_roster(CANVAS + ",19,s105,kim,A\n")
    assert (canvas[-1].key, canvas[-1].name) == ("s105", "s105") and "line 5" in canvas.notes[0]


def test_control_characters_are_dropped_from_roster_fields_and_reported(tmp_path):
    text = ('"First name","Last name","ID number","Email address"\n'
            '"Zo\x00ë","M\x1b[31mül\u202eler","s1\x07\u200f00","zoe@uni.edu"\n'
            '"Pat","O\'Brien","s101","pat@uni.edu"\n')
    students = parse_roster(text)
    assert [(s.key, s.name) for s in students] == [("s100", "Zoë M[31müller"), ("s101", "Pat O'Brien")]
    assert students.notes == ["line 2: control characters removed"]
    batch = hw.draw(load_spec(SPECS / "seed003.yaml"), hw.plan_variants(None, students), 1)
    csv_bytes, json_bytes = hw.answers_files(batch, load_spec(SPECS / "seed003.yaml"), 1, students)
    for data in (csv_bytes, json_bytes):
        assert not any(b < 32 and b not in (9, 10, 13) for b in data)
        assert "\u202e".encode() not in data


def test_roster_notes_reach_the_grade_command_as_warnings(tmp_path):
    spec, roster, key = homework(tmp_path, MOODLE + '"","","s104","kim@uni.edu"\n')
    names = list(key["zoe-muller"])
    responses = write_responses(tmp_path / "r.csv", ["ID number"] + names,
                                [["s100"] + list(key["zoe-muller"].values()), ["s104"] + list(key["s104"].values())])
    code, _, stderr = cli("grade", spec, "--students", roster, "--seed", 1, "--responses", responses,
                          "-o", tmp_path / "m")
    assert code == 0, stderr
    assert "warning" in stderr and "line 5: no name for 's104'" in stderr
    assert sorted(marks_of(tmp_path / "m")) == ["s104", "zoe-muller"]
