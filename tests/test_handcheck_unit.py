"""Unit tests of the independent hand-checker (tests/handcheck.py) on small LaTeX snippets."""

import ast
from pathlib import Path

import pytest

from tests import handcheck
from tests.handcheck import Failure, Report, check_tex

BOX = r"\eqbox{%s}"


def box(*bodies: str) -> str:
    return "\n".join(BOX % b for b in bodies)


# (id, tex, mode, checked, failures)
CASES = [
    # correct '=' lines
    ("eq-dot-product", box(r"z = 0.1 \cdot 0.5 + 0.2 \cdot 0.5 + 0.5 \cdot 0.1 + 0.2 = 0.4000"), "carry", 1, 0),
    ("eq-integers", box(r"1 + 0 + 0 + 2 = 3"), "display", 1, 0),
    ("eq-chain", box(r"0.5 \cdot 0.3 + 0.1 = 0.15 + 0.1 = 0.25"), "display", 2, 0),
    ("eq-times", box(r"2 \times 0.25 = 0.5"), "display", 1, 0),
    # correct carry '\approx' lines
    ("carry-sigmoid-frac", box(r"a = \sigma\bigl(z\bigr) = \frac{1}{1 + e^{-0.4000}} \approx 0.599"), "carry", 1, 0),
    ("carry-product", box(r"(-0.2490) \cdot 0.2272 \approx -0.0566"), "carry", 1, 0),
    ("carry-half-up", box(r"0.5 \cdot 0.00445 \approx 0.00223"), "carry", 1, 0),
    # a wrong printed result
    ("wrong-sum", box(r"0.1 \cdot 0.5 + 0.2 = 0.26"), "display", 1, 1),
    ("wrong-carry-rounding", box(r"\sigma(0.4) \approx 0.598"), "carry", 1, 1),
    ("wrong-display-approx", box(r"2.0843 + 0.0119 \approx 2.0970"), "display", 1, 1),
    ("display-approx-ok", box(r"2.0843 + 0.0119 \approx 2.0962"), "display", 1, 0),
    # '=' on a rounded value
    ("eq-on-rounded", box(r"w' = 0.1 - 0.1 \cdot 0.0034 = 0.0997"), "carry", 1, 1),
    ("eq-on-rounded-display", box(r"0.1 - 0.1 \cdot 0.0034 = 0.0997"), "display", 1, 1),
    # '\approx' on an exact value: wrong in carry mode, allowed in display mode
    ("approx-on-exact-carry", box(r"0.1 \cdot (-0.0566) + 0.2 \cdot 0.1233 \approx 0.0190"), "carry", 1, 1),
    ("approx-on-exact-display", box(r"0.1 \cdot (-0.0566) + 0.2 \cdot 0.1233 \approx 0.0190"), "display", 1, 0),
    # decimal comma
    ("decimal-comma", box(r"0{,}5 \cdot 0{,}3 = 0{,}15"), "carry", 1, 0),
    ("decimal-comma-wrong", box(r"0{,}5 \cdot 0{,}3 = 0{,}16"), "carry", 1, 1),
    ("decimal-comma-approx", box(r"\sigma(0{,}4) \approx 0{,}599"), "carry", 1, 0),
    # negative factors in parentheses, unary minus
    ("negative-factors", box(r"(-0.5) \cdot (-0.2) + (-0.1) = 0"), "display", 1, 0),
    ("negative-update", box(r"0.6 - 0.1 \cdot (-0.0339) = 0.60339"), "carry", 1, 0),
    ("unary-minus", box(r"-0.5 + 1 = 0.5 \qquad - 2 \cdot 3 = -6"), "display", 2, 0),
    ("left-right-parens", box(r"\left(-4\right) \cdot \left(-1\right) = 4"), "display", 1, 0),
    # '\frac{1}{4} -0.018' is one quarter minus 0.018
    ("frac-then-minus", box(r"\frac{1}{4} -0.018 = 0.232"), "display", 1, 0),
    ("frac-then-minus-not-product", box(r"\frac{1}{4} -0.018 = -0.0045"), "display", 1, 1),
    # implicit multiplication, brackets, powers
    ("implicit-mult", box(r"2(0.3 - 0.1) = 0.4"), "display", 1, 0),
    ("frac-bracket", box(r"\frac{1}{4}\Bigl[0.5 + 0.3\Bigr] = 0.2"), "display", 1, 0),
    ("frac-cdot-frac", box(r"\frac{1}{4}\cdot\frac{1}{2}\Bigl[0.5640 + 0.0529\Bigr] \approx 0.0771"), "carry", 1, 0),
    ("powers", box(r"0.5^2 = 0.25 \qquad 0.5^{2} = 0.25 \qquad {\left(-2\right)}^{2} = 4"), "display", 3, 0),
    ("loss-square", box(r"\frac{1}{2}\Bigl[( 0.651 - 0.9)^2 + ( 0.628 - 0.1)^2\Bigr] \approx 0.1704"), "carry", 1, 0),
    ("tfrac-and-frac12", box(r"\tfrac{1}{2} \cdot 3 = 1.5 \qquad \frac12 = 0.5"), "display", 2, 0),
    ("floor", box(r"\left\lfloor \frac{3 + 2 \cdot 1 - 2}{3} \right\rfloor + 1 = 2"), "display", 1, 0),
    ("pi", box(r"\frac{\pi}{2} \cdot 2 + \pi \cdot 1 = 2 \pi \approx 6.2832"), "display", 2, 0),
    ("sin-cos", box(r"\sin\left( 2 \pi\right) = 0 \qquad \cos\left( 2 \pi\right) = 1"), "display", 2, 0),
    # matrices and matrix products
    ("matrix-product",
     box(r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \begin{bmatrix} 5 \\ 6 \end{bmatrix}"
         r" = \begin{bmatrix} 1 \cdot 5 + 2 \cdot 6 \\ 3 \cdot 5 + 4 \cdot 6 \end{bmatrix}"
         r" = \begin{bmatrix} 17 \\ 39 \end{bmatrix}"), "display", 2, 0),
    ("matrix-product-wrong-entry",
     box(r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \begin{bmatrix} 5 \\ 6 \end{bmatrix}"
         r" = \begin{bmatrix} 17 \\ 38 \end{bmatrix}"), "display", 1, 1),
    ("matrix-shape-mismatch",
     box(r"\begin{bmatrix} 17 \\ 39 \end{bmatrix} = \begin{bmatrix} 17 & 39 \end{bmatrix}"), "display", 1, 1),
    ("matrix-transpose",
     box(r"\begin{bmatrix} 17 \\ 39 \end{bmatrix} = \begin{bmatrix} 17 & 39 \end{bmatrix}^{T}"), "display", 1, 0),
    ("outer-product",
     box(r"\begin{bmatrix} 0.5 \\ 1 \end{bmatrix} \, \begin{bmatrix} 1 & 2 \end{bmatrix}"
         r" = \begin{bmatrix} 0.5 & 1 \\ 1 & 2 \end{bmatrix}"), "display", 1, 0),
    ("bias-broadcast",
     box(r"\begin{bmatrix} 0 & 0.4 \\ 0 & 0.5 \end{bmatrix} + \begin{bmatrix} 0.3 \\ 0.5 \end{bmatrix}"
         r" = \begin{bmatrix} 0.3 & 0.7 \\ 0.5 & 1 \end{bmatrix}"), "carry", 1, 0),
    ("scalar-times-matrix",
     box(r"0.5 \cdot \begin{bmatrix} 0.000720 \\ 0.00137 \end{bmatrix} = \begin{bmatrix} 0.000360 \\ 0.000685 \end{bmatrix}"
         r" \qquad (-0.1192) \begin{bmatrix} 2 & 0 \end{bmatrix} = \begin{bmatrix} -0.2384 & 0 \end{bmatrix}"),
     "carry", 2, 0),
    ("one-minus-matrix-hadamard",
     box(r"\begin{bmatrix} 0.751 & 0.770 \end{bmatrix} \odot \left(1 - \begin{bmatrix} 0.751 & 0.770 \end{bmatrix}\right)"
         r" \approx \begin{bmatrix} 0.187 & 0.177 \end{bmatrix}"), "carry", 1, 0),
    ("elementwise-power",
     box(r"\begin{bmatrix} 0.5 & -2 \end{bmatrix}^{\odot 2} = \begin{bmatrix} 0.25 & 4 \end{bmatrix}"), "display", 1, 0),
    ("matrix-cells-expressions-approx",
     box(r"\begin{bmatrix} \sigma(0.3000) & \sigma(0.7000) \end{bmatrix} \approx \begin{bmatrix} 0.574 & 0.668 \end{bmatrix}"),
     "carry", 1, 0),
    ("matrix-one-entry-wrong",
     box(r"\begin{bmatrix} \sigma(0.3000) & \sigma(0.7000) \end{bmatrix} \approx \begin{bmatrix} 0.574 & 0.669 \end{bmatrix}"),
     "carry", 1, 1),
    ("one-by-one-equals-number",
     box(r"\frac{1}{4} \begin{bmatrix} 0.140 - 0.0407 - 0.0431 - 0.0384 \end{bmatrix} = 0.00445"), "carry", 1, 0),
    ("pmatrix", box(r"\left(-4\right) \cdot \begin{pmatrix} 2 \\ 1 \end{pmatrix} = \begin{pmatrix} -8 \\ -4 \end{pmatrix}"),
     "display", 1, 0),
    ("sum-and-max",
     box(r"\operatorname{sum}\left( \begin{bmatrix} 1 & 0 \\ 2 & 1 \end{bmatrix} \odot \begin{bmatrix} 1 & -1 \\ 0 & 2 \end{bmatrix}\right) = 1 + 0 + 0 + 2 = 3",
         r"p_{11} = \max \begin{bmatrix} 1 & 0 \\ 2 & 1 \end{bmatrix} = 2 \quad \text{at } x_{21}"), "display", 3, 0),
    ("softmax-columnwise",
     box(r"\operatorname{softmax}\left(\begin{bmatrix} 0 & 1 \\ 0 & 1 \end{bmatrix}\right) = \begin{bmatrix} 0.5 & 0.5 \\ 0.5 & 0.5 \end{bmatrix}"),
     "display", 1, 0),
    ("max-min-lists", box(r"\max(0, -0.3) = 0 \qquad \max\{0, 0.3\} = 0.3 \qquad \min\bigl(2, 0.5\bigr) = 0.5"),
     "display", 3, 0),
    ("cdot-between-matrices",
     box(r"\begin{bmatrix} 1 & 2 \end{bmatrix} \cdot \begin{bmatrix} 3 \\ 4 \end{bmatrix} = 11"), "display", 1, 0),
    ("left-right-brackets", box(r"0.5 \cdot \left[ 0.2 + \left( 0.1 \right) \right] = 0.15"), "display", 1, 0),
    # sigma / tanh / exp / log
    ("sigma-tanh-exp", box(r"\sigma(0.3) \approx 0.574 \qquad \tanh(0.5) \approx 0.4621 \qquad \exp(1) \approx 2.7183"
                           r" \qquad e^{0.5} \approx 1.6487"), "carry", 4, 0),
    ("tanh-wrong", box(r"\tanh\bigl(0.3\bigr) \approx 0.2914"), "carry", 1, 1),
    ("log-forms", box(r"\log 0.8808 \approx -0.1269 \qquad \ln(2) \approx 0.6931"), "carry", 2, 0),
    ("bce-loss", box(r"L = -\Bigl[1 \log 0.8808 + (1 - 1) \log(1 - 0.8808)\Bigr]", r"\approx 0.1269"), "display", 1, 0),
    ("sigma-derivative", box(r"\sigma'(0) = 0.25"), "display", 1, 0),
    ("relu", box(r"\begin{bmatrix} \operatorname{ReLU}(3.1) \\ \operatorname{ReLU}(-2) \end{bmatrix} = \begin{bmatrix} 3.1 \\ 0 \end{bmatrix}"),
     "display", 1, 0),
    ("tanh-squared-and-id", box(r"1 - \tanh^2(0.5) \approx 0.7864 \qquad \operatorname{id}(0.3) = 0.3"), "carry", 2, 0),
    ("leaky-relu-defined",
     box(r"\text{layer 1: } \operatorname{LReLU}(z) = \begin{cases} z & z > 0 \\ 0.1\, z & z \le 0 \end{cases}",
         r"\begin{bmatrix} \operatorname{LReLU}(0.3) \\ \operatorname{LReLU}(-1.7) \end{bmatrix} = \begin{bmatrix} 0.3 \\ -0.17 \end{bmatrix}"),
     "display", 1, 0),
    ("leaky-relu-slope-unknown", box(r"\operatorname{LReLU}(-1.7) = -0.17"), "display", 0, 0),
    # aligned environments: '&= X' continues the chain of the previous row
    ("aligned",
     "\\eqbox{\\begin{aligned}\nz_{1} &= w_{11} x_{1} + b_{1} \\\\\n&= 0.1 \\cdot 0.5 + 0.2 \\\\\n&= 0.2500\n\\end{aligned}}",
     "carry", 1, 0),
    ("aligned-wrong",
     "\\eqbox{\\begin{aligned}\nz_{1} &= w_{11} x_{1} + b_{1} \\\\\n&= 0.1 \\cdot 0.5 + 0.2 \\\\\n&= 0.2600\n\\end{aligned}}",
     "carry", 1, 1),
    ("aligned-approx-row",
     box(r"\begin{aligned} W &= \begin{bmatrix} 0.2 & 0.4 \end{bmatrix} - \begin{bmatrix} -0.000900 & -0.000850 \end{bmatrix}"
         r" \\ &\approx \begin{bmatrix} 0.2009 & 0.4009 \end{bmatrix} \end{aligned}"), "carry", 1, 0),
    ("aligned-operator-continuation",
     box(r"\begin{aligned} z &= 0.1 \cdot 0.5 + 0.2 \cdot 0.5 \\ &\quad + 0.3 \\ &= 0.45 \end{aligned}"), "display", 1, 0),
    # chains continued in the next box
    ("next-box-continues",
     box(r"W x = \begin{bmatrix} 0.2 & 0.4 \end{bmatrix} \begin{bmatrix} 1 \\ 1 \end{bmatrix}",
         r"= 0.2 \cdot 1 + 0.4 \cdot 1", r"= 0.6000"), "carry", 2, 0),
    ("next-box-after-text-does-not-continue",
     BOX % r"0.2 + 0.4" + "\nso that\n" + BOX % r"= 0.7", "display", 0, 0),
    # splitting at \qquad, \quad and ', \qquad'
    ("split-comma-qquad", box(r"a = 0.5 + 0.5 = 1, \qquad b = 2 \cdot 3 = 6"), "display", 2, 0),
    ("split-quad", box(r"0.5 + 0.5 = 1 \quad 2 \cdot 3 = 6"), "display", 2, 0),
    ("not-relations", box(r"W \leftarrow W - 0.1 \qquad z > 0 \quad z \le 0 \quad 0.2 + 0.3 = 0.5"), "display", 1, 0),
    # running text and step titles
    ("inline-math", r"Since $0.5 + 0.25 = 0.75$ and \step{Check: $2 \cdot 0.5 = 1$}", "display", 2, 0),
    ("inline-math-wrong", r"so $0.5 + 0.25 = 0.8$.", "display", 1, 1),
    # other display wrappers
    ("dmath-env", "\\begin{dmath*} 0.5 + 0.25 = 0.75 \\end{dmath*}", "display", 1, 0),
    ("eqlines-macro", r"\eqlines{0.5 + 0.25 = 0.75 \\ 0.1 \cdot 2 = 0.2}", "display", 2, 0),
    ("eqlines-row-starting-with-minus", r"\eqlines{0.5 + 0.25 = 0.75 \\ -0.5 + 1 = 0.5}", "display", 2, 0),
    ("display-brackets", r"\[ 0.5 + 0.25 = 0.75 \]", "display", 1, 0),
    # skipped symbolic segments: nothing to check
    ("symbolic-only",
     box(r"z^{(1)} = W^{(1)} x + b^{(1)}", r"\frac{\partial L}{\partial \hat{y}} = \hat{y} - y",
         r"\delta^{( 2)} = \dd{L}{a_{1}^{(2)}} \cdot \dd{a}{z} = \delta", r"\text{layer 1: } \sigma(z) = \frac{1}{1 + e^{-z}}",
         r"x_{11} = 0.5", r"\operatorname{LReLU}'(0.3) = 1"), "display", 0, 0),
    ("label-stripped", box(r"\text{rows: } \left\lfloor \frac{1}{1} \right\rfloor + 1 = 2"), "display", 1, 0),
    ("comments-and-preamble",
     "\\newcommand{\\eqbox}[1]{$\\displaystyle #1$}\n\\begin{document}\n% $0.1 + 0.1 = 0.3$\n$0.1 + 0.1 = 0.2$",
     "display", 1, 0),
    # numbers only but impossible: a failure, not a skip
    ("malformed-shapes",
     box(r"\begin{bmatrix} 1 & 2 \end{bmatrix} + \begin{bmatrix} 1 \\ 2 \\ 3 \end{bmatrix} = 0"), "display", 1, 1),
]


