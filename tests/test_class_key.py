"""The answer key of a real class (issue 19): a 120-student roster as Moodle exports it, a 2-3-2
sigmoid network in carry mode asking 36 values.  The key's table runs across pages with its
header on each, fits the text block (measured from the PDF's word boxes), shows every student's
roster id beside the name; the full key has an outline with one entry per student at the first
page of that student's solution, and stores what the solutions share once."""

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.legibility import problems, words

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                                reason="pdflatex or pdftotext not installed")

SPEC = """\
title: "A 2-3-2 sigmoid network"
description: |
  Train the network for one step by hand.
rounding:
  mode: carry
  decimals: 4
network:
  input: [1, -1]
  target: [1, 0]
  layers:
    - activation: sigmoid
      weights: [[0.5, -0.5], [1, 0.5], [-1, 1]]
      bias: [0, 0.5, -0.5]
    - activation: sigmoid
      weights: [[1, -1, 0.5], [-0.5, 1, 1]]
      bias: [0, 0.5]
  loss: half_sse
  learning_rate: 0.5
  iterations: 1
answers: [losses, gradients, parameters]
randomize:
  values:
    network.input: {integers: [-2, 2], nonzero: true}
    network.layers[0].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}
    network.layers[0].bias: {multiples: 0.5, min: -1, max: 1}
    network.layers[1].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}
    network.target: {choices: [0, 1]}
  constraints:
    - {sigmoid_output_within: [0.05, 0.95]}
    - loss_decreases
  max_attempts: 500
"""

FIRST = ["Zoë", "José", "Aoife", "Björn", "Łukasz", "Søren", "Chidi", "Priya", "Mei", "Oğuz",
         "François", "Ana", "Dmitri", "Yuki", "Fatima", "Siobhán", "Jürgen", "Kwame", "Þórunn", "Ágnes"]
LAST = ["Müller", "García", "Ó Briain", "Kowalski", "Nakamura", "Okonkwo", "Sánchez", "Åberg",
        "Dubois", "Öztürk", "Chen", "Iyer", "Dvořák", "Papadopoulos", "Lindqvist", "Da Silva",
        "Haddad", "Kim", "Van der Berg", "Nowak"]
LONG = ("Maria Fernanda de los Ángeles", "Rodríguez-Echeverría y Santísima Trinidad")


