"""Names of trace values in the document's notation: ``it2.loss`` → L at iteration 2,
``final.W1`` [0, 1] → W⁽¹⁾₁₂ after training.  LaTeX for documents, plain text for messages.
Given the exercise's kind, the LaTeX is that kind's own notation (an RNN's z_t is a time step,
a network's z⁽ˡ⁾ a layer; attention's output is O, a convolution's z, pooling's p …)."""

from __future__ import annotations

import re

from .latex import escape_latex

# base name -> (LaTeX with {l} for the layer, plain text with {l})
_NETWORK = {
    "loss": ("L", "L"), "z": ("z^{({l})}", "z{l}"), "a": ("a^{({l})}", "a{l}"), "y": ("y", "y"),
    "err": (r"\hat{y} - y", "yhat - y"), "dL_dyhat": (r"\partial L / \partial \hat{y}", "dL/dyhat"),
    "da": (r"\partial L / \partial a^{({l})}", "dL/da{l}"), "g": ("f_{l}'(z^{({l})})", "f{l}'(z{l})"),
    "delta": (r"\delta^{({l})}", "delta{l}"), "dW": (r"\partial L / \partial W^{({l})}", "dL/dW{l}"),
    "db": (r"\partial L / \partial b^{({l})}", "dL/db{l}"), "W": ("W^{({l})}", "W{l}"),
    "b": ("b^{({l})}", "b{l}"), "J": ("J^{({l})}", "J{l}"), "loss_terms": (r"\ell", "loss term"),
    "prod": ("W^{({l})}_{ij} a_j", "W{l}_ij a_j"), "Wa": ("W^{({l})} a", "W{l} a"),
    "dWsum": (r"\delta^{({l})} a^{T}", "delta{l} a^T"), "stepW": (r"\eta \nabla W^{({l})}", "eta dL/dW{l}"),
    "stepb": (r"\eta \nabla b^{({l})}", "eta dL/db{l}"), "dy_da": (r"\partial y / \partial a", "dy/da"),
    # dropout: the activation before the mask is ã (f is the activation function, f_l)
    "f": (r"\tilde{a}^{({l})}", "atilde{l}"), "df": (r"\partial L / \partial \tilde{a}^{({l})}", "dL/datilde{l}"),
    "mask": ("M^{({l})}", "M{l}"),
}
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


def _network_optimizer(name: str, index, tex: bool, optimizer: str | None):
    """The label of an optimizer's state or step (``it2.sW1``, ``it1.stepb2``), or None."""
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
                   optimizer not in (None, "sgd") else f"{{{sym}}}") + _index(index, True)
        else:
            sym = (f"({sym})" if " " in sym else sym) + _index(index, False)
    where = f"step, iteration {k}" if base == "step" and optimizer not in (None, "sgd") else f"iteration {k}"
    return rf"{sym} \text{{ ({where})}}" if tex else f"{sym} ({where})"

_OTHER = {
    "output": (r"\mathrm{out}", "output"), "grad.gamma": (r"\partial L / \partial \gamma", "dL/dgamma"),
    "grad.beta": (r"\partial L / \partial \beta", "dL/dbeta"), "grad.tokens": (r"\partial L / \partial X", "dL/dX"),
    "loss": ("L", "L"), "grad.kernel": (r"\partial L / \partial w", "dL/dw"),
    "grad.input": (r"\partial L / \partial x", "dL/dx"), "grad.bias": (r"\partial L / \partial b", "dL/db"),
}


def _index(index, tex: bool) -> str:
    if not index:
        return ""
    digits = "".join(str(i + 1) for i in index) if all(i < 9 for i in index) else ",".join(str(i + 1) for i in index)
    return f"_{{{digits}}}" if tex else f"[{','.join(str(i + 1) for i in index)}]"


