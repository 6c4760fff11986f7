"""The package's shape: no import circle, one home per exercise kind, no private name borrowed
from a sibling module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator.kinds import KINDS, kind

PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool):
    """(imported module, names) of every import in ``path`` (module level only, or anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = set()
        for target, names in _imports(path, top_level_only=top_level_only):
            found = {f"{target}.{n}" for n in names} & set(modules)
            deps |= found or ({target} & set(modules))
        deps.discard(name)
        graph[name] = deps
    return graph


def _cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if not state.get(n):
            found = visit(n)
            if found:
                return found
    return None


@pytest.mark.parametrize("top_level_only", [True, False])
def test_no_import_circle(top_level_only):
    """Not even through imports inside functions."""
    assert _cycle(_graph(top_level_only=top_level_only)) is None


def test_spec_loading_does_not_reach_the_solver():
    """Loading a spec (spec.py, randomize.py, the kinds' schemas) never imports solve or render,
    even lazily: the randomization that needs solving lives in variants.py."""
    graph = _graph(top_level_only=False)
    start = ["generator.spec", "generator.randomize"] + [f"generator.kinds.{k}.schema" for k in KINDS]
    seen, todo = set(), list(start)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo += graph.get(n, ())
    for forbidden in ("generator.solve", "generator.variants", "generator.render", "generator.homework"):
        assert forbidden not in seen, forbidden


def test_no_private_name_borrowed_from_another_module():
    for path in PACKAGE.rglob("*.py"):
        for target, names in _imports(path, top_level_only=False):
            if target.startswith("generator"):
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                assert not private, f"{path.relative_to(PACKAGE)} imports {private} from {target}"


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_has_one_home(name):
    home = PACKAGE / "kinds" / name
    for part in ("__init__.py", "schema.py", "engine.py", "answers.py", "views.py"):
        assert (home / part).is_file(), f"{name}/{part}"
    k = kind(name)
    assert (k.templates / "solution.tex.j2").is_file() and (k.templates / "question.tex.j2").is_file()
    assert (home / "__init__.py").read_text(encoding="utf-8").startswith('"""')


def test_core_modules_never_name_a_kind():
    """A kind is one folder: no module outside generator/kinds/<kind>/ holds a kind's name as a string
    or imports a kind's module; everything that lists kinds reads KINDS (listed once, there)."""
    named = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "kinds" and len(rel.parts) > 2:
            continue                                       # inside a kind's own folder
        tree = ast.parse(path.read_text(encoding="utf-8"))
        listing = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                   and any(isinstance(t, ast.Name) and t.id == "KINDS" for t in n.targets)]
        allowed = {id(c) for v in listing for c in ast.walk(v)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in KINDS and id(node) not in allowed:
                named.append(f"{rel}:{node.lineno} '{node.value}'")
        for target, _ in _imports(path, top_level_only=False):
            if any(target.startswith(f"generator.kinds.{k}") for k in KINDS):
                named.append(f"{rel} imports {target}")
    assert not named, named
