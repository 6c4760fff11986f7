"""Render a solved spec to LaTeX with the Jinja2 templates in ``templates/``.

One environment, TeX-safe delimiters (``((* block *))``, ``((( value )))``, ``((= comment =))``),
undefined names are errors.  Templates read the trace; the filters in ``latex`` format it."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from .errors import DryrunError, TemplateError, UsageError
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


def builtin_templates() -> dict[str, Path]:
    """Every built-in template by the name a template (or an override) uses: the shared documents
    in templates/ and each kind's own, ``<kind>/<file>``."""
    from .kinds import template_dirs
    found = {p.relative_to(TEMPLATES).as_posix(): p for p in TEMPLATES.rglob("*.j2")}
    for name, folder in template_dirs().items():
        found.update({f"{name}/{p.relative_to(folder).as_posix()}": p for p in folder.rglob("*.j2")})
    return dict(sorted(found.items()))
WHATS = ("solution", "question")


@functools.lru_cache(maxsize=32)
def environment(policy, user_templates: str | Path | None = None) -> jinja2.Environment:
    """The Jinja environment for one rounding policy (its filters format with it); built once and
    reused, so each template is compiled once per process."""
    from .kinds import template_dirs
    builtin = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(TEMPLATES)),
        jinja2.PrefixLoader({k: jinja2.FileSystemLoader(str(d)) for k, d in template_dirs().items()})])
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
    # the user's folder, so that an error names the override it comes from (render._where)
    env.dryrun_user_dir = Path(user_templates).resolve() if user_templates else None
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
        try:
            tree = env.parse(path.read_text(encoding="utf-8"))
        except (jinja2.TemplateSyntaxError, OSError, UnicodeDecodeError):
            continue                        # reported when the template is used
        parents = [n.template.value for n in tree.find_all(nodes.Extends) if isinstance(n.template, nodes.Const)]
        if not parents:
            continue
        known, parent, whole = set(), parents[0], False
        for _ in range(10):                 # the blocks of the whole chain of parents
            try:
                ptree = env.parse(env.loader.get_source(env, parent)[0])
            except (jinja2.TemplateError, OSError, UnicodeDecodeError):
                break                       # a missing or broken parent: reported when it is used
            known |= {b.name for b in ptree.find_all(nodes.Block)}
            nxt = [n.template.value for n in ptree.find_all(nodes.Extends) if isinstance(n.template, nodes.Const)]
            if not nxt:
                whole = True
                break
            parent = nxt[0]
        if not whole:                       # the chain is not known: warn about nothing
            continue
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


def _where(tb, user_dir: Path | None = None) -> str:
    """`` in FILE:LINE`` of the template a failure comes from: the deepest template frame of the
    traceback; when that is a built-in template called from a user's override (a built-in macro
    given a bad argument), the override's line, which is where the mistake is, with the built-in
    one after it."""
    import traceback
    frames = [f for f in traceback.extract_tb(tb) if f.filename.endswith(".j2")]
    if not frames:
        return ""
    last = frames[-1]
    if user_dir is not None:
        mine = [f for f in frames if _inside(f.filename, user_dir)]
        if mine and mine[-1] is not last:
            return f" in {mine[-1].filename}:{mine[-1].lineno} (inside {last.filename}:{last.lineno})"
    return f" in {last.filename}:{last.lineno}"


