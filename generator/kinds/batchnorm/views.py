"""The batch-normalization templates' view: one feature (a row of the batch) at a time."""

from __future__ import annotations

from ...view import View as BaseView


class View(BaseView):

    def diff(self, i, j):
        """x_ij − μ_i written out."""
        x, mu = self.t.dec("input")[i][j], self.t.dec("mean")[i]
        return f"{self.fmt.num(x)} - {self.fmt.factor(mu, self._kind('mean'))}"

    def diffs(self, i, square=False):
        """x_ij − μ_i for every sample j (squared in parentheses with ``square``), as terms or cells."""
        x, mu = self.t.dec("input")[i], self.t.dec("mean")[i]
        cells = [f"{self.fmt.num(v)} - {self.fmt.factor(mu, self._kind('mean'))}" for v in x]
        if square:
            return " + ".join(f"{{({c})^{{2}}}}" for c in cells)
        return self.fmt.matrix([cells])
