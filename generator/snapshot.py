"""Snapshots of every value a document shows — the rendered string and the full-precision value —
and of the rendered pages, and their comparison, for CI regression on rendered values.

A comparison says first which given values changed, then the first computed value that differs
(in the order of the computation) and how many values downstream differ with it, then — when
every value is the same — whether the page itself changed (a template change), with a diff of
its LaTeX lines.  Indices are 1-based, as in ``answers.csv``.

Besides the document's own values a snapshot records what changes every student's numbers without
changing the document (format 3): the spec's ``randomize:`` and ``answers:`` sections (canonical
JSON), the override templates the pages were rendered with (names and SHA-256), and the first
numbered homework variants (v01 …, drawn with a recorded seed: no roster, so no student's name)
with their given values and their asked answers.  A comparison names a changed section or
override first, then the values."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import escape
from .numbers import format_number
from .trace import Trace

VERSION = 3              # 3: sections, templates, variants; 2 (no such fields) is still read
DEFAULT_VARIANTS = 3     # numbered variants a snapshot of a spec with randomize: records
DEFAULT_SEED = 0
MAX_TEMPLATE_FILES = 1000
MAX_SEED = 2 ** 64
MAX_NESTING = 8          # lists within lists of a value: a stack of kernels has 4; a snapshot's more is tampered


def _shown(value, policy, kind):
    if isinstance(value, np.ndarray) or isinstance(value, list):
        return [_shown(v, policy, kind) for v in value]
    return format_number(value, policy, None if kind == "given" else kind)


def dryrun_version() -> str:
    """The running dryrun's version (recorded in a snapshot: pages that differ between two versions
    while every value is the same are a change of the page format, reported once as such)."""
    from . import __version__
    return __version__


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def snapshot(spec_name: str, trace: Trace, pages: dict[str, str] | None = None) -> dict:
    """{"values": {"PROBLEM/NAME": {"shown", "value", "given"}}, "pages": {WHAT: {"sha256",
    "lines"}}} for every value of the trace (in the order it was computed) and every page."""
    values = {}
    for p in trace.problems:
        for name, e in p.entries.items():
            values[f"{p.id}/{name}"] = {"shown": _shown(e.dec, trace.rounding, None if e.full else e.kind),
                                        "value": _plain(e.value), "given": e.kind == "given"}
    doc = {"dryrun_snapshot": VERSION, "dryrun": dryrun_version(), "spec": spec_name,
           "rounding": trace.rounding.as_dict(), "problems": [p.id for p in trace.problems], "values": values}
    if pages:
        doc["pages"] = {what: {"sha256": hashlib.sha256(tex.encode()).hexdigest(),
                               "lines": tex.splitlines()} for what, tex in pages.items()}
    return doc


def _canonical(x):
    """``x`` as canonical JSON data (keys sorted; what JSON has no type for, as text)."""
    return json.loads(json.dumps(x, sort_keys=True, ensure_ascii=False, default=str))


def sections(spec) -> dict:
    """The spec's sections that change every student's numbers without changing the document:
    ``randomize`` as written (canonical JSON; null when there is none) and the ``answers`` selection
    (the default ``[key]`` when there is none).  ``rounding`` is the snapshot's own ``rounding``."""
    data = spec.data if isinstance(spec.data, dict) else {}
    return {"randomize": _canonical(data.get("randomize")), "answers": list(spec.answers)}


