"""Hostile shards (issue 18): merge reads only regular files inside its shard folders, by names it
builds itself, draws every variant again from the spec and the seed and refuses any difference,
refuses an incomplete set unless --allow-partial, never follows a link out of its output folder;
and a homework run builds its key aside and warns of files an earlier run left behind."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from generator import homework as hw
from generator.cli import main
from tests.conftest import ROOT, SPECS

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
HW = SPECS / "seed003.yaml"


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def one_error_line(code, out):
    lines = out.strip().splitlines()
    return code == 2 and len(lines) == 1 and lines[0].startswith("dryrun: error:") and "Traceback" not in out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Shards 1/2 and 2/2 of three variants (seed 1), made once."""
    base = tmp_path_factory.mktemp("made")
    for k in (1, 2):
        code, out = cli("homework", HW, "-n", "3", "--seed", "1", "--shard", f"{k}/2", "-o", base / f"s{k}",
                        "--key", "none")
        assert code == 0, out
    return base


@pytest.fixture
def shards(made, tmp_path):
    """A private copy of the shards, to tamper with."""
    for k in (1, 2):
        shutil.copytree(made / f"s{k}", tmp_path / f"s{k}", symlinks=True)
    return tmp_path / "s1", tmp_path / "s2"


def edit(path, change):
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc = change(doc) or doc
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def test_an_untampered_merge_is_the_whole_set_with_its_full_key(shards, tmp_path):
    s1, s2 = shards
    code, out = cli("merge", HW, tmp_path / "all", s1, s2)
    assert code == 0, out
    code, out = cli("homework", HW, "-n", "3", "--seed", "1", "-o", tmp_path / "whole")
    assert code == 0, out
    for name in ("answers.json", "answers.csv", "key.pdf", "v01-question.pdf", "v03-solution.pdf"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_a_symlink_in_a_shard_is_never_followed(shards, tmp_path):
    s1, s2 = shards
    (s1 / "v01-question.pdf").unlink()
    (s1 / "v01-question.pdf").symlink_to("/etc/passwd")
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out) and "symbolic link" in out, out
    assert not (tmp_path / "all" / "v01-question.pdf").exists()


def test_a_symlinked_answers_file_is_refused(shards, tmp_path):
    s1, s2 = shards
    real = tmp_path / "elsewhere.json"
    (s2 / "answers-2of2.json").rename(real)
    (s2 / "answers-2of2.json").symlink_to(real)
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out) and "symbolic link" in out, out


@pytest.mark.parametrize("ident", ["../outside", "ABSOLUTE"])
def test_a_variant_id_naming_a_path_reads_nothing_outside_the_shards(shards, tmp_path, ident):
    s1, s2 = shards
    secret = tmp_path / "secret"
    secret.mkdir()
    shutil.copyfile(s1 / "v01-question.pdf", secret / "outside-question.pdf")
    shutil.copyfile(s1 / "v01-solution.pdf", secret / "outside-solution.pdf")
    ident = str(secret / "outside") if ident == "ABSOLUTE" else "../secret/outside"

    def change(doc):
        doc["variants"][0]["id"] = ident
    edit(s1 / "answers-1of2.json", change)
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "table")
    assert one_error_line(code, out), out
    assert not (tmp_path / "all").exists() or not list((tmp_path / "all").glob("outside*"))


def test_a_tampered_shown_value_never_reaches_latex(shards, tmp_path):
    s1, s2 = shards

    def change(doc):
        answers = doc["variants"][0]["answers"]
        answers[next(iter(answers))]["shown"] = r"}\input{/etc/passwd}\iffalse{"
    edit(s1 / "answers-1of2.json", change)
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "table")
    assert one_error_line(code, out) and "does not match" in out and "v01" in out, out
    assert not (tmp_path / "all" / "key.pdf").exists()


@pytest.mark.parametrize("what", ["value", "full_precision", "tolerance", "no spec_sha256", "both hashes",
                                  "label", "extra field", "variant removed", "roster hash", "total"])
def test_edited_answers_are_refused(shards, tmp_path, what):
    s1, s2 = shards

    def change(doc):
        v = doc["variants"][-1]
        first = next(iter(v["answers"].values()))
        if what in ("value", "full_precision"):
            first[what] = first[what] + 1
        elif what == "tolerance":
            first["tolerance"] = 100.0
        elif what == "no spec_sha256":
            del doc["spec_sha256"]
        elif what == "both hashes":         # a tamperer edits the recorded hash too: still refused
            doc["spec_sha256"] = "0" * 64
        elif what == "label":
            doc["answers"][0]["label"] = "anything"
        elif what == "extra field":
            doc["note"] = "x"
        elif what == "variant removed":
            doc["variants"].pop()
        elif what == "roster hash":
            doc["roster_sha256"] = "1" * 64
        elif what == "total":
            doc["variants_total"] = 2
    edit(s1 / "answers-1of2.json", change)
    if what == "both hashes":
        edit(s2 / "answers-2of2.json", change)
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out), out
    assert not (tmp_path / "all" / "answers.json").exists()


