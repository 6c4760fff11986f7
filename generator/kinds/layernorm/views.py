"""The layer-normalization notation: feature i (a row), sample j (a column), the statistics of
each sample."""

from __future__ import annotations

from ...ops.normalize import FEATURES
from ...view import View as BaseView
from ..normalization import notation


class View(BaseView):
    NOTATION = notation(FEATURES)
