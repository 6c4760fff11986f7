"""Every page of every spec and stress example is legible, measured from the PDF's word boxes:
no word smaller than 4.5 pt (nothing shrunk to fit), no two words on top of each other, nothing
past the margins."""

import shutil

import pytest

from generator.compile import compile_pdf
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec
from tests.conftest import SPECS
from tests.legibility import problems, words

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="pdflatex and pdftotext are needed")
DOCUMENTS = sorted(SPECS.glob("*.yaml")) + sorted((SPECS.parent / "examples").glob("*.yaml"))


@needs_tex
@pytest.mark.parametrize("what", ["solution", "question"])
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_pages_are_legible(path, what, tmp_path):
    spec = load_spec(path)
    pdf = tmp_path / f"{path.stem}-{what}.pdf"
    compile_pdf(render(spec, solve(spec), what), pdf)
    found, _ = words(pdf)
    assert len(found) > 50                       # the measure saw the page
    assert problems(pdf) == []


@needs_tex
def test_the_measure_finds_shrunk_and_overlapping_text(tmp_path):
    from generator.compile import compile_pdf as compile_
    tex = (r"\documentclass[a4paper]{article}\usepackage[margin=2.2cm]{geometry}\begin{document}"
           r"\scalebox{0.4}{tiny words here} \par \makebox[0pt][l]{XYZ}ABC \par"
           r"\noindent\makebox[0pt][l]{\hspace{16cm}beyond} \end{document}")
    tex = tex.replace(r"\begin{document}", r"\usepackage{graphicx}\begin{document}")
    pdf = tmp_path / "bad.pdf"
    compile_(tex, pdf)
    found = problems(pdf)
    assert any("pt high" in p for p in found)
    assert any("overlap" in p for p in found)
    assert any("margin" in p for p in found)
