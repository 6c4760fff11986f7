"""The GRU notation, a step's symbol before "=" (``View.NOTATION``, read by ``ops.latex.show``):
bold vectors of time step t (entry i is r_{t,i}), a bar over a gate's argument (r̄_t, z̄_t, n̄_t),
δ^v_t = ∂L/∂v_t, the parameters W_•, U_•, b_• with their iteration in parentheses, W_r^{(k)}."""

from __future__ import annotations

from ...view import View as BaseView
from ..common import Packed
from .schema import PARAMETERS

#: The placeholders of the patterns below: the step t, the step before it, the iteration k and the
#: 1-based indices of an entry (row, column).
_FIELDS = {"@prev": "{prev}", "@t": "{t}", "@k": "{k}", "@i": "{0}", "@j": "{1}"}


def _pattern(tex: str) -> str:
    """LaTeX with @-placeholders as the ``str.format`` pattern ``show`` fills in."""
    out = tex.replace("{", "{{").replace("}", "}}")
    for mark, field in _FIELDS.items():
        out = out.replace(mark, field)
    return out


def _notation(whole: str, entry: str) -> tuple[str, str]:
    return _pattern(whole), _pattern(entry)


def _vector(symbol: str) -> tuple[str, str]:
    """A vector of step t: bold with subscript t; entry i with subscript t,i."""
    return _notation(rf"\mathbf{{{symbol}}}_{{@t}}", f"{symbol}_{{@t,@i}}")


def _bar(gate: str) -> tuple[str, str]:
    """The argument of a gate's function, r̄_t."""
    return _notation(rf"\bar{{\mathbf{{{gate}}}}}_{{@t}}", rf"\bar{{{gate}}}_{{@t,@i}}")


def _delta(of: str) -> tuple[str, str]:
    """δ^v_t = ∂L/∂v_t."""
    return _notation(rf"\boldsymbol{{\delta}}^{{{of}}}_{{@t}}", rf"\delta^{{{of}}}_{{@t,@i}}")


def _slope(fn: str, gate: str) -> tuple[str, str]:
    """The slope of a gate's function at its argument, σ′(r̄_t)."""
    return _notation(rf"{fn}'(\bar{{\mathbf{{{gate}}}}}_{{@t}})", rf"{fn}'(\bar{{{gate}}}_{{@t,@i}})")


def _parameter(name: str, mark: str = "") -> tuple[str, str]:
    """Parameter ``name`` (W_r …) with ``mark`` after it (its iteration), and its entry."""
    base, sub = name.split("_", 1)
    at = "@i,@j" if base in "WU" else "@i"
    return _notation(rf"\mathbf{{{base}}}_{{{sub}}}{mark}", f"({base}_{{{sub}}}{mark})_{{{at}}}")


def _gradient(name: str) -> tuple[str, str]:
    """∂L/∂W_r as a fraction; an entry in a line's width, ∂L/∂(W_r)_{i,j}."""
    base, sub = name.split("_", 1)
    at = "@i,@j" if base in "WU" else "@i"
    return _notation(rf"\frac{{\partial L}}{{\partial \mathbf{{{base}}}_{{{sub}}}}}",
                     rf"\partial L / \partial ({base}_{{{sub}}})_{{{at}}}")


#: The notation keys of the values of a time step (``{pass}.t{t}.<key>``).
STEP_KEYS = frozenset(("r", "z", "n", "h", "ar", "az", "an", "xn", "hn", "dh", "dn", "dz", "dr", "dhn", "dan",
                       "dar", "daz", "zc", "hmn", "gn", "gr", "gz", "dhz", "dhu"))


class View(Packed, BaseView):
    NOTATION = {
        **{gate: _vector(gate) for gate in ("r", "z", "n", "h")},
        "ar": _bar("r"), "az": _bar("z"), "an": _bar("n"),
        "xn": _vector("p"), "hn": _vector("q"),
        "loss": ("L", "L"),
        "dh": _delta("h"), "dn": _delta("n"), "dz": _delta("z"), "dr": _delta("r"), "dhn": _delta("q"),
        "dan": _delta(r"\bar{n}"), "dar": _delta(r"\bar{r}"), "daz": _delta(r"\bar{z}"),
        "zc": _notation(r"\mathbf{1} - \mathbf{z}_{@t}", r"1 - z_{@t,@i}"),
        "hmn": _notation(r"\mathbf{h}_{@prev} - \mathbf{n}_{@t}", r"h_{@prev,@i} - n_{@t,@i}"),
        "gn": _slope(r"\tanh", "n"), "gr": _slope(r"\sigma", "r"), "gz": _slope(r"\sigma", "z"),
        "dhz": _notation(r"\mathbf{z}_{@t} \odot \boldsymbol{\delta}^{h}_{@t}", r"z_{@t,@i} \, \delta^{h}_{@t,@i}"),
        "dhu": _vector("g"),
        **{name: _parameter(name, "^{(@k)}") for name in PARAMETERS},
        **{f"final.{name}": _parameter(name) for name in PARAMETERS},
        **{f"grad.{name}": _gradient(name) for name in PARAMETERS},
    }
