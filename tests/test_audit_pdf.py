"""Reading a PDF worked solution for ``dryrun audit`` (generator/audit/pdf.py, issue 23).

The fixtures tests/fixtures/audit_pdf/seed00N.pdf are seed documents printed to PDF by
tests/fixtures/audit_pdf/make.py (Markdown → LaTeX → pdflatex; committed, so no test needs
pdflatex).  The independent check is the seed document itself: its number tokens, read from its
Markdown source with the rules of tests/fixtures/seed_errors (subscripts, index superscripts and
small integer exponents are notation, not numbers), must come out of the PDF with the same
digits in the same order."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.audit.pdf import pdf_pages, pdf_text
from generator.errors import SpecError

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "audit_pdf"
SEED_DIRS = (HERE / "fixtures" / "seeds", FIXTURES)
SEEDS = ("000", "003", "004")


def _source(number: str) -> str:
    for folder in SEED_DIRS:
        hits = sorted(folder.glob(f"{number}_*.txt")) + sorted(folder.glob(f"seed{number}*.txt"))
        if hits:
            return hits[0].read_text(encoding="utf-8")
    pytest.fail(f"seed {number} is in none of {SEED_DIRS}")


def _pdf(number: str) -> Path:
    return FIXTURES / f"seed{number}.pdf"


# --- the number tokens of a text, as tests/fixtures/seed_errors/compute/common.py reads them -----
def _strip(line: str) -> str:
    s = re.sub(r"_\{[^{}]*\}", "", line)
    s = re.sub(r"_\{[^{}]*\}", "", s)                    # a subscript inside a subscript: n_{o_{t}}
    s = re.sub(r"_\\?[A-Za-z0-9]", "", s)
    s = re.sub(r"\^\{(?![^{}]*[-.,])[^{}]*\}", "", s)   # ^{(1)}, ^{2}, ^{T}: notation
    return re.sub(r"\^[0-9A-Za-z]", "", s)              # ^2, ^T


_TOKEN = re.compile(r"-?(?:\d+(?:[.,]\d+)?|[.,]\d+)")


def _tokens(text: str) -> list[str]:
    return [t for line in text.split("\n") for t in _TOKEN.findall(_strip(line))]


def _decimal(tok: str) -> bool:
    return bool(re.search(r"[.,]\d", tok))


def _common(a: list[str], b: list[str]) -> int:
    """The length of a longest common subsequence: tokens found in the same order."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


@pytest.fixture(scope="module")
def texts():
    return {n: pdf_text(_pdf(n)) for n in SEEDS}


@pytest.mark.parametrize("number", SEEDS)
def test_the_pdf_has_the_source_documents_decimal_numbers_in_order(number, texts):
    """At least 95 % of the source's decimal numbers (measured: all of them, 352, 42 and 99)."""
    source = [t for t in _tokens(_source(number)) if _decimal(t)]
    printed = [t for t in _tokens(texts[number][0]) if _decimal(t)]
    assert len(source) > 40
    found = _common(source, printed)
    assert found >= 0.95 * len(source), f"seed {number}: {found} of {len(source)} decimal numbers"


@pytest.mark.parametrize("number", SEEDS)
def test_the_pdf_has_every_number_of_the_source_in_order(number, texts):
    """Integers included; the PDF adds only its page numbers (one lone number per page)."""
    source, printed = _tokens(_source(number)), _tokens(texts[number][0])
    assert _common(source, printed) == len(source)
    pages = len(pdf_pages(_pdf(number)))
    assert len(printed) - len(source) <= pages


@pytest.mark.parametrize("number", SEEDS)
def test_every_line_says_where_it_comes_from(number, texts):
    text, where = texts[number]
    pages = pdf_pages(_pdf(number))
    lines = text.split("\n")
    assert len(lines) == len(where) == sum(len(p) for p in pages)
    k = 0
    for p, page in enumerate(pages, 1):
        for n, raw in enumerate(page, 1):
            assert where[k] == f"page {p}, line {n}"
            # the normalisation writes symbols, never digits: the same digits, in the same order
            assert re.findall(r"\d", lines[k]) == re.findall(r"\d", raw), (where[k], raw, lines[k])
            k += 1


