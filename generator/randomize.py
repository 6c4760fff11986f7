"""The ``randomize:`` section of a spec: where values are drawn (paths into the spec), from which
distributions, under which constraints.  Drawing and checking a solved variant is
``generator.variants``; this module only reads the section and fills in values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .errors import SpecError

CONSTRAINTS = ("no_dead_relu", "dead_relu", "sigmoid_output_within", "loss_decreases",
               "max_abs_value", "nonzero_gradients")


@dataclass(frozen=True)
class Draw:
    """One distribution: ``kind`` 'multiples' (step, lo, hi, nonzero), 'integers' (lo, hi, nonzero)
    or 'choices' (values)."""
    kind: str
    args: tuple

    def sample(self, rng: np.random.Generator):
        if self.kind == "choices":
            return self.args[int(rng.integers(len(self.args)))]
        if self.kind == "integers":
            lo, hi, nonzero = self.args
            return _pick(rng, lo, hi, nonzero)
        step, lo, hi, nonzero = self.args          # Decimals: exact grid values, no float noise
        first, last = _grid_range(step, lo, hi)
        value = step * _pick(rng, first, last, nonzero)
        return int(value) if value == value.to_integral_value() else float(value)


def _pick(rng, first: int, last: int, nonzero: bool) -> int:
    """A uniform whole number in [first, last], leaving 0 out when ``nonzero``; no list is built."""
    skip = nonzero and first <= 0 <= last
    k = first + int(rng.integers(last - first + 1 - skip))
    return k + 1 if skip and k >= 0 else k


def _grid_range(step, lo, hi):
    """The first and last k with lo ≤ k·step ≤ hi."""
    from decimal import ROUND_CEILING, ROUND_FLOOR
    return (int((lo / step).to_integral_value(ROUND_CEILING)),
            int((hi / step).to_integral_value(ROUND_FLOOR)))


def _draw(value, field) -> Draw:
    from .validate import mapping, number

    m = mapping(value, field, ("multiples", "min", "max", "integers", "choices", "nonzero"))
    from .validate import flag
    nonzero = flag(m.get("nonzero", False), f"{field}.nonzero")
    if "choices" in m:
        c = m["choices"]
        if not isinstance(c, list) or not c or len(c) > 1000:
            raise SpecError("expected a list of 1 to 1000 values", field=f"{field}.choices")
        return Draw("choices", tuple(number(v, f"{field}.choices[{i}]") for i, v in enumerate(c)))
    if "integers" in m:
        r = m["integers"]
        if not isinstance(r, list) or len(r) != 2:
            raise SpecError("expected [low, high]", field=f"{field}.integers")
        lo, hi = (number(v, f"{field}.integers", integer=True) for v in r)
        if lo > hi or (nonzero and lo == hi == 0):
            raise SpecError(f"empty range [{lo}, {hi}]", field=f"{field}.integers")
        return Draw("integers", (lo, hi, nonzero))
    if "multiples" in m:
        step = Decimal(repr(number(m["multiples"], f"{field}.multiples", positive=True)))
        lo = Decimal(repr(number(m.get("min", -1), f"{field}.min")))
        hi = Decimal(repr(number(m.get("max", 1), f"{field}.max")))
        first, last = _grid_range(step, lo, hi)
        if lo > hi or last - first < (1 if nonzero and first <= 0 <= last else 0):
            raise SpecError(f"no multiple of {step} in [{lo}, {hi}]", field=field)
        return Draw("multiples", (step, lo, hi, nonzero))
    raise SpecError("give one of 'multiples' (with min, max), 'integers' or 'choices'", field=field)


_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _steps(path: str, field: str):
    steps = []
    for part in path.split("."):
        tokens = list(_PATH.finditer(part))
        if not tokens or "".join(t.group(0) for t in tokens) != part:
            raise SpecError(f"bad path '{path}'", field=field)
        steps += [t.group(1) if t.group(1) else int(t.group(2)) for t in tokens]
    return steps


def locate(data, steps, field):
    node = data
    for s in steps[:-1]:
        try:
            node = node[s]
        except (KeyError, IndexError, TypeError):
            raise SpecError(f"no such place in the spec: {s!r}", field=field) from None
    last = steps[-1]
    try:
        if not isinstance(node, (dict, list)):
            raise TypeError
        node[last]
    except (KeyError, IndexError, TypeError):
        raise SpecError(f"no such place in the spec: {last!r}", field=field) from None
    return node, last


def fill(shape_like, draw, rng):
    if isinstance(shape_like, list):
        return [fill(v, draw, rng) for v in shape_like]
    return draw.sample(rng)


@dataclass(frozen=True)
class Randomizer:
    values: tuple            # ((path steps, Draw), ...)
    constraints: tuple       # ((name, argument), ...)
    max_attempts: int

    def check_paths(self, data: dict) -> None:
        """Every path names a place that exists in the spec."""
        for steps, _ in self.values:
            path = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps).lstrip(".")
            locate(data, steps, f"randomize.values.{path}")

    def fingerprint(self, data: dict) -> str:
        """The drawn values of a variant's data: two variants with the same fingerprint are the
        same exercise."""
        return repr([locate(data, steps, "randomize")[0][locate(data, steps, "randomize")[1]]
                     for steps, _ in self.values])


def parse_randomize(value, field="randomize", limits=None) -> Randomizer:
    from .limits import DEFAULT
    limits = limits or DEFAULT
    from .validate import choice, mapping, number

    m = mapping(value, field, ("values", "constraints", "max_attempts"), ("values",))
    vals = m["values"]
    if not isinstance(vals, dict) or not vals:
        raise SpecError("expected a mapping: path -> distribution", field=f"{field}.values")
    for path in vals:
        if not isinstance(path, str):
            raise SpecError(f"'{path}' is not a path such as network.input", field=f"{field}.values")
    values = tuple((_steps(path, f"{field}.values"), _draw(d, f"{field}.values.{path}"))
                   for path, d in vals.items())
    constraints = []
    raw = m.get("constraints") or []
    if not isinstance(raw, list):
        raise SpecError("expected a list", field=f"{field}.constraints")
    for i, c in enumerate(raw):
        f = f"{field}.constraints[{i}]"
        if isinstance(c, dict) and len(c) == 1:
            name, arg = next(iter(c.items()))
        else:
            name, arg = c, None
        name = choice(name, f, CONSTRAINTS)
        if name == "dead_relu":
            arg = number(arg, f, integer=True, nonnegative=True)
        elif name == "sigmoid_output_within":
            if not isinstance(arg, list) or len(arg) != 2:
                raise SpecError("expected [low, high]", field=f)
            arg = (number(arg[0], f), number(arg[1], f))
        elif name == "max_abs_value":
            arg = number(arg, f, positive=True)
        elif arg is not None:
            raise SpecError(f"'{name}' takes no argument", field=f)
        constraints.append((name, arg))
    attempts = number(m.get("max_attempts", 200), f"{field}.max_attempts", integer=True, positive=True)
    if attempts > limits.max_attempts:
        raise SpecError(f"at most {limits.max_attempts} (limit max_attempts)", field=f"{field}.max_attempts")
    return Randomizer(values, tuple(constraints), attempts)
