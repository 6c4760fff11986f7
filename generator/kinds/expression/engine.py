"""Scalar expression models as computational graphs, in exact arithmetic (sympy) where the inputs
are exact: forward values, local derivatives, and by the chain rule the gradients of the output
and of the loss with respect to every node.  Every value goes through ``observe``."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ...errors import SpecError
from ...trace import ProblemTrace, Recorder
from .formula import Node

MAX_OPS = 40      # an exact value more complex than this falls back to a 17-digit float
MAX_DIGITS = 2000  # an exact rational longer than this is computed as a 30-digit float

UNARY = {
    "sin": (sympy.sin, lambda a, v: sympy.cos(a)),
    "cos": (sympy.cos, lambda a, v: -sympy.sin(a)),
    "tan": (sympy.tan, lambda a, v: 1 + v ** 2),
    "exp": (sympy.exp, lambda a, v: v),
    "log": (sympy.log, lambda a, v: 1 / a),
    "sqrt": (sympy.sqrt, lambda a, v: 1 / (2 * v)),
    "tanh": (sympy.tanh, lambda a, v: 1 - v ** 2),
    "sigmoid": (lambda a: 1 / (1 + sympy.exp(-a)), lambda a, v: v * (1 - v)),
    "abs": (sympy.Abs, lambda a, v: sympy.sign(a)),
}


@dataclass
class GraphNode:
    id: str
    op: str                    # 'input', 'param', 'num', 'const', 'add', 'sub', … or a function
    inputs: tuple[str, ...] = ()
    value: object = None       # sympy scalar, or a tuple of sympy scalars for a vector leaf
    local: dict = field(default_factory=dict)   # input id -> ∂node/∂input (scalar or tuple)
    role: str = "op"           # 'input', 'param', 'const', 'op', 'output', 'loss'


def to_sympy(node: Node, max_exponent: int = 100):
    """An exact sympy value from a constant formula tree (numbers, pi, e, + - * / ^, functions)."""
    if node.op == "num":
        return sympy.Rational(node.value) if "e" not in node.value.lower() else sympy.Rational(sympy.Float(node.value, 30))
    if node.op == "const":
        return sympy.pi if node.value == "pi" else sympy.E
    args = [to_sympy(a, max_exponent) for a in node.args]
    return _apply(node.op, args, max_exponent)


MAX_MAGNITUDE = 1e15


def _apply(op, args, max_exponent: int = 100):
    """``op`` applied to exact ``args``, refused where the result would not be a usable number."""
    value = _apply_op(op, args, max_exponent)
    if value.is_number:
        approx = value.evalf(15)
        if not approx.is_finite or not approx.is_real or abs(approx) > MAX_MAGNITUDE:
            raise SpecError(f"a value of the computation, {op}(…), is not a finite real number below "
                            f"{MAX_MAGNITUDE:.0e}")
    return value


def _apply_op(op, args, max_exponent: int = 100):
    if op == "neg":
        return -args[0]
    if op == "add":
        return args[0] + args[1]
    if op == "sub":
        return args[0] - args[1]
    if op == "mul":
        return args[0] * args[1]
    if op == "div":
        if args[1] == 0:
            raise SpecError("division by zero")
        return args[0] / args[1]
    if op == "pow":
        b = args[1]
        if b.is_number and not b.has(sympy.Float) and abs(b) > max_exponent:
            raise SpecError(f"exponent {b} is larger than {max_exponent} (limit max_exponent)")
        if b.is_number and abs(b) > max_exponent:
            raise SpecError(f"exponent {float(b):g} is larger than {max_exponent} (limit max_exponent)")
        a = args[0]
        if a.is_Rational and b.is_Integer and abs(int(b)) * max(_digits(a.p), _digits(a.q)) > MAX_DIGITS:
            return sympy.Float(a, 30) ** b       # an exact value this long is no hand calculation
        return a ** b
    if op == "relu":
        return sympy.Max(0, args[0])
    if op in UNARY:
        return UNARY[op][0](args[0])
    raise SpecError(f"'{op}' cannot be used here")


def _digits(n) -> int:
    """About how many decimal digits the integer ``n`` has (no conversion to text)."""
    return int(int(n).bit_length() * 0.30103) + 1


def _tidy(value):
    """Keep exact values small; fall back to floating point when they grow."""
    if isinstance(value, tuple):
        return tuple(_tidy(v) for v in value)
    value = sympy.nsimplify(value) if value.is_Float and float(value).is_integer() else value
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not value.is_real:
        raise SpecError("the value leaves the real numbers (division by zero, log of 0 or a negative …)")
    if sympy.count_ops(value) > MAX_OPS:
        return sympy.Float(value.evalf(30), 17)
    if value.is_Rational and max(_digits(value.p), _digits(value.q)) > MAX_DIGITS:
        return sympy.Float(value, 30)
    return value


class Graph:
    """Nodes in topological order (every input before its consumers)."""

    def __init__(self, max_exponent: int = 100):
        self.nodes: dict[str, GraphNode] = {}
        self._count = 0
        self.max_exponent = max_exponent

    def add(self, node: GraphNode) -> str:
        self.nodes[node.id] = node
        return node.id

    def fresh(self) -> str:
        self._count += 1
        return f"u{self._count}"

    def build(self, tree: Node, leaves: dict) -> str:
        """Add the nodes of ``tree``; variables refer to existing leaf nodes.  Returns the root id."""
        if tree.op == "var":
            return tree.value
        if tree.op in ("num", "const"):
            value = to_sympy(tree, self.max_exponent)
            ident = tree.value if tree.op == "const" else f"c{len(self.nodes)}"
            if ident not in self.nodes:
                self.add(GraphNode(ident, tree.op, value=value, role="const"))
            return ident
        ids = [self.build(a, leaves) for a in tree.args]
        vals = [self.nodes[i].value for i in ids]
        op = tree.op
        if op == "dot":
            if not all(isinstance(v, tuple) for v in vals) or len(vals[0]) != len(vals[1]):
                raise SpecError("a dot product needs two vectors of the same length")
            value = sum((a * b for a, b in zip(*vals)), sympy.Integer(0))
            local = ({ids[0]: tuple(2 * v for v in vals[0])} if ids[0] == ids[1]
                     else {ids[0]: vals[1], ids[1]: vals[0]})
        else:
            for i, v in zip(ids, vals):
                if isinstance(v, tuple):
                    raise SpecError(f"'{i}' is a vector: use it in a dot product (w^T x or dot(w, x))")
            value = _tidy(_apply(op, vals, self.max_exponent))
            local = self._local(op, ids, vals, value)
        node = GraphNode(self.fresh(), op, tuple(ids), _tidy(value), {k: _tidy(v) for k, v in local.items()})
        return self.add(node)

    def _local(self, op, ids, vals, value):
        a = vals[0]
        if op == "neg":
            return {ids[0]: sympy.Integer(-1)}
        if op in ("add", "sub"):      # merged: x + x has ∂/∂x = 2, b − b has 0
            return _merge(ids, [sympy.Integer(1), sympy.Integer(1 if op == "add" else -1)])
        if op == "mul":
            return _merge(ids, [vals[1], vals[0]])
        if op == "div":
            return _merge(ids, [1 / vals[1], -vals[0] / vals[1] ** 2])
        if op == "pow":
            d = {ids[0]: vals[1] * a ** (vals[1] - 1)}
            if self.nodes[ids[1]].role != "const":
                d[ids[1]] = value * sympy.log(a)
            return d
        if op == "relu":
            return {ids[0]: sympy.Integer(1) if a > 0 else sympy.Integer(0)}
        return {ids[0]: UNARY[op][1](a, value)}


def _merge(ids, derivs):
    out = {}
    for i, d in zip(ids, derivs):
        out[i] = out.get(i, 0) + d
    return out


def backward(graph: Graph, root: str) -> dict[str, object]:
    """Reverse mode: ∂root/∂node for every node that root depends on (adjoints add up)."""
    adj = {root: sympy.Integer(1)}
    for ident in reversed(list(graph.nodes)):
        if ident not in adj:
            continue
        node = graph.nodes[ident]
        for inp, d in node.local.items():
            contrib = tuple(adj[ident] * x for x in d) if isinstance(d, tuple) else adj[ident] * d
            if inp in adj:
                prev = adj[inp]
                adj[inp] = tuple(p + c for p, c in zip(prev, contrib)) if isinstance(prev, tuple) else prev + contrib
            else:
                adj[inp] = contrib
        adj[ident] = _tidy(adj[ident])
    return {k: _tidy(v) for k, v in adj.items()}


LOSS_TREES = {
    # loss name -> function(output id, target id) building the loss formula tree
    "sse": lambda y, t: Node("pow", (Node("sub", (Node("var", value=y), Node("var", value=t))), Node("num", value="2"))),
    "half_sse": lambda y, t: Node("mul", (Node("num", value="0.5"), LOSS_TREES["sse"](y, t))),
    "square": lambda y, t: Node("pow", (Node("var", value=y), Node("num", value="2"))),
    "bce": lambda y, t: Node("neg", (Node("add", (
        Node("mul", (Node("var", value=t), Node("log", (Node("var", value=y),)))),
        Node("mul", (Node("sub", (Node("num", value="1"), Node("var", value=t))),
                     Node("log", (Node("sub", (Node("num", value="1"), Node("var", value=y))),)))))),)),
}
LOSS_TREES["mse"] = LOSS_TREES["sse"]
LOSS_TREES["half_mse"] = LOSS_TREES["half_sse"]


def _rename(graph: Graph, old: str, new: str) -> None:
    nodes = {}
    for ident, node in graph.nodes.items():
        node.inputs = tuple(new if i == old else i for i in node.inputs)
        node.local = {(new if k == old else k): v for k, v in node.local.items()}
        if ident == old:
            node.id = new
        nodes[node.id] = node
    graph.nodes = nodes


def _float(v):
    return [float(x) for x in v] if isinstance(v, tuple) else float(v)


def run(problem, observe) -> Graph:
    """Forward values, local derivatives, ∂y/∂· and ∂L/∂· of every node, and the update."""
    graph = Graph(problem.max_exponent)
    for name, value in problem.inputs.items():
        graph.add(GraphNode(name, "input", value=value, role="input"))
    for name, value in problem.parameters.items():
        graph.add(GraphNode(name, "param", value=value, role="param"))
    root = graph.build(problem.tree, problem.inputs)
    if root in problem.inputs or root in problem.parameters or graph.nodes[root].role == "const":
        raise SpecError("the model must compute something from its variables")
    used = {i for n in graph.nodes.values() for i in n.inputs}
    for name in problem.train:
        if name not in used:
            raise SpecError(f"parameter '{name}' is trained but the model does not use it")
    _rename(graph, root, problem.output)
    graph.nodes[problem.output].role = "output"
    dy = backward(graph, problem.output)
    loss_root = None
    if problem.loss:
        if problem.target is not None:
            graph.add(GraphNode("target", "input", value=problem.target, role="const"))
        loss_root = graph.build(LOSS_TREES[problem.loss](problem.output, "target"), {})
        _rename(graph, loss_root, "L")
        graph.nodes["L"].role = "loss"
        loss_root = "L"
    dL = backward(graph, loss_root) if loss_root else {}
    for ident, node in graph.nodes.items():
        observe(f"node.{ident}", _float(node.value), "activation", ident, symbolic=node.value)
        for inp, d in node.local.items():
            observe(f"local.{ident}.{inp}", _float(d), "gradient", f"d{ident}/d{inp}", symbolic=d)
    for ident, d in dy.items():
        observe(f"dy.{ident}", _float(d), "gradient", f"d{problem.output}/d{ident}", symbolic=d)
    for ident, d in dL.items():
        observe(f"dL.{ident}", _float(d), "gradient", f"dL/d{ident}", symbolic=d)
    out = graph.nodes[problem.output].value
    observe("output", _float(out), "activation", problem.output, symbolic=out)
    if loss_root:
        observe("loss", _float(graph.nodes["L"].value), "loss", "L", symbolic=graph.nodes["L"].value)
    grads = dL if loss_root else dy
    for name in list(problem.inputs) + list(problem.parameters):
        if name in grads:
            observe(f"grad.{name}", _float(grads[name]), "gradient", f"gradient of {name}",
                    symbolic=grads[name])
    for name in problem.train:
        value = problem.parameters[name]
        g = grads.get(name, tuple(sympy.Integer(0) for _ in value) if isinstance(value, tuple) else sympy.Integer(0))
        lr = problem.learning_rate
        new = (tuple(_tidy(v - lr * d) for v, d in zip(value, g)) if isinstance(value, tuple)
               else _tidy(value - lr * g))
        step = tuple(_tidy(lr * d) for d in g) if isinstance(g, tuple) else _tidy(lr * g)
        observe(f"step.{name}", _float(step), "gradient", f"lr * gradient of {name}", symbolic=step)
        observe(f"updated.{name}", _float(new), "parameter", f"{name} - lr * gradient", symbolic=new)
    return graph


def solve(problem, policy, overrides=None) -> ProblemTrace:

    pt = ProblemTrace(id=problem.id, kind="expression",
                      info={"output": problem.output, "loss": problem.loss, "train": list(problem.train)})
    rec = Recorder(pt, policy, batch=False)
    if problem.learning_rate is not None:
        rec.given("learning_rate", float(problem.learning_rate), "alpha", symbolic=problem.learning_rate)
    graph = run(problem, rec)
    pt.info["graph"] = [{"id": n.id, "op": n.op, "inputs": list(n.inputs), "role": n.role}
                        for n in graph.nodes.values()]
    return pt