def template_files(templates, envs=()) -> dict:
    """{name: sha256} of the override templates in folder ``templates`` that rendering used (the
    Jinja environments ``envs`` loaded them), by their path inside the folder; every template file
    of the folder (``*.j2``) when that cannot be told."""
    from .errors import SpecError
    folder = Path(templates).resolve()
    used = None
    if envs:
        try:
            used = set()
            for env in envs:
                for template in list(env.cache.values()):
                    name = getattr(template, "filename", None)
                    if name and Path(name).resolve().is_relative_to(folder):
                        used.add(Path(name).resolve())
        except (AttributeError, TypeError, OSError, ValueError):
            used = None
    if used is None:
        used = {p.resolve() for p in folder.rglob("*.j2") if p.is_file()}
    if len(used) > MAX_TEMPLATE_FILES:
        raise SpecError(f"more than {MAX_TEMPLATE_FILES} template files", where=str(templates))
    out = {}
    for path in sorted(used):
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 16), b""):
                    digest.update(chunk)
        except OSError as e:
            raise SpecError(f"cannot read the template: {e.strerror or e}", where=str(path)) from None
        out[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return out


def variants_record(spec, count: int = DEFAULT_VARIANTS, seed: int = DEFAULT_SEED, limits=None) -> dict:
    """The first ``count`` numbered variants of a spec with ``randomize:`` (v01 …, as
    ``dryrun homework --variants N --seed S`` draws them: numbered, so no roster and no student's
    name), each with its given values and its asked answers (shown and at full precision); a
    variant whose constraints cannot be met is recorded as failed.  None drawn without ``randomize:``."""
    from .limits import DEFAULT
    drawn = []
    if spec.randomize is not None and count > 0:
        from .homework import draw, plan_variants, variant_answers
        planned = plan_variants(count, None, (1, 1), (limits or DEFAULT).max_variants)
        batch = draw(spec, planned, seed)
        done = {v.ident: v for v in batch.variants}
        failed = dict(batch.failed)
        for v in planned:
            if v.ident not in done:
                drawn.append({"id": v.ident, "failed": failed.get(v.ident, "not drawn")})
                continue
            trace = done[v.ident].trace
            given = {f"{p.id}/{name}": {"shown": _shown(e.dec, trace.rounding, None), "value": _plain(e.value)}
                     for p in trace.problems for name, e in p.entries.items() if e.kind == "given"}
            asked = {a.name: {"shown": a.shown, "value": a.value, "full": a.full}
                     for a in variant_answers(done[v.ident])}
            drawn.append({"id": v.ident, "given": given, "answers": asked})
    return {"seed": int(seed), "count": int(count), "drawn": drawn}


def _flat(x, prefix=""):
    if isinstance(x, list):
        out = []
        for i, v in enumerate(x):
            out += _flat(v, f"{prefix},{i + 1}" if prefix else f"{i + 1}")
        return out
    return [(prefix, x)]


def _entry(name: str, idx: str) -> str:
    return f"{name}[{idx}]" if idx else name


@dataclass
class Comparison:
    given: list = field(default_factory=list)      # (name, shown before, shown now)
    computed: list = field(default_factory=list)   # (name, shown before, shown now, value before, value now)
    structure: list = field(default_factory=list)  # (name, before, now): appeared, disappeared, reshaped
    pages: list = field(default_factory=list)      # (what, diff lines)
    values: int = 0                                # how many values were compared
    page_count: int = 0                            # how many pages were compared
    causes: list = field(default_factory=list)     # lines: a changed randomize:/answers:/rounding:, override
    variants: list = field(default_factory=list)   # (variant, value, shown before, shown now, value before, now)
    variant_count: int = 0                         # how many numbered variants were compared
    seed: int | None = None                        # the seed they were drawn with
    notices: list = field(default_factory=list)    # lines: what an older snapshot does not record
    page_format: tuple | None = None               # (version before, now): pages differ only by format

    @property
    def changed(self) -> bool:
        return bool(self.given or self.computed or self.structure or self.pages or self.causes
                    or self.variants or self.page_format)


def _diffs(old: dict, new: dict, rel_tol: float, abs_tol: float):
    """The differences of two {name: {"shown", "value"[, "given"]}}, in the order of ``new``:
    ("structure", name, before, now) or ("value", name, given, shown before, shown now, value
    before, value now)."""
    for name in list(new) + [n for n in old if n not in new]:
        if name not in new or name not in old:
            yield ("structure", name, "present" if name in old else "missing",
                   "present" if name in new else "missing")
            continue
        a_shown, b_shown = _flat(old[name]["shown"]), _flat(new[name]["shown"])
        a_val, b_val = _flat(old[name]["value"]), _flat(new[name]["value"])
        if len(a_val) != len(b_val) or len(a_shown) != len(b_shown):
            yield ("structure", name, f"{len(a_val)} entries", f"{len(b_val)} entries")
            continue
        for (idx, sa), (_, sb), (_, va), (_, vb) in zip(a_shown, b_shown, a_val, b_val):
            if sa == sb and math.isclose(va, vb, rel_tol=rel_tol, abs_tol=abs_tol):
                continue
            yield ("value", _entry(name, idx), bool(new[name].get("given")), sa, sb, va, vb)


def compare(expected: dict, got: dict, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12,
            values_only: bool = False) -> Comparison:
    """What differs between two snapshots: a changed ``randomize:``, ``answers:`` or ``rounding:``
    and a changed override template first, then the values in the order of the computation, then
    the numbered variants, then (every value the same) the pages — unless ``values_only``. Pages that
    differ between two dryrun versions while every value is the same are one change of the page
    format (``page_format``), not a diff per page."""
    old, new = expected.get("values", {}), got.get("values", {})
    out = Comparison(values=len(old), page_count=0 if values_only else len(expected.get("pages") or {}))
    out.causes = _section_changes(expected, got) + _template_changes(expected, got)
    for d in _diffs(old, new, rel_tol, abs_tol):
        if d[0] == "structure":
            out.structure.append(d[1:])
        elif d[2]:
            out.given.append((d[1], d[3], d[4]))
        else:
            out.computed.append((d[1], d[3], d[4], repr(d[5]), repr(d[6])))
    _compare_variants(expected.get("variants"), got.get("variants"), out, rel_tol, abs_tol)
    if not out.given and not out.computed and not out.structure and not values_only:
        for what, page in (got.get("pages") or {}).items():
            before = (expected.get("pages") or {}).get(what)
            if before and before.get("sha256") != page["sha256"]:
                diff = list(difflib.unified_diff(before.get("lines", []), page["lines"],
                                                 f"{what} (snapshot)", f"{what} (now)", n=1, lineterm=""))
                out.pages.append((what, diff))
        before, now = expected.get("dryrun"), got.get("dryrun")
        if out.pages and not out.causes and not out.variants and before is not None and before != now:
            out.page_format = (str(before), str(now))      # (a snapshot that records no version: the diffs)
            out.pages = []
    return out


_MISSING = object()
_SHORT = 60                 # characters of a section's value in a report line


def _text(x) -> str:
    if x is _MISSING:
        return "(none)"
    t = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False, sort_keys=True)
    return t if len(t) <= _SHORT else t[:_SHORT - 1] + "…"


