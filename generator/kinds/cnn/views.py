"""The CNN templates' view: each output of the convolution as its products, the pooling windows,
the flatten order, the routing back through the pooling and each kernel gradient as its sum."""

from __future__ import annotations

import numpy as np

from ...view import View as BaseView


class View(BaseView):

    def kernel(self, name, k, c):
        """Channel c of kernel k of a kernel-shaped value, as a matrix."""
        v = np.asarray(self.t.dec(name), dtype=object)
        return self.fmt.mat(v[k, c] if v.ndim == 4 else v[k], self._kind(name))

    def _kval(self, name):
        v = np.asarray(self.t.dec(name), dtype=object)
        return v if v.ndim == 4 else v[:, None]

    def map(self, name, k):
        """Map k of a K × h × w value, as a matrix."""
        return self.fmt.mat(np.asarray(self.t.dec(name), dtype=object)[k], self._kind(name))

    def padded(self):
        """The input with its zero padding, channel by channel: [(c, matrix)]."""
        return [(c, self.fmt.matrix([[self.fmt.num(v) for v in row] for row in grid]))
                for c, grid in enumerate(self._xp())]

    def _xp(self):
        """The padded input, channels first (recorded by the engine)."""
        return np.asarray(self.t.dec("padded_input"), dtype=object)

    def conv_terms(self, kname, bname, k, i, j):
        """Output (k, i, j) of the convolution written out: {x · w} + … (+ b_k)."""
        xp, w = self._xp(), self._kval(kname)
        s = self.model.stride
        _, C, kh, kw = w.shape
        kk = self._kind(kname)
        terms = [f"{{{self.fmt.factor(xp[c, i * s + a, j * s + b])} \\cdot {self.fmt.factor(w[k, c, a, b], kk)}}}"
                 for c in range(C) for a in range(kh) for b in range(kw)]
        if bname:
            terms.append(self.fmt.factor(np.asarray(self.t.dec(bname), dtype=object)[k], self._kind(bname)))
        return " + ".join(terms)

    def windows(self, pre):
        """The pooling windows of pass ``pre``: [(k, i, j, matrix of the window, (r, c) of the max)]."""
        a = np.asarray(self.t.dec(f"{pre}.act"), dtype=object)
        (wh, ww), s = self.model.pool_window, self.model.pool_stride
        K, ph, pw = self.model.pool_shape
        arg = self.info.get(f"{pre}.argmax")
        out = []
        for k in range(K):
            for i in range(ph):
                for j in range(pw):
                    win = a[k, i * s:i * s + wh, j * s:j * s + ww]
                    out.append((k, i, j, self.fmt.mat(win, self._kind(f"{pre}.act")),
                                arg[k][i][j] if arg else None))
        return out

    def window_terms(self, pre, k, i, j):
        a = np.asarray(self.t.dec(f"{pre}.act"), dtype=object)
        (wh, ww), s = self.model.pool_window, self.model.pool_stride
        return self.fmt.terms(a[k, i * s:i * s + wh, j * s:j * s + ww].ravel(), self._kind(f"{pre}.act"))

    def kgrad_terms(self, pre, k, c, a, b):
        """Entry (k, c, a, b) of ∂L/∂w written out: Σ_ij ∂L/∂z_kij · x_pad[c, i s + a, j s + b]."""
        dz = np.asarray(self.t.dec(f"{pre}.dconv"), dtype=object)
        xp, s = self._xp(), self.model.stride
        _, oh, ow = dz.shape
        kd = self._kind(f"{pre}.dconv")
        return " + ".join(f"{{{self.fmt.factor(dz[k, i, j], kd)} \\cdot {self.fmt.factor(xp[c, i * s + a, j * s + b])}}}"
                          for i in range(oh) for j in range(ow))

    def kfit(self, pre, k, c, a, b):
        """This view, or one printing ∂L/∂z with more digits: what the line of kernel entry
        (k, c, a, b) needs to follow from its printed terms (generator.operands)."""
        from ...operands import extra_digits
        dz = np.asarray(self.t.dec(f"{pre}.dconv"), dtype=object)
        xp, s = self._xp(), self.model.stride
        _, oh, ow = dz.shape
        pairs = [(dz[k, i, j], xp[c, i * s + a, j * s + b]) for i in range(oh) for j in range(ow)]
        name = f"{pre}.dkernels"
        kind = self._kind(name)
        e = extra_digits(self.fmt.policy, "sum(a*b)", self._kval(name)[k, c, a, b],
                         None if kind is None else self.fmt.policy.precision(kind),
                         [(np.array([d for d, _ in pairs], dtype=object), self._kind(f"{pre}.dconv")),
                          (np.array([x for _, x in pairs], dtype=object), None)])
        return self.finer(e)

    def cfit(self, kname, bname, k, i, j, result):
        """This view, or one printing the kernel (and bias) with more digits: what the line of
        output (k, i, j) of the convolution needs to follow from its printed terms."""
        from ...operands import extra_digits
        xp, w = self._xp(), self._kval(kname)
        s = self.model.stride
        _, C, kh, kw = w.shape
        idx = [(c, a, b) for c in range(C) for a in range(kh) for b in range(kw)]
        bias = np.asarray(self.t.dec(bname), dtype=object)[k] if bname else 0
        kind = self._kind(result)
        e = extra_digits(self.fmt.policy, "sum(a*b)+c", np.asarray(self.t.dec(result), dtype=object)[k, i, j],
                         None if kind is None else self.fmt.policy.precision(kind),
                         [(np.array([xp[c, i * s + a, j * s + b] for c, a, b in idx], dtype=object), None),
                          (np.array([w[k, c, a, b] for c, a, b in idx], dtype=object), self._kind(kname)),
                          (bias, self._kind(bname) if bname else None)])
        return self.finer(e)

    def kidx(self, k, c, a, b):
        """The index of a kernel entry as the trace stores it (no channel index for one channel)."""
        return (k, c, a, b) if self.model.channels_given else (k, a, b)

    def flat_labels(self):
        """The flatten order: p_{k,i,j} for every entry, map by map, row by row."""
        K, h, w = self.model.pool_shape
        sym = "p" if self.model.pool_mode else "a"
        return [f"{sym}^{{({k + 1})}}_{{{i + 1}{j + 1}}}" for k in range(K) for i in range(h) for j in range(w)]

    def unflat(self, pre, k):
        """Map k of ∂L/∂(flattened values), folded back into the pooled shape."""
        v = np.asarray(self.t.dec(f"{pre}.dflat"), dtype=object).reshape(self.model.pool_shape)
        return self.fmt.mat(v[k], self._kind(f"{pre}.dflat"))

    def kn(self, name, k, c, a, b):
        """Entry (k, c, a, b) of a kernel-shaped value."""
        return self.fmt.num(self._kval(name)[k, c, a, b], self._kind(name))

    def krel(self, name, k, c, a, b, *operands):
        """The relation of entry (k, c, a, b) of a kernel-shaped value computed from ``operands``."""
        return self.rel_at(name, self.kidx(k, c, a, b), *operands)

    def map_terms(self, name, k):
        """The entries of map k as a sum, row by row."""
        return self.fmt.terms(np.asarray(self.t.dec(name), dtype=object)[k].ravel(), self._kind(name))

    def parameter_names(self):
        from .engine import parameter_names
        return parameter_names(self.model)
