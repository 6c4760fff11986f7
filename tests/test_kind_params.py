"""The params kind (counting the parameters of a network) against independent counts:

- PyTorch's own (``generator/kinds/params/torch_cases.json``: ``sum(p.numel() for p in
  layer.parameters())`` of nn.Conv2d, nn.MaxPool2d/AvgPool2d, nn.Flatten, nn.Linear, nn.Embedding,
  nn.RNN/LSTM/GRU, and the output sizes of a forward pass of zeros);
- counts published with their networks: LeNet-5 (LeCun et al. 1998), CS231n's notes (AlexNet's
  first layer, VGGNet's weights layer by layer), and the ``model.summary()`` tables of the Keras
  guide "Working with RNNs" (the recurrent layers with one bias vector per gate, which PyTorch has no
  layer for);
- the kind's own reference from the textbook formulas (``generator/kinds/params/reference.py``), on
  random networks;

and every printed line by hand in both rounding modes, the stress spec's pages legible."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from generator.compile import compile_pdf
from generator.errors import SpecError
from generator.kinds.params import reference as R
from generator.labels import label
from generator.limits import DEFAULT
from generator.numbers import Precision
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, spec_from_data
from tests.byhand import by_hand as _by_hand
from tests.legibility import problems

FOLDER = Path(__file__).resolve().parent.parent / "generator" / "kinds" / "params"
TORCH = json.loads((FOLDER / "torch_cases.json").read_text(encoding="utf-8"))["cases"]
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")


def _solve(part: dict, limits=None, **spec):
    s = spec_from_data({"parts": [{"kind": "params", **part}], **spec}, limits=limits)
    return s, solve(s).problems[0]


def _agree(p, want: dict) -> None:
    for name, value in want.items():
        assert name in p.entries, f"the engine has no value {name}"
        assert p.dec(name) == value, (name, p.dec(name), value)
        assert p.entries[name].exact


# ---- PyTorch ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", range(len(TORCH)))
def test_counts_and_sizes_are_pytorchs(case):
    part, expected = TORCH[case]["part"], TORCH[case]["expected"]
    _, p = _solve(part)
    _agree(p, expected)
    assert len(expected) >= 7


def test_the_torch_cases_cover_every_layer_and_option():
    layers = [layer for case in TORCH for layer in case["part"]["layers"]]
    assert {layer["type"] for layer in layers} == {"conv", "pool", "flatten", "dense", "embedding", "rnn", "lstm",
                                                    "gru"}
    assert {str(layer.get("bias")) for layer in layers} >= {"None", "False", "pytorch"}
    assert any(layer.get("bidirectional") for layer in layers) and any(isinstance(layer.get("kernel"), list)
                                                                          for layer in layers)
    assert any(case["part"].get("input") is None for case in TORCH)


# ---- published counts ------------------------------------------------------------------------

def test_lenet5_of_lecun_et_al_1998():
    """LeCun, Bottou, Bengio, Haffner (1998), "Gradient-based learning applied to document
    recognition", section II.B: C1 "contains 156 trainable parameters", C5 (16 → 120 maps of 5 × 5
    over the 5 × 5 maps of S4, a dense layer of the 400 values) "has 48,120 trainable connections",
    F6 "has 10,164 trainable parameters"; the output sizes 28, 14, 10, 5.  Where the paper differs by
    design, not by error: its C3 connects each of the 16 maps to only some of S4's 6 maps (Table I:
    1,516 parameters, a full convolution has 2,416) and its subsampling layers S2, S4 have a trainable
    coefficient and bias per map (12 and 32); dryrun counts the full convolution and max pooling of
    today's LeNet (PyTorch's tutorial), whose total 61,706 torch_cases.json confirms."""
    _, p = _solve(load_part(FOLDER / "starter.yaml"))
    assert [p.dec(f"l{l}.params") for l in (1, 5, 6)] == [156, 48120, 10164]
    assert [p.dec(f"l{l}.h") for l in (1, 2, 3, 4)] == [28, 14, 10, 5] and p.dec("l5.in") == 400
    assert p.dec("total") == 61706


def test_alexnet_first_layer_of_cs231n():
    """CS231n, "Convolutional Neural Networks" (cs231n.github.io/convolutional-networks/, "Real-world
    example"): input 227 × 227 × 3, F = 11, S = 4, P = 0: "(227 − 11)/4 + 1 = 55", K = 96: "96*11*11*3 =
    34,848 unique weights, or 34,944 parameters (+96 biases)"."""
    _, p = _solve({"input": [3, 227, 227], "layers": [{"type": "conv", "out_channels": 96, "kernel": 11, "stride": 4}]})
    assert (p.dec("l1.h"), p.dec("l1.w"), p.dec("l1.params")) == (55, 55, 34944)
    _, p = _solve({"input": [3, 227, 227], "layers": [{"type": "conv", "out_channels": 96, "kernel": 11, "stride": 4,
                                                       "bias": False}]})
    assert p.dec("l1.params") == 34848


def _vgg16():
    conv = lambda c: {"type": "conv", "out_channels": c, "kernel": 3, "padding": 1, "bias": False}   # noqa: E731
    pool = {"type": "pool", "window": 2}
    layers = [conv(64), conv(64), pool, conv(128), conv(128), pool] + [conv(256)] * 3 + [pool] + \
        [conv(512)] * 3 + [pool] + [conv(512)] * 3 + [pool] + \
        [{"type": "dense", "out": 4096, "bias": False}] * 2 + [{"type": "dense", "out": 1000, "bias": False}]
    return {"input": [3, 224, 224], "layers": layers}


def test_vggnet_weights_of_cs231n():
    """CS231n's VGGNet in detail ("not counting biases", every layer): CONV3-64 "(3*3*3)*64 = 1,728",
    "(3*3*64)*64 = 36,864", CONV3-128 "(3*3*64)*128 = 73,728", "(3*3*128)*128 = 147,456", CONV3-256
    "(3*3*128)*256 = 294,912", "(3*3*256)*256 = 589,824", CONV3-512 "(3*3*256)*512 = 1,179,648", "(3*3*512)*512
    = 2,359,296", FC "7*7*512*4096 = 102,760,448", "4096*4096 = 16,777,216", "4096*1000 = 4,096,000",
    the output volumes [224x224x64] … [7x7x512], "TOTAL params: 138M parameters".  21 layers: beyond
    the default max_layers, raised as an operator would (--limit max_layers=21)."""
    part = _vgg16()
    with pytest.raises(SpecError, match=r"21 layers, more than 8 \(limit max_layers\)"):
        _solve(part)
    _, p = _solve(part, limits=replace(DEFAULT, max_layers=21))
    counts = [int(p.dec(f"l{l}.params")) for l in range(1, 22)]
    assert [c for c in counts if c] == [1728, 36864, 73728, 147456, 294912, 589824, 589824, 1179648] + \
        [2359296] * 5 + [102760448, 16777216, 4096000]
    assert [int(p.dec(f"l{l}.h")) for l in (2, 3, 6, 10, 14, 18)] == [224, 112, 56, 28, 14, 7]
    assert p.dec("l19.in") == 7 * 7 * 512
    assert round(int(p.dec("total")), -6) == 138_000_000


KERAS = {
    # keras-io guides/working_with_rnns (Keras's "Working with RNNs" guide), its model.summary() tables
    "Embedding, LSTM(128), Dense(10)": ({"layers": [{"type": "embedding", "vocabulary": 1000, "dim": 64},
                                                    {"type": "lstm", "hidden": 128}, {"type": "dense", "out": 10}]},
                                       [64000, 98816, 1290], 164106),
    # Keras's GRU counts two bias vectors per gate (reset_after=True, its default): bias: pytorch
    "Embedding, GRU(256), SimpleRNN(128), Dense(10)": (
        {"layers": [{"type": "embedding", "vocabulary": 1000, "dim": 64},
                    {"type": "gru", "hidden": 256, "bias": "pytorch"}, {"type": "rnn", "hidden": 128},
                    {"type": "dense", "out": 10}]}, [64000, 247296, 49280, 1290], 361866),
    "encoder LSTM(64) on 64 features, Dense(10)": ({"input": 64, "layers": [{"type": "lstm", "hidden": 64},
                                                                            {"type": "dense", "out": 10}]},
                                                   [33024, 650], 33674),
    "Bidirectional(LSTM(64)), Bidirectional(LSTM(32)), Dense(10) on (5, 10)": (
        {"input": 10, "layers": [{"type": "lstm", "hidden": 64, "bidirectional": True},
                                 {"type": "lstm", "hidden": 32, "bidirectional": True},
                                 {"type": "dense", "out": 10}]}, [38400, 41216, 650], 80266),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_keras_model_summaries(name):
    part, counts, total = KERAS[name]
    _, p = _solve(part)
    assert [p.dec(f"l{l}.params") for l in range(1, len(counts) + 1)] == counts
    assert p.dec("total") == total


# ---- the kind's own reference on random networks ----------------------------------------------

def random_part(rng: random.Random) -> dict:
    """A random network: a grid of convolutions and poolings, flattened (or not) into dense and
    recurrent layers, every option; sometimes without an input shape."""
    layers = []
    with_input = rng.random() < 0.8
    side = rng.randint(8, 40)
    part = {"input": [rng.randint(1, 4), side, rng.randint(8, 40)]} if with_input else {}
    if not with_input or rng.random() < 0.8:
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.6:
                conv = {"type": "conv", "out_channels": rng.randint(1, 32), "kernel": rng.choice([1, 3, [3, 2], 5]),
                        "stride": rng.choice([1, 1, 2, [2, 1]]), "padding": rng.choice([0, 1, [1, 0]])}
                if rng.random() < 0.3:
                    conv["bias"] = False
                if not layers and not with_input:
                    conv["in_channels"] = rng.randint(1, 3)
                layers.append(conv)
            elif layers or with_input:
                layers.append({"type": "pool", "window": rng.choice([2, 3]), "mode": rng.choice(["max", "average"])})
        if rng.random() < 0.5:
            layers.append({"type": "flatten"})
    if not layers:
        if rng.random() < 0.5:
            layers.append({"type": "embedding", "vocabulary": rng.randint(10, 5000), "dim": rng.randint(2, 64)})
            part.pop("input", None)
        else:
            part["input"] = rng.randint(1, 50)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["dense", "rnn", "lstm", "gru"])
        if kind == "dense":
            layer = {"type": "dense", "out": rng.randint(1, 200)}
            if rng.random() < 0.3:
                layer["bias"] = False
        else:
            layer = {"type": kind, "hidden": rng.randint(1, 64), "bias": rng.choice([True, False, "pytorch"]),
                     "bidirectional": rng.random() < 0.3}
        layers.append(layer)
    part["layers"] = layers[:8]
    return part


def _valid(seed: int) -> dict:
    rng = random.Random(seed)
    while True:
        part = random_part(rng)
        try:
            _solve(part)
            return part
        except SpecError:             # a window larger than its input, a recurrent layer after a grid …
            continue


RANDOM = [_valid(100 + i) for i in range(40)]


@pytest.mark.parametrize("i", range(len(RANDOM)))
def test_the_engine_counts_as_the_reference(i):
    part = RANDOM[i]
    _, p = _solve(part)
    want = R.solve(part)
    _agree(p, want)
    assert {n for n in p.entries if n.endswith(".params")} == {n for n in want if n.endswith(".params")}


def test_the_random_networks_cover_the_layers():
    types = {layer["type"] for part in RANDOM for layer in part["layers"]}
    assert types == {"conv", "pool", "flatten", "dense", "embedding", "rnn", "lstm", "gru"}
    assert any("input" not in part for part in RANDOM)
    assert any(layer.get("bidirectional") for part in RANDOM for layer in part["layers"])


# ---- the pages -------------------------------------------------------------------------------

STRESS = {
    "rounding": {"decimals": 3},
    "parts": [
        {"kind": "params", "title": "AlexNet's first layers", **TORCH[1]["part"]},
        {"kind": "params", "title": "Odd windows", **TORCH[2]["part"]},
        {"kind": "params", "title": "Recurrent layers", **TORCH[3]["part"]},
        {"kind": "params", "title": "Without an input shape", "text": "The sizes of every input are given.",
         "layers": [{"type": "conv", "in_channels": 3, "out_channels": 8, "kernel": [3, 5], "bias": False},
                    {"type": "pool", "window": 2}, {"type": "conv", "out_channels": 4, "kernel": 1},
                    {"type": "flatten", "name": "to a vector"}, {"type": "dense", "in": 100, "out": 10},
                    {"type": "gru", "input": 10, "hidden": 20, "bias": False}, {"type": "dense", "out": 1}]},
        {"kind": "params", "title": "Keras's bidirectional example", **KERAS[sorted(KERAS)[0]][0]},
        {"kind": "params", "title": "One layer", "input": 4, "layers": [{"type": "rnn", "hidden": 3}]},
    ],
}


def load_part(path: Path) -> dict:
    from generator.spec import parse_yaml
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name)
    return {k: v for k, v in data["parts"][0].items() if k not in ("kind", "id")}




