"""Names of trace values in the document's notation: ``it2.loss`` → L at iteration 2,
``final.W1`` [0, 1] → W⁽¹⁾₁₂ after training.  LaTeX for documents, plain text for messages.
Given the exercise's kind, a value takes that kind's own notation where the kind's folder has one
(``kinds/<kind>/notation.py``: a step's z_t, a layer's z⁽ˡ⁾, an output O …); the values it does not
name, and those of a kind without one, take the generic names here.  The helpers a kind's notation
writes with are here too: ``subscript``, ``stage_text``, ``index_text`` and ``upstream``."""

from __future__ import annotations

from .kinds import DEFAULT_KIND, KINDS
from .kinds import kind as kind_of
from .latex import escape_latex

_OTHER = {
    "output": (r"\mathrm{out}", "output"), "grad.gamma": (r"\partial L / \partial \gamma", "dL/dgamma"),
    "grad.beta": (r"\partial L / \partial \beta", "dL/dbeta"), "grad.tokens": (r"\partial L / \partial X", "dL/dX"),
    "loss": ("L", "L"), "grad.kernel": (r"\partial L / \partial w", "dL/dw"),
    "grad.input": (r"\partial L / \partial x", "dL/dx"), "grad.bias": (r"\partial L / \partial b", "dL/db"),
}


def index_text(index, tex: bool) -> str:
    """The 1-based ``index`` of an entry: a subscript _{12} (LaTeX) or [1,2] (plain text); '' for none."""
    if not index:
        return ""
    digits = "".join(str(i + 1) for i in index) if all(i < 9 for i in index) else ",".join(str(i + 1) for i in index)
    return f"_{{{digits}}}" if tex else f"[{','.join(str(i + 1) for i in index)}]"


def kind_label(name: str, index, tex: bool, kind: str | None) -> str | None:
    """The symbol of ``name`` in the own notation of ``kind`` (None: the default kind), or None
    where that notation does not name it."""
    kind = kind or DEFAULT_KIND
    if kind not in KINDS:
        return None
    return kind_of(kind).label(name, index, tex)


def key_symbol(name: str, index: tuple = (), kind: str | None = None, problem=None) -> str:
    """The compact LaTeX of trace value ``name`` (entry ``index``, 0-based) in an answer key, in the
    notation of an exercise of ``kind`` (None: the default kind's; given the solved ``problem``,
    its kind): the kind's own key form (its notation's ``key_label``: L_it k for the loss before
    update k, a trained parameter's entry), else its label."""
    kind = problem.kind if problem is not None else (kind or DEFAULT_KIND)
    forms = kind_of(kind).key_label if kind in KINDS else None
    own = forms(name, index) if forms is not None else None
    return own if own is not None else label(name, index, tex=True, kind=kind, problem=problem)


def label(name: str, index: tuple = (), *, tex: bool = True, kind: str | None = None, problem=None) -> str:
    """The symbol of trace value ``name`` (entry ``index``, 0-based) with where it stands, in the
    notation of an exercise of ``kind`` (None: the default kind's).  Given the solved ``problem``
    (a ``ProblemTrace``), a value its kind's notation does not name by its name (``Kind.label``)
    takes the note its step declared: in LaTeX the symbol its page prints (in its kind's
    ``View.NOTATION``), in plain text its kind's words for that note (``Kind.note_label``); else
    its name."""
    kind = problem.kind if problem is not None else kind
    own = kind_label(name, index, tex, kind)
    if own is not None:
        return inline_fractions(own) if tex else own
    note = problem.note(name) if problem is not None else None
    if note is not None:
        sym = page_symbol(problem, name, index) if tex else kind_of(kind).note_label(note, index, problem.model)
        if sym is not None:
            if tex:
                return sym + _where(name, kind)
            where = _where(name, kind, tex=False)
            return f"{sym} ({where})" if where else sym
    found = split_stage(name)
    if found is not None:                   # a value of a pass the kind does not name: its name
        stage, rest = found
        if not tex:
            return f"{rest}{index_text(index, False)} ({_where(name, kind, tex=False)})"
        sym = rf"\text{{{escape_latex(rest)}}}"
        return (f"{{{sym}}}" + index_text(index, True) if index else sym) + _where(name, kind)
    for prefix, (t, p) in (("updated.", ("{}'", "{}'")), ("grad.", (r"\partial L / \partial {}", "dL/d{}")),
                           ("dL.", (r"\partial L / \partial {}", "dL/d{}")), ("dy.", (r"\partial y / \partial {}", "dy/d{}")),
                           ("node.", ("{}", "{}"))):
        if name.startswith(prefix) and name not in _OTHER:
            var = name[len(prefix):]
            if tex:
                var = rf"\mathit{{{var}}}" if len(var) > 1 else var
            text = (t if tex else p).format(var)
            return text + index_text(index, tex)
    t, p = _OTHER.get(name, (rf"\text{{{escape_latex(name)}}}", name))
    return (t if tex else p) + index_text(index, tex)


