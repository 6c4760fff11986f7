"""A restricted parser for model formulas: a closed grammar over declared names, no evaluation.

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/') unary)*
    unary   := ('-' | '+') unary | power
    power   := postfix (('^' | '**') unary)?
    postfix := primary ('^T' primary)?          -- w^T x is the dot product of w and x
    primary := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'

Only the functions in FUNCTIONS, the constants pi and e, and the names the spec declares are
accepted; anything else (quotes, attributes, underscores in front, unknown names) is a SpecError.
The result is a tree of plain tuples; nothing here imports sympy or evaluates text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import SpecError

FUNCTIONS = {"sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "ln": 1, "sqrt": 1, "tanh": 1,
             "sigmoid": 1, "relu": 1, "abs": 1, "dot": 2}
CONSTANTS = ("pi", "e")

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)|(?P<op>\*\*|\^T\b|[-+*/^(),]))")


@dataclass(frozen=True)
class Node:
    """op is 'num', 'const', 'var', 'neg', 'add', 'sub', 'mul', 'div', 'pow', 'dot' or a function."""
    op: str
    args: tuple = ()
    value: str = ""          # the number's text, the constant's or the variable's name


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].lstrip()[:1]
            raise SpecError(f"unexpected character '{bad}' at position {len(text) - len(text[pos:].lstrip()) + 1}")
        kind = m.lastgroup
        if kind == "num" and re.search(r"[eE][+-]?\d{3,}", m.group(kind)):
            raise SpecError(f"number '{m.group(kind)}' at position {m.start(kind) + 1} is out of range")
        tokens.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str, names: set[str], limits):
        if not isinstance(text, str) or not text.strip():
            raise SpecError("the formula is empty")
        if len(text) > limits.max_formula:
            raise SpecError(f"the formula is longer than {limits.max_formula} characters (limit max_formula)")
        self.max_depth = limits.max_depth
        self.max_ops = getattr(limits, "max_ops", 40)
        self.tokens = tokenize(text)
        self.i = 0
        self.names = names
        self.depth = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", 0)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            found = f"'{tok[1]}'" if tok[0] != "end" else "the end"
            raise SpecError(f"expected '{value}' at position {tok[2] or 'end'}, found {found}")
        self.i += 1
        return tok

    def nest(self):
        self.depth += 1
        if self.depth > self.max_depth:
            raise SpecError(f"the formula is nested more than {self.max_depth} levels deep (limit max_depth)")

    def parse(self) -> Node:
        node = self.expr()
        if self.peek()[0] != "end":
            tok = self.peek()
            raise SpecError(f"unexpected '{tok[1]}' at position {tok[2]}")
        ops, stack = 0, [node]
        while stack:
            n = stack.pop()
            if n.op not in ("num", "const", "var"):
                ops += 1
            stack.extend(a for a in n.args if isinstance(a, Node))
        if ops > self.max_ops:
            raise SpecError(f"the formula has {ops} operations, more than {self.max_ops} (limit max_ops)")
        return node

    def expr(self):
        self.nest()
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            op = "add" if self.take()[1] == "+" else "sub"
            node = Node(op, (node, self.term()))
        self.depth -= 1
        return node

    def term(self):
        node = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = "mul" if self.take()[1] == "*" else "div"
            node = Node(op, (node, self.unary()))
        return node

    def unary(self):
        if self.peek()[1] in ("-", "+"):
            self.nest()
            sign = self.take()[1]
            inner = self.unary()
            self.depth -= 1
            return Node("neg", (inner,)) if sign == "-" else inner
        return self.power()

    def power(self):
        base = self.postfix()
        if self.peek()[1] in ("^", "**"):
            self.take()
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            return Node("pow", (base, exponent))
        return base

    def postfix(self):
        node = self.primary()
        if self.peek()[1] == "^T":
            self.take()
            return Node("dot", (node, self.primary()))
        return node

    def primary(self):
        kind, text, pos = self.take()
        if kind == "num":
            return Node("num", value=text)
        if kind == "name":
            if self.peek()[1] == "(":
                if text not in FUNCTIONS:
                    raise SpecError(f"unknown function '{text}' at position {pos} "
                                    f"(known: {', '.join(sorted(FUNCTIONS))})")
                self.take("(")
                args = [self.expr()]
                while self.peek()[1] == ",":
                    self.take()
                    args.append(self.expr())
                self.take(")")
                if len(args) != FUNCTIONS[text]:
                    raise SpecError(f"{text}() takes {FUNCTIONS[text]} argument(s), got {len(args)}")
                return Node("log" if text == "ln" else text, tuple(args))
            if text in self.names:
                return Node("var", value=text)
            if text in CONSTANTS:
                return Node("const", value=text)
            if text in FUNCTIONS:
                raise SpecError(f"function '{text}' needs parentheses: {text}(...)")
            known = ", ".join(sorted(self.names)) or "none"
            raise SpecError(f"unknown name '{text}' at position {pos} (declared: {known}; constants: pi, e)")
        if text == "(":
            node = self.expr()
            self.take(")")
            return node
        if kind == "end":
            raise SpecError("the formula ends too early")
        raise SpecError(f"unexpected '{text}' at position {pos}")


def parse(text: str, names=(), limits=None) -> Node:
    """The tree of ``text``, whose variables must be among ``names``."""
    from ...limits import DEFAULT
    return _Parser(text, set(names), limits or DEFAULT).parse()


def parse_value(text, limits=None) -> Node:
    """A constant value: a number or an expression of numbers, pi and e ("pi/2", "2*pi")."""
    return parse(str(text), (), limits)
