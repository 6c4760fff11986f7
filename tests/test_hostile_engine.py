"""The one guard of every engine (``trace.guard``): a computation that overflows, underflows or
divides by a value that is (or carried rounding makes) 0 ends in one line naming the value and
why, exit status 2, never a traceback; and a homework variant that cannot be computed is drawn
again and counted, not fatal.  Each case here was a traceback or a misleading "diverges"."""

import shutil

import pytest
from click.testing import CliRunner

from generator import homework as hw
from generator.cli import main
from generator.errors import ComputationError, SpecError
from generator.solve import solve
from generator.spec import load_spec, spec_from_data

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")

CARRY4 = "rounding: {mode: carry, decimals: 4}\n"


def trace_error(write_spec, text):
    """Exit status and output of ``dryrun trace`` on the spec ``text``: one error line."""
    path = write_spec(text)
    result = CliRunner().invoke(main, ["trace", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith(f"dryrun: error: {path}: ")
    assert "Traceback" not in result.output and "diverges" not in result.output
    with pytest.raises(ComputationError):
        solve(load_spec(path))
    return lines[0]


def attention(tokens, W_q, W_k, mask="none", rounding="rounding: {decimals: 4}\n"):
    return (rounding + "parts:\n  - kind: attention\n"
            f"    tokens: {tokens}\n    W_q: {W_q}\n    W_k: {W_k}\n    W_v: [[1, 0.5], [0, 1]]\n"
            f"    mask: {mask}\n    upstream: [[0.1, -0.2], [0.3, 0.1], [-0.2, 0.4]]\n")


# ---- large values: the recorder's bound, e^x out of range ----

def test_attention_with_large_values_names_the_exponential(write_spec):
    line = trace_error(write_spec, attention("[[3, 3], [3, -3], [-3, 3]]", "[[2, -2], [2, 2]]",
                                             "[[2, 2], [-2, 2]]", mask="causal"))
    assert "exp[3,1] (e^z (0 where masked)) is 1.66e+44, beyond 1e+15" in line
    assert "too large for a hand calculation" in line


def test_batchnorm_with_large_values_names_the_square(write_spec):
    line = trace_error(write_spec, "rounding: {decimals: 4}\nparts:\n  - kind: batchnorm\n"
                       "    input: [[1000000000000, -1000000000000, 3, 6], [0.5, -0.5, 1.5, 0.5]]\n")
    assert "squares[1,1] ((x - mu)^2) is 1.00e+24, beyond 1e+15" in line


def test_attention_exponential_overflow(write_spec):          # was decimal.Overflow
    line = trace_error(write_spec, attention("[[1000, 1000], [1, 0], [0, 1]]", "[[1000, 1000], [2, 2]]",
                                             "[[1000, 1000], [-2, -2]]"))
    assert "e^x of scores[1,1] = 1.41e+12 overflows" in line


def test_attention_exponential_underflow(write_spec):         # was 0/0: decimal.InvalidOperation
    line = trace_error(write_spec, attention("[[1000, 1000], [1, 0], [0, 1]]", "[[1000, 1000], [2, 2]]",
                                             "[[-1000, -1000], [-2, -2]]", mask="causal"))
    assert "e^x of scores[1,1] = -1.42e+12 underflows to 0" in line


def test_a_masked_score_is_never_exponentiated():
    # S_12 = -7.1e6 would underflow, but under the causal mask token 1 never attends to token 2
    part = {"kind": "attention", "tokens": [[1, 0], [0, 1]], "W_q": [[10000, 0], [0, 1]],
            "W_k": [[0, 1], [-1000, 0]], "W_v": [[1], [1]], "mask": "causal"}
    trace = solve(spec_from_data({"parts": [part]}))
    assert list(trace.problem("part1")["weights"][0]) == [1, 0]
    with pytest.raises(ComputationError, match=r"e\^x of scores\[1,2\] = -7.07e\+6 underflows to 0"):
        solve(spec_from_data({"parts": [{**part, "mask": "none"}]}))


def test_an_exact_value_below_any_decimal_is_an_error_not_a_broken_template():
    # σ(−10¹²) exactly: 5e-434294482512; it was a TemplateError (exit 5) when printed
    spec = spec_from_data({"parts": [{"kind": "expression", "formula": "y = sigmoid(w*x + b)", "inputs": {"x": 2},
                                      "parameters": {"w": -700, "b": -1e12}, "target": -700, "loss": "half_sse",
                                      "train": ["w", "b"], "learning_rate": 0.5}]})
    with pytest.raises(ComputationError, match=r"part1: node\.y \(y\) is 5\.44e-434294482512, below 1e-999999"):
        solve(spec)


# ---- carry mode: a value that rounds to 0 (or 1), then divided by or taken the log of ----

def test_causal_row_whose_only_exponential_rounds_to_zero(write_spec):
    line = trace_error(write_spec, attention("[[3, 3], [0.1, 0], [0, 0.1]]", "[[2, 2], [2, 2]]",
                                             "[[-2, -2], [-2, -2]]", mask="causal", rounding=CARRY4))
    assert "exp[1,1] (e^z (0 where masked)) is 3.60e-89, which rounds to 0.0000 at 4 decimals" in line
    assert "a later step computes 0/0" in line and "more decimals or significant figures" in line


def test_batchnorm_variance_rounding_to_zero_with_epsilon_zero(write_spec):
    line = trace_error(write_spec, CARRY4 + "parts:\n  - kind: batchnorm\n"
                       "    input: [[0.0001, 0, 0, 0], [0.5, -0.5, 1.5, 0.5]]\n    epsilon: 0\n")
    assert "variance[1] (sigma^2 = sum (x - mu)^2 / N) is 2.5e-9, which rounds to 0.0000 at 4 decimals" in line
    assert "divides by 0" in line


def network(optimizer="sgd", activation="identity", weight=0.001, x=0.001, loss="half_sse", target=0):
    return (CARRY4 + f"network:\n  input: [{x}]\n  target: [{target}]\n  layers:\n"
            f"    - {{activation: {activation}, weights: [[{weight}]]}}\n  loss: {loss}\n"
            f"  optimizer: {{name: {optimizer}}}\n  learning_rate: 0.1\n  iterations: 1\n")


@pytest.mark.parametrize("optimizer,state,eps", [("adam", "vhat", "1e-8"), ("adamw", "vhat", "1e-8"),
                                                 ("rmsprop", "s", "1e-8"), ("adagrad", "s", "1e-10")])
def test_optimizer_denominator_rounding_to_zero(write_spec, optimizer, state, eps):
    # the gradient 0.000009 is written ≈ 0.0000 (rounded): its step over a denominator rounded
    # to 0 has no value.  (A gradient written exactly 0 takes a step of 0: tests/test_formats.py)
    line = trace_error(write_spec, network(optimizer, weight=0.1, x=0.01, target=0.0001))
    assert (f"main: it1.denW1[1,1] (sqrt({state}W1) + epsilon) is {eps}, which rounds to 0.0000 at 4 decimals, "
            "so a later step computes 0/0") in line


def test_sigmoid_rounding_to_one_before_the_log_of_bce(write_spec):
    line = trace_error(write_spec, network(activation="sigmoid", weight=10, x=1, loss="bce"))
    assert ("it1.a1[1] (sigmoid(z1)) is 0.9999546, which rounds to 1.0000 at 4 decimals, "
            "so a later step takes the logarithm of 0") in line


def test_significant_figures_name_their_precision(write_spec):
    text = network(activation="sigmoid", weight=10, x=1, loss="bce").replace(
        CARRY4, "rounding: {mode: carry, significant: 3}\n")
    line = trace_error(write_spec, text)
    assert "it1.a1[1] (sigmoid(z1)) is 0.999955, which rounds to 1.00 at 3 significant figures" in line


def test_cnn_sigmoid_rounding_to_one(write_spec):
    line = trace_error(write_spec, CARRY4 + "parts:\n  - kind: cnn\n    input: [[1, 0], [0, 1]]\n"
                       "    conv: {kernels: [[[5, 0], [0, 5]]], activation: relu}\n"
                       "    dense: [{activation: sigmoid, weights: [[1]]}]\n"
                       "    target: 0\n    loss: bce\n    learning_rate: 0.1\n    iterations: 1\n")
    assert "it1.a1[1] (a1 = f(z1)) is 0.9999546, which rounds to 1.0000" in line
    assert "the logarithm of 0" in line


def test_rnn_sigmoid_rounding_to_one(write_spec):
    line = trace_error(write_spec, CARRY4 + "parts:\n  - kind: rnn\n    inputs: [[1], [1]]\n    h0: [0]\n"
                       "    W_xh: [[1]]\n    W_hh: [[0]]\n    W_hy: [[20]]\n    activation: tanh\n"
                       "    output: sigmoid\n    targets: [[0], [0]]\n    loss: bce\n    learning_rate: 0.1\n"
                       "    iterations: 1\n")
    assert "rounds to 1.0000 at 4 decimals, so a later step takes the logarithm of 0" in line


def test_the_same_specs_compute_at_full_precision():
    """Display mode: nothing rounds to 0, so the carry-mode cases above are properties of the
    precision only."""
    spec = spec_from_data({"rounding": {"decimals": 4}, "network": {
        "input": [1], "target": [0], "layers": [{"activation": "sigmoid", "weights": [[10]]}],
        "loss": "bce", "learning_rate": 0.1, "iterations": 1}})
    assert solve(spec).problem()["it1.loss"] > 9.9


def test_a_real_divergence_still_says_so(write_spec):
    path = write_spec("network:\n  input: [1000000, 1]\n  target: [1]\n  layers:\n"
                      "    - {activation: identity, weights: [[1000000, 1000000]]}\n"
                      "    - {activation: identity, weights: [[1000000]]}\n"
                      "  loss: sse\n  learning_rate: 1000000\n  iterations: 3\n")
    result = CliRunner().invoke(main, ["trace", str(path)])
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1
    assert "it1.prod2[1,1] (W2_ij a1_j) is 1.00e+18, beyond 1e+15: the computation diverges" in result.output


def test_the_guard_error_is_a_spec_error_that_keeps_its_class():
    err = ComputationError("x rounds to 0", field="main").located("a.yaml")
    assert isinstance(err, ComputationError) and isinstance(err, SpecError) and err.exit_code == 2
    assert str(err) == "a.yaml: main: x rounds to 0"


# ---- homework: a variant that cannot be computed is drawn again, and counted ----

HOMEWORK = """title: "Attention homework"
rounding: {mode: carry, decimals: 2}
parts:
  - kind: attention
    tokens: [[1, 0], [0, 1], [1, 1]]
    W_q: [[0.5, 0.2], [0.1, 0.4]]
    W_k: [[0.3, 0.1], [0.2, 0.6]]
    W_v: [[1, 0.5], [0, 1]]
    mask: causal
randomize:
  values:
    parts[0].tokens: {integers: [-3, 3]}
    parts[0].W_q: {multiples: 1, min: -2, max: 2}
    parts[0].W_k: {multiples: 1, min: -2, max: 2}
"""


def test_variants_that_cannot_be_computed_are_drawn_again(write_spec):
    spec = load_spec(write_spec(HOMEWORK))
    batch = hw.draw(spec, hw.plan_variants(10, None), seed=1)          # was a traceback
    assert len(batch.variants) == 10 and not batch.failed
    assert sum(len(m) for m in batch.redrawn.values()) == 7 and set(batch.redrawn) == {"v02", "v03", "v05", "v08"}
    messages = [m for ms in batch.redrawn.values() for m in ms]
    assert all(" is " in m and "\n" not in m for m in messages)
    warning = batch.redraw_warning()
    assert warning.startswith("7 draw(s) of 4 variant(s) could not be computed and were drawn again (the first: ")
    assert "\n" not in warning
    again = hw.draw(spec, hw.plan_variants(10, None), seed=1)           # the same variants
    assert [v.spec.data for v in again.variants] == [v.spec.data for v in batch.variants]


def test_a_variant_not_in_this_run_does_not_count(write_spec):
    spec = load_spec(write_spec(HOMEWORK))
    batch = hw.draw(spec, hw.plan_variants(10, None, shard=(2, 5)), seed=1)   # v02 and v07
    assert [v.ident for v in batch.variants] == ["v02", "v07"]
    assert set(batch.redrawn) == {"v02"} and len(batch.redrawn["v02"]) == 2


def test_no_redraw_no_warning():
    from tests.conftest import SPECS
    batch = hw.draw(load_spec(SPECS / "seed003.yaml"), hw.plan_variants(2, None), seed=5)
    assert batch.redrawn == {} and batch.redraw_warning() is None


def test_impossible_draws_still_stop_after_three_variants(write_spec):
    text = HOMEWORK.replace("parts[0].tokens: {integers: [-3, 3]}", "parts[0].tokens: {choices: [1000]}") \
                   .replace("{multiples: 1, min: -2, max: 2}", "{choices: [1000]}") \
                   + "  max_attempts: 4\n"
    spec = load_spec(write_spec(text))
    batch = hw.draw(spec, hw.plan_variants(6, None), seed=1)
    assert batch.variants == [] and len(batch.failed) == 6
    first = batch.failed[0][1]
    assert "no variant satisfies the constraints in 4 attempts; 'a computable solution (the first failed: " in first
    assert "rejected 4 of them" in first
    assert all("not drawn: the first 3 variants" in m for _, m in batch.failed[3:])
    assert sum(len(m) for m in batch.redrawn.values()) == 12


@needs_tex
def test_homework_command_warns_with_the_count(write_spec, tmp_path):
    path = write_spec(HOMEWORK)
    result = CliRunner().invoke(main, ["homework", str(path), "-n", "3", "--seed", "1", "-o", str(tmp_path / "out"),
                                       "--key", "none"])
    assert result.exit_code == 0, result.output
    assert "dryrun: warning: homework: 3 draw(s) of 2 variant(s) could not be computed and were drawn again" \
        in result.output
    assert (tmp_path / "out" / "answers.csv").exists()