def _leaf_diffs(a, b, path: str = "", depth: int = 0) -> list:
    """(path, before, now) of every place where two JSON values differ; _MISSING for a side that
    has none.  Paths as in a spec: ``values.network.layers[0].weights.max`` (0-based)."""
    if isinstance(a, dict) and isinstance(b, dict) and depth < MAX_NESTING:
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += _leaf_diffs(a.get(key, _MISSING), b.get(key, _MISSING),
                               f"{path}.{key}" if path else str(key), depth + 1)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and depth < MAX_NESTING:
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += _leaf_diffs(x, y, f"{path}[{i}]", depth + 1)
        return out
    if a is not _MISSING and b is not _MISSING and _same(a, b):
        return []
    return [(path, a, b)]


def _same(a, b) -> bool:
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return False


def _listed(diffs, sep: str, n: int = 3) -> str:
    text = ", ".join(f"{p or '(all)'}{sep}{_text(a)} → {_text(b)}" for p, a, b in diffs[:n])
    return text + (f", and {len(diffs) - n} more" if len(diffs) > n else "")


def _section_changes(expected: dict, got: dict) -> list[str]:
    """'randomize: changed (…)', 'answers: changed (…)', 'rounding: decimals 4 → 3'."""
    out = []
    before, now = expected.get("sections"), got.get("sections")
    if isinstance(before, dict) and isinstance(now, dict):
        for key in ("randomize", "answers"):
            a, b = before.get(key), now.get(key)
            if _same(a, b):
                continue
            if a is None:
                out.append(f"{key}: added (the snapshot has none)")
            elif b is None:
                out.append(f"{key}: removed (the snapshot has one)")
            elif key == "answers" and isinstance(a, list) and isinstance(b, list):
                out.append(f"answers: changed ({_text(', '.join(map(str, a)))} → {_text(', '.join(map(str, b)))})")
            else:
                out.append(f"{key}: changed ({_listed(_leaf_diffs(a, b), ': ')})")
    a, b = expected.get("rounding"), got.get("rounding")
    if isinstance(a, dict) and isinstance(b, dict) and not _same(a, b):
        out.append(f"rounding: {_listed(_leaf_diffs(a, b), ' ')}")
    return out


