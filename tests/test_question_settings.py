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
    spec, trace, docs = _documents(_rich(optimizer))
    p = trace.problems[0]
    for what, tex in docs.items():
        assert not re.search(r"(?<![A-Za-z\\])f\^\{\(", tex), what       # no f^{(l)} value
        assert r"\partial f" not in tex, what
    solution = docs["solution"]
    assert r"\step{Derivative of the activation of layer 1: $\partial \tilde{a}^{( 1)} / \partial z^{( 1)}$}" in solution
    assert r"\partial \ell / \partial \tilde{a}^{( 1)} \odot f'" in solution
    assert label("it1.f1", problem=p).startswith(r"\tilde{a}^{(1)}")
    assert "tilde" in label("it1.df1", problem=p) and "f^" not in label("it1.df1", problem=p)
    given = solution.split(r"\section{Given values}", 1)[1].split(r"\section{", 1)[0]
    assert "(4 samples)" in given and "$m = 4" not in given
    assert np.array_equal(spec.problems[0].layers[0].dropout_mask, np.array(MASK, dtype=float))


# --------------------------------------------------------------------------- teacher review 20b

#: the teacher's specs of the second review, in brief
S2 = {"network": {"input": [[1, 0, 2, -1], [0, 1, 1, 2]], "target": [1, 0, 1, 0], "loss": "half_sse",
                  "learning_rate": 0.1, "iterations": 3, "batch_size": 2, "optimizer": {"name": "momentum", "beta": 0.9},
                  "layers": [{"activation": "relu", "weights": [[0.5, -0.5], [0.25, 0.75]], "bias": [0, 0]},
                             {"activation": "identity", "weights": [[1, -0.5]], "bias": [0.5]}]}}
S3 = {"network": {"input": [1, 2], "target": [0, 1], "loss": "cce", "learning_rate": 0.5, "iterations": 2,
                  "optimizer": {"name": "nesterov", "beta": 0.8},
                  "layers": [{"activation": "relu", "weights": [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.6]],
                              "bias": [0.1, 0, -0.2], "dropout": {"p": 0.5, "mask": [1, 0, 1]}},
                             {"activation": "softmax", "weights": [[0.5, -0.2, 0.1], [-0.3, 0.4, 0.2]], "bias": [0, 0]}]}}
