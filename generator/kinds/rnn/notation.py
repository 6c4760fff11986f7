"""An RNN's own notation (LaTeX): a value of time step t has the subscript t before its entry
(h_{3,2}, ŷ_t), as its line prints it (``views.View.NOTATION``); the parameters are W_{xh}, W_{hh},
b_h, W_{hy}, b_y.  A value is found in a table of the names the engine gives (every step up to
``schema.MAX_STEPS``), never by reading its name."""

from __future__ import annotations

from ...labels import loss_key_label, split_stage, stage_text, subscript
from .schema import MAX_STEPS
from .views import View

#: The values that stack the steps of the first pass, (step, entry): ŷ_1 … ŷ_T and h_1 … h_T, and
#: the given upstream gradients g_1 … g_T (∂L/∂h_t from the layers above).
_STACKED = {"output": r"\hat{y}", "hidden": "h", "upstream": "g"}


def _page(key: str, t: int, index) -> str:
    """Value ``key`` of step t as its line prints it (``View.NOTATION``)."""
    whole, entry = View.NOTATION[key]
    return entry.format(*[i + 1 for i in index], t=t) if index else whole.format(t=t)


def _gradient(of: str, t: int, index) -> str:
    """∂L/∂o_{t,i}, ∂L/∂h_{t,i}."""
    return rf"\partial L / \partial {subscript(of, index, str(t))}"


def _slope(t: int, index) -> str:
    """f'(z_t)_i."""
    return f"f'(z_{{{t}}})" + (f"_{{{','.join(str(i + 1) for i in index)}}}" if index else "")


#: The values of step t of a pass, by their name without the step: their symbol (t, index) → LaTeX.
_STEP = {**{base: (lambda t, index, key=base: _page(key, t, index)) for base in ("z", "h", "o", "yhat", "delta",
                                                                                  "exp", "expsum")},
         "loss": lambda t, index: _page("loss_t", t, index),
         "terms": lambda t, index: subscript(r"\ell", index, str(t)),
         "do": lambda t, index: _gradient("o", t, index), "dh": lambda t, index: _gradient("h", t, index),
         "dx": lambda t, index: _gradient("x", t, index),
         "g": _slope}
#: The symbol of each parameter.
_PARAMETERS = {"W_xh": "W_{xh}", "W_hh": "W_{hh}", "b_h": "b_h", "W_hy": "W_{hy}", "b_y": "b_y"}
#: Each parameter's values in a pass, by name: their symbol and whether the value is the parameter.
_PARAMETER = {"": ("{}", True), "d": (r"\partial L / \partial {}", False),
              "step": (r"\eta \, \partial L / \partial {}", False)}

#: Every value of a pass, by its name after the stage: (index → its symbol, a trained parameter?).
_PASS = {"loss": (lambda index: "L", False),
         # ∂L/∂x_t stacked (step, entry), and ∂L/∂h_0
         "grad.inputs": (lambda index: _gradient("x", index[0] + 1, index[1:]) if index
                         else r"\partial L / \partial x", False),
         "grad.h0": (lambda index: _gradient("h", 0, index), False)}
_PASS.update({f"{prefix}{name}": (lambda index, sym=form.format(symbol): subscript(sym, index), trained)
              for name, symbol in _PARAMETERS.items() for prefix, (form, trained) in _PARAMETER.items()})
_PASS.update({f"{base}{t}": (lambda index, t=t, form=form: form(t, index), False)
              for base, form in _STEP.items() for t in range(1, MAX_STEPS + 1)})


def label(name: str, index, tex: bool) -> str | None:
    if not tex:
        return None
    if name in _STACKED:                               # (step, entry)
        sym = _STACKED[name]
        return subscript(sym, index[1:], str(index[0] + 1)) if index else sym
    where = split_stage(name)
    found = _PASS.get(where[1]) if where else None
    if found is None:
        return None
    symbol, trained = found
    return symbol(index) + stage_text(where[0], trained and where[0] == "final")


#: The loss of a pass as the answer key writes it: L_it k, L_final.
key_label = loss_key_label
