"""Issue 20, points 1–3: the question sheet states every setting the numbers depend on (from the
model the engine runs, ``schema.settings``), the summary compares only losses over the same data,
and the equations hold every step the calculations take (L2, dropout), one symbol per meaning.

The settings are enumerated from the schema, not listed here: every field of the model's
dataclasses is either a setting (``schema.settings`` describes it) or stated with the data
(``schema.NOT_SETTINGS``), and every key of the optimizer table ``schema.OPTIMIZERS`` is a setting
with a symbol.  A new field or optimizer setting without a sentence on the sheet fails here."""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil
import subprocess

import numpy as np
import pytest

from generator.kinds.network import schema
from generator.latex import Formatter
from generator.render import render
from generator.solve import solve
from generator.spec import spec_from_data

X = [[1, 0, -1, 0.5], [0.5, 1, 0, -0.5], [0, -1, 1, 2]]
LAYERS = [{"activation": "tanh", "weights": [[0.1, 0.2, -0.1], [0.3, -0.2, 0.1]], "bias": [0, 0.1]},
          {"activation": "identity", "weights": [[0.6, -0.4]], "bias": [0.05]}]
#: the teacher's spec (issue 20): Nesterov, L2, mini-batches of two
NESTEROV = {"network": {"input": X, "target": [0.5, -0.2, 0.3, 1.0], "loss": "half_mse", "learning_rate": 0.1,
                        "iterations": 3, "batch_size": 2, "l2": 0.01, "optimizer": {"name": "nesterov", "beta": 0.9},
                        "layers": LAYERS}}
MASK = [[1, 0, 1, 1], [0, 1, 1, 0]]


def _distinct(default: float) -> float:
    """A value of an optimizer setting other than its default (a document printing the default
    where the spec says otherwise fails)."""
    return default * 1000 if default < 1e-3 else round(default * 0.9, 4)


def _rich(optimizer: str) -> dict:
    """A spec that sets every setting: ``optimizer`` with each of its settings (schema.OPTIMIZERS)
    away from its default, L2 (but with AdamW, whose weight decay is its L2), mini-batches, dropout."""
    data = copy.deepcopy(NESTEROV)
    net = data["network"]
    net["optimizer"] = {"name": optimizer, **{k: _distinct(v) for k, v in schema.OPTIMIZERS[optimizer].items()}}
    net["layers"][0]["dropout"] = {"p": 0.25, "mask": MASK}
    net["learning_rate"] = 0.05
    if optimizer == "adamw":
        del net["l2"]
    return data


def _model_fields() -> set[str]:
    """Every field of the model, from its dataclasses, and every optimizer setting of the table."""
    fields = {f.name for f in dataclasses.fields(schema.Network)}
    fields |= {f"layers.{f.name}" for f in dataclasses.fields(schema.Layer)}
    fields |= {f"optimizer.{key}" for settings in schema.OPTIMIZERS.values() for key in settings}
    return fields


def _expected(setting, fmt: Formatter) -> str:
    """How the sheet states a setting: its symbol and value together ("\\beta = 0.9")."""
    if setting.shape == "text":
        return setting.value
    value = fmt.mat(setting.value) if setting.shape == "matrix" else fmt.num(setting.value)
    return f"{setting.symbol} = {value}" if setting.symbol else f"{setting.label}: {value}"


def _documents(data):
    spec = spec_from_data(data)
    trace = solve(spec)
    return spec, trace, {what: render(spec, trace, what) for what in ("question", "solution")}


def _pdf_text(tex: str, path) -> str:
    from generator.compile import compile_pdf
    compile_pdf(tex, path)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")


# --------------------------------------------------------------------------- point 1: the settings


def test_every_field_of_the_model_is_a_setting_or_stated_with_the_data():
    """The fields of the schema's dataclasses and the optimizer table, split into settings (each
    described by schema.settings in one of the rich specs) and fields stated with the data."""
    described = set()
    for optimizer in schema.OPTIMIZERS:
        described |= {s.field for s in schema.settings(spec_from_data(_rich(optimizer)).problems[0])}
    fields = _model_fields()
    settings = fields - set(schema.NOT_SETTINGS)
    assert described == settings, (f"fields with no sentence on the sheet: {sorted(settings - described)}; "
                                   f"described but no field: {sorted(described - settings)}")
    assert set(schema.NOT_SETTINGS) <= fields, sorted(set(schema.NOT_SETTINGS) - fields)
    keys = {key for settings in schema.OPTIMIZERS.values() for key in settings}
    assert keys == set(schema.OPTIMIZER_SYMBOLS)
    symbols = [symbol for symbol, _ in schema.OPTIMIZER_SYMBOLS.values()]
    assert len(set(symbols)) == len(symbols), "one symbol per optimizer setting"


