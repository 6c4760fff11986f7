"""How many digits a display-mode line must print its operands with.

In display mode every value is computed at full precision and rounded only where it is printed, and
the document promises that recomputing a line from its printed operands may differ from its printed
result in the last digit, and no more.  A line whose result is more precise than its operands (a
difference that cancels, a quotient by a small number, a square root, a value at significant
figures whose mantissa grows) would break that promise at the operands' own precision.

The rule: a line prints its rounded operands with ``e`` more digits than their kinds' precision (the
same ``e`` for every rounded operand of the line; given and exact values print as they are), ``e``
the least number (0 for almost every line) for which every entry of the result, recomputed from the
operands as printed, is within one unit of the last digit of the printed result (rounded like it,
it is the printed result or next to it).  Carry mode never needs it: there the printed operand is the carried value.

Nothing here is printed: it only decides a number of digits, by recomputing the line's formula on
the printed operands (``FORMULAS``, named by their shape, in the order the line prints them)."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np

from .numbers import Precision, RoundingPolicy, round_decimal


def _sqrt(x):
    return x.sqrt() if isinstance(x, Decimal) else np.vectorize(lambda v: v.sqrt(), otypes=[object])(x)


def _each(f):
    """``f`` of a Decimal, entry by entry on an array."""
    return lambda x: f(x) if isinstance(x, Decimal) else np.vectorize(f, otypes=[object])(x)


_exp = _each(lambda v: v.exp())
_ln = _each(lambda v: v.ln())
_sigma = _each(lambda v: 1 / (1 + (-v).exp()))
_tanh = _each(lambda v: 1 - 2 / ((2 * v).exp() + 1))


def _outer(a, b):
    return np.multiply.outer(np.ravel(np.asarray(a, dtype=object)), np.ravel(np.asarray(b, dtype=object)))


#: The formulas of the lines, by shape; the operands in the order the line prints them.
FORMULAS = {
    "a*b": lambda a, b: a * b,
    "a-b": lambda a, b: a - b,
    "2(a-b)": lambda a, b: 2 * (a - b),
    "(a-b)^2": lambda a, b: (a - b) * (a - b),
    "a-b*a": lambda a, b: a - b * a,
    "a*b+c": lambda a, b, c: a * b + c,
    "a+b*c": lambda a, b, c: a + b * c,
    "a*b+c*d": lambda a, b, c, d: a * b + c * d,
    "a*b^2": lambda a, b: a * b * b,
    "a^2": lambda a: a * a,
    "a+b^2": lambda a, b: a + b * b,
    "a*b+c*d^2": lambda a, b, c, d: a * b + c * d * d,
    "b/a": lambda a, b: b / a,
    "sqrt(a)+b": lambda a, b: _sqrt(a) + b,
    "a*b/c": lambda a, b, c: a * b / c,
    "a-b*c": lambda a, b, c: a - b * c,
    "sum(a*b)": lambda a, b: (a * b).sum(),
    "sum(a*b)+c": lambda a, b, c: (a * b).sum() + c,
    "a*b*c": lambda a, b, c: a * b * c,
    "1-a^2": lambda a: 1 - a * a,
    "a*(1-a)": lambda a: a * (1 - a),
    "exp(a)": _exp,
    "ln(a)": _ln,
    "sigma(a)": _sigma,
    "tanh(a)": _tanh,
    "outer(a,b)": _outer,
    "a@b^T": lambda a, b: np.dot(np.asarray(a, dtype=object), np.asarray(b, dtype=object).T),
    "a+b": lambda a, b: a + b,
    "a/b": lambda a, b: a / b,
    "a@b": lambda a, b: np.dot(np.asarray(a, dtype=object), np.asarray(b, dtype=object)),
    "a@b+c": lambda a, b, c: np.dot(np.asarray(a, dtype=object), np.asarray(b, dtype=object)) + c,
    "a^T@b": lambda a, b: np.dot(np.asarray(a, dtype=object).T, np.asarray(b, dtype=object)),
    "a+col(b)": lambda a, b: (np.asarray(a, dtype=object) + np.asarray(b, dtype=object)[:, None]
                              if np.ndim(a) == 2 and np.ndim(b) == 1 else a + b),
    "a+b+c": lambda a, b, c: a + b + c,
    "rowsum(a*b)": lambda a, b: (np.asarray(a, dtype=object) * np.asarray(b, dtype=object)).sum(axis=-1),
    # the products W_ij · a_j of a layer: W (out × in) and a (in) or a batch A (in × samples)
    "prod(a,b)": lambda a, b: (np.asarray(a, dtype=object) * np.asarray(b, dtype=object) if np.ndim(b) <= 1 else
                               np.asarray(a, dtype=object)[:, None, :] * np.asarray(b, dtype=object).T[None, :, :]),
    "a*(b-rowc)": lambda a, b, c: np.asarray(a, dtype=object) * (np.asarray(b, dtype=object)
                                                                 - np.asarray(c, dtype=object)[:, None]),
}

def _over(formula: str):
    """``a/N`` (a value over a count), ``rowsum(a)/N`` (the sum of each row over a count) and
    ``sum(a)/N`` (the sum of every entry over a count); any formula of ``FORMULAS`` over a count."""
    head, _, n = formula.rpartition("/")
    n = Decimal(int(n))
    if head == "a":
        return lambda a: a / n
    if head == "rowsum(a)":
        return lambda a: np.asarray(a, dtype=object).sum(axis=-1) / n
    if head == "sum(a)":
        return lambda a: np.asarray(a, dtype=object).sum() / n
    if head in FORMULAS:
        return lambda *args: FORMULAS[head](*args) / n
    raise KeyError(formula)


#: More digits than this are never added (a line that would need more prints with this many).
MAX_EXTRA = 12


def finer(policy: RoundingPolicy, extra: int) -> RoundingPolicy:
    """``policy`` with ``extra`` more digits for every kind."""
    if extra == 0:
        return policy
    more = lambda p: Precision(p.style, p.digits + extra)
    return RoundingPolicy(mode=policy.mode, default=more(policy.default),
                          per_kind=tuple((k, more(p)) for k, p in policy.per_kind),
                          decimal_comma=policy.decimal_comma, trailing_zeros=policy.trailing_zeros)


def _array(v):
    return np.asarray(v, dtype=object)


def _printed(value, prec: Precision | None):
    """The value as printed at ``prec`` (None: as it is)."""
    a = _array(value)
    if prec is None:
        return a
    return np.vectorize(lambda x: round_decimal(x, prec), otypes=[object])(a) if a.shape else \
        _array(round_decimal(a.item(), prec))


printed = _printed      # what a line prints of a value, for the views


def _holds(recomputed, result, rprec: Precision | None) -> bool:
    """Every entry of ``recomputed`` is within one unit of the last digit of the printed result
    (so that rounded like it, it is that result or next to it)."""
    for x, r in zip(np.ravel(recomputed), np.ravel(_array(result))):
        shown = round_decimal(r, rprec) if rprec is not None else r
        unit = Decimal(1).scaleb(shown.as_tuple().exponent)
        if not x.is_finite() or abs(x - shown) > unit:
            return False
    return True


holds = _holds      # whether a recomputed line lands within a unit of its printed result


def extra_digits(policy: RoundingPolicy, formula: str, result, rprec: Precision | None,
                 operands: list[tuple[object, str | None]]) -> int:
    """The least ``e`` (see the module's rule) for the line ``result ≈ formula(operands)``;
    ``operands`` are (value, kind or None for a value printed as it is), ``rprec`` the precision the
    result is printed at (None: as it is)."""
    if policy.mode == "carry":
        return 0
    f = FORMULAS.get(formula) or _over(formula)
    for e in range(MAX_EXTRA + 1):
        precs = [None if kind is None else finer(policy, e).precision(kind) for _, kind in operands]
        with localcontext() as ctx:
            ctx.prec = 60
            try:
                recomputed = f(*[_printed(v, p) for (v, _), p in zip(operands, precs)])
                if _holds(recomputed, result, rprec):
                    return e
            except ArithmeticError:    # division by 0, an invalid operation, an overflow: not this e
                pass
    return MAX_EXTRA
