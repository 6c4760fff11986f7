"""`check --values-only` and pages that differ only because dryrun prints them differently."""

import json
import shutil

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import SPECS


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def snap(tmp_path):
    spec = tmp_path / "s.yaml"
    shutil.copy(SPECS / "seed000.yaml", spec)
    out = tmp_path / "s.json"
    code, text = cli("snapshot", spec, "-o", out)
    assert code == 0, text
    return spec, out


def _edit_page(path, version):
    doc = json.loads(path.read_text())
    page = next(iter(doc["pages"].values()))
    page["lines"] = page["lines"][:3] + ["% an older dryrun printed this page differently"] + page["lines"][3:]
    page["sha256"] = "0" * 64
    doc["dryrun"] = version
    path.write_text(json.dumps(doc))


def test_a_snapshot_records_the_dryrun_version(snap):
    from importlib.metadata import version

    import generator
    assert json.loads(snap[1].read_text())["dryrun"] == generator.__version__ == version("dryrun")


def test_page_format_change_between_versions_is_reported_once(snap):
    spec, out = snap
    _edit_page(out, "0.0.1")
    code, text = cli("check", spec, "--against", out)
    assert code == 1
    assert text.count("the page format changed between dryrun 0.0.1 and") == 1
    assert "the page changed (" not in text and "% an older dryrun" not in text     # no per-page diff
    code, text = cli("check", spec, "--against", out, "--values-only")
    assert code == 0 and text.startswith("ok:") and "pages" not in text.splitlines()[0]


def test_same_version_page_change_still_shows_the_diff(snap):
    import generator
    spec, out = snap
    _edit_page(out, generator.__version__)
    code, text = cli("check", spec, "--against", out)
    assert code == 1 and "the page changed (" in text and "% an older dryrun" in text


def test_values_only_still_sees_a_changed_value(snap):
    spec, out = snap
    doc = json.loads(out.read_text())
    name = next(n for n, e in doc["values"].items() if not e.get("given") and isinstance(e["value"], float))
    doc["values"][name]["value"] += 1
    out.write_text(json.dumps(doc))
    code, text = cli("check", spec, "--against", out, "--values-only")
    assert code == 1 and "first computed value that differs" in text
