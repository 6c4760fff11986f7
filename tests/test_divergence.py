"""Carry mode against full precision: the document's table, the CLI warning, the answer files."""

import json
import re
from decimal import Decimal

from click.testing import CliRunner

from generator import homework as hw
from generator.cli import main
from generator.divergence import divergences, warning
from generator.render import render
from generator.solve import solve
from generator.spec import load_spec
from tests.conftest import SPECS


def test_seed001_carried_gradient_is_34_percent_off_and_said_so(tmp_path):
    spec = load_spec(SPECS / "seed001.yaml")
    trace = solve(spec)
    # independent of the engine: the full-precision reference agrees with a float computation
    full = trace.reference.problem()["it1.dW2"]
    assert abs(full[0][0] - -0.000175) < 5e-7 and abs(full[0][1] - -0.000577) < 5e-7
    divs = divergences(trace, trace.rounding)
    far = {(d.name, d.index) for d in divs if d.too_far}
    assert far == {("it1.dW2", (0, 0)), ("it1.dW2", (0, 1))}
    keys = {d.name for d in divs if d.key}
    assert "it1.loss" in keys and all(d.name not in keys for d in divs if d.full == d.carried)
    tex = render(spec, trace, "solution")
    table = tex.split(r"\section*{Carried rounding and full precision}")[1]
    assert "precision is too low" in tex
    assert re.search(r"\\partial L / \\partial w\^\{\(2\)\}_\{11\}.*\\dagger.*-0\.000235.*-0\.000175",
                     table)        # ∂L/∂w⁽²⁾₁₁ as the page writes it, inline
    result = CliRunner().invoke(main, ["render", str(SPECS / "seed001.yaml"), "-o", str(tmp_path),
                                       "--format", "tex", "--what", "solution"])
    assert result.exit_code == 0
    assert "warning" in result.stderr and "dL/dW2[1,1] (iteration 1): -0.000235 carried, -0.000175" in result.stderr


def test_display_mode_has_no_reference_and_no_table():
    spec = load_spec(SPECS / "seed000.yaml")
    trace = solve(spec)
    assert trace.reference is None and divergences(trace, trace.rounding) == []
    assert "Carried rounding" not in render(spec, trace, "solution")


def test_no_warning_where_carrying_stays_close():
    spec = load_spec(SPECS / "seed004.yaml")
    trace = solve(spec)
    assert warning(divergences(trace, trace.rounding), trace.rounding) is None


def test_answer_files_carry_both_values_in_carry_mode(tmp_path):
    text = (SPECS / "seed003.yaml").read_text().replace("  decimals: 4\n", "  mode: carry\n  decimals: 2\n")
    path = tmp_path / "carry.yaml"
    path.write_text(text)
    spec = load_spec(path)
    batch = hw.draw(spec, hw.plan_variants(3, None), seed=5)
    csv_bytes, json_bytes = hw.answers_files(batch, spec, 5)
    header = csv_bytes.decode().splitlines()[0].split(",")
    assert "it1.loss" in header and "it1.loss (full precision)" in header
    doc = json.loads(json_bytes)
    for v, variant in zip(doc["variants"], batch.variants):
        answer = v["answers"]["it1.loss"]
        ref = variant.trace.reference.problem()
        assert answer["full_precision"] == ref["it1.loss"]
        assert answer["carried"] == variant.trace.problem()["it1.loss"] == answer["value"]
        assert abs(Decimal(answer["shown"]) - Decimal(repr(answer["full_precision"]))) < Decimal("0.05")
        assert answer["tolerance"] in (0.01, 1e-9)            # one unit of the printed 2nd decimal
