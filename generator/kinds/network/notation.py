"""A network's own notation: an optimizer's state and step, named after the parameter of layer l
(``it2.sW1`` → s_{W⁽¹⁾}, ``it1.stepb2`` → η∇b⁽²⁾ or Δb⁽²⁾ by the optimizer); its layer values
(z⁽ˡ⁾, a⁽ˡ⁾, W⁽ˡ⁾ …) take the generic names of ``labels``."""

from __future__ import annotations

import re

from ...labels import index_text

# an optimizer's state and step of W (and the same of b), by name: velW1, sW1, mhatW1, denW1 …
_OPT_STATE = {"vel": ("v_{{{P}}}", "v{p}"), "dir": ("d_{{{P}}}", "d{p}"), "s": ("s_{{{P}}}", "s{p}"),
              "m": ("m_{{{P}}}", "m{p}"), "v": ("v_{{{P}}}", "v{p}"), "mhat": (r"\hat{{m}}_{{{P}}}", "mhat{p}"),
              "vhat": (r"\hat{{v}}_{{{P}}}", "vhat{p}"), "decay": (r"{P} - \eta \lambda {P}", "{p} - eta lambda {p}")}
_DEN = {"adam": (r"\sqrt{{\hat{{v}}_{{{P}}}}} + \varepsilon", "sqrt(vhat{p}) + epsilon"),
        None: (r"\sqrt{{s_{{{P}}}}} + \varepsilon", "sqrt(s{p}) + epsilon")}
#: the step an optimizer subtracts: plain gradient descent's η∇W, else the step Δ it takes
_STEP = {"sgd": (r"\eta \nabla {P}", "eta dL/d{p}"), None: (r"\Delta {P}", "step {p}")}


def optimizer_of(entries) -> str:
    """The optimizer a network trace ran ('sgd', 'momentum', 'nesterov', 'rmsprop' for Adagrad
    and RMSProp, 'adam' for Adam and AdamW), told by the state it recorded."""
    names = {re.sub(r"^(it\d+|final)\.", "", n) for n in entries}
    for prefix, opt in (("mhatW", "adam"), ("mhatb", "adam"), ("dirW", "nesterov"), ("dirb", "nesterov"),
                        ("velW", "momentum"), ("velb", "momentum"), ("sW", "rmsprop"), ("sb", "rmsprop")):
        if any(re.fullmatch(prefix + r"\d+", n) for n in names):
            return opt
    return "sgd"


def label(name: str, index, tex: bool, optimizer: str | None = None) -> str | None:
    """The label of an optimizer's state or step (``it2.sW1``, ``it1.stepb2``), or None.
    ``optimizer`` (``optimizer_of``) names the step as the step it takes: η∇W for gradient descent,
    ΔW for the others (RMSProp's step is η g/(√s + ε), not η∇W)."""
    m = re.fullmatch(r"it(\d+)\.(vel|dir|s|mhat|vhat|m|v|decay|den|step)([Wb])(\d+)", name)
    if not m:
        return None
    k, base, P, l = m.groups()
    param, plain = (f"{P}^{{({l})}}", f"{P}{l}")
    if base == "den":
        t, p = _DEN["adam" if optimizer == "adam" else None]
    elif base == "step":
        t, p = _STEP["sgd" if optimizer in (None, "sgd") else None]
    else:
        t, p = _OPT_STATE[base]
    sym = (t if tex else p).format(P=param, p=plain)
    if index:
        if tex:
            sym = (rf"\left({sym}\right)" if any(c in sym for c in "_/+-") or base == "step" and
                   optimizer not in (None, "sgd") else f"{{{sym}}}") + index_text(index, True)
        else:
            sym = (f"({sym})" if " " in sym else sym) + index_text(index, False)
    where = f"step, iteration {k}" if base == "step" and optimizer not in (None, "sgd") else f"iteration {k}"
    return rf"{sym} \text{{ ({where})}}" if tex else f"{sym} ({where})"
