"""An RNN as a layer inside a larger model (issue 22, item 3): ``upstream:`` gives ∂L/∂h_t of every
step from the layers above (T × hidden, as the CS231n assignment's ``rnn_backward(dh, cache)`` takes
dh), and the exercise reports the gradients of the inputs (``it1.grad.inputs``, ∂L/∂x_t per row), of
the initial state (``it1.grad.h0``) and of W_xh, W_hh, b_h — no output layer, no loss, no update.
The same two gradients are recorded and printed for every RNN that backpropagates (each iteration
``it<k>`` of a trained one, the pass of a gradients-only one).

Checked against an independent float64 implementation of CS231n's ``rnn_step_backward`` /
``rnn_backward`` in its own row-vector convention (``tests.reference_kinds.rnn_upstream``), against
finite differences of L = Σ_t upstream_t · h_t and of the trained loss, against PyTorch's ``nn.RNN``
and autograd with h_0 requiring its gradient (tests/fixtures/rnn_upstream_torch.json, written by
tests/fixtures/make_rnn_upstream_torch.py), and by hand from the rendered text in both rounding
modes.  The specs are tests/rnn_upstream/*.yaml."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.answers import answers
from generator.cli import main
from generator.kinds import kind
from generator.labels import label
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, parse_yaml, spec_from_data
from tests import reference_kinds as R
from tests.handcheck import check_tex

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FOLDER = HERE / "rnn_upstream"
UPSTREAM_SPECS = sorted(FOLDER.glob("*.yaml"))
#: RNNs that backpropagate from a loss: trained (one and several iterations) and gradients only.
LOSS_SPECS = [ROOT / "specs" / "rnn.yaml", ROOT / "examples" / "rnn-long.yaml",
              HERE / "stop_after" / "rnn-gradients.yaml"]
TORCH = json.loads((HERE / "fixtures" / "rnn_upstream_torch.json").read_text(encoding="utf-8"))
H = 1e-6


def _part(path: Path) -> dict:
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name)
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}


def _solve_part(part: dict, mode: str | None = None):
    spec = spec_from_data({"parts": [{"kind": "rnn", "id": "r", **part}]}, "x.yaml")
    policy = spec.rounding if mode is None else replace(spec.rounding, mode=mode)
    return spec, solve(spec, policy).problems[0]


def _exact(spec):
    """The problem solved at full precision (display mode: a carry-mode spec goes on with rounded values)."""
    return solve(spec, replace(spec.rounding, mode="display")).problems[0]


def _random_layer(rng) -> dict:
    """A random RNN layer given upstream gradients: 1–4 steps, 1–3 features and hidden units."""
    T, D, Hd = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    v = lambda *shape: np.round(rng.uniform(-1, 1, shape), 1).tolist()      # noqa: E731
    part = {"inputs": v(T, D), "W_xh": v(Hd, D), "W_hh": v(Hd, Hd), "upstream": v(T, Hd),
            "activation": str(rng.choice(["tanh", "relu"]))}
    if rng.random() < 0.7:
        part["h0"] = v(Hd)
    if rng.random() < 0.7:
        part["b_h"] = v(Hd)
    return part


def _kink_free(part: dict) -> bool:
    """No ReLU pre-activation within 1e-3 of 0 (finite differences would straddle the kink)."""
    if part.get("activation", "tanh") != "relu":
        return True
    xs, h0, Wx, Wh, b, _, act = R._upstream_part(part)
    h = h0
    for x in xs:
        a = x @ Wx + h @ Wh + b
        if np.min(np.abs(a)) < 1e-3:
            return False
        h = np.maximum(a, 0)
    return True


LAYERS = [_random_layer(np.random.default_rng(seed)) for seed in range(16)]
NAMES = ("hidden", "it1.grad.inputs", "it1.grad.h0", "it1.dW_xh", "it1.dW_hh", "it1.db_h")


# --- 1. the values: CS231n's equations, finite differences, PyTorch ------------------------------

@pytest.mark.parametrize("part", [_part(p) for p in UPSTREAM_SPECS] + LAYERS,
                         ids=[p.stem for p in UPSTREAM_SPECS] + [f"random{i}" for i in range(len(LAYERS))])
def test_layer_equals_cs231n_rnn_backward(part):
    _, p = _solve_part(part)
    ref = R.rnn_upstream(part)
    assert ("b_h" in part) == ("it1.db_h" in ref) == ("it1.db_h" in p)
    for name in NAMES:
        if name in ref:
            got = np.asarray(p[name], dtype=float)
            want = np.asarray(ref[name], dtype=float)
            assert got.shape == want.shape, (name, got.shape, want.shape)
            assert np.allclose(got, want, rtol=1e-12, atol=1e-14), (name, got, want)


def _moved(part: dict, key: str, shape, idx, h: float) -> dict:
    q = copy.deepcopy(part)
    base = np.zeros(shape) if q.get(key) is None else np.asarray(q[key], dtype=float).reshape(shape)
    base[idx] += h
    q[key] = base.tolist()
    return q


#: {trace name: the spec key it is the gradient of}
OF = {"it1.grad.inputs": "inputs", "it1.grad.h0": "h0", "it1.dW_xh": "W_xh", "it1.dW_hh": "W_hh", "it1.db_h": "b_h"}


@pytest.mark.parametrize("part", [_part(p) for p in UPSTREAM_SPECS] + [q for q in LAYERS if _kink_free(q)][:8])
def test_layer_gradients_are_finite_differences_of_the_upstream_loss(part):
    """∂(Σ_t upstream_t · h_t)/∂(every entry of the inputs, h_0, W_xh, W_hh, b_h), central
    differences of the reference's forward pass."""
    _, p = _solve_part(part)
    compared = 0
    for name, key in OF.items():
        if name not in p:
            continue
        got = np.asarray(p[name], dtype=float)
        for idx in np.ndindex(got.shape):
            up, down = (R.rnn_upstream_loss(_moved(part, key, got.shape, idx, h)) for h in (H, -H))
            fd = (up - down) / (2 * H)
            assert abs(fd - got[idx]) <= 1e-7 * max(1.0, abs(fd)), (name, idx, fd, got[idx])
            compared += 1
    assert compared >= 6


