"""The exercise kinds, one folder each, every folder in the same shape:

- ``schema.py``: ``parse(value, field, ident, limits)`` → the validated model (a frozen dataclass
  whose ``kind`` names the folder)
- ``engine.py``: ``solve(model, policy, overrides=None)`` → its ``trace.ProblemTrace``, every value
  recorded
- ``answers.py``: ``groups(model, problem)`` (the answer groups), ``is_key(name)``,
  ``given(model, problem)`` (the data a question states, for an LMS)
- ``views.py``: ``View``, what its templates call ``p`` (and optionally ``view(model, problem, fmt,
  spec)`` where building it needs the spec)
- ``templates/``: its templates, which the renderer names ``<kind>/<file>``
- ``__init__.py``: what the kind is, in its docstring.

The loader, the solver, the renderer and the answer files all find a kind through ``KINDS``:
adding a kind is one new folder and one entry here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

#: Every exercise kind, in the order the documentation lists them.
KINDS = ("network", "expression", "conv", "pool", "cnn", "rnn", "attention", "batchnorm")


@dataclass(frozen=True)
class Kind:
    """One kind's functions, imported from its folder when first used (start-up stays light)."""
    name: str

    def _module(self, part: str):
        return importlib.import_module(f"{__name__}.{self.name}.{part}")

    @property
    def templates(self) -> Path:
        return Path(__file__).parent / self.name / "templates"

    def parse(self, value, field: str, ident: str, limits):
        return self._module("schema").parse(value, field, ident, limits)

    def solve(self, model, policy, overrides=None):
        """The engine's trace, under the one guard of every kind (``trace.guard``): a value that
        cannot be computed is one ``ComputationError`` naming it, never a traceback."""
        from ..trace import guard
        with guard(model.id):
            return self._module("engine").solve(model, policy, overrides)

    def view(self, model, problem, fmt, spec):
        views = self._module("views")
        make = getattr(views, "view", None)
        return make(model, problem, fmt, spec) if make else views.View(model, problem, fmt)

    def groups(self, model, problem) -> dict[str, list[str]]:
        return self._module("answers").groups(model, problem)

    def is_key(self, name: str) -> bool:
        return self._module("answers").is_key(name)

    def given(self, model, problem) -> list[tuple[str, object]]:
        return self._module("answers").given(model, problem)


def kind(name: str) -> Kind:
    """The functions of kind ``name``."""
    if name not in KINDS:
        raise KeyError(name)
    return Kind(name)


def template_dirs() -> dict[str, Path]:
    """Each kind's template folder, by the prefix its templates are named with."""
    return {name: Kind(name).templates for name in KINDS}
