"""The architecture holds (docs/architecture.md): kinds are folders found through the table, and a
kind built from the shared operations leaves every "=" / "≈" to their printer (that core modules
never name a kind: tests/test_structure.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.kinds import KINDS
from generator.solve import solve
from generator.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "generator"
KIND_DIR = PKG / "kinds"
#: The helpers a template used to choose "=" or "≈" by listing a line's operands by hand.
RELATION_HELPERS = re.compile(r"\.(rel|rel_all|rel_from|rel_at|rel2|rel_prod|erel|rel_sum|fit)\(")


def _composes_shared_operations(kind: str) -> bool:
    text = "\n".join(p.read_text() for p in (KIND_DIR / kind).glob("*.py"))
    return "ops import" in text or "from ...ops" in text


COMPOSED = [k for k in KINDS if _composes_shared_operations(k)]


def test_every_kind_folder_is_in_the_table_and_back():
    folders = {p.name for p in KIND_DIR.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(KINDS)


def test_the_proof_kinds_compose_shared_operations():
    assert {"batchnorm", "layernorm"} <= set(COMPOSED)


@pytest.mark.parametrize("kind", COMPOSED)
def test_a_composed_kinds_templates_list_no_operands(kind):
    for template in (KIND_DIR / kind / "templates").glob("*.j2"):
        hits = RELATION_HELPERS.findall(template.read_text())
        assert not hits, f"{template.relative_to(ROOT)} chooses '=' or '≈' itself: {sorted(set(hits))}"


@pytest.mark.parametrize("kind", COMPOSED)
def test_a_composed_kinds_engine_has_no_arithmetic_of_its_own(kind):
    """Its engine imports no exact arithmetic: every value comes from a shared operation."""
    text = (KIND_DIR / kind / "engine.py").read_text()
    assert "engine import exact" not in text and "import numpy" not in text


@pytest.mark.parametrize("kind", COMPOSED)
def test_every_computed_step_of_a_composed_kind_names_its_operation(kind):
    spec = load_spec(KIND_DIR / kind / "starter.yaml")
    for p in solve(spec, spec.rounding).problems:
        for e in p.entries.values():
            if e.kind != "given":
                assert e.op is not None, f"{kind}: {e.name} was computed outside the shared operations"
                assert all(o in p.entries for o in e.operands), (kind, e.name, e.operands)


#: The modules that name and group trace values: none reads a name with a regular expression.
NAMING = [PKG / "labels.py", PKG / "divergence.py", KIND_DIR / "common.py",
          *KIND_DIR.glob("*/notation.py"), *KIND_DIR.glob("*/answers.py")]


@pytest.mark.parametrize("path", NAMING, ids=lambda p: str(p.relative_to(PKG)))
def test_no_regular_expression_reads_a_trace_name(path):
    """A value's symbol, its answer group and whether it is a key answer come from what its step
    declared (its note, the kind's model), never from a pattern over its name; the one parser of
    names is ``answers.split_answer_name``, for answer names users write in files."""
    text = path.read_text()
    assert not re.search(r"^\s*(import re\b|from re import)", text, re.M), f"{path.name} imports re"


def test_the_answer_names_users_write_have_one_parser():
    text = (PKG / "answers.py").read_text()
    assert len(re.findall(r"\bre\.(compile|fullmatch|match|search|sub|findall)\(", text)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_every_noted_step_has_a_symbol(kind):
    """Every step that declares a note is labelled with a symbol (its kind's notation by name, or
    the symbol its page prints), in LaTeX and in plain text, never with its bare trace name."""
    from generator.labels import label
    spec = load_spec(KIND_DIR / kind / "starter.yaml")
    for p in solve(spec, spec.rounding).problems:
        for name, e in p.entries.items():
            if p.note(name) is None:
                continue
            index = (0,) * len(getattr(e.dec, "shape", ()))
            tex = label(name, index, problem=p)
            assert r"\text{" + name.split(".")[-1].replace("_", r"\_") + "}" not in tex, (name, tex)
            assert r"\frac" not in tex, (name, tex)          # labels are inline: a / b
            assert label(name, index, tex=False, problem=p), name