def test_the_upstream_loss_is_the_sum_of_upstream_times_hidden():
    """The loss the finite differences read is Σ_t g_t · h_t of the engine's own hidden states."""
    part = _part(FOLDER / "layer-T4.yaml")
    _, p = _solve_part(part)
    want = float(np.sum(np.asarray(p["hidden"], dtype=float) * np.asarray(part["upstream"], dtype=float)))
    assert R.rnn_upstream_loss(part) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("case", TORCH["cases"], ids=[c["id"] for c in TORCH["cases"]])
def test_engine_matches_pytorch_nn_rnn(case):
    """dryrun's values against torch.nn.RNN and its autograd (float64, h_0 requiring its gradient);
    the fixture's part is its spec's."""
    path = ROOT / case["spec"]
    assert _part(path) == case["part"], "the fixture is out of date: run tests/fixtures/make_rnn_upstream_torch.py"
    p = _exact(load_spec(path))
    for name, want in case["torch"].items():
        if name == "loss":
            got = p["it1.loss"] if "it1.loss" in p else R.rnn_upstream_loss(case["part"])
        else:
            got = p[name]
        got = np.asarray(got, dtype=float)
        assert np.allclose(got, np.asarray(want, dtype=float).reshape(got.shape), rtol=1e-10, atol=1e-13), name


