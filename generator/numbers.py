"""Rounding policy and number formatting: round half up on the decimal value, decimals or
significant figures, decimal point or comma.  Plain functions, no LaTeX structure."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np

#: The kinds of quantity a policy may round differently.
KINDS = ("preactivation", "activation", "loss", "gradient", "parameter")
MODES = ("display", "carry")


@dataclass(frozen=True)
class Precision:
    """``digits`` decimals (``style='decimals'``) or significant figures (``style='significant'``)."""

    style: str = "decimals"
    digits: int = 4

    def __post_init__(self):
        if self.style not in ("decimals", "significant"):
            raise ValueError(f"unknown precision style {self.style!r}")
        if not isinstance(self.digits, int) or self.digits < (1 if self.style == "significant" else 0):
            raise ValueError(f"bad number of digits {self.digits!r}")


@dataclass(frozen=True)
class RoundingPolicy:
    """How numbers are rounded and written.  ``per_kind`` maps a kind from KINDS to a Precision."""

    mode: str = "display"
    default: Precision = Precision()
    per_kind: tuple[tuple[str, Precision], ...] = ()
    decimal_comma: bool = False
    trailing_zeros: bool = False

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown rounding mode {self.mode!r}")
        for kind, _ in self.per_kind:
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r}")

    def precision(self, kind: str | None) -> Precision:
        for k, p in self.per_kind:
            if k == kind:
                return p
        return self.default

    def with_overrides(self, **changes) -> "RoundingPolicy":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict:
        def prec(p):
            return {p.style: p.digits}
        return {
            "mode": self.mode,
            **prec(self.default),
            "kinds": {k: prec(p) for k, p in self.per_kind},
            "decimal_comma": self.decimal_comma,
            "trailing_zeros": self.trailing_zeros,
        }


#: Enough digits for any quantize of a value the limits allow (1e15 at 15 decimals, 60-digit values).
_WIDE = Context(prec=100)


def to_decimal(x) -> Decimal:
    """The decimal a person reads for ``x``: a Decimal as it is, a float by the shortest repr that
    round-trips (2.675, not 2.67499…)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Decimal(x)
    return Decimal(repr(float(x)))


def round_decimal(x, p: Precision) -> Decimal:
    """``x`` rounded half up (ties away from zero) on its decimal value, as a Decimal with the
    exponent of the precision.  Exact: no binary float is involved for a Decimal ``x``."""
    d = to_decimal(x)
    if d == 0:
        return Decimal(0).quantize(Decimal(1).scaleb(-p.digits)) if p.style == "decimals" else Decimal(0)
    if p.style == "decimals":
        exp = -p.digits
    else:
        exp = d.adjusted() - (p.digits - 1)
    ctx = _WIDE if d.adjusted() - exp + 3 <= _WIDE.prec else Context(prec=d.adjusted() - exp + 3)
    q = d.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_UP, context=ctx)
    if p.style == "significant" and q.adjusted() > d.adjusted():
        # 9.99 -> 10.0 at 3 significant figures gained a digit: re-quantize one place coarser.
        q = d.quantize(Decimal(1).scaleb(exp + 1), rounding=ROUND_HALF_UP, context=ctx)
    return q


def round_value(x, p: Precision) -> float:
    """``x`` rounded half up at precision ``p``, as a float; never −0."""
    if not isinstance(x, Decimal) and not math.isfinite(x):
        return x
    r = float(round_decimal(x, p))
    return 0.0 if r == 0 else r


def format_decimal(d: Decimal, *, decimal_comma: bool = False, trailing_zeros: bool = False,
                   keep_point: bool = False) -> str:
    """Plain text of a Decimal: no exponent, no −0, optional comma, trailing zeros kept or dropped.
    A number smaller than 1e−10 (more than ten zeros after the point) is written in scientific
    notation, ``1.2e-20``, so no line holds a 300-digit number."""
    if d == 0:
        d = abs(d)
    if d != 0 and d.adjusted() < SCIENTIFIC_BELOW:
        digits = list(d.as_tuple().digits)
        while not trailing_zeros and len(digits) > 1 and digits[-1] == 0:
            digits.pop()
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        text = ("-" if d < 0 else "") + f"{mantissa}e{d.adjusted()}"
        return text.replace(".", ",") if decimal_comma else text
    text = format(d, "f")
    if not trailing_zeros and "." in text:
        text = text.rstrip("0")
        text = text + "0" if text.endswith(".") and keep_point else text.rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if decimal_comma:
        text = text.replace(".", ",")
    return text


