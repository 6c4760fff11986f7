"""Hardening III: specs that validate must render (mini-batches of one, a decimal comma in the
adaptive optimizers' lines), a broken override names itself, and the work a spec asks for is
estimated from its shapes and refused before anything is solved or rendered."""

import random
import tracemalloc

import jinja2
import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.errors import SpecError, TemplateError
from generator.kinds import DEFAULT_KIND, KINDS, Kind
from generator.limits import DEFAULT, Limits
from generator.render import render
from generator.solve import solve
from generator.spec import part_cost, spec_from_data

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw")


def _network(optimizer, batch_size, comma, mode, learning_rate=0.15):
    net = {"input": [[0.5, -1.0, 0.3], [0.2, 0.4, -0.6]], "target": [[1.0, 0.0, 1.0]],
           "layers": [{"activation": "sigmoid", "weights": [[0.2, -0.4], [0.7, 0.1]], "bias": [0.1, -0.1]},
                      {"activation": "sigmoid", "weights": [[0.5, -0.3]], "bias": [0.2]}],
           "loss": "half_sse", "learning_rate": learning_rate, "iterations": 2, "optimizer": optimizer}
    if batch_size:
        net["batch_size"] = batch_size
    return {"rounding": {"significant": 4, "decimal_comma": comma, "mode": mode}, "network": net}


# --------------------------------------------------------------------------- renders


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_renders_with_any_batch_size_separator_and_mode(optimizer):
    """optimizer × {batch_size 1, 2, full batch} × {decimal point, comma} × {display, carry}: both
    documents render to LaTeX (batch_size 1 once asked for a trace value 'it1.dWsum2' that a
    pass of one sample does not have; a comma in η broke the adaptive optimizers' lines)."""
    for batch_size in (1, 2, None):
        for comma in (False, True):
            for mode in ("display", "carry"):
                spec = spec_from_data(_network(optimizer, batch_size, comma, mode))
                trace = solve(spec)
                docs = {what: render(spec, trace, what) for what in ("solution", "question")}
                for what, tex in docs.items():
                    assert tex.rstrip().endswith(r"\end{document}"), (batch_size, comma, mode, what)
                tex = docs["solution"]
                if comma and optimizer in ("rmsprop", "adagrad", "adam", "adamw"):
                    assert r"0{,}15 \cdot" in tex       # η with its comma, in the step's entries
                    assert "0.15" not in tex


def test_a_mini_batch_of_one_is_written_as_one_sample():
    spec = spec_from_data(_network("sgd", 1, False, "display"))
    tex = render(spec, solve(spec), "solution")
    assert r"\frac{1}{1}" not in tex            # no mean over one sample
    assert "dWsum" not in tex


# --------------------------------------------------------------------------- template errors


def _override(tmp_path, name, text):
    path = tmp_path / "tpl" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path / "tpl", path


def _spec_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(_network("sgd", None, False, "display")), encoding="utf-8")
    return path


def test_an_error_in_an_override_names_the_override_not_the_builtin_it_calls(tmp_path):
    """A bad argument to a built-in macro fails inside the built-in macros file; the mistake is
    in the override, so the line names the override's file and line (and the built-in after it)."""
    folder, path = _override(tmp_path, "network/solution.tex.j2",
                             '((* import "network/macros.tex.j2" as mac *))\n'
                             'fine\n'
                             '((( mac.definition("leaky_relu", "no such slope") )))\n')
    result = CliRunner().invoke(main, ["render", str(_spec_file(tmp_path)), "-o", str(tmp_path / "out"),
                                       "--format", "tex", "--templates", str(folder)])
    assert result.exit_code == TemplateError.exit_code
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"{path}:3" in line and "(inside " in line and "macros.tex.j2" in line
    assert line.index(str(path)) < line.index("macros.tex.j2")