def _template_changes(expected: dict, got: dict) -> list[str]:
    """'template override base.tex.j2 changed' …, from the names and hashes of the overrides used."""
    a, b = expected.get("templates"), got.get("templates")
    if not isinstance(a, dict) or not isinstance(b, dict) or a == b:
        return []
    if a and not b:
        return [f"template overrides: the snapshot's pages used {len(a)} ({_text(', '.join(sorted(a)))}), "
                f"this check uses none (run it with --templates)"]
    if b and not a:
        return [f"template overrides: this check uses {len(b)} ({_text(', '.join(sorted(b)))}), "
                f"the snapshot's pages used none"]
    out = []
    for name in sorted(set(a) | set(b)):
        if name not in a:
            out.append(f"template override {name} added (not used for the snapshot)")
        elif name not in b:
            out.append(f"template override {name} no longer used (the snapshot's pages used it)")
        elif a[name] != b[name]:
            out.append(f"template override {name} changed")
    return out


def _compare_variants(before, now, out: Comparison, rel_tol: float, abs_tol: float) -> None:
    """The numbered variants (v01 …, drawn with the snapshot's seed): a variant that appeared,
    disappeared or could no longer be drawn; then its given values and its asked answers."""
    if not isinstance(before, dict) or not isinstance(now, dict):
        return
    old = {v["id"]: v for v in before.get("drawn", [])}
    new = {v["id"]: v for v in now.get("drawn", [])}
    out.seed, out.variant_count = before.get("seed"), len(old)
    if old and not new or new and not old:
        out.causes.append(f"variants: the snapshot has {len(old) or 'none'} (seed {before.get('seed')}), "
                          f"now {len(new) or 'none'}" + ("" if new else " (no randomize: section)"))
        return
    for ident in list(new) + [i for i in old if i not in new]:
        a, b = old.get(ident), new.get(ident)
        if a is None or b is None or ("failed" in a) != ("failed" in b):
            state = lambda v: "missing" if v is None else "no variant meets the constraints" if "failed" in v else "drawn"
            out.variants.append((ident, "(the variant)", state(a), state(b), "", ""))
            continue
        if "failed" in a:
            continue
        for section, what in (("given", "given"), ("answers", "answer")):
            olds = {n: {"shown": e["shown"], "value": e.get("full", e["value"])} for n, e in a.get(section, {}).items()}
            news = {n: {"shown": e["shown"], "value": e.get("full", e["value"])} for n, e in b.get(section, {}).items()}
            for d in _diffs(olds, news, rel_tol, abs_tol):
                if d[0] == "structure":
                    out.variants.append((ident, f"{what} {d[1]}", d[2], d[3], "", ""))
                else:
                    out.variants.append((ident, f"{what} {d[1]}", d[3], d[4], repr(d[5]), repr(d[6])))


def _table(header, rows) -> list[str]:
    rows = [tuple(escape.terminal(str(c)) for c in r) for r in rows]    # a snapshot's text is shown, never obeyed
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return [line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]


