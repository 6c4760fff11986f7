"""Marks a careful teacher would give (issue 19, item 2), on a 2-3-2 sigmoid network in carry mode.

Every expectation here is written from the grading policy of docs/homework.md ("Grading"), the way a
teacher marking by hand would apply it, and computed independently of generator.grade: the asked
precision comes from the rounding policy; correct = within answers.accepted (the interval shared
with the LMS files) or a correct rounding at most ``coarser_digits`` coarser; one slip of an unasked
value (one entry of δ) carried correctly through earns the answers that follow from it *consistent*."""

import csv
import io
import json
import random
import time
from decimal import Decimal

import numpy as np
import pytest
from click.testing import CliRunner

from generator import grade as gr
from generator import homework as hw
from generator.answers import Answer, accepted
from generator.cli import main
from generator.errors import SpecError
from generator.roster import parse_roster
from generator.solve import solve
from generator.spec import load_spec

SPEC = """\
title: "2-3-2 sigmoid"
rounding:
  decimals: 4
  mode: carry
network:
  input: [0.5, -1]
  target: [1, 0]
  layers:
    - activation: sigmoid
      weights: [[0.5, -0.5], [1, 0.5], [-1, 1]]
      bias: [0, 0.5, -0.5]
    - activation: sigmoid
      weights: [[1, -1, 0.5], [-0.5, 1, 1]]
      bias: [0, 0.5]
  loss: mse
  learning_rate: 0.5
  iterations: 1
answers: [losses, gradients, parameters]
randomize:
  values:
    network.input: {multiples: 0.5, min: -1, max: 1, nonzero: true}
    network.layers[0].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}
    network.layers[0].bias: {multiples: 0.5, min: -1, max: 1}
    network.layers[1].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}
    network.layers[1].bias: {multiples: 0.5, min: -1, max: 1}
    network.target: {choices: [0, 1]}
  constraints:
    - {sigmoid_output_within: [0.05, 0.95]}
    - {max_abs_value: 50}
"""
SEED = 3


def write_spec(tmp_path, extra="", text=SPEC):
    p = tmp_path / "hw.yaml"
    p.write_text(text + extra, encoding="utf-8")
    return p


def variant(tmp_path, extra="", k=1):
    spec = load_spec(write_spec(tmp_path, extra))
    batch = hw.draw(spec, hw.plan_variants(k, None), SEED)
    assert not batch.failed
    return batch.variants[k - 1]


def marks(v, row, **kw):
    m = gr.grade_variant(v, row, **kw)
    return m, {k.name: k.status for k in m.marks}


def answer(key, full, asked="4 decimals", unit="0.0001"):
    """An answer as generator.answers makes it, for the rules alone."""
    return Answer("x", "x", "x", key, float(key), float(full), None, float(unit), Decimal(unit),
                  Decimal(key), Decimal(full), asked)


# ---------------------------------------------------------------- the asked precision

def test_the_asked_precision_is_the_rounding_policy_not_the_printed_float():
    # display mode: the key prints 0.12 (trailing zeros dropped), 4 decimals are asked
    a = answer("0.1200", "0.12")
    assert accepted(a) == [(Decimal("0.1199"), Decimal("0.1201"))]
    assert gr.is_correct(Decimal("0.12"), a) and gr.is_correct(Decimal("0.1200"), a)
    assert gr.is_correct(Decimal("0.120"), a)                 # within the interval, whatever its digits
    assert not gr.is_correct(Decimal("0.1"), a)               # three digits coarser: wrong
    assert not gr.is_correct(Decimal("0.13"), a)


def test_one_digit_coarser_is_correct_two_are_not_and_zero_is_strict():
    a = answer("0.4771", "0.477104")                          # the trial's 0.4771
    assert gr.is_correct(Decimal("0.4771"), a) and gr.is_correct(Decimal("0.4772"), a)
    assert not gr.is_correct(Decimal("0.48"), a)              # two digits coarser: wrong by default
    assert gr.is_correct(Decimal("0.48"), a, coarser_digits=2)
    a = answer("0.4768", "0.476812")
    assert gr.is_correct(Decimal("0.477"), a)                 # one digit coarser, a correct rounding
    assert not gr.is_correct(Decimal("0.478"), a)             # one digit coarser, not a rounding
    assert not gr.is_correct(Decimal("0.477"), a, coarser_digits=0)   # strict: two units off
    assert gr.is_correct(Decimal("0.4769"), a, coarser_digits=0)      # one unit: the shared interval
    assert not gr.is_correct(Decimal("0"), a) and not gr.is_correct(Decimal("1"), a)
    # the coarser rounding may be of the full-precision value or of the (carried) key
    carried = answer("0.4766", "0.47712")
    assert gr.is_correct(Decimal("0.477"), carried) and gr.is_correct(Decimal("0.4772"), carried)