@pytest.mark.parametrize("tex,mode,checked,failures", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(tex, mode, checked, failures):
    report = check_tex(tex, mode)
    detail = "\n".join(f"{f.line} | {f.left} {f.rel} {f.right} | {f.why}" for f in report.failures)
    assert (report.checked, len(report.failures)) == (checked, failures), detail


def test_report_and_failure_fields():
    tex = "intro\n" + box(r"w' = 0.1 - 0.1 \cdot 0.0034 = 0.0997")
    report = check_tex(tex, "carry")
    assert isinstance(report, Report)
    assert (report.checked, report.skipped) == (1, 1)
    (f,) = report.failures
    assert isinstance(f, Failure)
    assert f.line.startswith("2: ")
    assert (f.left, f.rel, f.right) == (r"0.1 - 0.1 \cdot 0.0034", "=", "0.0997")
    assert "0.09966" in f.why


def test_aligned_failure_points_at_the_row():
    tex = "\\eqbox{\\begin{aligned}\nz &= 0.1 \\cdot 0.5 + 0.2 \\\\\n&= 0.2600\n\\end{aligned}}"
    (f,) = check_tex(tex, "carry").failures
    assert f.line.startswith("3: ") and f.right == "0.2600"


def test_counts_relations():
    tex = box(r"a = 0.1 + 0.2 = 0.3 \approx 0.30001", r"b = 2 \cdot 3 = 6", r"z^{(1)} = W x")
    report = check_tex(tex, "display")
    assert (report.checked, report.skipped) == (3, 3)


def test_checker_that_checks_nothing_is_visible():
    report = check_tex(box(r"z^{(1)} = W^{(1)} x + b^{(1)}") + "\nno numbers here", "carry")
    assert report.checked == 0 and report.failures == []


def test_carry_rounding_messages():
    (f,) = check_tex(box(r"0.1 \cdot (-0.0566) + 0.2 \cdot 0.1233 \approx 0.0190"), "carry").failures
    assert "'='" in f.why
    (f,) = check_tex(box(r"\sigma(0.4) \approx 0.598"), "carry").failures
    assert "rounds to 0.599" in f.why


def test_carry_interval_when_right_side_is_an_expression():
    tex = box(r"\frac{1}{2}\Bigl[( 0.651 - 0.9)^2 + ( 0.628 - 0.1)^2\Bigr] \approx \frac{1}{2}\Bigl[0.0620 + 0.2788\Bigr] = 0.1704")
    assert check_tex(tex, "carry") == Report(2, 0, [])
    bad = box(r"\frac{1}{2}\Bigl[( 0.651 - 0.9)^2 + ( 0.628 - 0.1)^2\Bigr] \approx \frac{1}{2}\Bigl[0.0620 + 0.2888\Bigr]")
    assert len(check_tex(bad, "carry").failures) == 1


def test_short_given_values_are_exact_in_the_interval_rule():
    # 0.599 shows that results are rounded to 3 decimals: a target printed as 0.9 is exact
    wrong = box(r"\sigma(0.4) \approx 0.599", r"\frac{1}{2}\Bigl[( 0.651 - 0.9)^2\Bigr] \approx \frac{1}{2}\Bigl[0.0640\Bigr]")
    assert len(check_tex(wrong, "display").failures) == 1
    right = box(r"\sigma(0.4) \approx 0.599", r"\frac{1}{2}\Bigl[( 0.651 - 0.9)^2\Bigr] \approx \frac{1}{2}\Bigl[0.0620\Bigr]")
    assert check_tex(right, "display") == Report(2, 0, [])


def test_carry_left_side_numbers_are_the_carried_values():
    # in carry mode the printed inputs are exact; only the printed right side is rounded
    tex = box(r"\frac{1}{2}\Bigl[( 0.651 - 0.9)^2\Bigr] \approx \frac{1}{2}\Bigl[0.0623\Bigr]")
    assert len(check_tex(tex, "carry").failures) == 1
    assert check_tex(tex, "display").failures == []


def test_box_macro_names_are_a_constant():
    assert "eqbox" in handcheck.BOX_MACROS


def test_mode_is_validated():
    with pytest.raises(ValueError):
        check_tex("", "exact")


def test_module_is_independent_of_the_generator():
    tree = ast.parse(Path(handcheck.__file__).read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(m.split(".")[0] in ("generator", "dryrun") for m in modules), modules