@pytest.mark.parametrize("number", SEEDS)
def test_the_audit_finds_in_the_pdf_what_it_finds_in_the_text(number):
    """Issue 23: "a seed document printed to PDF … is read as well as its text"."""
    from generator.audit.audit import run
    spec = HERE.parent / "specs" / f"seed{number}.yaml"
    source = next(p for folder in SEED_DIRS for p in sorted(folder.glob(f"{number}_*.txt")))
    text, _ = run(str(spec), str(source))
    pdf, doc = run(str(spec), str(_pdf(number)))
    assert [(f.number.printed, f.expected, f.cause) for f in pdf.findings] == \
        [(f.number.printed, f.expected, f.cause) for f in text.findings]
    assert pdf.checked >= text.checked and not pdf.not_checked
    assert all(re.fullmatch(r"page \d+, line \d+", doc.where(f.number.line)) for f in pdf.findings)


def _line(text: str, needle: str) -> str:
    hits = [ln for ln in text.split("\n") if needle in ln]
    assert hits, needle
    return hits[0]


def test_positions_set_exponents_indices_fractions_and_matrices_apart(texts):
    seed0, seed3, seed4 = texts["000"][0], texts["003"][0], texts["004"][0]
    # pypdf's extract_text gives 'L = 21.62 = 466.56' and '11 +e−0.6 ≈ 0.646'
    assert "$$ L = 21.6^{2} = 466.56 $$" in seed0.split("\n")
    assert "$$ L = 17.5824^{2} = 309.139 $$" in seed0.split("\n")
    assert r"$$ a^{1}_{1} = \sigma(z^{1}_{1}) = \sigma(0.6) = \frac{1}{1 + e^{-0.6}} \approx 0.646 $$" \
        in seed4.split("\n")
    assert _line(seed0, "43.2 & 86.4").startswith(r"$$ \frac{dL}{dW} = \frac{dL}{dz} \cdot x^{T} = "
                                                   r"\begin{bmatrix} 43.2 \\ 43.2 \\ 43.2 \end{bmatrix}")
    assert r"\begin{bmatrix} 0.1 & 0.2 & 0.3 & 0.4 \\ 0.5 & 0.6 & 0.7 & 0.8 \\ 0.9 & 1.0 & 1.1 & 1.2 " \
           r"\end{bmatrix}" in seed0
    assert r"\begin{bmatrix} 1 & 2 & 3 & 4 \end{bmatrix}^{T}" in seed0
    assert r"\begin{cases} 1 & if z_{i} > 0 \\ 0 & otherwise \end{cases}" in seed0
    assert r"= \begin{bmatrix} 2 \\ -1 \end{bmatrix} $$" in _line(seed3, r"z^{(1)} = W^{(1)}x + b^{(1)} =")
    # a gap of a quad is \quad (the audit splits a display's equations there); a minus set against
    # its number and far from what precedes it is a sign: [1 \quad -1], not [1 \quad - 1]
    assert r"$$ W^{(2)} = [1 \quad -1], \quad b^{(2)} = 0. $$" in seed3.split("\n")
    assert r"$$ x = \begin{bmatrix} 1 \\ 0 \\ 1 \end{bmatrix} , \quad y = 1. $$" in seed3.split("\n")
    assert r"\frac{\partial C}{\partial w^{2}_{11}}" in seed4


def test_headings_and_page_numbers_stay_text(texts):
    seed0 = texts["000"][0].split("\n")
    assert "## Iteration 1" in seed0 and "### 3.1.1 Forward Pass" in seed0 and "## 3.2 Iteration 2" in seed0
    seed4 = texts["004"][0].split("\n")
    assert seed4[0] == "# 1. Forward pass" and "### Layer 2:" in seed4
    # the foot of page 1 of seed 4 is its page number, plain text
    where = texts["004"][1]
    last = max(k for k, w in enumerate(where) if w.startswith("page 1,"))
    assert seed4[last] == "1"


