"""Expression models: the restricted parser, exact values, and gradients against sympy
differentiation and finite differences."""

import math
import random
import re

import numpy as np
import pytest
import sympy
from click.testing import CliRunner
from sympy.parsing.sympy_parser import parse_expr

from generator.cli import main
from generator.errors import SpecError
from generator.kinds.expression.formula import parse
from generator.solve import solve
from generator.spec import spec_from_data
from tests.conftest import SPECS


@pytest.mark.parametrize("formula,message", [
    ("__import__('os').system('id')", "unexpected character '_'"),
    ("x.__class__", "unexpected character '.'"),
    ("exec('1')", "unexpected character '''"),
    ("exec(1)", "unknown function 'exec'"),
    ("lambda: x", "unexpected character ':'"),
    ("lambda + x", "unknown name 'lambda'"),
    ("open(x)", "unknown function 'open'"),
    ("x + q", "unknown name 'q'"),
    ("sin x", "needs parentheses"),
    ("x +", "ends too early"),
    ("(x", "expected ')'"),
    ("x ** ** 2", "unexpected '**'"),
    ("dot(x)", "dot() takes 2 argument(s), got 1"),
    ("x; import os", "unexpected character ';'"),
    ("x" + " + x" * 200, "longer than 500 characters"),
    ("(" * 60 + "x" + ")" * 60, "nested more than"),
    ("-" * 60 + "x", "nested more than"),
    ("", "the formula is empty"),
])
def test_parser_rejects(formula, message):
    with pytest.raises(SpecError, match=None) as err:
        parse(formula, ["x"])
    assert message in str(err.value)


def test_hostile_formula_in_a_spec_is_exit_2(write_spec):
    path = write_spec("parts:\n  - kind: expression\n    formula: \"__import__('os').system('id')\"\n"
                      "    inputs: {x: 1}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"dryrun: error: {path}: parts[0].formula: "
                                     "unexpected character '_' at position 1")


def problem(formula, inputs, params, **extra):
    data = {"parts": [{"kind": "expression", "formula": formula, "inputs": inputs,
                       "parameters": params, **extra}]}
    spec = spec_from_data(data)
    return spec, solve(spec).problems[0]


def test_seed002_exact_values():
    from generator.spec import load_spec

    t = solve(load_spec(SPECS / "seed002.yaml")).problem("model")
    sym = lambda n: t.entries[n].symbolic
    assert sym("node.u1") == 2 * sympy.pi             # π/2·2 + π·1
    assert sym("node.u2") == 0 and sym("output") == 0  # sin(2π) = 0 exactly
    assert sym("local.u2.u1") == 1                     # cos(2π) = 1
    assert sym("dy.w") == (2, 1)                       # ∂y/∂w = cos(2π) x = x
    assert sym("loss") == 4                            # (0 − 2)²
    assert sym("grad.w") == (-8, -4)                   # 2(y − ỹ) x = −4x
    assert sym("updated.w") == (sympy.pi / 2 + 4, sympy.pi + 2)
    assert t["updated.w"] == pytest.approx([math.pi / 2 + 4, math.pi + 2], rel=1e-15)


def test_inexact_inputs_fall_back_to_floats():
    spec, t = problem("y = exp(sin(a * x)) * tanh(b)", {"x": 0.37}, {"a": 1.3, "b": -0.4},
                      loss="half_sse", target=0.2, learning_rate=0.1)
    x, a, b = 0.37, 1.3, -0.4
    y = math.exp(math.sin(a * x)) * math.tanh(b)
    assert t["output"] == pytest.approx(y, rel=1e-13)
    dya = math.exp(math.sin(a * x)) * math.cos(a * x) * x * math.tanh(b)
    assert t["grad.a"] == pytest.approx((y - 0.2) * dya, rel=1e-12)


# ---- random formulas: our gradients against sympy.diff and central differences ----

LEAVES = ["a", "b", "c", "x"]
UNARY = ["sin", "cos", "exp", "tanh", "sigmoid", "sqrt", "log", "abs"]


def random_formula(rng, depth):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(LEAVES + ["1.5", "pi"])
    kind = rng.random()
    if kind < 0.35:
        f = rng.choice(UNARY)
        inner = random_formula(rng, depth - 1)
        if f in ("sqrt", "log"):           # keep the argument positive
            inner = f"(1 + ({inner})^2)"
        return f"{f}({inner})"
    op = rng.choice(["+", "-", "*", "/"])
    left, right = random_formula(rng, depth - 1), random_formula(rng, depth - 1)
    if op == "/":
        right = f"(2 + sin({right}))"
    return f"({left} {op} {right})"


