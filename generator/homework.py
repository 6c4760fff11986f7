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
            ident = base
            while ident in used:
                n += 1
                ident = f"{base}-{n}"
            if n > 1 and notes is not None:
                notes.append(f"{student.name} and {used[base]} would share the file name '{base}': "
                             f"{student.name} gets '{ident}'")
            used[ident] = student.name
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

    def numbered(k: int):
        for j in range(1, k):        # every earlier variant first: variant k avoids them all
            if j not in prints:
                try:
                    numbered(j)
                except SpecError:
                    prints[j] = ""
        s, trace = solved_variant(spec.randomize, spec.data, seed, k, spec.limits,
                                  avoid=frozenset(p for j, p in prints.items() if j < k and p))
        prints[k] = spec.randomize.fingerprint(s.data)
        return s, trace

    for n, v in enumerate(variants):
        if n == GIVE_UP_AFTER and len(batch.failed) == n:
            # the constraints are not met by the first variants: the rest would fail the same way
            batch.failed += [(w.ident, f"not drawn: the first {n} variants could not meet the constraints")
                             for w in variants[n:]]
            break
        try:
            if v.stream is None:
                s, trace = numbered(v.index)
            else:                    # a student's variant depends on nobody else
                s, trace = solved_variant(spec.randomize, spec.data, seed, v.stream, spec.limits)
            # the title and name do not enter the computation: the trace stays valid
            v.spec = replace(s, path=spec.path, name=v.ident, title=f"{spec.title or spec.name}: {v.label}")
            v.trace = trace
            batch.variants.append(v)
        except SpecError as e:
            batch.failed.append((v.ident, str(e.located(spec.path))))
    return batch


def key_values(v: Variant) -> dict[str, str]:
    """The answers of a variant as the key prints them: {name: shown}."""
    return {a.name: a.shown for a in variant_answers(v)}


def variant_answers(v: Variant) -> list:
    """The answers of a variant (``generator.answers``), as its spec's ``answers:`` selects them."""
    from .answers import answers
    return answers(v.spec, v.trace, v.spec.answers)


def precision_warning(v: Variant) -> str | None:
    """The carry-mode warning of a variant whose carried answers are too far from full precision."""
    from .divergence import divergences, warning
    return warning(divergences(v.trace, v.trace.rounding), v.trace.rounding)


class _SafeWriter:
    """A CSV writer whose text cells cannot run as a spreadsheet formula (=, +, -, @ …)."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        self.writer.writerow([_neutral(c) for c in row])


def _neutral(cell):
    text = str(cell)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text.replace(",", "."))
            return text                    # a number such as -0.25
        except ValueError:
            return "'" + text
    return text


def spec_fingerprint(spec) -> str:
    """The hash of a spec's content: shards of an edited spec are not the same homework."""
    import hashlib
    return hashlib.sha256(json.dumps(spec.data, sort_keys=True, default=str).encode()).hexdigest()


def roster_fingerprint(students) -> str:
    import hashlib
    keys = [getattr(s, "key", s) for s in (students or [])]
    return hashlib.sha256("\n".join(keys).encode()).hexdigest() if keys else ""