def report(c: Comparison, limit: int = 20, diff_lines: int = 60) -> str:
    """The comparison for a person: the cause first, then its consequences."""
    out = [escape.terminal(line) for line in c.causes]
    if c.structure:
        out.append(f"the computation changed shape ({len(c.structure)} value(s) appeared, disappeared or resized):")
        out += _table(("name", "snapshot", "now"), c.structure[:limit])
    if c.given:
        out.append(f"given values changed ({len(c.given)}):")
        out += _table(("name", "snapshot", "now"), c.given[:limit])
    if c.computed:
        first = c.computed[0]
        out.append("first computed value that differs:")
        out += _table(("name", "shown (snapshot)", "shown (now)", "value (snapshot)", "value (now)"), [first])
        rest = c.computed[1:]
        if rest:
            out.append(f"and {len(rest)} value(s) downstream differ with it:")
            out += _table(("name", "shown (snapshot)", "shown (now)", "value (snapshot)", "value (now)"),
                          rest[:limit])
            if len(rest) > limit:
                out.append(f"… and {len(rest) - limit} more")
    if c.variants:
        count = len({v[0] for v in c.variants})
        out.append(f"numbered variants drawn with seed {c.seed} differ ({len(c.variants)} value(s) in {count} of "
                   f"{c.variant_count} variant(s)); the first:")
        header = ("variant", "value", "shown (snapshot)", "shown (now)", "value (snapshot)", "value (now)")
        out += _table(header, c.variants[:1])
        if len(c.variants) > 1:
            out.append(f"and {len(c.variants) - 1} more variant value(s):")
            out += _table(header, c.variants[1:limit + 1])
            if len(c.variants) > limit + 1:
                out.append(f"… and {len(c.variants) - limit - 1} more")
    if c.page_format:
        before, now = (escape.terminal(x) for x in c.page_format)
        out.append(f"the page format changed between dryrun {before} and {now}: every value is the same, the "
                   f"LaTeX of the pages is not (CHANGELOG.md says what changed); record the snapshot again "
                   f"with 'dryrun snapshot', or compare values only with 'dryrun check --values-only'")
    for what, diff in c.pages:
        out.append(f"the page changed ({escape.terminal(what)}: every value is the same, the LaTeX is not):")
        out += [escape.terminal(line) for line in diff[:diff_lines]]
        out += [f"… {len(diff) - diff_lines} more diff lines"] if len(diff) > diff_lines else []
    return "\n".join(out)


def max_bytes(limits=None) -> int:
    """The largest snapshot file: what ``encode`` writes and ``check`` reads (limit max_snapshot_bytes,
    room for the LaTeX of a document at max_tex_bytes and its values). One number for both, so that
    ``check`` never refuses a snapshot ``snapshot`` has written."""
    from .limits import DEFAULT
    return (limits or DEFAULT).max_snapshot_bytes


def encode(doc: dict, limits=None, where: str = "") -> bytes:
    """The snapshot file's bytes; a SpecError (exit 2) if it would be larger than ``check`` reads."""
    from .errors import SpecError
    data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    limit = max_bytes(limits)
    if len(data) > limit:
        raise SpecError(f"its snapshot would be {len(data)} bytes, more than 'dryrun check' reads "
                        f"({limit} bytes, limit max_snapshot_bytes); raise the limit for both commands: "
                        f"dryrun --limit max_snapshot_bytes={len(data)} snapshot …, and the same for check",
                        where=where)
    return data


def take_snapshot(spec_path, limits=None, templates=None):
    """(spec, snapshot) of a spec now: its values and its rendered pages (each within max_tex_bytes,
    as for ``render``), rendered with the override templates of folder ``templates`` if given
    (their names and hashes recorded), and its ``randomize:`` and ``answers:`` sections.  No
    variants: ``record`` adds them."""
    from .pipeline import check_size
    from .render import environment, render
    from .solve import solve
    from .spec import load_spec

    s = load_spec(spec_path, limits)
    trace = solve(s)
    if templates:
        environment.cache_clear()       # templates read now, not compiled earlier in this process
    pages = {}
    for what in ("solution", "question"):
        pages[what] = render(s, trace, what, templates=templates)
        check_size(pages[what], f"{spec_path}: the {what}", limits)
    doc = snapshot(s.name, trace, pages)
    doc["sections"] = sections(s)
    doc["templates"] = (template_files(templates, [environment(trace.rounding, str(templates))])
                        if templates else {})
    return s, doc


