"""Every printed line checks by hand: the rendered .tex of every spec (both modes) and of random
networks (carry mode, decimals and significant figures) is read back by ``tests.handcheck``, which
recomputes each displayed chain from its printed numbers alone."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest

from generator.errors import SpecError
from generator.numbers import Precision
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec, spec_from_data
from tests.conftest import SPECS
from tests.handcheck import check_tex

SPEC_FILES = sorted(SPECS.glob("*.yaml")) + sorted((SPECS.parent / "examples").glob("*.yaml"))
ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")
#: Specs with fewer lines to check than the 20 of a training exercise: a forward pass of two layers
#: and its loss has five (z and a of each layer, the loss).
FEWER_LINES = {"forward-only": 5}


def checked(spec, policy) -> int:
    """Render the solution under ``policy`` and hand-check it; the number of relations checked."""
    tex = render(spec, solve(spec, policy), "solution")
    report = check_tex(tex, policy.mode)
    assert not report.failures, "\n".join(
        f"{f.left} {f.rel} {f.right}: {f.why}  [in: {f.line[:160]}]" for f in report.failures[:10])
    return report.checked


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_spec_checks_by_hand(path, mode):
    spec = load_spec(path)
    assert checked(spec, replace(spec.rounding, mode=mode)) >= FEWER_LINES.get(path.stem, 20)


def _value(rng, step=Fraction(1, 10), span=10):
    """A short decimal: a multiple of ``step`` in [−span·step, span·step]."""
    return float(rng.randint(-span, span) * step)


def random_network(rng: random.Random) -> dict:
    """Plain data of a random small network: every activation and loss, batches, frozen
    parameters, 1–3 iterations, both notations."""
    loss = rng.choice(("sse", "half_sse", "mse", "half_mse", "square", "bce", "cce"))
    n_in = rng.randint(1, 3)
    depth = rng.randint(1, 3)
    units = [rng.randint(1, 3) for _ in range(depth)]
    if loss == "cce":
        units[-1] = max(2, units[-1])
    batch = rng.random() < 0.4
    m = rng.randint(2, 3) if batch else 1
    layers, prev = [], n_in
    for i, u in enumerate(units):
        last = i == depth - 1
        act = ("sigmoid" if loss == "bce" else "softmax" if loss == "cce" else rng.choice(ACTIVATIONS)) \
            if last else rng.choice(ACTIVATIONS)
        layer = {"activation": act, "weights": [[_value(rng) for _ in range(prev)] for _ in range(u)]}
        if rng.random() < 0.8:
            layer["bias"] = [_value(rng) for _ in range(u)]
        if act == "leaky_relu":
            layer["slope"] = rng.choice((0.01, 0.1, 0.2))
        if rng.random() < 0.15:
            layer["freeze"] = rng.choice((["weights"], ["bias"], True))
        layers.append(layer)
        prev = u
    n_out = units[-1]
    x = [[_value(rng) for _ in range(m)] for _ in range(n_in)] if batch else [_value(rng) for _ in range(n_in)]
    net = {"input": x, "layers": layers, "loss": loss, "learning_rate": rng.choice((0.1, 0.5, 1, 0.05)),
           "iterations": rng.randint(1, 3), "relu_grad_at_zero": rng.choice((0, 0.5, 1))}
    if loss in ("bce", "cce"):
        if loss == "bce":
            y = [[float(rng.randint(0, 1)) for _ in range(m)] for _ in range(n_out)]
        else:
            y = [[0.0] * m for _ in range(n_out)]
            for s in range(m):
                y[rng.randrange(n_out)][s] = 1.0
        net["target"] = y if batch else [r[0] for r in y]
    elif loss != "square":
        y = [[_value(rng) for _ in range(m)] for _ in range(n_out)]
        net["target"] = y if batch else [r[0] for r in y]
    if not batch and rng.random() < 0.3 and loss != "cce" and all(l["activation"] != "softmax" for l in layers):
        net["notation"] = "scalar"
    return net


def _policies(rng):
    digits = rng.randint(2, 4)
    decimals = {"mode": "carry", "decimals": digits, "trailing_zeros": rng.random() < 0.5}
    if rng.random() < 0.5:
        decimals["kinds"] = {"activation": {"decimals": digits - 1 if digits > 2 else digits}}
    sig = {"mode": "carry", "significant": rng.randint(2, 4), "decimal_comma": rng.random() < 0.3}
    return decimals, sig


def _solvable(data):
    try:
        spec = spec_from_data(data)
        solve(spec)
        return spec
    except SpecError:         # a carried sigmoid that rounds to 1 under BCE, say
        return None


def test_random_networks_check_by_hand_in_carry_mode():
    rng = random.Random(20261122)
    networks = total = 0
    while networks < 40:
        net = random_network(rng)
        for rounding in _policies(rng):
            spec = _solvable({"rounding": rounding, "network": net})
            if spec is None:
                continue
            total += checked(spec, spec.rounding)
            networks += 1
    print("relations checked:", total)
    assert total > 2000, total


def test_random_networks_check_by_hand_in_display_mode():
    rng = random.Random(7)
    total = 0
    for _ in range(12):
        spec = _solvable({"network": random_network(rng)})
        if spec is not None:
            total += checked(spec, spec.rounding)
    assert total > 300, total


def test_the_checker_fails_on_a_wrong_printed_line():
    spec = load_spec(SPECS / "seed004.yaml")
    tex = render(spec, solve(spec), "solution")
    assert "0.1 - 0.1 \\cdot 0.0034 \\approx 0.0997" in tex
    for wrong in ("0.1 - 0.1 \\cdot 0.0034 \\approx 0.0998", "0.1 - 0.1 \\cdot 0.0034 = 0.0997"):
        report = check_tex(tex.replace("0.1 - 0.1 \\cdot 0.0034 \\approx 0.0997", wrong, 1), "carry")
        assert len(report.failures) == 1, wrong


def test_a_checker_that_checks_nothing_fails():
    assert check_tex(r"\eqbox{z^{(1)} = W^{(1)} x}", "carry").checked == 0


KINK = """
network:
  input: [1, -2]
  target: [0.5, -0.5]
  layers:
    - {activation: leaky_relu, slope: 0.1, weights: [[0.5, 0.3], [-0.4, 0.6]], bias: [0.1, -0.1]}
    - {activation: leaky_relu, slope: 0.1, weights: [[0.7, -0.2], [0.3, 0.9]], bias: [0, 0.2]}
  loss: half_sse
  learning_rate: 0.1
  iterations: 1
  relu_grad_at_zero: 0
