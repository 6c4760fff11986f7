"""Readable regression snapshots of the seed documents' LaTeX (update: make golden)."""

import difflib

import pytest

from tests.update_golden import golden_documents


@pytest.mark.parametrize("path,tex", list(golden_documents()), ids=lambda v: getattr(v, "name", ""))
def test_golden_tex(path, tex):
    assert path.is_file(), f"missing {path}: run make golden"
    old = path.read_text(encoding="utf-8")
    if old != tex:
        diff = "".join(list(difflib.unified_diff(old.splitlines(True), tex.splitlines(True),
                                                 str(path), "rendered"))[:60])
        pytest.fail(f"{path.name} changed; review and run 'make golden' if intended:\n{diff}")
