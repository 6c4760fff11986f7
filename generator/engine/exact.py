"""Exact decimal arithmetic for the engines: the numbers of a spec are exact decimals, and so is
every sum, difference and product of them.  Arrays are numpy object arrays of ``Decimal``.

All arithmetic runs in ``CONTEXT`` (60 significant digits): sums and products of the values a
document prints are exact; a quotient that does not terminate and the transcendental functions
(exp, ln, σ, tanh) are correctly rounded at 60 digits, as a calculator would give them, only
more precisely.  So a pre-activation that is exactly 0 from the given numbers is exactly 0, and a
branch (ReLU′ at 0, the maximum of a pooling window) is decided on the exact value."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, Overflow, localcontext

import numpy as np

CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)
ZERO, ONE, TWO = Decimal(0), Decimal(1), Decimal(2)


class Undefined(ArithmeticError):
    """A function of the exact arithmetic has no value here: ``what`` says why ("overflows",
    "underflows to 0", "the logarithm of 0" …), ``operand`` is its argument.  The recorder's guard
    (``trace.guard``) turns it into one line naming the value."""

    def __init__(self, what: str, operand=None):
        self.what = what
        self.operand = operand
        super().__init__(what)


def arithmetic():
    """The context every engine computes in: ``with exact.arithmetic(): …``."""
    return localcontext(CONTEXT)


def D(x) -> Decimal:
    """The decimal a person reads for ``x``: a float by its shortest repr (0.1, not 0.1000000000000000055…)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Decimal(int(x))
    if isinstance(x, (int, np.integer)):
        return Decimal(int(x))
    return Decimal(repr(float(x)))


def array(a) -> np.ndarray:
    """An object array of Decimals with the shape of ``a`` (a copy)."""
    arr = np.asarray(a, dtype=object)
    if all(type(v) is Decimal for v in arr.flat):
        return arr.copy()
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = D(v)
    return out


def _map(fn, a):
    if isinstance(a, np.ndarray):
        out = np.empty(a.shape, dtype=object)
        for idx, v in np.ndenumerate(a):
            out[idx] = fn(v)
        return out
    return fn(a)


def exp(a):
    def one(v):
        try:
            e = v.exp()
        except Overflow:
            raise Undefined("e^x overflows", v) from None
        if e == 0 or e.adjusted() < CONTEXT.Emin:     # below 10^-999999: no longer a number
            raise Undefined("e^x underflows to 0", v)
        return e
    return _map(one, a)


def ln(a):
    def one(v):
        if v <= 0:
            raise Undefined("the logarithm of 0" if v == 0 else "the logarithm of a negative number", v)
        return v.ln()
    return _map(one, a)


def sigmoid(a):
    def one(v):
        if v >= 0:
            return ONE / (ONE + (-v).exp())
        e = v.exp()                      # for very negative v: e^v / (1 + e^v), no overflow
        return e / (ONE + e)
    return _map(one, a)


def tanh(a):
    def one(v):
        if v == 0:
            return ZERO
        if abs(v) > 200:                       # tanh is ±1 to far more than 60 digits
            return ONE if v > 0 else -ONE
        e = (TWO * v).exp()
        return (e - ONE) / (e + ONE)
    return _map(one, a)


def where(cond, x, y):
    """Element-wise choice, keeping Decimals (np.where would mix in floats)."""
    cond = np.asarray(cond, dtype=bool)
    shape = np.broadcast_shapes(cond.shape, np.shape(x), np.shape(y))
    xs = np.broadcast_to(np.asarray(x, dtype=object), shape)
    ys = np.broadcast_to(np.asarray(y, dtype=object), shape)
    cs = np.broadcast_to(cond, shape)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = xs[idx] if cs[idx] else ys[idx]
    return out


def full(shape, value=ZERO) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(D(value))
    return out


def is_finite(a) -> bool:
    if isinstance(a, np.ndarray):
        return all(isinstance(v, Decimal) and v.is_finite() for v in a.flat)
    return isinstance(a, Decimal) and a.is_finite()



def sqrt(a):
    def one(v):
        if v < 0:
            raise Undefined("the square root of a negative number", v)
        return v.sqrt()
    return _map(one, a)