"""


def test_a_kink_at_an_exact_zero_follows_the_convention(write_spec):
    # z1 = 0.5·1 + 0.3·(−2) + 0.1 is exactly 0 (2.8e−17 in binary floats)
    spec = load_spec(write_spec(KINK))
    t = solve(spec).problem()
    assert t.dec("it1.z1")[0] == 0 and t.dec("it1.g1")[0] == 0
    assert t["it1.W1"][0].tolist() == [0.5, 0.3] and t["it1.b1"][0] == 0.1
    tex = render(spec, solve(spec), "solution")
    assert r"= \begin{bmatrix} 0.0 \\ -1.7 \end{bmatrix}" in tex      # exactly 0, printed "="
    assert checked(spec, spec.rounding) >= 20


def _exact_z(W, x, b):
    return [sum(Fraction(repr(w)) * Fraction(repr(v)) for w, v in zip(row, x)) + Fraction(repr(c))
            for row, c in zip(W, b)]


@pytest.mark.parametrize("seed", range(12))
def test_random_exact_zeros_at_kinks(seed):
    """Drawn on purpose: a unit of the first (ReLU or leaky ReLU) layer whose pre-activation is
    exactly 0 from decimal data; its derivative is the stated convention, in both modes."""
    rng = random.Random(seed)
    n_in, units = rng.randint(2, 4), rng.randint(1, 3)
    x = [_value(rng) for _ in range(n_in)]
    W = [[_value(rng) for _ in range(n_in)] for _ in range(units)]
    b = [_value(rng) for _ in range(units)]
    k = rng.randrange(units)
    b[k] = -float(sum(Fraction(repr(w)) * Fraction(repr(v)) for w, v in zip(W[k], x)))
    act = rng.choice(("relu", "leaky_relu"))
    r0 = rng.choice((0, 0.5, 1))
    first = {"activation": act, "weights": W, "bias": b}
    net = {"input": x, "target": [0.5], "loss": "half_sse", "learning_rate": 0.1, "iterations": 1,
           "relu_grad_at_zero": r0,
           "layers": [first, {"activation": "identity", "weights": [[_value(rng) or 0.3 for _ in range(units)]]}]}
    z = _exact_z(W, x, b)
    assert z[k] == 0
    for mode in ("display", "carry"):
        spec = spec_from_data({"rounding": {"mode": mode}, "network": net})
        t = solve(spec).problem()
        for j, zj in enumerate(z):
            want = 1 if zj > 0 else Fraction(str(r0)) if zj == 0 else (Fraction("0.01") if act == "leaky_relu" else 0)
            assert Fraction(t.dec("it1.z1")[j]) == zj
            assert Fraction(t.dec("it1.g1")[j]) == want
        checked(spec, spec.rounding)


REGRESSIONS = {
    # entry-by-entry products (inputs × samples > 9): each entry's own relation
    "entry_by_entry": """