@pytest.mark.parametrize("path", LOSS_SPECS, ids=lambda p: p.stem)
def test_a_loss_rnn_records_the_input_and_h0_gradients_of_every_iteration(path):
    """∂L/∂x_t and ∂L/∂h_0 of each pass ``it<k>`` against the reference's backpropagation (the
    loop implementation of tests/reference_kinds.py, trained as the spec says)."""
    spec = load_spec(path)
    model, p = spec.problems[0], _exact(spec)
    part = _part(path)
    if model.stop_after is not None:
        part = {k: v for k, v in part.items() if k != "stop_after"} | {"learning_rate": 0.1, "iterations": 1}
    ref = R.rnn(part)
    for k in range(1, model.iterations + 1):
        for name in (f"it{k}.grad.inputs", f"it{k}.grad.h0"):
            got = np.asarray(p[name], dtype=float)
            assert got.shape == ((model.steps, model.inputs.shape[1]) if name.endswith("inputs") else (len(model.h0),))
            assert np.allclose(got, ref[name], rtol=1e-9, atol=1e-12), (name, got, ref[name])
            assert f"{name}" in kind("rnn").groups(model, p)["gradients"]


@pytest.mark.parametrize("seed", range(8))
def test_random_trained_rnns_agree_with_the_reference(seed):
    from tests.test_new_kinds import _valid_part
    part = _valid_part("rnn", np.random.default_rng(100 + seed))
    _, p = _solve_part(part)
    ref = R.rnn(part)
    for k in range(1, part.get("iterations", 1) + 1):
        for name in (f"it{k}.grad.inputs", f"it{k}.grad.h0"):
            got = np.asarray(p[name], dtype=float)
            assert np.allclose(got, np.asarray(ref[name]).reshape(got.shape), rtol=1e-9, atol=1e-12), name


@pytest.mark.parametrize("path", LOSS_SPECS, ids=lambda p: p.stem)
def test_loss_gradients_are_finite_differences_of_the_trained_loss(path):
    """∂L/∂x_t and ∂L/∂h_0 of pass it<k>: central differences of the reference's loss with that
    pass's parameters (the given ones for k = 1, those after update k − 1, from the trace, else)."""
    spec = load_spec(path)
    model, p = spec.problems[0], _exact(spec)
    part = _part(path)
    part.pop("stop_after", None)
    part["learning_rate"], part["iterations"] = 0.1, 1
    for k in range(1, model.iterations + 1):
        at = copy.deepcopy(part)
        if k > 1:
            for name in model.parameters():
                at[name] = np.asarray(p[f"it{k - 1}.{name}"], dtype=float).tolist()
        at["inputs"] = np.asarray(model.inputs, dtype=float).tolist()
        at["h0"] = np.asarray(model.h0, dtype=float).tolist()
        for name, key in ((f"it{k}.grad.inputs", "inputs"), (f"it{k}.grad.h0", "h0")):
            got = np.asarray(p[name], dtype=float)
            for idx in np.ndindex(got.shape):
                up, down = (R.rnn_loss(_moved(at, key, got.shape, idx, h)) for h in (H, -H))
                fd = (up - down) / (2 * H)
                assert abs(fd - got[idx]) <= 1e-7 * max(1.0, abs(fd)), (name, idx, fd, got[idx])


# --- 2. the trace: new names only, existing names and values unchanged ----------------------------

def test_the_layer_trace_holds_its_forward_pass_and_gradients_only():
    spec = load_spec(FOLDER / "layer-T4.yaml")
    trace = solve(spec)
    p = trace.problems[0]
    names = set(p.entries)
    assert {"upstream", "upstream1", "upstream4", "hidden", "it1.grad.inputs", "it1.grad.h0", "it1.dW_xh",
            "it1.dW_hh", "it1.db_h"} <= names
    assert {f"it1.dx{t}" for t in range(1, 5)} <= names
    assert not names & {"output", "learning_rate", "it1.loss", "init.W_hy", "init.b_y", "it1.dW_hy", "it1.db_y"}
    assert not any(n.startswith(("final.", "it2.", "target")) or ".o" in n or ".do" in n for n in names)
    assert np.asarray(p["it1.grad.inputs"]).shape == (4, 3) and np.asarray(p["it1.grad.h0"]).shape == (3,)
    assert p.info["stop_after"] == "gradients" and p.info["upstream"] is True
    for t in range(1, 5):
        assert np.array_equal(np.asarray(p["it1.grad.inputs"])[t - 1], np.asarray(p[f"it1.dx{t}"]))
    assert p.entries["it1.dh4"].op == "identity"     # ∂L/∂h_T = g_T as given
    assert [n for n in p.entries["it1.dh3"].operands] == ["init.W_hh", "it1.delta4", "upstream3"]


