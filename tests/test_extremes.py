"""Extreme values for every kind (property-based): each kind's starter spec, its numbers replaced
by huge, tiny and zero values (learning rates, ε = 0 where allowed, many iterations within the
limits, every optimizer), in both rounding modes and both precision styles.  Whatever is drawn
either solves and renders to LaTeX, or fails with a ``DryrunError`` of one line: never another
exception.  The kinds come from the registry (``kinds.KINDS``) and the spec of each from its
starter (``generator/kinds/<kind>/starter.yaml``), so a new kind is tested without a change here."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import starter as starter_path
from generator.divergence import divergences, warning
from generator.errors import DryrunError, TemplateError
from generator.kinds import KINDS
from generator.kinds.network.schema import OPTIMIZERS
from generator.limits import DEFAULT
from generator.render import render
from generator.solve import solve
from generator.spec import parse_yaml, spec_from_data

#: Numbers that shape an exercise rather than feed its arithmetic (drawn separately or kept).
STRUCTURAL = {"stride", "padding", "window", "units", "batch_size", "iterations"}

EXTREME = st.sampled_from([0, 0.0, 1, -1, 1e12, -1e12, 1e-12, -1e-12, 1e6, -1e6, 1e-6, -1e-6,
                           1e-300, -1e-300, 999999.999999, 0.5, 1e-4, 0.99995, 35, -35, 700, -700])
NUMBER = st.one_of(EXTREME, st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False))
POSITIVE = st.sampled_from([1e12, 1e6, 1e-12, 1e-300, 1e-6, 0.5, 1, 10])


def starter(kind: str) -> dict:
    """The starter spec of ``kind`` as data."""
    return parse_yaml(starter_path(kind).read_text(encoding="utf-8"), f"{kind}.yaml")


def numbers_of(value, path=()):
    """The paths of the numbers of ``value`` (a YAML tree) that feed the arithmetic."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in STRUCTURAL and k != "rounding":
                yield from numbers_of(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from numbers_of(v, path + (i,))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path


def put(data, path, value):
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def exercise(data) -> dict:
    """The mapping of the (first) exercise: ``network`` or ``parts[0]``."""
    return data["network"] if "network" in data else data["parts"][0]


ROUNDING = st.builds(
    lambda mode, style, digits: {"mode": mode, style: digits if style == "decimals" else max(1, digits)},
    st.sampled_from(["display", "carry"]), st.sampled_from(["decimals", "significant"]), st.integers(0, 6))


@st.composite
def extreme_specs(draw, kind: str):
    data = copy.deepcopy(starter(kind))
    data.pop("randomize", None)
    for path in numbers_of(data):
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        if draw(st.booleans()):                          # about half the numbers stay as given
            continue
        if key in ("learning_rate",):
            put(data, path, draw(POSITIVE))
        elif key == "epsilon":                           # ε = 0 where the schema allows it
            put(data, path, draw(st.sampled_from([0, 1e-12, 1e12, 1e-300])))
        else:
            put(data, path, draw(NUMBER))
    part = exercise(data)
    if "iterations" in part:                             # many iterations, within the limits
        part["iterations"] = draw(st.sampled_from([1, 2, DEFAULT.max_iterations]))
    if kind == "network":
        name = draw(st.sampled_from(sorted(OPTIMIZERS)))  # every optimizer of the table
        part["optimizer"] = {"name": name}
        for key in OPTIMIZERS[name]:                      # its settings: extreme where valid
            if draw(st.booleans()):
                part["optimizer"][key] = draw(POSITIVE if key in ("epsilon", "weight_decay")
                                              else st.sampled_from([0, 0.5, 0.999999]))
    data["rounding"] = draw(ROUNDING)
    return data


def solve_and_render(data):
    """Validate, solve and render to LaTeX; a refusal must be one clean line."""
    try:
        spec = spec_from_data(data)
        trace = solve(spec)
        for what in ("question", "solution"):
            tex = render(spec, trace, what)
            assert "\\end{document}" in tex
        warning(divergences(trace, trace.rounding), trace.rounding)
        trace.to_json()
    except DryrunError as e:
        text = str(e)
        assert text and "\n" not in text and "Traceback" not in text, text
        assert not isinstance(e, TemplateError), text     # a valid spec never breaks a template
        return type(e).__name__
    return "ok"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_starter(kind):
    assert solve_and_render(starter(kind)) == "ok"


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_extreme_values_solve_or_fail_in_one_line(kind, data):
    solve_and_render(data.draw(extreme_specs(kind)))
