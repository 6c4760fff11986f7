"""Homework sets: reproducibility, constraints, shards, the caches, failures and interruptions;
snapshots and checks."""

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import compile as compile_mod
from generator.cli import main
from generator.homework import draw, plan_variants
from generator.spec import load_spec, spec_from_data
from tests.conftest import ROOT, SPECS

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
HW = SPECS / "seed003.yaml"


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_variant_k_depends_only_on_spec_seed_and_k():
    spec = load_spec(HW)
    few = draw(spec, plan_variants(3, None), seed=5)
    many = draw(spec, plan_variants(12, None), seed=5)
    for a, b in zip(few.variants, many.variants[:3]):
        assert a.ident == b.ident
        assert a.trace.to_json() == b.trace.to_json()
    other = draw(spec, plan_variants(3, None), seed=6)
    assert [v.trace.to_json() for v in other.variants] != [v.trace.to_json() for v in few.variants]


def test_variants_meet_their_constraints():
    spec = load_spec(HW)
    batch = draw(spec, plan_variants(10, None), seed=2)
    assert len(batch.variants) == 10 and not batch.failed
    for v in batch.variants:
        t = v.trace.problem()
        for k in (1, 2):
            assert 0.05 <= t[f"it{k}.a2"][0] <= 0.95
        assert (t["it1.z1"] > 0).any()                     # no dead unit: each ReLU unit is active
        assert all(z > 0 for z in t["it1.z1"])
        assert t.info["loss_decreased"]


def test_unsatisfiable_constraints_name_the_worst_one(write_spec, tmp_path):
    text = HW.read_text().replace("- {max_abs_value: 50}", "- {max_abs_value: 0.001}")
    text = text.replace("max_attempts: 500", "max_attempts: 50")
    code, out = cli("homework", write_spec(text), "--variants", "2", "-o", tmp_path / "o")
    assert code == 2
    assert "no variant satisfies the constraints in 50 attempts" in out
    assert "rejected" in out


def test_shards_together_are_the_whole_set():
    whole = [v.ident for v in plan_variants(10, None)]
    parts = [v.ident for K in (1, 2, 3) for v in plan_variants(10, None, (K, 3))]
    assert sorted(parts) == whole and len(parts) == len(set(parts))