def _inside(filename: str, folder: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _template_error(e: jinja2.TemplateError, user_dir: Path | None = None) -> DryrunError:
    """One line naming the template file and line: from the syntax error, else from the template
    frames of the traceback (an undefined name, a failing filter, a missing include …)."""
    if isinstance(e, jinja2.TemplateSyntaxError):
        return TemplateError(f"template error in {e.filename or e.name or '<template>'}:{e.lineno}: {e.message}")
    if isinstance(e, jinja2.TemplateNotFound):
        return TemplateError(f"template not found: {e.name}{_where(e.__traceback__, user_dir)}")
    return TemplateError(f"template error{_where(e.__traceback__, user_dir)}: {e.message}")


def _views(spec, trace: Trace) -> list:
    """What the templates see of each exercise: its kind's view (``kinds/<kind>/views.py``)."""
    from .kinds import kind
    fmt = Formatter(trace.rounding)
    if trace.rounding.mode == "carry":
        return [kind(model.kind).view(model, _shown(pt), fmt, spec) for model, pt in zip(spec.problems, trace.problems)]
    return [kind(model.kind).view(model, pt, fmt, spec) for model, pt in zip(spec.problems, trace.problems)]


def _shown(pt):
    """Carry mode: the problem as the document shows it, a carried value that rounding made whole
    marked (``numbers.Rounded``: 0.9996 is written 1.00 at 3 significant figures, not 1)."""
    import copy
    from dataclasses import replace
    from .numbers import mark_rounded
    shown = copy.copy(pt)
    shown.entries = {n: e if e.kind == "given" or e.full or e.symbolic is not None
                     else replace(e, dec=mark_rounded(e.dec, e.exact_mask), _exact=e.exact_mask)
                     for n, e in pt.entries.items()}
    return shown


def _divergence_rows(trace: Trace, limit: int = 40) -> list[dict]:
    """The carry-mode answers that differ from full precision, formatted for the document: key
    answers and every value moved more than 5 %."""
    from .divergence import divergences
    from .latex import uniform

    fmt = Formatter(trace.rounding)
    rows = []
    for d in divergences(trace, trace.rounding):
        if not (d.key or d.too_far):
            continue
        rel = d.relative
        carried, full = fmt.num(d.carried, d.shown_kind), fmt.num(d.full, d.kind)
        if trace.rounding.precision(d.kind).style == "decimals":      # 0.0711 beside 0.0710, not 0.071
            (carried, full), = uniform([[carried, full]])
        rows.append({"label": d.label(tex=True), "carried": carried,
                     "full": full, "far": d.too_far,
                     "percent": "" if rel is None else _percent(rel, trace.rounding.decimal_comma)})
    return rows[:limit]


def _percent(rel, comma: bool) -> str:
    text = f"{float(rel) * 100:.1f}"
    return (text.replace(".", "{,}") if comma else text) + r"\,\%"


class _Problems(list):
    """The views a template loops over, remembering the one it has reached: a document that grows
    past the size limit names the exercise it was writing."""

    current = None

    def __iter__(self):
        for view in super().__iter__():
            self.current = view
            yield view


def _render(env, name: str, *, limit: int | None = None, label: str = "", **context) -> str:
    """Render template ``name``; any failure inside a template (a syntax error, an undefined
    name, a filter that raises, a template that includes itself) is one TemplateError naming
    the template file and line.  ``limit``: bytes of LaTeX (limits.max_tex_bytes); the text is
    generated piece by piece and refused as soon as it passes the limit, never built whole."""
    try:
        if limit is None:
            return env.get_template(name).render(**context)
        out, size = [], 0
        for piece in env.get_template(name).generate(**context):
            size += len(piece.encode("utf-8"))
            if size > limit:
                raise _too_large(label, limit, context.get("problems"))
            out.append(piece)
        return "".join(out)
    except DryrunError:
        raise
    except jinja2.TemplateError as e:
        raise _template_error(e, getattr(env, "dryrun_user_dir", None)) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RecursionError) as e:
        where = _where(e.__traceback__, getattr(env, "dryrun_user_dir", None))
        raise TemplateError(f"template error{where}: {type(e).__name__}: {e}") from None


def _too_large(label: str, limit: int, problems) -> DryrunError:
    from .errors import SpecError
    current = getattr(problems, "current", None)
    part = f", passed while writing exercise '{current.model.id}'" if current is not None else ""
    return SpecError(f"{label} would be more than {limit / 1e6:.1f} MB of LaTeX (limit max_tex_bytes){part}; "
                     f"make the exercise smaller, or raise the limit with --limit max_tex_bytes=N")


def _limit(spec) -> int:
    from .limits import DEFAULT
    return (getattr(spec, "limits", None) or DEFAULT).max_tex_bytes