network:
  input: [[1, 0.5, 0, 1], [1, -0.5, 1, 0], [0, 1, 1, 1]]
  target: [[0.5, 0.1, 0.2, 0.9]]
  layers:
    - {activation: relu, weights: [[0.88, -0.37, 0.4], [0.2, 0.3, -0.1]], bias: [0.01, 0.02]}
    - {activation: sigmoid, weights: [[0.5, -0.5]], bias: [0]}
  loss: half_sse
  learning_rate: 0.5
  iterations: 1
""",
    # display mode with per-kind precisions: ReLU(0.3) of a z shown rounded is not "= 0.26"
    "relu_display_kinds": """
rounding: {decimals: 1, kinds: {activation: 2}}
network:
  input: [0.5, 0.16]
  target: [0.3]
  layers:
    - {activation: relu, weights: [[0.4, 0.375]], bias: [0]}
  loss: half_sse
  learning_rate: 0.1
  iterations: 1
""",
    # frozen parameters keep their given value in carry mode
    "frozen_carry": """
rounding: {mode: carry, decimals: 1}
network:
  input: [1, 0.5]
  target: [0.3]
  layers:
    - {activation: tanh, weights: [[0.123, -0.456], [0.25, 0.75]], bias: [0.05, 0], freeze: true}
    - {activation: identity, weights: [[0.5, -0.5]], bias: [0.1]}
  loss: half_sse
  learning_rate: 0.1
  iterations: 2
""",
    # max pooling with padding and ties, a convolution with a bias, in display mode at 1 decimal
    "pool_conv_display": """
rounding: {decimals: 1}
parts:
  - kind: pool
    mode: max
    input: [[0.15, 0.25, -1], [0.05, -0.35, 2], [1, 0.5, 0.25]]
    window: 2
    stride: 2
    padding: 1
    upstream: [[1, 2], [3, 4]]
  - kind: pool
    mode: average
    input: [[0.25, -0.44], [0.3, 0.15]]
    window: 2
    upstream: [[0.5]]
  - kind: conv
    input: [[0.5, 0.25], [1, -0.5]]
    kernel: [[0.5, 0.5], [0.25, 1]]
    bias: 0.1
    upstream: [[0.25]]
""",
}


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regressions_check_by_hand(write_spec, name, mode):
    spec = load_spec(write_spec(REGRESSIONS[name]))
    assert checked(spec, replace(spec.rounding, mode=mode)) >= 5


def test_frozen_parameters_are_never_rounded(write_spec):
    spec = load_spec(write_spec(REGRESSIONS["frozen_carry"]))
    t = solve(spec).problem()
    assert t["final.W1"].tolist() == [[0.123, -0.456], [0.25, 0.75]] and t["final.b1"].tolist() == [0.05, 0]
