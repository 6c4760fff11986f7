"""The sizes that keep a kind's pages legible are limits an operator raises (issue 22): tokens and
their width (attention), time steps and units (RNN), features and samples (batch and layer
normalization).  Their defaults are the former hard caps; beyond a default a spec is refused with
one line naming the limit, and with the limit raised its pages fall back to a line per row or per
entry — every line still checks by hand and nothing runs past the margins."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import SpecError
from generator.labels import label
from generator.limits import DEFAULT, Limits, bound
from generator.render import render
from generator.solve import solve
from generator.spec import spec_from_data
from tests.handcheck import check_tex

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")


def _values(rng, *shape):
    return np.round(rng.uniform(-1, 1, shape), 1).tolist()


def attention(n: int, d: int = 2, dk: int = 2) -> dict:
    rng = np.random.default_rng(n)
    return {"kind": "attention", "tokens": _values(rng, n, d), "W_q": _values(rng, d, dk), "W_k": _values(rng, d, dk),
            "W_v": _values(rng, d, 2), "mask": "causal", "upstream": _values(rng, n, 2)}


def rnn(steps: int = 3, units: int = 2, features: int = 2, outputs: int = 2) -> dict:
    rng = np.random.default_rng(steps + 10 * outputs)
    return {"kind": "rnn", "inputs": _values(rng, steps, features), "W_xh": _values(rng, units, features),
            "W_hh": _values(rng, units, units), "b_h": _values(rng, units), "W_hy": _values(rng, outputs, units),
            "b_y": _values(rng, outputs), "output": "softmax", "loss": "cce",
            "targets": [[1.0 if i == t % outputs else 0.0 for i in range(outputs)] for t in range(steps)],
            "learning_rate": 0.1, "iterations": 1}


def normalization(kind: str, features: int, samples: int) -> dict:
    rng = np.random.default_rng(features * samples)
    return {"kind": kind, "input": _values(rng, features, samples)}


def _spec(part: dict, limits: Limits | None = None, rounding=None):
    data = {"parts": [{"id": "p", **part}], "rounding": rounding or {"decimals": 3}}
    return spec_from_data(data, limits=limits)


#: limit: (default, a part at the default, the same one size beyond it, the field its message names)
CAPS = {
    "max_tokens": (8, attention(8), attention(9), "parts[0].tokens: 9 tokens, more than 8"),
    "max_token_width": (8, attention(2, d=8), attention(2, d=9), "parts[0].tokens: 9 features per token, more than 8"),
    "max_rnn_steps": (12, rnn(steps=12), rnn(steps=13), "parts[0].inputs: 13 time steps, more than 12"),
    "max_rnn_units": (8, rnn(outputs=8), rnn(outputs=9), "parts[0].W_hy: 9 outputs, more than 8"),
    "max_norm_features": (8, normalization("batchnorm", 8, 2), normalization("batchnorm", 9, 2),
                          "parts[0].input: 9 features, more than 8"),
    "max_norm_samples": (8, normalization("layernorm", 2, 8), normalization("layernorm", 2, 9),
                         "parts[0].input: 9 samples, more than 8"),
}


def test_the_defaults_are_the_former_caps():
    for name, (default, *_rest) in CAPS.items():
        assert getattr(DEFAULT, name) == default, name


@pytest.mark.parametrize("name", CAPS)
def test_beyond_a_default_is_refused_naming_the_limit_and_raising_it_admits(name):
    _, at, beyond, message = CAPS[name]
    _spec(at)
    with pytest.raises(SpecError) as e:
        _spec(beyond)
    assert str(e.value) == f"{message} (limit {name})"
    _spec(beyond, Limits(**{name: CAPS[name][0] + 1}))


def test_the_other_caps_of_a_kind():
    """W_q's columns (d_k) and the RNN's hidden units and input features have the same limits."""
    with pytest.raises(SpecError, match=r"parts\[0\]\.W_q: 9 columns, more than 8 \(limit max_token_width\)"):
        _spec(attention(2, dk=9))
    with pytest.raises(SpecError, match=r"more than 8 units or input features \(limit max_rnn_units\)"):
        _spec(rnn(units=9))
    with pytest.raises(SpecError, match=r"more than 8 units or input features \(limit max_rnn_units\)"):
        _spec(rnn(features=9))
    _spec(rnn(units=9, features=9), Limits(max_rnn_units=9))


def test_a_lower_general_limit_is_the_one_named():
    """A spec is held to the lowest limit that applies, and its message names that one."""
    assert bound(Limits(max_tokens=20, max_samples=10), "max_tokens", "max_samples") == (10, "max_samples")
    assert bound(DEFAULT, "max_tokens", "max_samples") == (8, "max_tokens")
    with pytest.raises(SpecError, match=r"12 tokens, more than 10 \(limit max_samples\)"):
        _spec(attention(12), Limits(max_tokens=20, max_samples=10))
    with pytest.raises(SpecError, match=r"more than 6 units or input features \(limit max_units\)"):
        _spec(rnn(units=7), Limits(max_units=6))


def test_the_command_line_raises_a_limit(tmp_path):
    import yaml
    path = tmp_path / "att.yaml"
    path.write_text(yaml.safe_dump({"parts": [{"id": "a", **attention(12)}]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output == f"dryrun: error: {path}: parts[0].tokens: 12 tokens, more than 8 (limit max_tokens)\n"
    result = CliRunner().invoke(main, ["--limit", "max_tokens=12", "validate", str(path)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["--limit", "max_token=12", "validate", str(path)])
    assert result.exit_code == 2 and "did you mean 'max_tokens'?" in result.output


BEYOND = {
    "attention-12-tokens": (attention(12), Limits(max_tokens=12)),
    "rnn-10-outputs": (rnn(outputs=10, units=3), Limits(max_rnn_units=10)),
    "batchnorm-10-samples": (normalization("batchnorm", 3, 10), Limits(max_norm_samples=10)),
}


@pytest.mark.parametrize("case", BEYOND)
def test_beyond_the_defaults_every_line_checks_by_hand(case):
    part, limits = BEYOND[case]
    spec = _spec(part, limits)
    checked = 0
    for mode in ("display", "carry"):
        report = check_tex(render(spec, solve(spec, replace(spec.rounding, mode=mode)), "solution"), mode)
        assert not report.failures, [(f.left[:80], f.rel, f.right[:40], f.why) for f in report.failures[:3]]
        checked += report.checked
    assert checked > 100


def test_a_matrix_too_wide_falls_back_to_a_line_per_entry():
    spec = _spec(*BEYOND["attention-12-tokens"])
    tex = render(spec, solve(spec), "solution")
    assert r"\eqbox{Q = \begin{bmatrix}" not in tex and r"Q_{12,2} = " in tex
    assert r"\eqbox{S = \begin{bmatrix}" not in tex and r"S_{12,12} = " in tex
    spec = _spec(*BEYOND["rnn-10-outputs"])
    tex = render(spec, solve(spec), "solution")
    assert r"(W_{hy})_{10,3}" in tex


@needs_tex
@pytest.mark.parametrize("case", BEYOND)
def test_beyond_the_defaults_the_pages_are_legible(case, tmp_path):
    """Nothing shrunk, nothing on top of anything, nothing past the margins (tests/legibility.py)."""
    from generator.compile import compile_pdf
    from tests.legibility import problems, words

    spec = _spec(*BEYOND[case])
    trace = solve(spec)
    for what in ("solution", "question"):
        pdf = tmp_path / f"{case}-{what}.pdf"
        compile_pdf(render(spec, trace, what), pdf)
        assert len(words(pdf)[0]) > 50
        assert problems(pdf) == []


def test_rnn_steps_beyond_the_default_keep_their_labels():
    """The RNN's notation table covers the default steps; a later step is labelled the same way."""
    part = {"kind": "rnn", "inputs": [0.1 * (t % 5) for t in range(14)], "W_xh": [[0.5]], "W_hh": [[0.2]],
            "W_hy": [[1.0]], "target": [0.3], "loss": "half_sse", "learning_rate": 0.1, "iterations": 1}
    p = solve(_spec(part, Limits(max_rnn_steps=14))).problems[0]
    assert label("it1.h12", (0,), problem=p) == r"h_{12,1} \text{ (iteration 1)}"
    assert label("it1.h14", (0,), problem=p) == r"h_{14,1} \text{ (iteration 1)}"
    assert label("it1.dh13", (0,), problem=p) == r"\partial L / \partial h_{13,1} \text{ (iteration 1)}"


