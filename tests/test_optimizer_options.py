"""Issue 22's optimizer options, each checked against a source that is not the engine:

- ``epsilon_placement: inside_sqrt`` (η g/√(s + ε), η m̂/√(v̂ + ε)) for RMSProp, Adagrad, Adam and
  AdamW: the published numbers of d2l.ai's RMSProp and Adagrad chapters (20 steps of
  f(x) = 0.1 x₁² + 2 x₂², printed to 6 decimals; PyTorch's placement misses two of them) and of
  Keras's RMSprop docstring and Adagrad tests (which also start Adagrad's accumulator at 0.1 and
  0.3: ``state: {s: …}``), and a float64 implementation written here from the equations;
- ``nadam``: torch.optim.NAdam (tests/fixtures/optimizer_torch.json, made by
  tests/fixtures/make_optimizer_torch.py) and the float64 implementation of torch's documented
  equations (μ_t = β₁(1 − ½·0.96^{tψ}), products of the μ, m̂ and v̂ as the docs state them);
- ``state:`` (step, m, v, velocity, s): the same fixtures, torch's optimizers resumed from a state
  dict, and the float64 implementation.

The rendered pages are hand-checked from their text in both rounding modes (tests.handcheck; the
lines it cannot read — NAdam's μ_t with a power 0.96^{tψ} and the product Π_t of a resumed state —
are recomputed here from their printed numbers), and errors are one line naming the field.

Keras's Adam takes yet another form (ε̂ = ε√(1 − β₂ᵗ), a bias-corrected learning rate); no
published example we found needs it (the Keras docs' Adam example moves by the learning rate on its
first step in every form), so it is not offered (docs/spec.md)."""

from __future__ import annotations

import copy
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

from generator.errors import SpecError
from generator.latex import Formatter
from generator.render import render
from generator.solve import solve
from generator.spec import spec_from_data
from tests.handcheck import check_tex
from tests.test_handcheck_optimizers import hand_checked
from tests.test_optimizers import central, loss_of

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "optimizer_torch.json").read_text(encoding="utf-8"))


def _problem(network: dict, rounding: dict | None = None):
    data = {"network": network}
    if rounding:
        data["rounding"] = rounding
    spec = spec_from_data(data)
    return spec, solve(spec, spec.rounding).problem()


# --------------------------------------------------------------------------- published examples

#: f(x) = 0.1 x₁² + 2 x₂² as a network: the weights (w₁, w₂) are d2l's (x₁, x₂); ten samples, one
#: (1, 0), five (0, 2) and four (0, 0), with the loss L = mean over the samples of ŷ² ('square'),
#: so that L = (w₁² + 5·4 w₂²)/10 and ∂L/∂w = (0.2 w₁, 4 w₂), d2l's gradient exactly.
D2L_X = [[1] + [0] * 9, [0] + [2] * 5 + [0] * 4]


def _d2l(optimizer: dict, eta: float) -> tuple[str, str]:
    """d2l's train_2d: 20 steps from (−5, −2), printed as its f'{x:f}'."""
    _, t = _problem({"input": D2L_X, "layers": [{"activation": "identity", "weights": [[-5, -2]]}],
                     "loss": "square", "learning_rate": eta, "iterations": 20, "optimizer": optimizer})
    w = np.asarray(t["final.W1"])[0]
    return f"{w[0]:f}", f"{w[1]:f}"


def test_d2l_rmsprop_chapter():
    """d2l.ai, "Dive into Deep Learning", §12.8 RMSProp (https://d2l.ai/chapter_optimization/rmsprop.html),
    rmsprop_2d with eta, gamma = 0.4, 0.9 and eps = 1e-6, x_i -= eta / sqrt(s_i + eps) * g_i, prints
    "epoch 20, x1: -0.010599, x2: 0.000000".  ε outside the root gives −0.010598."""
    rms = {"name": "rmsprop", "rho": 0.9, "epsilon": 1e-6}
    assert _d2l({**rms, "epsilon_placement": "inside_sqrt"}, 0.4) == ("-0.010599", "0.000000")
    assert _d2l(rms, 0.4)[0] == "-0.010598"                 # PyTorch's placement: not d2l's numbers


