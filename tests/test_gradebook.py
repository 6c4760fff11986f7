"""The LMS round trip of 'dryrun grade': Moodle and Canvas quiz-response exports read as they come,
gradebook import files written, and the instructor's overrides.

Where each column layout comes from:
- Moodle "Responses" report download (mod/quiz/report/responses/report.php and
  last_responses_table.php in moodle/moodle): the user columns, the identity fields the site shows
  ("ID number", "Email address"), "State", "Started on", "Completed", "Time taken", "Grade/<max>", then
  "Response <question number>" (lang string responsex 'Response {$a}'); a slot without a response is
  '-' (data_col); a cloze (qtype_multianswer) response is summarise_response: the parts joined by
  '; ', each 'part {$a->i}: {$a->response}' (lang string subqresponse).
- Canvas quiz "Student Analysis" (app/models/quizzes/quiz_statistics/student_analysis.rb, to_csv, in
  instructure/canvas-lms): name, id, sis_id, section, section_id, section_sis_id, submitted, [attempt],
  then per question "<id>: <question text, tags stripped>" and a column headed by its points possible,
  then "n correct", "n incorrect", "score"; a numerical answer is the text the student entered.
- Canvas gradebook import (lib/gradebook_importer.rb in instructure/canvas-lms): a header whose first
  cell has "Student" and second "ID", then "SIS User ID", "SIS Login ID", the student columns ending
  with "Section", then assignments "Name (id)"; a row starting "Points Possible" is not a student.
- Moodle grade import (grade/import/csv/classes/load_data.php in moodle/moodle): a column mapped to a
  user field (id, idnumber, email, username), columns mapped to grade items or their feedback; a
  grade '' or '-' is no grade; a row without a known user stops the import.
"""

import csv
import html
import io
import json
import re
import zipfile

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import SPECS

SEED = "4"


def _spec_text():
    text = (SPECS / "seed003.yaml").read_text().replace("iterations: 2", "iterations: 1")
    return text + "answers: [losses, gradients, parameters]\n"


MOODLE_ROSTER = ("First name,Surname,ID number,Email address\n"
                 "Zoë,Müller,s100,zoe@uni.example\n"
                 "Pat,O’Brien,s101,pat@uni.example\n"
                 "Kim,Lee,s102,kim@uni.example\n")

# Canvas's gradebook export: the roster of a Canvas course (with its "Points Possible" row)
CANVAS_ROSTER = ('Student,ID,SIS User ID,SIS Login ID,Section,Training by Hand (4242),Current Score\n'
                 '    Points Possible,,,,,24,(read only)\n'
                 '"Müller, Zoë",9001,s100,zoe@uni.example,NN 2025 A,,\n'
                 '"O’Brien, Pat",9002,s101,pat@uni.example,NN 2025 A,,\n'
                 '"Lee, Kim",9003,s102,kim@uni.example,NN 2025 B,,\n')


@pytest.fixture(scope="module")
def hw(tmp_path_factory):
    """One homework for three students, with both LMS files."""
    d = tmp_path_factory.mktemp("gb")
    (d / "hw.yaml").write_text(_spec_text())
    (d / "moodle-roster.csv").write_text(MOODLE_ROSTER)
    (d / "canvas-roster.csv").write_text(CANVAS_ROSTER)
    r = CliRunner().invoke(main, ["homework", str(d / "hw.yaml"), "--students", str(d / "moodle-roster.csv"),
                                  "--seed", SEED, "-o", str(d / "hw"), "--lms", "moodle", "--lms", "canvas",
                                  "--key", "none"])
    assert r.exit_code == 0, r.output
    key = json.loads((d / "hw" / "answers.json").read_text())
    return d, {v["id"]: v for v in key["variants"]}


