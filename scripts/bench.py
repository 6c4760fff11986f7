"""Benchmark of batches: Python time per document, bare pdflatex per document, and the whole
pipeline (`dryrun homework`) for 40 variants with 1 and 2 jobs, cold and warm cache.

Run: make bench   (prints a table and the ratios the project targets; also the class keys and
dryrun audit of rendered solutions: `python scripts/bench.py audit` for the audit alone)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "seed003.yaml"
VARIANTS = 40
SEED = 1


def python_time():
    """Seconds per document to go from the spec to LaTeX (draw, solve, render), in process."""
    sys.path.insert(0, str(ROOT))
    from generator import homework as hw
    from generator.spec import load_spec

    start = time.perf_counter()
    spec = load_spec(SPEC)
    batch = hw.draw(spec, hw.plan_variants(VARIANTS, None), SEED)
    jobs = list(hw.jobs_of(batch, Path("/nonexistent"), spec))
    return (time.perf_counter() - start) / len(jobs), jobs


def bare_pdflatex(jobs):
    """Seconds per document for one plain pdflatex pass over the same .tex files (no caches)."""
    total = 0.0
    with tempfile.TemporaryDirectory() as work:
        for i, job in enumerate(jobs):
            d = Path(work, str(i))
            d.mkdir()
            (d / "doc.tex").write_text(job.tex, encoding="utf-8")
            start = time.perf_counter()
            subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                            "-no-shell-escape", "doc.tex"], cwd=d, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            total += time.perf_counter() - start
    return total


def key_cost(out: Path):
    """Seconds to assemble the full key from the compiled solutions (as homework does), and to
    typeset it whole instead (the former way), both for the same variants."""
    from generator import homework as hw
    from generator.compile import compile_pdf
    from generator.render import render_key
    from generator.spec import load_spec

    spec = load_spec(SPEC)
    batch = hw.draw(spec, hw.plan_variants(VARIANTS, None), SEED)
    rows = [(v, hw.key_values(v)) for v in batch.variants]
    with tempfile.TemporaryDirectory() as work:
        table = Path(work, "table.pdf")
        compile_pdf(render_key(spec, rows, table_only=True), table, cache=False)
        start = time.perf_counter()
        hw.assemble_key(table, [out / f"{v.ident}-solution.pdf" for v in batch.variants])
        assembled = time.perf_counter() - start
        start = time.perf_counter()
        compile_pdf(render_key(spec, rows), Path(work, "whole.pdf"), cache=False)
        whole = time.perf_counter() - start
    return assembled, whole


CLASS_SIZES = (120, 500)


def class_key(students: int, work: Path):
    """The full key of a class (the roster and 2-3-2 network of tests/test_class_key.py): its
    size in MB, pages and the seconds of the key proper (the table typeset, then assembled with
    the solution PDFs); the solutions are compiled first (not counted: every run writes them).
    Also the size of the same pages merged without sharing identical objects (the former key)."""
    from pypdf import PdfReader, PdfWriter

    from generator import homework as hw
    from generator.compile import compile_pdf
    from generator.pipeline import write
    from generator.render import render, render_key
    from generator.spec import load_spec
    from tests.test_class_key import SPEC as CLASS_SPEC, roster_rows, write_roster

    (work / "spec.yaml").write_text(CLASS_SPEC, encoding="utf-8")
    roster = hw.read_roster(write_roster(work / "roster.csv", roster_rows(students)))
    spec = load_spec(work / "spec.yaml")
    batch = hw.draw(spec, hw.plan_variants(None, roster), SEED)
    solutions = [work / f"{v.ident}-solution.pdf" for v in batch.variants]
    start = time.perf_counter()
    write([hw.Job(render(v.spec, v.trace, "solution"), work / f"{v.ident}-solution") for v in batch.variants],
          jobs_n=os.cpu_count() or 1)
    compiled = time.perf_counter() - start
    start = time.perf_counter()
    rows = [(v, hw.key_values(v)) for v in batch.variants]
    key = work / "key.pdf"
    compile_pdf(render_key(spec, rows, table_only=True), key, cache=False)
    table_pages = len(PdfReader(key).pages)
    table_s = time.perf_counter() - start
    plain = PdfWriter()                                      # the former assembly, for comparison
    for p in [key] + solutions:
        plain.append(PdfReader(p))
    plain.write(work / "plain.pdf")
    start = time.perf_counter()
    hw.assemble_key(key, solutions, [hw.key_title(v) for v in batch.variants])
    assembled = time.perf_counter() - start
    return {"students": students, "mb": key.stat().st_size / 1e6, "pages": len(PdfReader(key).pages),
            "table_pages": table_pages, "table_s": table_s, "assemble_s": assembled,
            "plain_mb": (work / "plain.pdf").stat().st_size / 1e6, "solutions_s": compiled,
            "solutions_mb": sum(p.stat().st_size for p in solutions) / 1e6}


def pipeline(jobs_n: int, cache: Path, out: Path):
    """Wall time of the whole `dryrun homework` command."""
    env = dict(os.environ, DRYRUN_CACHE=str(cache))
    start = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "dryrun"), "homework", str(SPEC), "--variants",
                    str(VARIANTS), "--seed", str(SEED), "-o", str(out), "-j", str(jobs_n)],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    per_doc_py, jobs = python_time()
    n = len(jobs)
    bare = bare_pdflatex(jobs)
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for jobs_n in (1, 2):
            cache = Path(work, f"cache{jobs_n}")
            cold = pipeline(jobs_n, cache, Path(work, f"out{jobs_n}"))
            warm = pipeline(jobs_n, cache, Path(work, f"out{jobs_n}w"))     # new directory: PDF cache
            again = pipeline(jobs_n, cache, Path(work, f"out{jobs_n}"))    # same directory: run cache
            results[jobs_n] = (cold, warm, again)
        assembled, whole = key_cost(Path(work, "out1"))
    c1, w1, a1 = results[1]
    c2, w2, _ = results[2]
    print(f"dryrun benchmark: {VARIANTS} variants of {SPEC.name} = {n} documents "
          f"(questions, solutions, one key), {os.cpu_count()} cores")
    print(f"  Python, spec -> .tex             {per_doc_py * 1000:8.1f} ms per document")
    print(f"  bare pdflatex, one pass          {bare / n * 1000:8.1f} ms per document ({bare:.1f} s for all)")
    print(f"  pipeline, 1 job,  cold cache     {c1:8.2f} s   ({c1 / n * 1000:.0f} ms per document)")
    print(f"  pipeline, 1 job,  warm cache     {w1:8.2f} s   (into a new directory: every PDF from the cache)")
    print(f"  pipeline, 1 job,  re-run         {a1:8.2f} s   (same directory, nothing changed)")
    print(f"  pipeline, 2 jobs, cold cache     {c2:8.2f} s")
    print(f"  pipeline, 2 jobs, warm cache     {w2:8.2f} s")
    print(f"  key from the solution PDFs       {assembled:8.2f} s   (typeset whole instead: {whole:.2f} s)")
    print("ratios (target)")
    print(f"  pipeline (1 job, cold) / bare pdflatex   {c1 / bare:6.2f}   (<= 1.15)")
    print(f"  speed-up of 2 jobs (cold)                {c1 / c2:6.2f}x  (>= 1.8)")
    print(f"  re-run / cold (1 job)                    {a1 / c1:6.3f}   (<= 0.05)")
    print(f"  warm into a new directory / cold         {w1 / c1:6.3f}")
    print_class_keys()
    print_audit()


def print_class_keys(sizes=CLASS_SIZES):
    """The key of a class: size, pages and seconds for each class size."""
    print("key of a class (2-3-2 sigmoid network, carry mode, 36 answers per student)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as work:
            r = class_key(n, Path(work))
        print(f"  {n:4d} students: key {r['mb']:6.1f} MB, {r['pages']:5d} pages ({r['table_pages']} of table); "
              f"table {r['table_s']:5.1f} s + assembly {r['assemble_s']:5.1f} s  "
              f"[merged without sharing: {r['plain_mb']:.1f} MB; the {n} solutions: {r['solutions_mb']:.1f} MB, "
              f"compiled in {r['solutions_s']:.0f} s]")


AUDIT_BIG = """title: audit benchmark
rounding: {mode: display}
network:
  input: [0.5, -0.2, 0.1, 0.7, 0.3, -0.4]
  target: [1, 0, 0.5, 0.2]
  layers:
    - activation: sigmoid
      weights: [[0.1, 0.2, -0.3, 0.4, 0.5, 0.1], [0.2, -0.1, 0.3, 0.2, 0.1, 0.4], [0.3, 0.1, 0.2, -0.5, 0.2, 0.1],
                [0.1, 0.3, 0.1, 0.2, -0.2, 0.3], [0.2, 0.2, 0.2, 0.1, 0.1, -0.1], [0.4, 0.1, -0.2, 0.3, 0.2, 0.2]]
      bias: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    - activation: tanh
      weights: [[0.1, 0.2, 0.3, 0.1, 0.2, 0.1], [0.2, 0.1, -0.3, 0.2, 0.1, 0.4], [0.3, -0.1, 0.2, 0.5, 0.2, 0.1],
                [0.1, 0.3, 0.1, 0.2, 0.2, -0.3]]
      bias: [0.0, 0.1, 0.2, 0.1]
  loss: half_sse
  learning_rate: 0.5
  iterations: 6
