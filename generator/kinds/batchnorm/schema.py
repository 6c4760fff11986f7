"""The schema of a batch-normalization exercise: the shared normalization exercise
(``kinds.normalization``), each feature (a row) normalized over its samples; with ``mode:
inference``, with the given ``running_mean`` and ``running_var`` instead."""

from __future__ import annotations

from functools import partial

from ...ops.normalize import SAMPLES
from .. import normalization

parse = partial(normalization.parse, kind="batchnorm", axis=SAMPLES, modes=True)
cost = normalization.cost
