"""The pooling templates' view: each window, with −∞ where it covers padding."""

from __future__ import annotations

from ...view import View as BaseView


class View(BaseView):

    def pool_window(self, r, q):
        """Window (r, q) of a max pooling, with −∞ where it covers padding (never the maximum)."""
        window = self.t.dec("windows")[r][q]
        pad = self.info.get("padding_cells")
        cells = [[r"-\infty" if pad and pad[r][q][a][b] else self.fmt.num(v) for b, v in enumerate(row)]
                 for a, row in enumerate(window)]
        return self.fmt.matrix(cells)
