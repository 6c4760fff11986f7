"""A convolution layer: several kernels (``kernels:``, a bias each) over several samples
(``inputs:``), issue 22.  Proven against an independent float implementation written from the
definition with loops (generator/kinds/conv/reference.py, which imports nothing of the engine),
against finite differences of L = Σ upstream ⊙ z, against PyTorch (torch.nn.functional.conv2d and
its autograd, tests/fixtures/conv_multi_torch.json) and by hand from the rendered text in both
rounding modes; one kernel over one input keeps its shapes, names and pages."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from generator.answers import answers
from generator.errors import SpecError
from generator.kinds.conv import reference
from generator.limits import Limits
from generator.numbers import Precision
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, part_cost, spec_from_data
from tests.handcheck import check_tex

HERE = Path(__file__).resolve().parent
LAYER = HERE / "conv_multi" / "layer.yaml"
TORCH = json.loads((HERE / "fixtures" / "conv_multi_torch.json").read_text(encoding="utf-8"))
GRADS = ("grad.kernel", "grad.input", "grad.bias")


def run(part: dict, policy=None):
    spec = spec_from_data({"parts": [{"kind": "conv", **part}]})
    return spec, solve(spec, policy).problems[0]


def _grid(rng, *shape):
    return np.round(rng.uniform(-2, 2, shape), 1)


def random_part(rng, samples: bool, filters: bool) -> dict:
    """A random part of the given form: N samples of C channels (``inputs``) or one input, F kernels
    (``kernels``) or one kernel, stride, padding, maybe a bias, an upstream gradient."""
    N, F, C = (int(rng.integers(2, 4)) if samples else 1), (int(rng.integers(2, 4)) if filters else 1), \
        int(rng.integers(1, 3))
    H, W = int(rng.integers(3, 6)), int(rng.integers(3, 6))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    s, p = int(rng.integers(1, 3)), int(rng.integers(0, 2))
    x, w = _grid(rng, N, C, H, W), _grid(rng, F, C, kh, kw)
    oh, ow = (H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1
    g = _grid(rng, N, F, oh, ow)
    one = lambda a: a if C > 1 else a[0]          # noqa: E731  one channel: a matrix
    part = {"stride": s, "padding": p,
            "upstream": (g if samples else g[0]).tolist() if filters else (g[:, 0] if samples else g[0, 0]).tolist()}
    part["inputs" if samples else "input"] = [one(v).tolist() for v in x] if samples else one(x[0]).tolist()
    part["kernels" if filters else "kernel"] = [one(v).tolist() for v in w] if filters else one(w[0]).tolist()
    if rng.random() < 0.7:
        b = np.round(rng.uniform(-1, 1, F), 1)
        part["bias"] = b.tolist() if filters else float(b[0])
    return part


FORMS = [(True, True), (True, False), (False, True)]
RANDOM = [(form, seed) for form in FORMS for seed in range(6)]


@pytest.mark.parametrize("form,seed", RANDOM, ids=lambda v: str(v))
def test_engine_matches_the_loop_reference(form, seed):
    part = random_part(np.random.default_rng(100 * seed + FORMS.index(form)), *form)
    _, t = run(part)
    want = reference.solve(part)
    assert set(want) == {"output"} | {g for g in GRADS if g != "grad.bias" or "bias" in part}
    for name, value in want.items():
        got = np.asarray(t[name], dtype=float)
        assert got.shape == np.shape(value), (name, got.shape, np.shape(value))
        assert np.allclose(got, value, rtol=1e-12, atol=1e-12), name


def _central(part: dict, key: str, h: float = 1e-6) -> np.ndarray:
    """∂L/∂(every entry of ``part[key]``) of L = Σ upstream ⊙ z by central differences."""
    base = np.asarray(part[key], dtype=float)
    out = np.zeros(base.shape)
    for idx in np.ndindex(base.shape):
        values = []
        for sign in (1, -1):
            moved = base.copy()
            moved[idx] += sign * h
            q = copy.deepcopy(part)
            q[key] = moved.tolist() if moved.ndim else float(moved)
            values.append(reference.loss(q))
        out[idx] = (values[0] - values[1]) / (2 * h)
    return out


@pytest.mark.parametrize("form,seed", RANDOM[::2], ids=lambda v: str(v))
def test_gradients_match_finite_differences(form, seed):
    part = random_part(np.random.default_rng(100 * seed + FORMS.index(form)), *form)
    part.setdefault("bias", [0.5] * len(part["kernels"]) if "kernels" in part else 0.5)
    _, t = run(part)
    keys = {"grad.kernel": "kernels" if "kernels" in part else "kernel",
            "grad.input": "inputs" if "inputs" in part else "input", "grad.bias": "bias"}
    for name, key in keys.items():
        fd = _central(part, key)
        got = np.asarray(t[name], dtype=float)        # one channel: the spec writes no channel axis
        assert got.size == fd.size, (name, got.shape, fd.shape)
        assert np.allclose(got.reshape(fd.shape), fd, atol=1e-6), (name, got, fd)


def test_the_stress_spec_is_the_fixtures_layer():
    data = yaml.safe_load(LAYER.read_text(encoding="utf-8"))["parts"][0]
    case = next(c for c in TORCH["cases"] if c["id"] == "layer")
    assert {k: v for k, v in data.items() if k not in ("kind", "id")} == case["part"]


@pytest.mark.parametrize("case", TORCH["cases"], ids=lambda c: c["id"])
def test_engine_matches_pytorch(case):
    """dryrun's exact values against torch.nn.functional.conv2d and its autograd (float64)."""
    _, t = run(case["part"])
    for name, want in case["torch"].items():
        got = np.asarray(t[name], dtype=float)
        assert got.shape == np.shape(want), (name, got.shape, np.shape(want))
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12), name
    ref = reference.solve(case["part"])
    assert set(ref) == set(case["torch"])
    for name, want in case["torch"].items():        # the loop reference is PyTorch's too
        assert np.allclose(ref[name], want, rtol=1e-12, atol=1e-12), name