def test_existing_rnn_names_and_values_are_unchanged():
    """specs/rnn.yaml against its snapshot: every recorded value is still there with the same value,
    in the same order; the only new names are those of the input and h_0 gradients."""
    from generator.snapshot import take_snapshot
    old = json.loads((HERE / "snapshots" / "rnn.json").read_text(encoding="utf-8"))["values"]
    _, doc = take_snapshot(ROOT / "specs" / "rnn.yaml")
    new = doc["values"]
    assert [n for n in new if n in old] == list(old)
    for name in old:
        assert new[name] == old[name], name
    added = {n.split("/", 1)[1] for n in new if n not in old}
    assert added <= {"it1.dx1", "it1.dx2", "it1.dx3", "it1.grad.inputs", "it1.grad.h0"}


# --- 3. every printed line checks by hand; the pages ask and answer it -----------------------------

@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("path", UPSTREAM_SPECS + LOSS_SPECS, ids=lambda p: p.stem)
def test_every_line_checks_by_hand(path, mode):
    spec = load_spec(path)
    trace = solve(spec, replace(spec.rounding, mode=mode))
    tex = render(spec, trace, "solution")
    report = check_tex(tex, mode, strict=mode == "display")
    bad = [f"{f.left} {f.rel} {f.right}: {f.why}  [in: {f.line[:160]}]" for f in report.failures]
    assert not bad, "\n".join(bad[:10])
    assert report.checked >= 20
    model = spec.problems[0]                            # ∂L/∂x_t, ∂L/∂h_0 written out in every iteration
    assert tex.count(r"\step{Gradients of the inputs and of the initial state}") == model.iterations
    assert tex.count(r"\partial x_{1") >= model.iterations


def test_the_layer_pages_ask_and_answer_only_what_is_computed():
    spec = load_spec(FOLDER / "layer-T4.yaml")
    trace = solve(spec)
    question, solution = (render(spec, trace, what) for what in ("question", "solution"))
    for tex in (question, solution):
        assert r"\eta" not in tex and "learning rate" not in tex.lower() and r"\hat{y}" not in tex
        assert "W_{hy}" not in tex and "o_{" not in tex and "Loss" not in tex
        assert r"g_{4} = \begin{bmatrix} -0.4 \\ 0.2 \\ 0.1 \end{bmatrix}" in tex
    assert r"\partial L / \partial h_t = W_{hh}^{T} \delta_{t+1} + g_t" in question
    assert r"\partial L / \partial x_1, \dots, \partial L / \partial x_{4}" in question
    assert r"\partial L / \partial h_0" in question and "stops after the gradients: no loss, no update" in question
    assert r"\frac{\partial L}{\partial h_{4}} = g_{4} = " in solution
    assert r"\frac{\partial L}{\partial h_t} = W_{hh}^{T} \delta_{t+1} + g_t" in solution
    for t in range(1, 5):
        assert rf"\frac{{\partial L}}{{\partial x_{{{t}}}}} = \begin{{bmatrix}}" in solution
    assert "Iteration" not in solution and r"\subsection*{Summary}" in solution
    assert "stops after the gradients: no loss, no update" in solution


def test_loss_rnn_questions_ask_the_input_and_h0_gradients():
    for path in LOSS_SPECS:
        spec = load_spec(path)
        question = render(spec, solve(spec), "question")
        assert r"\partial L / \partial h_0" in question and r"\partial L / \partial x_" in question, path


# --- 4. what the key, the answer files and the labels ask ---------------------------------------

