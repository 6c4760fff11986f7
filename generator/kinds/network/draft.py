"""Drafting a network from a hand-written worked solution (``dryrun init --from``, generator/draft/):
its weights (whole matrices W, W^{(2)}, W_1, or entry by entry w_{jk}^l), biases, input and target,
the activation of each layer (in prose or in formulas, bound to layers where the document says
which), the loss, the learning rate and the number of iterations, written as the spec's
``network:`` section."""

from __future__ import annotations

import re

from ...draft.common import flat, infer_loss, is_number_tree, is_rate, show, to_yaml
from ...draft.facts import Event, Sym, clean_script, indices, layer_number
from ...draft.latex import normalize
from ...draft.parse import has_numbers, num, terms
from ...draft.reading import Seg

# --------------------------------------------------------------------------- roles


def _is_weight(s: Sym) -> bool:
    """W, W^{(2)}, W_1, w_{11}^1 (not W_{new}, not W^T)."""
    return s.base in ("W", "w") and not s.accent and not re.search(r"[A-Za-z]", s.sub + s.sup)


def _is_bias(s: Sym) -> bool:
    return s.base == "b" and s.accent == "" and not re.search(r"[a-z]", s.sub)


def _is_input(s: Sym) -> bool:
    if s.base in ("x", "X") and s.accent == "":
        return s.sup in ("", "(0)", "0", "[0]") and not re.search(r"[a-z]", s.sub)
    return s.base in ("a", "h") and s.sup in ("(0)", "0", "[0]") and s.accent == ""


_TARGET_WORDS = ("true", "target", "label", "gt")


def _is_target(s: Sym) -> bool:
    if s.base in ("y", "Y", "t"):
        if s.sup and layer_number(s.sup) is not None:
            return False
        if s.base == "t" and s.accent:
            return False
        return not s.sub or indices(s.sub) is not None or any(w in s.sub.lower() for w in _TARGET_WORDS)
    return s.base.lower() in ("target", "label")


# --------------------------------------------------------------------------- activations, iterations


def _words(prose: list[str], segs: list[Seg]):
    """(line, text) of every line: its prose and its math, for words."""
    out = [(k + 1, p) for k, p in enumerate(prose) if p.strip()]
    out += [(s.line, s.text) for s in segs]
    return sorted(out, key=lambda t: t[0])


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "a single": 1, "single": 1}
#: (activation, its words in prose (any case), its LaTeX (case as written))
_ACTS = [("leaky_relu", r"leaky[\s_-]*relu", None),
         ("relu", r"(?<!leaky )(?<!leaky_)(?<!leaky-)\brelu\b|rectified linear", None),
         ("sigmoid", r"sigmoid|logistic\s+(?:function|activation)", r"\\sigma\b|\\frac\{1\}\{1\s*\+\s*e\^"),
         ("tanh", r"\btanh\b", None), ("softmax", r"softmax", None),
         ("identity", r"\b(?:linear|identity)\s+(?:activation|output\s+(?:unit|layer))", None)]


def _acts_in(text: str) -> list[tuple[str, int]]:
    """(activation, position) of every activation named in ``text``."""
    out = []
    for act, words, tex in _ACTS:
        out += [(act, m.start()) for m in re.finditer(words, text, re.I)]
        if tex:
            out += [(act, m.start()) for m in re.finditer(tex, text)]
    return sorted(out, key=lambda t: t[1])


def _activation_mentions(lines):
    return [(act, line, pos, text) for line, text in lines for act, pos in _acts_in(text)]


def _z_layer(text: str, pos: int) -> int | None:
    """The layer of the pre-activation an activation is applied to: σ(z^{(2)}), ReLU(z_1^1)."""
    tail = normalize(text[pos:pos + 80])
    tail = re.sub(r"\\(?:text|mathrm|operatorname)\{([^}]*)\}", r"\1", tail)
    m = re.match(r"\\?[A-Za-z]+\}?'?\s*\(\s*[zZ](?:_\{?[^}^()]*\}?)?\s*\^\s*\{?\s*[(\[]?(\d)[)\]]?\s*\}?", tail)
    return int(m.group(1)) if m else None


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[,;.]|\band\b", text) if c.strip()]


