"""Grading with error carried forward, on synthetic students of a one-iteration exercise."""

import csv
import io
import json
import math

from click.testing import CliRunner

from generator.cli import main
from tests.conftest import SPECS


def spec_text():
    text = (SPECS / "seed003.yaml").read_text().replace("iterations: 2", "iterations: 1")
    return text + "answers: [losses, gradients, parameters]\n"


def forward_loss(x, W1, b1, W2, b2, y):
    """The BCE loss of the exercise's network, written out independently (floats)."""
    h = [max(0.0, sum(w * v for w, v in zip(row, x)) + b) for row, b in zip(W1, b1)]
    z = sum(w * v for w, v in zip(W2[0], h)) + b2[0]
    a = 1 / (1 + math.exp(-z))
    return -(y * math.log(a) + (1 - y) * math.log(1 - a))


def test_marks_with_error_carried_forward(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(spec_text())
    result = CliRunner().invoke(main, ["homework", str(spec), "-n", "1", "--seed", "4", "-o", str(tmp_path / "hw")])
    assert result.exit_code == 0, result.output
    key = json.loads((tmp_path / "hw" / "answers.json").read_text())["variants"][0]["answers"]
    right = {n: a["shown"] for n, a in key.items()}
    assert "it1.dW2[1,1]" in right and "final.W2[1,1]" in right and "final.loss" in right
    # the given numbers of the variant, to compute a slip's consequences by hand
    from generator.api import load_spec
    from generator import homework as hw
    v = hw.draw(load_spec(spec), hw.plan_variants(1, None), seed=4).variants[0]
    t = v.trace.problem()
    x, y = list(t["x"]), float(t["target"][0])
    W1, b1 = t["init.W1"].tolist(), t["init.b1"].tolist()
    W2, b2 = t["init.W2"].tolist(), t["init.b2"].tolist()
    eta = 0.1
    slip = float(key["it1.dW2[1,1]"]["value"]) + 0.5                 # a wrong gradient …
    follows = dict(right)
    follows["it1.dW2[1,1]"] = f"{slip:.4f}"
    follows["final.W2[1,1]"] = f"{W2[0][0] - eta * slip:.4f}"        # … carried correctly into the update
    W2_own = [[W2[0][0] - eta * slip] + [float(key[f"final.W2[1,{j}]"]["value"]) for j in range(2, len(W2[0]) + 1)]]
    W1_new = [[float(key[f"final.W1[{i},{j}]"]["value"]) if f"final.W1[{i},{j}]" in key else W1[i - 1][j - 1]
               for j in range(1, len(W1[0]) + 1)] for i in range(1, len(W1) + 1)]
    b1_new = [float(key[f"final.b1[{i}]"]["value"]) if f"final.b1[{i}]" in key else b1[i - 1] for i in range(1, len(b1) + 1)]
    b2_new = [float(key["final.b2[1]"]["value"]) if "final.b2[1]" in key else b2[0]]
    follows["final.loss"] = f"{forward_loss(x, W1_new, b1_new, W2_own, b2_new, y):.4f}"
    not_followed = dict(follows)
    not_followed["final.W2[1,1]"] = f"{W2[0][0] - eta * slip + 0.3:.4f}"
    coarser = {n: f"{float(a['full_precision']):.3f}" for n, a in key.items()}
    garbage = dict(right)
    first, second = list(right)[:2]
    garbage[first], garbage[second] = "abc", ""
    names = list(right)
    rows = [("v01", right), ("v01", follows), ("v01", not_followed), ("v01", coarser), ("v01", garbage)]
    names = list(right)
    # five students share variant v01 here; grade each row on its own
    marks = []
    for i, (_, answers) in enumerate(rows):
        one = tmp_path / f"r{i}.csv"
        b = io.StringIO()
        cw = csv.writer(b)
        cw.writerow(["variant"] + names)
        cw.writerow(["v01"] + [answers.get(n, "").replace(".", ",") if i == 3 else answers.get(n, "") for n in names])
        one.write_text(b.getvalue())
        result = CliRunner().invoke(main, ["grade", str(spec), "--responses", str(one), "-n", "1", "--seed", "4",
                                           "-o", str(tmp_path / f"m{i}")])
        assert result.exit_code == 0, result.output
        row = next(csv.DictReader(io.StringIO((tmp_path / f"m{i}" / "marks.csv").read_text())))
        marks.append(row)
    status = lambda m, n: m[f"{n} (status)"]
    assert all(status(marks[0], n) == "correct" for n in names)                          # all correct
    assert status(marks[1], "it1.dW2[1,1]") == "wrong"
    assert status(marks[1], "final.W2[1,1]") == "consistent"                             # carried forward
    assert status(marks[1], "final.loss") == "consistent"
    assert float(marks[1]["total"]) == len(names) - 3 + 2 * 0.5
    assert status(marks[2], "final.W2[1,1]") == "wrong"                                  # not followed
    assert all(status(marks[3], n) == "correct" for n in names)                          # 3 decimals, comma
    assert status(marks[4], first) == "unreadable" and status(marks[4], second) == "missing"
    feedback = (tmp_path / "m1" / "feedback" / "v01.txt").read_text()
    assert "The first step to look at: it1.dW2[1,1]" in feedback and "final.W2[1,1]" in feedback


def test_responses_are_matched_and_checked(tmp_path):
    from generator import homework as hw
    from generator.api import load_spec
    from generator.grade import match_rows, read_responses
    from generator.roster import parse_roster
    from generator.errors import SpecError
    import pytest
    roster = parse_roster("First name,Surname,ID number\nZoë,Müller,s100\nPat,O’Brien,s101\n")
    planned = hw.plan_variants(None, roster)
    rows = read_responses("ID number;it1.loss\ns101;0,31\n")                     # semicolons, an id column
    assert [v.ident for v, _ in match_rows(rows, planned, header=["ID number", "it1.loss"])] == ["pat-o-brien"]
    rows = read_responses("student,it1.loss\n\"Müller, Zoë\",0.3\nPat O'Brien,0.2\n")   # Last, First; ' for ’
    assert [v.ident for v, _ in match_rows(rows, planned, header=["student", "it1.loss"])] == ["zoe-muller", "pat-o-brien"]
    rows = read_responses("variant,it1.loss\nzoe-muller,0.3\nzoe-muller,0.4\n")
    with pytest.raises(SpecError, match="lines 2 and 3 both answer for zoe-muller"):
        match_rows(rows, planned, header=["variant", "it1.loss"])
    rows = read_responses("variant,it1.loss\nnobody,0.3\n")
    with pytest.raises(SpecError, match="line 2: no student or variant 'nobody'"):
        match_rows(rows, planned, header=["variant", "it1.loss"])


def test_grade_refuses_responses_without_answer_columns_and_needs_the_seed(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(spec_text())
    responses = tmp_path / "r.csv"
    responses.write_text("variant,it1.los\nv01,0.3\n")
    result = CliRunner().invoke(main, ["grade", str(spec), "--responses", str(responses), "-n", "1", "--seed", "4"])
    assert result.exit_code == 2 and "no answer column" in result.output
    result = CliRunner().invoke(main, ["grade", str(spec), "--responses", str(responses), "-n", "1"])
    assert result.exit_code == 2 and "--seed" in result.output


def test_merge_refuses_shards_of_an_edited_spec_and_an_empty_shard_is_refused(tmp_path):
    spec = tmp_path / "hw.yaml"
    spec.write_text(spec_text())
    for k in (1, 2):
        result = CliRunner().invoke(main, ["homework", str(spec), "-n", "2", "--seed", "1", "--shard", f"{k}/2",
                                           "-o", str(tmp_path / f"s{k}"), "--key", "none"])
        assert result.exit_code == 0, result.output
    spec.write_text(spec_text().replace("learning_rate: 0.1", "learning_rate: 0.2"))
    result = CliRunner().invoke(main, ["merge", str(spec), str(tmp_path / "all"), str(tmp_path / "s1"), str(tmp_path / "s2")])
    assert result.exit_code == 2 and "another version" in result.output
    result = CliRunner().invoke(main, ["homework", str(spec), "-n", "2", "--shard", "3/3", "-o", str(tmp_path / "e")])
    assert result.exit_code == 2 and "is empty" in result.output