"""


def print_audit():
    """dryrun audit of rendered solutions (display mode): seconds and numbers checked."""
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from generator.audit.audit import audit
    from generator.audit.document import read
    from generator.render import render
    from generator.solve import solve
    from generator.spec import load_spec

    print("dryrun audit of a rendered solution (display mode)")
    with tempfile.TemporaryDirectory() as work:
        big = Path(work, "big.yaml")
        big.write_text(AUDIT_BIG, encoding="utf-8")
        for path in (ROOT / "specs" / "seed004.yaml", ROOT / "specs" / "lstm.yaml", big):
            spec = load_spec(path)
            trace = solve(spec, replace(spec.rounding, mode="display"))
            doc = Path(work, path.stem + ".tex")
            doc.write_text(render(spec, trace, "solution"), encoding="utf-8")
            start = time.perf_counter()
            result = audit(trace, read(doc))
            took = time.perf_counter() - start
            print(f"  {path.name:14s} {result.checked:6d} numbers checked in {took:6.2f} s "
                  f"({result.checked / took:7.0f} per second), {len(result.findings)} wrong")


if __name__ == "__main__":
    if sys.argv[1:] == ["audit"]:           # python scripts/bench.py audit: the audit only
        print_audit()
        sys.exit(0)
    if shutil.which("pdflatex") is None:
        sys.exit("bench: pdflatex is not installed (run make setup)")
    if sys.argv[1:] == ["key"]:             # python scripts/bench.py key: the class keys only
        sys.path.insert(0, str(ROOT))
        print_class_keys()
    else:
        main()
