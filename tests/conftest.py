import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests compile into a cache of their own, never the user's."""
    import os
    os.environ["DRYRUN_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def write_spec(tmp_path):
    """Write YAML text to a spec file and return its path."""
    def write(text: str, name: str = "spec.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p
    return write
