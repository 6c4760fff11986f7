"""The batch-normalization notation: feature i (a row), sample j (a column), the statistics of
each feature; in inference mode the running mean μ̄ and variance σ̄² given per feature."""

from __future__ import annotations

from ...ops.normalize import SAMPLES
from ...view import View as BaseView
from ..normalization import notation


class View(BaseView):
    NOTATION = {**notation(SAMPLES),
                "running_std": (r"\sqrt{\bar{\boldsymbol{\sigma}}^2 + \epsilon}",
                                r"\sqrt{{\bar{{\sigma}}_{{{0}}}^2 + \epsilon}}")}
