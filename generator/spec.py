"""Load a YAML spec and validate it into a frozen model; every error names the file and the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import SpecError
from .kinds import DEFAULT_KIND
from .numbers import KINDS, MODES, Precision, RoundingPolicy
from .validate import choice, flag, join, mapping, number, text, typename

MAX_SPEC_BYTES = 1_000_000


@dataclass(frozen=True)
class Grading:
    """The spec's ``grading:`` section (docs/homework.md, "Grading"): ``coarser_digits``, how many digits
    coarser than asked an answer may be and still be correct when it is a correct rounding (0: strict)."""
    coarser_digits: int = 1


#: The most digits coarser than asked a ``grading.coarser_digits`` may allow.
MAX_COARSER_DIGITS = 6


@dataclass(frozen=True, eq=False)
class Spec:
    path: str
    name: str
    title: str
    description: str
    rounding: RoundingPolicy
    problems: tuple
    diagram_weights: str = "auto"   # auto | always | never
    randomize: object = None        # a randomize.Randomizer, when the spec declares variants
    data: object = None             # the spec's plain data (what variants are drawn from)
    limits: object = None           # the limits.Limits it was checked against
    answers: tuple = ("key",)       # what a homework asks (generator.answers): groups or trace names
    grading: Grading = Grading()    # how 'dryrun grade' marks (generator.grade)


# --------------------------------------------------------------------------- reading


def read_yaml(path: str | Path):
    """The YAML document of ``path`` as plain data, or a SpecError naming what is wrong."""
    p = Path(path)
    where = str(path)
    if not p.exists():
        raise SpecError("no such file", where=where)
    if not p.is_file():
        raise SpecError("not a file", where=where)
    if p.stat().st_size > MAX_SPEC_BYTES:               # checked before anything is read
        raise SpecError(f"file is larger than {MAX_SPEC_BYTES} bytes", where=where)
    with open(p, "rb") as fh:
        raw = fh.read(MAX_SPEC_BYTES + 1)
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"file is larger than {MAX_SPEC_BYTES} bytes", where=where)
    if b"\0" in raw:
        raise SpecError("binary file, expected YAML text", where=where)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"not UTF-8 text (byte {e.start})", where=where) from None
    return parse_yaml(source, where)


def parse_yaml(text: str, where: str = "<spec>"):
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f"line {mark.line + 1}" if mark else ""
        raise SpecError(f"YAML syntax error: {e.problem or e.context}", where=where, field=line) from None
    except yaml.YAMLError as e:
        raise SpecError(f"YAML error: {e}", where=where) from None
    except RecursionError:
        raise SpecError("structure nested too deeply", where=where) from None
    if data is None:
        raise SpecError("spec is empty", where=where)
    _check_size(data, where)
    return data


MAX_NUMBER_DIGITS = 100     # a number in a spec has at most this many digits (exact decimals carry 60)


class _Loader(yaml.SafeLoader):
    """The safe loader: plain data only, no Python objects, YAML 1.2 scalars, no merge keys."""

    def construct_mapping(self, node, deep=False):
        """A key given twice is an error naming both lines (YAML would keep the last one)."""
        seen = {}
        for key_node, _ in node.value:
            if _is_merge_key(key_node):
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not supported (YAML 1.2 has none); write the values out",
                    key_node.start_mark)
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key}' is given twice (lines {seen[key] + 1} and "
                        f"{key_node.start_mark.line + 1}); keep one", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _is_merge_key(node) -> bool:
    """A plain ``<<`` key: YAML 1.1's merge key, which YAML 1.2 dropped. Refused before any expansion, so no
    document can grow through merges, whatever the YAML library does with them."""
    return isinstance(node, yaml.ScalarNode) and node.value == "<<" and (
        node.tag == "tag:yaml.org,2002:merge" or node.style is None)


def _number(constructor):
    def construct(loader, node):
        digits = sum(ch.isdigit() for ch in node.value)
        if digits > MAX_NUMBER_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number with {digits} digits (at most {MAX_NUMBER_DIGITS})", node.start_mark)
        return constructor(loader, node)
    return construct


def _decimal_int(loader, node):
    """A YAML 1.2 integer, always decimal: 08 is 8 (YAML 1.1 would read a leading 0 as octal and fail
    on 8 and 9)."""
    return int(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:int", _number(_decimal_int))
_Loader.add_constructor("tag:yaml.org,2002:float", _number(yaml.SafeLoader.construct_yaml_float))


# YAML 1.2 scalars: no sexagesimal numbers (1:30 is text, not 90) and no 0x/0o/0b integers
# written as an id or a title; a number is written as a decimal.
_Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag not in (
    "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
               r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


MAX_VALUES = 200_000


def _check_size(data, where: str) -> None:
    """Refuse documents whose aliases expand to too many values (a "billion laughs")."""
    budget, stack = MAX_VALUES, [data]
    while stack:
        item = stack.pop()
        budget -= 1
        if budget < 0:
            raise SpecError(f"document too large: more than {MAX_VALUES} values once aliases are expanded",
                            where=where)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


# --------------------------------------------------------------------------- model


def _precision(value, field: str) -> Precision:
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"decimals": value}
    m = mapping(value, field, ("decimals", "significant"))
    if len(m) != 1:
        raise SpecError("give exactly one of 'decimals' or 'significant'", field=field)
    style, digits = next(iter(m.items()))
    d = number(digits, join(field, style), integer=True)
    if not (0 if style == "decimals" else 1) <= d <= 15:
        raise SpecError(f"must be between {0 if style == 'decimals' else 1} and 15, got {d}",
                        field=join(field, style))
    return Precision(style, d)


def rounding_policy(value, field: str = "rounding") -> RoundingPolicy:
    if value is None:
        return RoundingPolicy()
    m = mapping(value, field, ("mode", "decimals", "significant", "kinds", "decimal_comma",
                                "trailing_zeros"))
    mode = choice(m.get("mode", "display"), join(field, "mode"), MODES)
    digits = {k: m[k] for k in ("decimals", "significant") if k in m}
    default = _precision(digits, field) if digits else Precision()
    kinds = mapping(m.get("kinds", {}) or {}, join(field, "kinds"), KINDS)
    per_kind = tuple((k, _precision(v, join(join(field, "kinds"), k))) for k, v in kinds.items())
    return RoundingPolicy(
        mode=mode, default=default, per_kind=per_kind,
        decimal_comma=flag(m.get("decimal_comma", False), join(field, "decimal_comma")),
        trailing_zeros=flag(m.get("trailing_zeros", False), join(field, "trailing_zeros")))


SPEC_KEYS = ("title", "description", "rounding", DEFAULT_KIND, "parts", "diagram_weights", "randomize",
             "answers", "grading")


def load_spec(path: str | Path, limits=None) -> Spec:
    """Read and validate the spec at ``path`` (against ``limits``, default limits.DEFAULT)."""
    where = str(path)
    data = read_yaml(path)
    try:
        return spec_from_data(data, where, limits)
    except SpecError as e:
        raise e.located(where) from None


def _parts(value, limits) -> tuple:
    from .kinds import KINDS, kind as kind_of

    if not isinstance(value, list) or not value:
        raise SpecError("expected a list of exercises", field="parts")
    if len(value) > limits.max_parts:
        raise SpecError(f"more than {limits.max_parts} parts (limit max_parts)", field="parts")
    problems, ids, total = [], set(), 0
    for i, part in enumerate(value):
        field = f"parts[{i}]"
        if not isinstance(part, dict):
            raise SpecError(f"expected a mapping, got {typename(part)}", field=field)
        kind = choice(part.get("kind", DEFAULT_KIND), join(field, "kind"), KINDS)
        ident = text(part.get("id", f"part{i + 1}"), join(field, "id"), 40)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", ident) or ident in ids:
            raise SpecError(f"id '{ident}' must be unique and use letters, digits, '-' and '_'",
                            field=join(field, "id"))
        ids.add(ident)
        body = {k: v for k, v in part.items() if k != "kind"}
        problems.append(kind_of(kind).parse(body, field, ident, limits))
        total = check_cost(problems[-1], field, limits, total)   # each part before the next is read
    return tuple(problems)


#: Terms of the fixed text of every exercise (its heading, the given values, the conventions).
PART_TERMS = 500


def part_cost(problem) -> int:
    """The terms the worked solution of ``problem`` computes and writes out, estimated from its
    validated shapes by its kind's ``schema.cost`` (cheap: no value is computed)."""
    from .kinds import kind as kind_of
    return PART_TERMS + int(kind_of(problem.kind)._module("schema").cost(problem))


