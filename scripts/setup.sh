#!/usr/bin/env bash
# Set up everything dryrun needs on a fresh Debian-like machine:
#   a virtual environment in .venv with dryrun and the exact versions of requirements.lock, and pdflatex
#   (TeX Live).
# Usage: scripts/setup.sh [python|tex|scripts|all]   (default: all; tex includes scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
VENV=.venv

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 99
  fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: apt-get is not available; install these yourself: $*" >&2; return 1
  fi
  if ! as_root apt-get update -qq; then
    echo "setup: cannot run apt-get as root (no root, no sudo). Ask an administrator to run:" >&2
    echo "  apt-get install --no-install-recommends $*" >&2
    return 1
  fi
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv python3-pip
      python3 -m venv "$VENV"
    fi
  fi
  # The exact versions of requirements.lock (hash-checked), then dryrun itself, built with the locked
  # setuptools (no build isolation, so nothing unpinned is fetched). Redone when the lock or
  # pyproject.toml changed. `make lock` refreshes the lock.
  local stamp
  stamp=$(cat requirements.lock pyproject.toml setup.py | sha256sum | cut -c1-64)
  if [ ! -f "$VENV/.installed" ] || [ "$(cat "$VENV/.installed")" != "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$stamp" > "$VENV/.installed"
  fi
}

setup_tex() {
  if ! { command -v pdflatex >/dev/null 2>&1 && kpsewhich tikz.sty >/dev/null 2>&1 \
         && kpsewhich lmodern.sty >/dev/null 2>&1; }; then
    echo "setup: installing TeX Live from Debian's packages (a few minutes, once)…" >&2
    apt_install texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures \
      lmodern poppler-utils || {
      echo "setup: pdflatex is missing. 'dryrun render --format tex' still works without it." >&2
      exit 1
    }
  fi
  setup_scripts
}

# Names (and texts) in other scripts, printed in their own fonts (generator/latex.py SCRIPT_FILES):
# Cyrillic (T2A: texlive-lang-cyrillic, cm-super for its Type 1 outlines, ~97 MB), Greek (LGR:
# texlive-lang-greek, ~95 MB), Chinese (CJKutf8 with the Arphic GB font, ~13 MB), Vietnamese (T5:
# vntex in texlive-lang-other, ~73 MB with the fonts it depends on). Without them dryrun still works:
# a student whose name cannot be printed gets their id on the sheet, and a warning names them.
SCRIPT_PACKAGES="texlive-lang-cyrillic cm-super texlive-lang-greek latex-cjk-chinese \
  latex-cjk-chinese-arphic-gbsn00lp texlive-lang-other"

setup_scripts() {
  if kpsewhich t2aenc.def lgrenc.def t5enc.def CJKutf8.sty c70gbsn.fd cm-super-t2a.enc 2>/dev/null \
       | [ "$(wc -l)" -ge 6 ]; then
    return 0
  fi
  echo "setup: installing the fonts for names in Cyrillic, Greek, Chinese and Vietnamese…" >&2
  # shellcheck disable=SC2086
  apt_install $SCRIPT_PACKAGES || \
    echo "setup: names in those scripts will be replaced by the student's id (with a warning)." >&2
}

case "$what" in
  python) setup_python ;;
  tex) setup_tex ;;
  scripts) setup_scripts ;;
  all) setup_python; setup_tex ;;
  *) echo "usage: $0 [python|tex|scripts|all]" >&2; exit 2 ;;
esac