S6 = {"network": {"input": [[1, -1], [0.5, 2]], "target": [1, 0], "loss": "bce", "learning_rate": 0.1, "iterations": 2,
                  "optimizer": {"name": "adamw", "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.05},
                  "layers": [{"activation": "sigmoid", "weights": [[0.4, -0.6], [0.3, 0.8]], "bias": [0.1, -0.1]},
                             {"activation": "sigmoid", "weights": [[1.2, -0.7]], "bias": [0]}]}}
RULES = {"momentum": r"\theta \leftarrow \theta - \eta v",
         "nesterov": r"\theta \leftarrow \theta - \eta\,(g + \beta v)",
         "rmsprop": r"s \leftarrow \rho s + (1 - \rho)\, g^{2}",
         "adagrad": r"s \leftarrow s + g^{2}",
         "adam": r"\hat{m} = \frac{m}{1 - \beta_1^{t}}",
         "adamw": r"\theta \leftarrow \theta - \eta \lambda \theta \quad\text{(decoupled weight decay, first)}",
         "nadam": r"\hat{m} = \frac{\mu_{t+1}}{1 - \Pi_{t+1}}\, m + \frac{1 - \mu_t}{1 - \Pi_t}\, g"}


def _rule(tex: str) -> str:
    """The optimizer's block: from its first sentence to the end of its equations."""
    return tex.split("For every parameter $\\theta$", 1)[1].split(r"\section{", 1)[0].split(r"\subsection{", 1)[0]


@pytest.mark.parametrize("optimizer", [o for o in schema.OPTIMIZERS if o != "sgd"])
def test_the_question_sheet_prints_the_optimizers_update_rule(optimizer):
    """Review 20b, point 1: the sheet's "Network" has the same update block as the solution's
    equations (one macro, network/optimizer_rule.tex.j2)."""
    _, _, docs = _documents(_rich(optimizer))
    network = docs["question"].split(r"\section{Network}", 1)[1].split(r"\section{Given values}", 1)[0]
    assert RULES[optimizer] in network, optimizer
    assert "starting from zero state (PyTorch's equations, entry by entry)" in network
    equations = _equations(docs["solution"])
    assert _rule(network).strip() == _rule(equations).split("In layer", 1)[0].strip()
    if optimizer == "adam":
        assert r"\sqrt{\hat{v}} + \varepsilon" in network          # ε outside the root


def test_gradient_descent_needs_no_rule_on_the_sheet():
    data = copy.deepcopy(NESTEROV)
    data["network"]["optimizer"] = "sgd"
    _, _, docs = _documents(data)
    assert r"\leftarrow" not in docs["question"]


def test_the_summary_says_what_the_final_pass_is_over():
    """Point 2: with mini-batches the iterations used every sample, only never all at once; with
    dropout on one sample the final pass is on the same sample, without the mask."""
    _, _, docs = _documents(S2)
    summary = _summary(docs["solution"])
    assert "over data no iteration used" not in summary
    assert "The final pass is over all 4 samples, a set no single iteration used, so its loss is compared with none of the others." in summary
    assert re.search(r"the loss increased from \$[\d.]+\$ \(before update 1\) to \$[\d.]+\$ \(before update 3\)", summary)
    assert "did not decrease at every step" not in summary
    _, _, docs = _documents(S3)
    summary = _summary(docs["solution"])
    assert "over data no iteration used" not in summary
    assert ("The final pass runs on the same sample without dropout, so its loss is not comparable "
            "with the masked training losses.") in summary


def test_with_adam_the_samples_are_N_not_m():
    """Point 3: m is Adam's first moment, so the number of samples is N throughout."""
    _, _, docs = _documents(S6)
    for what, tex in docs.items():
        assert r"\frac{1}{m}" not in tex and "$m = 2" not in tex and "^{m}" not in tex, what
    assert r"\frac{1}{N}" in docs["question"] and "($N = 2 $)" in docs["question"]
    solution = docs["solution"]
    assert "over the batch of $N = 2$ samples" in solution
    assert r"L = \frac{1}{N}\sum_{s} \ell_s" in solution                 # the loss steps
    assert r"m \leftarrow \beta_1 m" in solution
    data = _rich("adam")                                                    # with mini-batches too
    spec, _, docs = _documents(data)
    assert "mini-batch of $N = 2$" in docs["solution"]
    assert [s.symbol for s in schema.settings(spec.problems[0]) if s.field == "batch_size"] == ["N"]
    _, _, docs = _documents(_rich("momentum"))                              # m elsewhere
    assert "mini-batch of $m = 2$" in docs["solution"]


def test_one_sample_and_the_final_pass_read_in_the_singular():
    """Point 4: no "all 1 samples", no comma before "gives"."""
    _, _, docs = _documents(S3)
    assert "all 1 samples" not in docs["question"] and "all 1 samples" not in docs["solution"]
    assert "its loss on the sample without dropout." in docs["question"]
    assert ("one more forward pass on the sample without the dropout mask (dropout applies in training only) "
            "gives the loss") in docs["solution"]
    _, _, docs = _documents(S2)
    assert "one more forward pass over all 4 samples gives the loss" in docs["solution"]


def test_the_summary_names_the_l2_term_and_the_final_pass():
    data = copy.deepcopy(NESTEROV)
    del data["network"]["batch_size"]
    _, _, docs = _documents(data)
    summary = docs["solution"].split(r"\section{Summary}", 1)[1]
    assert r"& loss $L$ (with the L2 term) \\" in summary
    assert "the loss of one forward pass with the final parameters" in summary
    del data["network"]["l2"]
    _, _, docs = _documents(data)
    summary = docs["solution"].split(r"\section{Summary}", 1)[1]
    assert "& loss \\\\" in summary and "L2" not in summary
    _, _, docs = _documents(S6)
    assert "the loss of one forward pass with the final parameters" in docs["solution"].split(r"\section{Summary}", 1)[1]


@needs_tex
def test_the_teachers_adamw_sheet_reads_the_rule_and_N(tmp_path):
    _, _, docs = _documents(S6)
    words = re.sub(r"\s+", " ", _pdf_text(docs["question"], tmp_path / "q.pdf"))
    for want in ("decoupled weight decay, first", "starting from zero state", "(N = 2)"):
        assert want in words, want
    assert "m = 2" not in words
