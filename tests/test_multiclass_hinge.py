"""The multiclass hinge (SVM) loss with margin 1 (issue 22), as the CS231n notes define it:
ℓ = Σ_{j≠c} max(0, s_j − s_c + 1) per sample, averaged over a batch; its subgradient ∂ℓ/∂s_j =
1[ℓ_j > 0] for j ≠ c and −Σ_{j≠c} 1[ℓ_j > 0] for the true class c, with 0 taken at the hinge
ℓ_j = 0.  Checked against the notes' published example, a float implementation written from the
formula with finite differences, and by hand from the rendered text in both rounding modes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.api import load_spec, render, solve
from generator.cli import main
from tests.handcheck import check_tex

SPEC = Path(__file__).resolve().parent / "specs_hinge" / "batch.yaml"


def _hinge(S, Y):
    """Mean over the samples (columns) of Σ_{j≠c} max(0, s_j − s_c + 1); its subgradient per sample."""
    sc = (S * Y).sum(axis=0)
    margins = np.where(Y == 0, np.maximum(0, S - sc + 1), 0)
    active = (margins > 0).astype(float)
    return margins.sum(axis=0).mean(), active - Y * active.sum(axis=0)


def test_the_cs231n_example_loss(write_spec):
    """CS231n, "Linear classification": scores of a cat, a car and a frog image for the classes
    (cat, car, frog): losses 2.9, 0 and 12.9 (printed 10.9 in early versions of the notes, an
    arithmetic slip: 6.3 + 6.6 = 12.9), mean 5.27."""
    path = write_spec("""rounding: {decimals: 2}
network:
  input: [[3.2, 1.3, 2.2], [5.1, 4.9, 2.5], [-1.7, 2.0, -3.1]]
  target: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
  layers:
    - {activation: identity, weights: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], bias: [0, 0, 0]}
  loss: multiclass_hinge
  stop_after: forward
""")
    p = solve(load_spec(path)).problems[0]
    per_sample = np.asarray(p["it1.loss_terms"]).sum(axis=0)
    assert np.allclose(per_sample, [2.9, 0.0, 12.9])
    assert round(float(p["it1.loss"]), 2) == 5.27


def test_training_matches_the_formula_and_finite_differences():
    spec = load_spec(SPEC)
    net = spec.problems[0]
    p = solve(spec).problems[0]
    X, Y = net.inputs, net.targets
    W, b = net.layers[0].weights.copy(), net.layers[0].bias.copy()
    for k in range(1, net.iterations + 1):
        loss, dS = _hinge(W @ X + b[:, None], Y)
        assert float(p[f"it{k}.loss"]) == pytest.approx(loss, abs=1e-12)
        assert np.allclose(p[f"it{k}.dL_dyhat"], dS)
        dW, db = dS @ X.T / X.shape[1], dS.mean(axis=1)
        assert np.allclose(p[f"it{k}.dW1"], dW) and np.allclose(p[f"it{k}.db1"], db)
        for idx in np.ndindex(W.shape):                  # no margin sits at the hinge here
            h = np.zeros_like(W)
            h[idx] = 1e-7
            numeric = (_hinge((W + h) @ X + b[:, None], Y)[0] - _hinge((W - h) @ X + b[:, None], Y)[0]) / 2e-7
            assert numeric == pytest.approx(dW[idx], abs=1e-6)
        W, b = W - net.learning_rate * dW, b - net.learning_rate * db
    assert np.allclose(p["final.W1"], W) and np.allclose(p["final.b1"], b)


def test_at_the_hinge_the_subgradient_is_zero(write_spec):
    """s = (2, 1, 0.5) with class 1: ℓ_2 = max(0, 1 − 2 + 1) = 0 exactly, at the hinge: it does
    not count (1[0 > 0] = 0), so ∂ℓ/∂s = (0, 0, 0) + the other term: ℓ_3 = max(0, −0.5) = 0 too."""
    path = write_spec("""network:
  input: [2, 1, 0.5]
  target: [1, 0, 0]
  layers:
    - {activation: identity, weights: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}
  loss: multiclass_hinge
  stop_after: gradients
""")
    p = solve(load_spec(path)).problems[0]
    assert float(p["it1.loss"]) == 0 and np.all(np.asarray(p["it1.dL_dyhat"]) == 0)


@pytest.mark.parametrize("mode", ["display", "carry"])
def test_the_solution_checks_by_hand(mode):
    spec = load_spec(SPEC)
    policy = replace(spec.rounding, mode=mode)
    tex = render(spec, solve(spec, policy), "solution")
    report = check_tex(tex, mode)
    assert not report.failures, [f"{f.left} {f.rel} {f.right}: {f.why}" for f in report.failures[:5]]
    assert report.checked >= 20
    assert r"\max\bigl(0," in tex and r"\mathbf{1}[" in tex and "subgradient 0" in tex


@pytest.mark.parametrize("body, field, words", [
    ("  target: [[1, 0], [1, 0], [0, 1]]\n", "network.target", "one-hot"),
    ("  target: [[0.5, 0], [0.5, 0], [0, 1]]\n", "network.target", "one-hot"),
])
def test_targets_must_be_one_hot(write_spec, body, field, words):
    text = SPEC.read_text().replace("  target: [[1, 0], [0, 0], [0, 1]]\n", body)
    result = CliRunner().invoke(main, ["render", str(write_spec(text)), "--format", "tex"])
    assert result.exit_code == 2 and field in result.stderr and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_output_unit_is_no_multiclass_problem(write_spec):
    path = write_spec("""network:
  input: [1]
  target: [1]
  layers: [{activation: identity, weights: [[1]]}]
  loss: hinge
  learning_rate: 0.1
  iterations: 1
""")
    result = CliRunner().invoke(main, ["render", str(path), "--format", "tex"])
    assert result.exit_code == 2 and "network.loss" in result.stderr and "one unit per class" in result.stderr
