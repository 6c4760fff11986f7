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
    return [kind(model.kind).view(model, pt, fmt, spec) for model, pt in zip(spec.problems, trace.problems)]


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
    """A standalone document of the first network diagram of ``spec`` (an LMS question's figure),
    or None when the spec has no network."""
    env = environment(trace.rounding, str(templates) if templates else None)
    for view in _views(spec, trace):
        if view.model.kind == "network":
            return _render(env, "network/figure.tex.j2", pb=view, spec=spec, policy=trace.rounding)
    return None


def render_body(spec: Spec, trace: Trace, templates: str | Path | None = None) -> str:
    """The worked solution of every problem, without preamble: a solution's body, and a section
    of an answer key."""
    env = environment(trace.rounding, str(templates) if templates else None)
    return _render(env, "solution_body.tex.j2", limit=_limit(spec), label=f"{spec.path}: the solution",
                   spec=spec, problems=_Problems(_views(spec, trace)), policy=trace.rounding, what="solution",
                   divergences=_divergence_rows(trace))


def render(spec: Spec, trace: Trace, what: str = "solution",
           templates: str | Path | None = None, body: str | None = None) -> str:
    """The LaTeX source of the ``what`` document ('solution' or 'question') of ``spec``;
    ``body``: the solution's body if it was already rendered (render_body)."""
    if what not in WHATS:
        raise UsageError(f"what must be one of {', '.join(WHATS)}, not {what!r}")
    env = environment(trace.rounding, str(templates) if templates else None)
    if what == "solution" and body is None:
        body = render_body(spec, trace, templates)
    return _render(env, f"{what}.tex.j2", limit=_limit(spec), label=f"{spec.path}: the {what}", spec=spec,
                   title=escape_latex(spec.title or spec.name), problems=_Problems(_views(spec, trace)),
                   policy=trace.rounding, what=what, body=body or "")


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
