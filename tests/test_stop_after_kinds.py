"""Exercises that stop early (issue 22) in every other kind that trains — cnn, rnn, lstm, gru:
``stop_after: forward`` (one forward pass, and its loss where a target is given) and
``stop_after: gradients`` (forward, loss and every parameter's gradient, no update).  The specs are
tests/stop_after/<kind>-<stop>.yaml.  Their values are checked against each kind's independent
float64 reference (``generator/kinds/<kind>/reference.py`` for the gated cells,
``tests/reference_kinds.py`` for the CNN and the RNN) and their gradients against finite differences
of that reference's loss; every printed line checks by hand in both modes; the trace, the answer
groups, the LMS data and the pages hold only what the exercise computes; contradictory settings
are one-line errors naming the field."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.answers import answers
from generator.cli import main
from generator.kinds import kind
from generator.kinds.gru import reference as gru_reference
from generator.kinds.lstm import reference as lstm_reference
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, parse_yaml
from tests import reference_kinds
from tests.handcheck import check_tex

FOLDER = Path(__file__).resolve().parent / "stop_after"
KINDS = ("cnn", "rnn", "lstm", "gru")
STOPS = ("forward", "gradients")
CASES = [(k, s) for k in KINDS for s in STOPS]
H = 1e-6


def _path(kind_name: str, stop: str) -> Path:
    return FOLDER / f"{kind_name}-{stop}.yaml"


def _part(kind_name: str, stop: str) -> dict:
    """The spec's part as plain data (what the references read)."""
    data = parse_yaml(_path(kind_name, stop).read_text(encoding="utf-8"), f"{kind_name}-{stop}.yaml")
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}


def _solved(kind_name: str, stop: str, mode: str | None = None):
    spec = load_spec(_path(kind_name, stop))
    policy = spec.rounding if mode is None else replace(spec.rounding, mode=mode)
    return spec, solve(spec, policy)


# --- the independent references, trained for one step on a copy of the part ------------------

def _trainable(kind_name: str, part: dict) -> dict:
    """A copy of ``part`` the references accept (they always train): a learning rate, and where
    the part has no loss a stand-in target and loss (only the forward values are compared then)."""
    q = copy.deepcopy(part)
    q.pop("stop_after")
    q["learning_rate"], q["iterations"] = 0.1, 1
    if "loss" not in q and "target" not in q and "targets" not in q:
        if kind_name == "cnn":
            q["target"], q["loss"] = [1.0], "bce"                 # the spec's output is one sigmoid unit
        elif kind_name == "rnn":
            q["target"], q["loss"] = [1.0, 0.0], "cce"            # the spec's output is a softmax of two
        else:
            q["target"] = [0.0] * len(q["U_r" if kind_name == "gru" else "U_i"])
    return q


def _reference(kind_name: str, part: dict) -> dict:
    q = _trainable(kind_name, part)
    if kind_name in ("lstm", "gru"):
        return (lstm_reference if kind_name == "lstm" else gru_reference).solve(q)
    out = getattr(reference_kinds, kind_name)(q)
    return {name.replace("grad1.", "it1.d"): v for name, v in out.items()}


def _reference_loss(kind_name: str, part: dict) -> float:
    q = _trainable(kind_name, part)
    if kind_name in ("lstm", "gru"):
        return (lstm_reference if kind_name == "lstm" else gru_reference).loss(q)
    return getattr(reference_kinds, f"{kind_name}_loss")(q)


def _location(kind_name: str, name: str):
    """(container keys, key) of parameter ``name`` inside a part (the CNN's live in conv and dense)."""
    if kind_name == "cnn":
        if name in ("kernels", "conv_bias"):
            return ("conv",), "kernels" if name == "kernels" else "bias"
        return ("dense", int(name[1:]) - 1), "weights" if name[0] == "W" else "bias"
    return (), name


def _moved(kind_name: str, part: dict, name: str, shape, idx, h: float) -> dict:
    q = copy.deepcopy(part)
    path, key = _location(kind_name, name)
    box = q
    for p in path:
        box = box[p]
    value = np.zeros(shape) if box.get(key) is None else np.asarray(box[key], dtype=float).reshape(shape)
    value[idx] += h
    box[key] = value.tolist()
    return q


