"""Checks shared by every exercise kind's schema: each returns the validated value or raises a
SpecError naming the field (``network.layers[0].weights``)."""

from __future__ import annotations

import difflib
import re

import numpy as np

from .errors import SpecError

_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")



def mapping(value, field: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"expected a mapping, got {typename(value)}", field=field)
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(allowed)})"
            raise SpecError(f"unknown key '{key}'{more}", field=field)
    for key in required:
        if key not in value:
            raise SpecError(f"missing required key '{key}'", field=field)
    return value


def join(field: str, key) -> str:
    return f"{field}[{key}]" if isinstance(key, int) else (f"{field}.{key}" if field else key)


def typename(v) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            type(None): "nothing"}.get(type(v), type(v).__name__)


def number(value, field: str, *, positive=False, nonnegative=False, integer=False) -> float:
    if isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"expected a number, got {typename(value)} {short(value)}", field=field)
    if value != value or value in (float("inf"), float("-inf")):
        raise SpecError(f"expected a finite number, got {value}", field=field)
    if abs(value) > 1e12:
        raise SpecError(f"number {value} is too large (limit 1e12)", field=field)
    if integer and float(value) != int(value):
        raise SpecError(f"expected a whole number, got {value}", field=field)
    if positive and value <= 0:
        raise SpecError(f"must be greater than 0, got {value}", field=field)
    if nonnegative and value < 0:
        raise SpecError(f"must not be negative, got {value}", field=field)
    return int(value) if integer else float(value)


def short(v) -> str:
    r = repr(v)
    return f"({r[:40]}…)" if len(r) > 40 else f"({r})"


def vector(value, field: str) -> np.ndarray:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return np.array([number(value, field)])
    if not isinstance(value, list) or not value:
        raise SpecError(f"expected a list of numbers, got {typename(value)}", field=field)
    return np.array([number(v, join(field, i)) for i, v in enumerate(value)], dtype=float)


def matrix(value, field: str) -> np.ndarray:
    """A list of rows.  A flat list is one row."""
    if value == []:
        raise SpecError("expected a matrix (a list of rows), got an empty list", field=field)
    if not isinstance(value, list):
        raise SpecError(f"expected a matrix (a list of rows), got {typename(value)}", field=field)
    if not any(isinstance(r, list) for r in value):
        return vector(value, field)[None, :]
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list):
            raise SpecError(f"expected a row (a list of numbers), got {typename(row)}", field=join(field, i))
        rows.append(vector(row, join(field, i)))
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise SpecError(f"rows have different lengths {sorted(widths)}", field=field)
    return np.array(rows)


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def shape_text(a: np.ndarray) -> str:
    return "×".join(str(n) for n in a.shape)


def choice(value, field: str, options, aliases=None) -> str:
    if not isinstance(value, str):
        raise SpecError(f"expected one of {', '.join(options)}, got {typename(value)}", field=field)
    key = value.strip().lower().replace("-", "_")
    key = (aliases or {}).get(key, key)
    if key not in options:
        hint = difflib.get_close_matches(key, list(options), n=1)
        more = f"; did you mean '{hint[0]}'?" if hint else ""
        raise SpecError(f"unknown value '{value}' (known: {', '.join(options)}){more}", field=field)
    return key


def text(value, field: str, limit: int = 20_000) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise SpecError(f"expected text, got {typename(value)}", field=field)
    if len(value) > limit:
        raise SpecError(f"text longer than {limit} characters", field=field)
    from .latex import untypesettable
    bad = untypesettable(value)
    if bad is not None:
        raise SpecError(f"the character '{bad}' (U+{ord(bad):04X}) cannot be typeset here "
                        "(Latin letters, Greek letters and common symbols can)", field=field)
    return value


def flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"expected true or false, got {typename(value)}", field=field)
    return value


def ident(value, field: str) -> str:
    """An exercise's id: letters, digits, '-' and '_' (it names files and trace prefixes)."""
    out = text(value, field, 40)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", out):
        raise SpecError("use letters, digits, '-' and '_' only", field=field)
    return out


def integer(value, field: str, low: int, high: int) -> int:
    """A whole number in [low, high]."""
    v = number(value, field, integer=True)
    if not low <= v <= high:
        raise SpecError(f"must be between {low} and {high}, got {v}", field=field)
    return v