def render_figure(spec: Spec, trace: Trace, templates: str | Path | None = None) -> str | None:
    """A standalone document of the first figure of ``spec`` (an LMS question's picture): the
    ``figure.tex.j2`` of the first exercise whose kind has one; None when none has."""
    from .kinds import kind as kind_of
    env = environment(trace.rounding, str(templates) if templates else None)
    for view in _views(spec, trace):
        figure = kind_of(view.model.kind).figure
        if figure:
            return _render(env, figure, pb=view, spec=spec, policy=trace.rounding)
    return None


def render_body(spec: Spec, trace: Trace, templates: str | Path | None = None) -> str:
    """The worked solution of every problem, without preamble: a solution's body, and a section
    of an answer key."""
    env = environment(trace.rounding, str(templates) if templates else None)
    return _render(env, "solution_body.tex.j2", limit=_limit(spec), label=f"{spec.path}: the solution",
                   spec=spec, problems=_Problems(_views(spec, trace)), policy=trace.rounding, what="solution",
                   divergences=_divergence_rows(trace))


class HandIn(list):
    """What a question sheet's "What to hand in" lists: per asked answer a dict of its notation
    (``label_tex``), its column name in answers.csv / responses-template.csv (``name``) and the
    rounding asked (``asked``: '4 decimals'); ``variant``: the variant id of a homework's sheet."""

    def __init__(self, rows=(), variant: str | None = None):
        super().__init__(rows)
        self.variant = variant


def handin_rows(spec: Spec, trace: Trace, variant: str | None = None) -> HandIn:
    """The rows of "What to hand in"; a notation's text suffix ``\\text{ (iteration 2)}`` is its
    ``note``, printed below it (math in a narrow column cannot break)."""
    import re
    from .answers import answers
    rows = []
    for a in answers(spec, trace, spec.answers):
        m = re.fullmatch(r"(?s)(.*?)\s*\\text\{\s*\(([^{}]*)\)\}\s*", a.label_tex)
        label, note = (m.group(1), m.group(2)) if m else (a.label_tex, "")
        rows.append({"name": a.name, "label_tex": label, "note": note, "asked": a.asked})
    return HandIn(rows, variant)


def render(spec: Spec, trace: Trace, what: str = "solution",
           templates: str | Path | None = None, body: str | None = None, handin: bool | None = None) -> str:
    """The LaTeX source of the ``what`` document ('solution' or 'question') of ``spec``;
    ``body``: the solution's body if it was already rendered (render_body).  A question sheet ends
    with "What to hand in" (the asked answers) when ``handin``; by default when the spec declares
    ``answers:`` (a homework's sheets always have it)."""
    if what not in WHATS:
        raise UsageError(f"what must be one of {', '.join(WHATS)}, not {what!r}")
    env = environment(trace.rounding, str(templates) if templates else None)
    if what == "solution" and body is None:
        body = render_body(spec, trace, templates)
    homework = handin is True            # a homework's variant: its name is its variant id
    if handin is None:
        handin = isinstance(spec.data, dict) and "answers" in spec.data
    return _render(env, f"{what}.tex.j2", limit=_limit(spec), label=f"{spec.path}: the {what}", spec=spec,
                   title=escape_latex(spec.title or spec.name), problems=_Problems(_views(spec, trace)),
                   policy=trace.rounding, what=what, body=body or "",
                   handin=handin_rows(spec, trace, spec.name if homework else None) if what == "question" and handin else [])


import re

#: The key's table: the text block of base.tex.j2 (A4, 2.2 cm margins) in pt, the type size of
#: the table (\small of 11 pt: 10 pt), \tabcolsep, and the widest name and id columns (wider
#: names and ids wrap inside their column).
KEY_TEXT_WIDTH = 595.28 - 2 * 62.36
KEY_FONT_PT = 10.0
KEY_COLSEP = 6.0
KEY_NAME_MAX, KEY_ID_MAX = 0.30 * KEY_TEXT_WIDTH, 0.20 * KEY_TEXT_WIDTH
#: Estimated widths are multiplied by this before columns are grouped: a little too narrow an
#: estimate then still fits (tests/test_class_key.py measures the pages).
KEY_SAFETY = 1.08