def test_the_stress_spec_has_every_map_and_gradient():
    _, t = run(next(c for c in TORCH["cases"] if c["id"] == "layer")["part"])
    assert t["output"].shape == (2, 3, 3, 3)                      # N × F × out_h × out_w
    assert t["grad.kernel"].shape == (3, 2, 3, 3)                 # F × C × kh × kw
    assert t["grad.input"].shape == (2, 2, 5, 5)                  # N × C × H × W
    assert t["grad.bias"].shape == (3,)
    assert t["upstream"].shape == (2, 3, 3, 3)
    assert t.entries["output"].op == "correlate_samples"
    assert t.entries["grad.kernel"].op == "correlate_kernel_grad_samples"
    assert "products" not in t.entries


# shapes and names ------------------------------------------------------------------------------

ONE = {"input": [[1, 0, 2], [0, 1, -1], [2, 1, 0]], "kernel": [[1, -1], [0, 2]], "bias": 0.5,
       "upstream": [[0.1, -0.2], [0.3, 0.1]]}


def test_one_kernel_over_one_input_keeps_its_shapes_and_names():
    _, t = run(ONE)
    assert list(t.entries) == ["input", "kernel", "bias", "padded_input", "windows", "products", "output",
                               "upstream", "grad.kernel", "grad.input", "grad.bias"]
    assert t["output"].shape == (2, 2) and t["grad.kernel"].shape == (2, 2) and t["grad.input"].shape == (3, 3)
    assert np.ndim(t["grad.bias"]) == 0
    assert "filters" not in t.entries["output"].params


@pytest.mark.parametrize("part,shapes", [
    # kernels over one input (one channel): a kernel axis; the kernel keeps a channel axis
    ({"input": [[1, 2, 0], [0, 1, 1]], "kernels": [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[1, 1], [1, 1]]],
      "bias": [0, 1, 2], "upstream": [[[1, 2]], [[3, 4]], [[5, 6]]]},
     {"output": (3, 1, 2), "grad.kernel": (3, 1, 2, 2), "grad.input": (2, 3), "grad.bias": (3,)}),
    # samples of two channels, one kernel: a sample axis; the bias stays a number
    ({"inputs": [[[[1, 2], [0, 1]], [[0, 1], [1, 0]]], [[[2, 0], [1, 1]], [[1, 1], [0, 2]]]],
      "kernel": [[[1, 0]], [[0, 1]]], "bias": 0.5, "upstream": [[[1], [2]], [[3], [4]]]},
     {"output": (2, 2, 1), "grad.kernel": (2, 1, 2), "grad.input": (2, 2, 2, 2), "grad.bias": ()}),
    # samples of one channel, one kernel: the samples keep a channel axis
    ({"inputs": [[[1, 2], [3, 4]], [[0, 1], [1, 0]]], "kernel": [[1, 1], [1, 1]], "upstream": [[[1]], [[2]]]},
     {"output": (2, 1, 1), "grad.kernel": (2, 2), "grad.input": (2, 1, 2, 2)}),
])
def test_the_trace_has_a_sample_axis_with_inputs_and_a_kernel_axis_with_kernels(part, shapes):
    _, t = run(part)
    for name, shape in shapes.items():
        assert np.shape(t[name]) == shape, name
    want = reference.solve(part)
    for name in shapes:
        assert np.allclose(np.asarray(t[name], dtype=float), want[name]), name