def test_significant_figures_are_asked_at_the_values_magnitude():
    a = answer("0.000123", "0.0001234", asked="3 significant figures", unit="0.000001")
    assert gr.is_correct(Decimal("0.000124"), a)
    assert gr.is_correct(Decimal("0.00012"), a)               # 2 figures: one coarser
    assert not gr.is_correct(Decimal("0.0001"), a)


def test_every_answer_of_a_spec_is_asked_at_its_policy(tmp_path):
    v = variant(tmp_path)
    answers = hw.variant_answers(v)
    assert len(answers) >= 30
    assert {a.unit for a in answers} == {Decimal("0.0001")}
    assert {a.asked for a in answers} == {"4 decimals"}


# ---------------------------------------------------------------- whole students

def test_a_student_who_answers_zero_everywhere_scores_only_where_the_key_is_zero(tmp_path):
    v = variant(tmp_path)
    answers = hw.variant_answers(v)
    # by hand: "0" is right only where the key is 0 to the asked digit (± one unit)
    expected = sum(1 for a in answers if abs(a.key) <= a.unit or
                   abs(a.full_exact.quantize(a.unit)) <= a.unit)
    m, _ = marks(v, {a.name: "0" for a in answers})
    assert m.total == expected
    assert expected <= 2                                      # this variant has (almost) no zero answer
    assert not any(k.status == "consistent" for k in m.marks)


def test_integer_roundings_are_wrong_unless_the_key_is_that_integer(tmp_path):
    v = variant(tmp_path)
    answers = hw.variant_answers(v)
    row = {a.name: str(round(float(a.full))) for a in answers}
    expected = {a.name for a in answers if abs(Decimal(row[a.name]) - a.key) <= a.unit}
    m, status = marks(v, row)
    assert {n for n, s in status.items() if s == "correct"} == expected
    assert m.total < len(answers) / 4


def test_answers_one_digit_coarser_are_correct_and_strict_grading_refuses_them(tmp_path):
    v = variant(tmp_path)
    answers = hw.variant_answers(v)
    row = {a.name: format(a.full_exact.quantize(Decimal("0.001")), "f") for a in answers}
    m, status = marks(v, row)
    assert set(status.values()) == {"correct"}
    # coarser_digits 0: only those the 3-decimal rounding puts within one unit of the key stay right
    strict = load_spec(write_spec(tmp_path, "grading: {coarser_digits: 0}\n"))
    vs = hw.draw(strict, hw.plan_variants(1, None), SEED).variants[0]
    expected = {a.name for a in answers if abs(Decimal(row[a.name]) - a.key) <= a.unit
                or abs(Decimal(row[a.name]) - a.full_exact.quantize(a.unit)) <= a.unit}
    _, status = marks(vs, row)
    assert {n for n, s in status.items() if s == "correct"} == expected
    assert len(expected) < len(answers)
    two = {a.name: format(a.full_exact.quantize(Decimal("0.01")), "f") for a in answers}
    _, status = marks(v, two)                                 # two digits coarser: wrong at the default …
    assert sum(s == "correct" for s in status.values()) < len(answers) / 2
    _, status = marks(v, two, coarser_digits=2)               # … right when the spec allows 2
    assert set(status.values()) == {"correct"}


@pytest.mark.parametrize("value,field", [("-1", "grading.coarser_digits"), ("x", "grading.coarser_digits"),
                                         ("7", "grading.coarser_digits"), ("true", "grading.coarser_digits")])
def test_grading_is_validated_with_one_line_naming_the_field(tmp_path, value, field):
    with pytest.raises(SpecError) as e:
        load_spec(write_spec(tmp_path, f"grading: {{coarser_digits: {value}}}\n"))
    assert field in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(SpecError, match="unknown key 'coarser'"):
        load_spec(write_spec(tmp_path, "grading: {coarser: 1}\n"))
    assert load_spec(write_spec(tmp_path, "")).grading.coarser_digits == 1


# ---------------------------------------------------------------- a slip in δ, carried through