def answers_files(batch: Batch, spec, seed: int, roster=None) -> tuple[bytes, bytes]:
    """answers.csv and answers.json for grading.  CSV: per answer its printed number (always with
    a decimal point), then the printed strings, the full-precision values and the tolerances in
    columns named ``NAME (shown)``, ``NAME (full precision)``, ``NAME (tolerance)``.  JSON: per
    variant and answer its label (text and LaTeX), shown string, value, full precision, carried
    value (carry mode) and tolerance."""
    rows = [(v, variant_answers(v)) for v in batch.variants]
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
           "answers": [{"name": n, "label": labels[n].label, "label_tex": labels[n].label_tex} for n in names],
           "variants": [{"id": v.ident, "index": v.index, "label": v.label,
                         "answers": {a.name: {"shown": a.shown, "value": a.value, "full_precision": a.full,
                                              "tolerance": a.tolerance,
                                              **({"carried": a.carried} if a.carried is not None else {})}
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
        yield Job(render(v.spec, v.trace, "question", templates), out_dir / f"{v.ident}-question")
        yield Job(solution, out_dir / f"{v.ident}-solution")


def assemble_key(key_pdf: Path, solutions: list[Path]) -> None:
    """The full key: the table's pages, then every variant's solution PDF, page by page."""
    from pypdf import PdfReader, PdfWriter
    from .files import write_atomic
    writer = PdfWriter()
    for path in [key_pdf] + [p for p in solutions if p.is_file()]:
        writer.append(PdfReader(path))
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
    warnings = [("roster", n) for n in notes] + \
        [(v.ident, m) for v in batch.variants if (m := precision_warning(v))]
    if key not in KEYS:
        raise UsageError(f"key must be one of {', '.join(KEYS)}, not {key!r}")
    todo = jobs_of(batch, out, base, templates, suffix, key)
    if write_documents:
        report = write_documents(todo, document_count(batch, key), jobs)
    else:
        report = write(todo, jobs_n=jobs)
    key_pdf = out / f"key{suffix}.pdf"
    if key == "full" and key_pdf in report.written + report.unchanged:
        assemble_key(key_pdf, [out / f"{v.ident}-solution.pdf" for v in batch.variants])
    if batch.variants:
        csv_bytes, json_bytes = answers_files(batch, base, seed, roster)
        write_atomic(out / f"answers{suffix}.csv", csv_bytes)
        write_atomic(out / f"answers{suffix}.json", json_bytes)
        if lms:
            from . import lms as lms_mod
            rows = [(v, variant_answers(v)) for v in batch.variants]
            pictures = lms_mod.figures(batch, templates)
            if "moodle" in lms:
                write_atomic(out / f"moodle{suffix}.xml", lms_mod.moodle_xml(base, rows, pictures))
            if "canvas" in lms:
                write_atomic(out / f"canvas{suffix}.zip", lms_mod.canvas_qti(base, rows, pictures))
    summary = f"{len(batch.variants)} variant(s) of {base.name} in {out}" + (f" (shard {K}/{N})" if N > 1 else "")
    return Run(out, batch, report, summary, warnings)


def merge(spec_path, out_dir, shard_dirs, *, templates=None, key: str = "full", limits=None) -> str:
    """Join the outputs of ``--shard K/N`` runs (``shard_dirs``) into one answers.csv/json and one
    key in ``out_dir``; shards of another spec, seed or rounding are refused."""
    import shutil

    from .compile import compile_pdf
    from .files import write_atomic
    from .render import render_key
    from .spec import load_spec

    spec = load_spec(spec_path, limits)
    docs, sources = [], []
    for folder in map(Path, shard_dirs):
        found = sorted(folder.glob("answers-*of*.json")) or sorted(folder.glob("answers.json"))
        if not found:
            raise SpecError("no answers-KofN.json here: not the output of a 'homework --shard' run", where=str(folder))
        for f in found:
            doc = json.loads(f.read_text(encoding="utf-8"))
            docs.append(doc)
            sources.append(folder)
    first = docs[0]
    for doc, src in zip(docs, sources):
        if doc.get("spec_sha256") and doc["spec_sha256"] != spec_fingerprint(spec):
            raise SpecError(f"this shard was drawn from another version of {spec.name} (its content differs)",
                            where=str(src))
        for field_name in ("spec", "seed", "rounding", "roster_sha256"):
            if doc.get(field_name) != first.get(field_name):
                raise SpecError(f"this shard has another {field_name} ({doc.get(field_name)!r}, not "
                                f"{first.get(field_name)!r}): it belongs to another homework set", where=str(src))
    if first.get("spec") != spec.name:
        raise SpecError(f"the shards are of spec '{first.get('spec')}', not '{spec.name}'", where=str(spec_path))
    variants, origin, seen = [], {}, set()
    for doc, src in zip(docs, sources):
        for v in doc["variants"]:
            if v["id"] in seen:
                raise SpecError(f"variant {v['id']} is in two shards", where=str(src))
            seen.add(v["id"])
            variants.append(v)
            origin[v["id"]] = src
    variants.sort(key=lambda v: v["index"])
    labels = {}
    for doc in docs:
        for a in doc.get("answers", []):
            labels.setdefault(a["name"], a)
    names = list(labels)
    merged = {**{k: first[k] for k in ("spec", "seed", "rounding", "spec_sha256", "roster_sha256") if k in first},
              "answers": [labels[n] for n in names], "variants": variants}
    out = Path(out_dir)
    write_atomic(out / "answers.json", (json.dumps(merged, indent=1, ensure_ascii=False) + "\n").encode())
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    w.writerow(["variant", "student"] + names + [f"{n} (shown)" for n in names]
               + [f"{n} (full precision)" for n in names] + [f"{n} (tolerance)" for n in names])
    for v in variants:
        a = v["answers"]
        cell = lambda n, k: repr(a[n][k]) if n in a and not isinstance(a[n][k], str) else (a[n][k] if n in a else "")
        w.writerow([v["id"], v["label"] if v["label"] != f"Variant {v['id']}" else ""]
                   + [cell(n, "value") for n in names] + [cell(n, "shown") for n in names]
                   + [cell(n, "full_precision") for n in names] + [cell(n, "tolerance") for n in names])
    write_atomic(out / "answers.csv", buf.getvalue().encode())
    if key != "none":
        rows = [((v["id"], v["label"]), {n: x["shown"] for n, x in v["answers"].items()}) for v in variants]
        key_pdf = out / "key.pdf"
        compile_pdf(render_key(spec, rows, templates, table_only=True), key_pdf)
        if key == "full":
            assemble_key(key_pdf, [origin[v["id"]] / f"{v['id']}-solution.pdf" for v in variants])
    for v in variants:                       # the variants' PDFs, beside the merged key
        for what in ("question", "solution"):
            src = origin[v["id"]] / f"{v['id']}-{what}.pdf"
            if src.is_file() and src.resolve() != (out / src.name).resolve():
                out.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, out / src.name)
    return f"{len(variants)} variant(s) of {spec.name} from {len(docs)} shard(s) in {out}"