# widths of Latin Modern Roman 10 in em (text; math italic letters are about as wide); an accented
# letter counts as its base letter, any other character as a wide one (0.8)
_EM = {**dict(zip("abcdefghijklmnopqrstuvwxyz", (.5, .556, .444, .556, .444, .306, .5, .556, .278, .306,
                  .528, .278, .833, .556, .5, .556, .528, .392, .394, .389, .556, .528, .722, .528, .528, .444))),
       **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (.75, .708, .722, .764, .681, .653, .785, .75, .361, .514,
                  .778, .625, .917, .75, .778, .681, .778, .736, .556, .722, .75, .75, 1.028, .75, .75, .611))),
       **{c: 0.5 for c in "0123456789"}, **{c: 0.278 for c in ".,;:!'`|[]"}, "(": 0.389, ")": 0.389,
       "/": 0.5, "-": 0.333, "+": 0.778, "=": 0.778, " ": 0.333, "?": 0.472, "@": 0.778, "*": 0.5,
       "ß": 0.5, "æ": 0.722, "Æ": 0.903, "ø": 0.5, "Ø": 0.778, "œ": 0.778, "Œ": 1.014, "þ": 0.556,
       "Þ": 0.681, "ð": 0.5, "Ð": 0.764, "ł": 0.278, "Ł": 0.625, "ı": 0.278}
_EM_COMMANDS = {"partial": 0.57, ",": 0.167, ";": 0.278, ":": 0.222, "quad": 1.0, "cdot": 0.778,
                "times": 0.778, "approx": 0.778, "allowbreak": 0.0, "left": 0.0, "right": 0.0,
                "textasciigrave": 0.5, "textbackslash": 0.5, "textasciitilde": 0.5, "textasciicircum": 0.5}
#: commands whose argument is typeset as text (spaces count); \textbf widens it
_EM_TEXT = {"text": 1.0, "mathrm": 1.0, "textrm": 1.0, "textit": 1.0, "textbf": 1.15, "mbox": 1.0}
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_$]|[^\\{}^_$]")


def _char_em(ch: str, math: bool) -> float:
    import unicodedata
    if ch == " ":
        return 0.0 if math else _EM[" "]
    if ch == "-" and math:
        return 0.778                        # a minus sign
    if ch not in _EM:
        base = unicodedata.normalize("NFD", ch)[0]
        return _EM.get(base, 0.8)
    return _EM[ch]


def _tex_em(tex: str, math: bool = False) -> float:
    """An estimate of the width of a short piece of LaTeX (a header, a number, a name) in em,
    from the character widths of Latin Modern: sub- and superscripts at 0.7, spaces only in text."""
    tokens, i = _TEX_TOKEN.findall(tex), 0

    def group(scale: float, math: bool, single: bool = False) -> float:
        nonlocal i
        total = 0.0
        while i < len(tokens):
            t = tokens[i]
            i += 1
            if t == "}":
                return total
            if t == "$":
                math = not math
            elif t == "{":
                total += group(scale, math)
            elif t in "^_":
                total += group(scale * 0.7, math, single=True)
            elif t[1:] in _EM_TEXT and i < len(tokens) and tokens[i] == "{":
                i += 1
                total += group(scale * _EM_TEXT[t[1:]], False)
            elif t.startswith("\\"):
                total += scale * _EM_COMMANDS.get(t[1:], 0.8)
            else:
                total += scale * _char_em(t, math)
            if single:
                return total
        return total
    return group(1.0, math)


def _key_pt(tex: str, math: bool = False) -> float:
    return _tex_em(tex, math) * KEY_FONT_PT * KEY_SAFETY
_KEY_SUFFIX = re.compile(r"(?s)(.*?)\s*\\text\{\s*\(([^{}]*)\)\}\s*")
_KEY_PART = re.compile(r"(?s)\\text\{([^{}]*): \}(.*)")