def record(spec_path, limits=None, *, templates=None, variants: int = DEFAULT_VARIANTS,
           seed: int = DEFAULT_SEED):
    """(spec, snapshot) as ``dryrun snapshot`` writes it: ``take_snapshot`` and, for a spec with
    ``randomize:``, its first ``variants`` numbered variants drawn with ``seed`` (both recorded)."""
    from .errors import UsageError
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 0:
        raise UsageError("variants must be a whole number ≥ 0")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED:
        raise UsageError(f"the seed must be a whole number from 0 to {MAX_SEED - 1}")
    from .limits import DEFAULT
    most = (limits or DEFAULT).max_variants
    if variants > most:
        raise UsageError(f"--variants {variants}: a snapshot records at most {most} (limit max_variants)")
    s, doc = take_snapshot(spec_path, limits, templates=templates)
    doc["variants"] = variants_record(s, variants, seed, limits)
    return s, doc


def _kind(x) -> str:
    return {type(None): "null", bool: "true or false", str: "text", dict: "a mapping", list: "a list",
            int: "a number", float: "a number"}.get(type(x), type(x).__name__)


def _leaves(x, field: str, what: str, depth: int = 0) -> list:
    """The shape of a (nested) list of numbers (``what`` 'number') or texts ('text'), checking each leaf."""
    from .errors import SpecError
    if isinstance(x, list):
        if depth >= MAX_NESTING:
            raise SpecError(f"lists nested more than {MAX_NESTING} deep", field=field)
        return [_leaves(v, f"{field}[{i + 1}]", what, depth + 1) for i, v in enumerate(x)]
    if what == "text":
        if not isinstance(x, str):
            raise SpecError(f"expected text, got {_kind(x)}", field=field)
    else:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise SpecError(f"expected a number, got {_kind(x)}", field=field)
        try:
            float(x)
        except OverflowError:
            raise SpecError(f"a number of about {int(x.bit_length() * 0.30103) + 1} digits, beyond any "
                            "value dryrun computes", field=field) from None
    return None


def _name(key: str) -> str:
    return json.dumps(key, ensure_ascii=True)      # a tampered name is shown quoted, escapes written out


def validate(doc, where: str = "", limits=None) -> dict:
    """``doc`` (parsed JSON) if it has a snapshot's structure; else a SpecError naming the field."""
    from .errors import SpecError
    try:
        if not isinstance(doc, dict):
            raise SpecError(f"not a dryrun snapshot (expected a mapping, got {_kind(doc)})")
        for key, kinds in (("dryrun_snapshot", (int,)), ("dryrun", (str,)), ("spec", (str,)),
                           ("rounding", (dict,)), ("problems", (list,)), ("pages", (dict,))):
            if key in doc and (not isinstance(doc[key], kinds) or isinstance(doc[key], bool)):
                raise SpecError(f"expected {_kind(kinds[0]())}, got {_kind(doc[key])}", field=key)
        for i, p in enumerate(doc.get("problems", [])):
            if not isinstance(p, str):
                raise SpecError(f"expected an exercise's id (text), got {_kind(p)}", field=f"problems[{i + 1}]")
        if not isinstance(doc.get("values"), dict):
            raise SpecError("not a dryrun snapshot (expected a mapping 'values')"
                            if "values" not in doc else f"expected a mapping, got {_kind(doc['values'])}",
                            field="values" if "values" in doc else "")
        for name, entry in doc["values"].items():
            field = f"values[{_name(name)}]"
            if not isinstance(entry, dict) or "shown" not in entry or "value" not in entry:
                raise SpecError(f"expected a mapping with 'shown' and 'value', got {_kind(entry)}", field=field)
            shape = _leaves(entry["value"], f"{field}.value", "number")
            if _leaves(entry["shown"], f"{field}.shown", "text") != shape:
                raise SpecError("'shown' and 'value' have different shapes", field=field)
            if not isinstance(entry.get("given", False), bool):
                raise SpecError(f"expected true or false, got {_kind(entry['given'])}", field=f"{field}.given")
        for what, page in doc.get("pages", {}).items():
            field = f"pages[{_name(what)}]"
            if not isinstance(page, dict):
                raise SpecError(f"expected a mapping, got {_kind(page)}", field=field)
            if not isinstance(page.get("sha256"), str):
                raise SpecError(f"expected text, got {_kind(page.get('sha256'))}", field=f"{field}.sha256")
            lines = page.get("lines", [])
            if not isinstance(lines, list):
                raise SpecError(f"expected a list of lines, got {_kind(lines)}", field=f"{field}.lines")
            for i, line in enumerate(lines):
                if not isinstance(line, str):
                    raise SpecError(f"expected text, got {_kind(line)}", field=f"{field}.lines[{i + 1}]")
        _validate_additions(doc, limits)
    except SpecError as e:
        raise SpecError(e.detail, where=where, field=e.field) from None
    return doc