def _grade(d, responses, roster="moodle-roster.csv", *extra, out="marks"):
    files = responses if isinstance(responses, list) else [responses]
    args = ["grade", str(d / "hw.yaml"), "--students", str(d / roster), "--seed", SEED, "-o", str(d / out)]
    for f in files:
        args += ["--responses", str(f)]
    return CliRunner().invoke(main, args + list(extra))


def _marks(d, out="marks"):
    return {r["variant"]: r for r in csv.DictReader(io.StringIO((d / out / "marks.csv").read_text()))}


def _cloze(v, fmt=lambda s: s):
    return "; ".join(f"part {i}: {fmt(a['shown'])}" for i, a in enumerate(v["answers"].values(), 1))


def _moodle_export(key, pat_text=None):
    """A Moodle Responses report as downloaded: Zoë right, Pat with decimal commas (and an unfinished
    earlier attempt), Kim without an attempt ('-')."""
    b = io.StringIO()
    w = csv.writer(b, lineterminator="\n")
    w.writerow(["Surname", "First name", "ID number", "Email address", "State", "Started on", "Completed",
                "Time taken", "Grade/24.00", "Response 1"])
    w.writerow(["Müller", "Zoë", "s100", "zoe@uni.example", "Finished", "3 March 2025  10:01 AM",
                "3 March 2025  10:41 AM", "40 mins 2 secs", "24.00", _cloze(key["zoe-muller"])])
    w.writerow(["O’Brien", "Pat", "s101", "pat@uni.example", "In progress", "2 March 2025  9:00 AM", "-", "-",
                "-", "part 1: 0.1; " + "; ".join(f"part {i}: " for i in range(2, 25))])
    w.writerow(["O’Brien", "Pat", "s101", "pat@uni.example", "Finished", "3 March 2025  10:02 AM",
                "3 March 2025  10:50 AM", "48 mins", "24.00",
                pat_text or _cloze(key["pat-o-brien"], lambda s: s.replace(".", ","))])
    w.writerow(["Lee", "Kim", "s102", "kim@uni.example", "-", "-", "-", "-", "-", "-"])
    return b.getvalue()


def _items(d):
    """Per variant number: the (title, text without tags) of each item of its Canvas quiz."""
    out = {}
    with zipfile.ZipFile(d / "hw" / "canvas.zip") as z:
        for name in z.namelist():
            if not name.endswith(".xml") or name == "imsmanifest.xml":
                continue
            xml = z.read(name).decode()
            k = int(re.search(r"_v(\d+)\.xml$", name).group(1))
            items = re.findall(r'<item ident="[^"]*" title="([^"]*)">.*?<mattext texttype="text/html">(.*?)</mattext>',
                               xml, re.S)
            # the HTML is XML character data; Canvas shows the question text with its tags stripped
            out[k] = [(html.unescape(t), re.sub(r"<[^>]+>", " ", html.unescape(text))) for t, text in items]
    return out


def _canvas_export(d, key, number, who, give=True):
    """A Canvas Student Analysis of one variant's quiz, answered as the key says."""
    items = _items(d)[number]
    b = io.StringIO()
    w = csv.writer(b, lineterminator="\n")
    head = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted", "attempt"]
    for qid, (_, text) in enumerate(items, start=501):
        text = " ".join(text.split()) if give else re.sub(r"Give .*$", "", " ".join(text.split()))
        head += [f"{qid}: {text}", "1.0"]
    w.writerow(head + ["n correct", "n incorrect", "score"])
    for name, cid, sis, ident in who:
        shown = [a["shown"] for a in key[ident]["answers"].values()]
        row = [name, cid, sis, "NN 2025 A", "77", "", "2025-03-03 10:41:07 UTC", "1"]
        for s in shown:
            row += [s, "1.0"]
        w.writerow(row + [len(shown), 0, float(len(shown))])
    return b.getvalue()


def test_detect_format():
    from generator.gradebook import detect_format
    assert detect_format(["Surname", "First name", "Email address", "State", "Response 1"]) == "moodle"
    assert detect_format(["name", "id", "section", "submitted", "12: What is 1+1?", "1.0", "n correct",
                          "n incorrect", "score"]) == "canvas"
    assert detect_format(["variant", "it1.loss"]) == "dryrun"


