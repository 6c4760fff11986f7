"""The update pages of every optimizer follow from their printed numbers, in both modes.

Every optimizer (sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw) × {display, carry} ×
{decimals, significant figures} × {decimal point, comma} is rendered and read back by
``tests.handcheck``: the whole document by its usual rules, and the parameter updates held to what
the rounding note promises in display mode (``strict``): recomputed from the numbers the line
prints, each result rounded like the printed one is at most one unit in the last digit from it
(carry mode: exactly its rounding).  The CNN case of issue 20 (3 decimals, decimal comma, tanh,
average pooling, stride 2) is held to it on every line.  Where the operands' own precision would
not support the result, the line prints them with more digits (``generator.operands``)."""

from __future__ import annotations

import random
import re
import shutil
from decimal import Decimal

import pytest

from generator.errors import SpecError
from generator.numbers import Precision, RoundingPolicy
from generator.operands import extra_digits
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, spec_from_data
from tests.handcheck import check_tex
from tests.test_handcheck import random_network

OPTIMIZERS = {
    "sgd": "sgd",
    "momentum": {"name": "momentum", "beta": 0.9},
    "nesterov": {"name": "nesterov", "beta": 0.9},
    "rmsprop": {"name": "rmsprop", "rho": 0.9},
    "adagrad": {"name": "adagrad"},
    "adam": {"name": "adam"},
    "adamw": {"name": "adamw", "weight_decay": 0.1},
}

# gradients near 1, so that carry mode at 4 decimals keeps Adam's second moments above 0
NET = {"input": [1.0, -2.0], "target": [2.5],
       "layers": [{"activation": "tanh", "weights": [[0.5, -0.3], [0.8, 0.2]], "bias": [0.1, -0.2]},
                  {"activation": "identity", "weights": [[1.2, -0.7]], "bias": [0.3]}],
       "loss": "half_sse", "learning_rate": 0.05, "iterations": 3}

UPDATES = re.compile(r"\\subsubsection\*\{Parameter updates\}(.*?)(?=\\subsection|\\section|\\end\{document\}|\Z)",
                     re.S)


def updates(tex: str) -> str:
    """The parameter updates of every iteration, nothing else of the document."""
    found = UPDATES.findall(tex)
    assert found, "no parameter updates in the document"
    return "\n".join(found)


def _failures(report) -> str:
    return "\n".join(f"{f.left[:200]} {f.rel} {f.right[:80]}: {f.why}" for f in report.failures[:8])


def hand_checked(spec, mode: str, whole: bool = True) -> int:
    """Render the solution and hand-check it: the document by its usual rules (``whole``), the
    updates by the rounding note (strict); the number of update relations checked."""
    tex = render(spec, solve(spec, spec.rounding), "solution")
    if whole:
        report = check_tex(tex, mode)
        assert not report.failures, _failures(report)
    part = check_tex(updates(tex), mode, strict=True)
    assert not part.failures, _failures(part)
    return part.checked


@pytest.mark.parametrize("comma", [False, True], ids=["point", "comma"])
@pytest.mark.parametrize("precision", [{"decimals": 4}, {"significant": 3}], ids=["decimals", "significant"])
@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_every_optimizer_checks_by_hand(opt, mode, precision, comma):
    spec = spec_from_data({"rounding": {"mode": mode, **precision, "decimal_comma": comma},
                           "network": dict(NET, optimizer=OPTIMIZERS[opt])})
    lines = 1 if opt == "sgd" else 2                      # W − η ∂L/∂W in one line; else the step, then W − ΔW
    assert hand_checked(spec, mode) >= 3 * 4 * lines      # iterations × parameters × lines


