"""The schema of an expression exercise: a formula over named inputs and parameters, exact values,
an optional loss and the parameters to train."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import SpecError
from ...validate import choice, join, mapping, number, text

RESERVED = {"target", "L", "pi", "e"}
EXPRESSION_LOSSES = ("sse", "half_sse", "mse", "half_mse", "square", "bce")


@dataclass(frozen=True, eq=False)
class Expression:
    id: str
    title: str
    text: str
    formula: str
    output: str
    tree: object
    inputs: dict          # name -> sympy value or tuple of sympy values
    parameters: dict
    target: object
    loss: str | None
    learning_rate: object  # sympy
    train: tuple
    max_exponent: int = 100
    kind: str = "expression"


def _exact(value, field, limits=None):
    """A number or a constant expression ("pi/2") as an exact sympy value."""
    from .engine import to_sympy
    from .formula import parse_value

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError("expected a number or a constant expression such as pi/2", field=field)
    if isinstance(value, float):
        # a short decimal (0.3) is exact, 3/10; a long one (0.318309886) is a measurement: a float
        import sympy
        number(value, field)
        digits = repr(value).lower().split("e")[0].replace("-", "").replace(".", "").strip("0")
        if len(digits) > 6:
            return sympy.Float(repr(value), 17)
        value = repr(value)
    try:
        from ...limits import DEFAULT
        lim = limits or DEFAULT
        v = to_sympy(parse_value(str(value), lim), lim.max_exponent)
    except SpecError as e:
        raise SpecError(e.detail, field=field) from None
    if not v.is_real or not v.is_finite:
        raise SpecError(f"'{value}' is not a finite real number", field=field)
    if abs(float(v)) > 1e12:
        raise SpecError(f"number {value} is too large (limit 1e12)", field=field)
    return v


def _exact_value(value, field, limits):
    if isinstance(value, list):
        if not value or len(value) > limits.max_units:
            raise SpecError(f"expected a vector of 1 to {limits.max_units} entries (limit max_units)",
                            field=field)
        return tuple(_exact(v, join(field, i), limits) for i, v in enumerate(value))
    return _exact(value, field, limits)


def _variables(value, field, taken, limits):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError("expected a mapping name: value", field=field)
    out = {}
    for name, v in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,15}", name):
            raise SpecError(f"'{name}' is not a valid name (a letter, then letters or digits)", field=field)
        if name in RESERVED or name in taken or re.fullmatch(r"[uc]\d+", name):
            raise SpecError(f"the name '{name}' is reserved or used twice", field=join(field, name))
        from .formula import FUNCTIONS
        if name in FUNCTIONS:
            raise SpecError(f"the name '{name}' is a function", field=join(field, name))
        out[name] = _exact_value(v, join(field, name), limits)
        taken.add(name)
    return out


EXPRESSION_KEYS = ("id", "title", "text", "formula", "inputs", "parameters", "target", "loss",
                   "learning_rate", "train")


def parse(value, field: str, ident: str, limits) -> Expression:
    from .formula import parse

    m = mapping(value, field, EXPRESSION_KEYS, ("formula",))
    taken: set[str] = set()
    inputs = _variables(m.get("inputs"), join(field, "inputs"), taken, limits)
    params = _variables(m.get("parameters"), join(field, "parameters"), taken, limits)
    source = text(m["formula"], join(field, "formula"), limits.max_formula + 40)
    output = "y"
    if "=" in source:
        lhs, source = source.split("=", 1)
        output = lhs.strip()
    from .formula import FUNCTIONS
    if (not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,15}", output) or output in taken or output in RESERVED
            or output in FUNCTIONS or re.fullmatch(r"[uc]\d+", output)):
        raise SpecError(f"'{output}' cannot name the output (a free name: not an input, parameter, "
                        "function or reserved name; write 'NAME = …')", field=join(field, "formula"))
    try:
        tree = parse(source, taken, limits)
    except SpecError as e:
        raise SpecError(e.detail, field=join(field, "formula")) from None
    loss = None
    if m.get("loss") is not None:
        loss = choice(m["loss"], join(field, "loss"), EXPRESSION_LOSSES,
                       {"squared_error": "sse", "l2": "sse", "binary_cross_entropy": "bce"})
    target = None
    if loss and loss != "square":
        if "target" not in m:
            raise SpecError(f"loss '{loss}' needs a target", field=join(field, "target"))
        target = _exact(m["target"], join(field, "target"), limits)
    elif "target" in m and loss is None:
        raise SpecError("a target needs a loss", field=join(field, "target"))
    elif "target" in m:
        raise SpecError("loss 'square' (L = y²) takes no target; remove it", field=join(field, "target"))
    train = m.get("train", list(params))
    if isinstance(train, str):
        train = [train]
    if not isinstance(train, list):
        raise SpecError("expected a list of parameter names", field=join(field, "train"))
    for i, name in enumerate(train):
        if not isinstance(name, str) or name not in params:
            raise SpecError(f"'{name}' is not a parameter (parameters: {', '.join(params) or 'none'})",
                            field=join(join(field, "train"), i))
    lr = None
    if train:
        if "learning_rate" not in m:
            raise SpecError("training parameters needs a learning_rate", field=field)
        lr = _exact(m["learning_rate"], join(field, "learning_rate"), limits)
        if lr <= 0:
            raise SpecError("must be greater than 0", field=join(field, "learning_rate"))
    return Expression(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                      text=text(m.get("text"), join(field, "text")), formula=m["formula"],
                      output=output, tree=tree, inputs=inputs, parameters=params, target=target,
                      loss=loss, learning_rate=lr, train=tuple(train), max_exponent=limits.max_exponent)




def cost(model: Expression) -> int:
    """The terms the worked solution computes and writes out, from the formula's size and the
    widest vector: each operation is evaluated, differentiated and chained, entry by entry."""
    nodes, stack = 0, [model.tree]
    while stack:                     # the parser bounds the tree (max_ops, max_depth)
        node = stack.pop()
        nodes += 1
        stack.extend(a for a in getattr(node, "args", ()) if hasattr(a, "op"))
    values = list(model.inputs.values()) + list(model.parameters.values())
    width = max([len(v) for v in values if isinstance(v, tuple)] + [1])
    return 6 * nodes * width + 4 * len(values) * width