MAX_SECTION_NESTING = 16     # a randomize: section nests 4 deep (values, a path, a distribution, choices)


def _depth(x, field: str, depth: int = 0) -> None:
    from .errors import SpecError
    if depth > MAX_SECTION_NESTING:
        raise SpecError(f"nested more than {MAX_SECTION_NESTING} deep", field=field)
    for v in x.values() if isinstance(x, dict) else x if isinstance(x, list) else ():
        _depth(v, field, depth + 1)         # the error names the section, not a path 16 deep


def _number(x, field: str) -> None:
    from .errors import SpecError
    if isinstance(x, list):
        raise SpecError("expected a number, got a list", field=field)
    _leaves(x, field, "number")


def _validate_additions(doc: dict, limits=None) -> None:
    """The fields of format 3 (each optional: an older snapshot has none): sections, templates,
    variants."""
    from .errors import SpecError
    from .limits import DEFAULT

    def expect(x, kind, field, what):
        if not isinstance(x, kind) or isinstance(x, bool):
            raise SpecError(f"expected {what}, got {_kind(x)}", field=field)

    _depth(doc.get("rounding"), "rounding")
    if "sections" in doc:
        sec = doc["sections"]
        expect(sec, dict, "sections", "a mapping")
        _depth(sec.get("randomize"), "sections.randomize")
        if "answers" in sec:
            expect(sec["answers"], list, "sections.answers", "a list")
            for i, a in enumerate(sec["answers"]):
                expect(a, str, f"sections.answers[{i + 1}]", "text")
    if "templates" in doc:
        expect(doc["templates"], dict, "templates", "a mapping")
        for name, digest in doc["templates"].items():
            expect(digest, str, f"templates[{_name(name)}]", "text (a SHA-256)")
    if "variants" not in doc:
        return
    var = doc["variants"]
    expect(var, dict, "variants", "a mapping")
    most = (limits or DEFAULT).max_variants
    expect(var.get("seed"), int, "variants.seed", "a whole number")
    if not 0 <= var["seed"] < MAX_SEED:
        raise SpecError(f"expected a seed from 0 to {MAX_SEED - 1}", field="variants.seed")
    expect(var.get("count"), int, "variants.count", "a whole number")
    if not 0 <= var["count"] <= most:
        raise SpecError(f"expected 0 to {most} variants (limit max_variants)", field="variants.count")
    drawn = var.get("drawn", [])
    expect(drawn, list, "variants.drawn", "a list")
    if len(drawn) > var["count"]:
        raise SpecError(f"{len(drawn)} variants, more than its count {var['count']}", field="variants.drawn")
    seen = set()
    for i, v in enumerate(drawn):
        field = f"variants.drawn[{i + 1}]"
        expect(v, dict, field, "a mapping")
        expect(v.get("id"), str, f"{field}.id", "text")
        if v["id"] in seen:
            raise SpecError(f"variant {_name(v['id'])} twice", field=f"{field}.id")
        seen.add(v["id"])
        if "failed" in v:
            expect(v["failed"], str, f"{field}.failed", "text")
            continue
        expect(v.get("given", {}), dict, f"{field}.given", "a mapping")
        for name, entry in v.get("given", {}).items():
            f = f"{field}.given[{_name(name)}]"
            if not isinstance(entry, dict) or "shown" not in entry or "value" not in entry:
                raise SpecError(f"expected a mapping with 'shown' and 'value', got {_kind(entry)}", field=f)
            if _leaves(entry["value"], f"{f}.value", "number") != _leaves(entry["shown"], f"{f}.shown", "text"):
                raise SpecError("'shown' and 'value' have different shapes", field=f)
        expect(v.get("answers", {}), dict, f"{field}.answers", "a mapping")
        for name, entry in v.get("answers", {}).items():
            f = f"{field}.answers[{_name(name)}]"
            if not isinstance(entry, dict) or not {"shown", "value", "full"} <= set(entry):
                raise SpecError(f"expected a mapping with 'shown', 'value' and 'full', got {_kind(entry)}", field=f)
            expect(entry["shown"], str, f"{f}.shown", "text")
            _number(entry["value"], f"{f}.value")
            _number(entry["full"], f"{f}.full")


