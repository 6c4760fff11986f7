"""Issue 23: an independent trial of ``dryrun audit`` on three answer keys written by hand.

tests/fixtures/audit_trial/ holds three worked solutions written by hand in the style of the seed
documents (a dense network, an RNN through time, logistic regression), each with mistakes of every
cause planted in it, and ``<name>.expected.json``: every wrong number with the value it should have
at its printed precision and its cause.  Those lists were written before the audit was run on the
documents, from an independent computation (``compute_<name>.py``: Fractions and mpmath from the
textbook equations, no dryrun code) and a token-by-token check of each document
(``check_<name>.py``); see the folder's README.md for the measured results and the analysis.

The audit is run through its command line only (a black box).  What is asserted:

* no false alarm: every number the audit reports is in the expected list (the 7 false alarms the
  trial found were fixed; README.md tells them);
* recall floors: how many expected findings the audit reports with the right corrected value, as
  measured (RECALL_FLOOR); raise them when the audit improves;
* decimal commas give the same findings; a PDF print of each key gives no new false alarm and at
  least the measured recall;
* a document of another spec is bad input (exit 2, one line).
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "fixtures" / "audit_trial"
DOCS = ("network", "rnn", "logreg")

# Measured on 2026-12-07 (commit 812ffd8): expected findings reported at their line and printed text
# with the right corrected value.  network 9 of 39, rnn 22 of 25, logreg 8 of 20.  After the fixes
# that followed the trial: network 22 of 39, rnn 22 of 25, logreg 9 of 20 (PDF: 22, 21, 11).
RECALL_FLOOR = {"network": 23, "rnn": 22, "logreg": 9}
# The same measured on the PDF print (matched by printed text, the PDF has no source lines).
PDF_RECALL_FLOOR = {"network": 22, "rnn": 21, "logreg": 11}

# Correct numbers the audit flags (line, printed): none since the fix after the trial (README.md,
# "False alarms": e^{-0.15} ≈ 0.8607 was taken for a1[2], the sum Σ(ŷ−y) for ∂J/∂b = Σ/4, and a
# given x_{2,2} = 0.5 for the x_{1,2} an earlier line had miscopied as 0.5).
KNOWN_FALSE_ALARMS = {"network": [], "rnn": [], "logreg": []}


def run_audit(spec: Path, doc: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from generator.cli import main; main()", "audit",
                           str(spec), str(doc), *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


_cache: dict[tuple[str, str], dict] = {}


def report(name: str, variant: str = "") -> dict:
    """The JSON report of the audit of <name><variant> against <name>.yaml (run once per session)."""
    key = (name, variant)
    if key not in _cache:
        doc = HERE / f"{name}{variant}"
        run = run_audit(HERE / f"{name}.yaml", doc, "--format", "json")
        assert run.returncode == 1, (doc, run.returncode, run.stderr)
        _cache[key] = json.loads(run.stdout)
    return _cache[key]


def expected(name: str) -> list[dict]:
    return json.loads((HERE / f"{name}.expected.json").read_text(encoding="utf-8"))


def norm(number: str) -> str:
    return number.replace(",", ".")


def match(name: str, findings: list[dict], by_line: bool = True):
    """Pair the audit's findings with the expected ones: by (line, printed), occurrences in order
    (or by printed text alone for a PDF).  Returns (pairs, unmatched findings, missed expected)."""
    slots = defaultdict(list)
    for e in sorted(expected(name), key=lambda e: (e["line"], e.get("occurrence", 1))):
        slots[(e["line"], e["printed"]) if by_line else e["printed"]].append(e)
    used: Counter = Counter()
    pairs, extra = [], []
    for f in findings:
        key = (f["line"], norm(f["printed"])) if by_line else norm(f["printed"])
        if used[key] < len(slots[key]):
            pairs.append((slots[key][used[key]], f))
            used[key] += 1
        else:
            extra.append(f)
    found = {id(e) for e, _ in pairs}
    missed = [e for e in expected(name) if id(e) not in found]
    return pairs, extra, missed


def value_right(e: dict, f: dict) -> bool:
    return norm(f["expected"]) in [e["expected"], *e.get("accept_expected", [])]


def test_expected_lists_agree_with_the_independent_computation():
    """The fixture itself: every number of each document against compute_<name>.py, token by token;
    the wrong ones are exactly those of <name>.expected.json, with the same corrected values."""
    sys.path.insert(0, str(HERE))
    try:
        for name in DOCS:
            check = importlib.import_module(f"check_{name}")
            compare = importlib.import_module("trial_check").compare
            assert compare(str(HERE / f"{name}.md"), check.S, str(HERE / f"{name}.expected.json")), name
    finally:
        sys.path.remove(str(HERE))


@pytest.mark.parametrize("name", DOCS)
def test_no_false_alarm(name):
    _, extra, _ = match(name, report(name, ".md")["findings"])
    assert not extra, [(f["line"], f["printed"], f["expected"], f["cause"]) for f in extra]


@pytest.mark.parametrize("name", DOCS)
def test_no_new_false_alarm(name):
    _, extra, _ = match(name, report(name, ".md")["findings"])
    assert Counter((f["line"], norm(f["printed"])) for f in extra) == Counter(KNOWN_FALSE_ALARMS[name])


@pytest.mark.parametrize("name", DOCS)
def test_recall_floor(name):
    pairs, _, _ = match(name, report(name, ".md")["findings"])
    right = sum(value_right(e, f) for e, f in pairs)
    assert right >= RECALL_FLOOR[name], (name, right, len(expected(name)))


@pytest.mark.parametrize("name", DOCS)
def test_counts_add_up(name):
    """The report says how many numbers it checked and how many it could not, and lists the latter."""
    r = report(name, ".md")
    assert r["checked"] > 0 and r["wrong"] == len(r["findings"])
    assert r["not_checked"] == len(r["not_checked_numbers"])


@pytest.mark.parametrize("name", DOCS)
def test_first_wrong_number_first(name):
    run = run_audit(HERE / f"{name}.yaml", HERE / f"{name}.md")
    first = re.search(r"^first wrong number \(\w+\): line (\d+):", run.stdout, re.M)
    assert first, run.stdout[:300]
    assert int(first.group(1)) == min(f["line"] for f in report(name, ".md")["findings"])


@pytest.mark.parametrize("name", DOCS)
def test_decimal_commas_give_the_same_findings(name, tmp_path):
    doc = tmp_path / f"{name}.md"
    doc.write_text(re.sub(r"(?<=\d)\.(?=\d)", ",", (HERE / f"{name}.md").read_text(encoding="utf-8")),
                   encoding="utf-8")
    run = run_audit(HERE / f"{name}.yaml", doc, "--format", "json")
    assert run.returncode == 1, run.stderr
    comma = json.loads(run.stdout)
    points = report(name, ".md")
    assert [(f["line"], norm(f["printed"]), norm(f["expected"]), f["cause"]) for f in comma["findings"]] == \
           [(f["line"], f["printed"], f["expected"], f["cause"]) for f in points["findings"]]
    assert all("." not in f["printed"] + f["expected"] for f in comma["findings"])   # printed as written


@pytest.mark.parametrize("name", DOCS)
def test_pdf_print(name):
    """The key printed to PDF (make_pdf.py): no false alarm beyond the known ones, measured recall."""
    pairs, extra, _ = match(name, report(name, ".pdf")["findings"], by_line=False)
    assert Counter(norm(f["printed"]) for f in extra) <= Counter(p for _, p in KNOWN_FALSE_ALARMS[name])
    assert sum(value_right(e, f) for e, f in pairs) >= PDF_RECALL_FLOOR[name]


@pytest.mark.parametrize("spec,doc", [("rnn.yaml", "network.md"), ("network.yaml", "logreg.md"),
                                      ("../../../specs/seed000.yaml", "network.md"),
                                      ("network.yaml", "../seeds/000_6bb5519eefd0182a.txt")])
def test_document_of_another_spec_is_bad_input(spec, doc):
    run = run_audit(HERE / spec, HERE / doc)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1