def roster_rows(n: int) -> list[tuple[str, str, str]]:
    """(first, last, id): two students named Wei Wang, one very long name, the rest combined from
    international first and last names (every name distinct)."""
    rows = [("Wei", "Wang", "S100001"), ("Wei", "Wang", "S100002"), (*LONG, "S100003")]
    i = 0
    while len(rows) < n:
        rows.append((FIRST[i % len(FIRST)], LAST[(i + i // len(FIRST)) % len(LAST)], f"S{200000 + i}"))
        i += 1
    return rows


def write_roster(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["First name", "Last name", "ID number", "Email address"])
        for first, last, sid in rows:
            w.writerow([first, last, sid, f"{sid.lower()}@example.edu"])
    return path


def text(pdf: Path, first: int | None = None, last: int | None = None, layout: bool = True) -> str:
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else [])
    args += (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    return subprocess.run(args + [str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def class_table(tmp_path_factory):
    """The key's table of 120 students as `dryrun homework --key table` writes it (its job, taken
    from jobs_of: the solutions need not be typeset for it), compiled."""
    from generator import homework as hw
    from generator.compile import compile_pdf
    from generator.spec import load_spec

    work = tmp_path_factory.mktemp("class")
    (work / "spec.yaml").write_text(SPEC, encoding="utf-8")
    rows = roster_rows(120)
    spec = load_spec(work / "spec.yaml")
    batch = hw.draw(spec, hw.plan_variants(None, hw.read_roster(write_roster(work / "roster.csv", rows))), 1)
    assert not batch.failed and len(batch.variants) == 120
    job = next(hw.jobs_of(batch, work, spec, key="table"))
    assert job.stem == work / "key"
    compile_pdf(job.tex, work / "key.pdf", cache=False)
    return work / "key.pdf", job.tex, rows, batch


def test_the_spec_asks_up_to_36_values_of_each_student(class_table):
    from generator.homework import key_values
    *_, batch = class_table
    asked = [len(key_values(v)) for v in batch.variants]   # a parameter left at its given value: not asked
    assert max(asked) == 36 and min(asked) >= 30


def test_every_student_is_in_the_table_with_the_roster_id(class_table):
    pdf, tex, rows, _ = class_table
    groups = tex.count(r"\begin{longtable}")
    assert groups >= 2                          # 36 columns do not fit beside the names at once
    lines = text(pdf).splitlines()
    body = " ".join(text(pdf, layout=False).split())
    for first, last, sid in rows:
        mine = [ln for ln in lines if re.search(rf"(?<!\w){sid}(?!\w)", ln)]
        assert len(mine) == groups, (sid, len(mine))           # a row in every group: none lost
        if (first, last) == LONG:                               # wraps inside its column
            assert all(w in body for w in f"{first} {last}".split())
            assert all(ln.lstrip().startswith("Maria") for ln in mine)
        else:
            assert all(re.match(rf"\s*{re.escape(first)} {re.escape(last)}\s+{sid}\s", ln) for ln in mine), mine
    wangs = [ln.split()[2] for ln in lines if re.match(r"\s*Wei Wang\s", ln)]
    assert sorted(set(wangs)) == ["S100001", "S100002"] and len(wangs) == 2 * groups


def test_the_table_fits_the_text_block_on_every_page(class_table):
    pdf, *_ = class_table
    assert problems(pdf) == []                  # no word past a margin, none overlapping, none tiny
    found, sizes = words(pdf)
    right = max(w.x1 for w in found)
    assert right <= sizes[0][0] - 62.36 + 2.0
    assert right >= sizes[0][0] - 62.36 - 60    # and uses the width: groups are not needlessly narrow


def test_the_header_repeats_on_every_table_page(class_table):
    pdf, tex, *_ = class_table
    found, sizes = words(pdf)
    assert len(sizes) >= 6
    continued = 0
    for page in range(1, len(sizes) + 1):
        mine = [w.text for w in found if w.page == page]
        assert {"Student", "ID"} <= set(mine), page
        continued += "continued" in mine
    assert continued >= len(sizes) - tex.count(r"\begin{longtable}")


def test_the_full_key_has_an_outline_entry_per_student_at_their_solution(tmp_path):
    from pypdf import PdfReader

    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    rows = roster_rows(8)[:2] + roster_rows(8)[3:7]            # both Wei Wangs and four others
    roster = write_roster(tmp_path / "roster.csv", rows)
    result = CliRunner().invoke(main, ["homework", str(tmp_path / "spec.yaml"), "--students", str(roster),
                                       "--seed", "1", "-o", str(tmp_path / "out"), "-j", "2"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    key = PdfReader(out / "key.pdf")
    outline = key.outline
    assert [o.title for o in outline if not isinstance(o, list)] == ["Key answers", "Solutions"]
    assert key.get_destination_page_number(outline[0]) == 0
    students = outline[2]
    assert [s.title for s in students] == [f"{f} {l} ({i})" for f, l, i in rows]
    from generator.homework import plan_variants, read_roster
    idents = [v.ident for v in plan_variants(None, read_roster(roster))]
    assert idents[:2] == ["wei-wang", "wei-wang-2"]
    table_pages = len(PdfReader(out / "key.pdf").pages) - sum(
        len(PdfReader(p).pages) for p in out.glob("*-solution.pdf"))
    page = table_pages
    assert key.get_destination_page_number(outline[1]) == page
    for (first, last, sid), entry, ident in zip(rows, students, idents):
        start = key.get_destination_page_number(entry)
        assert start == page, entry.title
        solution = out / f"{ident}-solution.pdf"
        assert " ".join(text(out / "key.pdf", start + 1, start + 1).split()) == " ".join(text(solution, 1, 1).split())
        page += len(PdfReader(solution).pages)
    assert page == len(key.pages)
    assert key.page_mode == "/UseOutlines"
    # what the solutions share (their fonts) is stored once: the key is much smaller than its parts
    parts = sum(p.stat().st_size for p in out.glob("*-solution.pdf"))
    assert (out / "key.pdf").stat().st_size < 0.7 * parts


def test_a_column_some_variants_leave_out_stands_where_it_is_computed():
    """A key column that the first variant leaves out (its value equals a given one there) is not
    appended after the others: the columns follow the computation (iteration 1's loss, the kernel's
    entries in order, the final loss last)."""
    from generator.answers import part_problems
    from generator.render import _in_computed_order
    from generator.solve import solve
    from generator.spec import load_spec
    spec = load_spec(Path(__file__).resolve().parent.parent / "specs" / "cnn.yaml")
    solved = part_problems(spec, solve(spec))
    names = ["it1.loss", "final.kernels[1,1,2]", "final.loss", "final.kernels[1,1,1]"]
    assert _in_computed_order(names, spec, solved) == [
        "it1.loss", "final.kernels[1,1,1]", "final.kernels[1,1,2]", "final.loss"]
