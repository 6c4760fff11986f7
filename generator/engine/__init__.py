"""Numeric engines.  They compute and report every intermediate to an observer; they never format."""
