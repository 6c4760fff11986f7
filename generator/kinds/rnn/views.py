"""The RNN notation, a step's symbol before "=" (``View.NOTATION``, read by ``ops.latex.show``):
the vectors of time step t (entry i is z_{t,i}), ∂L/∂o_t with the rule that gives it, the
parameters W_xh … b_y with their iteration in parentheses, W_{xh}^{(k)}."""

from __future__ import annotations

from ...view import View as BaseView
from ..common import Packed


def _vector(symbol: str) -> tuple[str, str]:
    """A vector of step t and its entry i: ``symbol``_t, ``symbol``_{t,i}."""
    return f"{symbol}_{{{{{{t}}}}}}", f"{symbol}_{{{{{{t}},{{0}}}}}}"


def _partial(of: str, rule: str = "") -> tuple[str, str]:
    """∂L/∂``of``_t (with ``= rule`` after the whole, the formula it comes from) and its entry i."""
    whole = rf"\frac{{{{\partial L}}}}{{{{\partial {of}_{{{{{{t}}}}}}}}}}"
    return whole + (f" = {rule}" if rule else ""), rf"\frac{{{{\partial L}}}}{{{{\partial {of}_{{{{{{t}},{{0}}}}}}}}}}"


ERROR = r"(\hat{{y}}_{{{t}}} - y_{{{t}}})"
#: The symbol of each parameter (LaTeX) and whether it is a matrix.
PARAMETERS = {"W_xh": ("W_{{xh}}", True), "W_hh": ("W_{{hh}}", True), "b_h": ("b_{{h}}", False),
              "W_hy": ("W_{{hy}}", True), "b_y": ("b_{{y}}", False)}


def _parameter(symbol: str, matrix: bool, mark: str = "") -> tuple[str, str]:
    """A parameter (``mark`` after it: its iteration) and its entry (i, j) or i."""
    at = "{{{0},{1}}}" if matrix else "{{{0}}}"
    return f"{symbol}{mark}", f"({symbol}{mark})_{at}"


def _gradient(symbol: str, matrix: bool) -> tuple[str, str]:
    whole, entry = _parameter(symbol, matrix)
    return (rf"\frac{{{{\partial L}}}}{{{{\partial {whole}}}}}",
            rf"\frac{{{{\partial L}}}}{{{{\partial {entry}}}}}")


class View(Packed, BaseView):
    NOTATION = {
        "z": _vector("z"), "h": _vector("h"), "o": _vector("o"), "yhat": _vector(r"\hat{{y}}"),
        "o.identity": (r"\hat{{y}}_{{{t}}} = o_{{{t}}}", r"o_{{{t},{0}}}"),
        "exp": (r"e^{{o_{{{t}}}}}", r"e^{{o_{{{t},{0}}}}}"),
        "expsum": (r"\sum_i e^{{o_{{{t},i}}}}", r"\sum_i e^{{o_{{{t},i}}}}"),
        "loss_t": (r"\ell_{{{t}}}", r"\ell_{{{t}}}"),
        "loss_only": (r"L = \ell_{{{t}}}", r"L = \ell_{{{t}}}"),
        "loss": ("L", "L"),
        "do.difference": _partial("o", r"\hat{{y}}_{{{t}}} - y_{{{t}}}"),
        "do.half_sse": _partial("o", r"\hat{{y}}_{{{t}}} - y_{{{t}}}"),
        "do.sse": _partial("o", "2 " + ERROR),
        "do.mse": _partial("o", r"\frac{{2}}{{{n}}} " + ERROR),
        "do.half_mse": _partial("o", r"\frac{{1}}{{{n}}} " + ERROR),
        "do.sigmoid": _partial("o", r"\frac{{\partial \ell_{{{t}}}}}{{\partial \hat{{y}}_{{{t}}}}} \odot "
                                    r"\hat{{y}}_{{{t}}} \odot (1 - \hat{{y}}_{{{t}}})"),
        "dh": _partial("h"),
        "dx": _partial("x"),
        "dh0": (r"\frac{{\partial L}}{{\partial h_{{0}}}}", r"\frac{{\partial L}}{{\partial h_{{0,{0}}}}}"),
        "g.tanh": (r"\tanh'(z_{{{t}}})", r"\tanh'(z_{{{t},{0}}})"),
        "g.relu": (r"\operatorname{{ReLU}}'(z_{{{t}}})", r"\operatorname{{ReLU}}'(z_{{{t},{0}}})"),
        "delta": (r"\delta_{{{t}}}", r"\delta_{{{t},{0}}}"),
        **{f"grad.{name}": _gradient(symbol, matrix) for name, (symbol, matrix) in PARAMETERS.items()},
        **{f"new.{name}": _parameter(symbol, matrix, "^{{({k})}}") for name, (symbol, matrix) in PARAMETERS.items()},
    }
