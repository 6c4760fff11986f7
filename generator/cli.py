"""The ``dryrun`` command line: a thin layer over the Python API.

Heavy modules (numpy, sympy, jinja2) are imported inside the commands, never at start-up."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import DryrunError
from .kinds import DEFAULT_KIND, KINDS
from .kinds import kind as kind_of


def _printable(text: str) -> str:
    """``text`` with control characters (a terminal escape from a spec, say) shown, not obeyed."""
    from .escape import terminal
    return terminal(text)


def _fail(err: DryrunError):
    click.echo(f"dryrun: error: {_printable(str(err))}", err=True)
    sys.exit(err.exit_code)


class _Group(click.Group):
    """Turns every DryrunError into one line on stderr and its exit status."""

    def invoke(self, ctx):
        import signal

        def terminate(signum, frame):          # SIGTERM cleans up like Ctrl-C: temporary folders
            raise KeyboardInterrupt            # go, pdflatex children are killed, outputs stay whole
        if hasattr(signal, "SIGTERM"):
            signal.signal(signal.SIGTERM, terminate)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("dryrun: interrupted", err=True)
            sys.exit(130)
        except DryrunError as err:
            _fail(err)
        except OSError as err:      # a folder that cannot be written, a full disk …
            from .errors import FileSystemError
            _fail(FileSystemError(f"{err.strerror or err}: {err.filename or ''}".rstrip(": ")))


def _limits():
    """The limits set with ``dryrun --limit`` (defaults otherwise)."""
    from .limits import DEFAULT
    obj = click.get_current_context().find_root().obj
    return DEFAULT.with_overrides(obj or ())


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__import__("generator").__version__, package_name="dryrun")
@click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE",
              help="Raise a resource limit on purpose, e.g. --limit max_units=64 (see SECURITY.md).")
@click.option("--no-cache", is_flag=True, help="Use no cached format or PDF (the output is the same).")
@click.pass_context
def main(ctx, limits, no_cache):
    """dryrun turns a short YAML spec of a neural-network exercise into its worked solution:
    every forward step, every chain-rule step, every update, with the numbers.

    \b
    Typical use:
      dryrun validate specs/*.yaml
      dryrun render specs/*.yaml -o output     # question and solution PDFs
      dryrun trace specs/seed000.yaml          # all values as JSON
      dryrun homework specs/seed003.yaml -n 30 # randomized variants and answer keys
      dryrun init network > my.yaml            # a commented example to start from

    \b
    Exit status: 0 ok; 1 'check' found differences, or 'grade' left response rows that
    match no student; 2 bad input (a spec, an argument, a roster, a snapshot);
    3 LaTeX failed; 4 pdflatex is missing; 5 a template is broken; 6 another run is
    writing into the output folder; 7 a file cannot be read or written (a full disk, no
    permission); 130 interrupted.
    """
    ctx.obj = limits
    if no_cache:
        import os
        os.environ["DRYRUN_NO_CACHE"] = "1"


@main.group()
def cache():
    """The caches of precompiled preambles and finished PDFs (see SECURITY.md)."""


@cache.command("verify")
def cache_verify():
    """Check every cached entry against the hash recorded when it was written; remove bad ones."""
    from .compile import cache_dir, checked_cache_dir, verify_cache
    checked_cache_dir()
    count, problems = verify_cache()
    for p in problems:
        click.echo(p)
    click.echo(f"{cache_dir()}: {count} entries checked, {len(problems)} removed")


@cache.command("clear")
def cache_clear():
    """Remove every cached format and PDF."""
    from .compile import cache_dir, clear_cache
    click.echo(f"{cache_dir()}: {clear_cache()} files removed")


#: What ``dryrun init`` prints: every kind's starter, and those of generator/starters/ that are no one
#: kind's (a network trained in mini-batches and the linear and logistic regressions as one-unit
#: networks after the default kind's, a homework last).
STARTERS = (DEFAULT_KIND, "batch", "linear-regression", "logistic-regression", *KINDS[1:], "homework")


def starter(name: str) -> Path:
    """The starter spec ``name``: a kind's own (``kinds/<kind>/starter.yaml``), else
    generator/starters/<name>.yaml."""
    own = kind_of(name).starter if name in KINDS else None
    return own if own is not None and own.is_file() else Path(__file__).parent / "starters" / f"{name}.yaml"


@main.command()
@click.argument("kind", type=click.Choice(STARTERS), default=DEFAULT_KIND)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: print).")
@click.option("--from", "document", metavar="DOCUMENT",
              help="Draft a spec from the givens of a hand-written worked solution (Markdown, .tex or .pdf) "
                   "instead, for you to confirm; KIND is then ignored.")
def init(kind, output, document=None):
    """Print a commented example spec of KIND that validates and renders, to start from.

    With --from DOCUMENT: a draft spec read from a worked solution's givens (docs/audit.md)."""
    text = starter(kind).read_text(encoding="utf-8")
    if document is not None:
        from .draft import draft_spec
        text = draft_spec(document)
    if output:
        from .errors import UsageError
        from .files import write_atomic
        if Path(output).exists():
            raise UsageError(f"{output} exists; choose another name")
        write_atomic(Path(output), text.encode())
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.group()
def templates():
    """The built-in templates: list them, copy one to start an override (render --templates DIR)."""


@templates.command("list")
def templates_list():
    """Every built-in template, by the name an override uses."""
    from .render import builtin_templates
    for name in builtin_templates():
        click.echo(name)


@templates.command("copy")
@click.argument("name")
@click.argument("directory", type=click.Path(file_okay=False))
def templates_copy(name, directory):
    """Copy built-in template NAME (as 'templates list' shows it) into DIRECTORY."""
    import difflib

    from .errors import UsageError
    from .files import write_atomic
    from .render import builtin_templates
    found = builtin_templates()
    names = list(found)
    if name not in names:
        hint = difflib.get_close_matches(name, names, n=1)
        raise UsageError(f"no built-in template '{name}'" + (f"; did you mean '{hint[0]}'?" if hint else
                                                              " ('dryrun templates list' shows them)"))
    target = Path(directory) / name
    if target.exists():
        raise UsageError(f"{target} exists; remove it first")
    write_atomic(target, found[name].read_bytes())
    click.echo(f"wrote {target}")


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
def validate(specs):
    """Check SPECS (and solve them); print "ok" per file or the first error of each (exit 2 if any is bad)."""
    from .solve import solve
    from .spec import load_spec

    bad = 0
    for path in specs:
        try:
            solve(load_spec(path, _limits()))     # computing finds what only arises from the numbers
            click.echo(f"{path}: ok")
        except DryrunError as err:
            click.echo(f"dryrun: error: {_printable(str(err))}", err=True)
            bad += 1
    if bad:
        sys.exit(2)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON here instead of stdout.")
@click.option("--mode", type=click.Choice(["display", "carry"]), help="Override the spec's rounding mode.")
def trace(spec, output, mode):
    """Print every intermediate value of SPEC as JSON (full float64 precision).

    \b
    {"problems": [{"id": "main", "kind": "network", "values": {"it1.z1": [...], ...},
                   "steps": [{"name", "kind", "formula", "exact"}, ...]}], "rounding": {...}}
    See docs/trace.md for every name."""
    from .solve import solve
    from .spec import load_spec
    from .files import write_atomic

    s = load_spec(spec, _limits())
    policy = s.rounding.with_overrides(mode=mode)
    text = solve(s, policy).to_json() + "\n"
    if output:
        write_atomic(Path(output), text.encode())
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _rounding_options(f):
    options = [
        click.option("--mode", type=click.Choice(["display", "carry"]),
                     help="display: round only what is shown; carry: go on with the rounded values."),
        click.option("--decimals", type=click.IntRange(0, 15), help="Round to this many decimals."),
        click.option("--significant", type=click.IntRange(1, 15), help="Round to significant figures."),
        click.option("--decimal-comma/--decimal-point", default=None, help="Write 0,5 instead of 0.5."),
        click.option("--trailing-zeros/--no-trailing-zeros", default=None, help="Write 0.500 or 0.5."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _rounding_override(mode, decimals, significant, decimal_comma, trailing_zeros):
    """A function that applies the command line's rounding options to a spec's policy."""
    if decimals is not None and significant is not None:
        raise click.UsageError("give --decimals or --significant, not both")
    from .numbers import Precision

    default = None
    if decimals is not None:
        default = Precision("decimals", decimals)
    elif significant is not None:
        default = Precision("significant", significant)

    def apply(policy):
        changed = policy.with_overrides(mode=mode, default=default, decimal_comma=decimal_comma,
                                        trailing_zeros=trailing_zeros)
        return changed if default is None else changed.with_overrides(per_kind=())
    return apply


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("-o", "--output", "out_dir", default="output", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the documents.")
@click.option("--what", type=click.Choice(["both", "solution", "question"]), default="both",
              show_default=True, help="Which documents to produce.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "tex", "both"]), default="pdf",
              show_default=True, help="PDF, the LaTeX source, or both.")
@_rounding_options
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="A directory of templates that override the built-in ones (e.g. base.tex.j2).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Documents compiled in parallel [default: number of cores].")
def render(specs, out_dir, what, fmt, mode, decimals, significant, decimal_comma, trailing_zeros,
           templates, jobs):
    """Render SPECS to NAME-solution.pdf and NAME-question.pdf in the output directory.

    Every spec is checked before anything is written; a document whose LaTeX fails is reported
    (with LaTeX's first error and the offending source line, the .tex kept) and the others are
    still written."""
    import os

    from .pipeline import plan, write

    whats = ("question", "solution") if what == "both" else (what,)
    override = _rounding_override(mode, decimals, significant, decimal_comma, trailing_zeros)
    _check_overrides(templates)
    from .files import output_lock

    todo = plan(specs, Path(out_dir), what=whats, rounding=override, templates=templates,
                limits=_limits(), warn=_warn)
    with output_lock(Path(out_dir)):
        report = _write_with_progress(write, todo, pdf=fmt in ("pdf", "both"), tex=fmt in ("tex", "both"),
                                      jobs_n=jobs or os.cpu_count() or 1)
    for path in sorted(report.written):
        click.echo(f"wrote {path}")
    for path in sorted(report.unchanged):
        click.echo(f"unchanged {path}")
    for path, message in report.failed:
        click.echo(f"dryrun: error: {path}: {_printable(message)}", err=True)
    if report.failed:
        sys.exit(3)


def _warn(text: str) -> None:
    click.echo(f"dryrun: warning: {_printable(text)}", err=True)


def _check_overrides(templates) -> None:
    """Warn about blocks of the user's templates that override nothing."""
    if templates:
        from .render import override_warnings
        for message in override_warnings(templates):
            _warn(message)


def _write_with_progress(write, todo, count=None, **options):
    """Run ``write`` with progress on stderr when there are several documents: a bar on a
    terminal; elsewhere (CI logs, pipes) one line per tenth with the count and the time."""
    count = len(todo) if count is None else count
    if count < 3:
        return write(todo, **options)
    if sys.stderr.isatty():
        with click.progressbar(length=count, label="compiling", file=sys.stderr) as bar:
            return write(todo, progress=bar.update, **options)
    import threading
    import time

    start, done, lock = time.monotonic(), [0, 0], threading.Lock()

    def step(n):
        with lock:
            done[0] += n
            tenth = done[0] * 10 // count
            if tenth > done[1] or done[0] == count:
                done[1] = tenth
                click.echo(f"compiled {done[0]}/{count} documents ({time.monotonic() - start:.0f} s)", err=True)
    return write(todo, progress=step, **options)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-n", "--variants", type=click.IntRange(min=1), help="How many variants (v01, v02, …).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Same spec and seed, same variants.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Directory [default: output/NAME-homework].")
@click.option("--students", type=click.Path(dir_okay=False, exists=True),
              help="A roster CSV: Moodle's participants export (First name, Surname, ID number, Email "
                   "address), Canvas's gradebook export (Student \"Last, First\", ID, SIS User ID …) or one "
                   "name per line. One variant per student, drawn from their id (else their name) and "
                   "named after them.")
@click.option("--shard", help="K/N: only the K-th of N slices of the variants (for CI matrices).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Documents compiled in parallel [default: number of cores].")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), help="Override templates.")
@click.option("--lms", multiple=True, type=click.Choice(["moodle", "canvas"]),
              help="Also write a question bank: moodle.xml (Moodle XML) and/or canvas.zip (QTI 1.2).")
@click.option("--key", type=click.Choice(["full", "table", "none"]), default="full", show_default=True,
              help="key.pdf: the table of answers and every solution, the table only, or none.")
def homework(spec, variants, seed, out_dir, students, shard, jobs, templates, lms, key):
    """Randomized variants of SPEC (its 'randomize' section): per variant a question and a solution
    PDF, one combined answer key (key.pdf), and answers.csv / answers.json with the key values.

    Variant k depends only on the spec, the seed and k. Variants that fail (constraints that cannot
    be met, LaTeX errors) are reported together at the end; the others are written."""
    import os

    from . import homework as hw
    from . import runcache
    from .pipeline import write

    if not variants and not students:
        raise click.UsageError("give --variants N or --students roster.csv")
    _check_overrides(templates)
    K, N = hw.parse_shard(shard)
    out = Path(out_dir or Path("output") / f"{Path(spec).stem}-homework")
    from .files import output_lock

    with output_lock(out):            # one writer per folder: a run's files belong together
        run_key = None
        if Path(spec).is_file():
            run_key = runcache.run_key(files=[spec, students], folders=[templates],
                                   options=["homework", variants, seed, K, N, out.resolve(), _limits(),
                                            sorted(lms), key])
            summary = runcache.unchanged(run_key, out)
            if summary:
                for name in runcache.recorded_files(run_key):
                    click.echo(f"unchanged {out / name}")
                click.echo(summary + " (unchanged: nothing to do)")
                return
        result = hw.run(spec, out, variants=variants, students=students, seed=seed, shard=shard,
                        templates=templates, jobs=jobs or os.cpu_count() or 1, limits=_limits(), lms=lms, key=key,
                        write_documents=lambda todo, count, n: _write_with_progress(write, todo, count, jobs_n=n))
        batch, report, summary = result.batch, result.report, result.summary
        suffix = f"-{K}of{N}" if N > 1 else ""
        for ident, message in result.warnings:
            _warn(f"{ident}: {message}")
        if batch.variants:
            extra = "".join({"moodle": f", moodle{suffix}.xml",
                             "canvas": f", canvas{suffix}.zip, canvas{suffix}-assign.csv"}[x]
                            for x in sorted(set(lms)))
            click.echo(f"wrote {len(report.written)} PDF(s) in {out}"
                       + (f" ({len(report.unchanged)} unchanged)" if report.unchanged else "")
                       + f", answers{suffix}.csv, answers{suffix}.json, responses-template{suffix}.csv{extra}")
        click.echo(summary)
        failures = [(ident, msg) for ident, msg in batch.failed] + \
                   [(str(path), msg) for path, msg in report.failed]
        if run_key and not failures:
            names = [p.name for p in report.written + report.unchanged] + [
                f"answers{suffix}.csv", f"answers{suffix}.json", f"responses-template{suffix}.csv"]
            names += [n for x in sorted(set(lms)) for n in {
                "moodle": [f"moodle{suffix}.xml"], "canvas": [f"canvas{suffix}.zip", f"canvas{suffix}-assign.csv"]}[x]]
            runcache.record(run_key, out, names, summary)
        for ident, message in failures:
            click.echo(f"dryrun: error: {ident}: {_printable(message)}", err=True)
        if failures:
            sys.exit(3 if report.failed else 2)


@main.command("merge")
@click.argument("spec", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.argument("shards", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--key", type=click.Choice(["full", "table", "none"]), default="full", show_default=True,
              help="The merged key.pdf: the table and every solution, the table only, or none.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True), help="Override templates.")
@click.option("--students", type=click.Path(dir_okay=False, exists=True),
              help="The roster the shards were drawn for (a set drawn with --students).")
@click.option("--allow-partial", is_flag=True,
              help="Merge the shards and variants there are when some are missing (named in a warning).")
def merge_shards(spec, out_dir, shards, key, templates, students, allow_partial):
    """Join the outputs of 'homework --shard K/N' runs (SHARDS folders) into OUT_DIR: one
    answers.csv/json and one key.  Every variant is drawn again from SPEC and the seed; a shard
    that differs, or a missing shard (unless --allow-partial), is refused."""
    from . import homework as hw
    from .files import output_lock

    out = Path(out_dir)
    for path in (out, out / ".dryrun.lock"):      # never follow a link out of the output folder
        if path.is_symlink():
            raise click.UsageError(f"{path} is a symbolic link: give a real output folder")
    with output_lock(out):
        click.echo(hw.merge(spec, out_dir, shards, templates=templates, key=key, limits=_limits(),
                            students=students, allow_partial=allow_partial, warn=_warn))


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("--responses", required=True, multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="The students' answers: a CSV with 'variant' (or 'student') and the columns of answers.csv, "
                   "a Moodle quiz Responses export or a Canvas quiz Student Analysis (repeat for several files).")
@click.option("--responses-format", type=click.Choice(["auto", "moodle", "canvas", "dryrun"]), default="auto",
              show_default=True, help="The responses' format (auto: recognised from the header).")
@click.option("--overrides", type=click.Path(dir_okay=False, exists=True),
              help="A YAML file of decisions applied after grading: accept, drop, set (docs/homework.md).")
@click.option("--grade-item", help="The gradebook item (Moodle grade item, Canvas assignment) of "
                                   "moodle-grades.csv / canvas-grades.csv [default: the spec's title].")
@click.option("--seed", type=click.IntRange(min=0), required=True,
              help="The seed the homework was drawn with (required: another seed means other numbers).")
@click.option("-n", "--variants", type=click.IntRange(min=1), help="How many variants were drawn.")
@click.option("--students", type=click.Path(dir_okay=False, exists=True), help="The roster the variants were drawn for.")
@click.option("--ecf", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Points for an answer that is wrong but follows from the student's own earlier answers.")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False, exists=True),
              help="The answers.json the homework run wrote: grading is refused when the recomputation "
                   "differs from it [default: answers.json beside the (first) responses file, if there is one].")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Directory for marks.csv and feedback/ [default: output/NAME-marks].")
def grade(spec, responses, seed, variants, students, ecf, out_dir, responses_format, overrides, grade_item,
          answers_file=None):
    """Grade RESPONSES with error carried forward: marks.csv (per student and answer: correct,
    consistent with their own earlier answers, or wrong) and a feedback file per student.

    \b
    Exit status: 0 every row graded; 1 marks.csv and feedback written for every matched
    student, but some rows were not graded: they match no student, their identifiers
    (roster id, variant, name) disagree, or their LMS responses do not fit the variant
    (a warning each, and unmatched.csv); 2 bad input, nothing written (no row matches,
    a repeated column, no answer column …)."""
    from . import grade as gr
    from . import homework as hw
    from .files import write_atomic
    from .spec import load_spec

    if bool(variants) == bool(students):
        raise click.UsageError("give --variants N or --students roster.csv, as for the homework")
    from .errors import SpecError
    first_responses = responses[0] if isinstance(responses, (tuple, list)) else responses
    base = load_spec(spec, _limits())
    roster = hw.read_roster(students) if students else None
    for note in getattr(roster, "notes", ()):
        _warn(f"{students}: {note}")
    planned = hw.plan_variants(variants, roster, (1, 1), _limits().max_variants)
    from . import gradebook as gb
    rows = gb.read_files(responses, responses_format)      # dryrun's CSV, a Moodle or Canvas export
    responses = ", ".join(responses)
    decisions = gb.load_overrides(overrides) if overrides else None
    header = rows.header
    gr.check_columns(header, (), responses)            # a repeated id column: before matching by it
    unmatched: list = []
    beside = Path(first_responses).parent / "answers.json"
    if answers_file is None and beside.is_file():
        answers_file = str(beside)
    recorded = None
    if answers_file is not None:          # its variants' roster ids read a responses-template's variant column
        recorded = gr.read_recorded(answers_file, hw.SHARD_JSON_FACTOR * _limits().max_input_bytes)
    chosen = gr.match_rows(rows, planned, responses, header, students=roster, unmatched=unmatched,
                           recorded=recorded)
    if unmatched and not chosen:
        raise SpecError(f"no row matches a student of this homework set ({unmatched[0][2]}"
                        + (f", and {len(unmatched) - 1} more" if len(unmatched) > 1 else "") + ")", where=responses)
    batch = hw.draw(base, [v for v, _ in chosen], seed)
    if batch.failed:
        raise SpecError(f"{batch.failed[0][0]}: {batch.failed[0][1]}")
    if answers_file is not None:          # grade what was handed out, or nothing
        gr.check_recorded(recorded, batch.variants, seed, answers_file)
    if rows.lms:                                      # an LMS export: its responses under the answer names
        header = gb.map_answers(rows, chosen, responses, unmatched=unmatched)     # a bad row: listed
        kept = {v.ident for v, _ in chosen}
        batch.variants = [v for v in batch.variants if v.ident in kept]
        if not chosen:
            raise SpecError(f"no row can be graded ({unmatched[0][2]}"
                            + (f", and {len(unmatched) - 1} more" if len(unmatched) > 1 else "") + ")", where=responses)
    expected = {a.name for v in batch.variants for a in hw.variant_answers(v)}
    if not expected & set(header):
        raise SpecError("no answer column: name the columns as in answers.csv (e.g. "
                        f"{', '.join(sorted(expected)[:3])})", where=responses)
    gr.check_columns(header, expected, responses)
    from .roster import ID_COLUMNS
    unknown = [c for c in header if c not in expected and c.casefold() not in ("variant", "student", *ID_COLUMNS)]
    if unknown:
        _warn(f"{responses}: columns that are no answer of this homework, ignored: {', '.join(unknown[:8])}")
    out = Path(out_dir or Path("output") / f"{base.name}-marks")
    rows_by_ident = {v.ident: r for v, r in chosen}
    results = [gr.grade_variant(v, rows_by_ident[v.ident], ecf=ecf) for v in batch.variants]
    if decisions is not None:                         # the instructor's decisions, on every run
        results = gb.apply_overrides(results, decisions, batch.variants, roster, planned=planned)
        graded = {v.ident for v in batch.variants}
        batch.variants += [p for p in planned if p.ident in {m.ident for m in results} - graded]   # paper-only
    if answers_file is None:
        _warn("no answers.json given (--answers) or beside the responses: the marks are checked against "
              "a recomputation only, not against what was handed out")
    unreadable = [(m, k) for m in results for k in m.marks if k.status == "unreadable"]
    for m, k in unreadable[:20]:
        _warn(f"{responses}: {m.label} ({m.ident}), column {k.name}: '{k.given}' is no number: "
              "unreadable, 0 points")
    if len(unreadable) > 20:
        _warn(f"{responses}: {len(unreadable) - 20} more unreadable answer(s): their status in marks.csv "
              "is 'unreadable'")
    odd, answered = gr.another_draw(results)
    if answered and odd * 2 > answered:
        _warn(f"{odd} of {answered} student(s) have fewer than {gr.FEW_RIGHT:.0%} of their answers right and "
              f"answers far from their key, as if they had worked on other numbers: is --seed {seed} the seed "
              "the homework was drawn with, and the roster the same? Give --answers answers.json (the file "
              "the homework run wrote) to check")
    write_atomic(out / "marks.csv", gb.marks_csv_with_overrides(
        gr.marks_csv(results, {v.ident: v.key for v in batch.variants}), results))
    for m in results:
        write_atomic(out / "feedback" / f"{m.ident}.txt", gb.feedback_with_overrides(gr.feedback(m), m).encode())
    for path in gb.write_gradebooks(out, results, batch.variants, roster, students,
                                    grade_item or " ".join(str(base.title or base.name).split()), write_atomic, _warn):
        click.echo(f"wrote {path}")
    click.echo(f"wrote {out / 'marks.csv'} and {len(results)} feedback file(s) in {out / 'feedback'}")
    if unmatched:                          # graded everyone else; these rows need a look (exit 1)
        write_atomic(out / "unmatched.csv", gr.unmatched_csv(unmatched))
        for _, _, problem in unmatched[:10]:
            _warn(f"{responses}: {problem}: not graded")
        if len(unmatched) > 10:
            _warn(f"{responses}: {len(unmatched) - 10} more row(s) not graded")
        _warn(f"{len(unmatched)} row(s) not graded (no student, identifiers that disagree, or responses that "
              f"do not fit the variant): listed in {out / 'unmatched.csv'}")
        sys.exit(1)
    (out / "unmatched.csv").unlink(missing_ok=True)        # none now: no stale list of an earlier run


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The snapshot file to write (JSON).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="The course's override templates (as for render): the pages are rendered with them and "
                   "the names and hashes of the overrides used are recorded.")
@click.option("--variants", "variants", type=click.IntRange(min=0), default=3, show_default=True,
              help="For a spec with randomize: record numbered variants v01… (given values and asked answers).")
@click.option("--seed", type=click.IntRange(min=0, max=2 ** 64 - 1), default=0, show_default=True,
              help="The seed the variants are drawn with (recorded: 'check' draws them again with it).")
def snapshot(spec, output, templates, variants, seed):
    """Record every value SPEC's documents show (as rendered and at full precision), the LaTeX of
    its pages, its randomize: and answers: sections, the override templates used and, for a spec
    with randomize:, its first numbered variants, for 'dryrun check'."""
    from .escape import terminal
    from .files import write_atomic

    from .snapshot import encode, record

    _check_overrides(templates)
    _, doc = record(spec, _limits(), templates=templates, variants=variants, seed=seed)
    write_atomic(Path(output), encode(doc, _limits(), spec))      # never more than 'check' reads
    drawn = doc["variants"]["drawn"]
    extra = (f", {len(drawn)} variant(s) drawn with seed {seed}" if drawn else "") + \
            (f", {len(doc['templates'])} template override(s)" if doc["templates"] else "")
    click.echo(terminal(f"wrote {output} ({len(doc['values'])} values, {len(doc['pages'])} pages{extra})"))


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("--against", required=True, type=click.Path(dir_okay=False),
              help="A snapshot written by 'dryrun snapshot'.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="The course's override templates, as given to 'dryrun snapshot'.")
@click.option("--rel-tol", type=click.FloatRange(min=0), default=1e-9, show_default=True,
              help="Relative tolerance for full-precision values.")
@click.option("--abs-tol", type=click.FloatRange(min=0), default=1e-12, show_default=True,
              help="Absolute tolerance for full-precision values.")
@click.option("--values-only", is_flag=True,
              help="Compare the values (and sections, overrides, variants) but not the pages' LaTeX: "
                   "a new dryrun version that only prints pages differently passes.")
def check(spec, against, templates, rel_tol, abs_tol, values_only):
    """Re-solve and re-render SPEC, redraw the snapshot's numbered variants with its seed, and
    compare with a snapshot: "ok", or (exit 1) a changed randomize:, answers: or rounding: section
    or override template first, then the given values that changed, the first computed value that
    differs and what follows from it, the variants' values that differ, or the LaTeX lines of a
    page that changed."""
    from .escape import terminal
    from .snapshot import check as compare_with, report

    result = compare_with(spec, against, rel_tol=rel_tol, abs_tol=abs_tol, limits=_limits(), templates=templates,
                          values_only=values_only)
    if result.changed:
        click.echo(terminal(f"{spec}: differs from {against}"))
        click.echo(report(result))          # every snapshot text in it through escape.terminal
        for note in result.notices:
            click.echo(terminal(note))
        sys.exit(1)
    click.echo(terminal(f"ok: {spec} matches {against} ({result.values} values"
                        + (f", {result.page_count} pages" if result.page_count else "")
                        + (f", {result.variant_count} variants (seed {result.seed})" if result.variant_count else "")
                        + ")"))
    for note in result.notices:
        click.echo(terminal(note))


@main.command()
@click.argument("spec", type=click.Path())
@click.argument("document", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A readable report, or JSON ({checked, not_checked, findings: [{line, printed, expected, "
                   "cause, value}]}).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--annotate", type=click.Path(dir_okay=False),
              help="Write a copy of the document with each wrong number boxed beside its correct value.")
@click.option("--force", is_flag=True,
              help="Audit a document even when most of its numbers look like another exercise's.")
def audit(spec, document, fmt, output, annotate, force):
    """Check a worked solution written by hand (LaTeX, Markdown with $…$ math, or PDF) against the
    computation of SPEC: every printed number that is wrong, what it should say at its printed
    precision, and why (slip, rounding, consequence, operand, method, arithmetic).  Exit status 0
    when nothing is wrong, 1 when something is, 2 for bad input."""
    from .audit.audit import run
    from .audit.report import annotated, json_report, text_report
    from .escape import terminal
    from .files import write_atomic

    from .errors import UsageError
    for path in (annotate, output):
        if path and Path(path).resolve() in (Path(document).resolve(), Path(spec).resolve()):
            raise UsageError(f"{path} is the document or the spec; write the copy or report elsewhere")
    result, doc = run(spec, document, limits=_limits(), force=force)
    report = (json_report if fmt == "json" else text_report)(result, document, spec)
    if annotate:
        write_atomic(Path(annotate), annotated(result, doc).encode())
    if output:
        write_atomic(Path(output), report.encode())
        click.echo(terminal(f"wrote {output} ({result.checked} checked, {len(result.findings)} wrong)"), err=True)
    else:
        click.echo(report if fmt == "json" else terminal(report), nl=False)
    sys.exit(1 if result.findings else 0)