def test_a_missing_include_names_the_override_that_includes_it(tmp_path):
    folder, path = _override(tmp_path, "network/solution.tex.j2", 'x\n((* include "network/nope.tex.j2" *))\n')
    result = CliRunner().invoke(main, ["render", str(_spec_file(tmp_path)), "-o", str(tmp_path / "out"),
                                       "--format", "tex", "--templates", str(folder)])
    assert result.exit_code == TemplateError.exit_code
    assert "network/nope.tex.j2" in result.output and f"{path}:2" in result.output


def test_an_error_in_a_relative_override_folder_names_the_override(tmp_path, monkeypatch):
    _override(tmp_path, "network/solution.tex.j2",
              '((* import "network/macros.tex.j2" as mac *))\n((( mac.definition("leaky_relu", "nope") )))\n')
    spec = _spec_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", str(spec), "-o", "out", "--format", "tex", "--templates", "tpl"])
    assert result.exit_code == TemplateError.exit_code
    assert "tpl/network/solution.tex.j2:2 (inside " in result.output


def test_an_override_extending_a_broken_parent_is_one_line(tmp_path):
    """The check for misspelled blocks reads the parents of an override; a parent with a syntax
    error is reported once, when it is used, naming it (it was a traceback)."""
    folder, _ = _override(tmp_path, "solution.tex.j2",
                          '((* extends "parent.tex.j2" *))\n((* block titel *))x((* endblock *))\n')
    _, parent = _override(tmp_path, "parent.tex.j2", '((* extends "builtin/solution.tex.j2" *))\n((* if *))\n')
    result = CliRunner().invoke(main, ["render", str(_spec_file(tmp_path)), "-o", str(tmp_path / "out"),
                                       "--format", "tex", "--templates", str(folder)])
    assert result.exit_code == TemplateError.exit_code
    assert "Traceback" not in result.output and f"{parent}:2" in result.output
    assert "titel" not in result.output        # no warning read from a parent that could not be read


# --------------------------------------------------------------------------- the cost of a spec

_r = random.Random(18)


def _mat(rows, cols):
    return [[round(_r.uniform(-0.5, 0.5), 2) or 0.1 for _ in range(cols)] for _ in range(rows)]


def _max_cnn(i):
    """Within every validation limit: 3 channels of 8 × 8, four 3 × 12 × 12 kernels, padding 8,
    eight dense layers, 20 iterations (the spec that validated for 101 s, then ran out of memory)."""
    return {"kind": "cnn", "id": f"c{i}", "input": [_mat(8, 8) for _ in range(3)],
            "conv": {"kernels": [[_mat(12, 12) for _ in range(3)] for _ in range(4)], "padding": 8,
                     "activation": "tanh"},
            "pool": {"mode": "max", "window": 13, "stride": 13},
            "dense": [{"activation": "tanh", "weights": _mat(8, 4 if j == 0 else 8), "bias": [0.1] * 8}
                      for j in range(7)] + [{"activation": "sigmoid", "weights": _mat(8, 8), "bias": [0.1] * 8}],
            "target": [1, 0] * 4, "loss": "bce", "learning_rate": 0.1, "iterations": 20}


def _max_network(i):
    """Eight layers of 16 × 16, 16 samples, 20 iterations: 77 MB of LaTeX per part."""
    layers = [{"activation": "tanh", "weights": _mat(16, 16), "bias": [0.1] * 16} for _ in range(8)]
    layers[-1]["activation"] = "sigmoid"
    return {"kind": "network", "id": f"n{i}", "input": _mat(16, 16), "target": [[1, 0] * 8] * 16,
            "layers": layers, "loss": "bce", "learning_rate": 0.1, "iterations": 20}


def _max_conv(i):
    return {"kind": "conv", "id": f"v{i}", "input": [_mat(32, 32) for _ in range(32)],
            "kernel": [_mat(16, 16) for _ in range(32)], "padding": 8, "upstream": "ones"}


MAXIMAL = {"cnn": [_max_cnn(i) for i in range(20)], "network": [_max_network(i) for i in range(4)],
           "conv": [_max_conv(0)]}
UNLIMITED = Limits(max_part_terms=10**12, max_terms=10**12)


