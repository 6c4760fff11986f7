"""The schema of a layer-normalization exercise: the shared normalization exercise
(``kinds.normalization``), each sample (a column) normalized over its features."""

from __future__ import annotations

from functools import partial

from ...ops.normalize import FEATURES
from .. import normalization

parse = partial(normalization.parse, kind="layernorm", axis=FEATURES)
cost = normalization.cost
