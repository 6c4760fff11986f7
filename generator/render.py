"""Render a solved spec to LaTeX with the Jinja2 templates in ``templates/``.

One environment, TeX-safe delimiters (``((* block *))``, ``((( value )))``, ``((= comment =))``),
undefined names are errors.  Templates read the trace; the filters in ``latex`` format it."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
import numpy as np

from .errors import DryrunError, SpecError, TemplateError, UsageError
from .latex import Formatter, escape_latex, filters
from .spec import Spec
from .trace import Trace

def _templates_dir() -> Path:
    """The built-in templates: inside the installed package (a wheel), else the repository's
    top-level templates/ (a source tree or an editable install)."""
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    return installed if (installed / "base.tex.j2").is_file() else here.parent / "templates"


TEMPLATES = _templates_dir()
WHATS = ("solution", "question")


@functools.lru_cache(maxsize=32)
def environment(policy, user_templates: str | Path | None = None) -> jinja2.Environment:
    """The Jinja environment for one rounding policy (its filters format with it); built once and
    reused, so each template is compiled once per process."""
    builtin = jinja2.FileSystemLoader(str(TEMPLATES))
    loaders = [jinja2.FileSystemLoader(str(user_templates))] if user_templates else []
    # "builtin/base.tex.j2" always names the built-in template, so a user's base.tex.j2 can extend it
    loaders += [builtin, jinja2.PrefixLoader({"builtin": builtin})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False, extensions=["jinja2.ext.do"],
        auto_reload=False, cache_size=400)
    env.filters.update(filters(policy))
    env.filters["prefix"] = lambda text, pre: f"{pre}{text}"
    env.filters["suffix"] = lambda text, post: f"{text}{post}"
    env.globals.update(prev=_prev, inp=_inp, frac=_frac, zip=zip, range=range, len=len, enumerate=enumerate)
    return env


def _frac(num: int, den: int) -> str:
    """The reduced fraction num/den as LaTeX ("" for 1, "2" for 2/1, \\frac{1}{2} for 2/4)."""
    from fractions import Fraction
    f = Fraction(num, den)
    if f == 1:
        return ""
    return str(f.numerator) if f.denominator == 1 else rf"\frac{{{f.numerator}}}{{{f.denominator}}}"


def override_warnings(user_templates: str | Path) -> list[str]:
    """Blocks that a user's template overrides but that its parent template does not have (a
    misspelled ``block titel``), each with the nearest block name."""
    import difflib
    from jinja2 import nodes

    env = environment(None, str(user_templates))
    out = []
    for path in sorted(Path(user_templates).rglob("*.j2")):
        name = path.relative_to(user_templates).as_posix()
        try:
            tree = env.parse(path.read_text(encoding="utf-8"))
        except (jinja2.TemplateSyntaxError, OSError, UnicodeDecodeError):
            continue                        # reported when the template is used
        parents = [n.template.value for n in tree.find_all(nodes.Extends) if isinstance(n.template, nodes.Const)]
        if not parents:
            continue
        known = set()
        parent = parents[0]
        for _ in range(10):                 # the blocks of the whole chain of parents
            try:
                source = env.loader.get_source(env, parent)[0]
            except jinja2.TemplateNotFound:
                break
            ptree = env.parse(source)
            known |= {b.name for b in ptree.find_all(nodes.Block)}
            nxt = [n.template.value for n in ptree.find_all(nodes.Extends) if isinstance(n.template, nodes.Const)]
            if not nxt:
                break
            parent = nxt[0]
        for block in tree.find_all(nodes.Block):
            if block.name not in known:
                hint = difflib.get_close_matches(block.name, sorted(known), n=1)
                out.append(f"{path}:{block.lineno}: block '{block.name}' is not in {parents[0]}, so it "
                           f"changes nothing" + (f"; did you mean '{hint[0]}'?" if hint else ""))
    return out


def _prev(k: int, name: str) -> str:
    """Trace name of parameter ``name`` ('W1') as it was at the start of iteration k."""
    return f"init.{name}" if k == 1 else f"it{k - 1}.{name}"


def _inp(pre: str, l: int) -> str:
    """Trace name of the input a^(l-1) of layer l in pass ``pre`` ('it1', 'final')."""
    return "x" if l == 1 else f"{pre}.a{l - 1}"


def _template_error(e: jinja2.TemplateError) -> DryrunError:
    """One line naming the template file and line: from the syntax error, else from the deepest
    template frame of the traceback (an undefined name, a failing filter …)."""
    import traceback
    if isinstance(e, jinja2.TemplateNotFound):
        return TemplateError(f"template not found: {e.name}")
    if isinstance(e, jinja2.TemplateSyntaxError):
        return TemplateError(f"template error in {e.filename}:{e.lineno}: {e.message}")
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.endswith(".j2")]
    where = f" in {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return TemplateError(f"template error{where}: {e.message}")


class View:
    """What a template sees of one solved problem: named trace values, formatted at their kind.

    ``p.m("it1.z1")`` a matrix or column, ``p.n(...)`` a number, ``p.rel(...)`` '=' or
    '\\approx', ``p.v(...)`` the raw value for indexing; nothing here computes a value."""

    def __init__(self, model, problem, fmt, show_weights: bool):
        self.model = model
        self.t = problem
        self.fmt = fmt
        self.info = problem.info
        self.show_weights = show_weights

    def _kind(self, name):
        """The kind whose precision a value is shown at; None: shown as it is (a given value, an
        exact intermediate that carry mode keeps with all its digits)."""
        entry = self.t.entries[name]
        return None if entry.kind == "given" or entry.full else entry.kind

    def has(self, name):
        return name in self.t

    def v(self, name):
        return self.t.dec(name)

    def rel(self, name, *index):
        """'=' where the value (entry ``index``, else all of it) is shown exactly, else '≈'."""
        mask = self.t.entries[name].exact_mask
        for i in index:
            mask = mask[i]
        return "=" if np.all(mask) else r"\approx"

    def rel_all(self, *names, index=()):
        """'=' where every one of ``names`` (entry ``index`` of each) is shown exactly: a line
        whose operand was rounded too (f(z) with z rounded for display), or that skips a step."""
        return "=" if all(self.rel(n, *index) == "=" for n in names) else r"\approx"

    def rel_from(self, name, *operands, index=()):
        """The relation of a line ``f(operands) rel name``: in display mode an operand printed
        rounded makes the line approximate too; in carry mode the printed operand is the value."""
        names = (name,) + (operands if self.t.info.get("mode", "display") != "carry" else ())
        return self.rel_all(*names, index=index)

    def n(self, name, *index):
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return self.fmt.num(value, self._kind(name))

    def fac(self, name, *index):
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return self.fmt.factor(value, self._kind(name))

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
        ek, sk, ak = self._kind(e), self._kind(total), self._kind(a)
        exps = self.fmt.matrix([[f"e^{{{self.fmt.num(v, self._kind(f'{pre}.z{l}'))}}}" for v in row] for row in z])
        lines = [(f"e^{{z^{{({l})}}}}", f"{exps} {self.rel_from(e, f'{pre}.z{l}')} {self.m(e)}")]
        for s in range(E.shape[1]):
            lhs = r"\sum_j e^{z_j}" + (f" \text{{ (sample {s + 1})}}" if E.shape[1] > 1 else "")
            lines.append((lhs, self.fmt.terms(E[:, s], ek) + f" {self.rel_from(total, e)} {self.fmt.num(S[s], sk)}"))
        quot = self.fmt.matrix([[f"{self.fmt.num(E[i, s], ek)} / {self.fmt.num(S[s], sk)}"
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

    def entrywise(self, pattern: str, *names):
        """A matrix whose entry (i, j) is ``pattern`` filled with entry (i, j) of each value in
        ``names`` (as factors), e.g. ``\\sqrt{{{0}}} + {1}``; a name may be a given constant, the
        same in every entry.  One number format per matrix."""
        values = [np.asarray(self.t.dec(n), dtype=object) for n in names]
        shape = max((v.shape for v in values), key=len)
        cells = []
        for idx in np.ndindex(shape if shape else (1,)):
            args = [self.fmt.factor(v[idx] if v.shape else v.item(), self._kind(n)) for v, n in zip(values, names)]
            cells.append(pattern.format(*args))
        if not shape:
            return cells[0]
        rows = shape[0] if len(shape) == 2 else shape[0]
        cols = shape[1] if len(shape) == 2 else 1
        return self.fmt.matrix([cells[r * cols:(r + 1) * cols] for r in range(rows)])

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
        from .engine.network import minibatch
        return [c + 1 for c in minibatch(self.model, k)]

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

    def m(self, name):
        return self.fmt.mat(self.t.dec(name), self._kind(name))

    def mf(self, name):
        """A value as an operand: like ``m``, with a negative number in parentheses."""
        a = self.t.dec(name)
        return self.fac(name, *([0] * getattr(a, "ndim", 0))) if getattr(a, "size", 1) == 1 else self.m(name)

    def tmf(self, name):
        """The transpose as an operand."""
        a = self.t.dec(name)
        return self.mf(name) if getattr(a, "size", 1) == 1 else self.tm(name)

    def rowterms(self, name):
        """A column whose entry i is the sum of row i written out (the batch sum of a bias gradient)."""
        a = self.t.dec(name)
        return self.fmt.matrix([[self.fmt.terms(row, self._kind(name))] for row in a])

    # --- exact values (expression models): the rules are in generator.exactform -------------

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
        from .numbers import is_exact
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

    def cv(self, name, *index, c=0):
        """Entry ``index`` of a convolution value, then channel ``c`` where there are several."""
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return value[c] if self.model.kind == "conv" and self.model.input.shape[0] > 1 else value

    def fits(self, *parts) -> bool:
        """Whether these pieces of display math, side by side, fit on one line of the page."""
        from .latex import LINE_UNITS, width
        return sum(width(p) for p in parts) <= LINE_UNITS

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

    def conv_products(self, r, q):
        """Output (r, q) of a convolution as its products, row by row (channel by channel):
        ``{x · w} + …``."""
        windows = np.asarray(self.t.dec("windows"), dtype=object)[r][q]
        kernel = self.model.kernel
        if windows.ndim == 2:
            windows = windows[None]
        return " + ".join(f"{{{self.fmt.factor(x)} \\cdot {self.fmt.factor(w)}}}"
                          for c in range(kernel.shape[0]) for x, w in zip(windows[c].ravel(), kernel[c].ravel()))

    def pool_window(self, r, q):
        """Window (r, q) of a max pooling, with −∞ where it covers padding (never the maximum)."""
        window = self.t.dec("windows")[r][q]
        pad = self.info.get("padding_cells")
        cells = [[r"-\infty" if pad and pad[r][q][a][b] else self.fmt.num(v) for b, v in enumerate(row)]
                 for a, row in enumerate(window)]
        return self.fmt.matrix(cells)

    def crel(self, name, *index, c=0):
        """``rel`` of entry ``index`` of a convolution value, in channel ``c`` where there are several."""
        several = self.model.kind == "conv" and self.model.input.shape[0] > 1
        return self.rel(name, *(((c,) if several else ()) + index))

    def terms_at(self, name, *index):
        """The entries of ``name[index]`` (a window, its products) as a sum, row by row."""
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return self.fmt.terms(np.asarray(value, dtype=object).ravel(order="C"), self._kind(name))

    def node(self, ident):
        return next(n for n in self.info["graph"] if n["id"] == ident)

    def layout(self, upto=None):
        return graph_layout(self.info["graph"], upto)

    def consumers(self, ident, upto=None):
        """Nodes that take ``ident`` as an input (within the graph up to ``upto``)."""
        return [n for n in self.layout(upto)["nodes"] if ident in n["inputs"]]

    def row(self, name):
        return self.fmt.rowvec(self.t.dec(name), self._kind(name))

    def tm(self, name):
        return self.fmt.tmat(self.t.dec(name), self._kind(name))

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

    def sums(self, name):
        return self.fmt.sum_cells(self.t.dec(name), self._kind(name))

    def terms(self, name):
        return self.fmt.terms(self.t.dec(name), self._kind(name))


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


def show_weights(spec: Spec, model) -> bool:
    """Weights in the diagram (on the edges where they fit, else in a table beside it), unless
    the spec says ``diagram_weights: never``."""
    return model.kind == "network" and spec.diagram_weights != "never"


def _views(spec: Spec, trace: Trace) -> list[View]:
    fmt = Formatter(trace.rounding)
    return [View(model, pt, fmt, show_weights(spec, model))
            for model, pt in zip(spec.problems, trace.problems)]


def _divergence_rows(trace: Trace, limit: int = 40) -> list[dict]:
    """The carry-mode answers that differ from full precision, formatted for the document: key
    answers and every value moved more than 5 %."""
    from .divergence import divergences

    fmt = Formatter(trace.rounding)
    rows = []
    for d in divergences(trace, trace.rounding):
        if not (d.key or d.too_far):
            continue
        rel = d.relative
        rows.append({"label": d.label(tex=True), "carried": fmt.num(d.carried, d.kind),
                     "full": fmt.num(d.full, d.kind), "far": d.too_far,
                     "percent": "" if rel is None else _percent(rel, trace.rounding.decimal_comma)})
    return rows[:limit]


def _percent(rel, comma: bool) -> str:
    text = f"{float(rel) * 100:.1f}"
    return (text.replace(".", "{,}") if comma else text) + r"\,\%"


def _render(env, name: str, **context) -> str:
    """Render template ``name``; any failure inside a template (a syntax error, an undefined
    name, a filter that raises, a template that includes itself) is one TemplateError naming
    the template file and line."""
    try:
        return env.get_template(name).render(**context)
    except DryrunError:
        raise
    except jinja2.TemplateError as e:
        raise _template_error(e) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RecursionError) as e:
        import traceback
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.endswith(".j2")]
        where = f" in {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        raise TemplateError(f"template error{where}: {type(e).__name__}: {e}") from None


def render_figure(spec: Spec, trace: Trace, templates: str | Path | None = None) -> str | None:
    """A standalone document of the first network diagram of ``spec`` (an LMS question's figure),
    or None when the spec has no network."""
    env = environment(trace.rounding, str(templates) if templates else None)
    for view in _views(spec, trace):
        if view.model.kind == "network":
            return _render(env, "figure.tex.j2", pb=view, spec=spec, policy=trace.rounding)
    return None


def render_body(spec: Spec, trace: Trace, templates: str | Path | None = None) -> str:
    """The worked solution of every problem, without preamble: a solution's body, and a section
    of an answer key."""
    env = environment(trace.rounding, str(templates) if templates else None)
    return _render(env, "solution_body.tex.j2", spec=spec, problems=_views(spec, trace),
                   policy=trace.rounding, what="solution", divergences=_divergence_rows(trace))


def render(spec: Spec, trace: Trace, what: str = "solution",
           templates: str | Path | None = None, body: str | None = None) -> str:
    """The LaTeX source of the ``what`` document ('solution' or 'question') of ``spec``;
    ``body``: the solution's body if it was already rendered (render_body)."""
    if what not in WHATS:
        raise UsageError(f"what must be one of {', '.join(WHATS)}, not {what!r}")
    env = environment(trace.rounding, str(templates) if templates else None)
    if what == "solution" and body is None:
        body = render_body(spec, trace, templates)
    return _render(env, f"{what}.tex.j2", spec=spec, title=escape_latex(spec.title or spec.name),
                   problems=_views(spec, trace), policy=trace.rounding, what=what, body=body or "")


def render_key(spec: Spec, rows, templates: str | Path | None = None, bodies=None,
               table_only: bool = False) -> str:
    """One answer-key document for a homework set: a table of every variant's key answers, then
    (unless ``table_only``: the solutions' PDFs are appended to it instead) each variant's worked
    solution.  ``rows``: [(variant, {key name: shown value})], a variant being a homework.Variant
    or a plain (ident, label); ``bodies``: the variants' solution bodies where already rendered."""
    env = environment(spec.rounding, str(templates) if templates else None)
    names = []
    for _, keys in rows:
        names += [n for n in keys if n not in names]
    from .answers import key_label
    chunks = [names[i:i + 4] for i in range(0, len(names), 4)]       # never scaled: 4 columns a table
    labels = {n: key_label(n) for n in names}
    variants = []
    for i, (v, keys) in enumerate(rows):
        ident, label = (v.ident, v.label) if hasattr(v, "ident") else v
        body = "" if table_only else (bodies[i] if bodies else render_body(v.spec, v.trace, templates))
        variants.append({"ident": ident, "label": escape_latex(label), "keys": keys, "body": body})
    return _render(env, "key.tex.j2", spec=spec, title=escape_latex("Answer key: " + (spec.title or spec.name)),
                   what="key", chunks=chunks, labels=labels, variants=variants, policy=spec.rounding,
                   table_only=table_only)