def test_random_networks_with_every_optimizer_check_by_hand():
    """Random networks (batches, frozen layers, every activation and loss), an optimizer each,
    at 2–4 decimals or significant figures, in both modes: their parameter updates."""
    rng = random.Random(2020)
    done = total = 0
    while done < 42:
        net = random_network(rng)
        if net.get("notation") == "scalar":
            continue                         # the optimizers are written in matrix notation only
        opt = sorted(OPTIMIZERS)[done % len(OPTIMIZERS)]
        net["optimizer"] = OPTIMIZERS[opt]
        mode = ("display", "carry")[(done // len(OPTIMIZERS)) % 2]
        style = rng.choice(("decimals", "significant"))
        rounding = {"mode": mode, style: rng.randint(2, 4), "decimal_comma": rng.random() < 0.3}
        try:
            spec = spec_from_data({"rounding": rounding, "network": net})
            solve(spec)
        except SpecError:                    # carried rounding made a denominator 0, say
            continue
        try:
            total += hand_checked(spec, mode, whole=False)
        except AssertionError as exc:
            raise AssertionError(f"{opt}, {rounding}: {exc}") from None
        done += 1
    assert total > 400, total


CNN = """
title: "CNN: tanh, average pooling, stride 2, decimal comma"
rounding: {decimals: 3, decimal_comma: true}
parts:
  - kind: cnn
    id: cnn
    input: [[1, 0, 2, 3, 0, 1], [0, 1, 3, 0, 2, 2], [2, 3, 0, 1, 1, 0], [1, 0, 1, 2, 3, 1], [3, 2, 1, 1, 0, 2], [0, 1, 2, 3, 1, 0]]
    conv:
      kernels: [[[0.3, -0.2], [0.1, 0.2]]]
      bias: [0.1]
      stride: 2
      padding: 0
      activation: tanh
    pool: {mode: average, window: 2, stride: 1}
    dense:
      - activation: sigmoid
        weights: [[1.5, -1.2, 0.8, 1.1]]
        bias: [0]
    target: 0
    loss: bce
    learning_rate: 0.5
    iterations: 2
"""


@pytest.mark.parametrize("mode", ["display", "carry"])
def test_the_cnn_of_issue_20_checks_by_hand_on_every_line(write_spec, mode):
    from dataclasses import replace
    spec = load_spec(write_spec(CNN))
    policy = replace(spec.rounding, mode=mode)
    tex = render(spec, solve(spec, policy), "solution")
    assert "{,}" in tex and r"\tanh" in tex
    report = check_tex(tex, mode, strict=True)
    assert not report.failures, _failures(report)
    assert report.checked >= 60
    if mode == "carry":       # iteration 2's ∂L/∂z carry to 0 at 3 decimals: fewer products, one matrix
        return
    # each kernel gradient sums 9 products ∂L/∂z_ij · x[2i + a, 2j + b], their ∂L/∂z printed with
    # the digits it needs; a product with an input 0 is left out, and the line says so
    x = [[1, 0, 2, 3, 0, 1], [0, 1, 3, 0, 2, 2], [2, 3, 0, 1, 1, 0], [1, 0, 1, 2, 3, 1], [3, 2, 1, 1, 0, 2],
         [0, 1, 2, 3, 1, 0]]
    sums = re.findall(r"\\frac\{\\partial L\}\{\\partial w\^\{\(1\)\}_\{(\d)(\d)\}\} = (.*?) (?:=|\\approx) "
                      r"[-\d{},]+( \\quad \\text\{\(the other products are 0\)\})?\}", tex)
    assert len(sums) == 8
    for a, b, terms, remark in sums:
        nonzero = sum(x[2 * i + int(a) - 1][2 * j + int(b) - 1] != 0 for i in range(3) for j in range(3))
        assert terms.count(r"\cdot") == nonzero and bool(remark) == (nonzero < 9), (a, b, terms)


def test_the_strict_rule_is_the_rounding_note():
    """One unit in the last digit, and no more: the issue's Adam lines fail it as printed before."""
    bad = [r"\eqbox{W = 0.05000 - 0.04958 \approx 0.0004153}",
           r"\eqbox{\hat{m} = \frac{1}{0.19} \cdot 0.1432 \approx 0.7535}",
           r"\eqbox{w = {0{,}2 \cdot 1} + {0{,}197 \cdot 1} \approx 0{,}400}"]
    good = [r"\eqbox{W = 0.05000 - 0.0495847 \approx 0.0004153}",
            r"\eqbox{\hat{m} = \frac{1}{0.19} \cdot 0.14316 \approx 0.7535}",
            r"\eqbox{\hat{m} = \frac{1}{0.19} \cdot 0.14318 \approx 0.7535}"]     # 0.75358: one unit off
    for line in bad:
        assert len(check_tex(line, "display", strict=True).failures) == 1, line
    for line in good:
        report = check_tex(line, "display", strict=True)
        assert report.checked == 1 and not report.failures, line


def test_operands_get_the_digits_their_result_needs():
    sig4 = RoundingPolicy(default=Precision("significant", 4))
    sig = Precision("significant", 4)
    m = Decimal("0.143162")                                    # printed 0.1432
    mhat = m / Decimal("0.19")                                 # 0.753484…, printed 0.7535
    assert extra_digits(sig4, "b/a", mhat, sig, [(Decimal("0.19"), None), (m, "gradient")]) == 1
    w, step = Decimal("0.05"), Decimal("0.04958470")           # cancellation: 0.0004153
    assert extra_digits(sig4, "a-b", w - step, sig, [(w, None), (step, "gradient")]) == 2   # 0.0495847
    assert extra_digits(sig4, "a*b", Decimal("0.1") * m, sig, [(Decimal("0.1"), None), (m, "gradient")]) == 0
    # 0.05 · 0.1432 = 0.00716, two units from 0.007158: the mantissa grew, one more digit
    assert extra_digits(sig4, "a*b", Decimal("0.05") * m, sig, [(Decimal("0.05"), None), (m, "gradient")]) == 1
    carry = RoundingPolicy(mode="carry", default=sig)
    assert extra_digits(carry, "a-b", w - step, sig, [(w, None), (step, "gradient")]) == 0


needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")


@needs_tex
@pytest.mark.parametrize("opt", ["nesterov", "rmsprop", "adamw"])
def test_update_pages_are_legible(opt, tmp_path):
    """Nothing past the margins, and each optimizer's rule set as a display line of its own (no
    heading broken inside a parenthesis)."""
    from generator.compile import compile_pdf
    from tests.legibility import problems
    net = dict(NET, optimizer=OPTIMIZERS[opt], input=[[1.0, -2.0, 0.5], [0.5, 1.0, -1.0]],
               target=[[2.5, -1.0, 0.5]])
    spec = spec_from_data({"rounding": {"significant": 4}, "network": net})
    tex = render(spec, solve(spec), "solution")
    assert re.search(r"\\step\{Update \$W\^\{\(1\)\}\$ with [^$]*?(\$[^$]*\$[^$]*?)?:\}\n\\eqbox\{", tex)
    pdf = tmp_path / "u.pdf"
    compile_pdf(tex, pdf)
    assert problems(pdf) == []


FORWARD = re.compile(r"(?:\\subsubsection\*\{Forward pass\}|\\subsection\{Loss after the last update\})(.*?)"
                     r"\\step\{Loss", re.S)
FACTOR = re.compile(r"\{\(?(-?[\d.]+)\)? \\cdot \(?(-?[\d.]+)\)?\}")


def written_out_products(tex: str) -> int:
    """The products W_ij · a_j written out, with their factors, in the forward passes: each line
    that writes them is held to the rounding note by ``check_tex(strict=True)`` (its result
    recomputed from the printed factors, which print with the digits the result needs)."""
    return sum(len(FACTOR.findall(part)) for part in FORWARD.findall(tex))


BACKWARD = re.compile(r"\\subsubsection\*\{Backward pass\}(.*?)(?=\\subsubsection|\\step\{Loss|\\subsection|\\section|\\end\{document\}|\Z)",
                      re.S)


@pytest.mark.parametrize("loss", ["cce", "half_sse"])
@pytest.mark.parametrize("precision", [{"significant": 3}, {"significant": 4}, {"decimals": 3}],
                         ids=["sig3", "sig4", "dec3"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_backward_passes_hold_to_the_rounding_note(opt, precision, loss):
    """Issue 20's teacher: the whole document (forward pass, loss, backward pass, updates) is
    recomputable from its printed operands within one unit: the products W a written out and
    their sums, e^z and σ, the loss terms and their ½[…], δ aᵀ, δ = ∂L/∂a ⊙ f′, the sums over
    samples and 1/m (sigmoid and softmax or identity, a batch of three)."""
    out = ({"activation": "softmax", "weights": [[1.2, -0.7], [0.4, 0.9]], "bias": [0.3, -0.1]} if loss == "cce" else
           {"activation": "identity", "weights": [[1.2, -0.7], [0.4, 0.9]], "bias": [0.3, -0.1]})
    net = dict(NET, optimizer=OPTIMIZERS[opt], input=[[1.0, -2.0, 0.5], [0.5, 1.0, -1.0]],
               target=[[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], loss=loss,
               layers=[dict(NET["layers"][0], activation="sigmoid"), out])
    spec = spec_from_data({"rounding": {"mode": "display", **precision}, "network": net})
    tex = render(spec, solve(spec, spec.rounding), "solution")
    parts = BACKWARD.findall(tex)
    assert len(parts) >= 3 and (r"e^{" in tex or loss != "cce")
    report = check_tex("\n".join(parts), "display", strict=True)
    assert not report.failures, _failures(report)
    assert report.checked >= 30
    whole = check_tex(tex, "display", strict=True)
    assert not whole.failures, _failures(whole)
    assert whole.checked >= 150
    assert written_out_products(tex) >= 3 * 2 * 2 * 3          # passes × layers × units × samples


@pytest.mark.parametrize("spec", ["adam", "nesterov_dropout"])
def test_the_teachers_forward_and_loss_lines(spec):
    """Issue 20's teacher: 0.2800 · 0.2913 is not 0.08158 (the factors print with the digits their
    product needs), ½[0.1686] is not 0.08428, and 0 + 0.809 is 0.809 exactly."""
    nets = {
        "adam": ({"significant": 4}, {
            "input": [0.5, -1], "target": 1, "loss": "bce", "learning_rate": 0.01, "iterations": 2,
            "layers": [{"activation": "tanh", "weights": [[0.2, -0.4], [0.7, 0.1]], "bias": [0, 0.1]},
                       {"activation": "sigmoid", "weights": [[0.6, -0.3]], "bias": [0.05]}],
            "optimizer": {"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}}),
        "nesterov_dropout": ({"decimals": 3, "trailing_zeros": True}, {
            "input": [1, 2], "target": [0, 1], "loss": "cce", "learning_rate": 0.5, "iterations": 2,
            "layers": [{"activation": "relu", "weights": [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.6]],
                        "bias": [0.1, 0, -0.2], "dropout": {"p": 0.5, "mask": [1, 0, 1]}},
                       {"activation": "softmax", "weights": [[0.5, -0.2, 0.1], [-0.3, 0.4, 0.2]], "bias": [0, 0]}],
            "optimizer": {"name": "nesterov", "beta": 0.8}}),
    }
    rounding, net = nets[spec]
    spec = spec_from_data({"rounding": {"mode": "display", **rounding}, "network": net})
    tex = render(spec, solve(spec, spec.rounding), "solution")
    report = check_tex(tex, "display", strict=True)
    assert not report.failures, _failures(report)
    assert written_out_products(tex) >= 3 * 2
    assert r"\approx 0 + 0.809 \approx" not in tex and "0.08158}" not in tex.replace(r"\approx 0.3103 - 0.08158", "")