#: Below 10 to this power a number is written in scientific notation.
SCIENTIFIC_BELOW = -10


class Rounded(Decimal):
    """A value a document writes rounded whose rounding made it a whole number (in carry mode,
    0.9996 carried as 1.00 at 3 significant figures): printed as the rounded value it is, 1.00 or
    1.0, never as the integer 1.  Arithmetic on it gives plain Decimals."""

    __slots__ = ()


def mark_rounded(value, exact_mask):
    """``value`` (a Decimal or an object array) with each entry that is not exact (``exact_mask``
    False) and whole replaced by a ``Rounded``; the value itself when there is none."""
    a = np.asarray(value, dtype=object)
    mask = np.broadcast_to(np.asarray(exact_mask, dtype=bool), a.shape)
    hits = [i for i, v in np.ndenumerate(a)
            if not mask[i] and isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value()]
    if not hits:
        return value
    if a.ndim == 0:
        return Rounded(a.item())
    a = a.copy()
    for i in hits:
        a[i] = Rounded(a[i])
    return a


def format_number(x, policy: RoundingPolicy, kind: str | None = None) -> str:
    """``x`` (a Decimal, float or int) as a person writes it under ``policy``; integers print as
    integers, except a ``Rounded`` value (written at its kind's precision: 1.00, 1.0) and a
    computed value at significant figures (1.00 at 3 figures: one format beside 0.500).
    ``kind=None`` prints a value as it is (a given value as given, an exact intermediate with
    all its digits)."""
    if isinstance(x, bool):
        x = int(x)
    approx = isinstance(x, Rounded) and kind is not None     # rounding made it whole
    d = to_decimal(x)
    # a computed value at significant figures shows its figures, a whole one too (1.00, 2.00 at
    # 3 figures, never 1 beside 0.500); an exact 0 has no figures and stays 0, a whole number
    # with as many digits as figures or more (120, 1234567) is written as it is
    figures = (kind is not None and policy.precision(kind).style == "significant" and d != 0
               and d.is_finite() and d.adjusted() + 1 < policy.precision(kind).digits)
    if d == d.to_integral_value() and abs(d) < Decimal("1e15") and not approx and not figures:
        return format_decimal(d.to_integral_value(), decimal_comma=policy.decimal_comma)
    rounded_whole = False
    trailing = policy.trailing_zeros
    if kind is not None:
        prec = policy.precision(kind)
        trailing = trailing or prec.style == "significant"   # 0.510 at 3 figures: the zero counts
        r = round_decimal(d, prec)
        # a rounded value keeps one decimal (1.0 for 0.99984), an exact whole number none;
        # a value that rounds to 0 keeps all its places (0.0000 for 0.000004: not exactly 0)
        rounded_whole = (r != d or approx) and r == r.to_integral_value() and r != 0
        if r == 0 and (d != 0 or approx):
            return format_decimal(r, decimal_comma=policy.decimal_comma, trailing_zeros=True)
        if r == r.to_integral_value() and not trailing and not rounded_whole:
            r = r.to_integral_value()
        d = r
    return format_decimal(d, decimal_comma=policy.decimal_comma,
                          trailing_zeros=trailing and kind is not None, keep_point=rounded_whole)


def is_exact(x, p: Precision) -> bool:
    """Whether ``x`` is shown without loss at precision ``p`` (then a document writes "=", else "≈").

    Decided on the exact decimal value; a float is read by its shortest repr."""
    if not isinstance(x, Decimal) and not math.isfinite(x):
        return False
    d = to_decimal(x)
    return round_decimal(d, p) == d