def test_roster_names_variants(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Name\nAda Lovelace\nAlan Turing\nAda Lovelace\n", encoding="utf-8")
    from generator.homework import read_roster
    with pytest.raises(Exception, match="share the identifier 'Ada Lovelace'"):
        read_roster(str(roster))
    roster.write_text("Student ID,Name\n1,Ada Lovelace\n2,Alan Turing\n3,Ada Lovelace\n", encoding="utf-8")
    notes = []
    vs = plan_variants(None, read_roster(str(roster)), notes=notes)
    assert [v.ident for v in vs] == ["ada-lovelace", "alan-turing", "ada-lovelace-2"]
    assert [v.index for v in vs] == [1, 2, 3] and len(notes) == 1 and "ada-lovelace-2" in notes[0]


@pytest.mark.parametrize("text,keys,names", [
    # Moodle's participant export
    ("First name,Surname,ID number,Institution,Department,Email address\n"
     "Zoë,Müller,s100,Uni,CS,zoe@uni.edu\nPat,O'Brien,s101,Uni,CS,pat@uni.edu\n",
     ["s100", "s101"], ["Zoë Müller", "Pat O'Brien"]),
    # Canvas's gradebook export, with its "Points Possible" row
    ("Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"
     "\"Müller, Zoë\",17,s100,zoe,A\n\"O'Brien, Pat\",18,s101,pat,A\n",
     ["s100", "s101"], ["Zoë Müller", "Pat O'Brien"]),
    # a list of names without a header
    ("Zoë Müller\nPat O'Brien\n", ["Zoë Müller", "Pat O'Brien"], ["Zoë Müller", "Pat O'Brien"]),
])
def test_rosters_as_lms_export_them(text, keys, names):
    from generator.roster import parse_roster, slug
    students = parse_roster(text)
    assert [s.key for s in students] == keys and [s.name for s in students] == names
    assert slug("Zoë Müller") == "zoe-muller"


def test_a_students_variant_does_not_depend_on_the_others(tmp_path):
    from generator.roster import parse_roster
    spec = load_spec(HW)
    everyone = parse_roster("Student ID,Name\n1,Ada\n2,Pat\n3,Zoë\n")
    without_ada = parse_roster("Student ID,Name\n2,Pat\n3,Zoë\n")
    a = {v.ident: v.trace.to_json() for v in draw(spec, plan_variants(None, everyone), seed=7).variants}
    b = {v.ident: v.trace.to_json() for v in draw(spec, plan_variants(None, without_ada), seed=7).variants}
    assert a["pat"] == b["pat"] and a["zoe"] == b["zoe"]


@needs_tex
def test_homework_run_is_reproducible_and_warm_rerun_compiles_nothing(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    code, out = cli("homework", HW, "--variants", "3", "--seed", "1", "-o", a)
    assert code == 0, out
    names = sorted(p.name for p in a.iterdir())
    assert names == ["answers.csv", "answers.json", "key.pdf", "responses-template.csv"] + [
        f"v0{k}-{w}.pdf" for k in (1, 2, 3) for w in ("question", "solution")]
    calls = []
    real = compile_mod._run
    monkeypatch.setattr(compile_mod, "_run", lambda *x, **k: calls.append(x) or real(*x, **k))
    code, out = cli("homework", HW, "--variants", "3", "--seed", "1", "-o", b)
    assert code == 0 and calls == []                         # everything came from the cache
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    answers = json.loads((a / "answers.json").read_text())
    assert [v["id"] for v in answers["variants"]] == ["v01", "v02", "v03"]
    csv_lines = (a / "answers.csv").read_text().splitlines()
    assert csv_lines[0].startswith("variant,student,it1.loss,it2.loss,") and ",final.loss," in csv_lines[0]
    assert len(csv_lines) == 4


@needs_tex
def test_shard_writes_its_slice(tmp_path):
    code, out = cli("homework", HW, "--variants", "4", "--seed", "1", "--shard", "2/2", "-o", tmp_path)
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.glob("v*.pdf")) == [
        "v02-question.pdf", "v02-solution.pdf", "v04-question.pdf", "v04-solution.pdf"]
    assert (tmp_path / "key-2of2.pdf").is_file() and (tmp_path / "answers-2of2.csv").is_file()


@needs_tex
def test_failed_variants_are_reported_and_the_others_written(tmp_path):
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "base.tex.j2").write_text(
        '((* extends "builtin/base.tex.j2" *))\n((* block title *))((* if "v02" in title *))'
        '\\broken((* endif *))((( super() )))((* endblock *))\n')
    out_dir = tmp_path / "out"
    code, out = cli("homework", HW, "--variants", "3", "-o", out_dir, "--templates", tpl)
    assert code == 3
    assert "v02-question.pdf: LaTeX error: Undefined control sequence" in out
    assert (out_dir / "v01-solution.pdf").is_file() and (out_dir / "v03-solution.pdf").is_file()
    assert not (out_dir / "v02-question.pdf").exists()
    assert (out_dir / "answers.csv").is_file()


@needs_tex
def test_interrupted_batch_leaves_no_partial_file_and_resumes(tmp_path, monkeypatch):
    out_dir = tmp_path / "out"
    real = compile_mod.compile_pdf
    count = {"n": 0}

    def flaky(tex, path, **kw):
        count["n"] += 1
        if count["n"] == 3:
            raise KeyboardInterrupt
        return real(tex, path, **kw)

    monkeypatch.setattr(compile_mod, "compile_pdf", flaky)
    result = CliRunner().invoke(main, ["homework", str(HW), "--variants", "3", "-o", str(out_dir),
                                       "-j", "1"])
    assert result.exit_code != 0 and count["n"] >= 3       # click reports "Aborted!"
    leftovers = [p.name for p in out_dir.iterdir() if p.name.startswith(".") or p.suffix == ".part"]
    assert leftovers == []
    assert len(list(out_dir.glob("*.pdf"))) == count["n"] - 1   # all but the interrupted one
    assert all(p.stat().st_size > 1000 for p in out_dir.glob("*.pdf"))
    monkeypatch.setattr(compile_mod, "compile_pdf", real)
    code, out = cli("homework", HW, "--variants", "3", "-o", out_dir, "-j", "1")
    assert code == 0 and len(list(out_dir.glob("*.pdf"))) == 7