def _snippet(text: str, pos: int) -> str:
    """The clause or equation of ``text`` around ``pos``."""
    start = end = None
    for m in re.finditer(r",\s|;\s|\.\s|\\q?quad", text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() > pos and end is None:
            end = m.start()
    piece = text[start or 0:end or len(text)].strip()
    return piece if len(piece) <= 100 else text[max(0, pos - 40):pos + 40].strip()


def _infer_activations(d, segs, prose, n_layers: int, sum_output: bool) -> list[tuple]:
    """(activation, where, guess-why, what the document says) per layer; guess-why is '' when the
    document says which activation the layer uses."""
    lines = _words(prose, segs)
    mentions = _activation_mentions(lines)
    kinds = list(dict.fromkeys(act for act, *_ in mentions))
    if not kinds:
        return [("sigmoid", "", "no activation is named in the document", "")] * n_layers
    if len(kinds) == 1:                                 # one activation named: every layer has it
        act, line, pos, text = mentions[0]
        return [(act, d.doc.where(line), "", _snippet(text, pos))] * n_layers
    by_layer, hidden, output = {}, None, None
    for act, line, pos, text in mentions:               # σ(z^{(2)}), ReLU(z_1^1): the layer of its z
        z = _z_layer(text, pos)
        if z is not None and 1 <= z <= n_layers:
            by_layer.setdefault(z, (act, d.doc.where(line), "", _snippet(text, pos)))
    for line, text in lines:                            # "hidden units use ReLU", "the output a sigmoid"
        for clause in _clauses(text):
            low = clause.lower()
            acts = list(dict.fromkeys(a for a, _ in _acts_in(clause)))
            if len(acts) != 1:
                continue
            if "hidden" in low and hidden is None:
                hidden = (acts[0], d.doc.where(line), "", clause.strip())
            elif "output" in low and output is None:
                output = (acts[0], d.doc.where(line), "", clause.strip())
    out = []
    for layer in range(1, n_layers + 1):
        last = layer == n_layers and not sum_output
        if layer in by_layer:
            out.append(by_layer[layer])
        elif last and output:
            out.append(output)
        elif not last and hidden:
            out.append(hidden)
        else:
            out.append((kinds[-1] if last else kinds[0], "", "the document names several activations and "
                        "does not say which layer uses which", ""))
    return out


def _infer_iterations(d, f, prose, segs):
    """(count, where, source, guess-why)."""
    for line, text in _words(prose, segs):
        low = " ".join(text.lower().split())
        m = re.search(r"\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a single|single)\s+"
                      r"(?:more\s+|training\s+|full\s+|gradient[\s-]+descent\s+)?(iterations?|epochs?|steps?|updates?)\b",
                      low)
        if m and not (m.group(2).startswith("step") and "descent" not in low and "gradient" not in low
                      and "update" not in low and "training" not in low):
            n = int(m.group(1)) if m.group(1).isdigit() else _NUMBER_WORDS[m.group(1)]
            if 1 <= n <= 1000:
                return n, line, text.strip(), ""
    counts, first = {}, {}
    for c in f.chains:
        if not c.own:
            continue
        chain, line = c.sides, c.line
        lhs = chain[0][1]
        m = re.fullmatch(r"\s*\\frac\{\s*(?:\\partial|d)\s*(?:\\mathcal\{L\}|\\text\{[^}]*\}|[LCJE]|\\ell)\s*\}"
                         r"\{\s*(?:\\partial|d)\s*(.+?)\}\s*", lhs)
        if not m or len(chain) < 2:
            continue
        target = clean_script(m.group(1)).replace("mathbf", "")
        if not re.match(r"[Wwb]", target):
            continue
        rest = [terms(s) for _, s in chain[1:]]
        if any(has_numbers(t) and not _only_mean_factor(s) for t, (_, s) in zip(rest, chain[1:])):
            key = target
            if (key, line) not in first:
                first[(key, line)] = True
                counts.setdefault(key, []).append(line)
    if counts:
        key = max(counts, key=lambda k: len(counts[k]))
        lines = counts[key]
        return (len(lines), lines[0], f"the loss gradient with respect to {key} is worked out with numbers "
                f"{len(lines)} time{'s' if len(lines) > 1 else ''} (" + ", ".join(d.doc.where(x) for x in lines)
                + ")", "the number of iterations is not stated")
    return 1, 0, "", "the number of iterations is not stated, nor any gradient with numbers"


def _only_mean_factor(side: str) -> bool:
    t = re.sub(r"\\frac\{1\}\{\s*2?\s*[nmNM]\s*\}", "", side)
    t = re.sub(r"[_^]\{[^}]*\}|[_^]\\?\w", "", t)
    return not re.search(r"\d", t)


# --------------------------------------------------------------------------- the network


def draft(d) -> list[tuple[int, list[str]]]:
    """The network the document works out, as the spec's ``network:`` section: [(line, its YAML
    lines)], or [] when the document gives no weights."""
    f, segs, prose = d.facts, d.segs, d.prose
    weights = f.first(_is_weight)
    # whole matrices (W, W^{(2)}, W_1) and entries (w_{11}^1) of weights
    whole = {s: e for s, e in weights.items() if isinstance(e.value, list) and is_number_tree(e.value)
             and (not s.sub or len(clean_script(s.sub)) == 1)}
    entries = {s: e for s, e in weights.items() if isinstance(e.value, str) and indices(s.sub)
               and len(indices(s.sub)) == 2}
    layers = {}               # layer key → (matrix, [(line, source)], from entries, symbol)
    for s, e in whole.items():
        key = layer_number(s.sup) if s.sup else (indices(s.sub)[0] if s.sub and indices(s.sub) else None)
        if key in layers:
            continue
        m = e.value if isinstance(e.value[0], list) else [e.value]
        layers[key] = (m, [(e.line, e.source)], False, s)
    by_layer = {}
    for s, e in entries.items():
        by_layer.setdefault(layer_number(s.sup) if s.sup else None, {})[indices(s.sub)] = e
    for key, cells in by_layer.items():
        if key in layers:
            continue
        rows = max(i for i, _ in cells)
        cols = max(j for _, j in cells)
        if len(cells) != rows * cols:
            continue
        m = [[cells[(i, j)].value for j in range(1, cols + 1)] for i in range(1, rows + 1)]
        lines = sorted({(e.line, e.source) for e in cells.values()})
        layers[key] = (m, lines, True, next(iter(cells)))
    if not layers:                                # one unit: w_1, w_2, … (and b)
        single = {}
        for s, e in weights.items():
            idx = indices(s.sub)
            if idx and len(idx) == 1 and isinstance(e.value, str) and not s.sup:
                single.setdefault(idx[0], e)
        if single and sorted(single) == list(range(1, max(single) + 1)):
            m = [[single[k].value for k in sorted(single)]]
            layers[None] = (m, sorted({(e.line, e.source) for e in single.values()}), False, Sym("w", "", "", ""))
    if not layers:
        return []
    unnumbered = None
    if None in layers:                            # "W" beside "W^2": W is the first free layer number
        unnumbered = next(n for n in range(1, 100) if n not in layers)
        layers[unnumbered] = layers.pop(None)
    order = sorted(layers)

    # input
    inputs = f.first(_is_input)
    x_whole = [(s, e) for s, e in inputs.items() if not s.sub and isinstance(e.value, list) and is_number_tree(e.value)]
    x_whole += [(s, e) for s, e in inputs.items() if not s.sub and isinstance(e.value, str)]
    x_whole.sort(key=lambda t: t[1].line)
    first_w = layers[order[0]][0]
    n_in = len(first_w[0])
    x_val, x_note = None, ""
    if x_whole:
        s, e = x_whole[0]
        v = e.value if isinstance(e.value, list) else [e.value]
        if isinstance(v[0], list):
            r, c = len(v), len(v[0])
            if c == 1 or r == 1:
                v = flat(v)
            elif r != n_in and c == n_in:
                v = [list(col) for col in zip(*v)]
                x_note = "the document writes one sample per row; dryrun takes one per column"
        x_val = v
        d.given("input " + s.show(), show(x_val), e.line, e.source)
    else:
        ents = {}
        for s, e in inputs.items():
            idx = indices(s.sub)
            if idx and len(idx) == 1 and isinstance(e.value, str):
                ents.setdefault(idx[0], e)
        if ents and sorted(ents) == list(range(1, max(ents) + 1)):
            x_val = [ents[k].value for k in sorted(ents)]
            for k in sorted(ents):
                d.given(f"input x_{k}", ents[k].value, ents[k].line, ents[k].source)
    if x_val is None:
        x_val = ["1"] * n_in
        x_note = "no input values found; replace these"
    batch = isinstance(x_val[0], list)

    # layers: check the chain of sizes (transpose a weight matrix written in × out)
    mats = []
    prev = len(x_val)
    for n, key in enumerate(order):
        m, lines, from_entries, s = layers[key]
        note = ""
        if len(m[0]) != prev and len(m) == prev:
            m = [list(col) for col in zip(*m)]
            note = "the document's matrix is inputs × units; dryrun's W is units × inputs (transposed)"
        mats.append((key, m, lines, from_entries, s, note))
        prev = len(m)
    units_out = len(mats[-1][1])

    biases = f.first(_is_bias)
    b_whole = {}
    for s, e in sorted(biases.items(), key=lambda t: t[1].line):
        whole_b = not s.sub or (len(s.sub) == 1 and isinstance(e.value, list))     # b, b^{(2)}, b_1 = [...]
        if whole_b and is_number_tree(e.value):
            key = layer_number(s.sup) if s.sup else (layer_number(s.sub) if s.sub else None)     # b, b^{(2)}, b_1
            if key is None:                       # an unnumbered b goes with the unnumbered W
                key = unnumbered if unnumbered is not None else (order[0] if len(order) == 1 else None)
            if key is not None:
                b_whole.setdefault(key, []).append(e)     # earliest first; the first of the right size wins
    b_entries = {}
    for s, e in biases.items():
        idx = indices(s.sub)
        if idx and len(idx) == 1 and isinstance(e.value, str):          # b_1^1, b_2^1: one entry each
            b_entries.setdefault(layer_number(s.sup) if s.sup else None, {}).setdefault(idx[0], e)

    # output, activations, loss
    words = _words(prose, segs)
    sum_output = any(re.search(r"^\s*[yo]\s*=\s*\\sum", s.text.replace("{", "").replace("}", "")) and
                     re.search(r"a_|h_", s.text) for s in segs) or \
        any(re.search(r"\bsum(?:ming)?\s+(?:of\s+)?(?:the\s+)?(?:hidden\s+)?(?:layer\s+)?(?:activations|outputs)", t, re.I)
            for _, t in words)
    acts = _infer_activations(d, segs, prose, len(mats), sum_output)
    loss = infer_loss(d, batch, units_out, acts[-1][0])

    # target
    tgt = None
    if not (loss and loss[0] == "square"):
        cands = sorted(((s, e) for s, e in f.first(_is_target).items()
                        if not s.sub or any(w in s.sub.lower() for w in _TARGET_WORDS)),
                       key=lambda t: (0 if any(w in t[0].sub.lower() for w in _TARGET_WORDS)
                                      or t[0].accent == "tilde" else 1, t[1].line))
        cands = [(s, e) for s, e in cands if is_number_tree(e.value)]
        if cands:
            s, e = cands[0]
            v = e.value
            if isinstance(v, list):
                v = flat(v)
                if isinstance(v[0], list) and len(v) != units_out and len(v[0]) == units_out:
                    v = [list(col) for col in zip(*v)]
            tgt = (v, e.line, e.source, s)
        else:
            ents = {}
            for s, e in f.first(_is_target).items():
                idx = indices(s.sub)
                if idx and len(idx) == 1 and isinstance(e.value, str) and s.base in ("y", "Y", "t"):
                    ents.setdefault((s.base, s.accent), {}).setdefault(idx[0], e)
            for key, es in ents.items():
                if sorted(es) == list(range(1, units_out + 1)):
                    tgt = ([es[k].value for k in sorted(es)], min(e.line for e in es.values()),
                           "; ".join(sorted({e.source for e in es.values()}))[:200], None)
                    break

    rate = sorted(f.first(is_rate, skip_computed=True).items(), key=lambda t: t[1].line)
    rate = [(s, e) for s, e in rate if isinstance(e.value, str)]
    if not rate:
        for k, p in enumerate(prose, start=1):
            m = re.search(r"learning\s+rate\s*(?:of|is|=|:)?\s*(\d*\.?\d+)", p, re.I)
            if m and num(m.group(1)):
                rate = [(None, Event(Sym("eta", "", "", ""), num(m.group(1)), k, "literal", p.strip()))]
                break
    iters = _infer_iterations(d, f, prose, segs)

    # ---- write
    out = []
    scalar = all(m[3] for m in mats) and not batch
    out.append("network:")
    if scalar:
        out.append("  notation: scalar              # guessed: the document works neuron by neuron "
                   "(w_{jk}^l, one line per unit)")
    out.append(f"  input: {to_yaml(x_val)}" + (f"  # guessed: {x_note}" if x_note else ""))
    if tgt is not None:
        v, line, source, s = tgt
        d.given("target " + (s.show() if s else "y"), show(v), line, source)
        out.append(f"  target: {to_yaml(v)}")
    elif not (loss and loss[0] == "square"):
        out.append(f"  target: {to_yaml(['0'] * units_out if units_out > 1 else '0')}"
                   "  # guessed: no target value found; replace it")
    out.append("  layers:")
    for n, (key, m, lines, from_entries, s, note) in enumerate(mats, start=1):
        act, where, why, said = acts[n - 1]
        what = f"weights of layer {n} (" + ("w_{jk}^" + str(key) + " entry by entry" if from_entries else s.show()) + ")"
        d.given(what, show(m), ", ".join(dict.fromkeys(d.doc.where(l) for l, _ in lines)) if len(lines) > 1
                else lines[0][0], lines[0][1] if len(lines) == 1 else "; ".join(src for _, src in lines[:3]))
        out.append(f"    - activation: {act}" + (f"  # guessed: {why}" if why else ""))
        if not why and where:
            d.given(f"activation of layer {n}", act, where, said)
        if len(m) == 1:
            out.append(f"      weights: {to_yaml(m)}" + (f"  # guessed: {note}" if note else ""))
        else:
            out.append("      weights:" + (f"  # guessed: {note}" if note else ""))
            for row in m:
                out.append(f"        - {to_yaml(row)}")
        b = None
        for e in b_whole.get(key, ()):
            bv = flat(e.value) if isinstance(e.value, list) else [e.value]
            if bv and not isinstance(bv[0], list) and len(bv) == len(m):
                b = bv
                d.given(f"bias of layer {n}", show(b), e.line, e.source)
                break
        if b is None:
            es = b_entries.get(key) or (b_entries.get(None) if key == unnumbered or len(mats) == 1 else None)
            if es and sorted(es) == list(range(1, len(m) + 1)):
                b = [es[k].value for k in sorted(es)]
                d.given(f"bias of layer {n} (b_j^{key} entry by entry)", show(b),
                        ", ".join(dict.fromkeys(d.doc.where(e.line) for e in es.values())), "")
        if b is not None:
            out.append(f"      bias: {to_yaml(b)}")
        else:
            out.append("      # no bias found for this layer: a layer without bias (add bias: [...] if it has one)")
    if sum_output:
        out.append("  output: sum                   # the output is the sum of the last layer's activations")
    if loss:
        name, line, source, why = loss
        if not why:
            d.given("loss", name, line, source)
        out.append(f"  loss: {name}" + (f"  # guessed: {why} ({d.doc.where(line)})" if why else ""))
    else:
        out.append("  loss: half_sse  # guessed: no loss is named in the document")
    if rate:
        s, e = rate[0]
        d.given("learning rate " + (s.show() if s else ""), e.value, e.line, e.source)
        out.append(f"  learning_rate: {e.value}")
    else:
        out.append("  learning_rate: 0.1  # guessed: no learning rate is stated")
    n, line, source, why = iters
    if why:
        out.append(f"  iterations: {n}  # guessed: {why}" + (f"; {source}" if source else ""))
    else:
        d.given("iterations", str(n), line, source)
        out.append(f"  iterations: {n}")
    return [(layers[order[0]][1][0][0], out)]        # from the line of the first weights