def test_the_layer_key_asks_the_input_h0_and_parameter_gradients():
    spec = load_spec(FOLDER / "layer-T4.yaml")
    trace = solve(spec)
    model, p = spec.problems[0], trace.problems[0]
    groups = kind("rnn").groups(model, p)
    grads = ["it1.grad.inputs", "it1.grad.h0", "it1.dW_xh", "it1.dW_hh", "it1.db_h"]
    assert groups == {"key": grads, "losses": [], "parameters": [], "gradients": grads, "outputs": ["hidden"]}
    names = [a.name for a in answers(spec, trace)]
    assert names[:12] == [f"it1.grad.inputs[{t},{i}]" for t in range(1, 5) for i in range(1, 4)]
    assert names[12:15] == ["it1.grad.h0[1]", "it1.grad.h0[2]", "it1.grad.h0[3]"] and len(names) == 12 + 3 + 9 + 9 + 3
    rows = dict(kind("rnn").given(model, p))
    assert "upstream g_t: dL/dh_t through the layers above (one per row)" in rows
    assert not {"loss", "learning rate", "iterations", "output", "W_hy"} & set(rows)


def test_trained_and_gradients_only_groups_include_the_new_gradients():
    spec = load_spec(ROOT / "examples" / "rnn-long.yaml")
    model, p = spec.problems[0], solve(spec).problems[0]
    groups = kind("rnn").groups(model, p)
    assert model.iterations > 1
    for k in range(1, model.iterations + 1):
        assert {f"it{k}.grad.inputs", f"it{k}.grad.h0", f"it{k}.dW_xh"} <= set(groups["gradients"])
    assert groups["key"] == [f"it{k}.loss" for k in range(1, model.iterations + 1)] + ["final.loss"] + \
        [f"final.{n}" for n in model.parameters()]        # the trained key is unchanged
    spec = load_spec(HERE / "stop_after" / "rnn-gradients.yaml")
    model, p = spec.problems[0], solve(spec).problems[0]
    assert kind("rnn").groups(model, p)["key"] == ["it1.loss", "it1.grad.inputs", "it1.grad.h0"] + \
        [f"it1.d{n}" for n in model.parameters()]


def test_the_shared_transposed_operation_adds_a_last_operand():
    """Σ_k W_kᵀ d_k + g with ``bias``: entry i reads column i of each W_k, all of d_k, and g_i."""
    from generator.engine import exact
    from generator.ops.graph import OPS
    op = OPS["transposed"]
    W, d, g = exact.array([[1, 2], [3, 4]]), exact.array([1, -1]), exact.array([0.5, 0.25])
    assert [float(v) for v in op.compute([W, d, g], {"bias": True})] == [1 - 3 + 0.5, 2 - 4 + 0.25]
    assert [float(v) for v in op.compute([W, d], {})] == [-2, -2]
    assert op.depends((1,), [(2, 2), (2,), (2,)], {"bias": True})[-1] == (2, (1,))


def test_labels_of_the_new_names():
    assert label("it1.grad.inputs", (1, 2), kind="rnn").startswith(r"\partial L / \partial x_{2,3}")
    assert label("it2.grad.h0", (0,), kind="rnn").startswith(r"\partial L / \partial h_{0,1}")
    assert label("it1.dx3", (1,), kind="rnn").startswith(r"\partial L / \partial x_{3,2}")
    assert label("upstream", (2, 0), kind="rnn") == "g_{3,1}"


def test_a_layer_homework_draws_variants_with_the_gradient_key():
    """Variants of a layer spec (its upstream gradients drawn): each is solved and keyed."""
    from generator.homework import draw, plan_variants, variant_answers
    batch = draw(load_spec(FOLDER / "layer-T4.yaml"), plan_variants(2, None), seed=1)
    assert len(batch.variants) == 2 and not batch.failed
    for v in batch.variants:
        names = [a.name for a in variant_answers(v)]
        assert "it1.grad.h0[3]" in names and "it1.db_h[3]" in names and "it1.grad.inputs[4,3]" in names


