"""The instructor's trial of the classroom loop (30 students, /tmp/trial-review): each finding is
reproduced here on its own small roster, and each test fails without its fix (docs/homework.md)."""

import csv
import io
import json
from decimal import Decimal

import numpy as np
import pytest
from click.testing import CliRunner

from generator import grade as gr
from generator import gradebook as gb
from generator import homework as hw
from generator.cli import main
from generator.errors import SpecError
from generator.limits import DEFAULT
from generator.roster import parse_roster, slug
from generator.solve import solve
from generator.spec import load_spec

SPEC = """\
title: "Week 4: a 2-2-1 network by hand"
rounding: {decimals: 4}
network:
  input: [1, 2]
  target: 1
  layers:
    - activation: relu
      weights: [[0.5, -0.5], [1, 0.5]]
      bias: [0.5, 0]
    - activation: sigmoid
      weights: [[1, -0.5]]
      bias: [0]
  loss: bce
  learning_rate: 0.5
  iterations: 1
answers: [losses, gradients, parameters]
randomize:
  values:
    network.input: {integers: [-2, 2], nonzero: true}
    network.layers[0].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}
    network.layers[0].bias: {multiples: 0.5, min: -1, max: 1}
    network.layers[1].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}
    network.target: {choices: [0, 1]}
  constraints:
    - no_dead_relu
    - {sigmoid_output_within: [0.05, 0.95]}
    - loss_decreases
    - nonzero_gradients
  max_attempts: 500
"""
SEED = 7

MOODLE = """"First name","Surname","ID number","Email address"
"Zoë","Müller","S1001","zoe.muller@uni.example"
"José","García Márquez","S1002","jose.garcia@uni.example"
"Pat","O'Brien","S1007","pat.obrien@uni.example"
"Wang","Wei","S1008","wang.wei@uni.example"
"Wei","Wang","S1009","wei.wang@uni.example"
"Nguyễn","Thị Minh Khai","S1010","nguyen@uni.example"
"Søren","Kierkegaard","S1011","soren@uni.example"
"Łukasz","Żółkiewski","S1013","lukasz@uni.example"
"François","L'Écuyer","S1014","francois@uni.example"
"Björk","Guðmundsdóttir","S1019","bjork@uni.example"
"Ahmed","Al-Hassan","S1020","ahmed@uni.example"
"Jörg","Ødegaard","S1028","jorg@uni.example"
"""

CANVAS = """Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
"Müller, Zoë",5001,S1001,zoe.muller@uni.example,ML 101
"García Márquez, José",5002,S1002,jose.garcia@uni.example,ML 101
"O'Brien, Pat",5007,S1007,pat.obrien@uni.example,ML 101
"Wei, Wang",5008,S1008,wang.wei@uni.example,ML 101
"Wang, Wei",5009,S1009,wei.wang@uni.example,ML 101
"""


def cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """The spec, the Moodle roster, the drawn variants {ident: Variant} and answers.json of the homework."""
    d = tmp_path_factory.mktemp("klass")
    (d / "hw.yaml").write_text(SPEC, encoding="utf-8")
    (d / "roster.csv").write_text(MOODLE, encoding="utf-8")
    (d / "canvas.csv").write_text(CANVAS, encoding="utf-8")
    spec = load_spec(d / "hw.yaml", DEFAULT)
    roster = parse_roster(MOODLE)
    batch = hw.draw(spec, hw.plan_variants(None, roster), SEED)
    assert not batch.failed
    (d / "answers.json").write_bytes(hw.answers_files(batch, spec, SEED, roster)[1])
    return d, {v.ident: v for v in batch.variants}


def key_row(v):
    return {a.name: a.shown for a in hw.variant_answers(v)}


def names_of(v):
    return [a.name for a in hw.variant_answers(v)]


def marks_of(out):
    return {r["variant"]: r for r in csv.DictReader(io.StringIO((out / "marks.csv").read_text(encoding="utf-8")))}