def label(name: str, index: tuple = (), *, tex: bool = True, kind: str | None = None,
          optimizer: str | None = None) -> str:
    """The symbol of trace value ``name`` (entry ``index``, 0-based) with where it stands, in the
    notation of an exercise of ``kind`` (the LaTeX; the plain text is the same for every kind).
    ``optimizer`` (``optimizer_of``) names a network's step as the step it takes: η∇W for
    gradient descent, ΔW for the others (RMSProp's step is η g/(√s + ε), not η∇W)."""
    if tex and kind in _KINDS:
        own = _KINDS[kind](name, index)
        if own is not None:
            return own
    if kind in (None, "network"):
        own = _network_optimizer(name, index, tex, optimizer)
        if own is not None:
            return own
    m = re.fullmatch(r"(it(\d+)|final)\.([A-Za-z_]+?)(\d*)", name)
    if m and m.group(3) in _NETWORK:
        sym = _NETWORK[m.group(3)][0 if tex else 1].replace("{l}", m.group(4))
        if tex and index:
            sym = (rf"\left({sym}\right)" if "/" in sym else f"{{{sym}}}") + _index(index, True)
        elif index:
            sym = f"{sym}{_index(index, False)}"
        if m.group(1) == "final":
            where = "after training" if m.group(3) in ("W", "b") else "final pass"
        else:
            where = f"iteration {m.group(2)}"
        return rf"{sym} \text{{ ({where})}}" if tex else f"{sym} ({where})"
    m = re.fullmatch(r"(it(\d+)|final)\.(d?)([A-Za-z]+)(?:_([a-z]+))?(\d*)", name)
    if m:                                   # the other kinds' names: h6, W_xh, dW_hy, kernels …
        base, sub, step = m.group(4), m.group(5), m.group(6)
        sym = {"kernels": "w", "conv_bias": r"b^{\text{conv}}"}.get(
            base + (f"_{sub}" if sub else ""),
            base + (f"_{{{sub}}}" if sub else "") + (f"_{{{step}}}" if step and not sub else ""))
        if m.group(3):
            sym = rf"\partial L / \partial {sym}"
        plain = name.split(".", 1)[1]
        where = ("after training" if m.group(1) == "final" and not step else "final pass") if m.group(1) == "final" \
            else f"iteration {m.group(2)}"
        if tex:
            sym = (rf"\left({sym}\right)" if "/" in sym else f"({sym})" if "_" in sym else f"{{{sym}}}") \
                + _index(index, True) if index else sym
            return rf"{sym} \text{{ ({where})}}"
        return f"{plain}{_index(index, False)} ({where})"
    for prefix, (t, p) in (("updated.", ("{}'", "{}'")), ("grad.", (r"\partial L / \partial {}", "dL/d{}")),
                           ("dL.", (r"\partial L / \partial {}", "dL/d{}")), ("dy.", (r"\partial y / \partial {}", "dy/d{}")),
                           ("node.", ("{}", "{}"))):
        if name.startswith(prefix) and name not in _OTHER:
            var = name[len(prefix):]
            if tex:
                var = rf"\mathit{{{var}}}" if len(var) > 1 else var
            text = (t if tex else p).format(var)
            return text + _index(index, tex)
    t, p = _OTHER.get(name, (rf"\text{{{escape_latex(name)}}}", name))
    return (t if tex else p) + _index(index, tex)


def _sub(sym: str, index, lead: str = "") -> str:
    """``sym`` with the subscript ``lead`` (a time step, …) and the 1-based ``index``:
    h_{3,2}, W_{xh} → {W_{xh}}_{12}; a symbol with a slash in parentheses."""
    parts = ([lead] if lead else []) + [str(i + 1) for i in index]
    if not parts:
        return sym
    digits = ",".join(parts) if (lead or any(i >= 9 for i in index)) else "".join(parts)
    if "/" in sym:
        return rf"\left({sym}\right)_{{{digits}}}"
    if "_" in sym and not lead:           # W_{hh} entry (1, 2): (W_{hh})_{12}, never W_{hh}{}_{12}
        return rf"({sym})_{{{digits}}}"
    if "_" in sym or "^" in sym:
        return f"{{{sym}}}_{{{digits}}}"
    return f"{sym}_{{{digits}}}"


def _where(stage: str, trained: bool) -> str:
    if stage == "final":
        return r" \text{ (after training)}" if trained else r" \text{ (final pass)}"
    return rf" \text{{ (iteration {stage[2:]})}}"


