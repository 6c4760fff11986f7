"""Number formats and labels a teacher reads on the page (teacher report 20), checked on the
rendered .tex: computed values at significant figures show their figures (1.00, never 1 beside
0.500); one value printed one way in consecutive lines; carry-table labels as the document writes
entries ((W_hh)_12, the optimizer's step as the step it takes); the RNN and attention question
sheets; a gradient written exactly 0 takes a step of 0 whatever its denominator."""

from __future__ import annotations

import re

import pytest

from generator.errors import ComputationError
from generator.labels import label
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec

TABLE = r"\section*{Carried rounding and full precision}"

ATTENTION = """title: "Causal self-attention"
rounding:
  significant: 3
parts:
  - kind: attention
    tokens: [[1, 0], [0, 1], [1, 1]]
    W_q: [[1, 0], [0, 2]]
    W_k: [[0.5, 1], [1, 0]]
    W_v: [[1, 2], [0, -1]]
    mask: MASK
    upstream: ones
"""

ADAGRAD = """title: "Adagrad with leaky ReLU"
rounding:
  mode: carry
  decimals: 4
  kinds: {activation: {significant: 3}}
network:
  input: INPUT
  target: [1, 0]
  layers:
    - activation: leaky_relu
      slope: 0.1
      weights: [[1, -1], [-0.5, 2]]
      bias: [0, 1]
    - activation: identity
      weights: [[0.5, 1], [1, 0]]
      bias: [0, 0]
  loss: half_mse
  learning_rate: 0.1
  iterations: ITERATIONS
  optimizer: OPTIMIZER
"""

RNN = """title: "Unrolled RNN, carried rounding"
rounding:
  mode: carry
  decimals: 3
parts:
  - kind: rnn
    inputs: [[1], [0.5], [-1]]
    h0: [0, 0]
    W_xh: [[0.5], [-0.3]]
    W_hh: [[0.1, 0.2], [-0.4, 0.3]]
    W_hy: [[1, -1]]
    b_h: [0, 0.1]
    b_y: [0]
    activation: tanh
    output: identity
    targets: [[0.5], null, [1]]
    loss: half_sse
    learning_rate: 0.1
    iterations: 2
"""

RMSPROP = """title: "RMSProp"
rounding:
  mode: carry
  significant: 3
network:
  input: [1, -1]
  target: [0.5]
  layers:
    - activation: tanh
      weights: [[0.2, -0.3], [0.4, 0.1]]
      bias: [0, 0]
    - activation: identity
      weights: [[0.5, -0.5]]
      bias: [0]
  loss: half_sse
  learning_rate: 0.01
  iterations: 2
  optimizer: {name: rmsprop}
"""

MOMENTUM = """title: "Momentum with mini-batches"
rounding:
  mode: carry
  decimals: 4
network:
  input: [[1, 0, 2, -1], [0, 1, 1, 2]]
  target: [1, 0, 1, 0]
  layers:
    - activation: relu
      weights: [[0.5, -0.5], [0.25, 0.75]]
      bias: [0, 0]
    - activation: identity
      weights: [[1, -0.5]]
      bias: [0.5]
  loss: half_sse
  learning_rate: 0.1
  iterations: 3
  batch_size: 2
  optimizer: {name: momentum, beta: 0.9}
"""


def _tex(write_spec, text: str, what: str = "solution") -> str:
    spec = load_spec(write_spec(text))
    return render(spec, solve(spec), what)


def _line(tex: str, start: str) -> str:
    return next(line for line in tex.splitlines() if line.startswith(start))


def _adagrad(input_="[2, 1]", iterations=2, optimizer="{name: adagrad, epsilon: 1e-10}") -> str:
    return (ADAGRAD.replace("INPUT", input_).replace("ITERATIONS", str(iterations))
            .replace("OPTIMIZER", optimizer))


# ---- 1. significant figures: a computed whole number shows its figures ----------------------

def test_attention_at_three_figures_writes_computed_whole_numbers_with_their_figures(write_spec):
    tex = _tex(write_spec, ATTENTION.replace("MASK", "causal"))
    k = _line(tex, r"\eqbox{K = ")
    assert k.endswith(r"= \begin{bmatrix} 0.500 & 1.00 \\ 1.00 & 0 \\ 1.50 & 1.00 \end{bmatrix}}"), k
    o = [_line(tex, rf"\eqbox{{O_{{{i},{j}}} = ") for i, j in ((1, 1), (1, 2), (2, 1), (2, 2))]
    assert [line.rsplit(" ", 1)[1] for line in o] == ["1.00}", "2.00}", "0.804}", "1.41}"], o
    a = _line(tex, r"\eqbox{A = ")
    assert r"\approx \begin{bmatrix} 1.00 & 0 & 0 \\ 0.804 &" in a, a       # A_1, A_2
    # given values still print as given: W_k = [0.5 1; 1 0]
    assert r"W_k = \begin{bmatrix} 0.5 & 1 \\ 1 & 0 \end{bmatrix}" in tex