def grid(value, field, limits, *, channels=False) -> np.ndarray:
    """A 2-D grid, or (channels) a list of 2-D grids of the same shape."""
    if channels and isinstance(value, list) and value and all(
            isinstance(r, list) and r and all(isinstance(c, list) for c in r) for r in value):
        if len(value) > limits.max_units:
            raise SpecError(f"more than {limits.max_units} channels (limit max_units)", field=field)
        grids = [grid(g, join(field, i), limits) for i, g in enumerate(value)]
        if len({g.shape for g in grids}) > 1:
            raise SpecError("all channels must have the same shape", field=field)
        return np.stack(grids)
    g = matrix(value, field)
    if max(g.shape) > limits.max_grid:
        raise SpecError(f"grid larger than {limits.max_grid}×{limits.max_grid} ({g.shape[0]}×{g.shape[1]}; "
                        "limit max_grid)", field=field)
    return g[None] if channels else g


def positions(n, k, s, p, field):
    """How many positions a window of size k takes with stride s over n entries padded by p."""
    span = n + 2 * p - k
    if span < 0:
        raise SpecError(f"the window ({k}) is larger than the padded input ({n + 2 * p})", field=field)
    return span // s + 1


def per_feature(value, field: str, features: int, default) -> np.ndarray:
    """One number per feature (γ, β of a normalization): a list, one number for every feature, or
    ``default`` when absent."""
    if value is None:
        return np.full(features, float(default))
    v = vector(value, field)
    if v.size == 1 and features > 1:
        return np.full(features, v[0])
    if v.size != features:
        raise SpecError(f"expected {features} entries (one per feature), got {v.size}", field=field)
    return v


def upstream(value, field, shape):
    """A given upstream gradient of the output's shape (a matrix, or 'ones'), or None."""
    if value is None:
        return None
    if value == "ones":
        return np.ones(shape)
    u = matrix(value, field)
    if u.shape != shape:
        raise SpecError(f"must be {shape[0]}×{shape[1]} like the output, got {u.shape[0]}×{u.shape[1]}",
                        field=field)
    return u


def iterations(value, field: str, limits, what: str = "iterations") -> int:
    """The number of gradient-descent iterations (or of optimizer ``what``: steps): a whole number
    from 1 to limits.max_iterations."""
    n = number(value, field, integer=True)
    if n < 1:
        raise SpecError(f"must be at least 1, got {n}", field=field)
    if n > limits.max_iterations:
        raise SpecError(f"{n} {what}, more than {limits.max_iterations} (limit max_iterations)", field=field)
    return n


def shaped(value, field: str, shape: tuple, what: str) -> np.ndarray:
    """A matrix of exactly ``shape`` (rows, columns); ``what`` names its rows and columns for the
    error (``units × input features``)."""
    a = matrix(value, field)
    if a.shape != tuple(shape):
        raise SpecError(f"must be {shape[0]}×{shape[1]} ({what}), got {shape_text(a)}", field=field)
    return a


def sized(value, field: str, n: int, what: str, default: float = 0) -> np.ndarray:
    """A vector of exactly ``n`` entries (``what``: one per unit …); absent, ``default`` in each."""
    if value is None:
        return np.full(n, float(default))
    v = vector(value, field)
    if v.size != n:
        raise SpecError(f"expected {plural(n, 'entry', 'entries')} ({what}), got {v.size}", field=field)
    return v


def sequence(value, field: str, max_steps, max_features) -> np.ndarray:
    """The inputs x_1 … x_T of a recurrent exercise, one row per time step (T × d); a flat list of
    T numbers is T steps of one feature each.  A maximum is a number, or (number, the limit that
    sets it: ``limits.bound``), which the refusal names."""
    if isinstance(value, list) and value and not any(isinstance(r, list) for r in value):
        value = [[v] for v in value]
    x = matrix(value, field)
    (steps, steps_limit), (features, features_limit) = (m if isinstance(m, tuple) else (m, None)
                                                        for m in (max_steps, max_features))
    if x.shape[0] > steps:
        named = f"limit {steps_limit}; " if steps_limit else ""
        raise SpecError(f"{x.shape[0]} time steps, more than {steps} ({named}one row per step)", field=field)
    if x.shape[1] > features:
        named = f" (limit {features_limit})" if features_limit else ""
        raise SpecError(f"{x.shape[1]} input features per step, more than {features}{named}", field=field)
    return x