def test_cloze_parts():
    from generator.gradebook import cloze_parts
    assert cloze_parts("part 1: 0.1269; part 2: 0,1159; part 3: ") == {1: "0.1269", 2: "0,1159", 3: ""}
    assert cloze_parts("partie 1 : 0,5; partie 2 : 7") == {1: "0,5", 2: "7"}
    assert cloze_parts("-") is None and cloze_parts("") is None


def test_moodle_export_as_it_comes(hw):
    d, key = hw
    (d / "moodle.csv").write_text(_moodle_export(key), encoding="utf-8")
    r = _grade(d, d / "moodle.csv")
    assert r.exit_code == 0, r.output
    marks = _marks(d)
    n = len(key["zoe-muller"]["answers"])
    assert marks["zoe-muller"]["total"] == str(n)
    assert marks["pat-o-brien"]["total"] == str(len(key["pat-o-brien"]["answers"]))   # decimal commas
    assert marks["kim-lee"]["total"] == "0"
    assert all(v == "missing" for k, v in marks["kim-lee"].items() if k.endswith("(status)"))
    # Moodle's grade import: one identifying column, one grade item and its feedback
    rows = list(csv.reader(io.StringIO((d / "marks" / "moodle-grades.csv").read_text())))
    assert rows[0] == ["ID number", "Full name", "Training by Hand", "Feedback: Training by Hand"]
    got = {r[0]: r for r in rows[1:]}
    assert set(got) == {"s100", "s101", "s102"}                  # every row names a user Moodle knows
    assert got["s100"][2] == str(n) and got["s102"][2] == "0"
    assert all(float(r[2].replace(",", ".")) >= 0 for r in rows[1:])
    assert "canvas-grades.csv not written" in r.output and "SIS User ID" in r.output


def test_moodle_parts_that_do_not_fit_are_refused(hw):
    d, key = hw
    (d / "bad.csv").write_text(_moodle_export(key, pat_text="part 1: 0.5; part 2: 0.7"))
    r = _grade(d, d / "bad.csv", out="bad")
    # the row is listed like an unmatched one (exit 1), everyone else graded (docs/homework.md)
    assert r.exit_code == 1
    assert "line 4" in r.output and "2 part(s)" in r.output and "24 answers" in r.output
    assert "pat-o-brien" not in _marks(d, "bad") and (d / "bad" / "unmatched.csv").is_file()


def test_canvas_student_analysis_as_it_comes(hw):
    d, key = hw
    ans = json.loads((d / "hw" / "answers.json").read_text())
    number = {v["id"]: v["index"] for v in ans["variants"]}
    files = []
    for ident, who in (("zoe-muller", ("Zoë Müller", "9001", "s100")),
                       ("pat-o-brien", ("Pat O’Brien", "9002", "s101"))):
        f = d / f"{ident} Student Analysis Report.csv"
        f.write_text(_canvas_export(d, key, number[ident], [(*who, ident)]), encoding="utf-8")
        files.append(f)
    r = _grade(d, files, "canvas-roster.csv", out="cmarks")
    assert r.exit_code == 0, r.output
    marks = _marks(d, "cmarks")
    # the same students (the same roster ids, so the same numbers); "Last, First" read as on Moodle
    assert set(marks) == {"zoe-muller", "pat-o-brien"}
    assert all(m["total"] == m["max"] for m in marks.values())
    # Canvas's gradebook import, read back as Canvas's importer reads it
    rows = list(csv.reader(io.StringIO((d / "cmarks" / "canvas-grades.csv").read_text())))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert "Student" in rows[0][0] and "ID" in rows[0][1] and "Section" in rows[0][4]
    assert rows[0][5] == "Training by Hand (4242)"           # the roster's assignment column, with its id
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "24"
    got = {r[1]: r for r in rows[2:]}
    assert got["9001"][:5] == ["Müller, Zoë", "9001", "s100", "zoe@uni.example", "NN 2025 A"]
    assert got["9001"][5] == "24" and got["9002"][5] == "24"
    assert "9003" not in got                                   # Kim answered nothing here: not graded
    # a Canvas roster has no column Moodle identifies users by: said, not guessed
    assert "moodle-grades.csv not written" in r.output and "ID number" in r.output
    assert not (d / "cmarks" / "moodle-grades.csv").exists()