def test_network_output_at_three_figures_is_one_format(write_spec):
    tex = _tex(write_spec, _adagrad())
    # the output layer's activation (identity): z as printed, then a at 3 significant figures
    assert r"a^{(2)} = \begin{bmatrix} 2.5 \\ 1.0 \end{bmatrix} = \begin{bmatrix} 2.50 \\ 1.00 \end{bmatrix}" in tex
    # z at 4 decimals (trailing zeros dropped): one format per matrix, 2.5 beside 1.0
    assert r"= \begin{bmatrix} 2.5 \\ 1.0 \end{bmatrix}}" in tex


# ---- 3. the same value printed one way in consecutive lines --------------------------------

def test_entry_lines_print_entries_as_their_matrix_does(write_spec):
    tex = _tex(write_spec, RNN)
    lines = [l for l in tex.splitlines() if r"\partial (W_{hy})_{1," in l][:2]
    assert lines[0].endswith(r"\approx 0.90}") and lines[1].endswith(r"\approx -0.39}"), lines
    assert r"\begin{bmatrix} 1 - 0.1 \cdot 0.90 & (-1) - 0.1 \cdot (-0.39) \end{bmatrix}" in tex   # the update


def test_optimizer_quotients_print_operands_as_their_matrices(write_spec):
    tex = _tex(write_spec, _adagrad())
    den = _line(tex, r"\eqbox{\sqrt{s_{W^{(2)}}} + \varepsilon")
    assert den.endswith(r"\approx \begin{bmatrix} 0.75 & 1.50 \\ 0.50 & 1.00 \end{bmatrix}}"), den
    step = _line(tex, r"\eqbox{\eta\, \frac{\partial L}{\partial W^{(2)}} \Big/")
    assert r"\dfrac{0.1 \cdot 1.00}{1.00}" in step and "{1.0}" not in step, step


def test_carry_table_pairs_have_one_format(write_spec):
    table = _tex(write_spec, MOMENTUM).split(TABLE, 1)[1].split(r"\end{tabular}", 1)[0]
    assert r"b^{(1)}_{1} \text{ (after training)}$ & $0.0711$ & $0.0710$" in table
    for carried, full in re.findall(r"& \$(-?[\d.]+)\$ & \$(-?[\d.]+)\$", table):
        assert len(carried.split(".")[-1]) == len(full.split(".")[-1]), (carried, full)


# ---- 2. labels --------------------------------------------------------------------------------

def test_rnn_carry_table_keeps_the_entry_index_out_of_the_name(write_spec):
    table = _tex(write_spec, RNN).split(TABLE, 1)[1].split(r"\end{tabular}", 1)[0]
    assert r"$(W_{hh})_{12} \text{ (after training)}$" in table
    assert r"$(b_h)_{2} \text{ (after training)}$" in table
    assert "{W_{hh}}_" not in table and "{b_h}_" not in table


def _problem(write_spec, text: str):
    return solve(load_spec(write_spec(text))).problems[0]


def test_rnn_labels_write_the_index_outside_the_subscript(write_spec):
    assert label("final.W_hy", (0, 1), kind="rnn").startswith("(W_{hy})_{12}")
    assert label("final.W_xh", (1, 0), kind="rnn").startswith("(W_{xh})_{21}")
    p = _problem(write_spec, MOMENTUM)
    assert label("final.W1", (0, 1), problem=p).startswith("w^{(1)}_{12}")        # as its page writes it


