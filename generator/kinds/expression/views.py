"""The expression templates' view: exact values (fractions, π, roots) where they are short,
decimals where not, and the layout of the computational graph."""

from __future__ import annotations

import numpy as np

from ...view import View as BaseView


class View(BaseView):

    def _items(self, name):
        entry = self.t.entries[name]
        exact = entry.symbolic
        vector = isinstance(exact, tuple)
        items = exact if vector else (exact,)
        values = list(np.asarray(entry.dec, dtype=object).ravel()) if vector else [entry.dec]
        return entry, vector, list(zip(items, values))

    def _one(self, e, v, kind, inline=False, factor=False):
        """(text of one exact value as an operand, whether it is a rounding)."""
        from . import exactform as xf
        k = xf.kind(e)
        if k == "integer":
            text = xf.latex(e)
        elif k == "decimal":
            text = xf.decimal_text(e)
        elif k == "short":
            text = xf.latex(e, inline)
        else:
            text = self.fmt.num(v, kind)
            rounded = not self._shows_exactly(v, kind)
            return (f"({text})" if factor and text.startswith("-") else text), rounded
        if factor and (xf.needs_parens(e) or text.startswith("-")):
            text = rf"\left({text}\right)"
        return text, False

    def _shows_exactly(self, v, kind) -> bool:
        from ...numbers import is_exact
        return is_exact(v, self.fmt.policy.precision(kind))

    def tex(self, name):
        """The value as an operand inside a longer expression: its exact form where that is
        short, else its rounded decimal (see ``approx``); a vector as a column."""
        entry, vector, items = self._items(name)
        parts = [self._one(e, v, entry.kind, inline=vector, factor=not vector)[0] for e, v in items]
        if vector:
            return r"\begin{pmatrix} " + r" \\ ".join(parts) + r" \end{pmatrix}"
        return parts[0]

    def approx(self, *names) -> bool:
        """Whether any of these values (names, or lists of names) enters an expression as a
        rounding, so that what follows is ≈."""
        flat = [n for x in names for n in ([x] if isinstance(x, str) else x)]
        return any(self._one(e, v, self.t.entries[n].kind)[1] for n in flat for e, v in self._items(n)[2])

    def show(self, name):
        """The value as a statement's right side: ``2 \\pi \\approx 6.2832``, ``0.4``,
        ``\\approx 0.1457``; a vector as a column."""
        from . import exactform as xf
        entry, vector, items = self._items(name)
        exact_parts, dec_parts, rounded = [], [], False
        for e, v in items:
            k = xf.kind(e)
            text, r = self._one(e, v, entry.kind, inline=vector)   # a fraction in a column is too small
            rounded |= r
            exact_parts.append(text)
            dec_parts.append(self.fmt.num(v, entry.kind) if k == "short" else text)
        wrap = (lambda ps: r"\begin{pmatrix} " + r" \\ ".join(ps) + r" \end{pmatrix}") if vector else (lambda ps: ps[0])
        if exact_parts != dec_parts:
            return f"{wrap(exact_parts)} \\approx {wrap(dec_parts)}"
        return (r"\approx " if rounded else "") + wrap(exact_parts)

    def rshow(self, name, approx=False):
        """``show`` with the relation before it; ``approx``: the left side was written with
        rounded operands, so only the decimal can follow, with ≈."""
        text = self.show(name)
        if approx:
            return r"\approx " + text.split(r"\approx ")[-1]
        return text if text.startswith(r"\approx") else "= " + text

    def local_operands(self, op, k, args, ident):
        """The values a local derivative ∂node/∂(argument k) is computed from, as trace names."""
        if op in ("add", "sub", "neg"):
            return []
        if op in ("mul", "dot"):
            return [f"node.{args[1 - k]}"] if len(args) > 1 else []
        if op == "pow" and k == 1:
            return [f"node.{ident}", f"node.{args[0]}"]
        return [f"node.{a}" for a in args]

    @staticmethod
    def bare(text: str) -> str:
        """``text`` without the parentheses around a negative operand."""
        if text.startswith(r"\left(") and text.endswith(r"\right)"):
            return text[len(r"\left("):-len(r"\right)")]
        return text

    def graph_roomy(self, upto=None) -> bool:
        """Whether the graph up to ``upto`` has room for values at its nodes (at most 6 columns
        and 4 rows); a larger one shows its symbols, with the values in a table."""
        lay = self.layout(upto)
        return max(c for c, _ in lay["place"].values()) + 1 <= 6 and lay["height"] <= 4

    def exponent_leaves(self, upto=None) -> list[str]:
        """Constant leaves used only as the exponent of a power: written in the power's label."""
        nodes = self.layout(upto)["nodes"]
        out = []
        for n in nodes:
            users = [m for m in nodes if n["id"] in m["inputs"]]
            if n["op"] == "num" and users and all(m["op"] == "pow" and m["inputs"][1] == n["id"] for m in users):
                out.append(n["id"])
        return out

    def uname(self, ident: str) -> str:
        """The index an operation node is shown with: u1, u2, … in order, without gaps."""
        ops = [n["id"] for n in self.info["graph"] if n["role"] == "op"]
        return str(ops.index(ident) + 1) if ident in ops else ident[1:]

    def short(self, name):
        """A compact form for a graph label: exact where short (inline fractions), else the
        decimal; a vector as a row (a, b)."""
        entry, vector, items = self._items(name)
        parts = [self._one(e, v, entry.kind, inline=True)[0] for e, v in items]
        return r"\left(" + ", ".join(parts) + r"\right)" if vector else parts[0]

    def element(self, name, i):
        """Entry i of a vector value as an operand (parenthesized when it is a sum or negative)."""
        entry, _, items = self._items(name)
        e, v = items[i]
        return self._one(e, v, entry.kind, factor=True)[0]

    def node(self, ident):
        return next(n for n in self.info["graph"] if n["id"] == ident)

    def layout(self, upto=None):
        return graph_layout(self.info["graph"], upto)

    def consumers(self, ident, upto=None):
        """Nodes that take ``ident`` as an input (within the graph up to ``upto``)."""
        return [n for n in self.layout(upto)["nodes"] if ident in n["inputs"]]


def graph_layout(graph: list[dict], upto: str | None = None) -> dict:
    """Column (longest path from a leaf) and row of each node, for drawing a computational graph
    left to right; ``upto`` keeps the nodes up to and including that id."""
    nodes = []
    for node in graph:
        nodes.append(node)
        if node["id"] == upto:
            break
    used = {i for n in nodes for i in n["inputs"]}
    nodes = [n for n in nodes if n["inputs"] or n["id"] in used]
    col = {}
    for n in nodes:
        col[n["id"]] = 1 + max((col[i] for i in n["inputs"]), default=-1)
    for n in nodes:   # a leaf stands one column before the first operation that uses it
        if not n["inputs"]:
            users = [col[m["id"]] for m in nodes if n["id"] in m["inputs"]]
            col[n["id"]] = max(0, min(users) - 1) if users else 0
    rows: dict[int, int] = {}
    place = {}
    # operations first in their column, so the main chain runs along the top row
    for n in sorted(nodes, key=lambda n: not n["inputs"]):
        c = col[n["id"]]
        place[n["id"]] = (c, rows.get(c, 0))
        rows[c] = rows.get(c, 0) + 1
    return {"nodes": nodes, "place": place, "height": max(rows.values()) if rows else 1}