@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("precision", [None, Precision("significant", 2), Precision("decimals", 1)],
                         ids=["spec", "sig2", "dec1"])
@pytest.mark.parametrize("which", ["starter", "stress"])
def test_every_line_checks_by_hand(which, precision, mode):
    spec = load_spec(FOLDER / "starter.yaml") if which == "starter" else spec_from_data(STRESS)
    policy = replace(spec.rounding, mode=mode, **({"default": precision} if precision else {}))
    assert _by_hand(spec, policy) >= (15 if which == "starter" else 55)


@pytest.mark.parametrize("mode", ["display", "carry"])
def test_counts_are_whole_numbers_never_rounded(mode):
    """At two significant figures every count and size is still written whole and with "=": each is
    made of given numbers only (61706, not 62000)."""
    spec = load_spec(FOLDER / "starter.yaml")
    policy = replace(spec.rounding, mode=mode, default=Precision("significant", 2))
    tex = render(spec, solve(spec, policy), "solution")
    assert r"\approx" not in tex.split(r"\section")[1]
    assert "= 61706}" in tex and "& $61706$" in tex and "400 \\cdot 120 + 120 = 48120" in tex


def test_sizes_the_spec_leaves_out_come_from_the_shape():
    _, p = _solve(STRESS["parts"][3] | {"kind": "params"})
    assert p.entries["l3.params"].operands == ("l3.kernel_h", "l3.kernel_w", "l1.c", "l3.c", "l3.c")
    assert p.dec("l3.params") == 1 * 1 * 8 * 4 + 4 and "l3.h" not in p.entries
    _, p = _solve(TORCH[0]["part"])
    assert p.entries["l5.in"].op == "product" and p.entries["l5.in"].operands == ("l3.c", "l4.h", "l4.w")
    assert p.entries["l6.params"].operands[0] == "l5.n"


