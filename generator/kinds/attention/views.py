"""The self-attention notation, a step's symbol before "=" (``View.NOTATION``, read by
``ops.latex.show``): the matrices of the textbook (Q, K, V, S, A, O; ∂L/∂V …), entry (i, j) of
each with its 1-based row (token) and column."""

from __future__ import annotations

from ...view import View as BaseView


def _entry(symbol: str) -> str:
    """The pattern of entry (i, j) of the matrix ``symbol`` (LaTeX, a group where needed)."""
    return symbol.replace("{", "{{").replace("}", "}}") + "_{{{0},{1}}}"


def _matrix(symbol: str, group: str | None = None) -> tuple[str, str]:
    """A matrix ``symbol`` and its entry (i, j) (``group``: the symbol as a subscript's base)."""
    return symbol, _entry(group or symbol)


def _gradient(of: str, group: str | None = None) -> tuple[str, str]:
    """∂L/∂``of`` and its entry (i, j)."""
    return (rf"\frac{{\partial L}}{{\partial {of}}}",
            r"\frac{{\partial L}}{{\partial " + _entry(group or of) + "}}")


class View(BaseView):
    NOTATION = {
        "Q": _matrix("Q"), "K": _matrix("K"), "V": _matrix("V"),
        "sqrt_dk": (r"\sqrt{d_k}", r"\sqrt{d_k}"),
        "scale": ("c", "c"),
        "QK": _matrix(r"Q K^{T}", r"(Q K^{T})"),
        "scores": _matrix("S"),
        "exp": (r"e^{S}", r"e^{{S_{{{0},{1}}}}}"),
        "expsum": (r"\sum_j e^{S_{ij}}", r"\sum_j e^{{S_{{{0}j}}}}"),
        "weights": _matrix("A"),
        "output": _matrix("O"),
        "dV": _gradient("V"), "dA": _gradient("A"), "dS": _gradient("S"),
        "rowdot": (r"\sum_k A_{ik} \frac{\partial L}{\partial A_{ik}}",
                   r"\sum_k A_{{{0}k}} \frac{{\partial L}}{{\partial A_{{{0}k}}}}"),
        "dQK": _gradient(r"(Q K^{T})"), "dQ": _gradient("Q"), "dK": _gradient("K"),
        "grad.W_q": _gradient("W_q", "(W_q)"), "grad.W_k": _gradient("W_k", "(W_k)"),
        "grad.W_v": _gradient("W_v", "(W_v)"),
        "dX_q": _matrix(r"\frac{\partial L}{\partial Q} W_q^{T}",
                        r"\Bigl(\frac{\partial L}{\partial Q} W_q^{T}\Bigr)"),
        "dX_k": _matrix(r"\frac{\partial L}{\partial K} W_k^{T}",
                        r"\Bigl(\frac{\partial L}{\partial K} W_k^{T}\Bigr)"),
        "dX_v": _matrix(r"\frac{\partial L}{\partial V} W_v^{T}",
                        r"\Bigl(\frac{\partial L}{\partial V} W_v^{T}\Bigr)"),
        "grad.tokens": _gradient("X"),
    }