def transposed(d: Decimal) -> Decimal:
    """``d`` with its last two different adjacent digits swapped (0.0237 -> 0.0273)."""
    s = format(d, "f")
    for i in range(len(s) - 2, -1, -1):
        if s[i].isdigit() and s[i + 1].isdigit() and s[i] != s[i + 1]:
            return Decimal(s[:i] + s[i + 1] + s[i] + s[i + 2:])
    raise AssertionError(s)


def sigmoid_net(x, y, W1, b1, W2, b2, delta2_1=None):
    """The 2-3-2 sigmoid network with MSE, written out with NumPy floats (no rounding): dL/dW2,
    dL/db2, dL/dW1, dL/db1, with δ⁽²⁾₁ replaced by ``delta2_1`` when given."""
    s = lambda z: 1 / (1 + np.exp(-z))
    a1 = s(W1 @ x + b1)
    a2 = s(W2 @ a1 + b2)
    d2 = (2 / len(y)) * (a2 - y) * a2 * (1 - a2)
    if delta2_1 is not None:
        d2[0] = delta2_1
    d1 = (W2.T @ d2) * a1 * (1 - a1)
    return np.outer(d2, a1), d2, np.outer(d1, x), d1


def test_a_transposed_digit_in_delta_carried_through_earns_the_answers_that_follow(tmp_path):
    v = variant(tmp_path)
    answers = hw.variant_answers(v)
    t = v.trace.problem()
    key = t.dec("it1.delta2")[0]
    slip = transposed(key)
    # the student: every value computed by hand from the slipped δ⁽²⁾₁, carried at 4 decimals
    theirs = solve(v.spec, v.trace.rounding, overrides={"main": {"it1.delta2": {(0,): slip}}}).problem()
    row = {}
    for a in answers:
        name, _, idx = a.name.partition("[")
        value = np.asarray(theirs.dec(name), dtype=object)
        row[a.name] = format(value[tuple(int(i) - 1 for i in idx.rstrip("]").split(","))] if idx else value.item(), "f")
    # an independent check of the student's gradients: floats, no rounding, the same slip
    x, y = t["x"], t["target"]
    dW2, db2, dW1, db1 = sigmoid_net(x, y, t["init.W1"], t["init.b1"], t["init.W2"], t["init.b2"], float(slip))
    assert float(row["it1.dW2[1,1]"]) == pytest.approx(dW2[0, 0], abs=6e-4)
    assert float(row["it1.db2[1]"]) == pytest.approx(db2[0], abs=1e-9 + 1e-4)
    assert float(row["it1.dW1[1,1]"]) == pytest.approx(dW1[0, 0], abs=6e-4)
    # a careful teacher: what the slip does not touch is right; what it changes follows from it,
    # except ∂L/∂b⁽²⁾₁, which is δ⁽²⁾₁ itself: the slip, wrong
    changed = {a.name for a in answers if not any(lo <= Decimal(row[a.name]) <= hi for lo, hi in accepted(a))}
    assert {"it1.dW2[1,1]", "it1.db2[1]"} <= changed and len(changed) >= 10
    follows = changed - {"it1.db2[1]"}
    m, status = marks(v, row)
    assert {n for n, s in status.items() if s == "consistent"} == follows
    assert {n for n, s in status.items() if s == "correct"} == {a.name for a in answers} - changed
    assert status["it1.db2[1]"] == "wrong"
    assert m.total == len(answers) - len(changed) + 0.5 * len(follows)
    assert m.slip is not None and m.slip.name == "it1.delta2[1]" and m.slip.value == slip
    text = gr.feedback(m)
    assert f"it1.delta2[1]: your answers follow from {format(slip, 'f')}; the key has {format(key, 'f')}" in text
    assert "two digits swapped" in text and "it1.db2[1] is that value itself" in text
    assert "The first step to look at" not in text            # nothing else to look at


def test_a_student_with_random_wrong_numbers_gets_no_consistent_marks(tmp_path):
    v = variant(tmp_path)
    answers = hw.variant_answers(v)
    rnd = random.Random(7)
    for _ in range(3):
        row = {a.name: f"{rnd.uniform(-1, 1):.4f}" for a in answers}
        m, status = marks(v, row)
        assert m.slip is None
        assert not any(s == "consistent" for s in status.values())
        assert m.total <= 1


