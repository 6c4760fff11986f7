"""The schema of a batch-normalization exercise: the shared normalization exercise
(``kinds.normalization``), each feature (a row) normalized over its samples."""

from __future__ import annotations

from functools import partial

from ...ops.normalize import SAMPLES
from .. import normalization

parse = partial(normalization.parse, kind="batchnorm", axis=SAMPLES)
cost = normalization.cost
