"""Homework sets: randomized variants of one spec, each with its question and solution, one
combined answer key, and the key answers as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import DryrunError, SpecError
from .numbers import format_number
from .answers import key_label  # noqa: F401  (the key's headers, re-exported)
from .pipeline import Job



@dataclass
class Variant:
    index: int          # k, 1-based: variant k depends only on the spec, the seed and k
    ident: str          # v07, or the student's slug
    label: str          # "Variant v07" or the student's name
    spec: object = None
    trace: object = None
    stream: int | None = None   # the random stream it is drawn from (default: its index k)
    key: str | None = None      # a student's identity (the roster's id, else the name)


@dataclass
class Batch:
    variants: list = field(default_factory=list)      # the ones that were drawn
    failed: list = field(default_factory=list)        # (ident, message)
    redrawn: dict = field(default_factory=dict)       # ident -> messages of its draws that could not be computed

    def redraw_warning(self) -> str | None:
        """One line: how many draws of this run's variants could not be computed and were drawn
        again (a ``ComputationError``: an overflow, a divisor that carried rounding made 0 …)."""
        count = sum(len(m) for m in self.redrawn.values())
        if not count:
            return None
        first = next(m[0] for m in self.redrawn.values() if m)
        return (f"{count} draw(s) of {len(self.redrawn)} variant(s) could not be computed and were drawn "
                f"again (the first: {first})")


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 1, 1
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        from .errors import UsageError
        raise UsageError(f"--shard must be K/N with 1 ≤ K ≤ N, got '{text}'")
    return int(m.group(1)), int(m.group(2))


def read_roster(path) -> list:
    """The students of a roster CSV (see ``generator.roster``)."""
    from .roster import read_roster as read
    return read(path)


def plan_variants(count: int | None, students: list | None, shard=(1, 1),
                  max_variants: int = 500, notes: list | None = None) -> list[Variant]:
    """The variants of this run (of this shard): ids v01… (variant k drawn from stream k), or one
    per student named by a transliterated slug and drawn from the student's own stream, so that
    adding or removing a student changes nobody else's variant.  ``notes`` hears of file names
    that two students would share (the second gets -2)."""
    from .roster import Student, slug, stream
    K, N = shard
    total = len(students) if students else count
    if not total or total < 1:
        raise DryrunError("--variants must be at least 1 (or give --students)")
    mine = range(K, total + 1, N)          # this shard's indices k, counted without building the rest
    if not mine:
        from .errors import UsageError
        raise UsageError(f"shard {K}/{N} of {total} variant(s) is empty: use at most {total} shards")
    if len(mine) > max_variants:
        raise DryrunError(f"{len(mine)} variants, more than {max_variants} per run (limit max_variants; "
                          "--shard splits larger sets)")
    if students:
        used, out = {}, []
        for k, student in enumerate(students, start=1):
            if isinstance(student, str):
                student = Student(student, student)
            base, n = slug(student.name), 1
            if base == "student" and student.key != student.name and slug(student.key) != "student":
                base = slug(student.key)          # a name with nothing to transliterate (王小明): the id
            ident = base
            while ident in used:
                n += 1
                ident = f"{base}-{n}"
            if n > 1 and notes is not None:
                first = used[base]
                notes.append(f"{student.name} ({student.key}) and {first[0]} ({first[1]}) would share the file "
                             f"name '{base}': {first[1]} gets '{base}', {student.key} gets '{ident}'")
            used[ident] = (student.name, student.key)
            out.append(Variant(k, ident, student.name, stream=stream(student.key), key=student.key))
        return [out[k - 1] for k in mine]
    width = max(2, len(str(total)))
    return [Variant(k, f"v{k:0{width}d}", f"Variant v{k:0{width}d}") for k in mine]


KEYS = ("full", "table", "none")

#: When this many first variants fail, the others are not drawn (each could take max_seconds).
GIVE_UP_AFTER = 3


def draw(spec, variants: list[Variant], seed: int) -> Batch:
    """Solve every variant; a variant whose constraints cannot be met is reported, not fatal.

    Numbered variant k depends only on the spec, the seed and k: it differs from every variant
    j < k (a draw equal to one of them is drawn again), and the variants j < k that this run does
    not produce (another shard's) are drawn too, for their numbers only.  A student's variant
    depends only on the seed and the student."""
    from .variants import solved_variant

    if spec.randomize is None:
        raise SpecError("the spec has no 'randomize' section: nothing varies", where=spec.path)
    batch = Batch()
    prints: dict[int, str] = {}      # k -> the numbers of numbered variant k

    def numbered(k: int, redrawn=None):
        for j in range(1, k):        # every earlier variant first: variant k avoids them all
            if j not in prints:
                try:
                    numbered(j)
                except SpecError:
                    prints[j] = ""
        s, trace = solved_variant(spec.randomize, spec.data, seed, k, spec.limits,
                                  avoid=frozenset(p for j, p in prints.items() if j < k and p), redrawn=redrawn)
        prints[k] = spec.randomize.fingerprint(s.data)
        return s, trace

    for n, v in enumerate(variants):
        if n == GIVE_UP_AFTER and len(batch.failed) == n:
            # the constraints are not met by the first variants: the rest would fail the same way
            batch.failed += [(w.ident, f"not drawn: the first {n} variants could not meet the constraints")
                             for w in variants[n:]]
            break
        redrawn: list = []           # draws of this variant that could not be computed: drawn again
        try:
            if v.stream is None:
                s, trace = numbered(v.index, redrawn)
            else:                    # a student's variant depends on nobody else
                s, trace = solved_variant(spec.randomize, spec.data, seed, v.stream, spec.limits,
                                          redrawn=redrawn)
            # the title and name do not enter the computation: the trace stays valid
            v.spec = replace(s, path=spec.path, name=v.ident, title=f"{spec.title or spec.name}: {v.label}")
            v.trace = trace
            batch.variants.append(v)
        except SpecError as e:
            batch.failed.append((v.ident, str(e.located(spec.path))))
        if redrawn:
            batch.redrawn[v.ident] = redrawn
    return batch


def key_values(v: Variant) -> dict[str, str]:
    """The answers of a variant as the key prints them: {name: shown}."""
    return {a.name: a.shown for a in variant_answers(v)}


def variant_answers(v: Variant) -> list:
    """The answers of a variant (``generator.answers``), as its spec's ``answers:`` selects them."""
    from .answers import answers
    return answers(v.spec, v.trace, v.spec.answers)


def responses_template(batch: Batch, roster=None) -> bytes:
    """responses-template.csv: the form ``dryrun grade --responses`` reads, one row per variant
    (per student) with its variant id, the student's name and roster ids, and an empty column per
    asked answer, named and ordered as in answers.csv."""
    from .roster import ID_COLUMNS
    names: list = []
    for v in batch.variants:
        names += [a.name for a in variant_answers(v) if a.name not in names]
    ids_of = {s.key: dict(s.ids) for s in (roster or ())}
    id_columns = [c for c in ID_COLUMNS if any(c in ids for ids in ids_of.values())]
    named = any(v.label != f"Variant {v.ident}" for v in batch.variants)
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    w.writerow(["variant"] + (["student"] if named else []) + [_ID_HEADERS.get(c, c) for c in id_columns] + names)
    for v in batch.variants:
        ids = ids_of.get(v.key, {})
        w.writerow([v.ident] + ([v.label] if named else []) + [ids.get(c, "") for c in id_columns]
                   + [""] * len(names))
    return buf.getvalue().encode()


#: Roster id columns as the LMS exports spell them (grade reads them in any case).
_ID_HEADERS = {"id number": "ID number", "email address": "Email address", "sis user id": "SIS User ID",
               "sis login id": "SIS Login ID", "id": "ID", "student id": "Student ID",
               "student number": "Student number", "username": "Username", "email": "Email",
               "login id": "Login ID", "matriculation number": "Matriculation number", "e-mail": "E-mail"}


def precision_warning(v: Variant) -> str | None:
    """The carry-mode warning of a variant whose carried answers are too far from full precision."""
    from .divergence import divergences, warning
    return warning(divergences(v.trace, v.trace.rounding), v.trace.rounding)


class _SafeWriter:
    """A CSV writer whose text cells cannot run as a spreadsheet formula (=, +, -, @ …)."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        from .escape import csv_cell
        self.writer.writerow([csv_cell(c) for c in row])


def spec_fingerprint(spec) -> str:
    """The hash of a spec's content: shards of an edited spec are not the same homework."""
    import hashlib
    return hashlib.sha256(json.dumps(spec.data, sort_keys=True, default=str).encode()).hexdigest()


def roster_fingerprint(students) -> str:
    import hashlib
    keys = [getattr(s, "key", s) for s in (students or [])]
    return hashlib.sha256("\n".join(keys).encode()).hexdigest() if keys else ""


def made_with() -> dict:
    """The versions that computed an answers file (recorded in answers.json; 'dryrun grade' names them
    when its recomputation differs from what was handed out)."""
    import numpy as np

    from . import __version__
    return {"dryrun": __version__, "numpy": np.__version__}


def answers_files(batch: Batch, spec, seed: int, roster=None) -> tuple[bytes, bytes]:
    """answers.csv and answers.json for grading.  CSV: per answer its printed number (always with
    a decimal point), then the printed strings, the full-precision values and the tolerances in
    columns named ``NAME (shown)``, ``NAME (full precision)``, ``NAME (tolerance)``.  JSON: per
    variant and answer its label (text and LaTeX), shown string, value, full precision, carried
    value (carry mode) and tolerance."""
    rows = [(v, variant_answers(v)) for v in batch.variants]
    with_ids = {s.key for s in (roster or ()) if getattr(s, "ids", ())}
    names, labels = [], {}
    for _, ans in rows:
        for a in ans:
            if a.name not in labels:
                names.append(a.name)
                labels[a.name] = a
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    w.writerow(["variant", "student"] + names + [f"{n} (shown)" for n in names]
               + [f"{n} (full precision)" for n in names] + [f"{n} (tolerance)" for n in names])
    for v, ans in rows:
        by = {a.name: a for a in ans}
        cell = lambda n, f: f(by[n]) if n in by else ""
        w.writerow([v.ident, v.label if v.label != f"Variant {v.ident}" else ""]
                   + [cell(n, lambda a: repr(a.value)) for n in names]
                   + [cell(n, lambda a: a.shown) for n in names]
                   + [cell(n, lambda a: repr(a.full)) for n in names]
                   + [cell(n, lambda a: repr(a.tolerance)) for n in names])
    doc = {"spec": spec.name, "seed": seed, "rounding": spec.rounding.as_dict(),
           "spec_sha256": spec_fingerprint(spec), "roster_sha256": roster_fingerprint(roster),
           "made_with": made_with(),
           "answers": [{"name": n, "label": labels[n].label, "label_tex": labels[n].label_tex} for n in names],
           "variants": [{"id": v.ident, "index": v.index, "label": v.label,
                         # the roster id the variant is drawn from ('dryrun grade' finds it by this
                         # when another export of the roster names the student's files differently)
                         **({"roster_id": v.key} if v.key and v.key in with_ids else {}),
                         "answers": {a.name: {"shown": a.shown, "value": a.value, "full_precision": a.full,
                                              "tolerance": a.tolerance,
                                              **({"carried": a.carried} if a.carried is not None else {}),
                                              # exact decimals, what 'dryrun grade' checks its recomputation against
                                              "key": str(a.key), "full_exact": str(a.full_exact),
                                              "unit": str(a.unit), "asked": a.asked}
                                     for a in ans}}
                        for v, ans in rows]}
    return buf.getvalue().encode(), (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def jobs_of(batch: Batch, out_dir: Path, spec, templates=None, suffix="", key: str = "full"):
    """The documents of a batch, produced one by one: per variant its question and solution, and
    (``key`` 'full' or 'table') the key's table of answers; the full key is then assembled from
    that table and the solution PDFs (``assemble_key``), not typeset a second time."""
    from .pipeline import check_size
    from .render import render, render_key

    if not batch.variants:
        return
    if key != "none":
        rows = [(v, key_values(v)) for v in batch.variants]
        yield Job(render_key(spec, rows, templates, table_only=True), out_dir / f"key{suffix}")
    for v in batch.variants:
        solution = render(v.spec, v.trace, "solution", templates)
        check_size(solution, v.ident, spec.limits)
        yield Job(render(v.spec, v.trace, "question", templates, handin=True), out_dir / f"{v.ident}-question")
        yield Job(solution, out_dir / f"{v.ident}-solution")


def key_title(v: Variant) -> str:
    """How the key's outline names a variant: the student's name and roster id ("Wei Wang
    (S100001)"), the name alone when the roster has no id, else the variant ("Variant v07")."""
    if v.key and v.key != v.label:
        return f"{v.label} ({v.key})"
    return v.label


def assemble_key(key_pdf: Path, solutions: list[Path], titles: list[str] | None = None) -> None:
    """The full key: the table's pages, then every variant's solution PDF, page by page, with an
    outline (bookmarks): "Key answers" at the table, "Solutions" with one entry per variant at
    the first page of its solution (``titles``, parallel to ``solutions``; else the file names).
    Objects that the solution PDFs share (identical font subsets, resources) are stored once."""
    from pypdf import PdfReader, PdfWriter
    from .files import write_atomic
    titles = list(titles) if titles is not None else [Path(p).stem.removesuffix("-solution") for p in solutions]
    writer = PdfWriter()
    writer.append(PdfReader(key_pdf), import_outline=False)
    writer.add_outline_item("Key answers", 0)
    parent = None
    for path, title in zip(solutions, titles):
        if not Path(path).is_file():
            continue
        start = len(writer.pages)
        writer.append(PdfReader(path), import_outline=False)
        if parent is None:
            parent = writer.add_outline_item("Solutions", start)
        writer.add_outline_item(title, start, parent=parent)
    if hasattr(writer, "compress_identical_objects"):      # pypdf ≥ 4.3
        writer.compress_identical_objects()
    writer.page_mode = "/UseOutlines"                      # a viewer opens the outline beside the pages
    buf = io.BytesIO()
    writer.write(buf)
    write_atomic(key_pdf, buf.getvalue())


def document_count(batch: Batch, key: str = "full") -> int:
    return 2 * len(batch.variants) + (1 if batch.variants and key != "none" else 0)


@dataclass
class Run:
    """What a homework run produced."""
    out: Path
    batch: Batch
    report: object                  # pipeline.Report of the documents
    summary: str
    warnings: list = field(default_factory=list)    # (variant id, message)

    @property
    def failures(self) -> list:
        return list(self.batch.failed) + [(str(p), m) for p, m in self.report.failed]


def run(spec_path, out_dir, *, variants: int | None = None, students=None, seed: int = 0,
        shard: str | None = None, templates=None, jobs: int = 1, limits=None, progress=None,
        write_documents=None, lms=(), key: str = "full") -> Run:
    """A homework set: draw the variants of ``spec_path`` (its ``randomize`` section), write per
    variant its question and solution PDF, the combined key and answers.csv/json into
    ``out_dir``.  Paths may be ``str`` or ``Path``; ``students``: a roster CSV (one variant per
    student) instead of ``variants``.  ``write_documents(todo, count, jobs_n)``: how the PDFs are
    written (the CLI adds progress); default ``pipeline.write``."""
    from .errors import UsageError
    from .files import write_atomic
    from .limits import DEFAULT
    from .pipeline import write
    from .spec import load_spec

    if not variants and not students:
        raise UsageError("give variants=N or students=roster.csv")
    if variants and students:
        raise UsageError("give variants or students, not both")
    limits = limits or DEFAULT
    K, N = parse_shard(shard)
    out = Path(out_dir)
    base = load_spec(spec_path, limits)
    roster = read_roster(students) if students else None
    notes: list[str] = []
    planned = plan_variants(variants, roster, (K, N), limits.max_variants, notes)
    suffix = f"-{K}of{N}" if N > 1 else ""
    batch = draw(base, planned, seed)
    warnings = [("roster", n) for n in (*getattr(roster, "notes", ()), *notes)] + \
        [("homework", m) for m in [batch.redraw_warning()] if m] + \
        [(v.ident, m) for v in batch.variants if (m := precision_warning(v))]
    if key not in KEYS:
        raise UsageError(f"key must be one of {', '.join(KEYS)}, not {key!r}")
    before = _earlier_outputs(out, SHARD_JSON_FACTOR * limits.max_input_bytes)
    # the key is built under a temporary name, compiled after the variants, and put in place only
    # when complete: an interrupted run leaves the earlier key.pdf or none, never the table alone
    key_stem, table_stem = out / f"key{suffix}", out / f".key{suffix}-table"
    key_pdf, table_pdf = key_stem.with_suffix(".pdf"), table_stem.with_suffix(".pdf")
    todo = _key_last(jobs_of(batch, out, base, templates, suffix, key), key_stem, table_stem)
    try:
        if write_documents:
            report = write_documents(todo, document_count(batch, key), jobs)
        else:
            report = write(todo, jobs_n=jobs)
        _finish_key(report, key, key_pdf, table_pdf, [out / f"{v.ident}-solution.pdf" for v in batch.variants],
                    [key_title(v) for v in batch.variants])
    finally:
        table_pdf.unlink(missing_ok=True)
    if table_stem.with_suffix(".tex").is_file():         # the key's LaTeX, kept after an error
        table_stem.with_suffix(".tex").replace(key_stem.with_suffix(".tex"))
    if batch.variants:
        csv_bytes, json_bytes = answers_files(batch, base, seed, roster)
        json_bytes = _with_total(json_bytes, len(roster) if roster else variants)
        write_atomic(out / f"answers{suffix}.csv", csv_bytes)
        write_atomic(out / f"answers{suffix}.json", json_bytes)
        write_atomic(out / f"responses-template{suffix}.csv", responses_template(batch, roster))
        if lms:
            from . import lms as lms_mod
            rows = [(v, variant_answers(v)) for v in batch.variants]
            pictures = lms_mod.figures(batch, templates)
            if "moodle" in lms:
                write_atomic(out / f"moodle{suffix}.xml", lms_mod.moodle_xml(base, rows, pictures))
            if "canvas" in lms:
                write_atomic(out / f"canvas{suffix}.zip", lms_mod.canvas_qti(base, rows, pictures))
                write_atomic(out / f"canvas{suffix}-assign.csv", lms_mod.canvas_assignments(base, rows))
    summary = f"{len(batch.variants)} variant(s) of {base.name} in {out}" + (f" (shard {K}/{N})" if N > 1 else "")
    written = {p.name for p in report.written + report.unchanged}
    if batch.variants:
        written |= {f"answers{suffix}.csv", f"answers{suffix}.json", f"responses-template{suffix}.csv"} | \
                   {n for x in lms for n in {"moodle": [f"moodle{suffix}.xml"],
                                             "canvas": [f"canvas{suffix}.zip", f"canvas{suffix}-assign.csv"]}[x]}
    stale = _stale_warning(before, out, written, [spec_fingerprint(base), seed, roster_fingerprint(roster)])
    if stale:
        warnings.append(("output", stale))
    return Run(out, batch, report, summary, warnings)


def _key_last(jobs, key_stem: Path, table_stem: Path):
    """The jobs of a run with the key's table renamed to ``table_stem`` and compiled last."""
    held = []
    for job in jobs:
        if job.stem == key_stem:
            held.append(replace(job, stem=table_stem))
        else:
            yield job
    yield from held


def _finish_key(report, key: str, key_pdf: Path, table_pdf: Path, solutions: list, titles=None) -> None:
    """The key from its compiled table (and, with ``key`` 'full', the solutions, bookmarked with
    ``titles``), moved to ``key_pdf`` in one step; the report names key_pdf, never the temporary
    table."""
    from .files import write_atomic
    done = table_pdf in report.written + report.unchanged
    report.written = [p for p in report.written if p != table_pdf]
    report.unchanged = [p for p in report.unchanged if p != table_pdf]
    report.failed = [(key_pdf if p == table_pdf else p, m) for p, m in report.failed]
    if not done:
        return
    if key == "full":
        assemble_key(table_pdf, solutions, titles)
    data = table_pdf.read_bytes()
    old = key_pdf.read_bytes() if key_pdf.is_file() and not key_pdf.is_symlink() else None
    if key_pdf.is_symlink():
        key_pdf.unlink()
    write_atomic(key_pdf, data)
    (report.unchanged if old == data else report.written).append(key_pdf)


# ---- merge: a shard folder is untrusted input ------------------------------------------------

#: merge reads a shard's answers file of at most this many times ``max_input_bytes`` (16 MB by
#: default), and a variant's PDF of at most this many times ``max_tex_bytes`` (32 MB).
SHARD_JSON_FACTOR = 16
SHARD_PDF_FACTOR = 4

_SHARD_ANSWERS = re.compile(r"answers-([1-9][0-9]{0,5})of([1-9][0-9]{0,5})\.json")
#: The files a homework run or a merge writes (what an earlier run may have left in a folder).
_OUTPUT_FILE = re.compile(r"[^/]+-(?:question|solution)\.pdf|(?:key(?:-[0-9]+of[0-9]+)?\.pdf)"
                          r"|answers(?:-[0-9]+of[0-9]+)?\.(?:csv|json)|moodle(?:-[0-9]+of[0-9]+)?\.xml"
                          r"|canvas(?:-[0-9]+of[0-9]+)?(?:\.zip|-assign\.csv)"
                          r"|responses-template(?:-[0-9]+of[0-9]+)?\.csv")


def _read_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes.  Checked with
    lstat before it is opened (a symbolic link, FIFO, device or folder is refused, never followed
    or waited for), opened with O_NOFOLLOW | O_NONBLOCK, and the open file checked again."""
    import os
    import stat as st_mod

    def fail(reason):
        return SpecError(f"the {what} {reason}", where=str(path))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise fail("is missing") from None
    except OSError as e:
        raise fail(f"cannot be read: {e.strerror or e}") from None
    if st_mod.S_ISLNK(st.st_mode):
        raise fail("is a symbolic link: only regular files are read")
    if not st_mod.S_ISREG(st.st_mode):
        raise fail("is not a regular file")
    if st.st_size > limit:
        raise fail(f"is larger than {limit} bytes")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise fail(f"cannot be read: {e.strerror or e}") from None
    try:
        now = os.fstat(fd)
        if not st_mod.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise fail("was replaced while it was read")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise fail(f"cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise fail(f"is larger than {limit} bytes")
    return b"".join(chunks)


def _canon(x) -> str:
    """A canonical text of JSON data, to compare two documents (NaN equals NaN here)."""
    return json.dumps(x, sort_keys=True, ensure_ascii=True)


def _short(x, n: int = 40) -> str:
    text = repr(x)
    return text if len(text) <= n else text[:n] + "…"


@dataclass
class _Shard:
    K: int
    N: int
    path: Path          # its answers file
    doc: dict


def _shard_files(folder: Path) -> list[tuple[int, int, Path]]:
    """(K, N, path) of the answers files in a shard folder; the paths are built from K and N."""
    import os
    try:
        names = os.listdir(folder)
    except OSError as e:
        raise SpecError(f"cannot read this folder: {e.strerror or e}", where=str(folder)) from None
    found = sorted((int(m.group(1)), int(m.group(2))) for n in names if (m := _SHARD_ANSWERS.fullmatch(n)))
    for K, N in found:
        if K > N:
            raise SpecError(f"answers-{K}of{N}.json names no shard (K > N)", where=str(folder))
    if found:
        return [(K, N, folder / f"answers-{K}of{N}.json") for K, N in found]
    if "answers.json" in names:
        return [(1, 1, folder / "answers.json")]
    raise SpecError("no answers-KofN.json here: not the output of a 'homework --shard' run", where=str(folder))


def _shard_doc(raw: bytes, path: Path, max_index: int) -> dict:
    """A shard's answers file, parsed; only the fields merge needs to find its variants are
    checked here (every other value is compared with a recomputation)."""
    def bad(why):
        return SpecError(f"not an answers file of 'dryrun homework': {why}", where=str(path))
    from .answers import parse_answers_doc
    doc = parse_answers_doc(raw, str(path))
    if type(doc.get("seed")) is not int or doc["seed"] < 0:
        raise bad("its 'seed' is not a whole number ≥ 0")
    for name in ("spec", "spec_sha256", "roster_sha256"):
        if not isinstance(doc.get(name), str):
            raise bad(f"its '{name}' is missing or not text")
    variants = doc.get("variants")
    if not isinstance(variants, list) or not variants:
        raise bad("its 'variants' is missing or empty")
    for i, v in enumerate(variants):
        if not isinstance(v, dict) or not isinstance(v.get("id"), str) or type(v.get("index")) is not int:
            raise bad(f"variants[{i}] has no text 'id' and whole-number 'index'")
        if not 1 <= v["index"] <= max_index:
            raise bad(f"variants[{i}].index is not between 1 and {max_index}")
    total = doc.get("variants_total")
    if type(total) is not int or not 1 <= total <= max_index:
        raise bad(f"its 'variants_total' is not a whole number between 1 and {max_index} "
                  "(a shard of an older dryrun: run it again)")
    return doc


def _with_total(json_bytes: bytes, total: int) -> bytes:
    """answers.json recording how many variants the whole set has (every shard says so: merge
    tells a missing last variant from a smaller set)."""
    doc, out = json.loads(json_bytes), {}
    for k, v in doc.items():
        out[k] = v
        if k == "roster_sha256":
            out["variants_total"] = total
    return (json.dumps(out, indent=1, ensure_ascii=False) + "\n").encode()


def _first_difference(doc: dict, expected: dict) -> str:
    """Where a shard's answers file departs from the recomputed one, in a few words."""
    for k in list(expected) + [k for k in doc if k not in expected]:
        if k not in doc:
            return f"'{k}' is missing"
        if k not in expected:
            return f"'{_short(k)}' is not part of an answers file"
        if _canon(doc[k]) == _canon(expected[k]):
            continue
        if k != "variants" or not isinstance(doc[k], list):
            return f"its '{k}' differs"
        got = {v.get("id"): v for v in doc[k] if isinstance(v, dict)}
        for ev in expected[k]:
            gv = got.get(ev["id"])
            if gv is None:
                return f"variant {ev['id']} is missing"
            if _canon(gv) == _canon(ev):
                continue
            answers = gv.get("answers") if isinstance(gv.get("answers"), dict) else {}
            for name, a in ev["answers"].items():
                if _canon(answers.get(name)) != _canon(a):
                    got_a = answers.get(name)
                    if isinstance(got_a, dict) and isinstance(a, dict):
                        # the field that differs and both values, not two dicts cut off alike
                        for fld in list(a) + [f for f in got_a if f not in a]:
                            if fld not in got_a:
                                return f"variant {ev['id']}, answer {name}: its '{fld}' is missing from the shard"
                            if fld not in a:
                                return (f"variant {ev['id']}, answer {name}: the shard has a field "
                                        f"'{_short(fld)}' that an answers file does not have")
                            if _canon(got_a[fld]) != _canon(a[fld]):
                                return (f"variant {ev['id']}, answer {name}, field '{fld}': the shard has "
                                        f"{_short(got_a[fld], 70)}, the spec and seed give {_short(a[fld], 70)}")
                    return (f"variant {ev['id']}, answer {name}: the shard has {_short(answers.get(name), 60)}, "
                            f"the spec and seed give {_short(a, 60)}")
            return f"variant {ev['id']} differs"
        extra = [i for i in got if i not in {ev["id"] for ev in expected[k]}]
        if extra:
            return f"variant {_short(extra[0])} is none that the spec and seed give for this shard"
        return "its variants are in another order"
    return "its content differs"


def _check_output_folder(out: Path) -> None:
    """The output folder is a real folder (or not there yet), never a symbolic link to follow."""
    from .errors import UsageError
    if out.is_symlink():
        raise UsageError(f"the output folder {out} is a symbolic link: give the folder itself")
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output {out} is not a folder")


def _earlier_outputs(out: Path, limit: int):
    """What earlier runs left in ``out``: the names of the files a run writes, and per answers file
    there the set it records: (its suffix, its spec/seed/roster, its variant ids)."""
    import os
    try:
        names = os.listdir(out)
    except OSError:
        return set(), []
    files = {n for n in names if _OUTPUT_FILE.fullmatch(n)}
    sets = []
    for n in sorted(files):
        m = re.fullmatch(r"answers(-[0-9]+of[0-9]+)?\.json", n)
        if not m:
            continue
        try:
            doc = json.loads(_read_regular(out / n, limit, "answers file"))
            ident = _canon([doc["spec_sha256"], doc["seed"], doc["roster_sha256"]])
            ids = {v["id"] for v in doc["variants"] if isinstance(v, dict) and isinstance(v.get("id"), str)}
        except (DryrunError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
            continue
        sets.append((m.group(1) or "", ident, ids))
    return files, sets


def _stale_warning(before, out: Path, written: set, identity: list) -> str | None:
    """A warning naming the files of an earlier run in ``out`` that this run did not write and that
    belong to no other shard of the same set (same spec, seed and roster); they are left alone."""
    import os
    files, sets = before
    exempt = set()
    for suffix, ident, ids in sets:
        if ident == _canon(identity) and f"answers{suffix}.json" not in written:
            exempt |= {f"{i}-{w}.pdf" for i in ids for w in ("question", "solution")}
            exempt |= {f"key{suffix}.pdf", f"answers{suffix}.csv", f"answers{suffix}.json",
                       f"moodle{suffix}.xml", f"canvas{suffix}.zip", f"responses-template{suffix}.csv"}
    stale = sorted(n for n in files - set(written) - exempt if os.path.lexists(out / n))
    if not stale:
        return None
    shown = ", ".join(stale[:6]) + (f" and {len(stale) - 6} more" if len(stale) > 6 else "")
    return (f"{len(stale)} file(s) of an earlier run in {out} are not part of this set and were left as they "
            f"are: {shown}; delete them, or write each set into a folder of its own")


def _copy_into(data: bytes, dst: Path) -> None:
    """Write ``data`` to ``dst`` atomically; a symbolic link there is replaced, never followed."""
    from .files import write_atomic
    if dst.is_symlink():
        dst.unlink()
    write_atomic(dst, data)


def merge(spec_path, out_dir, shard_dirs, *, templates=None, key: str = "full", limits=None,
          students=None, allow_partial: bool = False, warn=None) -> str:
    """Join the outputs of ``--shard K/N`` runs (``shard_dirs``) into one answers.csv/json and one
    key in ``out_dir``.  A shard is untrusted: merge reads only regular files inside the shard
    folders, by names it builds itself (``answers-KofN.json``, ``ID-question.pdf`` …), draws every
    variant again from the spec and the seed and refuses a shard whose answers differ in any way;
    the merged answers and key come from that recomputation, never from a shard.  ``students``:
    the roster of a set drawn with one.  A missing shard or variant is refused unless
    ``allow_partial`` (then ``warn(message)`` hears what is missing)."""
    import os
    import tempfile

    from .compile import compile_pdf
    from .errors import UsageError
    from .limits import DEFAULT
    from .render import render_key
    from .spec import load_spec

    if key not in KEYS:
        raise UsageError(f"key must be one of {', '.join(KEYS)}, not {key!r}")
    limits = limits or DEFAULT
    warn = warn or (lambda message: None)
    spec = load_spec(spec_path, limits)
    out = Path(out_dir)
    _check_output_folder(out)
    json_limit, pdf_limit = SHARD_JSON_FACTOR * limits.max_input_bytes, SHARD_PDF_FACTOR * limits.max_tex_bytes

    shards: list[_Shard] = []
    for folder in map(Path, shard_dirs):
        for K, N, path in _shard_files(folder):
            raw = _read_regular(path, json_limit, "shard's answers file")
            try:
                shards.append(_Shard(K, N, path, _shard_doc(raw, path, N * limits.max_variants)))
            except RecursionError:
                raise SpecError("not an answers file of 'dryrun homework': it is nested too deeply",
                                where=str(path)) from None
    if not shards:
        raise UsageError("give at least one shard folder")
    N = shards[0].N
    present: dict[int, _Shard] = {}
    for s in shards:
        if s.N != N:
            raise SpecError(f"shard {s.K}/{s.N} is of another split than shard {shards[0].K}/{N}", where=str(s.path))
        if s.K in present:
            raise SpecError(f"shard {s.K}/{N} is given twice (also {present[s.K].path})", where=str(s.path))
        present[s.K] = s
    first = shards[0].doc
    fingerprint = spec_fingerprint(spec)
    for s in shards:
        if s.doc["spec_sha256"] != fingerprint:
            raise SpecError(f"this shard was drawn from another version of {spec.name} (its content differs)",
                            where=str(s.path))
        for field_name in ("spec", "seed", "rounding", "roster_sha256", "variants_total"):
            if _canon(s.doc.get(field_name)) != _canon(first.get(field_name)):
                raise SpecError(f"this shard has another {field_name} ({_short(s.doc.get(field_name))}, not "
                                f"{_short(first.get(field_name))}): it belongs to another homework set",
                                where=str(s.path))
    if first["spec"] != spec.name:
        raise SpecError(f"the shards are of spec {_short(first['spec'])}, not '{spec.name}'", where=str(spec_path))
    seed = first["seed"]
    roster = read_roster(students) if students else None
    if first["roster_sha256"] and roster is None:
        raise UsageError("these shards were drawn for a roster: give --students with that roster")
    if roster is not None and roster_fingerprint(roster) != first["roster_sha256"]:
        raise SpecError("the shards were not drawn for this roster" if first["roster_sha256"] else
                        "the shards were drawn without a roster (--variants): leave out --students",
                        where=str(students))

    # the variants of every shard, as the spec, the seed and the split give them
    total = len(roster) if roster is not None else first["variants_total"]
    try:
        plans = {K: plan_variants(None if roster is not None else total, roster, (K, N), limits.max_variants)
                 for K in range(1, min(N, total) + 1)}
    except DryrunError as e:
        raise SpecError(f"these shards cannot be planned again: {e}", where=str(shards[0].path)) from None
    for s in shards:
        ids = {p.ident for p in plans.get(s.K, [])}
        stray = [v["id"] for v in s.doc["variants"] if v["id"] not in ids]
        if stray:
            raise SpecError(f"variant {_short(stray[0])} is none that the spec, seed and split give for shard "
                            f"{s.K}/{N}", where=str(s.path))
    wanted = sorted((v for K in present for v in plans.get(K, [])), key=lambda v: v.index)
    batch = draw(spec, wanted, seed)
    drawn = {v.ident: v for v in batch.variants}
    for s in sorted(shards, key=lambda s: s.K):
        mine = [drawn[p.ident] for p in plans.get(s.K, []) if p.ident in drawn]
        expected = json.loads(_with_total(answers_files(Batch(mine), spec, seed, roster)[1], total))
        try:
            same = _canon(expected) == _canon(s.doc)
            why = "" if same else _first_difference(s.doc, expected)
        except RecursionError:
            same, why = False, "it is nested too deeply"
        if not same:
            raise SpecError(f"this shard does not match the spec and seed: {why} (merge takes every value "
                            "from a recomputation; run the shard again)", where=str(s.path))

    # the PDFs: regular files of the shard folders, named after the recomputed variants
    folder_of = {p.ident: present[K].path.parent for K in present for p in plans.get(K, [])}
    merged, lacking = [], []
    for v in batch.variants:
        missing = []
        for what in ("question", "solution"):
            path = folder_of[v.ident] / f"{v.ident}-{what}.pdf"
            if not os.path.lexists(path):
                missing.append(path.name)
                continue
            if not _read_regular(path, pdf_limit, "PDF").startswith(b"%PDF-"):
                raise SpecError("this is not a PDF", where=str(path))
        (lacking if missing else merged).append((v, missing))
    merged = [v for v, _ in merged]
    gaps = []
    absent = [K for K in range(1, N + 1) if K not in present]
    if absent:
        ids = [p.ident for K in absent for p in sorted(plans.get(K, []), key=lambda p: p.index)]
        gaps.append(f"shard(s) {', '.join(f'{K}/{N}' for K in absent)} missing"
                    + (f" (variants {_list(ids)})" if ids else ""))
    if batch.failed:
        gaps.append(f"variant(s) {_list([i for i, _ in batch.failed])} cannot be drawn")
    if lacking:
        gaps.append(f"variant(s) {_list([v.ident for v, _ in lacking])} without their PDFs "
                    f"({_list([n for _, names in lacking for n in names])} missing)")
    if gaps:
        message = "incomplete set: " + "; ".join(gaps)
        if not allow_partial:
            raise SpecError(message + "; give --allow-partial to merge the others", where=str(out))
        warn(message + "; merged the others")
    if not merged:
        raise SpecError("no variant to merge", where=str(out))

    before = _earlier_outputs(out, json_limit)
    out.mkdir(parents=True, exist_ok=True)
    written = set()
    for v in merged:                         # the variants' PDFs, beside the merged key
        for what in ("question", "solution"):
            name = f"{v.ident}-{what}.pdf"
            src, dst = folder_of[v.ident] / name, out / name
            written.add(name)
            if not dst.is_symlink() and dst.exists() and os.path.samefile(src, dst):
                continue                     # merging into a shard's own folder
            data = _read_regular(src, pdf_limit, "PDF")
            if not data.startswith(b"%PDF-"):
                raise SpecError("this is not a PDF", where=str(src))
            _copy_into(data, dst)
    if key != "none":                        # built aside, put in place only when complete
        rows = [(v, key_values(v)) for v in merged]
        with tempfile.TemporaryDirectory(prefix="dryrun-key-") as work:
            table = Path(work) / "key.pdf"
            compile_pdf(render_key(spec, rows, templates, table_only=True), table)
            if key == "full":
                assemble_key(table, [out / f"{v.ident}-solution.pdf" for v in merged],
                             [key_title(v) for v in merged])
            _copy_into(table.read_bytes(), out / "key.pdf")
        written.add("key.pdf")
    csv_bytes, json_bytes = answers_files(Batch(merged), spec, seed, roster)
    json_bytes = _with_total(json_bytes, total)
    for name, data in (("answers.csv", csv_bytes), ("answers.json", json_bytes),
                       ("responses-template.csv", responses_template(Batch(merged), roster))):
        _copy_into(data, out / name)
        written.add(name)
    stale = _stale_warning(before, out, written, [fingerprint, seed, first["roster_sha256"]])
    if stale:
        warn(stale)
    return f"{len(merged)} variant(s) of {spec.name} from {len(shards)} shard(s) in {out}"


def _list(names: list, n: int = 8) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")