def _gradient_names(kind_name: str, model) -> list[str]:
    if kind_name == "cnn":
        from generator.kinds.cnn.engine import parameter_names
        return [f"it1.d{n}" for n in parameter_names(model)]
    if kind_name == "rnn":
        return [f"it1.d{n}" for n in model.parameters()]
    return [f"it1.grad.{n}" for n in model.parameters()]


# --- 1. the values --------------------------------------------------------------------------

def _forward_names(kind_name: str, model) -> list[str]:
    """The forward values both the engine and the reference name."""
    if kind_name == "cnn":
        return ["output"]
    if kind_name == "rnn":
        return ["output", "hidden"]
    keys = lstm_reference.KEYS if kind_name == "lstm" else gru_reference.KEYS
    return [f"it1.t{t}.{key}" for t in range(1, model.steps + 1) for key in keys]


@pytest.mark.parametrize("kind_name, stop", CASES)
def test_values_equal_the_independent_reference(kind_name, stop):
    spec, trace = _solved(kind_name, stop)
    p, model = trace.problems[0], spec.problems[0]
    ref = _reference(kind_name, _part(kind_name, stop))
    names = _forward_names(kind_name, model) + (["it1.loss"] if model.loss is not None else [])
    if stop == "gradients":
        names += _gradient_names(kind_name, model)
    for name in names:
        got = np.asarray(p[name], dtype=float)
        assert np.allclose(got, np.asarray(ref[name], dtype=float).reshape(got.shape), rtol=1e-9, atol=1e-12), name


@pytest.mark.parametrize("kind_name", KINDS)
def test_gradients_are_finite_differences_of_the_references_loss(kind_name):
    spec, trace = _solved(kind_name, "gradients")
    p, model, part = trace.problems[0], spec.problems[0], _part(kind_name, "gradients")
    for name in _gradient_names(kind_name, model):
        got = np.asarray(p[name], dtype=float)
        parameter = name.split(".")[-1] if kind_name in ("lstm", "gru") else name[len("it1.d"):]
        for idx in np.ndindex(got.shape):
            up, down = (_reference_loss(kind_name, _moved(kind_name, part, parameter, got.shape, idx, h))
                        for h in (H, -H))
            fd = (up - down) / (2 * H)
            assert abs(fd - got[idx]) <= 1e-6 * max(1.0, abs(fd)), (name, idx, fd, got[idx])


@pytest.mark.parametrize("kind_name, stop", CASES)
def test_the_trace_holds_one_pass_and_no_update(kind_name, stop):
    spec, trace = _solved(kind_name, stop)
    p, model = trace.problems[0], spec.problems[0]
    names = set(p.entries)
    assert "learning_rate" not in names and not any(n.startswith(("final.", "it2.")) for n in names)
    assert p.info["stop_after"] == stop and model.iterations == 1 and model.learning_rate is None
    parameters = _gradient_names(kind_name, model)
    updated = [n.replace(".grad.", ".").replace("it1.d", "it1.") for n in parameters]
    assert not names & set(updated), "a parameter was updated"
    if stop == "forward":
        assert not names & set(parameters)
    else:
        assert set(parameters) <= names


# --- 2. every printed line checks by hand, and the pages say what is asked -------------------

@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("kind_name, stop", CASES)
def test_every_line_checks_by_hand(kind_name, stop, mode):
    spec, trace = _solved(kind_name, stop, mode)
    report = check_tex(render(spec, trace, "solution"), mode, strict=mode == "display")
    bad = [f"{f.left} {f.rel} {f.right}: {f.why}  [in: {f.line[:160]}]" for f in report.failures]
    assert not bad, "\n".join(bad[:10])
    assert report.checked >= (16 if stop == "forward" else 30)


