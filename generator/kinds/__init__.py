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

and, where the kind has them:

- ``starter.yaml``: the commented example ``dryrun init <kind>`` prints
- ``notation.py``: ``label(name, index, tex)`` → the symbol of a trace value in the kind's own
  notation by its name, or None (then its page symbol: the note its step declared in
  ``View.NOTATION``, or its name); optionally ``note_label(note, index, model)``, the plain-text
  symbol of a step by the note it declared, and ``key_label(name, index)``, the compact form of
  a value in an answer key (L_it k for a loss), or None (then its label)
- ``constraints.py``: ``holds(name, arg, model, problem)`` → whether a solved variant keeps the
  ``randomize:`` constraint ``name`` (without it, only ``nonzero_gradients`` over ``grad.*``)
- ``answers.SHARED_STRUCTURE = True``: every variant of the same shapes feeds its answers from the
  same entries (except through exact zeros), so grading learns one dependency table for them
- ``templates/figure.tex.j2``: a standalone figure of the exercise (an LMS question's picture)
- ``reference.py``: ``solve(part)`` and ``loss(part)``, a second implementation the tests check
  the engine against
- ``bad_specs/``: specs of the kind that must fail, with their one-line errors in ``EXPECTED.tsv``
- ``draft.py``: ``draft(d)`` → the exercises of the kind a hand-written worked solution states, each
  (line, its YAML lines), read from ``generator.draft.Draft`` for ``dryrun init --from``; optionally
  ``WORDS`` (words of its formulas the drafter's tokenizer reads whole) and
  ``FORMULA_WORDS`` (those that mark a formula, not prose)

The loader, the solver, the renderer and the answer files all find a kind through ``KINDS``:
adding a kind is one new folder and one entry here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

#: Every exercise kind, in the order the documentation lists them.
KINDS = ("network", "expression", "conv", "pool", "cnn", "rnn", "attention", "batchnorm", "layernorm", "lstm", "gru",
         "params", "skipgram", "optimizer")
#: The kind of a spec's top-level exercise (``network:`` in a spec) and of a part without ``kind:``.
DEFAULT_KIND = KINDS[0]


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
            problem = self._module("engine").solve(model, policy, overrides)
        problem.model = model        # labels read the notation of its steps through it
        return problem

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

    def _optional(self, part: str):
        """The kind's module ``part``, or None where its folder has none."""
        from importlib.util import find_spec
        name = f"{__name__}.{self.name}.{part}"
        if name not in _OPTIONAL:                 # looked up once: labels ask for every value
            _OPTIONAL[name] = importlib.import_module(name) if find_spec(name) is not None else None
        return _OPTIONAL[name]

    @property
    def folder(self) -> Path:
        """The kind's folder, generator/kinds/<kind>/."""
        return Path(__file__).parent / self.name

    @property
    def starter(self) -> Path:
        """The commented example spec of the kind (``dryrun init <kind>``)."""
        return self.folder / "starter.yaml"

    @property
    def figure(self) -> str | None:
        """The template of the kind's standalone figure (``<kind>/figure.tex.j2``), or None."""
        return f"{self.name}/figure.tex.j2" if (self.templates / "figure.tex.j2").is_file() else None

    @property
    def notation(self):
        """The kind's ``notation`` module, or None (its values then take the generic names)."""
        return self._optional("notation")

    def label(self, name: str, index, tex: bool) -> str | None:
        """The symbol of trace value ``name`` in the kind's own notation, by its name, or None."""
        own = self.notation
        return None if own is None or not hasattr(own, "label") else own.label(name, index, tex)

    def note_label(self, note: tuple, index, model) -> str | None:
        """The plain-text symbol of a step that declared ``note`` (key, {parameter: value}), entry
        ``index``, in the kind's words (its notation's ``note_label``), or None."""
        make = getattr(self.notation, "note_label", None)
        return make(note, index, model) if make else None

    def notation_view(self, model, problem):
        """The kind's view of a solved ``problem`` as far as its notation needs (``View.NOTATION``,
        the symbols its pages print): no formatter, no spec."""
        return self._module("views").View(model, problem, None)

    @property
    def key_label(self):
        """The kind's compact form of a value in an answer key, ``key_label(name, index)`` of its
        notation (a loss L_it k …, None for a value it writes as its label); None where its notation
        declares none (its values then take their labels)."""
        return getattr(self.notation, "key_label", None)

    def holds(self, name: str, arg, model, problem) -> bool | None:
        """Whether a solved variant keeps the ``randomize:`` constraint ``name``; None when the kind
        has no constraints of its own."""
        own = self._optional("constraints")
        return None if own is None else own.holds(name, arg, model, problem)

    @property
    def shares_structure(self) -> bool:
        """Whether grading may share one dependency table between the variants of the same shapes
        (``answers.SHARED_STRUCTURE``; False, a table per variant, where the kind does not say)."""
        return bool(getattr(self._module("answers"), "SHARED_STRUCTURE", False))

    @property
    def draft(self):
        """The kind's ``draft`` module (``dryrun init --from``), or None where the kind cannot be
        drafted from a worked solution."""
        return self._optional("draft")


#: The optional modules of the kinds (``Kind._optional``), by module name: the module, or None.
_OPTIONAL: dict = {}


def kind(name: str) -> Kind:
    """The functions of kind ``name``."""
    if name not in KINDS:
        raise KeyError(name)
    return Kind(name)


def kind_draft(name: str):
    """The draft module of kind ``name`` (``kinds/<kind>/draft.py``: ``draft(d)``, optionally
    ``WORDS`` and ``FORMULA_WORDS``), imported when first asked for; None where it has none."""
    return kind(name).draft


def template_dirs() -> dict[str, Path]:
    """Each kind's template folder, by the prefix its templates are named with."""
    return {name: Kind(name).templates for name in KINDS}
