"""The skipgram kind (one word2vec step with negative sampling) against independent computations:
the kind's own float64 reference written from Mikolov et al. (2013) and the CS224n notes
(``generator/kinds/skipgram/reference.py``), PyTorch's autograd and SGD (``torch_cases.json``:
``-F.logsigmoid(u_o @ v_c) - F.logsigmoid(-(U_neg @ v_c)).sum()``, ``backward()``,
``torch.optim.SGD``), and finite differences of the reference's loss; every printed line by hand in
both rounding modes; the stress pages legible."""

from __future__ import annotations

import copy
import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from generator.compile import compile_pdf
from generator.kinds import kind
from generator.kinds.skipgram import reference as R
from generator.labels import label
from generator.numbers import Precision
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, parse_yaml, spec_from_data
from tests.byhand import by_hand as _by_hand
from tests.legibility import problems

FOLDER = Path(__file__).resolve().parent.parent / "generator" / "kinds" / "skipgram"
TORCH = json.loads((FOLDER / "torch_cases.json").read_text(encoding="utf-8"))["cases"]
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")


def _starter() -> dict:
    data = parse_yaml((FOLDER / "starter.yaml").read_text(encoding="utf-8"), "starter.yaml")
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}


def _engine(part: dict, rounding=None):
    spec = spec_from_data({"rounding": rounding or {"decimals": 4}, "parts": [{"kind": "skipgram", **part}]})
    return spec, solve(spec, replace(spec.rounding, mode="display")).problems[0]


def _agree(p, want: dict, names=None) -> int:
    checked = 0
    for name in names or want:
        assert name in p.entries, f"the engine has no value {name}"
        got = np.asarray(p[name], dtype=float)
        expected = np.asarray(want[name], dtype=float).reshape(got.shape)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-12), (name, got, expected)
        checked += got.size
    return checked


def _value(rng: random.Random) -> float:
    return rng.randint(-12, 12) / 10


def random_part(rng: random.Random) -> dict:
    """A random exercise: 1–6 dimensions, 1–5 negative samples, every option."""
    d, K = rng.randint(1, 6), rng.randint(1, 5)
    part = {"v_c": [_value(rng) for _ in range(d)], "u_o": [_value(rng) for _ in range(d)],
            "negatives": [[_value(rng) for _ in range(d)] for _ in range(K)]}
    stop = rng.choice([None, None, None, "forward", "gradients"])
    if stop:
        part["stop_after"] = stop
    else:
        part["learning_rate"] = rng.choice([0.05, 0.1, 0.5, 1])
        if rng.random() < 0.3:
            part["loss_after"] = False
    return part


RANDOM = [random_part(random.Random(2200 + i)) for i in range(30)]


@pytest.mark.parametrize("i", range(len(RANDOM)))
def test_the_engine_equals_the_reference(i):
    part = RANDOM[i]
    _, p = _engine(part)
    want = R.solve(copy.deepcopy(part))
    assert _agree(p, want) >= 6
    computed = {n for n, e in p.entries.items() if e.kind != "given" and n != "coef_o" and n != "u_o_row"}
    assert computed == set(want), computed ^ set(want)


def test_the_starter_equals_the_reference_and_the_random_instances_cover_the_options():
    _, p = _engine(_starter())
    assert _agree(p, R.solve(_starter())) > 30
    assert {p.get("stop_after") for p in RANDOM} == {None, "forward", "gradients"}
    assert any(p.get("loss_after") is False for p in RANDOM) and {len(p["negatives"]) for p in RANDOM} >= {1, 5}


@pytest.mark.parametrize("case", range(len(TORCH)))
def test_the_engine_equals_pytorch(case):
    part, expected = TORCH[case]["part"], TORCH[case]["expected"]
    _, p = _engine(part)
    assert _agree(p, expected) >= 16


H = 1e-6


@pytest.mark.parametrize("i", [i for i, part in enumerate(RANDOM) if part.get("stop_after") != "forward"][:10])
def test_the_gradients_are_finite_differences(i):
    part = RANDOM[i]
    _, p = _engine(part)
    for key in ("v_c", "u_o", "negatives"):
        base = np.asarray(part[key], dtype=float)
        grad = np.asarray(p[f"grad.{key}"], dtype=float).reshape(base.shape)
        for idx in np.ndindex(base.shape):
            losses = []
            for h in (H, -H):
                moved = base.copy()
                moved[idx] += h
                losses.append(R.loss({**part, key: moved.tolist()}))
            fd = (losses[0] - losses[1]) / (2 * H)
            assert abs(fd - grad[idx]) <= 1e-6 * max(1, abs(fd)), (key, idx, fd, grad[idx])


def test_a_small_step_lowers_the_loss():
    part = {**_starter(), "learning_rate": 0.05}
    _, p = _engine(part)
    assert p["updated.loss"] < p["loss"]


# ---- by hand, and the pages ---------------------------------------------------------------------

