"""Drafting an expression model from a hand-written worked solution (``dryrun init --from``,
generator/draft/): a formula with functions (``y = \\sin(\\mathbf{w}^T \\mathbf{x}) - b``) whose
names all have values, its inputs and parameters, the target, the loss, the learning rate and the
parameters the document updates, written as a ``parts:`` entry."""

from __future__ import annotations

import re

from ...draft.common import flat, infer_loss, is_rate, quote, show, to_yaml
from ...draft.facts import clean_script
from ...draft.latex import FORMULA_FUNCS, plain_formula
from ...draft.parse import has_numbers, single_symbol, terms
from ...draft.reading import heading_before


def draft(d) -> list[tuple[int, list[str]]]:
    """The first model formula the document writes with functions (or a transpose) whose names all
    have literal values (from 40 lines above it on): [(line, the part's YAML lines)], or []."""
    f = d.facts
    for c in f.chains:
        chain, line = c.sides, c.line
        if len(chain) < 2:
            continue
        lhs = single_symbol(terms(chain[0][1]))
        rhs = chain[1][1]
        if lhs is None or lhs.sub or lhs.sup or has_numbers(terms(rhs)):
            continue
        text = plain_formula(rhs)
        if text is None or not (re.search(r"\b(?:" + "|".join(FORMULA_FUNCS) + r")\(", text) or "^T" in text):
            continue
        names = [n for n in dict.fromkeys(re.findall(r"[A-Za-z]+", text.replace("^T", " ")))
                 if n not in FORMULA_FUNCS and n not in ("pi", "e")]
        values = {}
        for n in names:
            ev = next((e for e in f.events if e.how == "literal" and e.sym.base == n and not e.sym.sub
                       and not e.sym.sup and not e.sym.accent and e.line >= line - 40), None)
            if ev is None:
                break
            v = flat(ev.value) if isinstance(ev.value, list) else ev.value
            if isinstance(v, list) and v and isinstance(v[0], list):
                break
            values[n] = (v, ev)
        if len(values) != len(names) or not names:
            continue
        out_name = lhs.text
        d.given("model formula", f"{out_name} = {text}", line, chain[0][1] + " = " + rhs)
        inputs = {n: v for n, v in values.items() if n.lower() == "x" or n.lower().startswith("x")}
        params = {n: v for n, v in values.items() if n not in inputs}
        for n, (v, ev) in values.items():
            d.given(("input " if n in inputs else "parameter ") + n, show(v), ev.line, ev.source)
        lines = ["  - kind: expression", "    id: model"]
        title = heading_before(d.lines, line)
        if title:
            lines.append(f"    title: {quote(title)}")
        lines.append(f'    formula: "{out_name} = {text}"')
        if inputs:
            lines.append("    inputs: {" + ", ".join(f"{n}: {to_yaml(v)}" for n, (v, _) in inputs.items()) + "}")
        if params:
            lines.append("    parameters: {" + ", ".join(f"{n}: {to_yaml(v)}" for n, (v, _) in params.items()) + "}")
        tg = [(s, e) for s, e in f.first(lambda s: s.base in ("y", "t") and s.accent in ("tilde", "hat", "")
                                         and not s.sub and not s.sup).items()
              if isinstance(e.value, (str, tuple)) and s.base != out_name or (s.accent and isinstance(e.value, str))]
        tg.sort(key=lambda t: (0 if t[0].accent == "tilde" else 1, t[1].line))
        loss = infer_loss(d, False, 1, "")
        if tg:
            s, e = tg[0]
            d.given("target " + s.show(), show(e.value), e.line, e.source)
            lines.append(f"    target: {to_yaml(e.value)}")
        if loss:
            name, lline, source, why = loss
            if not why:
                d.given("loss", name, lline, source)
            lines.append(f"    loss: {name}" + (f"  # guessed: {why}" if why else ""))
        rate = sorted(((s, e) for s, e in f.first(is_rate, skip_computed=True).items() if isinstance(e.value, str)),
                      key=lambda t: t[1].line)
        if rate:
            s, e = rate[0]
            d.given("learning rate " + s.show(), e.value, e.line, e.source)
            lines.append(f"    learning_rate: {e.value}")
        trained = []
        for c2 in f.chains:
            a = single_symbol(terms(c2.sides[0][1])) if c2.sides[0][1] else None
            if a is not None and a.text in params and re.search(r"i\+1|t\+1|new|k\+1", clean_script(a.sub)) \
                    and a.text not in trained:
                trained.append(a.text)
                d.given(f"updated parameter {a.text}", "trained", c2.line, c2.text())
        if trained and len(trained) < len(params):
            lines.append(f"    train: [{', '.join(trained)}]")
        return [(line, lines)]
    return []
