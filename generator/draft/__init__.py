"""``dryrun init --from DOCUMENT``: draft a spec from the givens a hand-written worked solution states.

The document is Markdown with ``$…$``/``$$…$$`` math (as the seed documents), LaTeX (``.tex``) or a
PDF (through its text), read by ``generator/audit/document.py`` as the audit reads it.  Its math is
read by a small tokenizer over LaTeX (nothing is evaluated, no text is run as code):

- a given is a symbol set to a literal (``W^{(1)} = \\begin{bmatrix}…\\end{bmatrix}``, ``\\eta = 0.1``,
  ``y = 1``), or a symbol paired with a number where a symbolic line and a numeric line of the same
  shape follow each other (``w_{11}^1 \\cdot x_1 + … + b_1^1 = 0.1 \\cdot 0.5 + … + 0.2``;
  ``Z = Wx + b`` then ``Z = [..] \\cdot [..] + [..]``): the first value a symbol gets is its given;
  a symbol whose first value is computed (``\\hat y = \\sigma(2) \\approx 0.881``) is not a given;
- what the givens are given for is each kind's business: every kind that can be drafted has a
  ``draft.py`` in its folder (``kinds.kind_draft``) whose ``draft(d)`` reads the exercises of its
  kind from this module's ``Draft`` (the document, its math and prose, the facts) and returns each
  as (line, its YAML lines), listing the givens it used with ``d.given``.

Every kind's hook but the default kind's writes ``parts:`` entries, ordered by the line they start
on; when none finds an exercise, the default kind's hook drafts the spec's one top-level exercise
(``<default kind>:``).  The draft is YAML text with a header that names the document, lists every
given found with the line it came from, and marks every field that had to be guessed
(``# guessed: …``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..audit.document import Document
from ..errors import SpecError
from ..kinds import DEFAULT_KIND, KINDS, kind_draft
from .common import quote
from .facts import Facts, facts_of
from .reading import DraftError, Seg, read_document, segments, title

__all__ = ["Draft", "DraftError", "draft_spec"]


@dataclass
class _Given:
    what: str
    value: str
    where: str
    source: str


@dataclass
class Draft:
    """What the kinds' draft hooks read, and the givens they list for the header."""
    doc: Document            # where each line is (``doc.where(line)``)
    lines: list[str]         # the text as read (a PDF: its text, numeric lines in $$…$$)
    segs: list[Seg]          # the math segments
    prose: list[str]         # the prose of every line (math replaced by spaces)
    facts: Facts             # the equations and the values symbols get
    givens: list = field(default_factory=list)

    def given(self, what, value, line, source):
        """List a given in the header: ``what`` = ``value``, read at ``line`` (a line number, or where
        as text) from ``source``."""
        src = " ".join(str(source).split())
        if len(src) > 90:
            src = src[:87] + "..."
        where = line if isinstance(line, str) else self.doc.where(line)
        self.givens.append(_Given(what, value, where, src))


def _exercises(name: str, d: Draft) -> list[tuple[int, list[str]]]:
    """The exercises kind ``name``'s draft hook finds, or none where the kind has no hook."""
    hook = kind_draft(name)
    return hook.draft(d) if hook is not None else []


def draft_spec(path: str) -> str:
    """The draft spec (YAML text) read from the worked solution at ``path``; a SpecError (exit 2)
    naming the file when it cannot be read or states no givens."""
    path = str(path)
    doc, lines, tex = read_document(path)
    segs, prose = segments(lines, tex)
    d = Draft(doc, lines, segs, prose, facts_of(segs))
    parts = [part for name in KINDS if name != DEFAULT_KIND for part in _exercises(name, d)]
    if parts:
        body = ["parts:"]
        for _, yaml_lines in sorted(parts, key=lambda p: p[0]):
            body += yaml_lines
    else:
        whole = _exercises(DEFAULT_KIND, d)
        if not whole:
            raise DraftError("no givens found (no weight matrix, kernel or model formula with values); "
                             f"write the spec by hand (dryrun init {DEFAULT_KIND} prints a starter)", where=path)
        body = whole[0][1]
    name = title(lines)
    head = [f"# Draft spec read from {_one_line(path)} by `dryrun init --from`.",
            "# Check every value against the document before you use it: the givens below were read from",
            "# its text, and a field marked '# guessed:' is not stated there. Rounding is not read (default:",
            "# 4 decimals); set rounding: to the document's precision.",
            "# Givens found:"]
    for g in d.givens:
        src = f"   <- {_one_line(g.source)}" if g.source and g.source != g.value else ""
        head.append(f"#   {g.where}: {_one_line(g.what)} = {_one_line(g.value)}{src}")
    text = "\n".join(head) + "\n" + (f"title: {quote(name)}\n" if name else "") + "\n".join(body) + "\n"
    problem = _check(text, path)
    if problem:
        text = f"# NOT VALID YET: {_one_line(problem)}\n" + text
    return text


def _one_line(s: str) -> str:
    s = "".join(ch if ch.isprintable() else " " for ch in str(s))
    s = " ".join(s.split())
    return s if len(s) <= 160 else s[:157] + "..."


def _check(text: str, where: str) -> str:
    """Why the draft does not load as a spec ('' when it does)."""
    from ..spec import parse_yaml, spec_from_data
    try:
        spec_from_data(parse_yaml(text, where), where)
    except SpecError as e:
        return str(e.located("draft"))
    return ""