def _key_header(name: str, kinds: dict, problems: dict | None = None) -> tuple[str, str]:
    """An answer's column header in two lines: (what spans its columns: the part and iteration,
    as text; the header proper, math): ``iteration 1`` over ``(∂L/∂W^{(2)})_{11}``, in the notation
    of its exercise's kind (``kinds``: ``answers.part_kinds``; ``problems``: a solved variant's
    exercises, ``answers.part_problems``, whose steps declare their notation)."""
    from .answers import key_label
    label, over = key_label(name, kinds, problems), []
    m = _KEY_PART.fullmatch(label)
    if m:
        over.append(m.group(1))
        label = m.group(2)
    m = _KEY_SUFFIX.fullmatch(label)
    if m:
        label = m.group(1)
        over.append(m.group(2))
    return ", ".join(over), label


def _in_computed_order(names, spec, problems) -> list[str]:
    """The answer names in the order the exercise computes them (part by part, a value's entries in
    order): a column some variants leave out (it equals a given value there) stands where it belongs,
    not after the columns of the first variant.  Without a solved variant, as they are."""
    if not problems:
        return names
    from .answers import split_answer_name
    parts = list(problems)
    order = {part: {n: i for i, n in enumerate(p.entries)} for part, p in problems.items()}

    def place(name):
        part, trace_name, index = split_answer_name(name)
        return (parts.index(part) if part in problems else len(parts),
                order.get(part, {}).get(trace_name, len(order.get(part, {}))), index)
    return sorted(names, key=place)


def _key_legend(names, kinds: dict, problems: dict | None) -> str:
    """What the key's columns are, from the answers it has: the losses of the passes (where it has
    any) and the trained parameters after training, each written as its columns' headers write it."""
    from .answers import key_label, split_answer_name
    from .labels import split_stage
    losses, params, parts = False, [], []
    for name in names:
        part, trace_name, _ = split_answer_name(name)
        found = split_stage(trace_name)
        if found is None:
            continue
        if found[1] == "loss":
            losses = True
        elif found[0] == "final":
            whole = key_label(f"{part}/{trace_name}" if part else trace_name, kinds, problems)
            whole = _KEY_PART.sub(r"\2", whole)
            plain = _KEY_SUFFIX.fullmatch(whole)
            whole = plain.group(1) if plain else whole
            if whole not in params:
                params.append(whole)
    trained = any(split_stage(split_answer_name(n)[1]) and split_stage(split_answer_name(n)[1])[0] == "final"
                  for n in names)
    if losses and trained:
        parts.append(r"$L_{\text{it}\,k}$: the loss before update $k$; $L_{\text{final}}$: after the last update")
    elif losses:                 # an exercise that stops before the update: one pass
        parts.append(r"$L_{\text{it}\,1}$: the loss of the forward pass (the exercise makes no update)")
    if params:
        parts.append(", ".join(f"${p}$" for p in params) + ": the parameters after training")
    return "; ".join(parts) + ("." if parts else "")


def _breakable(text: str) -> str:
    """User text escaped, with a permitted line break between any two characters (an id or an
    e-mail address wider than its column wraps instead of running into the next one)."""
    return r"\allowbreak{}".join(escape_latex(c) for c in text)


def _key_groups(names: list[str], headers: dict, values: dict, fixed: float) -> list[list[str]]:
    """The answer columns split into groups, each as wide as the page allows beside the name and
    id columns (``fixed`` pt with their separation); a group spans at least one column."""
    def width(group):
        cols = [max([_key_pt(headers[n][1], True)] + [_key_pt(v, True) for v in values[n]]) for n in group]
        total = fixed + sum(cols) + 2 * KEY_COLSEP * len(cols)
        # a spanning header (the iteration) wider than its columns widens the last of them
        start = 0
        for k in range(1, len(group) + 1):
            if k == len(group) or headers[group[k]][0] != headers[group[start]][0]:
                over = headers[group[start]][0]
                if over:
                    span = sum(cols[start:k]) + 2 * KEY_COLSEP * (k - start - 1)
                    total += max(0.0, _key_pt(escape_latex(over)) * 0.9 - span)
                start = k
        return total
    groups: list[list[str]] = []
    for n in names:
        if groups and width(groups[-1] + [n]) <= KEY_TEXT_WIDTH:
            groups[-1].append(n)
        else:
            groups.append([n])
    # as many groups, of about equal counts when they fit (no narrow last group of leftovers)
    k, n = len(groups), len(names)
    even, start = [], 0
    for g in range(k):
        size = n // k + (1 if g < n % k else 0)
        even.append(names[start:start + size])
        start += size
    return even if all(width(g) <= KEY_TEXT_WIDTH for g in even) else groups