def check_cost(problem, field: str, limits, before: int = 0) -> int:
    """Refuse, before anything is solved or rendered, an exercise whose estimated work passes
    limits.max_part_terms, or one that brings the spec's exercises (``before``: the estimate of
    those before it) past limits.max_terms; the new total."""
    cost = part_cost(problem)
    if cost > limits.max_part_terms:
        raise SpecError(f"exercise '{problem.id}' would compute and write out about {cost:,} terms, more "
                        f"than {limits.max_part_terms:,} (limit max_part_terms; make it smaller, or raise "
                        f"the limit with --limit max_part_terms=N)", field=field)
    total = before + cost
    if total > limits.max_terms:
        raise SpecError(f"with exercise '{problem.id}' the spec would compute and write out about "
                        f"{total:,} terms, more than {limits.max_terms:,} (limit max_terms; split it into "
                        f"several specs, or raise the limit with --limit max_terms=N)", field=field)
    return total


def _answers(value) -> tuple:
    """The ``answers:`` list: groups (key, losses, parameters, gradients, outputs) or trace names."""
    from .answers import GROUPS
    if value is None:
        return ("key",)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or len(value) > 200:
        raise SpecError("expected a list of groups or value names", field="answers")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z0-9_.]{1,60}", item):
            raise SpecError(f"expected a group ({', '.join(GROUPS)}) or a value name such as it1.dW2",
                            field=f"answers[{i}]")
        out.append(item)
    return tuple(out)


