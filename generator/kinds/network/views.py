"""The network templates' view: the notation of its steps (the printer of each step, ``p.show``,
writes every computed line), the words of its settings and summaries, the diagram's layout."""

from __future__ import annotations

import numpy as np

from ...view import View as BaseView
from .. import optimizers
from ..optimizers import NotationForm as _Form


def _ij(index: str) -> str:
    """The index of a parameter's entry as a weight is written, w_12 (with commas where an index
    has two digits or is a whole row, ":")."""
    parts = index.split(",")
    return "".join(parts) if all(p.isdigit() and len(p) == 1 for p in parts) else index


def _forms(whole, entry):
    """(whole, entry) notation of a step from two functions: ``whole(**params)`` and
    ``entry(index text, **params)`` (index text: "2" or "2,3", the 1-based indices)."""
    return (_Form(lambda **kw: whole(**kw)),
            _Form(lambda *ix, **kw: entry(",".join(str(i) for i in ix), **kw)))


_FNAME = {"sigmoid": r"\sigma", "relu": r"\operatorname{ReLU}", "leaky_relu": r"\operatorname{LReLU}",
          "tanh": r"\tanh", "softmax": r"\operatorname{softmax}", "identity": r"\operatorname{id}"}


def notation(net) -> dict:
    """The network's notation of its steps, by the note the engine declared on each (key,
    parameters ``l`` the layer, ``P`` W or b, ``k`` the iteration): units × samples values of a
    batch are indexed (unit, sample)."""
    batch = net.batch
    A = lambda l: ("X" if batch else "x") if l == 0 else f"a^{{({l})}}"                # noqa: E731
    ell = r"\ell" if batch else "L"                 # the loss of one sample (a batch averages them)
    yh = "y" if net.output == "sum" else r"\hat{y}"
    sup = lambda l: f"^{{({l})}}"                                                     # noqa: E731

    def unit(base):                  # a per-unit (per-sample) value of layer l: z⁽ˡ⁾, δ⁽ˡ⁾ …
        return _forms(lambda l: base + sup(l), lambda i, l: f"{base}{sup(l)}_{{{i}}}")

    def d(of, wrt, loss=ell):        # ∂loss/∂(wrt⁽ˡ⁾), entry ∂loss/∂(wrt⁽ˡ⁾_i)
        return _forms(lambda l: rf"\frac{{\partial {loss}}}{{\partial {wrt}{sup(l)}}}",
                      lambda i, l: rf"\frac{{\partial {loss}}}{{\partial {wrt}{sup(l)}_{{{i}}}}}")

    def param(base):                 # a value of parameter P⁽ˡ⁾: v_{W⁽¹⁾} …, entry (v_{W⁽¹⁾})_{ij}
        def whole(P, l):
            return base.replace("@", f"{P}{sup(l)}")
        return _forms(whole, lambda i, P, l: rf"\left({whole(P, l)}\right)_{{{_ij(i)}}}")

    def slope(l):
        return _FNAME[net.layers[l - 1].activation] + "'"

    i2 = "{0},{1}" if batch else "{0}"      # a units × samples entry, or a unit's
    return {
        "prod": _forms(lambda l: rf"W{sup(l)}_{{ij}} a_j", lambda i, l: rf"\bigl(W{sup(l)}_{{ij}} a_j\bigr)_{{{i}}}"),
        "err": (f"{yh} - y", _Form(lambda *ix: rf"{yh}_{{{','.join(map(str, ix))}}} - y_{{{','.join(map(str, ix))}}}")),
        "loss_terms": (r"\ell", _Form(lambda *ix: rf"\ell_{{{','.join(map(str, ix))}}}")),
        "score_true": (rf"{yh}_{{c}}", _Form(lambda *ix: rf"{yh}_{{c_{{{ix[0]}}},{ix[0]}}}")),
        "hinge_active": (r"\mathbf{1}[\ell > 0]",
                         _Form(lambda *ix: rf"\mathbf{{1}}[\ell_{{{','.join(map(str, ix))}}} > 0]")),
        "hinge_count": (r"n_{>0}", _Form(lambda *ix: rf"n_{{>0,{ix[0]}}}")),
        "Wa": _forms(lambda l: f"W{sup(l)} {A(l - 1)}", lambda i, l: rf"\bigl(W{sup(l)} {A(l - 1)}\bigr)_{{{i}}}"),
        "z": unit("z"), "a": unit("a"), "f": unit(r"\tilde{a}"), "mask": unit("M"), "delta": unit(r"\delta"),
        "exp": _forms(lambda l: f"e^{{z{sup(l)}}}", lambda i, l: f"e^{{z{sup(l)}_{{{i}}}}}"),
        "expsum": _forms(lambda l: rf"\sum_j e^{{z{sup(l)}_j}}",
                         lambda i, l: rf"\sum_j e^{{z{sup(l)}_{{j,{i}}}}}"),
        "y": ("y", "y_{{{1}}}" if batch else "y"),
        "ln_yhat": (r"\ln \hat{y}", r"\ln \hat{{y}}_{{" + i2 + "}}"),
        "ln_1m_yhat": (r"\ln(1 - \hat{y})", r"\ln(1 - \hat{{y}}_{{" + i2 + "}})"),
        "loss": ("L", "L"), "loss_data": (r"L_{\text{data}}", r"L_{{\text{{data}}}}"),
        "sumsq": (r"\sum w^{2}", r"\sum w^{{2}}"), "l2": (r"\frac{\lambda}{2} \sum w^{2}", r"\frac{{\lambda}}{{2}} \sum w^{{2}}"),
        "dL_dyhat": (rf"\frac{{\partial {ell}}}{{\partial {yh}}}",
                     _Form(lambda *ix: rf"\frac{{\partial {ell}}}{{\partial {yh}_{{{','.join(map(str, ix))}}}}}")),
        "dy_da": d("a", "a", "y"), "da": d("a", "a"), "df": d("f", r"\tilde{a}"),
        "g": _forms(lambda l: rf"{slope(l)}\bigl(z{sup(l)}\bigr)", lambda i, l: rf"{slope(l)}\bigl(z{sup(l)}_{{{i}}}\bigr)"),
        "J": _forms(lambda l: f"J{sup(l)}", lambda i, l: f"J{sup(l)}_{{{i}}}"),
        "dWsum": _forms(lambda l: rf"\delta{sup(l)} \bigl({A(l - 1)}\bigr)^{{T}}",
                        lambda i, l: rf"\Bigl(\delta{sup(l)} \bigl({A(l - 1)}\bigr)^{{T}}\Bigr)_{{{i}}}"),
        "dW": _forms(lambda l: rf"\frac{{\partial L}}{{\partial W{sup(l)}}}",
                     lambda i, l: rf"\frac{{\partial L}}{{\partial w{sup(l)}_{{{_ij(i)}}}}}"),
        "dWdata": _forms(lambda l: rf"\frac{{\partial L_{{\text{{data}}}}}}{{\partial W{sup(l)}}}",
                         lambda i, l: rf"\frac{{\partial L_{{\text{{data}}}}}}{{\partial w{sup(l)}_{{{_ij(i)}}}}}"),
        "l2W": _forms(lambda l: rf"\lambda W{sup(l)}", lambda i, l: rf"\lambda w{sup(l)}_{{{_ij(i)}}}"),
        "db": d("b", "b", "L"),
        "param": _forms(lambda P, l: rf"{P}^{{({l})\prime}}",
                        lambda i, P, l: rf"{P.lower()}^{{({l})\prime}}_{{{_ij(i)}}}"),
        "final": _forms(lambda P, l: f"{P}{sup(l)}", lambda i, P, l: f"{P.lower()}{sup(l)}_{{{_ij(i)}}}"),
        **optimizers.notation(net.optimizer, param),          # the update's lines (kinds.optimizers)
    }


