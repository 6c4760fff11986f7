"""The optimizer kind (one update of an optimizer applied to given gradients, issue 22) against
sources that are not the engine:

- the float64 implementation of every optimizer written from the equations in
  tests/test_optimizer_options.py (``reference``: PyTorch's equations, ε inside the root where asked,
  NAdam as torch.optim.NAdam's docs state them, resumed from a state), imported, not copied; its
  gradients come from central differences of a network's loss, so here a stand-in for ``central``
  hands it the exercise's given gradients instead (``_given_gradients``); plain gradient descent,
  which that reference does not cover, by tests/test_optimizers.py's ``reference`` the same way;
- PyTorch (``generator/kinds/optimizer/torch_cases.json``: torch.optim in float64, each parameter's
  ``p.grad`` set by hand, one or two steps, from zero state or from a state dict loaded before the
  first step; made by ``TORCH_MAKER`` below, which ``test_the_torch_cases_are_reproducible`` reruns
  where /tmp/torchenv has PyTorch);
- published numbers of one update on given gradients: Keras's Adagrad tests (a single step from an
  accumulator of 0.1; the golden values of five steps, each step one exercise resumed from the state
  the step before left) and Keras's RMSprop docstring;
- the rendered solution read back by tests.handcheck in both rounding modes (NAdam's μ_t and Π_t
  lines, which it cannot read, recomputed by test_optimizer_options.schedule_lines);

and the network kind, which shares the composition (``ops.optimizers``): the same optimizer on the
same gradients writes the same numbers in both kinds.  Errors are one line naming the field."""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import SpecError
from generator.kinds import kind
from generator.labels import key_symbol, label
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, spec_from_data
from tests import test_optimizer_options as options
from tests import test_optimizers as plain_optimizers
from tests.handcheck import check_tex

FOLDER = Path(__file__).resolve().parent.parent / "generator" / "kinds" / "optimizer"
TORCH_JSON = FOLDER / "torch_cases.json"
TORCH_PYTHON = Path("/tmp/torchenv/bin/python")
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")


def _spec(part: dict, rounding: dict | None = None):
    return spec_from_data({"rounding": rounding or {"decimals": 4}, "parts": [{"kind": "optimizer", **part}]})


def _solved(part: dict, rounding: dict | None = None, mode: str = "display"):
    spec = _spec(part, rounding)
    return spec, solve(spec, replace(spec.rounding, mode=mode)).problems[0]


# --------------------------------------------------------------------------- the float64 reference

def _given_gradients(monkeypatch, module, grads: list[np.ndarray]) -> None:
    """Make ``module.central`` (the finite differences its ``reference`` takes each gradient from)
    hand out the given gradients instead, in the order the reference asks for them (every W, b of
    every layer, each step)."""
    order = itertools.cycle(grads)
    monkeypatch.setattr(module, "central", lambda f, arr, h=1e-6: np.array(next(order), dtype=float))


def reference(monkeypatch, part: dict) -> dict[str, np.ndarray]:
    """The parameters after ``steps`` updates of the exercise ``part`` by the float64 references of
    tests/test_optimizer_options.py (every optimizer but plain gradient descent) and
    tests/test_optimizers.py (gradient descent): the parameters go in as the (W, b) pairs of the
    layers of a network whose gradients are the given ones (an odd one out paired with an empty
    array), the given state keyed by those names."""
    names = list(part["parameters"])
    value = lambda v: np.array(v, dtype=float).reshape(np.shape(v)) if np.ndim(v) else np.array([float(v)])  # noqa: E731
    params = [value(part["parameters"][P]) for P in names]
    grads = [value(part["gradients"][P]) for P in names]
    if len(params) % 2:
        params.append(np.zeros(0))
        grads.append(np.zeros(0))
    pairs = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    alias = {P: f"{'Wb'[i % 2]}{i // 2 + 1}" for i, P in enumerate(names)}      # W1, b1, W2 …
    opt = part.get("optimizer", "sgd")
    opt = {"name": opt} if isinstance(opt, str) else opt
    cfg = {**DEFAULTS[opt["name"]],
           **{k: v for k, v in opt.items() if k not in ("name", "state", "epsilon_placement")}}
    steps = part.get("steps", 1)
    if opt["name"] == "sgd":
        _given_gradients(monkeypatch, plain_optimizers, grads)
        out = plain_optimizers.reference(pairs, None, None, None, None, part["learning_rate"], steps, "sgd", cfg)
    else:
        given = opt.get("state", {})
        state = {(alias[P], var): value(v) for var, byname in given.items() if var != "step"
                 for P, v in byname.items()}
        _given_gradients(monkeypatch, options, grads)
        out = options.reference(pairs, None, None, None, None, part["learning_rate"], steps, opt["name"], cfg,
                                state, given.get("step", 0), opt.get("epsilon_placement") == "inside_sqrt")
    flat = [p for pair in out for p in pair]
    return {P: flat[i] for i, P in enumerate(names)}