# --- 5. the spec: one or the other, one-line errors naming the field ----------------------------

def test_ones_and_one_hidden_unit_as_numbers():
    part = {"inputs": [1, -0.5, 2], "W_xh": [[0.5]], "W_hh": [[0.3]], "upstream": [0.1, 0, -0.2]}
    _, p = _solve_part(part)
    assert np.allclose(np.asarray(p["it1.grad.inputs"], dtype=float), R.rnn_upstream(part)["it1.grad.inputs"])
    part = {"inputs": [[1, 0], [0, 1]], "W_xh": [[0.5, 0.1], [0.2, -0.3]], "W_hh": [[0.3, 0], [0, 0.2]],
            "upstream": "ones"}
    _, p = _solve_part(part)
    assert np.array_equal(np.asarray(p["upstream"], dtype=float), np.ones((2, 2)))
    assert np.allclose(np.asarray(p["it1.grad.h0"], dtype=float), R.rnn_upstream(part)["it1.grad.h0"])


def _run(write_spec, text: str):
    result = CliRunner().invoke(main, ["render", str(write_spec(text)), "--format", "tex"])
    return result.exit_code, result.stderr.strip()


LAYER = (FOLDER / "layer-relu.yaml").read_text()
TRAINED = (ROOT / "specs" / "rnn.yaml").read_text().split("randomize:")[0]
#: (the spec text, the field named, words of the message)
BAD = [
    (LAYER + "    loss: half_sse\n", "parts[0].loss", "give either upstream"),
    (LAYER + "    targets: [[1], [0], [1]]\n", "parts[0].targets", "give either upstream"),
    (LAYER + "    target: [1]\n", "parts[0].target", "give either upstream"),
    (LAYER + "    W_hy: [[1, 0]]\n", "parts[0].W_hy", "W_hy would get no gradient; remove it"),
    (LAYER + "    b_y: [0.1]\n", "parts[0].b_y", "b_y would get no gradient; remove it"),
    (LAYER + "    output: sigmoid\n", "parts[0].output", "no output layer"),
    (LAYER + "    learning_rate: 0.1\n", "parts[0].learning_rate", "takes no learning_rate; remove it"),
    (LAYER + "    iterations: 2\n", "parts[0].iterations", "takes no iterations; remove it"),
    (LAYER + "    stop_after: forward\n", "parts[0].stop_after", "stops after the gradients, not the forward pass"),
    (LAYER.replace("upstream: [[0, 0], [1, -0.5], [0.2, 0.3]]", "upstream: [[0, 0], [1, -0.5]]"),
     "parts[0].upstream", "must be 3×2: a row per time step"),
    (LAYER.replace("upstream: [[0, 0], [1, -0.5], [0.2, 0.3]]", "upstream: [[0, 0, 1], [1, -0.5, 1], [0.2, 0.3, 1]]"),
     "parts[0].upstream", "must be 3×2"),
    (TRAINED + "    upstream: [[0, 0], [1, -0.5], [0.2, 0.3]]\n", "parts[0].loss", "give either upstream"),
    (TRAINED.replace("    loss: half_sse\n", ""), "parts[0]", "missing required key 'loss' (or 'upstream'"),
]


@pytest.mark.parametrize("text, field, words", BAD)
def test_bad_layers_are_one_line_errors(write_spec, text, field, words):
    code, line = _run(write_spec, text)
    assert code == 2 and "\n" not in line and "Traceback" not in line, line
    assert field + ":" in line and words in line, line


def test_stop_after_gradients_beside_upstream_is_the_same_exercise():
    part = _part(FOLDER / "layer-relu.yaml")
    _, a = _solve_part(part)
    _, b = _solve_part({**part, "stop_after": "gradients"})
    assert list(a.entries) == list(b.entries)
    assert all(np.array_equal(np.asarray(a[n], dtype=float), np.asarray(b[n], dtype=float)) for n in a.entries)
