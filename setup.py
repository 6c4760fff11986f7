"""Package discovery only; the project's metadata is in pyproject.toml."""

from setuptools import find_packages, setup

# every Python package under generator/ (a new exercise kind is one more folder, found here), plus the
# shared templates, which live in the repository's top-level templates/ (mapped in pyproject.toml)
setup(packages=find_packages(include=["generator", "generator.*"]) + ["generator.templates",
                                                                       "generator.starters"])