# pages -----------------------------------------------------------------------------------------

SMALL = [c["part"] for c in TORCH["cases"] if c["id"] != "layer"]


def _hand_checked(spec, policy) -> int:
    tex = render(spec, solve(spec, policy), "solution")
    report = check_tex(tex, policy.mode, strict=policy.mode == "display")
    assert not report.failures, "\n".join(f"{f.left} {f.rel} {f.right}: {f.why}  [in: {f.line[:160]}]"
                                          for f in report.failures[:10])
    return report.checked


@pytest.mark.parametrize("mode", ["display", "carry"])
def test_the_stress_spec_checks_by_hand(mode):
    spec = load_spec(LAYER)
    # every entry of every map and gradient: 54 + 54 + 100 + 3 lines, and the maps stated
    assert _hand_checked(spec, replace(spec.rounding, mode=mode)) >= 211


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("precision", [Precision("decimals", 1), Precision("decimals", 3),
                                       Precision("significant", 2)], ids=str)
@pytest.mark.parametrize("index", range(len(SMALL)))
def test_every_form_checks_by_hand_at_every_precision(index, precision, mode):
    spec = spec_from_data({"parts": [{"kind": "conv", **SMALL[index]}]})
    assert _hand_checked(spec, replace(spec.rounding, mode=mode, default=precision)) >= 10


@pytest.mark.parametrize("form,seed", RANDOM[1::3], ids=lambda v: str(v))
def test_random_parts_check_by_hand_in_carry_mode(form, seed):
    part = random_part(np.random.default_rng(7000 + seed), *form)
    spec = spec_from_data({"rounding": {"mode": "carry", "decimals": 2}, "parts": [{"kind": "conv", **part}]})
    assert _hand_checked(spec, spec.rounding) >= 3


def test_the_question_states_every_sample_kernel_bias_and_upstream_map():
    spec = load_spec(LAYER)
    tex = render(spec, solve(spec), "question")
    for n in (1, 2):
        for c in (1, 2):
            assert rf"\mathbf{{x}}^{{({n})[{c}]}} = " in tex
    for f in (1, 2, 3):
        assert rf"\mathbf{{w}}^{{({f})[1]}} = " in tex and rf"\mathbf{{w}}^{{({f})[2]}} = " in tex
        assert f"b_{{{f}}} = " in tex
        for n in (1, 2):
            assert rf"\frac{{\partial L}}{{\partial \mathbf{{z}}^{{({n},{f})}}}} = " in tex
    assert "each sample $n = 1, 2$ and each kernel $f = 1, 2, 3$" in tex


def test_the_solution_lays_out_map_by_map():
    spec = load_spec(LAYER)
    tex = render(spec, solve(spec), "solution")
    heads = [rf"\mathbf{{z}}^{{({n},{f})}} " for n in (1, 2) for f in (1, 2, 3)]
    at = [tex.index(h) for h in heads]
    assert at == sorted(at)                       # sample by sample, kernel by kernel
    assert r"z^{(2,3)}_{33} = " in tex
    assert r"\frac{\partial L}{\partial w^{(3)[2]}_{33}} = " in tex
    assert r"\frac{\partial L}{\partial x^{(2)[1]}_{55}} = " in tex
    assert r"\frac{\partial L}{\partial b_{3}} = " in tex
    assert r"X^{(2)[2]}_{33} = " in tex and r"\mathbf{x}_{\text{pad}}^{(1)[2]} = " in tex


def test_answers_name_every_entry_with_its_page_symbol():
    spec = load_spec(LAYER)
    got = {a.name: a for a in answers(spec, solve(spec))}
    assert len(got) == 2 * 3 * 9 + 3 * 2 * 9 + 2 * 2 * 25 + 3
    assert got["output[2,3,1,2]"].label_tex == "z^{(2,3)}_{12}"
    assert got["grad.kernel[3,2,1,1]"].label_tex == r"\partial L / \partial w^{(3)[2]}_{11}"
    assert got["grad.input[1,2,5,5]"].label_tex == r"\partial L / \partial x^{(1)[2]}_{55}"
    assert got["grad.bias[2]"].label_tex == r"\partial L / \partial b_{2}"
    assert got["grad.bias[1]"].shown == "1.3"