class View(optimizers.OptimizerView, BaseView):
    #: A block of a step of more than two axes: the softmax Jacobian of one sample of a batch.
    BLOCKS = {"J": r"J^{{({l})}} \text{{ (sample {0})}}"}

    @property
    def NOTATION(self):                # noqa: N802 — the base view's name for it
        if getattr(self, "_notation", None) is None:
            self._notation = notation(self.model)
        return self._notation

    def state(self, name, symbol=None):
        """Step ``name`` stated as its value (``symbol = value``, "≈" where the printed value is
        rounded): the final parameters, a gradient that is another step's value."""
        from ...ops.latex import state
        return state(self, name, symbol)

    def logs(self, pre: str):
        """The logarithms the cross-entropy of pass ``pre`` writes down (``ln_yhat``, and
        ``ln_1m_yhat`` for BCE) where it needs any (a factor y, or 1 − y, that is not 0), and
        which entries it does not need: "" none, "marked" some of those written down (printed
        as a dash), "left out" only those of a logarithm not written down at all."""
        y = np.asarray(self.t.dec(self.target_name(pre)), dtype=object)
        names = [(f"{pre}.ln_yhat", y != 0)]
        if f"{pre}.ln_1m_yhat" in self.t:
            names.append((f"{pre}.ln_1m_yhat", y != 1))
        shown = [(n, needed) for n, needed in names if needed.any()]
        if any(not needed.all() for _, needed in shown):
            return [n for n, _ in shown], "marked"
        return [n for n, _ in shown], "left out" if len(shown) < len(names) else ""

    def fits(self, *parts) -> bool:
        """As the base view; in scalar notation no matrix fits (every line is one neuron's)."""
        if self.model.notation == "scalar" and any(r"\begin{bmatrix}" in part for part in parts):
            return False
        return super().fits(*parts)

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


def view(model, problem, fmt, spec) -> View:
    """Weights stand in the diagram (on the edges where they fit, else in a table beside it)
    unless the spec says ``diagram_weights: never``."""
    return View(model, problem, fmt, spec.diagram_weights != "never")
