"""CI that sees every change of a student's numbers or pages (issue 19, item 6): a snapshot records a
spec's randomize:/answers: sections, the override templates it was rendered with and its first numbered
variants; 'check' names a changed section or override first, then the values; an older snapshot is
still read, with one notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

from .conftest import ROOT, SPECS

HW = SPECS / "seed003.yaml"          # a network with randomize: (5 drawn places, 4 constraints)
BIAS = "network.layers[0].bias: {multiples: 0.5, min: -1, max: 1}"


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def hw(tmp_path):
    """seed003.yaml copied (same name: a snapshot belongs to its spec), and its snapshot."""
    spec = tmp_path / "seed003.yaml"
    spec.write_text(HW.read_text(encoding="utf-8"), encoding="utf-8")
    snap = tmp_path / "seed003.json"
    code, out = cli("snapshot", spec, "-o", snap)
    assert code == 0 and "3 variant(s) drawn with seed 0" in out, out
    return spec, snap


def _edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new), encoding="utf-8")


def test_a_randomized_spec_records_its_numbered_variants_and_checks_ok(hw):
    spec, snap = hw
    doc = json.loads(snap.read_text(encoding="utf-8"))
    assert doc["dryrun_snapshot"] == 3
    assert doc["variants"]["seed"] == 0 and doc["variants"]["count"] == 3
    assert [v["id"] for v in doc["variants"]["drawn"]] == ["v01", "v02", "v03"]
    v1 = doc["variants"]["drawn"][0]
    assert {"main/x", "main/init.W1", "main/target"} <= set(v1["given"])
    assert "it1.loss" in v1["answers"] and set(v1["answers"]["it1.loss"]) == {"shown", "value", "full"}
    assert doc["sections"]["answers"] == ["key"]
    assert doc["sections"]["randomize"]["values"]["network.layers[0].bias"] == {"multiples": 0.5, "min": -1, "max": 1}
    assert doc["templates"] == {}
    code, out = cli("check", spec, "--against", snap)
    assert code == 0 and out.startswith("ok: ") and "3 variants (seed 0)" in out, out
    assert "note:" not in out


def test_the_variants_are_those_of_homework(hw, tmp_path):
    """Numbered variant k of a snapshot is variant k of 'dryrun homework --variants N --seed S'."""
    from generator import homework as hwm
    from generator.spec import load_spec
    spec, snap = hw
    doc = json.loads(snap.read_text(encoding="utf-8"))
    s = load_spec(spec)
    batch = hwm.draw(s, hwm.plan_variants(3, None), 0)
    for v, recorded in zip(batch.variants, doc["variants"]["drawn"]):
        assert recorded["id"] == v.ident
        assert {n: a["shown"] for n, a in recorded["answers"].items()} == hwm.key_values(v)


def test_an_edit_of_randomize_is_named_first_then_the_first_differing_variant_value(hw):
    spec, snap = hw
    _edit(spec, BIAS, BIAS.replace("max: 1}", "max: 2}"))
    code, out = cli("check", spec, "--against", snap)
    assert code == 1, out
    lines = out.splitlines()
    assert lines[1] == "randomize: changed (values.network.layers[0].bias.max: 1 → 2)", out
    assert lines[2].startswith("numbered variants drawn with seed 0 differ"), out
    first = lines[5]                    # after the table's header and rule
    assert re.match(r"v01 +given main/init\.b1\[\d\] ", first), out
    # the document itself did not change: no value of it is reported
    assert "first computed value" not in out and "given values changed" not in out


def test_an_edit_of_answers_is_named(hw):
    spec, snap = hw
    spec.write_text(spec.read_text(encoding="utf-8") + "answers: [key, gradients]\n", encoding="utf-8")
    code, out = cli("check", spec, "--against", snap)
    assert code == 1, out
    assert out.splitlines()[1] == "answers: changed (key → key, gradients)", out
    assert re.search(r"v01 +answer it1\.dW2\[1,1\] +missing +present", out), out


def test_an_edit_of_rounding_is_named_first(hw):
    spec, snap = hw
    _edit(spec, "  decimals: 4", "  decimals: 3")
    code, out = cli("check", spec, "--against", snap)
    assert code == 1, out
    assert out.splitlines()[1] == "rounding: decimals 4 → 3", out
    assert "first computed value that differs:" in out and "numbered variants drawn with seed 0 differ" in out
    assert out.index("rounding:") < out.index("first computed value") < out.index("numbered variants")


def test_a_change_of_the_style_of_rounding_names_both(hw):
    spec, snap = hw
    _edit(spec, "  decimals: 4", "  significant: 4")
    code, out = cli("check", spec, "--against", snap)
    assert code == 1 and out.splitlines()[1] == "rounding: decimals 4 → (none), significant (none) → 4", out


def test_an_edit_of_an_override_template_is_named_and_its_page_diffed(hw, tmp_path):
    spec, _ = hw
    tpl = tmp_path / "course-templates"
    tpl.mkdir()
    base = tpl / "base.tex.j2"
    base.write_text('((* extends "builtin/base.tex.j2" *))\n'
                    "((* block extra_preamble *))\\usepackage{xcolor}((* endblock *))\n", encoding="utf-8")
    (tpl / "unused.tex.j2").write_text("never loaded\n", encoding="utf-8")
    snap = tmp_path / "with-templates.json"
    code, out = cli("snapshot", spec, "-o", snap, "--templates", tpl)
    assert code == 0 and "1 template override(s)" in out, out
    recorded = json.loads(snap.read_text(encoding="utf-8"))["templates"]
    assert list(recorded) == ["base.tex.j2"] and re.fullmatch(r"[0-9a-f]{64}", recorded["base.tex.j2"])
    code, out = cli("check", spec, "--against", snap, "--templates", tpl)
    assert code == 0, out

    base.write_text(base.read_text(encoding="utf-8").replace("xcolor", "tikz"), encoding="utf-8")
    code, out = cli("check", spec, "--against", snap, "--templates", tpl)
    assert code == 1, out
    lines = out.splitlines()
    assert lines[1] == "template override base.tex.j2 changed", out
    assert "the page changed (solution" in out and "-\\usepackage{xcolor}" in out and "+\\usepackage{tikz}" in out

    code, out = cli("check", spec, "--against", snap)           # CI forgot --templates
    assert code == 1 and "template overrides: the snapshot's pages used 1 (base.tex.j2)" in out, out
    assert "--templates" in out


def test_a_spec_without_randomize_still_works(tmp_path):
    spec = tmp_path / "seed000.yaml"
    spec.write_text((SPECS / "seed000.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    snap = tmp_path / "seed000.json"
    code, out = cli("snapshot", spec, "-o", snap)
    assert code == 0 and "variant" not in out, out
    doc = json.loads(snap.read_text(encoding="utf-8"))
    assert doc["variants"] == {"seed": 0, "count": 3, "drawn": []}
    assert doc["sections"] == {"randomize": None, "answers": ["key"]}
    code, out = cli("check", spec, "--against", snap)
    assert code == 0 and out.startswith("ok: ") and "variants" not in out and "note:" not in out, out
    # adding a randomize: section is named
    spec.write_text(spec.read_text(encoding="utf-8")
                    + "randomize:\n  values:\n    network.input: {integers: [1, 3]}\n", encoding="utf-8")
    code, out = cli("check", spec, "--against", snap)
    assert code == 1 and out.splitlines()[1] == "randomize: added (the snapshot has none)", out
    assert "variants: the snapshot has none (seed 0), now 3" in out


def test_the_recorded_seed_and_count_are_used_by_check(hw, tmp_path):
    spec, snap0 = hw
    snap = tmp_path / "seed7.json"
    code, out = cli("snapshot", spec, "-o", snap, "--variants", "2", "--seed", "7")
    assert code == 0 and "2 variant(s) drawn with seed 7" in out, out
    doc, doc0 = (json.loads(p.read_text(encoding="utf-8")) for p in (snap, snap0))
    assert doc["variants"]["seed"] == 7 and [v["id"] for v in doc["variants"]["drawn"]] == ["v01", "v02"]
    assert doc["variants"]["drawn"][0] != doc0["variants"]["drawn"][0]
    code, out = cli("check", spec, "--against", snap)
    assert code == 0 and "2 variants (seed 7)" in out, out
    code, out = cli("snapshot", spec, "-o", tmp_path / "none.json", "--variants", "0")
    assert code == 0 and "variant" not in out
    assert json.loads((tmp_path / "none.json").read_text())["variants"] == {"seed": 0, "count": 0, "drawn": []}


def _old_format(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if k not in ("sections", "templates", "variants")}
    doc["dryrun_snapshot"] = 2
    return doc


def test_an_older_snapshot_is_read_with_one_notice(hw, tmp_path):
    spec, snap = hw
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_old_format(json.loads(snap.read_text(encoding="utf-8")))), encoding="utf-8")
    code, out = cli("check", spec, "--against", old)
    assert code == 0 and out.startswith("ok: "), out
    notes = [line for line in out.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and out.count("records no") == 1, out
    assert "format 2" in notes[0] and "randomize:/answers: sections" in notes[0] and "numbered variants" in notes[0]
    # a difference is still found (its values), and the notice comes once, after the report
    _edit(spec, "  decimals: 4", "  decimals: 3")
    code, out = cli("check", spec, "--against", old)
    assert code == 1 and out.count("note:") == 1 and out.splitlines()[-1].startswith("note:"), out
    assert out.splitlines()[1] == "rounding: decimals 4 → 3"        # the old format has its rounding


def test_the_projects_own_older_snapshots_are_still_read():
    code, out = cli("check", HW, "--against", ROOT / "tests" / "snapshots" / "seed003.json")
    assert code == 0 and out.startswith("ok: "), out
    assert out.count("note:") <= 1


def test_no_student_name_reaches_a_snapshot(hw, tmp_path):
    spec, snap = hw
    roster = tmp_path / "roster.csv"
    names = ["Zoë Müller", "Jan Kowalski", "Ada Lovelace"]
    roster.write_text("\n".join(names) + "\n", encoding="utf-8")
    text = snap.read_text(encoding="utf-8")
    for name in names + ["zoe-muller", "kowalski", "lovelace"]:
        assert name.lower() not in text.lower()
    assert all(re.fullmatch(r"v0[1-3]", v["id"]) for v in json.loads(text)["variants"]["drawn"])
    code, out = cli("snapshot", spec, "-o", tmp_path / "x.json", "--students", roster)
    assert code == 2 and "--students" in out            # no such option: numbered variants only


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update(sections=[]), "sections"),
    (lambda d: d["sections"].update(answers="key"), "sections.answers"),
    (lambda d: d["sections"].update(answers=[1]), "sections.answers[1]"),
    (lambda d: d["sections"].update(randomize=[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]), "sections.randomize"),
    (lambda d: d.update(templates=["base.tex.j2"]), "templates"),
    (lambda d: d["templates"].update({"base.tex.j2": 5}), 'templates["base.tex.j2"]'),
    (lambda d: d.update(variants=None), "variants"),
    (lambda d: d["variants"].update(seed=-1), "variants.seed"),
    (lambda d: d["variants"].update(seed=True), "variants.seed"),
    (lambda d: d["variants"].update(count=10 ** 6), "variants.count"),
    (lambda d: d["variants"].update(count=1), "variants.drawn"),
    (lambda d: d["variants"]["drawn"][1].update(id="v01"), "variants.drawn[2].id"),
    (lambda d: d["variants"]["drawn"][0].update(given=None), "variants.drawn[1].given"),
    (lambda d: d["variants"]["drawn"][0]["given"]["main/x"].update(value=["1"]),
     'variants.drawn[1].given["main/x"].value[1]'),
    (lambda d: d["variants"]["drawn"][0]["answers"]["it1.loss"].update(full=[1]),
     'variants.drawn[1].answers["it1.loss"].full'),
    (lambda d: d["variants"]["drawn"][0]["answers"]["it1.loss"].pop("full"),
     'variants.drawn[1].answers["it1.loss"]'),
])
def test_a_malformed_addition_is_one_line_naming_file_and_field(hw, tmp_path, change, field):
    spec, snap = hw
    doc = json.loads(snap.read_text(encoding="utf-8"))
    change(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, out = cli("check", spec, "--against", bad)
    assert code == 2, out
    assert len(out.strip().splitlines()) == 1, out
    assert out.startswith(f"dryrun: error: {bad}: {field}: "), out


def test_a_tampered_section_reaches_the_terminal_written_out(hw, tmp_path):
    spec, snap = hw
    doc = json.loads(snap.read_text(encoding="utf-8"))
    doc["sections"]["randomize"]["values"]["\u001b[2J"] = {"integers": [0, 1]}
    doc["templates"]["\u001b]0;owned\u0007.j2"] = "0" * 64
    doc["variants"]["drawn"][0]["id"] = "\u001b[31mv01"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, out = cli("check", spec, "--against", bad)
    assert code == 1, out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out, out
    assert "randomize: changed" in out and "template overrides" in out


def test_the_python_api_records_and_checks(hw):
    from generator.snapshot import check, record, report
    spec, snap = hw
    _, doc = record(spec, variants=1, seed=0)
    assert [v["id"] for v in doc["variants"]["drawn"]] == ["v01"]
    result = check(spec, snap)
    assert not result.changed and result.variant_count == 3 and result.seed == 0 and not result.notices
    _edit(spec, BIAS, BIAS.replace("min: -1", "min: 0"))
    result = check(spec, snap)
    assert result.changed and result.causes[0].startswith("randomize: changed (values.network.layers[0].bias.min")
    assert report(result).splitlines()[0] == result.causes[0]