def test_one_slip_search_is_bounded_and_a_class_grades_in_seconds(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    names = [f"Student {i:02d}" for i in range(30)]
    batch = hw.draw(spec, hw.plan_variants(None, names), SEED)
    rnd = random.Random(3)
    rows = []
    for i, v in enumerate(batch.variants):
        answers = hw.variant_answers(v)
        if i % 3 == 0:
            rows.append({a.name: a.shown for a in answers})
        elif i % 3 == 1:
            slip = transposed(v.trace.problem().dec("it1.delta2")[0])
            own = solve(v.spec, v.trace.rounding, overrides={"main": {"it1.delta2": {(0,): slip}}})
            rows.append({a.name: format(gr._recomputed(own, v, a.name), "f") for a in answers})
        else:
            rows.append({a.name: f"{rnd.uniform(-1, 1):.4f}" for a in answers})
    start = time.perf_counter()
    results = [gr.grade_variant(v, r) for v, r in zip(batch.variants, rows)]
    elapsed = time.perf_counter() - start
    assert sum(m.slip is not None for m in results) == 10
    assert all((m.slip is not None) == (i % 3 == 1) for i, m in enumerate(results))
    assert elapsed < 30, elapsed                              # about 1.5 s when the machine is idle
    # the marks do not depend on who was graded first (what the search learns is shared by the class)
    gr._DEPENDENCIES.clear()
    again = [gr.grade_variant(v, r) for v, r in reversed(list(zip(batch.variants, rows)))][::-1]
    assert [[(k.name, k.status) for k in m.marks] for m in again] == \
        [[(k.name, k.status) for k in m.marks] for m in results]


# ---------------------------------------------------------------- reading numbers

@pytest.mark.parametrize("text,value", [("\u20130.25", "-0.25"), ("\u22120.25", "-0.25"), ("\u2248 0.25", "0.25"),
                                        ("=0.25", "0.25"), ("\u2248\u20130,25", "-0.25"), ("= -1.5e-3", "-0.0015")])
def test_en_dash_minus_sign_and_a_leading_approx_or_equals_are_read(text, value):
    assert gr.parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", ["0.25 \u2248", "==", "\u2013", "0.2.5", "abc"])
def test_what_is_still_no_number_is_unreadable(text):
    assert gr.parse_number(text) is None


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def handed_out(tmp_path, roster_text, extra=""):
    """The spec, roster and answers.json of a homework run (without its PDFs), and the variants."""
    spec_path = write_spec(tmp_path, extra)
    spec = load_spec(spec_path)
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(roster_text, encoding="utf-8")
    roster = hw.read_roster(roster_path)
    batch = hw.draw(spec, hw.plan_variants(None, roster), SEED)
    out = tmp_path / "hw"
    out.mkdir()
    _, json_bytes = hw.answers_files(batch, spec, SEED, roster)
    (out / "answers.json").write_bytes(json_bytes)
    return spec_path, roster_path, out / "answers.json", batch


def responses_file(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


ROSTER = ('"First name","Surname","ID number","Email address"\n'
          '"Jan","van der Berg","s1","jan@uni.edu"\n'
          '"Zoë","Müller","s2","zoe@uni.edu"\n')


def test_dashes_and_approx_signs_grade_as_numbers_and_the_unreadable_are_named(tmp_path):
    spec, roster, answers_json, batch = handed_out(tmp_path, ROSTER)
    v = batch.variants[0]
    answers = hw.variant_answers(v)
    names = [a.name for a in answers]
    row = {a.name: ("\u2248 " if i % 2 else "=") + a.shown.replace("-", "\u2013") for i, a in enumerate(answers)}
    row[names[3]] = "abc"
    r = responses_file(tmp_path / "r.csv", ["student"] + names, [["van der Berg, Jan"] + [row[n] for n in names]])
    code, out, err = cli("grade", spec, "--students", roster, "--seed", SEED, "--responses", r,
                         "--answers", answers_json, "-o", tmp_path / "m")
    assert code == 0, err
    marks_row = next(csv.DictReader(io.StringIO((tmp_path / "m" / "marks.csv").read_text())))
    assert float(marks_row["total"]) == len(names) - 1
    assert marks_row[f"{names[3]} (status)"] == "unreadable"
    assert f"Jan van der Berg ({v.ident}), column {names[3]}: 'abc'" in err


def test_answers_json_records_the_versions_and_a_recomputation_that_differs_is_refused(tmp_path):
    spec, roster, answers_json, batch = handed_out(tmp_path, ROSTER)
    doc = json.loads(answers_json.read_text())
    assert set(doc["made_with"]) == {"dryrun", "numpy"} and doc["made_with"]["numpy"] == np.__version__
    first = doc["variants"][0]["answers"]
    name = next(iter(first))
    assert Decimal(first[name]["key"]) == Decimal(first[name]["shown"])
    v = batch.variants[0]
    names = [a.name for a in hw.variant_answers(v)]
    r = responses_file(tmp_path / "r.csv", ["ID number"] + names,
                       [["s1"] + [a.shown for a in hw.variant_answers(v)]])
    code, _, err = cli("grade", spec, "--students", roster, "--seed", SEED, "--responses", r,
                       "--answers", answers_json, "-o", tmp_path / "m")
    assert code == 0 and "no answers.json" not in err, err
    # what was handed out differs from what this dryrun recomputes: refused, one line, first value named
    first[name]["key"] = str(Decimal(first[name]["key"]) + Decimal("0.0001"))
    doc["made_with"]["numpy"] = "0.0-other"
    answers_json.write_text(json.dumps(doc))
    code, _, err = cli("grade", spec, "--students", roster, "--seed", SEED, "--responses", r,
                       "--answers", answers_json, "-o", tmp_path / "m2")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"variant {doc['variants'][0]['id']}, {name}" in err and "0.0-other" in err
    assert not (tmp_path / "m2" / "marks.csv").exists()
    # found beside the responses too; another seed is named as such
    doc = json.loads(hw.answers_files(batch, load_spec(spec), SEED + 1, hw.read_roster(roster))[1])
    (tmp_path / "answers.json").write_text(json.dumps(doc))
    code, _, err = cli("grade", spec, "--students", roster, "--seed", SEED, "--responses", r, "-o", tmp_path / "m3")
    assert code == 2 and f"seed {SEED + 1}, --seed is {SEED}" in err


# ---------------------------------------------------------------- names

def test_compound_surnames_accents_and_case_are_matched(tmp_path):
    planned = hw.plan_variants(None, parse_roster(ROSTER))
    for who in ["van der Berg, Jan", "Jan van der Berg", "VAN DER BERG, JAN", "  jan  van der berg ",
                "van der Berg Jan"]:
        rows = gr.read_responses(f'student,it1.loss\n"{who}",0.3\n')
        assert [v.label for v, _ in gr.match_rows(rows, planned, header=["student", "it1.loss"])] == \
            ["Jan van der Berg"], who
    for who in ["Zoe Muller", "Müller, Zoë", "MULLER, zoe"]:
        rows = gr.read_responses(f'student,it1.loss\n"{who}",0.3\n')
        assert [v.label for v, _ in gr.match_rows(rows, planned, header=["student", "it1.loss"])] == ["Zoë Müller"]
    # ids: any id column of the roster
    rows = gr.read_responses("Email address,it1.loss\nzoe@uni.edu,0.3\n")
    assert [v.label for v, _ in gr.match_rows(rows, planned, header=["Email address", "it1.loss"],
                                              students=parse_roster(ROSTER))] == ["Zoë Müller"]


def test_either_order_only_when_unique_wang_wei_and_wei_wang_are_two_students(tmp_path):
    roster = parse_roster("First name,Surname,ID number\nWang,Wei,s1\nWei,Wang,s2\n")
    planned = hw.plan_variants(None, roster)
    rows = gr.read_responses("student,it1.loss\nWang Wei,0.3\n")
    with pytest.raises(SpecError) as e:
        gr.match_rows(rows, planned, header=["student", "it1.loss"])
    assert "Wang Wei" in str(e.value) and "Wei Wang" in str(e.value) and "\n" not in str(e.value)
    unmatched = []
    assert gr.match_rows(rows, planned, header=["student", "it1.loss"], unmatched=unmatched) == []
    assert "could be" in unmatched[0][2]
    rows = gr.read_responses('student,it1.loss\n"Wei, Wang",0.3\n')         # Last, First: the order is known
    assert [v.label for v, _ in gr.match_rows(rows, planned, header=["student", "it1.loss"])] == ["Wang Wei"]
    alone = hw.plan_variants(None, parse_roster("First name,Surname,ID number\nWang,Wei,s1\n"))
    rows = gr.read_responses("student,it1.loss\nWei Wang,0.3\n")             # unique in either order
    assert [v.label for v, _ in gr.match_rows(rows, alone, header=["student", "it1.loss"])] == ["Wang Wei"]