def test_decimal_commas_that_tex_spaced_are_joined_again(texts):
    """Seed 4 writes 0,658: TeX sets a thin space after a comma in mathematics, so the PDF shows
    '0, 658' like the list '0.5, 0.5'; the unspaced '0,6544' of an exponent shows the document
    writes decimal commas, and the PDF's line reads as the source's."""
    text = texts["004"][0].split("\n")
    assert "$$ y = [0,658, 0,636] $$" in text
    assert r"$$ = 0,5 \cdot 0,646 + 0,2 \cdot 0,668 + 0,1 = 0,5566 $$" in text
    assert "$$ x = [0.5, 0.5, 0.1] $$" in text                 # a list stays a list


def test_pdf_pages_keeps_the_pdfs_own_characters():
    pages = pdf_pages(_pdf("004"))
    assert len(pages) == 3
    assert "a^{1}_{1} = σ(z^{1}_{1}) = σ(0.6) = \\frac{1}{1 + e^{−0.6}} ≈ 0.646" in pages[0]


@pytest.mark.parametrize("raw, latex", [
    ("0.1 · 0.5 − 0.2 × 3 ≈ −0.5", r"0.1 \cdot 0.5 - 0.2 \times 3 \approx -0.5"),
    ("σ(z) ⋅ η ∂L", r"\sigma(z) \cdot \eta \partial L"),
    ("α β γ δ θ λ μ Σ Δ", r"\alpha \beta \gamma \delta \theta \lambda \mu \Sigma \Delta"),
    ("ηx + ∂L∂w", r"\eta x + \partial L\partial w"),
    ("x² + y₁₂ = 3⁻¹", r"x^{2} + y_{12} = 3^{-1}"),
    ("ˆy − y ← W", r"\hat{y} - y \leftarrow W"),
    ("eﬃcient ﬁt\u00a0=\u20091", "efficient fit = 1"),
    ("1/(1 + e−0.6)", r"1/(1 + e^{-0.6})"),
    ("100% of $5", r"100\% of \$5"),
])
def test_unicode_mathematics_becomes_latex(raw, latex):
    from generator.audit import pdf
    assert pdf._latex(raw) == latex


# --- bad input: one line naming the file -----------------------------------------------------------
def _refused(path: Path, words: str) -> None:
    for read in (pdf_text, pdf_pages):
        with pytest.raises(SpecError) as e:
            read(path)
        assert e.value.where == str(path) and e.value.exit_code == 2
        assert words in str(e.value) and "\n" not in str(e.value) and str(e.value).startswith(str(path))


def test_a_file_that_is_no_pdf_is_refused(tmp_path):
    fake = tmp_path / "key.pdf"
    fake.write_text("# not a PDF\n$$ x = 1 $$\n", encoding="utf-8")
    _refused(fake, "not a PDF file")


def test_a_damaged_pdf_is_refused(tmp_path):
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(_pdf("003").read_bytes()[:3000])
    _refused(cut, "not a readable PDF")


def test_a_pdf_without_a_text_layer_is_refused(tmp_path):
    from pypdf import PdfWriter
    blank = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with open(blank, "wb") as fh:
        writer.write(fh)
    _refused(blank, "no text layer")


def test_a_missing_file_is_refused(tmp_path):
    _refused(tmp_path / "nowhere.pdf", "cannot read the PDF document")


def test_pypdf_is_imported_only_when_a_pdf_is_read():
    code = "import sys, generator.audit.pdf; print('pypdf' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=HERE.parent)
    assert out.stdout.strip() == "False"


def test_the_fixture_converter_writes_latex_without_running_it():
    spec = importlib.util.spec_from_file_location("audit_pdf_make", FIXTURES / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    tex = make.convert("## 1 Forward pass\n\nA 50% step & a_b: $x = 1$\n\n$$a = \\frac{1}{2}$$\n"
                       "- item $y$\n")
    assert r"\subsection*{1 Forward pass}" in tex
    assert r"A 50\% step \& a\_b: $x = 1$" in tex
    assert r"\[ a = \frac{1}{2} \]" in tex
    assert "\\begin{itemize}\n\\item item $y$\n\\end{itemize}" in tex
    assert r"\usepackage{amsmath" in tex and r"\allowdisplaybreaks" in tex