def test_optimizer_steps_are_labelled_as_the_step_taken(write_spec):
    """A step's label is the symbol its page prints, told by the note its step declared: gradient
    descent's η ∂L/∂W, RMSProp's and Adam's own quotients, never η∇W for a step that is no gradient
    step; in plain text the step of W⁽²⁾ (η dL/dW2 for gradient descent)."""
    sgd = _problem(write_spec, _adagrad(optimizer="sgd"))
    assert label("it2.stepW2", (0, 1), problem=sgd) == \
        r"\left(\eta \partial L / \partial W^{(2)}\right)_{12} \text{ (iteration 2)}"
    assert label("it2.stepW2", (0, 1), tex=False, problem=sgd) == "(eta dL/dW2)[1,2] (iteration 2)"
    rms = _problem(write_spec, RMSPROP)
    step = label("it2.stepW2", (0, 1), problem=rms)
    assert step.startswith(r"\left(\eta\, \partial L / \partial W^{(2)} \Big/") and r"\nabla" not in step
    assert label("it1.sb1", (1,), problem=rms).startswith(r"\left(s_{b^{(1)}}\right)_{2}")
    assert label("it2.stepW2", (0, 1), tex=False, problem=rms) == "(step W2)[1,2] (iteration 2)"
    adam = _problem(write_spec, _adagrad(optimizer="{name: adam}"))
    assert label("it1.denW1", (0, 1), problem=adam).startswith(
        r"\left(\sqrt{\hat{v}_{W^{(1)}}} + \varepsilon\right)_{12}")
    assert label("it1.denW1", (0, 1), tex=False, problem=adam) == "(sqrt(vhatW1) + epsilon)[1,2] (iteration 1)"


def test_rmsprop_carry_table_does_not_call_its_step_eta_gradient(write_spec):
    tex = _tex(write_spec, RMSPROP)
    if TABLE not in tex:
        pytest.skip("no carried-rounding table for these numbers")
    table = tex.split(TABLE, 1)[1].split(r"\end{tabular}", 1)[0]
    assert r"\eta \nabla" not in table


# ---- 4. the question sheets -------------------------------------------------------------------

def test_rnn_question_says_gradient_descent_defines_n_and_sets_rounding_apart(write_spec):
    tex = _tex(write_spec, RNN, "question")
    assert "gradient descent" in tex
    assert r"\sum_{i=1}^{n}" in tex and "with $n = 1$ output per step" in tex
    assert "final parameters.\n\n" + r"\noindent\emph{Rounding.}" in tex


@pytest.mark.parametrize("mask", ["causal", "none"])
def test_attention_question_writes_the_mask_term_when_there_is_one(write_spec, mask):
    tex = _tex(write_spec, ATTENTION.replace("MASK", mask), "question")
    scores = re.search(r"S = Q K\^\{T\} / \\sqrt\{d_k\}( \+ M)?,", tex)
    assert scores and bool(scores.group(1)) == (mask == "causal"), scores
    if mask == "causal":
        assert r"M_{ij} = -\infty" in tex
    rounding = tex.index(r"\noindent\emph{Rounding.}")
    assert tex[:rounding].endswith("\n\n")


# ---- 5. a gradient written exactly 0 takes a step of 0 ----------------------------------------

@pytest.mark.parametrize("optimizer,iterations", [("{name: adagrad, epsilon: 1e-10}", 2), ("{name: rmsprop}", 1),
                                                  ("{name: adam}", 1), ("{name: adamw}", 1)])
def test_zero_gradient_over_a_denominator_rounded_to_zero_is_a_zero_step(write_spec, optimizer, iterations):
    spec = load_spec(write_spec(_adagrad("[2, 0]", iterations, optimizer)))
    trace = solve(spec)
    step = trace.problems[0].dec("it1.stepW1")
    assert step[0, 1] == 0 and step[1, 1] == 0
    assert trace.problems[0].dec("it1.denW1")[0, 1] == 0          # carried: 1e-10 or 1e-8 is 0.0000
    tex = render(spec, trace, "solution")
    step = next(l for l in tex.splitlines() if l.startswith(r"\eqbox{\eta\,") and r"W^{(1)}" in l
                and "cdot" in l)
    assert "/ 0.0000" not in step and "/ 0 " not in step, step           # never 0/0: the entry is 0
    assert re.search(r"& 0 \\\\(\[3ex\])? 0 & 0 \\end\{bmatrix\}", step), step


def test_adagrad_zero_gradient_full_run_matches_display_mode(write_spec):
    spec = load_spec(write_spec(_adagrad("[2, 0]")))
    carried = solve(spec).problems[0]
    assert carried.dec("it1.stepW1")[0, 1] == 0 and carried.dec("it2.stepW1")[0, 1] == 0


def test_a_rounded_zero_gradient_still_refuses(write_spec):
    text = ("rounding: {mode: carry, decimals: 4}\nnetwork:\n  input: [0.01]\n  target: [0.0001]\n"
            "  layers:\n    - {activation: identity, weights: [[0.1]]}\n  loss: half_sse\n"
            "  optimizer: {name: adagrad}\n  learning_rate: 0.1\n  iterations: 1\n")
    with pytest.raises(ComputationError, match=r"denW1\[1,1\].*rounds to 0.0000.*0/0"):
        solve(load_spec(write_spec(text)))