_RNN_PARAMS = {"W_xh": "W_{xh}", "W_hh": "W_{hh}", "b_h": "b_h", "W_hy": "W_{hy}", "b_y": "b_y"}
#: the RNN's values of time step t: name -> LaTeX with {t} (subscript t, then the entry)
_RNN_STEP = {"z": "z", "h": "h", "o": "o", "yhat": r"\hat{y}", "do": "", "dh": "", "g": "",
             "delta": r"\delta", "loss": r"\ell", "terms": r"\ell"}


def _rnn(name: str, index) -> str | None:
    if name in ("output", "hidden"):                   # (step, entry)
        sym = r"\hat{y}" if name == "output" else "h"
        return _sub(sym, index[1:], str(index[0] + 1)) if index else sym
    m = re.fullmatch(r"(it\d+|final)\.(.+)", name)
    if not m:
        return None
    stage, rest = m.groups()
    if rest == "loss":
        return "L" + _where(stage, False)
    for prefix, fmt in (("step", r"\eta \, \partial L / \partial {}"), ("d", r"\partial L / \partial {}"), ("", "{}")):
        if rest.startswith(prefix) and rest[len(prefix):] in _RNN_PARAMS:
            sym = fmt.format(_RNN_PARAMS[rest[len(prefix):]])
            return _sub(sym, index) + _where(stage, not prefix and stage == "final")
    s = re.fullmatch(r"([a-z]+)(\d+)", rest)
    if not s or s.group(1) not in _RNN_STEP:
        return None
    base, t = s.groups()
    if base in ("do", "dh"):                            # ∂L/∂o_{t,i}, as the solution writes it
        return rf"\partial L / \partial {_sub(base[1], index, t)}" + _where(stage, False)
    if base == "g":                                     # f'(z_t)_i
        sym = f"f'(z_{{{t}}})" + (f"_{{{','.join(str(i + 1) for i in index)}}}" if index else "")
        return sym + _where(stage, False)
    return _sub(_RNN_STEP[base], index, t) + _where(stage, False)


def _upstream(output: str, grads: dict):
    """The kinds fed an upstream gradient: the output's symbol and each gradient's variable."""
    def label_of(name: str, index) -> str | None:
        if name == "output":
            return _sub(output, index)
        if name.startswith("grad.") and name[5:] in grads:
            var = grads[name[5:]]
            if len(index) == 3 and "{c}" in var:       # (channel, row, column)
                return _sub(rf"\partial L / \partial {var.format(c=index[0] + 1)}", index[1:])
            return _sub(rf"\partial L / \partial {var.replace('^{{[{c}]}}', '')}", index)
        return None
    return label_of


def _cnn(name: str, index) -> str | None:
    m = re.fullmatch(r"(it\d+|final)\.(step|d)?(kernels|conv_bias|[Wb]\d+|loss)", name)
    if not m:
        return None
    stage, prefix, base = m.groups()
    if base == "loss":
        return None if prefix else "L" + _where(stage, False)
    if base == "kernels" and len(index) == 4:         # (kernel, channel, row, column): w^{(k)}_{c,ab}
        k, c, a, b = (i + 1 for i in index)
        sym = f"w^{{({k})}}"
        sym = rf"\left(\partial L / \partial {sym}\right)" if prefix == "d" else \
            rf"\left(\eta \, \partial L / \partial {sym}\right)" if prefix == "step" else f"{{{sym}}}"
        return f"{sym}_{{{c},{a}{b}}}" + _where(stage, not prefix and stage == "final")
    if base == "kernels":
        sym = "w"
    elif base == "conv_bias":
        sym = r"b^{\text{conv}}"
    else:
        sym = f"{base[0]}^{{[{base[1:]}]}}"
    if prefix == "d":
        sym = rf"\partial L / \partial {sym}"
    elif prefix == "step":
        sym = rf"\eta \, \partial L / \partial {sym}"
    return _sub(sym, index) + _where(stage, not prefix and stage == "final")


_KINDS = {
    "rnn": _rnn,
    "cnn": _cnn,
    "attention": _upstream("O", {"W_q": "W_q", "W_k": "W_k", "W_v": "W_v", "tokens": "X"}),
    "batchnorm": _upstream("y", {"gamma": r"\gamma", "beta": r"\beta", "input": "x"}),
    "conv": _upstream("z", {"kernel": "w^{{[{c}]}}", "input": "x^{{[{c}]}}", "bias": "b"}),
    "pool": _upstream("p", {"input": "x"}),
}