def test_answers_and_labels():
    from generator.kinds import kind
    spec, p = _solve(TORCH[3]["part"])
    groups = kind("params").groups(spec.problems[0], p)
    assert groups["key"] == [f"l{l}.params" for l in range(1, 8)] + ["total"]
    assert groups["outputs"] == ["l3.n", "l5.n", "l6.n"]
    assert kind("params").is_key("total") and kind("params").is_key("l2.params") and not kind("params").is_key("l2.n")
    assert label("l2.gate", (), problem=p) == r"P_{2}^{\mathrm{gate}}"
    assert label("l5.direction", (), tex=False, problem=p) == "P5 per direction"
    assert label("total", (), tex=False, problem=p) == "P (total)"
    rows = dict(kind("params").given(spec.problems[0], p))
    assert rows["layer 3"] == "GRU, 16 hidden units, bidirectional, two bias vectors (b_ih, b_hh)"


@pytest.mark.parametrize("part, field, message", [
    ({"input": 10, "layers": [{"type": "dense", "out": 3}, {"type": "embedding", "vocabulary": 9, "dim": 2}]},
     "parts[0].layers[1].type", "an embedding takes word indices"),
    ({"input": [1, 8, 8], "layers": [{"type": "pool", "window": 2, "padding": 2}]}, "parts[0].layers[0].padding",
     "more than half the window"),
    ({"input": 10, "layers": [{"type": "conv", "out_channels": 2, "kernel": 3}]}, "parts[0].layers[0].type",
     "takes channels × height × width"),
    ({"input": [1, 8, 8], "layers": [{"type": "pool", "window": 2, "kernel": 2}]}, "parts[0].layers[0].kernel",
     "give the window once"),
    ({"input": 10, "layers": [{"type": "lstm", "hidden": 4, "input": 12}]}, "parts[0].layers[0].input",
     "expected 10 input features (the network's input), got 12"),
    ({"input": [1, 2, 3, 4], "layers": [{"type": "flatten"}]}, "parts[0].input", "got a list of 4"),
])
def test_one_line_errors_name_the_field(part, field, message):
    with pytest.raises(SpecError) as err:
        _solve(part)
    text = str(err.value)
    assert field in text and message in text and "\n" not in text, text


@needs_tex
@pytest.mark.parametrize("what", ["solution", "question"])
def test_the_stress_pages_are_legible(what, tmp_path):
    spec = spec_from_data(STRESS)
    pdf = tmp_path / f"params-{what}.pdf"
    compile_pdf(render(spec, solve(spec), what), pdf)
    assert problems(pdf) == []


def test_an_input_of_height_and_width_has_one_channel():
    layers = [{"type": "conv", "out_channels": 2, "kernel": 3}, {"type": "dense", "out": 4}]
    _, p = _solve({"input": [28, 28], "layers": layers})
    _, q = _solve({"input": [1, 28, 28], "layers": layers})
    assert {n: q.dec(n) for n in q.entries} == {n: p.dec(n) for n in p.entries}
    assert p.dec("l1.params") == 3 * 3 * 1 * 2 + 2 and p.dec("l2.in") == 2 * 26 * 26
