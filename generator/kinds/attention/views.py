"""The attention templates' view: the exponentials with the mask, and the softmax backward by row."""

from __future__ import annotations

import numpy as np

from ...view import View as BaseView


class View(BaseView):

    def masked(self, i, j) -> bool:
        return not self.info["allowed"][i][j]

    def mask_matrix(self):
        """The causal mask M: 0 where token i attends to token j, −∞ where it may not."""
        n = len(self.info["allowed"])
        return self.fmt.matrix([[r"-\infty" if self.masked(i, j) else "0" for j in range(n)] for i in range(n)])

    def masked_scores(self):
        """S with −∞ where the mask removes a score (the engine keeps the unmasked number there,
        which nothing uses); one format for the finite entries."""
        S = np.asarray(self.t.dec("scores"), dtype=object)
        k = self._kind("scores")
        cells = self.fmt._uniform([[self.fmt.num(S[i, j], k) for j in range(S.shape[1])] for i in range(S.shape[0])], k)
        return self.fmt.matrix([[r"-\infty" if self.masked(i, j) else c for j, c in enumerate(row)]
                                for i, row in enumerate(cells)])

    def exp_cells(self):
        """e^{S_ij} for every entry a row attends to, 0 where the mask removes it."""
        S = np.asarray(self.t.dec("scores"), dtype=object)
        k = self._kind("scores")
        return self.fmt.matrix([["0" if self.masked(i, j) else f"e^{{{self.fmt.num(S[i, j], k)}}}"
                                 for j in range(S.shape[1])] for i in range(S.shape[0])])

    def softmax_backward_cell(self, i, j):
        """Entry (i, j) of ∂L/∂S written out: A_ij · (∂L/∂A_ij − r_i)."""
        a, d = self.t.dec("weights")[i][j], self.t.dec("dA")[i][j]
        r = self.t.dec("rowdot")[i]
        ka, kd, kr = self._kind("weights"), self._kind("dA"), self._kind("rowdot")
        return f"{self.fmt.factor(a, ka)} \\cdot ({self.fmt.num(d, kd)} - {self.fmt.factor(r, kr)})"

    def softmax_backward_cells(self, i):
        """Row i of ∂L/∂S written out, as a row vector."""
        return self.fmt.matrix([[self.softmax_backward_cell(i, j) for j in range(len(self.t.dec("weights")[i]))]])