@pytest.mark.parametrize("optimizer", list(schema.OPTIMIZERS))
def test_the_question_sheet_states_every_setting_with_its_symbol_and_value(optimizer):
    spec, _, docs = _documents(_rich(optimizer))
    net = spec.problems[0]
    fmt = Formatter(spec.rounding)
    found = schema.settings(net)
    assert {s.field for s in found} >= {f"optimizer.{k}" for k in schema.OPTIMIZERS[optimizer]}
    for what, tex in docs.items():
        given = tex.split(r"\section{Given values}", 1)[1]
        for s in found:
            assert _expected(s, fmt) in given, (optimizer, what, s.field, _expected(s, fmt))
    question = docs["question"]
    for k in range(1, net.iterations + 1):     # the order of the mini-batches
        cols = ", ".join(str(c + 1) for c in schema.minibatch(net, k))
        assert f"iteration {k}: samples {cols}" in question
    # no symbol stands for two things: λ is L2's (AdamW, whose λ is its decay, takes no l2)
    symbols = [s.symbol for s in found if s.symbol and not s.field.startswith("layers.")]
    assert len(symbols) == len(set(symbols)), symbols


def test_l2_with_adamw_is_refused_one_lambda_per_document():
    data = _rich("adamw")
    data["network"]["l2"] = 0.01
    with pytest.raises(Exception, match="weight_decay"):
        spec_from_data(data)


@needs_tex
def test_the_teachers_nesterov_sheet_reads_its_settings(tmp_path):
    """The spec of issue 20, read as a student reads it: pdftotext of the question sheet."""
    _, _, docs = _documents(NESTEROV)
    words = re.sub(r"\s+", " ", _pdf_text(docs["question"], tmp_path / "q.pdf"))
    for want in ("η = 0.1", "β = 0.9", "λ = 0.01", "m = 2", "Nesterov momentum",
                 "iteration 1: samples 1, 2", "iteration 2: samples 3, 4", "iteration 3: samples 1, 2",
                 "all 4 samples"):
        assert want in words, want
    assert "m = 4" not in words         # m is the mini-batch; the data set has 4 samples


@needs_tex
@pytest.mark.parametrize("name", ["adam", "momentum", "dropout"])
def test_the_examples_sheets_read_their_settings(name, tmp_path):
    from generator.spec import load_spec
    from pathlib import Path
    spec = load_spec(Path(__file__).resolve().parent.parent / "examples" / f"{name}.yaml")
    words = re.sub(r"\s+", " ", _pdf_text(render(spec, solve(spec), "question"), tmp_path / "q.pdf"))
    want = {"adam": ["β1 = 0.9", "β2 = 0.999", "ε = 0.00000001", "Adam"],
            "momentum": ["β = 0.9", "gradient descent with momentum"],
            "dropout": ["p = 0.5", "1 keeps a unit, 0 drops it", "without dropout"]}[name]
    for w in want:
        assert w in words, (name, w)


# --------------------------------------------------------------------------- point 2: the summary


def _summary(tex: str) -> str:
    return tex.split(r"\subsection{Loss after the last update}", 1)[1]


@pytest.mark.parametrize("case", ["dropout", "mini-batches", "both"])
def test_the_summary_compares_only_losses_over_the_same_data(case):
    data = copy.deepcopy(NESTEROV)
    net = data["network"]
    if case in ("dropout", "both"):
        net["layers"][0]["dropout"] = {"p": 0.5, "mask": MASK}
    if case == "dropout":
        del net["batch_size"]
    _, trace, docs = _documents(data)
    summary = _summary(docs["solution"])
    # no trend across different data, and no learning-rate diagnosis from it
    assert "The loss did \\emph{not} decrease" not in summary
    assert not re.search(r"The loss decreased at every iteration", summary)
    assert "learning rate may be too large" not in summary or case == "dropout"
    # what the final pass is
    first = summary.split(r"\step", 1)[0]
    assert "one more forward pass over all 4 samples" in first
    if case != "mini-batches":
        assert "without the dropout mask" in first
    assert "so only losses over the same data are compared" in summary
    assert "loss over" in summary                    # the table says what each loss is over
    question = docs["question"]
    assert "their loss over all 4 samples" in question