# ---- snapshots: the project's own specs against their recorded values ----

@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_spec_matches_its_snapshot(spec):
    code, out = cli("check", spec, "--against", ROOT / "tests" / "snapshots" / f"{spec.stem}.json")
    assert code == 0, out
    assert out.startswith("ok: ")


def test_check_reports_a_changed_value(tmp_path):
    snap = json.loads((ROOT / "tests" / "snapshots" / "seed000.json").read_text())
    snap["values"]["main/it1.z1"]["shown"][1] = "7.3"
    snap["values"]["main/final.loss"]["value"] = 204.9
    f = tmp_path / "changed.json"
    f.write_text(json.dumps(snap))
    code, out = cli("check", SPECS / "seed000.yaml", "--against", f)
    assert code == 1
    assert re.search(r"first computed value that differs:\n.*\n.*\nmain/it1.z1\[2\] +7.3 +7.2", out)
    assert "and 1 value(s) downstream differ" in out and "main/final.loss" in out and "204.9" in out
    code, out = cli("check", SPECS / "seed000.yaml", "--against", f, "--abs-tol", "1")
    assert code == 1 and "downstream" not in out          # the shown string still differs


def test_check_names_a_changed_given_value_first(tmp_path, write_spec):
    snapshot = tmp_path / "snap.json"
    assert cli("snapshot", SPECS / "seed000.yaml", "-o", snapshot)[0] == 0
    text = (SPECS / "seed000.yaml").read_text().replace("[0.1, 0.2, 0.3, 0.4]", "[0.1, 0.25, 0.3, 0.4]")
    changed = write_spec(text, "seed000.yaml")
    code, out = cli("check", changed, "--against", snapshot)
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("given values changed (1):")
    assert re.search(r"main/init.W1\[1,2\] +0.2 +0.25", out)          # 1-based, as answers.csv
    assert "first computed value that differs:" in out and "downstream" in out


def test_check_reports_a_changed_page_with_its_diff(tmp_path):
    snap = json.loads((ROOT / "tests" / "snapshots" / "seed000.json").read_text())
    lines = snap["pages"]["solution"]["lines"]
    k = next(i for i, line in enumerate(lines) if line.startswith("\\section{Summary}"))
    lines[k] = "\\section{Résumé}"
    snap["pages"]["solution"]["sha256"] = "0" * 64
    f = tmp_path / "page.json"
    f.write_text(json.dumps(snap))
    code, out = cli("check", SPECS / "seed000.yaml", "--against", f)
    assert code == 1 and "the page changed (solution" in out
    assert "-\\section{Résumé}" in out and "+\\section{Summary}" in out


def test_check_refuses_a_snapshot_of_another_spec():
    code, out = cli("check", SPECS / "seed000.yaml", "--against", ROOT / "tests" / "snapshots" / "seed001.json")
    assert code == 2 and "snapshot of spec 'seed001'" in out