def _grading(value) -> Grading:
    """The ``grading:`` section: ``{coarser_digits: N}``, N a whole number from 0 to MAX_COARSER_DIGITS."""
    from .validate import short
    if value is None:
        return Grading()
    m = mapping(value, "grading", ("coarser_digits",))
    n = m.get("coarser_digits", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_COARSER_DIGITS:
        raise SpecError(f"expected a whole number from 0 (strict) to {MAX_COARSER_DIGITS}, got {typename(n)} "
                        f"{short(n)}", field="grading.coarser_digits")
    return Grading(coarser_digits=n)


def spec_from_data(data, where: str = "<spec>", limits=None) -> Spec:
    from .limits import DEFAULT
    limits = limits or DEFAULT
    m = mapping(data, "", SPEC_KEYS)
    if (DEFAULT_KIND in m) == ("parts" in m):
        raise SpecError(f"give either '{DEFAULT_KIND}' (one exercise) or 'parts' (a list of exercises)")
    if DEFAULT_KIND in m:             # the one exercise of the default kind, named by its kind
        from .kinds import kind
        problems = (kind(DEFAULT_KIND).parse(m[DEFAULT_KIND], DEFAULT_KIND, "main", limits),)
        check_cost(problems[0], DEFAULT_KIND, limits)
    else:
        problems = _parts(m["parts"], limits)
    randomizer = None
    if m.get("randomize") is not None:
        from .randomize import parse_randomize
        randomizer = parse_randomize(m["randomize"], limits=limits)
        randomizer.check_paths(data)
    return Spec(
        path=where, name=Path(where).stem, title=text(m.get("title"), "title", 300),
        randomize=randomizer, data=data, limits=limits,
        description=text(m.get("description"), "description"),
        rounding=rounding_policy(m.get("rounding")), problems=problems, answers=_answers(m.get("answers")),
        grading=_grading(m.get("grading")),
        diagram_weights=choice(m.get("diagram_weights", "auto"), "diagram_weights",
                                ("auto", "always", "never")))