@pytest.mark.parametrize("kind_name, stop", CASES)
def test_pages_ask_and_answer_only_what_is_computed(kind_name, stop):
    spec, trace = _solved(kind_name, stop)
    model = spec.problems[0]
    question, solution = (render(spec, trace, what) for what in ("question", "solution"))
    for tex in (question, solution):
        assert r"\eta" not in tex and "learning rate" not in tex.lower()
        assert "Update" not in tex and "final parameters" not in tex
    assert f"stops after the {'forward pass' if stop == 'forward' else 'gradients'}" in question
    assert "Iteration" not in solution and r"\subsection*{Summary}" in solution
    if stop == "forward":
        assert "the gradient of every parameter" not in question and "Back" not in solution
        assert ("the loss" in question) == (model.loss is not None)
    else:
        assert "give the loss and the gradient of every parameter" in question
        assert "stops after the gradients: no update" in solution


# --- 3. what the answer key, the answer files and the LMS ask --------------------------------

def _outputs(kind_name: str, model) -> list[str]:
    return ["output"] if kind_name in ("cnn", "rnn") else [f"it1.t{t}.h" for t in range(1, model.steps + 1)]


@pytest.mark.parametrize("kind_name, stop", CASES)
def test_answer_groups_ask_the_loss_and_the_outputs_or_the_gradients(kind_name, stop):
    spec, trace = _solved(kind_name, stop)
    p, model = trace.problems[0], spec.problems[0]
    groups = kind(kind_name).groups(model, p)
    losses = ["it1.loss"] if model.loss is not None else []
    grads = _gradient_names(kind_name, model) if stop == "gradients" else []
    if kind_name == "rnn" and grads:        # an RNN's gradients also of its inputs and h_0 (tests/test_rnn_upstream.py)
        grads = ["it1.grad.inputs", "it1.grad.h0"] + grads
    assert groups["losses"] == losses and groups["parameters"] == [] and groups["gradients"] == grads
    assert groups["outputs"] == _outputs(kind_name, model)
    assert groups["key"] == losses + (grads if stop == "gradients" else _outputs(kind_name, model))
    assert all(n in p.entries for group in groups.values() for n in group)
    assert [a.name.split("[")[0] for a in answers(spec, trace)]        # the key is answerable
    rows = [label for label, _ in kind(kind_name).given(model, p)]
    assert "learning rate" not in rows and "iterations" not in rows
    assert ("loss" in rows) == (model.loss is not None)


def test_a_forward_pass_without_a_target_asks_the_outputs():
    spec, trace = _solved("lstm", "forward")
    assert [a.name for a in answers(spec, trace)] == [f"it1.t{t}.h[{i}]" for t in (1, 2) for i in (1, 2)]


# --- 4. contradictory settings ---------------------------------------------------------------

def _run(write_spec, text: str):
    result = CliRunner().invoke(main, ["render", str(write_spec(text)), "--format", "tex"])
    return result.exit_code, result.stderr.strip()


@pytest.mark.parametrize("kind_name, stop", CASES)
@pytest.mark.parametrize("extra, key", [("    learning_rate: 0.1\n", "learning_rate"),
                                        ("    iterations: 1\n", "iterations")])
def test_an_exercise_that_stops_takes_no_training_settings(write_spec, kind_name, stop, extra, key):
    code, line = _run(write_spec, _path(kind_name, stop).read_text() + extra)
    assert code == 2 and "\n" not in line and "Traceback" not in line
    assert f"parts[0].{key}" in line and f"makes no update and takes no {key}; remove it" in line
    assert f"(stop_after: {stop})" in line


