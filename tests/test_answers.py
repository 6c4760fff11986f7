"""Answers made for grading: what is asked, labels, printed strings and numbers, full precision,
tolerances; the spec's answers: selection."""

import csv
import io
import json

import pytest

from generator import homework as hw
from generator.answers import answers
from generator.errors import SpecError
from generator.solve import solve
from generator.spec import load_spec, spec_from_data
from tests.conftest import SPECS


def test_key_answers_of_a_network_with_labels_values_and_tolerances():
    spec = load_spec(SPECS / "seed004.yaml")          # carry mode, 4 decimals, activations 3
    got = {a.name: a for a in answers(spec, solve(spec))}
    loss = got["it1.loss"]
    assert loss.label == "L (iteration 1)" and loss.label_tex == r"L_{\text{it}\,1}"
    assert loss.shown == "0.1704" and loss.value == 0.1704 and loss.tolerance == pytest.approx(0.0001)
    assert abs(loss.full - 0.170524) < 1e-5 and loss.carried == 0.1704      # ½[(σ(0.621459)−0.9)² + (σ(0.523836)−0.1)²]
    assert got["final.W2[1,1]"].shown == "0.6034" and got["final.W2[1,1]"].label_tex == "W^{(2)}_{11}"


def test_a_gradients_only_exercise_exports_its_gradients():
    spec = spec_from_data({"parts": [{"kind": "conv", "input": [[1, 2], [3, 4]], "kernel": [[1, -1], [0, 2]],
                                      "upstream": [[0.5]]}]})
    names = [a.name for a in answers(spec, solve(spec))]
    assert "output[1,1]" in names and "grad.kernel[1,1]" in names and "grad.input[2,2]" in names


def test_the_spec_chooses_what_is_asked(write_spec):
    text = (SPECS / "seed000.yaml").read_text() + "answers: [losses, it1.dW1]\n"
    spec = load_spec(write_spec(text))
    names = [a.name for a in answers(spec, solve(spec), spec.answers)]
    assert [n for n in names if "loss" in n] == ["it1.loss", "it2.loss", "final.loss"]
    assert names.index("it1.dW1[1,1]") == 1 and "it1.dW1[3,4]" in names       # in the order computed
    assert not any(n.startswith("final.W") for n in names)
    bad = load_spec(write_spec((SPECS / "seed000.yaml").read_text() + "answers: [it1.dW9]\n", "bad.yaml"))
    with pytest.raises(SpecError, match="'it1.dW9' is no value"):
        answers(bad, solve(bad), bad.answers)


def test_csv_numbers_have_a_decimal_point_even_with_a_decimal_comma(write_spec):
    text = (SPECS / "seed003.yaml").read_text().replace("  decimals: 4\n", "  decimals: 4\n  decimal_comma: true\n")
    spec = load_spec(write_spec(text))
    batch = hw.draw(spec, hw.plan_variants(2, None), seed=3)
    csv_bytes, json_bytes = hw.answers_files(batch, spec, 3)
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode())))
    assert "." in rows[0]["it1.loss"] and "," not in rows[0]["it1.loss"]
    assert "," in rows[0]["it1.loss (shown)"]
    assert float(rows[0]["it1.loss"]) == pytest.approx(float(rows[0]["it1.loss (shown)"].replace(",", ".")))
    doc = json.loads(json_bytes)
    assert doc["answers"][0] == {"name": "it1.loss", "label": "L (iteration 1)", "label_tex": r"L_{\text{it}\,1}"}


def test_frozen_and_unchanged_parameters_are_not_asked(write_spec):
    text = (SPECS / "seed000.yaml").read_text().replace("activation: relu", "activation: relu\n      freeze: [bias]")
    spec = load_spec(write_spec(text))
    names = [a.name for a in answers(spec, solve(spec))]
    assert not any(n.startswith("final.b1") for n in names)