STRESS = {
    "rounding": {"decimals": 3},
    "parts": [
        {"kind": "skipgram", "title": "Eight dimensions, five negative samples",
         "v_c": [0.12, -0.4, 0.33, 0.05, -0.27, 0.6, -0.11, 0.2],
         "u_o": [0.25, 0.1, -0.3, 0.44, 0.02, -0.15, 0.3, -0.05],
         "negatives": [[0.2, -0.1, 0.4, 0.0, -0.3, 0.1, 0.05, 0.15], [-0.35, 0.2, 0.1, -0.2, 0.4, 0.3, -0.1, 0.0],
                       [0.1, 0.1, -0.2, 0.3, 0.0, -0.4, 0.25, 0.2], [0.05, -0.3, 0.2, 0.1, 0.1, 0.2, -0.2, -0.1],
                       [-0.1, 0.4, 0.0, -0.05, 0.2, -0.1, 0.3, 0.35]],
         "learning_rate": 0.25,
         "words": {"center": "river", "context": "bank", "negatives": ["of", "the", "piano", "runs", "and"]}},
        {"kind": "skipgram", "title": "One negative sample, gradients only", "v_c": [0.5, -1], "u_o": [1.5, 0.25],
         "negatives": [-0.75, 1], "stop_after": "gradients"},
        {"kind": "skipgram", "title": "The loss alone", "v_c": [1.2], "u_o": [-0.8], "negatives": [[0.4], [-1.1]],
         "stop_after": "forward", "text": "One dimension: every dot product is a product."},
        {"kind": "skipgram", "title": "No loss after the step", "v_c": [0.3, 0.2, -0.1], "u_o": [0.1, 0.1, 0.1],
         "negatives": [[0.2, 0.2, 0.2]], "learning_rate": 1, "loss_after": False},
    ],
}




@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("precision", [None, Precision("decimals", 2), Precision("significant", 3)],
                         ids=["spec", "dec2", "sig3"])
@pytest.mark.parametrize("which", ["starter", "stress"])
def test_every_line_checks_by_hand(which, precision, mode):
    spec = load_spec(FOLDER / "starter.yaml") if which == "starter" else spec_from_data(STRESS)
    policy = replace(spec.rounding, mode=mode, **({"default": precision} if precision else {}))
    assert _by_hand(spec, policy) >= (20 if which == "starter" else 60)


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("i", range(0, len(RANDOM), 3))
def test_random_instances_check_by_hand(i, mode):
    spec = spec_from_data({"rounding": {"decimals": 2 + i % 3}, "parts": [{"kind": "skipgram", **RANDOM[i]}]})
    assert _by_hand(spec, replace(spec.rounding, mode=mode)) >= 5


def test_carry_mode_goes_on_with_the_written_values():
    """In carry mode the gradient is computed from the sigmoids as written (4 decimals), and the
    update from the gradient as written."""
    spec = load_spec(FOLDER / "starter.yaml")
    p = solve(spec, replace(spec.rounding, mode="carry")).problems[0]
    assert str(p.dec("sigma_o")) == "0.4925" and str(p.dec("coef_o")) == "-0.5075"
    assert p.dec("grad.u_o")[0] == p.dec("coef_o") * p.dec("v_c")[0]
    assert p.dec("updated.v_c")[0] == p.dec("v_c")[0] - p.dec("learning_rate") * p.dec("grad.v_c")[0]


@pytest.mark.parametrize("stop", ["forward", "gradients"])
def test_an_exercise_that_stops_early(stop):
    part = {k: v for k, v in _starter().items() if k != "learning_rate"} | {"stop_after": stop}
    spec, p = _engine(part)
    assert "learning_rate" not in p.entries and not any(n.startswith("updated.") for n in p.entries)
    assert ("grad.v_c" in p.entries) == (stop == "gradients")
    groups = kind("skipgram").groups(spec.problems[0], p)
    assert groups["key"] == ["loss"] + (["grad.v_c", "grad.u_o", "grad.negatives"] if stop == "gradients" else [])
    question = render(spec, solve(spec), "question")
    assert "learning rate" not in question and ("gradients" in question) == (stop == "gradients")
    assert r"\eta" not in render(spec, solve(spec), "solution")


def test_answers_labels_and_given():
    spec, p = _engine(_starter())
    model = spec.problems[0]
    groups = kind("skipgram").groups(model, p)
    assert groups["key"] == ["loss", "grad.v_c", "grad.u_o", "grad.negatives", "updated.v_c", "updated.u_o",
                             "updated.negatives", "updated.loss"]
    assert groups["outputs"] == ["score_o", "score_neg", "sigma_o", "sigma_neg"]
    assert kind("skipgram").is_key("updated.loss") and not kind("skipgram").is_key("score_o")
    assert label("grad.negatives", (1, 2), problem=p) == r"\partial \ell / \partial u_{2,3}"
    assert label("updated.v_c", (0,), tex=False, problem=p) == "v_c[1] (after the update)"
    assert label("score_neg", (1,), problem=p) == r"\mathbf{u}_{2}^{\top} \mathbf{v}_c"
    rows = kind("skipgram").given(model, p)
    assert rows[0][0] == "v_c (input vector of the center word 'fox')" and rows[-1] == ("learning rate", 0.5)
    assert "'the', 'piano'" in rows[2][0]


def test_u_o_is_one_row_beside_the_negative_samples_only_inside():
    """∂ℓ/∂v_c is one shared ``transposed`` product over u_o (as a row) and the rows u_k; the trace
    keeps u_o as given, a vector."""
    _, p = _engine(_starter())
    assert p.entries["u_o_row"].op == "reshape" and np.shape(p.dec("u_o")) == (3,)
    assert p.entries["grad.v_c"].operands == ("u_o_row", "coef_o", "negatives", "sigma_neg")


@needs_tex
@pytest.mark.parametrize("what", ["solution", "question"])
def test_the_stress_pages_are_legible(what, tmp_path):
    spec = spec_from_data(STRESS)
    pdf = tmp_path / f"skipgram-{what}.pdf"
    compile_pdf(render(spec, solve(spec), what), pdf)
    assert problems(pdf) == []