def _cell_spec(kind: str, steps: int, iterations: int = 1):
    """The kind's starter with ``steps`` time steps (the first step repeated) and ``iterations``."""
    import yaml
    from generator.kinds import kind as kind_of
    data = yaml.safe_load(kind_of(kind).starter.read_text())
    part = data["parts"][0]
    part["inputs"] = [part["inputs"][0]] * steps
    part["iterations"] = iterations
    return data


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cell_sizes_are_limits_too(kind):
    """LSTM and GRU: time steps and iterations (units share max_cell_units) beyond the defaults are
    refused naming the limit, and admitted once it is raised."""
    for name, data, words in (("max_cell_steps", _cell_spec(kind, 7), "7 time steps, more than 6"),
                              ("max_cell_iterations", _cell_spec(kind, 2, 4), "4 iterations, more than 3")):
        with pytest.raises(SpecError) as e:
            spec_from_data(data)
        assert words in str(e.value) and f"limit {name}" in str(e.value), str(e.value)
        spec_from_data(data, limits=Limits(**{name: getattr(DEFAULT, name) + 1}))


def test_cnn_sizes_are_limits_too():
    import yaml
    from generator.kinds import kind as kind_of
    data = yaml.safe_load(kind_of("cnn").starter.read_text())
    conv = data["parts"][0]["conv"]
    conv["kernels"] = [conv["kernels"][0]] * 5
    data["parts"][0]["dense"][0]["weights"] = None          # refused before the dense layer is read
    with pytest.raises(SpecError, match=r"more than 4 kernels \(limit max_cnn_kernels\)"):
        spec_from_data(data)