def read(snapshot_path, limits=None) -> dict:
    """A snapshot file (``str`` or ``Path``), read within ``max_bytes`` and validated: a SpecError
    (exit 2) names the file and the field for anything else."""
    from .errors import SpecError
    from .files import read_limited
    where = str(snapshot_path)
    raw = read_limited(snapshot_path, max_bytes(limits), "snapshot", "max_snapshot_bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:       # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise SpecError(f"cannot read the snapshot: {' '.join(str(e).split())[:200]}", where=where) from None
    return validate(doc, where, limits)


def check(spec_path, snapshot_path, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12, limits=None,
          templates=None, values_only: bool = False) -> Comparison:
    """Re-solve and re-render ``spec_path`` (with the override templates of folder ``templates``,
    if given), redraw the snapshot's numbered variants with its seed, and compare with the snapshot
    at ``snapshot_path`` (``str`` or ``Path``); a file that is no snapshot, or one of another spec,
    is a SpecError.  What an older snapshot does not record is named once in ``notices``."""
    from .errors import SpecError, UsageError

    if rel_tol < 0 or abs_tol < 0:
        raise UsageError("tolerances must not be negative")
    where = str(snapshot_path)
    expected = read(snapshot_path, limits)
    s, now = take_snapshot(spec_path, limits, templates=templates) if templates else take_snapshot(spec_path, limits)
    if expected.get("spec") != now["spec"] or expected.get("problems", now["problems"]) != now["problems"]:
        raise SpecError(f"this is a snapshot of spec '{expected.get('spec')}' "
                        f"(exercises {', '.join(map(str, expected.get('problems', []))) or '?'}), "
                        f"not of '{now['spec']}'", where=where)
    now = dict(now)
    if isinstance(expected.get("variants"), dict):
        recorded = expected["variants"]
        now["variants"] = variants_record(s, recorded["count"], recorded["seed"], limits)
    try:
        result = compare(expected, now, rel_tol=rel_tol, abs_tol=abs_tol, values_only=values_only)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError):
        raise SpecError("cannot read the snapshot: malformed values", where=where) from None
    lacks = []
    if "sections" not in expected:
        lacks.append("randomize:/answers: sections")
    if "variants" not in expected and s.randomize is not None:
        lacks.append("numbered variants")
    if "templates" not in expected and templates:
        lacks.append("template overrides")
    if lacks:
        result.notices.append(f"note: {where} (a snapshot of format {expected.get('dryrun_snapshot', '?')}) records "
                              f"no {', no '.join(lacks)}: a change of them is not seen here; a snapshot taken "
                              f"again with 'dryrun snapshot' (format {VERSION}) records them")
    return result