def write_rows(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# ---------------------------------------------------------------- 1. the wrong student


def test_a_variant_column_is_read_through_answers_json_and_the_roster_id_wins():
    roster = parse_roster(MOODLE)
    planned = hw.plan_variants(None, roster)
    by_key = {v.key: v for v in planned}
    # answers.json of another export of the same roster: its variant ids name other students
    recorded = {"variants": [{"id": "wei-wang", "roster_id": "S1008"}, {"id": "wang-wei", "roster_id": "S1009"}]}
    rows = gr.read_responses("variant,it1.loss\nwei-wang,0.3\nwang-wei,0.4\n")
    got = gr.match_rows(rows, planned, header=rows.header, students=roster, recorded=recorded)
    assert [v.key for v, _ in got] == ["S1008", "S1009"]
    assert [v.ident for v, _ in got] == [by_key["S1008"].ident, by_key["S1009"].ident]


def test_a_row_whose_identifiers_disagree_is_listed_never_resolved():
    roster = parse_roster(MOODLE)
    planned = hw.plan_variants(None, roster)
    rows = gr.read_responses("variant,student,ID number,it1.loss\nzoe-muller,Zoë Müller,S1002,0.3\n"
                             "jose-garcia-marquez,José García Márquez,S1002,0.4\n")
    with pytest.raises(SpecError, match="line 2: the row's identifiers disagree"):
        gr.match_rows(rows, planned, header=rows.header, students=roster)
    unmatched = []
    got = gr.match_rows(rows, planned, header=rows.header, students=roster, unmatched=unmatched)
    assert [v.key for v, _ in got] == ["S1002"]
    (line, who, problem), = unmatched
    assert line == 2 and "ID number 'S1002' is José García Márquez (S1002)" in problem
    assert "variant 'zoe-muller' is Zoë Müller (S1001)" in problem
    # a roster id that names nobody, beside a variant id that names Zoë: not Zoë's
    rows = gr.read_responses("variant,ID number,it1.loss\nzoe-muller,S9999,0.3\n")
    unmatched = []
    assert gr.match_rows(rows, planned, header=rows.header, students=roster, unmatched=unmatched) == []
    assert "'S9999' is no student of the roster" in unmatched[0][2]


def test_a_filled_in_template_graded_with_the_canvas_export_grades_each_student(klass, tmp_path):
    d, variants = klass
    wang, wei = variants["wang-wei"], variants["wei-wang"]           # S1008, S1009 (Moodle)
    names = names_of(wang)
    rows = [["wang-wei", "Wang Wei", "S1008", "wang.wei@uni.example"] + [key_row(wang)[n] for n in names],
            ["wei-wang", "Wei Wang", "S1009", "wei.wang@uni.example"] + [key_row(wei)[n] for n in names]]
    r = write_rows(tmp_path / "resp.csv", ["variant", "student", "ID number", "Email address"] + names, rows)
    code, _, err = cli("grade", d / "hw.yaml", "--students", d / "canvas.csv", "--seed", SEED, "--responses", r,
                       "--answers", d / "answers.json", "-o", tmp_path / "m")
    assert code == 0, err
    marks = marks_of(tmp_path / "m")
    assert {m["id"]: m["total"] for m in marks.values()} == {"S1008": "20", "S1009": "20"}


# ---------------------------------------------------------------- 2., 3. slips


def slipped_row(v, entry, value):
    """The answers of a student who slipped on ``entry`` and computed on correctly at 4 decimals."""
    pid = v.trace.problems[0].id
    t = solve(v.spec, v.trace.rounding, overrides={pid: {entry: {(0,): value}}}).problem(pid)
    row = {}
    for a in hw.variant_answers(v):
        name, _, idx = a.name.partition("[")
        x = np.asarray(t.dec(name), dtype=object)
        x = x[tuple(int(i) - 1 for i in idx.rstrip("]").split(","))] if idx else x.item()
        row[a.name] = format(Decimal(x).quantize(Decimal("0.0001")), "f")
    return row


def test_an_answer_equal_to_the_slip_only_in_value_follows_from_it(klass):
    d, variants = klass
    v = variants["wei-wang"]                  # a1[1] = 1, x2 = 1, W2[1] = 1: three answers equal δ⁽²⁾ in value
    delta = v.trace.problems[0].dec("it1.delta2")[0]
    m = gr.grade_variant(v, slipped_row(v, "it1.delta2", -delta))
    status = {k.name: k.status for k in m.marks}
    assert m.slip is not None and m.slip.name == "it1.delta2[1]" and m.slip.form == "the sign"
    assert m.slip.itself == ("it1.db2[1]",)                 # ∂L/∂b⁽²⁾ = δ⁽²⁾ by the computation
    assert status["it1.db2[1]"] == "wrong"
    for n in ("it1.dW2[1,1]", "it1.dW1[1,2]", "it1.db1[1]"):  # δ⁽²⁾·1: they follow from it
        assert status[n] == "consistent", n
    assert m.total == 10


def test_answers_coarser_than_asked_are_no_evidence_of_a_slip(klass):
    d, variants = klass
    v = variants["nguyen-thi-minh-khai"]
    row = {a.name: format(a.full_exact.quantize(Decimal("0.01")), "f") for a in hw.variant_answers(v)}
    m = gr.grade_variant(v, row)
    assert m.slip is None
    consistent = {k.name for k in m.marks if k.status == "consistent"}
    assert consistent and all(n.startswith("final.") for n in consistent)
    assert m.total == 4.5
    assert not gr.pins(Decimal("1.14"), hw.variant_answers(v)[0]) and gr.pins(Decimal("1.137"), hw.variant_answers(v)[0])


# ---------------------------------------------------------------- 4., 5., 6. names and overrides


@pytest.mark.parametrize("who, key", [("Pat OBrien", "S1007"), ("Pat O Brien", "S1007"), ("pat o'brien", "S1007"),
                                      ("Francois LEcuyer", "S1014"), ("L Ecuyer, Francois", "S1014"),
                                      ("Soren Kierkegaard", "S1011"), ("Lukasz Zolkiewski", "S1013"),
                                      ("Bjork Gudmundsdottir", "S1019"), ("Jorg Odegaard", "S1028")])
def test_names_fold_like_file_names_and_ignore_apostrophes(who, key):
    planned = hw.plan_variants(None, parse_roster(MOODLE))
    found, problem = gr.find_by_name(who, planned)
    assert [v.key for v in found] == [key] and not problem


def overrides(data):
    return gb.parse_overrides(data, "ov.yaml")


def test_overrides_name_students_as_responses_do(klass):
    d, variants = klass
    roster = parse_roster(MOODLE)
    vs = list(variants.values())
    with pytest.raises(SpecError, match="could be"):            # Wang Wei and Wei Wang: ambiguous, as in responses
        gb.check_overrides(overrides({"set": [{"student": "Wei Wang", "total": 5}]}), vs, roster)
    targets = gb.check_overrides(overrides({"set": [{"student": "Wang, Wei", "total": 5},
                                                    {"student": "Pat OBrien", "total": 4}]}), vs, roster)
    assert [variants[targets[i]].key for i in (0, 1)] == ["S1009", "S1007"]


def test_override_totals_are_bounded_conflicts_refused_and_paper_marks_recorded(klass):
    d, variants = klass
    roster = parse_roster(MOODLE)
    graded = [variants["zoe-muller"], variants["pat-o-brien"]]
    with pytest.raises(SpecError, match="a total of 500 is more than the 20 point"):
        gb.check_overrides(overrides({"set": [{"student": "S1001", "total": 500}]}), graded, roster)
    with pytest.raises(SpecError, match=r"set\[1\] and set\[2\] both set the total of Zoë Müller"):
        gb.check_overrides(overrides({"set": [{"student": "S1001", "total": 5},
                                              {"student": "zoe-muller", "total": 6}]}), graded, roster)
    with pytest.raises(SpecError, match=r"set\[1\] and set\[2\] both set it1.loss"):
        gb.check_overrides(overrides({"set": [{"student": "S1001", "answer": "it1.loss", "points": 1},
                                              {"student": "Zoë Müller", "answer": "it1.loss", "points": 0}]}),
                           graded, roster)
    # a paper-only mark: a roster student without a response row
    planned = hw.plan_variants(None, roster)
    results = [gr.grade_variant(v, key_row(v)) for v in graded]
    out = gb.apply_overrides(results, overrides({"set": [{"student": "S1020", "total": 12, "reason": "paper"}]}),
                             graded, roster, planned=planned)
    paper = out[-1]
    assert paper.label == "Ahmed Al-Hassan" and paper.total == 12 and paper.paper_only
    assert gr.points_possible(paper) == 20 and "paper-only" in " ".join(paper.notes)
    assert "12 of 20 points" in gr.feedback(paper)
    with pytest.raises(SpecError, match="has no response row"):
        gb.check_overrides(overrides({"set": [{"student": "S1020", "answer": "it1.loss", "points": 1}]}),
                           graded, roster, planned)


def test_a_paper_only_mark_reaches_marks_csv(klass, tmp_path):
    d, variants = klass
    zoe = variants["zoe-muller"]
    names = names_of(zoe)
    r = write_rows(tmp_path / "r.csv", ["ID number"] + names, [["S1001"] + [key_row(zoe)[n] for n in names]])
    (tmp_path / "ov.yaml").write_text('set: [{student: "Ahmed Al-Hassan", total: 12, reason: paper}]\n')
    code, _, err = cli("grade", d / "hw.yaml", "--students", d / "roster.csv", "--seed", SEED, "--responses", r,
                       "--answers", d / "answers.json", "--overrides", tmp_path / "ov.yaml", "-o", tmp_path / "m")
    assert code == 0, err
    marks = marks_of(tmp_path / "m")
    assert marks["ahmed-al-hassan"]["total"] == "12" and marks["ahmed-al-hassan"]["id"] == "S1020"
    assert marks["ahmed-al-hassan"]["max"] == "20" and "paper-only" in marks["ahmed-al-hassan"]["overrides"]


# ---------------------------------------------------------------- 7. another seed


def test_a_class_graded_with_another_seed_is_warned_about(klass, tmp_path):
    d, variants = klass
    names = names_of(next(iter(variants.values())))
    rows = [[v.key] + [key_row(v)[n] for n in names] for v in variants.values()]
    r = write_rows(tmp_path / "r.csv", ["ID number"] + names, rows)
    code, _, err = cli("grade", d / "hw.yaml", "--students", d / "roster.csv", "--seed", SEED + 1,
                       "--responses", r, "-o", tmp_path / "m")
    assert code == 0, err
    assert "--seed 8" in err and "--answers" in err
    # the right seed: no such warning
    code, _, err = cli("grade", d / "hw.yaml", "--students", d / "roster.csv", "--seed", SEED,
                       "--responses", r, "-o", tmp_path / "m2")
    assert code == 0 and "--seed" not in err


# ---------------------------------------------------------------- 8. one bad Moodle row


def test_a_moodle_row_that_does_not_fit_is_listed_and_the_others_graded(klass, tmp_path):
    d, variants = klass
    head = ["Surname", "First name", "ID number", "State", "Response 1"]

    def cloze(v, drop=0):
        shown = list(key_row(v).values())
        return "; ".join(f"part {i}: {s}" for i, s in enumerate(shown[:len(shown) - drop], 1))
    rows = [["Müller", "Zoë", "S1001", "Finished", cloze(variants["zoe-muller"])],
            ["García Márquez", "José", "S1002", "Finished", cloze(variants["jose-garcia-marquez"], drop=1)]]
    r = write_rows(tmp_path / "moodle.csv", head, rows)
    code, _, err = cli("grade", d / "hw.yaml", "--students", d / "roster.csv", "--seed", SEED, "--responses", r,
                       "--answers", d / "answers.json", "-o", tmp_path / "m")
    assert code == 1, err
    assert set(marks_of(tmp_path / "m")) == {"zoe-muller"}
    assert "19 part(s)" in (tmp_path / "m" / "unmatched.csv").read_text(encoding="utf-8")


# ---------------------------------------------------------------- 9. merge


def test_a_tampered_shard_names_the_field_and_both_values():
    expected = {"variants": [{"id": "v01", "answers": {"it1.loss": {"shown": "0.3133", "key": "0.3133",
                                                                    "unit": "0.0001"}}}]}
    doc = json.loads(json.dumps(expected))
    doc["variants"][0]["answers"]["it1.loss"]["key"] = "0.3134"
    why = hw._first_difference(doc, expected)
    assert "field 'key'" in why and "'0.3134'" in why and "'0.3133'" in why


# ---------------------------------------------------------------- 10. smaller


def test_canvas_names_read_first_last_and_the_variants_do_not_change():
    moodle, canvas = parse_roster(MOODLE), parse_roster(CANVAS)
    assert [s.name for s in canvas][:3] == ["Zoë Müller", "José García Márquez", "Pat O'Brien"]
    pm = {v.key: v for v in hw.plan_variants(None, moodle)}
    pc = {v.key: v for v in hw.plan_variants(None, canvas)}
    for key in pc:
        assert (pc[key].ident, pc[key].label, pc[key].stream) == (pm[key].ident, pm[key].label, pm[key].stream)
    # a roster of names only: the identity (the stream) stays the cell as written
    names = parse_roster('Name\n"Müller, Zoë"\n')
    assert names[0].key == "Müller, Zoë" and names[0].name == "Zoë Müller"


def test_greek_ou_and_the_duplicate_name_warning():
    assert slug("Ελένη Παπαδοπούλου") == "eleni-papadopoulou"
    notes = []
    hw.plan_variants(None, parse_roster("First name,Surname,ID number\nMaria,Smith,S1005\nMaria,Smith,S1006\n"),
                     notes=notes)
    assert "S1005 gets 'maria-smith'" in notes[0] and "S1006 gets 'maria-smith-2'" in notes[0]


def test_homework_help_names_the_roster_exports():
    code, out, _ = cli("homework", "--help")
    assert code == 0 and "Moodle" in out and "Canvas" in out