def test_the_output_folder_as_a_symlink_is_refused(shards, tmp_path):
    s1, s2 = shards
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "all").symlink_to(target)
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert code == 2 and "symbolic link" in out, out
    assert list(target.iterdir()) == []


def test_a_symlink_in_the_output_folder_is_replaced_not_followed(shards, tmp_path):
    s1, s2 = shards
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out_dir = tmp_path / "all"
    out_dir.mkdir()
    for name in ("v01-question.pdf", "answers.csv"):
        (out_dir / name).symlink_to(victim)
    code, out = cli("merge", HW, out_dir, s1, s2, "--key", "none")
    assert code == 0, out
    assert victim.read_text() == "keep me"
    assert not (out_dir / "v01-question.pdf").is_symlink()
    assert (out_dir / "v01-question.pdf").read_bytes() == (s1 / "v01-question.pdf").read_bytes()


DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED = {
    "not json": "{this is not json",
    "not utf-8": b"\xff\xfe{}",
    "a list": "[1, 2, 3]",
    "seed text": lambda d: d.update(seed="1"),
    "seed null": lambda d: d.update(seed=None),
    "seed true": lambda d: d.update(seed=True),
    "seed negative": lambda d: d.update(seed=-1),
    "no variants": lambda d: d.pop("variants"),
    "variants null": lambda d: d.update(variants=None),
    "variant null": lambda d: d.update(variants=[None]),
    "id a number": lambda d: d["variants"][0].update(id=5),
    "index text": lambda d: d["variants"][0].update(index="1"),
    "index huge": lambda d: d["variants"][0].update(index=10 ** 30),
    "answers null": lambda d: d["variants"][0].update(answers=None),
    "answers missing": lambda d: d["variants"][0].pop("answers"),
    "value null": lambda d: next(iter(d["variants"][0]["answers"].values())).update(value=None),
    "spec a list": lambda d: d.update(spec=["seed003"]),
    "total text": lambda d: d.update(variants_total="3"),
    "total missing": lambda d: d.pop("variants_total"),
    "rounding nested": lambda d: d.update(rounding={"mode": {"a": [1, {"b": None}]}}),
    "huge float": "HUGE_FLOAT",
    "huge int": "HUGE_INT",
    "deep nesting": "DEEP",
    "deep value": "DEEP_VALUE",
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_shard_file_gives_one_line_and_status_2(shards, tmp_path, case):
    s1, s2 = shards
    path = s1 / "answers-1of2.json"
    how = MALFORMED[case]
    text = path.read_text(encoding="utf-8")
    if callable(how):
        edit(path, how)
    elif how == "HUGE_FLOAT":
        path.write_text(text.replace('"seed": 1', '"seed": 1e999999'), encoding="utf-8")
    elif how == "HUGE_INT":
        path.write_text(text.replace('"seed": 1', '"seed": ' + "9" * 5000), encoding="utf-8")
    elif how == "DEEP":
        path.write_text(DEEP, encoding="utf-8")
    elif how == "DEEP_VALUE":
        path.write_text(text.replace('"seed": 1', '"seed": 1, "x": ' + DEEP), encoding="utf-8")
    elif isinstance(how, bytes):
        path.write_bytes(how)
    else:
        path.write_text(how, encoding="utf-8")
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out), out


def test_a_fifo_named_like_a_shard_file_does_not_hang(shards, tmp_path):
    s1, s2 = shards
    (s2 / "answers-2of2.json").unlink()
    os.mkfifo(s2 / "answers-2of2.json")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", "from generator.cli import main; main()", "merge", str(HW),
                           str(tmp_path / "all"), str(s1), str(s2), "--key", "none"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr


def test_a_shard_file_beyond_the_size_limit_is_refused(shards, tmp_path):
    s1, s2 = shards
    code, out = cli("--limit", "max_input_bytes=100", "merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out) and "larger than" in out, out
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert code == 0, out


def test_a_missing_shard_is_refused_unless_partial_is_allowed(shards, tmp_path):
    s1, s2 = shards
    code, out = cli("merge", HW, tmp_path / "all", s1, "--key", "none")
    assert one_error_line(code, out) and "2/2" in out and "v02" in out and "--allow-partial" in out, out
    assert not (tmp_path / "all" / "answers.json").exists()
    code, out = cli("merge", HW, tmp_path / "all", s1, "--key", "table", "--allow-partial")
    assert code == 0, out
    assert "warning" in out and "2/2" in out and "v02" in out
    doc = json.loads((tmp_path / "all" / "answers.json").read_text())
    assert [v["id"] for v in doc["variants"]] == ["v01", "v03"]


def test_a_missing_pdf_makes_the_set_incomplete(shards, tmp_path):
    s1, s2 = shards
    (s2 / "v02-solution.pdf").unlink()
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out) and "v02-solution.pdf" in out, out


def test_a_shard_file_that_is_no_pdf_is_refused(shards, tmp_path):
    s1, s2 = shards
    (s2 / "v02-question.pdf").write_text("hello")
    code, out = cli("merge", HW, tmp_path / "all", s1, s2, "--key", "none")
    assert one_error_line(code, out) and "not a PDF" in out, out


def test_roster_shards_merge_with_their_roster_only(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("First name,Surname,ID number\nAda,Lovelace,s1\nPat,Smith,s2\nZoë,Müller,s3\n", encoding="utf-8")
    for k in (1, 2):
        code, out = cli("homework", HW, "--students", roster, "--seed", "2", "--shard", f"{k}/2",
                        "-o", tmp_path / f"s{k}", "--key", "none")
        assert code == 0, out
    code, out = cli("merge", HW, tmp_path / "all", tmp_path / "s1", tmp_path / "s2", "--key", "none")
    assert one_error_line(code, out) and "--students" in out, out
    other = tmp_path / "other.csv"
    other.write_text("First name,Surname,ID number\nAda,Lovelace,s1\nPat,Smith,s9\nZoë,Müller,s3\n", encoding="utf-8")
    code, out = cli("merge", HW, tmp_path / "all", tmp_path / "s1", tmp_path / "s2", "--key", "none",
                    "--students", other)
    assert one_error_line(code, out), out
    code, out = cli("merge", HW, tmp_path / "all", tmp_path / "s1", tmp_path / "s2", "--key", "none",
                    "--students", roster)
    assert code == 0, out
    code, out = cli("homework", HW, "--students", roster, "--seed", "2", "-o", tmp_path / "whole", "--key", "none")
    assert code == 0, out
    for name in ("answers.json", "answers.csv", "zoe-muller-solution.pdf"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


# ---- homework leftovers ----

def test_an_interrupted_homework_never_leaves_a_table_only_key(tmp_path, monkeypatch):
    out_dir = tmp_path / "out"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(hw, "assemble_key", interrupted)
    code, out = cli("homework", HW, "-n", "2", "--seed", "1", "-o", out_dir)
    assert code == 130, out
    assert not (out_dir / "key.pdf").exists()                 # never the table alone
    assert [p.name for p in out_dir.iterdir() if p.name.startswith(".")] == []
    monkeypatch.undo()
    code, out = cli("homework", HW, "-n", "2", "--seed", "1", "-o", out_dir)
    assert code == 0, out
    whole = (out_dir / "key.pdf").read_bytes()
    monkeypatch.setattr(hw, "assemble_key", interrupted)
    code, out = cli("homework", HW, "-n", "2", "--seed", "2", "-o", out_dir)
    assert code == 130
    assert (out_dir / "key.pdf").read_bytes() == whole        # the earlier complete key stays


def test_files_of_an_earlier_run_are_named_in_a_warning(tmp_path):
    out_dir = tmp_path / "out"
    code, out = cli("homework", HW, "-n", "3", "--seed", "1", "-o", out_dir, "--key", "none")
    assert code == 0 and "earlier run" not in out, out
    code, out = cli("homework", HW, "-n", "2", "--seed", "2", "-o", out_dir, "--key", "none")
    assert code == 0, out
    assert "warning" in out and "earlier run" in out and "v03-question.pdf" in out and "v03-solution.pdf" in out
    assert (out_dir / "v03-question.pdf").exists()            # left alone: only named


def test_shards_in_one_folder_are_no_leftovers(tmp_path):
    for k in (1, 2):
        code, out = cli("homework", HW, "-n", "3", "--seed", "1", "--shard", f"{k}/2", "-o", tmp_path, "--key", "none")
        assert code == 0 and "earlier run" not in out, out
    code, out = cli("merge", HW, tmp_path, tmp_path, "--key", "none")
    assert code == 0 and "earlier run" not in out, out