#: (kind, the spec it changes, lines to add, keys to remove, the field named, words of the message)
CONTRADICTIONS = [
    ("cnn", "forward", "    target: 1\n", (), "parts[0].target", "give the loss, or remove the target"),
    ("cnn", "forward", "    loss: bce\n", (), "parts[0].target", "give the target, or remove the loss"),
    ("rnn", "forward", "    target: [1, 0]\n", (), "parts[0].target", "give the loss, or remove the target"),
    ("rnn", "forward", "    targets: [null, null, [1, 0]]\n", (), "parts[0].targets",
     "give the loss, or remove the target"),
    ("lstm", "forward", "    loss: sse\n", (), "parts[0].loss", "give the target, or remove the loss"),
    ("gru", "forward", "", ("target",), "parts[0].loss", "give the target, or remove the loss"),
    ("gru", "gradients", "", ("target",), "parts[0]", "missing required key 'target'"),
    ("rnn", "gradients", "", ("loss",), "parts[0]", "missing required key 'loss'"),
    ("cnn", "gradients", "", ("target",), "parts[0]", "missing required key 'target'"),
    ("lstm", "gradients", "", ("stop_after",), "parts[0]", "missing required key 'learning_rate'"),
]


@pytest.mark.parametrize("kind_name, stop, extra, drop, field, words", CONTRADICTIONS)
def test_contradictory_settings_are_one_line_errors(write_spec, kind_name, stop, extra, drop, field, words):
    lines = [line for line in _path(kind_name, stop).read_text().splitlines(keepends=True)
             if not any(line.startswith(f"    {key}:") for key in drop)]
    code, line = _run(write_spec, "".join(lines) + extra)
    assert code == 2 and "\n" not in line and "Traceback" not in line
    assert field + ":" in line and words in line, line


@pytest.mark.parametrize("kind_name", KINDS)
def test_an_unknown_stop_names_the_field(write_spec, kind_name):
    text = _path(kind_name, "forward").read_text().replace("stop_after: forward", "stop_after: update")
    code, line = _run(write_spec, text)
    assert code == 2 and "\n" not in line and "parts[0].stop_after" in line and "forward, gradients" in line


@pytest.mark.parametrize("kind_name", ("lstm", "gru"))
def test_a_target_without_a_loss_takes_the_kinds_default_loss(kind_name):
    """The gated cells' loss defaults to half_sse (as in training): a forward pass with a target and
    no loss has that loss."""
    part = _part(kind_name, "forward" if kind_name == "gru" else "gradients")
    part.pop("loss")
    part["stop_after"] = "forward"
    from generator.spec import spec_from_data
    spec = spec_from_data({"parts": [{"kind": kind_name, **part}]}, "x.yaml")
    p = solve(spec).problems[0]
    h = np.asarray(p[f"it1.t{spec.problems[0].steps}.h"], dtype=float)
    assert spec.problems[0].loss == "half_sse"
    assert p["it1.loss"] == pytest.approx(0.5 * float(np.sum((h - np.asarray(part["target"])) ** 2)), abs=1e-12)


#: the forward-only specs without a loss, given one: (kind, the lines added)
WITH_LOSS = [("cnn", "    target: 1\n    loss: bce\n"), ("rnn", "    targets: [null, [0, 1], [1, 0]]\n    loss: cce\n"),
             ("lstm", "    target: [0.5, -0.2]\n    loss: sse\n")]


@pytest.mark.parametrize("kind_name, extra", WITH_LOSS, ids=[k for k, _ in WITH_LOSS])
def test_a_forward_pass_with_a_loss(write_spec, kind_name, extra):
    """The forward-only specs without a target, given one and a loss: the loss against the
    reference, asked on the sheet and in the key, every line checked by hand in both modes."""
    spec = load_spec(write_spec(_path(kind_name, "forward").read_text() + extra))
    part = parse_yaml(extra, "extra")
    ref = _reference(kind_name, {**_part(kind_name, "forward"), **part})
    for mode in ("display", "carry"):
        trace = solve(spec, replace(spec.rounding, mode=mode))
        p = trace.problems[0]
        if mode == "display":
            assert p["it1.loss"] == pytest.approx(float(ref["it1.loss"]), rel=1e-9, abs=1e-12)
            assert kind(kind_name).groups(spec.problems[0], p)["key"][0] == "it1.loss"
        question = render(spec, trace, "question")
        assert "and the loss" in question and "stops after the forward pass" in question
        report = check_tex(render(spec, trace, "solution"), mode, strict=mode == "display")
        assert not report.failures, [f"{f.left} {f.rel} {f.right}: {f.why}" for f in report.failures[:5]]
