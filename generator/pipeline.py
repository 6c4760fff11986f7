"""The whole pipeline for many specs: load and check everything first, then solve, render and
compile.  ``render_specs`` is what ``dryrun render`` runs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LatexError, UsageError
from .files import write_atomic


@dataclass(frozen=True)
class Job:
    """One document to produce: its LaTeX source and where it goes."""
    tex: str
    stem: Path          # output path without extension: out/seed000-solution


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)   # rewritten with the same bytes


def plan(spec_paths, out_dir: Path, *, what=("solution", "question"), rounding=None,
         templates=None, limits=None, warn=None) -> list[Job]:
    """Load every spec (all errors before any work), solve and render each; nothing is written.
    ``warn(text)`` hears of a spec whose carried rounding moves answers too far (carry mode)."""
    from .divergence import divergences, warning
    from .render import render
    from .solve import solve
    from .spec import load_spec

    specs = [load_spec(p, limits) for p in spec_paths]
    names = [s.name for s in specs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise UsageError(f"two specs would write the same output names: {', '.join(sorted(dupes))}")
    jobs = []
    for spec in specs:
        policy = rounding(spec.rounding) if rounding else spec.rounding
        trace = solve(spec, policy)
        message = warning(divergences(trace, policy), policy)
        if message and warn:
            warn(f"{spec.path}: {message}")
        for w in what:
            tex = render(spec, trace, w, templates)
            check_size(tex, f"{spec.path}: the {w}", limits)
            jobs.append(Job(tex, Path(out_dir) / f"{spec.name}-{w}"))
    return jobs


def check_size(tex: str, what: str, limits=None) -> None:
    """A document's LaTeX within the limit max_tex_bytes (checked before anything is compiled)."""
    from .errors import SpecError
    from .limits import DEFAULT
    limit = (limits or DEFAULT).max_tex_bytes
    if len(tex) > limit:
        raise SpecError(f"{what} would be {len(tex) / 1e6:.1f} MB of LaTeX, more than "
                        f"{limit / 1e6:.1f} MB (limit max_tex_bytes); make the exercise smaller")


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write(jobs, *, pdf=True, tex=False, jobs_n: int = 1, progress=None) -> Report:
    """Write the ``.tex`` and/or compile the PDFs (in parallel); failures are collected, not raised.
    ``jobs``: a list (compiled longest first) or an iterator (each job starts as soon as it is
    produced, so rendering overlaps compiling).  ``progress(n)`` is called as documents finish."""
    from .compile import compile_pdf

    report = Report()

    def one(job: Job):
        tex_path = job.stem.with_suffix(".tex")
        if tex:
            data = job.tex.encode("utf-8")
            if _content(tex_path) == data:
                report.unchanged.append(tex_path)
            else:
                write_atomic(tex_path, data)
                report.written.append(tex_path)
        if pdf:
            pdf_path = job.stem.with_suffix(".pdf")
            before = _content(pdf_path)
            try:
                compile_pdf(job.tex, pdf_path, keep_tex_on_error=tex_path)
                (report.unchanged if before is not None and _content(pdf_path) == before
                 else report.written).append(pdf_path)
            except LatexError as err:
                report.failed.append((pdf_path, str(err)))
        if progress:
            progress(1)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs_n))
    try:
        if isinstance(jobs, list):
            # the longest documents first, so that no long one is left to run alone at the end
            jobs = sorted(jobs, key=lambda j: len(j.tex), reverse=True)
        for future in [pool.submit(one, job) for job in jobs]:
            future.result()
    except BaseException:          # Ctrl-C: start nothing new; what is written is whole
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return report