@pytest.fixture
def no_solving(monkeypatch):
    """Reaching any kind's solver fails the test: the refusal must come first."""
    def reached(self, *args, **kwargs):
        raise AssertionError(f"the {self.name} solver was reached")
    monkeypatch.setattr(Kind, "solve", reached)


@pytest.mark.parametrize("kind", sorted(MAXIMAL))
def test_maximal_specs_are_refused_before_anything_is_solved(kind, tmp_path, no_solving):
    path = tmp_path / f"{kind}.yaml"
    path.write_text(yaml.safe_dump({"parts": MAXIMAL[kind]}), encoding="utf-8")
    for command in (["validate", str(path)], ["render", str(path), "-o", str(tmp_path / "out"), "--format", "tex"],
                    ["trace", str(path)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == SpecError.exit_code, (command, result.output)
        line = result.output.strip()
        assert "\n" not in line and "solver was reached" not in line
        assert "parts[0]" in line and "limit max_part_terms" in line and "--limit max_part_terms=" in line


def test_the_whole_spec_is_limited_too_naming_the_part_that_passes_it(no_solving):
    parts = [_max_network(i) | {"iterations": 1, "layers": _max_network(i)["layers"][:2]} for i in range(20)]
    for p in parts:
        p["layers"][-1]["activation"] = "sigmoid"
    each = part_cost(spec_from_data({"parts": parts[:1]}).problems[0])
    assert each <= DEFAULT.max_part_terms
    n = DEFAULT.max_terms // each + 1          # the first part that brings the total past the limit
    assert n < len(parts)
    with pytest.raises(SpecError) as err:
        spec_from_data({"parts": parts})
    assert f"parts[{n - 1}]" in str(err.value) and "limit max_terms" in str(err.value)
    assert "--limit max_terms=" in str(err.value)


def test_raising_the_limit_lets_the_work_start(tmp_path, monkeypatch):
    reached = []

    def solver(self, *args, **kwargs):
        reached.append(self.name)
        raise SpecError("stopped here")
    monkeypatch.setattr(Kind, "solve", solver)
    path = tmp_path / "cnn.yaml"
    path.write_text(yaml.safe_dump({"parts": MAXIMAL["cnn"][:1]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["--limit", "max_part_terms=100000000", "--limit", "max_terms=100000000",
                                       "validate", str(path)])
    assert reached == ["cnn"] and "stopped here" in result.output


@pytest.mark.parametrize("kind", sorted(MAXIMAL))
def test_validating_maximal_specs_allocates_little(kind):
    """Validation (with the limits raised so that every part is read and estimated) builds the
    models and nothing more: a few MB at most, whatever the spec would cost to solve."""
    data = {"parts": MAXIMAL[kind]}
    tracemalloc.start()
    try:
        spec = spec_from_data(data, limits=UNLIMITED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(spec.problems) == len(MAXIMAL[kind])
    assert peak < 16_000_000, f"validation peaked at {peak / 1e6:.1f} MB"
    tracemalloc.start()
    try:
        with pytest.raises(SpecError):
            spec_from_data(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, f"the refusal peaked at {peak / 1e6:.1f} MB"


# a moderate exercise of each kind that computes something at every step
MEDIUM = {
    "network": {"input": _mat(8, 8), "target": _mat(8, 8),
                "layers": [{"activation": "tanh", "weights": _mat(8, 8), "bias": [0.1] * 8} for _ in range(3)],
                "loss": "mse", "learning_rate": 0.1, "iterations": 3, "optimizer": "adam"},
    "cnn": _max_cnn(0) | {"conv": {"kernels": [[_mat(3, 3) for _ in range(3)] for _ in range(4)], "padding": 2,
                                   "activation": "tanh"}, "pool": {"mode": "average", "window": 10, "stride": 10},
                          "iterations": 1},
    "conv": {"input": [_mat(12, 12) for _ in range(3)], "kernel": [_mat(5, 5) for _ in range(3)], "padding": 2,
             "upstream": "ones"},
    "pool": {"input": _mat(16, 16), "window": 4, "stride": 2, "mode": "average", "upstream": "ones"},
    "rnn": {"inputs": _mat(8, 4), "W_xh": _mat(6, 4), "W_hh": _mat(6, 6), "W_hy": _mat(3, 6), "b_h": [0.1] * 6,
            "targets": [[0.1, 0.2, 0.3]] * 8, "loss": "mse", "learning_rate": 0.01, "iterations": 2},
    "attention": {"tokens": _mat(8, 8), "W_q": _mat(8, 8), "W_k": _mat(8, 8), "W_v": _mat(8, 8), "upstream": "ones",
                  "mask": "causal"},
    "batchnorm": {"input": _mat(8, 8), "upstream": "ones"},
    "expression": {"formula": "y = tanh(w^T x + b) * exp(-b^2)", "inputs": {"x": [0.5, -0.25, 1, 2]},
                   "parameters": {"w": [0.1, 0.2, -0.3, 0.4], "b": 0.5}, "target": 1, "loss": "sse",
                   "learning_rate": 0.1},
}


def _medium(kind: str) -> dict:
    """A moderate exercise of ``kind``: MEDIUM's, else the first of its kind in its starter spec."""
    if kind in MEDIUM:
        return MEDIUM[kind]
    from generator.cli import starter
    data = yaml.safe_load(starter(kind).read_text(encoding="utf-8"))
    return data[DEFAULT_KIND] if DEFAULT_KIND in data else \
        next(p for p in data["parts"] if p.get("kind", DEFAULT_KIND) == kind)


@pytest.mark.parametrize("kind", KINDS)
def test_the_estimate_bounds_the_latex(kind):
    """Each kind's estimate keeps up with what its templates write: at most 60 bytes of LaTeX a
    term, so that an exercise within max_part_terms stays near max_tex_bytes."""
    part = {"kind": kind, "id": "p"} | {k: v for k, v in _medium(kind).items() if k not in ("kind", "id")}
    spec = spec_from_data({"parts": [part]})
    tex = render(spec, solve(spec), "solution")
    cost = part_cost(spec.problems[0])
    assert len(tex.encode()) <= 60 * cost, f"{len(tex)} bytes for an estimate of {cost} terms"


# --------------------------------------------------------------------------- LaTeX size while rendering


def test_latex_is_refused_as_soon_as_it_passes_the_limit(monkeypatch):
    """Rendering stops once the document passes max_tex_bytes instead of building it whole, and
    names the exercise it was writing."""
    parts = [MEDIUM["network"] | {"id": f"n{i}"} for i in range(4)]
    whole = spec_from_data({"parts": parts})
    trace = solve(whole)
    full = len(render(whole, trace, "solution").encode())
    limit = full // 8                          # passed within the first exercise
    produced = []
    generate = jinja2.Template.generate

    def counting(self, *args, **kwargs):
        for piece in generate(self, *args, **kwargs):
            produced.append(len(piece))
            yield piece
    monkeypatch.setattr(jinja2.Template, "generate", counting)
    small = spec_from_data({"parts": parts}, limits=Limits(max_tex_bytes=limit))
    with pytest.raises(SpecError) as err:
        render(small, trace, "solution")
    assert "limit max_tex_bytes" in str(err.value) and "exercise 'n0'" in str(err.value)
    assert "--limit max_tex_bytes=" in str(err.value)
    assert sum(produced) < limit + 200_000 < full      # stopped near the limit, not at the end


def test_the_cli_reports_a_document_too_large_in_one_line(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"parts": [MEDIUM["network"] | {"id": "big"}]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["--limit", "max_tex_bytes=50000", "render", str(path),
                                       "-o", str(tmp_path / "out"), "--format", "tex"])
    assert result.exit_code == SpecError.exit_code
    assert result.output.count("\n") == 1 and "exercise 'big'" in result.output
    assert not list((tmp_path / "out").glob("*.tex")) if (tmp_path / "out").exists() else True
