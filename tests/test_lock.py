"""The locked test environment: requirements.lock pins every package (with hashes) that pyproject.toml asks
for, inside pyproject's ranges, for every supported Python; `make test` runs from exactly those versions."""

import os
import re
import tomllib
from importlib import metadata

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

PYTHONS = ("3.11", "3.12", "3.13")


def _lock() -> list[tuple[str, Version, Marker | None, list[str]]]:
    """(name, version, marker, hashes) of each entry of requirements.lock."""
    entries, text = [], (ROOT / "requirements.lock").read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        if not block or block.startswith("#"):
            continue
        head = block.split("\\", 1)[0].strip()
        spec, _, marker = head.partition(";")
        name, _, version = spec.strip().partition("==")
        entries.append((canonicalize_name(name), Version(version), Marker(marker) if marker.strip() else None,
                        re.findall(r"--hash=sha256:([0-9a-f]{64})", block)))
    return entries


def _wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [Requirement(r) for r in project["project"]["dependencies"]
            + project["project"]["optional-dependencies"]["test"] + project["build-system"]["requires"]]


def _env(python: str) -> dict:
    return {"python_version": python, "python_full_version": python + ".0", "sys_platform": "linux",
            "platform_system": "Linux", "implementation_name": "cpython", "extra": ""}


@pytest.mark.parametrize("python", PYTHONS)
def test_lock_pins_every_requirement_within_its_range(python):
    pinned = {}
    for name, version, marker, hashes in _lock():
        assert hashes, f"{name} has no hash in requirements.lock"
        if marker is None or marker.evaluate(_env(python)):
            assert name not in pinned, f"{name} is pinned twice for Python {python}"
            pinned[name] = version
    for req in _wanted():
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} (pyproject.toml) is not in requirements.lock for Python {python}"
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"requirements.lock pins {name} {pinned[name]}, outside pyproject.toml's range {req.specifier}"


@pytest.mark.skipif(os.environ.get("DRYRUN_LOCKED") != "1",
                    reason="the suite runs from the lock under `make test` (DRYRUN_LOCKED=1)")
def test_the_suite_runs_with_the_locked_versions():
    python = "{}.{}".format(*__import__("sys").version_info[:2])
    for name, version, marker, _ in _lock():
        if marker is None or marker.evaluate(_env(python)):
            assert Version(metadata.version(name)) == version, \
                f"{name} {metadata.version(name)} is installed, requirements.lock says {version}"