def test_check_refuses_a_file_that_is_not_a_snapshot(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("[1, 2]")
    code, out = cli("check", SPECS / "seed000.yaml", "--against", f)
    assert code == 2 and "not a dryrun snapshot" in out


@needs_tex
def test_unchanged_rerun_does_nothing_until_an_output_changes(tmp_path):
    args = ("homework", HW, "--variants", "2", "--seed", "3", "-o", tmp_path)
    code, out = cli(*args)
    assert code == 0 and "(unchanged: nothing to do)" not in out
    code, out = cli(*args)
    assert code == 0 and "(unchanged: nothing to do)" in out
    (tmp_path / "v02-solution.pdf").unlink()
    code, out = cli(*args)
    assert code == 0 and "(unchanged: nothing to do)" not in out and (tmp_path / "v02-solution.pdf").is_file()
    code, out = cli("homework", HW, "--variants", "2", "--seed", "4", "-o", tmp_path)
    assert "(unchanged: nothing to do)" not in out             # another seed: another run


def test_no_two_variants_have_the_same_numbers(write_spec):
    # a tiny space of numbers: collisions would be likely without the check
    text = HW.read_text()
    text = text.replace("network.input: {integers: [-2, 2], nonzero: true}", "network.input: {choices: [1, 2]}")
    text = text.replace("network.layers[0].weights: {multiples: 0.5, min: -2, max: 2, nonzero: true}",
                        "network.layers[0].weights: {choices: [1, -1]}")
    text = text.replace("network.layers[0].bias: {multiples: 0.5, min: -1, max: 1}", "network.layers[0].bias: {choices: [0.5]}")
    text = text.replace("network.layers[1].weights: {multiples: 0.5, min: -1.5, max: 1.5, nonzero: true}",
                        "network.layers[1].weights: {choices: [1, -1]}")
    spec = load_spec(write_spec(text))
    batch = draw(spec, plan_variants(8, None), seed=3)
    prints = [spec.randomize.fingerprint(v.spec.data) for v in batch.variants]
    assert len(batch.variants) + len(batch.failed) == 8
    assert len(set(prints)) == len(prints)


def test_key_headers_in_the_documents_notation_and_no_repeated_givens():
    from generator.homework import key_label, key_values
    assert key_label("final.W1[1,2]") == r"W^{(1)}_{12}"
    assert key_label("it2.loss") == r"L_{\text{it}\,2}" and key_label("final.loss") == r"L_{\text{final}}"
    spec = load_spec(HW)
    batch = draw(spec, plan_variants(4, None), seed=1)
    for v in batch.variants:
        t = v.trace.problem()
        keys = key_values(v)
        for name in keys:
            m = re.fullmatch(r"final\.([Wb]\d)\[([\d,]+)\]", name)
            if m:
                idx = tuple(int(i) - 1 for i in m.group(2).split(","))
                assert t[f"final.{m.group(1)}"][idx] != t[f"init.{m.group(1)}"][idx]


def test_impossible_constraints_stop_after_the_first_variants(write_spec, tmp_path):
    text = HW.read_text().replace("- {max_abs_value: 50}", "- {max_abs_value: 0.001}")
    text = text.replace("max_attempts: 500", "max_attempts: 20")
    spec = load_spec(write_spec(text))
    batch = draw(spec, plan_variants(10, None), seed=1)
    assert not batch.variants and len(batch.failed) == 10
    assert sum("not drawn" in m for _, m in batch.failed) == 7


@needs_tex
def test_merged_shards_are_the_whole_set_and_mismatches_are_refused(tmp_path):
    for k in (1, 2):
        code, out = cli("homework", HW, "-n", "3", "--seed", "1", "--shard", f"{k}/2", "-o", tmp_path / f"s{k}",
                        "--key", "none")
        assert code == 0, out
    code, out = cli("merge", HW, tmp_path / "all", tmp_path / "s1", tmp_path / "s2", "--key", "table")
    assert code == 0, out
    code, out = cli("homework", HW, "-n", "3", "--seed", "1", "-o", tmp_path / "whole", "--key", "table")
    assert code == 0
    for name in ("answers.json", "answers.csv", "key.pdf", "v02-solution.pdf"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    code, out = cli("homework", HW, "-n", "3", "--seed", "2", "--shard", "2/2", "-o", tmp_path / "other", "--key", "none")
    code, out = cli("merge", HW, tmp_path / "bad", tmp_path / "s1", tmp_path / "other")
    assert code == 2 and "another seed" in out


@needs_tex
def test_removing_a_student_leaves_the_others_pdfs_byte_identical(tmp_path):
    full = tmp_path / "full.csv"
    full.write_text("First name,Surname,ID number\nAda,Lovelace,s1\nPat,O'Brien,s2\nZoë,Müller,s3\n", encoding="utf-8")
    fewer = tmp_path / "fewer.csv"
    fewer.write_text("First name,Surname,ID number\nPat,O'Brien,s2\nZoë,Müller,s3\n", encoding="utf-8")
    for name, roster in (("a", full), ("b", fewer)):
        code, out = cli("homework", HW, "--students", roster, "--seed", "3", "-o", tmp_path / name, "--key", "none")
        assert code == 0, out
    for student in ("pat-o-brien", "zoe-muller"):
        for what in ("question", "solution"):
            f = f"{student}-{what}.pdf"
            assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