def render_key(spec: Spec, rows, templates: str | Path | None = None, bodies=None,
               table_only: bool = False) -> str:
    """One answer-key document for a homework set: a table of every variant's key answers, then
    (unless ``table_only``: the solutions' PDFs are appended to it instead) each variant's worked
    solution.  ``rows``: [(variant, {key name: shown value})], a variant being a homework.Variant
    or a plain (ident, label); ``bodies``: the variants' solution bodies where already rendered.

    The table is a longtable per group of answer columns (its header repeated on every page),
    each group as wide as the text block allows beside the students' names and roster ids."""
    env = environment(spec.rounding, str(templates) if templates else None)
    names = []
    for _, keys in rows:
        names += [n for n in keys if n not in names]
    variants = []
    for i, (v, keys) in enumerate(rows):
        ident, label = (v.ident, v.label) if hasattr(v, "ident") else v
        sid = getattr(v, "key", None)
        sid = sid if sid and sid != label else ""            # a roster without ids: the name is the key
        body = "" if table_only else (bodies[i] if bodies else render_body(v.spec, v.trace, templates))
        variants.append({"ident": ident, "label": escape_latex(label), "id": _breakable(sid), "keys": keys,
                         "body": body, "_label": escape_latex(label), "_id": escape_latex(sid)})
    from .answers import key_label, part_kinds, part_problems
    kinds = part_kinds(spec)
    solved = next((v.trace for v, _ in rows if getattr(v, "trace", None) is not None), None)
    problems = part_problems(spec, solved) if solved is not None else None
    names = _in_computed_order(names, spec, problems)
    headers = {n: _key_header(n, kinds, problems) for n in names}
    legend = _key_legend([n.split("[", 1)[0] for n in names], kinds, problems)
    values = {n: [v["keys"].get(n, "").replace(",", "{,}") for v in variants] for n in names}
    has_ids = any(v["id"] for v in variants)
    name_w = min(KEY_NAME_MAX, max([_key_pt(r"\textbf{Student}")] + [_key_pt(v["_label"]) for v in variants]))
    id_w = min(KEY_ID_MAX, max([_key_pt(r"\textbf{ID}")] + [_key_pt(v["_id"]) for v in variants])) if has_ids else 0.0
    fixed = name_w + (id_w + 2 * KEY_COLSEP if has_ids else 0.0)
    groups = []
    for cols in _key_groups(names, headers, values, fixed):
        spans, start = [], 0                 # runs of columns under one spanning header
        for k in range(1, len(cols) + 1):
            if k == len(cols) or headers[cols[k]][0] != headers[cols[start]][0]:
                spans.append({"text": escape_latex(headers[cols[start]][0]), "first": start, "count": k - start})
                start = k
        groups.append({"cols": cols, "spans": spans})
    for v in variants:
        del v["_label"], v["_id"]
    lead = 2 if has_ids else 1
    return _render(env, "key.tex.j2", spec=spec, title=escape_latex("Answer key: " + (spec.title or spec.name)),
                   what="key", groups=groups, chunks=[g["cols"] for g in groups],
                   labels={n: key_label(n, kinds, problems) for n in names}, header={n: headers[n][1] for n in names},
                   legend=legend,
                   variants=variants,
                   policy=spec.rounding, table_only=table_only, has_ids=has_ids, lead=lead,
                   name_width=f"{name_w:.1f}pt", id_width=f"{id_w:.1f}pt",
                   any_spans=any(s["text"] for g in groups for s in g["spans"]))