#: The settings the references need spelled out: PyTorch's documented defaults (torch.optim).
DEFAULTS = {"sgd": {}, "momentum": {"beta": 0.9}, "nesterov": {"beta": 0.9},
                               "rmsprop": {"rho": 0.99, "epsilon": 1e-8}, "adagrad": {"epsilon": 1e-10},
                               "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
                               "adamw": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
                               "nadam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "momentum_decay": 0.004}}

PARAMS = {"W": [[0.5, -0.3, 0.8], [0.2, 0.1, -0.6]], "b": [0.1, -0.2], "gamma": 1.5}
#: Gradients near 1 (so that carry mode at 4 decimals keeps Adam's second moments above 0), one exactly 0.
GRADS = {"W": [[1.2, -0.8, 0.0], [0.5, 1.5, -0.9]], "b": [0.7, -1.1], "gamma": -0.6}


def _state(step: int | None, *variables: str, scale: float = 1.0) -> dict:
    """A given state for PARAMS: each variable a multiple of the gradients (squares for s and v)."""
    out = {} if step is None else {"step": step}
    for var in variables:
        square = var in ("s", "v")
        out[var] = {P: (scale * (np.square(g) if square else -0.5 * np.asarray(g, dtype=float))).round(8).tolist()
                    for P, g in GRADS.items()}
    return out


CASES = {
    "sgd": ({"name": "sgd"}, 0.1, 1),
    "sgd-3": ("sgd", 0.1, 3),
    "momentum": ({"name": "momentum", "beta": 0.9}, 0.1, 2),
    "momentum-state": ({"name": "momentum", "beta": 0.8, "state": _state(None, "velocity")}, 0.1, 2),
    "nesterov": ({"name": "nesterov", "beta": 0.9}, 0.1, 1),
    "nesterov-state": ({"name": "nesterov", "beta": 0.7, "state": _state(None, "velocity")}, 0.05, 3),
    "rmsprop": ({"name": "rmsprop", "rho": 0.9}, 0.01, 2),
    "rmsprop-inside-state": ({"name": "rmsprop", "rho": 0.9, "epsilon": 1e-4, "epsilon_placement": "inside_sqrt",
                              "state": _state(None, "s")}, 0.01, 2),
    "adagrad": ({"name": "adagrad"}, 0.1, 3),
    "adagrad-inside-state": ({"name": "adagrad", "epsilon": 1e-6, "epsilon_placement": "inside_sqrt",
                              "state": _state(None, "s", scale=2)}, 0.1, 1),
    "adam": ({"name": "adam"}, 0.01, 1),
    "adam-3": ({"name": "adam", "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-3}, 0.01, 3),
    "adam-state": ({"name": "adam", "state": _state(2, "m", "v")}, 0.01, 1),
    "adam-state-inside": ({"name": "adam", "epsilon": 1e-4, "epsilon_placement": "inside_sqrt",
                           "state": _state(9, "m", "v", scale=3)}, 0.01, 2),
    "adamw": ({"name": "adamw", "weight_decay": 0.1}, 0.01, 2),
    "adamw-state": ({"name": "adamw", "weight_decay": 0.05, "state": _state(4, "m", "v")}, 0.02, 1),
    "nadam": ({"name": "nadam"}, 0.01, 2),
    "nadam-psi": ({"name": "nadam", "beta1": 0.8, "momentum_decay": 0.3}, 0.05, 3),
    "nadam-state": ({"name": "nadam", "state": _state(6, "m", "v")}, 0.01, 2),
}


def _part(case: str, params=PARAMS, grads=GRADS) -> dict:
    optimizer, eta, steps = CASES[case]
    return {"parameters": params, "gradients": grads, "learning_rate": eta, "optimizer": optimizer, "steps": steps}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_optimizer_matches_the_float64_equations(case, monkeypatch):
    part = _part(case)
    _, p = _solved(part)
    want = reference(monkeypatch, copy.deepcopy(part))
    for P, value in want.items():
        got = np.asarray(p[f"final.{P}"], dtype=float)
        assert np.allclose(got, value.reshape(got.shape), rtol=1e-12, atol=1e-14), (case, P, got, value)
        assert np.allclose(p[f"it{part['steps']}.{P}"], got, rtol=0, atol=0)


RNG_OPTIMIZERS = sorted(DEFAULTS)


def _random_part(seed: int) -> dict:
    """A random exercise: 1–4 parameters (matrices, vectors, numbers) of random names, every
    optimizer, its settings, placement and a given state at random, 1–3 steps."""
    rng = np.random.default_rng(seed)
    name = RNG_OPTIMIZERS[seed % len(RNG_OPTIMIZERS)]
    params, grads = {}, {}
    for i in range(int(rng.integers(1, 5))):
        shape = [(), (int(rng.integers(1, 4)),), (int(rng.integers(1, 4)), int(rng.integers(1, 4)))][int(rng.integers(3))]
        P = ["W", "b", "W_xh", "theta", "c2", "U"][i if seed % 2 else 5 - i]
        params[P] = np.round(rng.uniform(-1, 1, shape), 2).tolist()
        grads[P] = (np.round(rng.uniform(-1, 1, shape), 2) * (rng.uniform() < 0.9)).tolist()
    opt = {"name": name}
    for key, default in DEFAULTS[name].items():
        if rng.uniform() < 0.5:
            opt[key] = float(np.round(rng.uniform(0.5, 0.95), 2)) if key != "epsilon" else float(10.0 ** -rng.integers(3, 9))
            if key in ("weight_decay", "momentum_decay"):
                opt[key] = float(np.round(rng.uniform(0, 0.3), 2))
    if name in ("rmsprop", "adagrad", "adam", "adamw") and rng.uniform() < 0.4:
        opt["epsilon_placement"] = "inside_sqrt"
    keys = {"momentum": ("velocity",), "nesterov": ("velocity",), "rmsprop": ("s",), "adagrad": ("s",)}.get(
        name, ("m", "v") if name != "sgd" else ())
    if keys and rng.uniform() < 0.6:
        opt["state"] = {var: {P: (np.abs(np.round(rng.uniform(-0.5, 0.5, np.shape(v)), 3)) if var in ("s", "v")
                                  else np.round(rng.uniform(-0.5, 0.5, np.shape(v)), 3)).tolist()
                              for P, v in params.items()} for var in keys}
        if name in ("adam", "adamw", "nadam"):
            opt["state"]["step"] = int(rng.integers(0, 30))
    return {"parameters": params, "gradients": grads, "learning_rate": float(rng.choice([0.01, 0.05, 0.1, 0.5])),
            "optimizer": opt, "steps": int(rng.integers(1, 4))}


RANDOM = [_random_part(seed) for seed in range(48)]


@pytest.mark.parametrize("i", range(len(RANDOM)))
def test_random_exercises_match_the_float64_equations(i, monkeypatch):
    part = RANDOM[i]
    _, p = _solved(part)
    want = reference(monkeypatch, copy.deepcopy(part))
    for P, value in want.items():
        got = np.asarray(p[f"final.{P}"], dtype=float)
        assert np.allclose(got, value.reshape(got.shape), rtol=1e-12, atol=1e-14), (i, P, got, value)


def test_the_random_exercises_cover_every_option():
    names = {part["optimizer"]["name"] for part in RANDOM}
    assert names == set(DEFAULTS)
    assert any(p["optimizer"].get("epsilon_placement") for p in RANDOM)
    assert {p["optimizer"]["name"] for p in RANDOM if "state" in p["optimizer"]} >= {"momentum", "adagrad", "adam", "nadam"}
    assert {np.ndim(v) for p in RANDOM for v in p["parameters"].values()} == {0, 1, 2}
    assert {p["steps"] for p in RANDOM} == {1, 2, 3}


# --------------------------------------------------------------------------- PyTorch

#: The script that made torch_cases.json (run with an environment that has PyTorch, from the
#: repository: it reads the cases from stdin, writes the json to stdout).
TORCH_MAKER = r'''
import json, math, sys
import torch
torch.set_default_dtype(torch.float64)
cases = json.load(sys.stdin)
for case in cases:
    part = case["part"]
    o = part.get("optimizer", "sgd")
    o = {"name": o} if isinstance(o, str) else o
    name, lr = o["name"], part["learning_rate"]
    names = list(part["parameters"])
    params = [torch.tensor(part["parameters"][P], dtype=torch.float64).reshape(torch.tensor(part["gradients"][P]).shape or (1,)).requires_grad_(True) for P in names]
    b = (o.get("beta1", 0.9), o.get("beta2", 0.999))
    if name == "sgd":
        opt = torch.optim.SGD(params, lr=lr)
    elif name in ("momentum", "nesterov"):
        opt = torch.optim.SGD(params, lr=lr, momentum=o.get("beta", 0.9), nesterov=name == "nesterov")
    elif name == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=lr, alpha=o.get("rho", 0.99), eps=o.get("epsilon", 1e-8))
    elif name == "adagrad":
        opt = torch.optim.Adagrad(params, lr=lr, eps=o.get("epsilon", 1e-10))
    elif name == "adam":
        opt = torch.optim.Adam(params, lr=lr, betas=b, eps=o.get("epsilon", 1e-8))
    elif name == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, betas=b, eps=o.get("epsilon", 1e-8), weight_decay=o.get("weight_decay", 0.01))
    else:
        opt = torch.optim.NAdam(params, lr=lr, betas=b, eps=o.get("epsilon", 1e-8), momentum_decay=o.get("momentum_decay", 0.004))
    state = o.get("state")
    if state:                                   # loaded into torch's own state dict before the first step
        step = state.get("step", 0)
        for p, P in zip(params, names):
            t = lambda key: torch.tensor(state[key][P], dtype=torch.float64).reshape(p.shape)
            if name in ("adam", "adamw", "nadam"):
                st = {"step": torch.tensor(float(step)), "exp_avg": t("m"), "exp_avg_sq": t("v")}
                if name == "nadam":             # torch keeps the product of the mu in its state
                    b1, psi = b[0], o.get("momentum_decay", 0.004)
                    st["mu_product"] = torch.tensor(math.prod(b1 * (1 - 0.5 * 0.96 ** (i * psi)) for i in range(1, step + 1)))
            elif name == "rmsprop":
                st = {"step": torch.tensor(0.0), "square_avg": t("s")}
            elif name == "adagrad":
                st = {"step": torch.tensor(0.0), "sum": t("s")}
            else:
                st = {"momentum_buffer": t("velocity")}
            opt.state[p] = st
    for _ in range(part.get("steps", 1)):
        for p, P in zip(params, names):         # the gradient set by hand: no loss, no backward
            p.grad = torch.tensor(part["gradients"][P], dtype=torch.float64).reshape(p.shape)
        opt.step()
    keys = {"momentum": ("momentum_buffer",), "nesterov": ("momentum_buffer",), "rmsprop": ("square_avg",),
            "adagrad": ("sum",), "adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq"),
            "nadam": ("exp_avg", "exp_avg_sq")}.get(name, ())
    case["expected"] = {"final." + P: p.detach().reshape(-1).tolist() for p, P in zip(params, names)}
    case["state"] = {key + "." + P: opt.state[p][key].reshape(-1).tolist() for p, P in zip(params, names) for key in keys}
json.dump({"source": "torch " + torch.__version__ + ", float64",
           "how": "torch.optim with each p.grad set by hand to the given gradient before every opt.step(); "
                  "a given state loaded into opt.state[p] before the first step (tests/test_kind_optimizer.py, TORCH_MAKER)",
           "cases": cases}, sys.stdout, indent=1)
'''

TORCH_CASES = [
    {"id": "sgd", "part": {**_part("sgd"), "optimizer": "sgd"}},
    {"id": "momentum-2", "part": _part("momentum")},
    {"id": "momentum-state", "part": _part("momentum-state")},
    {"id": "nesterov", "part": {**_part("nesterov"), "steps": 2}},
    {"id": "nesterov-state", "part": {**_part("nesterov-state"), "steps": 2}},
    {"id": "rmsprop-2", "part": _part("rmsprop")},
    {"id": "rmsprop-state", "part": {**_part("rmsprop"), "optimizer": {"name": "rmsprop", "rho": 0.9,
                                                                          "state": _state(None, "s")}}},
    {"id": "adagrad-state", "part": {**_part("adagrad"), "steps": 2,
                                     "optimizer": {"name": "adagrad", "state": _state(None, "s", scale=2)}}},
    {"id": "adam", "part": _part("adam")},
    {"id": "adam-state", "part": {**_part("adam-state"), "steps": 2}},
    {"id": "adamw-2", "part": _part("adamw")},
    {"id": "adamw-state", "part": _part("adamw-state")},
    {"id": "nadam-2", "part": _part("nadam")},
    {"id": "nadam-psi", "part": {**_part("nadam-psi"), "steps": 2}},
    {"id": "nadam-state", "part": _part("nadam-state")},
]
TORCH = json.loads(TORCH_JSON.read_text(encoding="utf-8"))["cases"] if TORCH_JSON.is_file() else []

#: The state torch keeps, by the names this kind's trace gives it.
_TORCH_STATE = {"momentum_buffer": "vel", "square_avg": "s", "sum": "s", "exp_avg": "m", "exp_avg_sq": "v"}


@pytest.mark.parametrize("case", TORCH, ids=[c["id"] for c in TORCH])
def test_the_engine_equals_pytorch(case):
    part = case["part"]
    _, p = _solved(part)
    for name, value in case["expected"].items():
        assert np.allclose(np.ravel(p[name]), value, rtol=1e-12, atol=1e-14), (case["id"], name)
    steps = part.get("steps", 1)
    for key, value in case["state"].items():
        var, P = key.split(".")
        assert np.allclose(np.ravel(p[f"it{steps}.{_TORCH_STATE[var]}{P}"]), value, rtol=1e-12, atol=1e-14), \
            (case["id"], key)


def test_the_torch_cases_cover_every_optimizer_and_a_loaded_state():
    assert [c["id"] for c in TORCH] == [c["id"] for c in TORCH_CASES]
    assert [c["part"] for c in TORCH] == json.loads(json.dumps([c["part"] for c in TORCH_CASES]))
    names = {(c["part"]["optimizer"] if isinstance(c["part"]["optimizer"], str) else c["part"]["optimizer"]["name"])
             for c in TORCH}
    assert names == set(DEFAULTS)
    assert sum("state" in c["part"]["optimizer"] for c in TORCH if isinstance(c["part"]["optimizer"], dict)) >= 6


@pytest.mark.skipif(not TORCH_PYTHON.is_file(), reason="no PyTorch environment at /tmp/torchenv")
def test_the_torch_cases_are_reproducible():
    """TORCH_MAKER, rerun with PyTorch on TORCH_CASES, gives torch_cases.json (set
    DRYRUN_WRITE_TORCH=1 to write it anew)."""
    made = subprocess.run([str(TORCH_PYTHON), "-c", TORCH_MAKER], input=json.dumps(TORCH_CASES), text=True,
                          capture_output=True, check=True).stdout
    if os.environ.get("DRYRUN_WRITE_TORCH"):
        TORCH_JSON.write_text(made + "\n", encoding="utf-8")
    ours = json.loads(TORCH_JSON.read_text(encoding="utf-8"))
    theirs = json.loads(made)
    assert [c["id"] for c in theirs["cases"]] == [c["id"] for c in ours["cases"]]
    for a, b in zip(theirs["cases"], ours["cases"]):
        for key in ("expected", "state"):
            for name in a[key]:
                assert np.allclose(a[key][name], b[key][name], rtol=1e-14, atol=1e-16), (a["id"], name)


# --------------------------------------------------------------------------- published examples

def test_keras_adagrad_single_step():
    """keras/src/optimizers/adagrad_test.py, test_single_step: Adagrad(learning_rate=0.5), its
    accumulator starting at 0.1 (initial_accumulator_value) and epsilon 1e-7 inside the root,
    variables [1, 2, 3, 4] with gradients [1, 6, 7, 2] → [0.5233, 1.5007, 2.5005, 3.5061]: one
    update on given gradients, as the exercise states it (no network needed)."""
    _, p = _solved({"parameters": {"x": [1, 2, 3, 4]}, "gradients": {"x": [1, 6, 7, 2]}, "learning_rate": 0.5,
                    "optimizer": {"name": "adagrad", "epsilon": 1e-7, "epsilon_placement": "inside_sqrt",
                                  "state": {"s": {"x": [0.1] * 4}}}})
    assert [round(float(w), 4) for w in p["final.x"]] == [0.5233, 1.5007, 2.5005, 3.5061]


def test_keras_adagrad_golden_steps():
    """keras/src/optimizers/adagrad_test.py, test_correctness_with_golden: Adagrad(learning_rate=0.2,
    initial_accumulator_value=0.3, epsilon=1e-6), ten variables at 1, a first step with gradients
    0.01, then steps with gradients 0.1, 0.2, …, 1.0; its golden values after each step (4 decimals)
    every one reproduced: the first step one exercise, the other four one exercise of four steps
    (the same gradients each step), resumed from the accumulator the first left."""
    golden = [[0.9963] * 10,
              [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
              [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
              [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
              [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825]]
    adagrad = {"name": "adagrad", "epsilon": 1e-6, "epsilon_placement": "inside_sqrt"}
    _, first = _solved({"parameters": {"w": [1.0] * 10}, "gradients": {"w": [0.01] * 10}, "learning_rate": 0.2,
                        "optimizer": {**adagrad, "state": {"s": {"w": [0.3] * 10}}}})
    assert [round(float(x), 4) for x in first["final.w"]] == golden[0]
    _, rest = _solved({"parameters": {"w": [float(x) for x in first["final.w"]]},
                       "gradients": {"w": [i / 10 for i in range(1, 11)]}, "learning_rate": 0.2, "steps": 4,
                       "optimizer": {**adagrad, "state": {"s": {"w": [float(x) for x in first["it1.sw"]]}}}})
    for k, row in enumerate(golden[1:], start=1):
        assert [round(float(x), 4) for x in rest[f"it{k}.w"]] == row, k


def test_keras_rmsprop_docstring():
    """keras.optimizers.RMSprop's docstring (keras/src/optimizers/rmsprop.py): learning_rate=0.1,
    var1 = 10, loss = var1²/2 (its gradient 10), one step: var1 = 9.683772 (rho 0.9, epsilon 1e-7
    inside the root)."""
    _, p = _solved({"parameters": {"var1": 10}, "gradients": {"var1": 10}, "learning_rate": 0.1,
                    "optimizer": {"name": "rmsprop", "rho": 0.9, "epsilon": 1e-7, "epsilon_placement": "inside_sqrt"}})
    assert f"{float(p['final.var1'][0]):.6f}" == "9.683772"


def test_adams_first_step_moves_by_the_learning_rate():
    """Kingma & Ba (2015), §2.1: the effective step of Adam's first update is ±η wherever the
    gradient is not 0 (|m̂/√v̂| = 1, ε aside), and 0 where it is 0."""
    _, p = _solved({"parameters": PARAMS, "gradients": GRADS, "learning_rate": 0.01, "optimizer": "adam"})
    for P in PARAMS:
        moved = np.abs(np.ravel(p[f"final.{P}"]) - np.ravel(PARAMS[P]))
        expected = np.where(np.ravel(GRADS[P]) == 0, 0, 0.01)
        assert np.allclose(moved, expected, rtol=1e-6, atol=0), P


# --------------------------------------------------------------------------- the network's own lines

def test_the_same_update_as_a_networks(monkeypatch):
    """A network whose gradients are the given ones (one identity unit with error ŷ − y = 1 exactly:
    ∂L/∂W = xᵀ, ∂L/∂b = 1) takes the same Adam step from the same state, value for value, in both
    rounding modes: the two kinds share the composition."""
    W, x, b = [[0.5, -0.3, 0.8]], [0.12, -0.4, 0.25], [0.1]
    target = float(sum(np.array(W[0]) * np.array(x)) + b[0] - 1)
    target = float(np.round(target, 10))
    state = {"step": 3, "m": {"W1": [[0.01, -0.02, 0.03]], "b1": [0.05]},
             "v": {"W1": [[0.001, 0.002, 0.0005]], "b1": [0.004]}}
    optimizer = {"name": "adam", "state": state}
    for mode in ("display", "carry"):
        net = spec_from_data({"rounding": {"decimals": 4, "mode": mode},
                              "network": {"input": x, "target": [target], "loss": "half_sse", "learning_rate": 0.01,
                                          "iterations": 1, "optimizer": optimizer,
                                          "layers": [{"activation": "identity", "weights": W, "bias": b}]}})
        n = solve(net, net.rounding).problems[0]
        if np.ravel(n["it1.dW1"]).tolist() != x or np.ravel(n["it1.db1"]).tolist() != [1.0]:
            pytest.skip("the target does not make the error exactly 1")
        ours = {"W1": W, "b1": b}
        own_state = {"step": 3, "m": state["m"], "v": state["v"]}
        _, p = _solved({"parameters": ours, "gradients": {"W1": [x], "b1": [1.0]}, "learning_rate": 0.01,
                        "optimizer": {"name": "adam", "state": own_state}}, mode=mode)
        for key in ("m", "v", "mhat", "vhat", "den", "step", ""):
            for P in ("W1", "b1"):
                assert np.asarray(p.dec(f"it1.{key}{P}")).tolist() == np.asarray(n.dec(f"it1.{key}{P}")).tolist(), \
                    (mode, key, P)


# --------------------------------------------------------------------------- by hand

def _by_hand(spec, mode: str, strict: bool = True) -> int:
    tex = render(spec, solve(spec, replace(spec.rounding, mode=mode)), "solution")
    report = check_tex(tex, mode, strict=strict)
    assert not report.failures, "\n".join(f"{f.left[:160]} {f.rel} {f.right[:80]}: {f.why}"
                                          for f in report.failures[:6])
    if "nadam" in tex.lower():
        assert options.schedule_lines(tex) >= 2
    return report.checked


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("precision", [{"decimals": 4}, {"significant": 3}, {"significant": 4, "decimal_comma": True}],
                         ids=["dec4", "sig3", "sig4-comma"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_line_checks_by_hand(case, precision, mode):
    spec = _spec(_part(case), {**precision, "mode": mode})
    lines = 1 if CASES[case][0] in ("sgd", {"name": "sgd"}) else 2     # the step, then the update
    assert _by_hand(spec, mode) >= lines * len(PARAMS) * CASES[case][2]     # of every parameter, each step


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("i", range(0, len(RANDOM), 4))
def test_random_exercises_check_by_hand(i, mode):
    spec = _spec(RANDOM[i], {"significant": 3 + i % 3, "mode": mode})
    assert _by_hand(spec, mode) >= 1


@pytest.mark.parametrize("mode", ["display", "carry"])
def test_the_starter_checks_by_hand(mode):
    spec = load_spec(FOLDER / "starter.yaml")
    assert _by_hand(spec, mode) >= 15


def test_a_zero_gradient_steps_exactly_zero_in_carry_mode():
    """A gradient entry exactly 0 (and m, v exactly 0 there) gives a step exactly 0, not 0/0 after
    √v̂ + ε rounded to 0 in carry mode; the entry keeps its value."""
    part = {"parameters": {"W": [[0.5, -0.3]]}, "gradients": {"W": [[0.0, 0.8]]}, "learning_rate": 0.01,
            "optimizer": "adam", "steps": 2}
    _, p = _solved(part, {"decimals": 4}, mode="carry")
    assert p.dec("it2.stepW")[0, 0] == 0 and p.dec("final.W")[0, 0] == p.dec("init.W")[0, 0]


# --------------------------------------------------------------------------- answers, labels, documents

def test_answers_labels_and_given_data():
    spec, p = _solved(_part("adam-state"))
    model = spec.problems[0]
    k = kind("optimizer")
    groups = k.groups(model, p)
    assert groups["parameters"] == ["final.W", "final.b", "final.gamma"]
    assert groups["key"] == groups["parameters"] + ["it1.mW", "it1.vW", "it1.mb", "it1.vb", "it1.mgamma", "it1.vgamma"]
    assert k.is_key("final.W") and not k.is_key("it1.mW")
    assert key_symbol("final.W", (0, 1), problem=p) == r"W^{\prime}_{12}"
    assert key_symbol("final.gamma", (0,), problem=p) == r"\gamma^{\prime}_{1}"
    assert label("it1.mW", (1, 2), problem=p).startswith(r"\left(m_{W}\right)_{23}")
    assert label("it1.mW", (1, 2), tex=False, problem=p) == "mW[2,3] (iteration 1)"
    assert label("it1.denW", (0, 0), tex=False, problem=p) == "(sqrt(vhatW) + epsilon)[1,1] (iteration 1)"
    assert label("final.b", (1,), tex=False, problem=p) == "b[2] (after training)"
    rows = dict(k.given(model, p))
    assert rows["learning rate"] == 0.01 and rows["Steps already taken (state.step)"] == 2
    assert np.asarray(rows["gradient dL/dW"], dtype=float).tolist() == GRADS["W"]
    assert k.shares_structure


def test_the_answers_of_gradient_descent_are_the_parameters():
    spec, p = _solved(_part("sgd"))
    groups = kind("optimizer").groups(spec.problems[0], p)
    assert groups["key"] == ["final.W", "final.b", "final.gamma"] and groups["outputs"] == []
    assert ("optimizer", "gradient descent") in kind("optimizer").given(spec.problems[0], p)


def _given(tex: str, title: str) -> str:
    return tex.split(r"\section{" + title + "}", 1)[1].split(r"\begin{sloppypar}\noindent\textbf{Update rule.}", 1)[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_documents_state_everything(case):
    """The question sheet and the solution state the parameters, their gradients, η, the number of
    updates, every setting of the optimizer (kinds.optimizers.settings: name, constants, ε's
    placement, the given state) and the rule; the solution ends with every answer."""
    from generator.kinds.optimizer import schema
    from generator.latex import Formatter
    part = _part(case)
    spec = _spec(part)
    model = spec.problems[0]
    fmt = Formatter(spec.rounding)
    trace = solve(spec)
    heading = ("One step" if part["steps"] == 1 else f"{part['steps']} steps") + " of "
    for what in ("question", "solution"):
        tex = render(spec, trace, what)
        title = next(line for line in tex.splitlines() if line.startswith(r"\section{"))[9:-1]
        assert title.startswith(heading)
        given = _given(tex, title)
        for P, S in (("W", "W"), ("b", "b"), ("gamma", r"\gamma")):
            assert f"{S} = {fmt.mat(PARAMS[P])}" in given, (what, P)
            assert rf"\frac{{\partial L}}{{\partial {S}}} = {fmt.mat(GRADS[P])}" in given, (what, P)
        assert rf"$\eta = {fmt.num(part['learning_rate'])}$" in given
        assert (f"{part['steps']} updates, each with these same gradients" in given) == (part["steps"] > 1)
        for s in schema.settings(model):
            if s.shape == "matrix":
                assert f"{s.symbol} = {fmt.mat(s.value)}" in given, (case, what, s.field)
            elif s.shape == "text":
                assert s.value in given, (case, what, s.field)
            else:
                assert (f"{s.symbol} = {fmt.num(s.value)}" if s.symbol else s.label) in given, (case, what, s.field)
        assert r"\textbf{Update rule.}" in tex
    tex = render(spec, trace, "solution")
    result = tex.split(r"\subsection*{Result}", 1)[1]
    for name in kind("optimizer").groups(model, trace.problems[0])["key"]:
        for piece in stated(spec, trace, name):
            assert piece in result, name


def stated(spec, trace, name: str) -> list[str]:
    """How the solution's summary states the value ``name``."""
    from generator.kinds.optimizer.schema import symbol
    from generator.latex import Formatter
    view = kind("optimizer").view(spec.problems[0], trace.problems[0], Formatter(spec.rounding), spec)
    return view.stated(name, symbol(name[6:]) + r"^{\prime}" if name.startswith("final.") else None)


@pytest.mark.parametrize("part,field,words", [
    ({"parameters": {"W": [1, 2]}, "gradients": {"W": [1, 2]}, "learning_rate": 0.1,
      "optimizer": {"name": "adam", "state": {"step": 1, "m": {"W": [0, 0], "c": [1]}, "v": {"W": [0, 0]}}}},
     "parts[0].optimizer.state.m", "unknown key 'c'"),
    ({"parameters": {"W": [1, 2]}, "gradients": {"W": [1, 2]}, "learning_rate": 0.1,
      "optimizer": {"name": "adagrad", "state": {"s": {"W": [[1, 2]]}}}},
     "parts[0].optimizer.state.s.W[0]", "expected a number, got a list"),
    ({"parameters": {"mu": 1}, "gradients": {"mu": 1}, "learning_rate": 0.1, "optimizer": "nadam"},
     "parts[0].parameters.mu", "a value of every update of NAdam (it1.mu)"),
    ({"parameters": {"beta": 1}, "gradients": {"beta": 1}, "learning_rate": 0.1, "optimizer": "momentum"},
     "parts[0].parameters.beta", "the symbol of the momentum coefficient"),
    ({"parameters": {"beta_1": 1}, "gradients": {"beta_1": 1}, "learning_rate": 0.1, "optimizer": "adam"},
     "parts[0].parameters.beta_1", "the symbol of the decay rate of the first moment"),
    ({"parameters": {}, "gradients": {}, "learning_rate": 0.1}, "parts[0].parameters", "without entries"),
    ({"parameters": {"W": [[1, 2], [3]]}, "gradients": {"W": [1]}, "learning_rate": 0.1}, "parts[0].parameters.W",
     "rows have different lengths"),
    ({"parameters": {"W": [1, 2]}, "gradients": {"W": [1, 2]}, "learning_rate": -0.1}, "parts[0].learning_rate",
     "must be greater than 0"),
    ({"parameters": {"W": [1, 2]}, "gradients": {"W": [1, 2]}, "learning_rate": 0.1,
      "optimizer": {"name": "adam", "beta1": 1}}, "parts[0].optimizer.beta1", "must be below 1"),
])
def test_bad_exercises_are_one_line_naming_the_field(part, field, words):
    with pytest.raises(SpecError) as e:
        _spec(part)
    assert e.value.field == field and words in e.value.detail, (e.value.field, e.value.detail)
    assert "\n" not in str(e.value)


def test_names_that_clash_only_with_another_optimizer_are_fine():
    """u's first moment would be NAdam's μ (it1.mu), but Adam writes no μ; β is momentum's, not Adam's."""
    _spec({"parameters": {"u": 1, "beta": 2}, "gradients": {"u": 1, "beta": 1}, "learning_rate": 0.1, "optimizer": "adam"})


# --------------------------------------------------------------------------- pages

@needs_tex
@pytest.mark.parametrize("what", ["solution", "question"])
@pytest.mark.parametrize("which", ["starter", "stress"])
def test_the_pages_are_legible(which, what, tmp_path):
    from generator.compile import compile_pdf
    from tests.legibility import problems
    spec = load_spec(FOLDER / "starter.yaml") if which == "starter" else spec_from_data(STRESS_SPEC)
    pdf = tmp_path / f"{which}-{what}.pdf"
    compile_pdf(render(spec, solve(spec), what), pdf)
    assert problems(pdf) == []


STRESS_SPEC = {
    "title": "Optimizer steps on given gradients", "rounding": {"significant": 4},
    "parts": [
        {"kind": "optimizer", "title": "Adam from a given state, three parameters",
         "parameters": {"W_xh": [[0.52, -0.31, 0.84], [0.27, 0.09, -0.63], [-0.44, 0.71, 0.15]],
                        "b": [0.1, -0.2, 0.05], "gamma": 1.5},
         "gradients": {"W_xh": [[0.121, -0.43, 0.0], [0.057, 0.318, -0.25], [0.2, -0.09, 0.61]],
                       "b": [0.2, -0.1, 0.35], "gamma": -0.35},
         "learning_rate": 0.001,
         "optimizer": {"name": "adam", "state": {
             "step": 9,
             "m": {"W_xh": [[0.01, -0.04, 0.0], [0.005, 0.02, -0.03], [0.012, -0.008, 0.05]],
                   "b": [0.02, -0.01, 0.03], "gamma": -0.04},
             "v": {"W_xh": [[0.0002, 0.0011, 0.0], [0.00004, 0.0008, 0.0005], [0.0003, 0.00007, 0.0021]],
                   "b": [0.0003, 0.0001, 0.0009], "gamma": 0.0002}}}},
        {"kind": "optimizer", "title": "Three steps of NAdam", "parameters": {"w": [0.5, -1.2], "c": 0.3},
         "gradients": {"w": [0.8, -0.4], "c": 1.1}, "learning_rate": 0.05, "optimizer": "nadam", "steps": 3},
        {"kind": "optimizer", "title": "A wide matrix, AdamW with epsilon inside the root",
         "parameters": {"U": [[round(0.1 * (i - j), 2) for j in range(8)] for i in range(4)]},
         "gradients": {"U": [[round(0.07 * (i + j) - 0.3, 2) for j in range(8)] for i in range(4)]},
         "learning_rate": 0.01, "optimizer": {"name": "adamw", "epsilon_placement": "inside_sqrt"}},
        {"kind": "optimizer", "title": "RMSProp on a number (Keras)", "parameters": {"var1": 10},
         "gradients": {"var1": 10}, "learning_rate": 0.1,
         "optimizer": {"name": "rmsprop", "rho": 0.9, "epsilon": 1e-7, "epsilon_placement": "inside_sqrt"}},
    ],
}


@pytest.mark.parametrize("mode", ["display", "carry"])
def test_the_stress_spec_checks_by_hand(mode):
    spec = spec_from_data(STRESS_SPEC)
    assert _by_hand(spec, mode) >= 40


# --------------------------------------------------------------------------- hostile input

_JUNK = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                               st.text(max_size=6), st.sampled_from(["W", "b", "mW", "adam", "nadam", "step", "m"])),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.sampled_from(["W", "b", "m", "v", "s", "step", "name",
                                                                              "velocity", "state", "x"]), inner,
                                                             max_size=3)),
                     max_leaves=8)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(["parameters", "gradients", "learning_rate", "optimizer", "steps", "W", "state", "m"]),
       junk=_JUNK)
def test_junk_anywhere_is_a_one_line_error_or_a_solution(key, junk):
    """Any value at any place of the starter's exercise: a one-line error, or a spec that solves and
    renders."""
    from generator.errors import DryrunError
    part = _part("adam-state")
    part = json.loads(json.dumps(part))
    if key in ("W",):
        part["gradients"]["W"] = junk
    elif key in ("state", "m"):
        part["optimizer"]["state"]["m" if key == "m" else "v"] = junk
    else:
        part[key] = junk
    try:
        spec = _spec(part)
        render(spec, solve(spec), "solution")
    except DryrunError as e:
        assert str(e) and "\n" not in str(e)