def test_loss_decreased_compares_like_with_like():
    """The teacher's spec: batch 1, 2, 1, then all: the losses of batches {1, 2} fall, the loss of
    batch {3, 4} is larger, which says nothing; the engine's flag (homework's loss_decreases)
    compares like with like."""
    spec = spec_from_data(NESTEROV)
    problem = solve(spec).problem()
    losses = {k: problem.dec(f"{k}.loss") for k in ("it1", "it2", "it3", "final")}
    assert losses["it2"] > losses["it1"]                    # different data: no trend
    assert losses["it3"] < losses["it1"]
    assert problem.info["loss_decreased"] is True
    groups = schema.comparable(spec.problems[0])
    assert [[q.name for q in g] for g in groups] == [["it1", "it3"], ["it2"], ["final"]]


def test_full_batch_without_dropout_keeps_one_comparison():
    data = copy.deepcopy(NESTEROV)
    del data["network"]["batch_size"]
    spec = spec_from_data(data)
    assert len(schema.comparable(spec.problems[0])) == 1
    _, _, docs = _documents(data)
    summary = _summary(docs["solution"])
    assert "one more forward pass gives the loss the training reached" in summary
    assert "loss over" not in summary


# --------------------------------------------------------------------------- point 3: the equations


def _equations(tex: str) -> str:
    return tex.split(r"\section{Equations}", 1)[1].split(r"\section{Given values}", 1)[0]


def test_the_equations_hold_the_l2_term_and_the_dropout_steps():
    data = _rich("momentum")
    spec, _, docs = _documents(data)
    eq = _equations(docs["solution"])
    assert r"L = L_{\text{data}} + \frac{\lambda}{2} \sum_{l=1}^{2}" in eq
    assert r"\bigl(a^{(l-1)}\bigr)^{T} + \lambda W^{(l)}" in eq          # in the weight gradients
    assert r"a^{( 1)} = \frac{1}{1 - p}\, \tilde{a}^{( 1)} \odot M^{( 1)}" in eq       # forward
    assert r"\frac{\partial \ell}{\partial \tilde{a}^{(1)}} = \frac{1}{1 - p}" in eq    # backward
    assert r"\beta = " in eq                                              # the optimizer's update
    assert "mini-batch of $m = 2$" in eq
    short = docs["question"].split(r"\section{Network}", 1)[1].split(r"\section{Given values}", 1)[0]
    assert r"\frac{\lambda}{2}" in short
    assert r"\tilde{a}^{( 1)} \odot M^{( 1)}" in short


def test_without_l2_or_dropout_the_equations_have_neither():
    data = copy.deepcopy(NESTEROV)
    del data["network"]["l2"]
    _, _, docs = _documents(data)
    eq = _equations(docs["solution"])
    assert r"\lambda" not in eq and r"\tilde{a}" not in eq and "M^{(" not in eq


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_symbol_per_meaning_no_f_for_a_value(optimizer):
    """f_l is the activation function; the activation before dropout is ã⁽ˡ⁾ in the equations,
    the steps and the labels; m is the mini-batch wherever mini-batches are used."""
    from generator.labels import label
    spec, _, docs = _documents(_rich(optimizer))
    for what, tex in docs.items():
        assert not re.search(r"(?<![A-Za-z\\])f\^\{\(", tex), what       # no f^{(l)} value
        assert r"\partial f" not in tex, what
    solution = docs["solution"]
    assert r"\step{Derivative of the activation of layer 1: $\partial \tilde{a}^{( 1)} / \partial z^{( 1)}$}" in solution
    assert r"\partial \ell / \partial \tilde{a}^{( 1)} \odot f'" in solution
    assert label("it1.f1").startswith(r"\tilde{a}^{(1)}")
    assert "tilde" in label("it1.df1") and "f^" not in label("it1.df1")
    given = solution.split(r"\section{Given values}", 1)[1].split(r"\section{", 1)[0]
    assert "(4 samples)" in given and "$m = 4" not in given
    assert np.array_equal(spec.problems[0].layers[0].dropout_mask, np.array(MASK, dtype=float))