def test_canvas_items_mapped_by_order_without_labels(hw):
    d, key = hw
    ans = json.loads((d / "hw" / "answers.json").read_text())
    k = next(v["index"] for v in ans["variants"] if v["id"] == "kim-lee")
    f = d / "kim.csv"
    f.write_text(_canvas_export(d, key, k, [("Kim Lee", "9003", "s102", "kim-lee")], give=False))
    r = _grade(d, f, "canvas-roster.csv", out="kmarks")
    assert r.exit_code == 0, r.output
    m = _marks(d, "kmarks")["kim-lee"]
    assert m["total"] == m["max"]


def test_round_trip_from_the_key(hw):
    """homework -> responses built from answers.json in each LMS format -> grade -> full marks."""
    d, key = hw
    (d / "rt-moodle.csv").write_text(
        "Surname,First name,ID number,Email address,State,Started on,Completed,Time taken,Grade/24.00,Response 1\n"
        + "".join(f'{last},{first},{sid},{mail},Finished,x,x,x,24.00,"{_cloze(key[ident])}"\n'
                  for last, first, sid, mail, ident in (("Müller", "Zoë", "s100", "zoe@uni.example", "zoe-muller"),
                                                        ("O’Brien", "Pat", "s101", "pat@uni.example", "pat-o-brien"),
                                                        ("Lee", "Kim", "s102", "kim@uni.example", "kim-lee"))))
    r = _grade(d, d / "rt-moodle.csv", out="rt1")
    assert r.exit_code == 0, r.output
    assert all(m["total"] == m["max"] for m in _marks(d, "rt1").values())
    ans = json.loads((d / "hw" / "answers.json").read_text())
    files = []
    for v, who in zip(ans["variants"], (("Zoë Müller", "9001", "s100"), ("Pat O’Brien", "9002", "s101"),
                                        ("Kim Lee", "9003", "s102"))):
        f = d / f"rt-canvas-{v['index']}.csv"
        f.write_text(_canvas_export(d, key, v["index"], [(*who, v["id"])]))
        files.append(f)
    r = _grade(d, files, "canvas-roster.csv", out="rt2")
    assert r.exit_code == 0, r.output
    marks = _marks(d, "rt2")
    assert len(marks) == 3 and all(m["total"] == m["max"] for m in marks.values())


