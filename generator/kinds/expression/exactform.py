"""How an exact (sympy) value of an expression model is written: an integer or a terminating
decimal as itself (0.4, never 2/5); another exact value in its exact form only while that stays
short (π/2, 2π, √2: at most 18 characters of LaTeX, 4 operations and no function left
unevaluated), with its rounded decimal beside it; anything longer (tanh(1/10)/2, nested
fractions of e) and every inexact value as its rounded decimal, marked ≈."""

from __future__ import annotations

from decimal import Decimal

MAX_TEX = 18
MAX_OPS = 4


def kind(e) -> str:
    """'integer', 'decimal', 'short', 'long' or 'inexact'."""
    import sympy
    if e.has(sympy.Float):
        return "inexact"
    if e.is_Integer:
        return "integer"
    if e.is_Rational and _terminates(int(e.q)):
        return "decimal"
    if e.atoms(sympy.Function) or sympy.count_ops(e) > MAX_OPS or len(sympy.latex(e)) > MAX_TEX:
        return "long"
    return "short"


def _terminates(q: int) -> bool:
    for f in (2, 5):
        while q % f == 0:
            q //= f
    return q == 1


def decimal_text(e) -> str:
    """A terminating rational as its exact decimal: 2/5 -> '0.4'."""
    d = Decimal(int(e.p)) / Decimal(int(e.q))
    text = format(d.normalize(), "f")
    return text


def latex(e, inline: bool = False) -> str:
    """Exact LaTeX (π/2 inline as \\pi / 2 where a fraction would be too small to read)."""
    import sympy
    return sympy.latex(e, fold_short_frac=inline)


def needs_parens(e) -> bool:
    return bool(e.is_Add or (e.is_number and e.could_extract_minus_sign()))
