"""The RNN templates' view: each step's sums written out, and the gradients as sums over the steps."""

from __future__ import annotations

from ...view import View as BaseView


class View(BaseView):

    def hname(self, pre, t):
        """The trace name of h_t in pass ``pre`` (h_0 is given)."""
        return "h0" if t == 0 else f"{pre}.h{t}"

    def outer_entries(self, dnames, vnames):
        """Entry (i, j) of Σ_t d_t v_tᵀ written out as its sum over the steps: [(i, j, text), …]."""
        D = [self._vec(n) for n in dnames]
        V = [self._vec(n) for n in vnames]
        dk = self._kind(dnames[0])
        return [(i, j, " + ".join(f"{{{self.fmt.factor(d[i], dk)} \\cdot {self.fmt.factor(v[j], self._kind(vn))}}}"
                                  for d, v, vn in zip(D, V, vnames)))
                for i in range(len(D[0])) for j in range(len(V[0]))]

    def outer_sum(self, dnames, vnames):
        """Σ_t d_t v_tᵀ as a matrix whose entry (i, j) is the sum over the steps written out."""
        entries = self.outer_entries(dnames, vnames)
        cols = len(self._vec(vnames[0]))
        cells = [[text for _, _, text in entries[r:r + cols]] for r in range(0, len(entries), cols)]
        return self.fmt.matrix(cells) if len(entries) > 1 else entries[0][2]

    def vsum(self, names):
        """v_1 + v_2 + … of columns."""
        return " + ".join(self.mf(n) for n in names)
