#!/usr/bin/env bash
# Refresh requirements.lock, the exact versions (with their hashes) that `make test` and CI install.
# The lock covers dryrun's dependencies, the test extra and the build backend (setuptools), for every
# Python from 3.11 to 3.13 (one universal resolution; a version may differ between Pythons only where a
# package dropped an old Python, e.g. NumPy). pyproject.toml keeps the version ranges for `pip install`.
# Usage: make lock   (then run `make test` and commit requirements.lock with a note of what moved)
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.10            # the resolver is pinned too: a new uv must not change how the lock is made
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
"$tmp/venv/bin/uv" pip compile pyproject.toml --extra test --universal --python-version 3.11 \
  --generate-hashes --custom-compile-command "make lock" --quiet -o requirements.lock
echo "lock: wrote requirements.lock ($(grep -c '^[a-z]' requirements.lock) packages)"