def test_the_cost_estimate_bounds_the_layer():
    spec = load_spec(LAYER)
    cost = part_cost(spec.problems[0])
    tex = render(spec, solve(spec), "solution")
    assert len(tex.encode()) <= 60 * cost
    big = {"kind": "conv", "inputs": [[[0.5] * 20] * 20] * 16, "kernels": [[[0.25] * 5] * 5] * 32,
           "upstream": "ones", "padding": 2}
    with pytest.raises(SpecError, match="would compute and write out about"):
        spec_from_data({"parts": [big]})
    spec_from_data({"parts": [big]}, limits=Limits(max_part_terms=10**9, max_terms=10**9))


# bad specs: one line naming the field ----------------------------------------------------------

K = [[1, 0], [0, 1]]
X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]

BAD = [
    ({"input": X, "kernel": K, "kernels": [K]}, "parts[0].kernels: give 'kernel' (one kernel) or 'kernels' "
                                                "(a list of them), not both"),
    ({"input": X}, "parts[0]: missing required key 'kernel' (one kernel) or 'kernels' (a list of them)"),
    ({"kernel": K}, "parts[0]: missing required key 'input' (one sample) or 'inputs' (a list of them)"),
    ({"input": X, "inputs": [X], "kernel": K}, "parts[0].inputs: give 'input' (one sample) or 'inputs'"),
    ({"inputs": X, "kernel": K}, "parts[0].inputs[0]: expected a matrix (a list of rows) or a list of "
                                 "matrices (channels), got a list"),
    ({"inputs": [], "kernel": K}, "parts[0].inputs: expected a list of samples, got an empty list"),
    ({"inputs": 3, "kernel": K}, "parts[0].inputs: expected a list of samples, got int"),
    ({"inputs": [X, [[1, 2], [3, 4]]], "kernel": K},
     "parts[0].inputs[1]: sample 2 is 1×2×2, sample 1 1×3×3: every sample must have the same shape"),
    ({"input": X, "kernels": [K, [[1, 2, 3]]]}, "parts[0].kernels[1]: kernel 2 is 1×1×3, kernel 1 1×2×2"),
    ({"input": X, "kernels": [[K, K]]}, "parts[0].kernels: each kernel has 2 channels, the input 1 channel"),
    ({"input": X, "kernels": [K, K], "bias": 0.5}, "parts[0].bias: expected a list of 2 numbers (one per kernel), "
                                                    "got float"),
    ({"input": X, "kernels": [K, K], "bias": [1, 2, 3]}, "parts[0].bias: expected 2 numbers (one per kernel), got 3"),
    ({"input": X, "kernel": K, "bias": [1]}, "parts[0].bias: expected a number, got a list"),
    ({"inputs": [X] * 17, "kernel": K}, "parts[0].inputs: 17 samples, more than 16 (limit max_samples)"),
    ({"input": X, "kernels": [K] * 33}, "parts[0].kernels: 33 kernels, more than 32 (limit max_units)"),
    ({"input": X, "kernels": [[[1, 1, 1, 1]] * 4]},
     "parts[0].kernels: the window (4) is larger than the padded input (3)"),
    ({"inputs": [X, X], "kernels": [K, K, K], "upstream": [[[1, 2], [3, 4]]] * 3},
     "parts[0].upstream: must be 2×3×2×2 like the output (samples × kernels × rows × columns), got a list of 3"),
    ({"inputs": [X, X], "kernels": [K, K, K], "upstream": [[[[1, 2], [3, 4]]] * 2] * 2},
     "parts[0].upstream[0]: must be 3×2×2 like the output (kernels × rows × columns), got a list of 2"),
    ({"inputs": [X, X], "kernels": [K, K, K], "upstream": [[[[1, 2], [3, 4]]] * 3, [[[1, 2]]] * 3]},
     "parts[0].upstream[1][0]: must be 2×2 like the output, got 1×2"),
    ({"input": X, "kernels": [K, K], "upstream": [[1, 2], [3, 4]]},
     "parts[0].upstream: must be 2×2×2 like the output (kernels × rows × columns), got a 2×2 matrix"),
    ({"inputs": [X, X], "kernel": K, "upstream": 0.5},
     "parts[0].upstream: must be 2×2×2 like the output (samples × rows × columns), got float"),
]


@pytest.mark.parametrize("part,message", BAD, ids=[m.split(":")[0] + f"#{i}" for i, (_, m) in enumerate(BAD)])
def test_bad_parts_are_one_line_naming_the_field(part, message):
    with pytest.raises(SpecError) as err:
        run(part)
    text = str(err.value)
    assert "\n" not in text and message in text, text


def test_a_bad_spec_exits_with_status_2_and_one_line(tmp_path):
    from click.testing import CliRunner

    from generator.cli import main
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"parts": [{"kind": "conv", "input": X, "kernel": K, "kernels": [K]}]}))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0 and "parts[0].kernels: give 'kernel'" in result.output
    assert "Traceback" not in result.output