@pytest.mark.parametrize("eta,printed", [(0.4, ("-2.382563", "-0.158591")), (2, ("-0.002295", "-0.000000"))])
def test_d2l_adagrad_chapter(eta, printed):
    """d2l.ai §12.7 Adagrad (https://d2l.ai/chapter_optimization/adagrad.html), adagrad_2d with
    eps = 1e-6 inside the root: "epoch 20, x1: -2.382563, x2: -0.158591" (eta = 0.4) and
    "epoch 20, x1: -0.002295, x2: -0.000000" (eta = 2).  ε outside the root gives −2.382564."""
    ada = {"name": "adagrad", "epsilon": 1e-6}
    assert _d2l({**ada, "epsilon_placement": "inside_sqrt"}, eta) == printed
    if eta == 0.4:
        assert _d2l(ada, eta)[0] == "-2.382564"


def test_keras_rmsprop_docstring():
    """keras.optimizers.RMSprop's docstring (keras/src/optimizers/rmsprop.py): learning_rate=0.1,
    var1 = 10, loss = var1²/2, one minimize step: var1 = 9.683772 (rho 0.9, epsilon 1e-7, inside
    the root: ``sqrt(velocity + epsilon)``)."""
    _, t = _problem({"input": [1], "target": [0], "layers": [{"activation": "identity", "weights": [[10]]}],
                     "loss": "half_sse", "learning_rate": 0.1, "iterations": 1,
                     "optimizer": {"name": "rmsprop", "rho": 0.9, "epsilon": 1e-7, "epsilon_placement": "inside_sqrt"}})
    assert f"{float(np.asarray(t['final.W1'])[0, 0]):.6f}" == "9.683772"


def test_keras_adagrad_single_step():
    """keras/src/optimizers/adagrad_test.py, test_single_step: Adagrad(learning_rate=0.5), its
    accumulator starting at 0.1 (initial_accumulator_value) and epsilon 1e-7 inside the root,
    variables [1, 2, 3, 4] with gradients [1, 6, 7, 2] → [0.5233, 1.5007, 2.5005, 3.5061].  The
    gradients are the input of one identity unit whose error ŷ − y is 1 (42 − 41)."""
    _, t = _problem({"input": [1, 6, 7, 2], "target": [41], "loss": "half_sse", "learning_rate": 0.5, "iterations": 1,
                     "layers": [{"activation": "identity", "weights": [[1, 2, 3, 4]]}],
                     "optimizer": {"name": "adagrad", "epsilon": 1e-7, "epsilon_placement": "inside_sqrt",
                                   "state": {"s": {"W1": [[0.1] * 4]}}}})
    assert np.asarray(t["it1.dW1"]).tolist() == [[1, 6, 7, 2]]
    assert [round(float(w), 4) for w in np.asarray(t["final.W1"])[0]] == [0.5233, 1.5007, 2.5005, 3.5061]