def as_sympy(formula):
    """The same formula through sympy's own parser (test-only: our text, trusted)."""
    local = {n: sympy.Symbol(n, real=True) for n in LEAVES}
    local.update(sigmoid=lambda v: 1 / (1 + sympy.exp(-v)), pi=sympy.pi, abs=sympy.Abs)
    return parse_expr(formula.replace("^", "**"), local_dict=local)


@pytest.mark.parametrize("seed", range(30))
def test_random_formula_gradients(seed):
    rng = random.Random(seed)
    formula = random_formula(rng, 4)
    point = {n: round(rng.uniform(-1.5, 1.5), 2) for n in LEAVES}
    try:
        used = [n for n in ("a", "b", "c") if re.search(rf"\b{n}\b", formula)]    # train what is used
        spec, t = problem("y = " + formula, {"x": point["x"]},
                          {"a": point["a"], "b": point["b"], "c": point["c"]},
                          loss="sse", target=0.3, learning_rate=0.1, train=used)
    except SpecError as e:
        pytest.skip(f"{formula}: {e}")     # e.g. a variable that does not occur
    expr = as_sympy(formula)
    subs = {sympy.Symbol(n, real=True): sympy.Rational(str(v)) for n, v in point.items()}
    y = float(expr.subs(subs))
    assert t["output"] == pytest.approx(y, rel=1e-9, abs=1e-12), formula
    L = (expr - sympy.Rational("0.3")) ** 2
    assert t["loss"] == pytest.approx(float(L.subs(subs)), rel=1e-9, abs=1e-12)
    f = sympy.lambdify([sympy.Symbol(n, real=True) for n in LEAVES], L, "math")
    for n in LEAVES:
        if f"grad.{n}" not in t:
            continue
        exact = float(sympy.diff(L, sympy.Symbol(n, real=True)).subs(subs))
        assert t[f"grad.{n}"] == pytest.approx(exact, rel=1e-8, abs=1e-10), (formula, n)
        h = 1e-6
        hi = dict(point, **{n: point[n] + h})
        lo = dict(point, **{n: point[n] - h})
        fd = (f(*[hi[m] for m in LEAVES]) - f(*[lo[m] for m in LEAVES])) / (2 * h)
        if "abs" not in formula:
            assert t[f"grad.{n}"] == pytest.approx(fd, rel=1e-5, abs=1e-6), (formula, n)


def test_vector_dot_and_update():
    spec, t = problem("y = dot(w, x) * b", {"x": [1, 2, 3]}, {"w": [0.5, -1, 2], "b": 2},
                      loss="half_sse", target=1, learning_rate="1/4", train=["w"])
    y = (0.5 - 2 + 6) * 2
    assert t["output"] == pytest.approx(y)
    grad = [(y - 1) * 2 * xi for xi in (1, 2, 3)]
    assert t["grad.w"] == pytest.approx(grad)
    assert t["updated.w"] == pytest.approx([w - 0.25 * g for w, g in zip((0.5, -1, 2), grad)])
    assert "updated.b" not in t


@pytest.mark.parametrize("part,message", [
    ({"formula": "y = sin(x)", "inputs": {"x": [1, 2]}}, "'x' is a vector"),
    ({"formula": "y = dot(x, w)", "inputs": {"x": [1, 2]}, "parameters": {"w": [1]}, "train": []},
     "same length"),
    ({"formula": "y = x", "inputs": {"x": "pi/0"}}, "division by zero"),
    ({"formula": "y = log(x)", "inputs": {"x": -1}}, "log(…), is not a finite real number"),
    ({"formula": "y = x", "inputs": {"x": 1}, "loss": "sse"}, "needs a target"),
    ({"formula": "y = x*w", "inputs": {"x": 1}, "parameters": {"w": 1}}, "needs a learning_rate"),
    ({"formula": "y = x", "inputs": {"sin": 1}}, "is a function"),
    ({"formula": "y = x", "inputs": {"x": "__import__"}}, "unexpected character"),
    ({"formula": "y = x*w", "inputs": {"x": 1}, "parameters": {"w": 1}, "train": ["v"],
      "learning_rate": 1}, "'v' is not a parameter"),
])
def test_expression_spec_errors(part, message):
    with pytest.raises(SpecError) as err:
        spec = spec_from_data({"parts": [{"kind": "expression", **part}]})
        solve(spec)
    assert message in str(err.value)
