"""The network templates' view: elements of units × samples values, written-out dot products,
softmax and batch sums, the diagram's layout."""

from __future__ import annotations

import numpy as np

from ...view import View as BaseView


class View(BaseView):

    def _element(self, name, i, s):
        value = self.t.dec(name)
        return value[i][s] if self.model.batch else value[i]

    def e(self, name, i, s=0):
        """Element (unit i, sample s) of a units × samples value (a flat vector for one sample)."""
        return self.fmt.num(self._element(name, i, s), self._kind(name))

    def softmax_lines(self, pre, l):
        """The softmax of layer l written out: e^z entry by entry, the sum per sample, and each
        quotient; [(lhs, rhs-with-relation), …] for the template to box."""
        e, total, a = f"{pre}.exp{l}", f"{pre}.expsum{l}", f"{pre}.a{l}"
        z = np.asarray(self.t.dec(f"{pre}.z{l}"), dtype=object)
        E = np.asarray(self.t.dec(e), dtype=object)
        S = np.atleast_1d(np.asarray(self.t.dec(total), dtype=object)).ravel()
        if z.ndim == 1:
            z, E = z[:, None], E[:, None]
        ek, sk = self._kind(e), self._kind(total)
        zf = self.fit(e, "exp(a)", f"{pre}.z{l}").fmt        # the exponents with the digits e^z needs
        exps = self.fmt.matrix([[f"e^{{{zf.num(v, self._kind(f'{pre}.z{l}'))}}}" for v in row] for row in z])
        lines = [(f"e^{{z^{{({l})}}}}", f"{exps} {self.rel_from(e, f'{pre}.z{l}')} {self.m(e)}")]
        for s in range(E.shape[1]):
            lhs = r"\sum_j e^{z_j}" + (f" \text{{ (sample {s + 1})}}" if E.shape[1] > 1 else "")
            lines.append((lhs, self.fmt.terms(E[:, s], ek) + f" {self.rel_from(total, e)} {self.fmt.num(S[s], sk)}"))
        qf = self.fit(a, "a/b", e, total).fmt                   # the quotients' operands with the digits they need
        quot = self.fmt.matrix([[f"{qf.num(E[i, s], ek)} / {qf.num(S[s], sk)}"
                                 for s in range(E.shape[1])] for i in range(E.shape[0])])
        lines.append((f"a^{{({l})}}", f"{quot} {self.rel_from(a, e, total)} {self.m(a)}"))
        return lines

    def sample_sums(self, dname, aname):
        """Entry (i, j) of δ Aᵀ written as its sum over the samples, Σ_s δ_is · a_js: a matrix of
        sums, and the same entries one by one [(i, j, sum), …] for when the matrix is too wide."""
        D = np.asarray(self.t.dec(dname), dtype=object)
        A = np.asarray(self.t.dec(aname), dtype=object)
        dk, ak = self._kind(dname), self._kind(aname)

        def cell(i, j):
            return " + ".join(f"{{{self.fmt.factor(D[i, s], dk)} \\cdot {self.fmt.factor(A[j, s], ak)}}}"
                              for s in range(D.shape[1]))
        cells = [[cell(i, j) for j in range(A.shape[0])] for i in range(D.shape[0])]
        return self.fmt.matrix(cells), [(i, j, cells[i][j]) for i in range(D.shape[0]) for j in range(A.shape[0])]

    def act_sym(self, pre: str, l: int) -> str:
        """The symbol of layer l's activation before dropout: ã where this pass masks it, else a."""
        return (r"\tilde{a}" if f"{pre}.f{l}" in self.t else "a") + f"^{{({l})}}"

    def act(self, pre: str, l: int) -> str:
        """Trace name of layer l's activation before dropout (its f) where it has dropout, else a."""
        return f"{pre}.f{l}" if f"{pre}.f{l}" in self.t else f"{pre}.a{l}"

    def input_name(self, pre: str, l: int) -> str:
        """Trace name of the input a^(l-1) of layer l in pass ``pre``: the pass's own mini-batch of
        samples, the given input, or the activations of the layer before."""
        if l > 1:
            return f"{pre}.a{l - 1}"
        return f"{pre}.x" if f"{pre}.x" in self.t else "x"

    def target_name(self, pre: str) -> str:
        return f"{pre}.target" if f"{pre}.target" in self.t else "target"

    def minibatch(self, k: int) -> list[int]:
        """The samples (1-based) of mini-batch k."""
        from .schema import minibatch
        return [c + 1 for c in minibatch(self.model, k)]

    # --- the settings, and which losses are over the same data (schema.settings, schema.passes) ---

    def setting_groups(self):
        """The settings the numbers depend on, one list per item of "Given values"."""
        from .schema import setting_groups
        return setting_groups(self.model)

    @property
    def loss_header(self) -> str:
        """The summary table's heading of the loss column: with L2 the loss includes its term."""
        return r"loss $L$ (with the L2 term)" if self.model.l2 else "loss"

    @property
    def nsym(self) -> str:
        """The symbol of the number of samples a pass averages over (schema.sample_symbol)."""
        from .schema import sample_symbol
        return sample_symbol(self.model)

    @property
    def optimizer_name(self) -> str:
        from .schema import OPTIMIZER_NAMES
        return OPTIMIZER_NAMES[self.model.optimizer.name]

    @property
    def optimizer_state(self) -> str:
        from .schema import OPTIMIZER_STATE
        return OPTIMIZER_STATE[self.model.optimizer.name]

    def optimizer_symbols(self):
        """(key, symbol) of each setting of the optimizer, in the order of its settings."""
        from .schema import OPTIMIZER_SYMBOLS
        return [(key, OPTIMIZER_SYMBOLS[key][0]) for key, _ in self.model.optimizer.settings]

    def dropout_layers(self):
        """(l, layer) of every layer with dropout."""
        return [(l, layer) for l, layer in enumerate(self.model.layers, start=1) if layer.dropout_mask is not None]

    @property
    def dropout(self) -> bool:
        return any(layer.dropout_mask is not None for layer in self.model.layers)

    @property
    def same_data(self) -> bool:
        """Whether every pass (each iteration's and the final one) computes its loss over the same
        data: every sample and no dropout mask."""
        from .schema import comparable
        return len(comparable(self.model)) == 1

    def data_words(self, pass_) -> str:
        """What the loss of a pass (schema.Pass) is over, in words."""
        net = self.model
        if len(pass_.samples) == net.samples:
            words = f"all {net.samples} samples" if net.samples > 1 else "the sample"
        else:
            words = ("sample " if len(pass_.samples) == 1 else "samples ") + ", ".join(map(str, pass_.samples))
        if self.dropout:
            words += ", with the dropout mask" if pass_.dropout else ", no dropout"
        return words

    @staticmethod
    def pass_words(pass_, iterations: int) -> str:
        return f"after update {iterations}" if pass_.name == "final" else f"before update {pass_.name[2:]}"

    def loss_rows(self):
        """The summary's table: (pass in words, its data in words, trace name of its loss)."""
        from .schema import passes
        return [(self.pass_words(q, self.model.iterations), self.data_words(q), f"{q.name}.loss")
                for q in passes(self.model)]

    def loss_trends(self):
        """Each group of passes over the same data with two losses or more: its data in words, the
        first and the last pass (in words, and their losses' trace names), whether the loss fell at
        every step within the group, and whether each update between them followed this data (so
        that a rise can say something about the learning rate)."""
        from .schema import comparable
        out = []
        for group in comparable(self.model):
            if len(group) < 2:
                continue
            losses = [self.t.dec(f"{q.name}.loss") for q in group]
            index = [self.model.iterations + 1 if q.name == "final" else int(q.name[2:]) for q in group]
            out.append({"data": self.data_words(group[0]),
                        "first": self.pass_words(group[0], self.model.iterations), "first_loss": f"{group[0].name}.loss",
                        "last": self.pass_words(group[-1], self.model.iterations), "last_loss": f"{group[-1].name}.loss",
                        "decreased": all(b < a for a, b in zip(losses, losses[1:])), "count": len(group),
                        "increased": losses[-1] > losses[0],
                        "steady": index == list(range(index[0], index[0] + len(index)))})
        return out

    def final_alone(self) -> bool:
        """Whether the final pass's data (every sample, no dropout) is that of no training pass."""
        from .schema import comparable
        return any(len(g) == 1 and g[0].name == "final" for g in comparable(self.model))

    def samples_in(self, pre: str) -> int:
        """How many samples pass ``pre`` computes with (its mini-batch, or all of them)."""
        name = self.input_name(pre, 1)
        value = np.asarray(self.t.dec(name), dtype=object)
        return value.shape[1] if self.model.batch and value.ndim == 2 else 1

    def ev(self, name, i, s=0):
        """The raw value (a Decimal) of element (unit i, sample s) of a units × samples value."""
        return self._element(name, i, s)

    def erel(self, name, i, s=0):
        """``rel`` of element (unit i, sample s) of a units × samples value."""
        return self.rel(name, i, s) if self.model.batch else self.rel(name, i)

    def ef(self, name, i, s=0):
        """The same element as a factor (negative values in parentheses)."""
        return self.fmt.factor(self._element(name, i, s), self._kind(name))

    def activation_groups(self):
        """The distinct activations of the layers (with their slope and convention at 0), each
        with the layers that use it: every definition is printed once."""
        groups = {}
        for l, layer in enumerate(self.model.layers, start=1):
            r0 = self.model.grad_at_zero(layer) if layer.activation in ("relu", "leaky_relu") else None
            key = (layer.activation, layer.slope if layer.activation == "leaky_relu" else None, r0)
            groups.setdefault(key, []).append(l)
        return [{"activation": a, "slope": s if s is not None else 0.01, "r0": r0, "layers": ls,
                 "label": ("layer " if len(ls) == 1 else "layers ") + ", ".join(map(str, ls))}
                for (a, s, r0), ls in groups.items()]

    def has_zero(self, name) -> bool:
        """Whether any entry of a value is exactly 0 (a kink that needs the convention)."""
        return any(v == 0 for v in np.asarray(self.t.dec(name), dtype=object).flat)

    def diagram(self):
        """The layout of the network diagram (generator.diagram): spacing, and a place for each
        weight label, or a table of the weights when the labels do not fit."""
        from .diagram import layout
        net = self.model
        sizes = [net.inputs.shape[0]] + [layer.units for layer in net.layers]
        texts = None
        if self.show_weights:
            texts = {(c, i + 1, j + 1): self.n(f"init.W{c}", i, j)
                     for c in range(1, len(sizes)) for i in range(sizes[c]) for j in range(sizes[c - 1])}
        extra = 0.8 + (1 if net.output == "sum" else 0)
        return layout(sizes, texts, extra)

    def fn(self, name, fn):
        return self.fmt.fn_cells(self.t.dec(name), fn, self._kind(name))

    def dot(self, wname, aname, transpose=False):
        return self.fmt.dot_cells(self.t.dec(wname), self.t.dec(aname), self._kind(wname), self._kind(aname),
                                  transpose=transpose)

    def dot1(self, wname, aname, i, s=0, transpose=False):
        """The expanded dot product of entry (i, s) alone: ``w_i1 · a_1s + …``."""
        W = self.t.dec(wname)
        row = [W[j][i] for j in range(len(W))] if transpose else list(W[i])
        A = self.t.dec(aname)
        col = [A[j][s] if self.model.batch else A[j] for j in range(len(row))]
        return " + ".join(f"{{{self.fmt.factor(w, self._kind(wname))} \\cdot {self.fmt.factor(a, self._kind(aname))}}}"
                          for w, a in zip(row, col))

    def terms1(self, name, i, s=0):
        """The sum of the products of entry (i, s) alone."""
        P = self.t.dec(name)
        return self.fmt.terms(P[i][s] if self.model.batch else P[i], self._kind(name))


def view(model, problem, fmt, spec) -> View:
    """Weights stand in the diagram (on the edges where they fit, else in a table beside it)
    unless the spec says ``diagram_weights: never``."""
    return View(model, problem, fmt, spec.diagram_weights != "never")