def test_keras_adagrad_golden_steps():
    """keras/src/optimizers/adagrad_test.py, test_correctness_with_golden: Adagrad(learning_rate=0.2,
    initial_accumulator_value=0.3, epsilon=1e-6), ten variables at 1, a first step with gradients
    0.01, then steps with gradients 0.1, 0.2, …, 1.0; its golden values after each step, printed to
    4 decimals, are every one reproduced.  Each step is one exercise resumed from the state the
    step before left (``state: {s: …}``), the gradients being the input of one identity unit whose
    error is 1."""
    golden = [[0.9963] * 10,
              [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
              [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
              [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
              [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825]]
    w, s = [1.0] * 10, [0.3] * 10
    for step, row in enumerate(golden):
        grads = [0.01] * 10 if step == 0 else [i / 10 for i in range(1, 11)]
        target = float(sum(Decimal(repr(a)) * Decimal(repr(b)) for a, b in zip(w, grads)) - 1)
        _, t = _problem({"input": grads, "target": [target], "loss": "half_sse", "learning_rate": 0.2,
                         "iterations": 1, "layers": [{"activation": "identity", "weights": [w]}],
                         "optimizer": {"name": "adagrad", "epsilon": 1e-6, "epsilon_placement": "inside_sqrt",
                                       "state": {"s": {"W1": [s]}}}})
        w = [float(x) for x in np.asarray(t["final.W1"])[0]]
        s = [float(x) for x in np.asarray(t["it1.sW1"])[0]]
        assert [round(x, 4) for x in w] == row, step


# --------------------------------------------------------------------------- float64 reference

def reference(params, X, Y, acts, loss, eta, steps, name, cfg, state=None, step0=0, inside=False):
    """The optimizers' update equations written out in float64 (PyTorch's, ε inside the root where
    asked; NAdam as torch.optim.NAdam's docs state it), from ``state`` ({(P, var): value}) and
    ``step0`` steps already taken; gradients by central differences of the loss."""
    st = dict(state or {})
    eps = cfg.get("epsilon")
    root = (lambda x: np.sqrt(x + eps)) if inside else (lambda x: np.sqrt(x) + eps)     # noqa: E731
    for k in range(1, steps + 1):
        t = step0 + k
        f = lambda: loss_of(params, X, Y, acts, loss)           # noqa: E731
        grads = [(central(f, W), central(f, b)) for W, b in params]
        new = []
        for l, ((W, b), (gW, gb)) in enumerate(zip(params, grads), start=1):
            out = []
            for P, p, g in ((f"W{l}", W, gW), (f"b{l}", b, gb)):
                if name in ("momentum", "nesterov"):
                    v = cfg["beta"] * st.get((P, "velocity"), 0) + g
                    st[(P, "velocity")] = v
                    p = p - eta * (v if name == "momentum" else g + cfg["beta"] * v)
                elif name in ("rmsprop", "adagrad"):
                    s = (cfg["rho"] * st.get((P, "s"), 0) + (1 - cfg["rho"]) * g * g if name == "rmsprop"
                         else st.get((P, "s"), 0) + g * g)
                    st[(P, "s")] = s
                    p = p - eta * g / root(s)
                else:
                    b1, b2 = cfg["beta1"], cfg["beta2"]
                    if name == "adamw":
                        p = p * (1 - eta * cfg["weight_decay"])
                    m = b1 * st.get((P, "m"), 0) + (1 - b1) * g
                    v = b2 * st.get((P, "v"), 0) + (1 - b2) * g * g
                    st[(P, "m")], st[(P, "v")] = m, v
                    vhat = v / (1 - b2 ** t)
                    if name == "nadam":
                        psi = cfg["momentum_decay"]
                        mu = [b1 * (1 - 0.5 * 0.96 ** (i * psi)) for i in range(1, t + 2)]      # μ_1 … μ_{t+1}
                        mhat = mu[t] * m / (1 - math.prod(mu)) + (1 - mu[t - 1]) * g / (1 - math.prod(mu[:t]))
                    else:
                        mhat = m / (1 - b1 ** t)
                    p = p - eta * mhat / root(vhat)
                out.append(p)
            new.append(tuple(out))
        params = new
    return params


NET = {"input": [[1.0, -2.0, 0.5], [0.5, 1.0, -1.0]], "target": [[0.8, -0.4, 0.3]], "loss": "half_sse",
       "layers": [{"activation": "tanh", "weights": [[0.5, -0.3], [0.8, 0.2]], "bias": [0.1, -0.2]},
                  {"activation": "identity", "weights": [[1.2, -0.7]], "bias": [0.3]}]}
SEED = {"W1": [[0.02, -0.01], [0.005, 0.0]], "b1": [0.01, -0.03], "W2": [[-0.04, 0.015]], "b2": [0.025]}


def _seed(c: float, square: bool = False) -> dict:
    return {P: np.round((np.square(v) if square else np.asarray(v)) * c, 12).tolist() for P, v in SEED.items()}


CASES = {
    "rmsprop-inside": ({"name": "rmsprop", "rho": 0.9, "epsilon": 0.01, "epsilon_placement": "inside_sqrt"}, 0.05),
    "adagrad-inside": ({"name": "adagrad", "epsilon": 0.01, "epsilon_placement": "inside_sqrt"}, 0.1),
    "adam-inside": ({"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 0.001,
                     "epsilon_placement": "inside_sqrt"}, 0.05),
    "adamw-inside": ({"name": "adamw", "beta1": 0.8, "beta2": 0.99, "epsilon": 0.001, "weight_decay": 0.1,
                      "epsilon_placement": "inside_sqrt"}, 0.05),
    "nadam": ({"name": "nadam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "momentum_decay": 0.004}, 0.05),
    "nadam-psi": ({"name": "nadam", "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-3, "momentum_decay": 0.5}, 0.1),
    "nadam-resumed": ({"name": "nadam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "momentum_decay": 0.004,
                       "state": {"step": 7, "m": _seed(1), "v": _seed(1, True)}}, 0.05),
    "adam-resumed-inside": ({"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-4,
                             "epsilon_placement": "inside_sqrt", "state": {"step": 12, "m": _seed(2), "v": _seed(3, True)}},
                            0.05),
    "adamw-resumed": ({"name": "adamw", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.05,
                       "state": {"step": 2, "m": _seed(1), "v": _seed(2, True)}}, 0.05),
    "rmsprop-resumed-inside": ({"name": "rmsprop", "rho": 0.9, "epsilon": 1e-3, "epsilon_placement": "inside_sqrt",
                                "state": {"s": _seed(4, True)}}, 0.05),
    "adagrad-resumed": ({"name": "adagrad", "epsilon": 1e-10, "state": {"s": _seed(5, True)}}, 0.1),
    "momentum-resumed": ({"name": "momentum", "beta": 0.9, "state": {"velocity": _seed(3)}}, 0.1),
    "nesterov-resumed": ({"name": "nesterov", "beta": 0.8, "state": {"velocity": _seed(-2)}}, 0.1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_option_matches_the_equations_in_float64(case):
    optimizer, eta = CASES[case]
    cfg = {k: v for k, v in optimizer.items() if k not in ("name", "state", "epsilon_placement")}
    given = optimizer.get("state", {})
    state = {(P, var): np.array(value, dtype=float) for var, params in given.items() if var != "step"
             for P, value in params.items()}
    steps = 3
    _, t = _problem(dict(NET, learning_rate=eta, iterations=steps, optimizer=optimizer))
    X, Y = np.array(NET["input"]), np.array(NET["target"])
    params = [(np.array(layer["weights"], dtype=float), np.array(layer["bias"], dtype=float)) for layer in NET["layers"]]
    want = reference(params, X, Y, ["tanh", "identity"], "half_sse", eta, steps, optimizer["name"], cfg, state,
                     given.get("step", 0), optimizer.get("epsilon_placement") == "inside_sqrt")
    for l, (W, b) in enumerate(want, start=1):
        assert np.allclose(t[f"final.W{l}"], W, rtol=1e-6, atol=1e-8), (case, l)
        assert np.allclose(t[f"final.b{l}"], b, rtol=1e-6, atol=1e-8), (case, l)


def test_nadams_schedule_is_torchs():
    """μ_t, μ_{t+1}, their products and the weights of m̂, step by step, against the formulas of
    torch.optim.NAdam's documentation written out here; resumed after 7 steps, Π_8 = μ_1 ⋯ μ_8."""
    for case, step0 in (("nadam-psi", 0), ("nadam-resumed", 7)):
        optimizer, eta = CASES[case]
        _, t = _problem(dict(NET, learning_rate=eta, iterations=3, optimizer=optimizer))
        b1, psi = optimizer["beta1"], optimizer["momentum_decay"]
        mu = [b1 * (1 - 0.5 * 0.96 ** (i * psi)) for i in range(1, step0 + 5)]
        for k in (1, 2, 3):
            n = step0 + k                                      # μ_n is mu[n - 1]
            assert t[f"it{k}.mu"] == pytest.approx(mu[n - 1], rel=1e-12)
            assert t[f"it{k}.mu_next"] == pytest.approx(mu[n], rel=1e-12)
            assert t[f"it{k}.mu_prod"] == pytest.approx(math.prod(mu[:n]), rel=1e-12)
            assert t[f"it{k}.mu_prod_next"] == pytest.approx(math.prod(mu[:n + 1]), rel=1e-12)
            assert t[f"it{k}.coef_g"] == pytest.approx((1 - mu[n - 1]) / (1 - math.prod(mu[:n])), rel=1e-12)
            assert t[f"it{k}.coef_m"] == pytest.approx(mu[n] / (1 - math.prod(mu[:n + 1])), rel=1e-12)
            assert t[f"it{k}.bc_beta2"] == pytest.approx(1 - optimizer["beta2"] ** n, rel=1e-12)


# --------------------------------------------------------------------------- PyTorch

@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["id"] for c in FIXTURE["cases"]])
def test_pytorch_fixtures(case):
    """torch.optim (float64) from tests/fixtures/optimizer_torch.json: NAdam, and every optimizer
    resumed from a state dict set before its first step."""
    network = {"input": FIXTURE["input"], "target": FIXTURE["target"], "layers": FIXTURE["layers"],
               "loss": FIXTURE["loss"], "learning_rate": case["lr"], "iterations": case["iterations"],
               "optimizer": case["optimizer"]}
    _, t = _problem(network)
    for k, loss in enumerate(case["losses"], start=1):
        assert t[f"it{k}.loss"] == pytest.approx(loss, rel=1e-10), (case["id"], k)
    for name, value in case["final"].items():
        assert np.allclose(t[f"final.{name}"], value, rtol=1e-10, atol=1e-12), (case["id"], name)


# --------------------------------------------------------------------------- pages

_NUM = r"(-?[\d]+(?:\.|\{,\})?[\d]*)"
MU_LINE = re.compile(r"\\mu_\{(\d+)\} = " + _NUM + r" \\cdot \\bigl\(1 - " + _NUM + r" \\cdot " + _NUM
                     + r"\^\{(\d+) \\cdot " + _NUM + r"\}\\bigr\) (=|\\approx) " + _NUM + r"\}")
PROD_LINE = re.compile(r"\\Pi_\{(\d+)\} = \\prod_\{i=1\}\^\{(\d+)\} " + _NUM + r" \\cdot \\bigl\(1 - " + _NUM
                       + r" \\cdot " + _NUM + r"\^\{i \\cdot " + _NUM + r"\}\\bigr\) (=|\\approx) " + _NUM + r"\}")


def _dec(text: str) -> Decimal:
    return Decimal(text.replace("{,}", "."))


def _rounded_to(value: Decimal, printed: str) -> Decimal:
    decimals = len(printed.replace("{,}", ".").split(".")[1]) if re.search(r"\.|\{,\}", printed) else 0
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def schedule_lines(tex: str) -> int:
    """NAdam's μ_t and Π_t lines, which tests.handcheck cannot read (a power 0.96^{tψ}, a product
    ∏): recomputed here from their printed numbers, each result its value rounded to the digits it
    prints, "≈" (the powers are irrational); returns how many were checked."""
    checked = 0
    with localcontext() as ctx:
        ctx.prec = 50
        for t, b, half, base, n, psi, rel, result in MU_LINE.findall(tex):
            assert n == t
            value = _dec(b) * (1 - _dec(half) * _dec(base) ** (int(n) * _dec(psi)))
            assert rel == r"\approx" and _rounded_to(value, result) == _dec(result), (t, value, result)
            checked += 1
        for t, n, b, half, base, psi, rel, result in PROD_LINE.findall(tex):
            assert n == t
            value = math.prod((_dec(b) * (1 - _dec(half) * _dec(base) ** (i * _dec(psi))) for i in range(1, int(n) + 1)),
                              start=Decimal(1))
            assert rel == r"\approx" and _rounded_to(value, result) == _dec(result), (t, value, result)
            checked += 1
    return checked


PAGES = {
    "nadam": {"name": "nadam"},
    "nadam-resumed": CASES["nadam-resumed"][0],
    "rmsprop-inside": {"name": "rmsprop", "rho": 0.9, "epsilon_placement": "inside_sqrt"},
    "adagrad-inside-state": {"name": "adagrad", "epsilon": 1e-6, "epsilon_placement": "inside_sqrt",
                             "state": {"s": _seed(10, True)}},
    "adam-inside": {"name": "adam", "epsilon_placement": "inside_sqrt"},
    "adamw-resumed-inside": {"name": "adamw", "weight_decay": 0.1, "epsilon_placement": "inside_sqrt",
                             "state": {"step": 3, "m": _seed(1), "v": _seed(1, True)}},
    "momentum-resumed": CASES["momentum-resumed"][0],
    "nesterov-resumed": CASES["nesterov-resumed"][0],
}
HAND = {"input": [1.0, -2.0], "target": [2.5], "loss": "half_sse", "learning_rate": 0.05, "iterations": 2,
        "layers": [{"activation": "tanh", "weights": [[0.5, -0.3], [0.8, 0.2]], "bias": [0.1, -0.2]},
                   {"activation": "identity", "weights": [[1.2, -0.7]], "bias": [0.3]}]}


@pytest.mark.parametrize("comma", [False, True], ids=["point", "comma"])
@pytest.mark.parametrize("precision", [{"decimals": 4}, {"significant": 4}], ids=["decimals", "significant"])
@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_checks_by_hand(page, mode, precision, comma):
    """The whole solution by tests.handcheck's rules and its updates held to the rounding note
    (strict), in both modes; NAdam's schedule lines recomputed here."""
    spec = spec_from_data({"rounding": {"mode": mode, **precision, "decimal_comma": comma},
                           "network": dict(HAND, optimizer=PAGES[page])})
    assert hand_checked(spec, mode) >= 2 * 4 * 2           # iterations × parameters × (step, update)
    tex = render(spec, solve(spec, spec.rounding), "solution")
    if page.startswith("nadam"):
        assert schedule_lines(tex) == (4 if page == "nadam-resumed" else 3)     # μ_t once, μ_{t+1} twice (+ Π_8)
        report = check_tex("\n".join(line for line in tex.splitlines() if r"\frac{1 - \mu" in line
                                     or r"1 - \Pi" in line or r"\Pi_{" in line and r"\cdot" in line), mode, strict=True)
        assert report.checked >= 6 and not report.failures, report.failures[:3]


def _given(tex: str) -> str:
    return tex.split(r"\section{Given values}", 1)[1].split(r"\section", 1)[0]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_both_documents_state_the_options(page):
    """The question sheet and the solution state ε's placement, the given state and the rule."""
    from generator.kinds.network import schema
    spec = spec_from_data({"network": dict(HAND, optimizer=PAGES[page])})
    net = spec.problems[0]
    fmt = Formatter(spec.rounding)
    trace = solve(spec)
    opt = PAGES[page]
    for what in ("question", "solution"):
        tex = render(spec, trace, what)
        given = _given(tex)
        for s in schema.settings(net):
            if s.shape == "matrix":
                assert f"{s.symbol} = {fmt.mat(s.value)}" in given, (page, what, s.field)
            elif s.shape == "text":
                assert s.value in given, (page, what, s.field)
            else:
                assert (f"{s.symbol} = {fmt.num(s.value)}" if s.symbol else f"{s.label}: {fmt.num(s.value)}") in given
        if opt.get("epsilon_placement") == "inside_sqrt":
            assert "placement of epsilon: inside the square root" in given
            assert r"+ \varepsilon}}" in tex and r"\sqrt{s} + \varepsilon" not in tex and \
                r"\sqrt{\hat{v}} + \varepsilon" not in tex
        if "state" in opt:
            assert "starting from the state under Given values" in tex
            if "step" in opt["state"]:
                first = opt["state"]["step"] + 1
                assert f"step $t = {first}, {first + 1}, \\dots$" in tex
                assert f"so the first update here is step $t = {first}$" in given
        else:
            assert "starting from zero state" in tex
        if opt["name"] == "nadam":
            assert r"\mu_t = \beta_1 \bigl(1 - 0.5 \cdot 0.96^{t \psi}\bigr)" in tex and r"\psi = 0.004" in tex
    if opt["name"] in ("rmsprop", "adagrad") and opt.get("epsilon_placement"):
        assert "the equations of Keras/TensorFlow and d2l.ai with $\\varepsilon$ inside the square root" in tex


def test_resumed_bias_corrections_are_written_down():
    """Resumed after t₀ steps, 1 − βᵗ of a large t is a line of its own, rounded, not 3t digits."""
    spec = spec_from_data({"rounding": {"significant": 4},
                           "network": dict(HAND, optimizer=CASES["adam-resumed-inside"][0])})
    tex = render(spec, solve(spec), "solution")
    assert r"\eqbox{1 - \beta_{1}^{13} = 1 - 0.9^{13} \approx 0.7458}" in tex
    assert r"\eqbox{1 - \beta_{2}^{14} = 1 - 0.999^{14} \approx 0.01391}" in tex
    assert r"\hat{m} = \frac{m}{1 - \beta_1^{13}}" in tex


def test_labels_of_the_new_steps():
    """NAdam's schedule and the given state have symbols (inline in LaTeX) and plain words."""
    from generator.labels import label
    spec = spec_from_data({"network": dict(HAND, optimizer=CASES["nadam-resumed"][0])})
    p = solve(spec).problem()
    for name, tex_want, plain_want in (("it1.mu", r"\mu_{8}", "mu_8"), ("it1.mu_prod", r"\Pi_{8}", "Pi_8"),
                                       ("it2.coef_m", r"\mu_{10}", "mu_10/(1 - Pi_10)"),
                                       ("it1.bc_beta2", r"\beta_{2}^{8}", "1 - beta2^8"),
                                       ("it1.denW1", r"\sqrt", "sqrt(vhatW1) + epsilon")):
        index = (0,) * np.ndim(p.dec(name))
        tex, plain = label(name, index, problem=p), label(name, index, tex=False, problem=p)
        assert tex_want in tex and r"\frac" not in tex, (name, tex)
        assert plain_want in plain, (name, plain)
    spec = spec_from_data({"network": dict(HAND, optimizer=PAGES["rmsprop-inside"])})
    p = solve(spec).problem()
    assert "sqrt(sW1 + epsilon)" in label("it1.denW1", (0, 0), tex=False, problem=p)
    assert "init.velW1" not in p and "init.sW1" not in p


def test_the_given_state_is_in_the_trace():
    spec = spec_from_data({"network": dict(HAND, optimizer=CASES["adamw-resumed"][0])})
    p = solve(spec).problem()
    assert p.entries["init.mW1"].kind == "given" and p.dec("init.vb2").tolist() == [Decimal("0.00125")]
    assert "it1.mu" not in p


# --------------------------------------------------------------------------- errors

def _adam_state(**changes) -> dict:
    state = {"step": 3, "m": _seed(1), "v": _seed(1, True)}
    state.update(changes)
    return state


@pytest.mark.parametrize("optimizer,field,words", [
    ({"name": "adam", "state": _adam_state(m=dict(_seed(1), W2=[[1, 2, 3], [4, 5, 6]]))},
     "network.optimizer.state.m.W2", "expected 1 × 2 entries (the shape of W2), got 2×3"),
    ({"name": "adam", "state": _adam_state(v=dict(_seed(1, True), b1=[1, 2, 3]))},
     "network.optimizer.state.v.b1", "expected 2 entries (one per unit of layer 1), got 3"),
    ({"name": "adam", "state": _adam_state(v=dict(_seed(1, True), W1=[[0.1, -0.1], [0, 0]]))},
     "network.optimizer.state.v.W1", "a sum of squares is not negative"),
    ({"name": "adam", "state": {"m": _seed(1), "v": _seed(1)}}, "network.optimizer.state",
     "missing required key 'step'"),
    ({"name": "adam", "state": _adam_state(step=2.5)}, "network.optimizer.state.step", "expected a whole number"),
    ({"name": "adam", "state": _adam_state(m={"W1": [[0, 0], [0, 0]]})}, "network.optimizer.state.m",
     "missing required key 'b1'"),
    ({"name": "adam", "state": _adam_state(m=dict(_seed(1), W3=[[1]]))}, "network.optimizer.state.m",
     "unknown key 'W3'"),
    ({"name": "momentum", "state": {"m": _seed(1)}}, "network.optimizer.state", "unknown key 'm'"),
    ({"name": "sgd", "state": {"velocity": _seed(1)}}, "network.optimizer.state", "sgd keeps no state"),
    ({"name": "momentum", "epsilon_placement": "inside_sqrt"}, "network.optimizer.epsilon_placement",
     "a setting of rmsprop, adagrad, adam, adamw, not of momentum"),
    ({"name": "rmsprop", "epsilon_placement": "inside"}, "network.optimizer.epsilon_placement",
     "unknown value 'inside' (known: outside, inside_sqrt)"),
    ({"name": "nadam", "momentum_decay": -1}, "network.optimizer.momentum_decay", "must not be negative"),
    ({"name": "nadam", "rho": 0.9}, "network.optimizer.rho", "'rho' is not a setting of nadam"),
    ({"name": "adam", "state": _adam_state(step=10**6)}, "network.optimizer.state.step", "more than 10000"),
])
def test_bad_options_are_one_line_naming_the_field(optimizer, field, words):
    with pytest.raises(SpecError) as e:
        spec_from_data({"network": dict(HAND, optimizer=optimizer)})
    assert e.value.field == field and words in e.value.detail, (e.value.field, e.value.detail)
    assert "\n" not in str(e.value)


def test_a_frozen_parameter_has_no_state():
    net = copy.deepcopy(HAND)
    net["layers"][0]["freeze"] = "bias"
    with pytest.raises(SpecError) as e:
        spec_from_data({"network": dict(net, optimizer={"name": "momentum", "state": {"velocity": _seed(1)}})})
    assert e.value.field == "network.optimizer.state.velocity.b1" and "frozen" in e.value.detail
    state = {"velocity": {P: v for P, v in _seed(1).items() if P != "b1"}}
    spec_from_data({"network": dict(net, optimizer={"name": "momentum", "state": state})})


def test_carry_mode_resumed_from_zero_state_entries():
    """A given m of 0 with a gradient exactly 0 gives a step exactly 0 (no division), in carry mode."""
    net = dict(HAND, input=[0.0, -2.0])               # ∂L/∂w_i1 = δ_i · 0 = 0 exactly
    state = _adam_state(m=dict(_seed(1), W1=[[0.0, -0.01], [0.0, 0.0]]))
    spec = spec_from_data({"rounding": {"mode": "carry", "decimals": 4},
                           "network": dict(net, optimizer={"name": "adam", "state": state})})
    p = solve(spec, spec.rounding).problem()
    step = np.asarray(p.dec("it1.stepW1"), dtype=object)
    assert step[0, 0] == 0 and step[1, 0] == 0