def page_symbol(problem, name: str, index: tuple = ()) -> str | None:
    """The symbol step ``name`` (entry ``index``) has on its page: its declared note in its kind's
    notation (``View.NOTATION``), written by the printer's own function; None for a step without a
    note or whose kind has no notation for it."""
    note = problem.note(name)
    if note is None or problem.model is None or problem.kind not in KINDS:
        return None
    if "view" not in problem.cache:
        problem.cache["view"] = kind_of(problem.kind).notation_view(problem.model, problem)
    view = problem.cache["view"]
    if note[0] not in (getattr(view, "NOTATION", None) or {}):
        return None
    from .ops.latex import symbol
    text = symbol(view, name, tuple(index) if index else None)
    return None if "=" in text else inline_fractions(text)    # a symbol stating its derivation is no label
    # (labels stand in text-sized math, a table's rows and headers: fractions inline)


def inline_fractions(tex: str) -> str:
    r"""``tex`` with every ``\frac{a}{b}`` written inline, a / b (a label stands in a table's row or
    header, in text-sized math): ∂L/∂w⁽¹⁾₁₂ as ``\partial L / \partial w^{(1)}_{12}``; a numerator or
    denominator of more than one term in parentheses."""
    out, i = [], 0
    while True:
        j = tex.find(r"\frac{", i)
        if j < 0:
            return "".join(out) + tex[i:]
        num, k = _group(tex, j + len(r"\frac"))
        den, k = _group(tex, k)
        if num is None or den is None:
            return "".join(out) + tex[i:]
        num, den = (inline_fractions(x) for x in (num, den))
        wrap = lambda x: f"({x})" if any(c in x for c in "+-") or " / " in x else x     # noqa: E731
        out.append(tex[i:j] + f"{wrap(num)} / {wrap(den)}")
        i = k


def _group(tex: str, at: int):
    """The braced group of ``tex`` starting at ``at`` (its text, the index after it), or (None, at)."""
    if at >= len(tex) or tex[at] != "{":
        return None, at
    depth = 0
    for k in range(at, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[k], 0)
        if depth == 0:
            return tex[at + 1:k], k + 1
    return None, at


def _where(name: str, kind: str | None, tex: bool = True) -> str:
    """Where a value stands, from its pass (``split_stage``): " (iteration k)", " (after training)"
    for a trained parameter's final value (a key answer of its kind), " (final pass)"; '' for a
    value of no pass.  Plain text without the leading space and parentheses' LaTeX."""
    found = split_stage(name)
    if found is None:
        return ""
    stage, rest = found
    trained = stage == "final" and rest != "loss" and kind in KINDS and kind_of(kind).is_key(name)
    if tex:
        return stage_text(stage, trained)
    return ("after training" if trained else "final pass") if stage == "final" else f"iteration {stage[2:]}"


def subscript(sym: str, index, lead: str = "") -> str:
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


def stage_text(stage: str, trained: bool) -> str:
    """Where a value of ``stage`` (``it2``, ``final``) stands, as a LaTeX note: (iteration 2), (after
    training) for a trained parameter, else (final pass)."""
    if stage == "final":
        return r" \text{ (after training)}" if trained else r" \text{ (final pass)}"
    return rf" \text{{ (iteration {stage[2:]})}}"


def split_stage(name: str) -> tuple[str, str] | None:
    """(stage, the rest) of a value of a trained kind's pass, ``it<k>.<rest>`` or ``final.<rest>``
    (the stage a trained kind's engine names its passes by); None for any other name."""
    stage, dot, rest = name.partition(".")
    if dot and (stage == "final" or (stage[:2] == "it" and stage[2:].isdigit())):
        return stage, rest
    return None


def loss_key_label(name: str, index=()) -> str | None:
    """The compact LaTeX of a trained kind's loss in an answer key: L_it k for the loss before update
    k (``it<k>.loss``), L_final for the final pass; None for every other value."""
    found = split_stage(name)
    if found is None or found[1] != "loss":
        return None
    stage = found[0]
    return r"L_{\text{final}}" if stage == "final" else rf"L_{{\text{{it}}\,{stage[2:]}}}"


def from_notation(notation: dict):
    """The ``label`` of a kind whose steps are printed by the shared operations: its notation
    table {trace name: (the whole value, one entry as a pattern of its 1-based indices)}, the
    same symbols its pages print; a name it has no symbol for gets the default label."""
    def label_of(name: str, index, tex: bool = True) -> str | None:
        forms = notation.get(name)
        if not tex or forms is None:
            return None
        whole, entry = forms
        return entry.format(*[int(i) + 1 for i in index]) if index else whole
    return label_of


def upstream(output: str, grads: dict):
    """The notation of a kind fed an upstream gradient, as its ``label``: ``output``, the symbol of its
    output, and ``grads``, {input: its variable} of each gradient ``grad.<input>`` (``{c}`` for the
    channel of an entry (channel, row, column), ``^{{[{c}]}}`` dropped from a whole value)."""
    steps = {f"grad.{x}": var for x, var in grads.items()}

    def label_of(name: str, index, tex: bool = True) -> str | None:
        if not tex:
            return None
        if name == "output":
            return subscript(output, index)
        var = steps.get(name)
        if var is None:
            return None
        if len(index) == 3 and "{c}" in var:       # (channel, row, column)
            return subscript(rf"\partial L / \partial {var.format(c=index[0] + 1)}", index[1:])
        return subscript(rf"\partial L / \partial {var.replace('^{{[{c}]}}', '')}", index)
    return label_of
