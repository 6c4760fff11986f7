"""Exercises that stop early (issue 22): ``stop_after: forward`` (the forward pass, and its loss
where a target is given) and ``stop_after: gradients`` (no update).  The values are checked against
a published example (Mazur's forward pass) and against a float computation written from the
equations with finite differences; the pages ask and answer only what the exercise computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.answers import answers
from generator.api import load_spec, render, solve
from generator.cli import main
from generator.kinds import kind

ROOT = Path(__file__).resolve().parent.parent
FORWARD = ROOT / "examples" / "forward-only.yaml"
GRADIENTS = ROOT / "examples" / "gradients-only.yaml"


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_forward_only_reproduces_mazurs_published_numbers():
    """Mazur, "A Step by Step Backpropagation Example" (2015): out_h1 = 0.593269992,
    out_h2 = 0.596884378, out_o1 = 0.75136507, out_o2 = 0.772928465, E_total = 0.298371109."""
    trace = solve(load_spec(FORWARD))
    p = trace.problems[0]
    published = {("it1.a1", 0): "0.593269992", ("it1.a1", 1): "0.596884378",
                 ("it1.a2", 0): "0.75136507", ("it1.a2", 1): "0.772928465", ("it1.loss", None): "0.298371109"}
    for (name, i), printed in published.items():
        value = p[name] if i is None else p[name][i]
        places = len(printed.split(".")[1])
        assert round(float(value), places) == pytest.approx(float(printed), abs=0.6 * 10 ** -places), (name, i)
    assert not any(n.startswith(("final.", "it2.")) or ".d" in n or "learning_rate" == n for n in p.entries)


def test_forward_only_without_a_target_has_no_loss(write_spec):
    path = write_spec("""network:
  input: [1, 2]
  layers:
    - {activation: tanh, weights: [[0.1, -0.2], [0.3, 0.4]], bias: [0, 0.1]}
  stop_after: forward
""")
    p = solve(load_spec(path)).problems[0]
    expected = np.tanh(np.array([[0.1, -0.2], [0.3, 0.4]]) @ [1, 2] + [0, 0.1])
    assert np.allclose(p["it1.a1"], expected)
    assert "it1.loss" not in p.entries and "learning_rate" not in p.entries
    spec = load_spec(path)
    assert [a.name for a in answers(spec, solve(spec))] == ["it1.a1[1]", "it1.a1[2]"]
    for what in ("question", "solution"):
        tex = render(spec, solve(spec), what)
        assert "learning rate" not in tex.lower() and r"\eta" not in tex and "Backward" not in tex
        assert "{$L$}" not in tex                      # no loss node in the diagram


def _loss(params, X, Y, lam):
    W1, b1, W2, b2 = params
    a1 = np.maximum(0, W1 @ X + b1[:, None])
    a2 = _sigmoid(W2 @ a1 + b2[:, None])
    data = np.mean(np.mean((a2 - Y) ** 2, axis=0))
    return data + lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def test_gradients_only_match_finite_differences_and_make_no_update():
    spec = load_spec(GRADIENTS)
    p = solve(spec).problems[0]
    X = np.array([[0.05, 1], [0.1, -1]])
    Y = np.array([[0.01, 1], [0.99, 0]])
    params = [np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([0.35, 0.35]),
              np.array([[0.4, 0.45], [0.5, 0.55]]), np.array([0.6, 0.6])]
    assert p["it1.loss"] == pytest.approx(_loss(params, X, Y, 0.1), abs=1e-12)
    for k, name in enumerate(["it1.dW1", "it1.db1", "it1.dW2", "it1.db2"]):
        numeric = np.zeros_like(params[k])
        for idx in np.ndindex(params[k].shape):
            up = [q.copy() for q in params]
            down = [q.copy() for q in params]
            up[k][idx] += 1e-6
            down[k][idx] -= 1e-6
            numeric[idx] = (_loss(up, X, Y, 0.1) - _loss(down, X, Y, 0.1)) / 2e-6
        assert np.allclose(p[name], numeric, atol=1e-8), name
    assert not any(n.startswith("final.") or n in ("it1.W1", "it1.stepW1") for n in p.entries)
    groups = kind("network").groups(spec.problems[0], p)
    assert groups["key"] == ["it1.loss", "it1.dW2", "it1.db2", "it1.dW1", "it1.db1"]
    assert groups["parameters"] == [] and groups["outputs"] == ["it1.a2"]


def test_gradients_only_pages_ask_and_answer_the_gradients():
    spec = load_spec(GRADIENTS)
    trace = solve(spec)
    question, solution = (render(spec, trace, what) for what in ("question", "solution"))
    assert "Give the loss and the gradient of every parameter" in question
    assert "Update the parameters" not in question and "Parameter updates" not in solution
    assert "Iteration 1" not in solution and "Final parameters" not in solution
    assert r"\section{Summary}" in solution and "stops after the gradients" in solution


@pytest.mark.parametrize("extra, field, words", [
    ("  learning_rate: 0.1\n", "network.learning_rate", "takes no learning_rate"),
    ("  iterations: 2\n", "network.iterations", "takes no iterations"),
    ("  optimizer: {name: adam}\n", "network.optimizer", "takes no optimizer"),
])
def test_an_exercise_that_stops_takes_no_training_settings(write_spec, extra, field, words):
    text = FORWARD.read_text() + extra
    result = CliRunner().invoke(main, ["render", str(write_spec(text)), "--format", "tex"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and field in line and words in line and "Traceback" not in line


@pytest.mark.parametrize("body, field", [
    ("  input: [1]\n  target: 1\n  layers: [{activation: sigmoid, weights: [[1]]}]\n  stop_after: forward\n",
     "network.target"),
    ("  input: [1]\n  layers: [{activation: sigmoid, weights: [[1]]}]\n  l2: 0.1\n  stop_after: forward\n",
     "network.l2"),
    ("  input: [1]\n  target: 1\n  layers: [{activation: sigmoid, weights: [[1]]}]\n  stop_after: gradients\n",
     "network"),
    ("  input: [1]\n  layers: [{activation: sigmoid, weights: [[1]]}]\n  stop_after: update\n",
     "network.stop_after"),
])
def test_contradictory_stops_are_one_line_errors(write_spec, body, field):
    result = CliRunner().invoke(main, ["render", str(write_spec("network:\n" + body)), "--format", "tex"])
    assert result.exit_code == 2 and field in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