def test_overrides_change_exactly_their_marks(hw):
    d, key = hw
    zoe, pat = key["zoe-muller"]["answers"], key["pat-o-brien"]["answers"]
    names = list(zoe)
    wrong_z, wrong_p = names[-1], names[1]           # final.loss for Zoë, a gradient for Pat
    alt = round(float(zoe[wrong_z]["value"]) + 0.3, 4)
    lines = ["Surname,First name,ID number,Email address,State,Response 1"]
    z = [a["shown"] for a in zoe.values()]
    z[-1] = f"{alt:.4f}"
    p = [a["shown"] for a in pat.values()]
    p[1] = "7.7"
    for last, first, sid, vals in (("Müller", "Zoë", "s100", z), ("O’Brien", "Pat", "s101", p)):
        lines.append(f'{last},{first},{sid},x@y,Finished,"' +
                     "; ".join(f"part {i}: {s}" for i, s in enumerate(vals, 1)) + '"')
    (d / "ov.csv").write_text("\n".join(lines) + "\n")
    r = _grade(d, d / "ov.csv", out="ov0")
    assert r.exit_code == 0, r.output
    before = _marks(d, "ov0")
    assert before["zoe-muller"][f"{wrong_z} (status)"] != "correct"
    (d / "ov.yaml").write_text(
        f"accept:\n  {wrong_z}: [{alt}]\n"
        f"drop: [{names[0]}]\n"
        "set:\n"
        f"  - {{student: s101, answer: '{wrong_p}', points: 1, reason: the sheet's table was misprinted}}\n")
    r = _grade(d, d / "ov.csv", "moodle-roster.csv", "--overrides", str(d / "ov.yaml"), out="ov1")
    assert r.exit_code == 0, r.output
    after = _marks(d, "ov1")
    changed = lambda who: {n for n in names[1:] if before[who][n] != after[who][n]}
    assert changed("zoe-muller") == {wrong_z} and after["zoe-muller"][wrong_z] == "1"
    assert changed("pat-o-brien") == {wrong_p} and after["pat-o-brien"][wrong_p] == "1"
    assert names[0] not in after["zoe-muller"]                 # dropped: no column, not counted
    for who in after:
        assert float(after[who]["total"]) == float(before[who]["total"]) - float(before[who][names[0]]) + \
            sum(float(after[who][n]) - float(before[who][n]) for n in names[1:])
        assert after[who]["max"] == str(len(names) - 1)
    assert "accepted" in after["zoe-muller"]["overrides"] and "dropped" in after["zoe-muller"]["overrides"]
    assert "misprinted" in after["pat-o-brien"]["overrides"]
    fb = (d / "ov1" / "feedback" / "pat-o-brien.txt").read_text()
    assert "Changed by the instructor" in fb and "misprinted" in fb and names[0] in fb
    # a total set for one student; nobody else's marks change
    (d / "ov2.yaml").write_text("set:\n  - {student: Zoë Müller, total: 3, reason: re-marked on paper}\n")
    r = _grade(d, d / "ov.csv", "moodle-roster.csv", "--overrides", str(d / "ov2.yaml"), out="ov2")
    assert r.exit_code == 0, r.output
    m2 = _marks(d, "ov2")
    assert m2["zoe-muller"]["total"] == "3" and m2["pat-o-brien"] == {**before["pat-o-brien"], "overrides": ""}
    grades = {row[0]: row for row in csv.reader(io.StringIO((d / "ov2" / "moodle-grades.csv").read_text()))}
    assert grades["s100"][2] == "3" and "re-marked" in grades["s100"][3]


@pytest.mark.parametrize("text, field", [
    ("accept: [1, 2]\n", "accept"),
    ("acept: {it1.loss: [1]}\n", "acept"),
    ("accept: {it1.loss: [abc]}\n", "accept.it1.loss[1]"),
    ("accept: {it9.loss: [0.5]}\n", "accept.it9.loss"),
    ("drop: it1.loss\n", "drop"),
    ("drop: [it1.los]\n", "drop[1]"),
    ("set: [{student: s100, points: 1}]\n", "set[1]"),
    ("set: [{student: s100, answer: it1.loss, points: 2}]\n", "set[1].points"),
    ("set: [{student: nobody, total: 3}]\n", "set[1].student"),
    ("set: [{student: s100, total: 3, colour: red}]\n", "set[1].colour"),
    ("accept: {it1.loss: [1]\n", "line"),
])
def test_malformed_overrides_one_line_exit_2(hw, text, field):
    d, key = hw
    (d / "ok.csv").write_text(_moodle_export(key))
    (d / "bad.yaml").write_text(text)
    r = _grade(d, d / "ok.csv", "moodle-roster.csv", "--overrides", str(d / "bad.yaml"), out="badov")
    assert r.exit_code == 2, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("dryrun: error:")]
    assert len(errors) == 1 and "bad.yaml" in errors[0] and field in errors[0], r.output
