"""The notation of an optimizer exercise: each parameter by its own symbol (W, b, W_{xh}, γ), its
state variables as a network's (m_W, v_W, \\hat{m}_W …, ``kinds.optimizers.notation``), the value
after an update primed (W′); an entry of a matrix by its row and column, W_{12}."""

from __future__ import annotations

import re

import numpy as np

from ...view import View as BaseView
from .. import optimizers
from ..optimizers import NotationForm as _Form
from ..common import Packed
from .schema import symbol


def _index(indices) -> str:
    """The 1-based index of an entry as written: 12 for row 1, column 2 (2,10 where an index has
    two digits, ":" for a whole row)."""
    parts = [str(i) for i in indices]
    return "".join(parts) if all(p.isdigit() and len(p) == 1 for p in parts) else ",".join(parts)


def entry(whole: str, indices) -> str:
    """Entry ``indices`` of a value written ``whole``: W_{12}, or (m_{W})_{12} where it has a subscript
    or a prime already."""
    plain = re.fullmatch(r"(\\mathrm\{[A-Za-z]+\}|\\[A-Za-z]+|[A-Za-z])(\^\{\\prime\})?", whole)
    return f"{whole}_{{{_index(indices)}}}" if plain else rf"\left({whole}\right)_{{{_index(indices)}}}"


def param(base: str):
    """The (whole, entry) forms of a value of parameter P from ``base`` (``@`` for P's symbol)."""
    def whole(P):
        return base.replace("@", symbol(P))
    return _Form(lambda P: whole(P)), _Form(lambda *ix, P: entry(whole(P), ix))


def notation(model) -> dict:
    """The symbols of the steps, by the note the engine declared on each: the update's lines (the
    network's, ``kinds.optimizers.notation``), the updated value P′ and the final one."""
    return {**optimizers.notation(model.optimizer, param),
            "param": param(r"@^{\prime}"), "final": param("@")}


class View(optimizers.OptimizerView, Packed, BaseView):

    @property
    def NOTATION(self):                # noqa: N802 — the base view's name for it
        if getattr(self, "_notation", None) is None:
            self._notation = notation(self.model)
        return self._notation

    def setting_groups(self):
        """The settings the numbers depend on, one list per item of "Given values"."""
        from .schema import setting_groups
        return setting_groups(self.model)

    @staticmethod
    def symbol(P: str) -> str:
        return symbol(P)

    def given(self):
        """(parameter's symbol, its trace name, its gradient's) of every parameter, in order."""
        return [(symbol(P), f"init.{P}", f"grad.{P}") for P in self.model.names]

    # --- the words of the pages ---

    @property
    def _counted(self) -> bool:
        """Whether the optimizer counts its steps (Adam, AdamW, NAdam: t in the bias corrections)."""
        return "step" in optimizers.OPTIMIZER_STATE_KEYS.get(self.model.optimizer.name, ())

    @property
    def heading(self) -> str:
        """The section's heading without a title: "One step of Adam", "3 steps of RMSProp"."""
        n = self.model.steps
        return ("One step" if n == 1 else f"{n} steps") + f" of {self.optimizer_name}"

    @property
    def which(self) -> str:
        """The parameters as the update rule names them: "here $W$", "each of $W$ and $b$"."""
        names = [f"${symbol(P)}$" for P in self.model.names]
        if len(names) == 1:
            return "here " + names[0]
        return "each of " + ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def task(self) -> str:
        """What the question sheet asks."""
        m = self.model
        n = "one step" if m.steps == 1 else f"{m.steps} steps, each with the same gradients,"
        state = self.optimizer_state
        writing = f", writing down every state variable — {state} — entry by entry" if state else ", entry by entry"
        asked = "the updated parameter" if len(m.names) == 1 else "the updated parameters"
        if state:
            asked += " and the state the next step would start from" + (
                f", after step $t = {self.last_step}$" if self._counted else "")
        return (f"Apply {n} of {self.optimizer_name} to "
                f"{'the parameter' if len(m.names) == 1 else 'every parameter'}{writing}. Give {asked}.")

    def step_words(self, k: int) -> str:
        """" (step t = 4)" after the heading of update k, where the optimizer counts its steps."""
        return f" (step $t = {self.model.optimizer.step + k}$)" if self._counted else ""

    @property
    def result_words(self) -> str:
        n = self.model.steps
        after = "After the update" if n == 1 else f"After the {n} updates"
        return after + (f" (step $t = {self.last_step}$)" if self._counted else "") + \
            (", the parameter is" if len(self.model.names) == 1 else ", the parameters are")

    @property
    def state_words(self) -> str:
        return ("and the state the next step would start from" +
                (f" (with $t = {self.last_step}$)" if self._counted else "") + " is")

    def stated(self, name: str, whole: str | None = None) -> list[str]:
        """Step ``name`` stated as its value for the summary (``whole``: its symbol, else its
        notation's): in one piece where it fits the line, else a matrix in blocks of as many
        columns as fit ((m_U)_{:,1:4}, (m_U)_{:,5:8}), else entry by entry."""
        from ...ops.latex import symbol as notation_symbol
        whole = whole or notation_symbol(self, name)
        one = self.state(name, whole)
        value = np.asarray(self.t.dec(name), dtype=object)
        if self.fits(one) or value.ndim != 2:
            return [one]
        n = value.shape[1]
        for most in range(n - 1, 0, -1):             # the widest blocks of columns that fit, as even as can be
            width = -(-n // -(-n // most))
            spans = [(a, min(a + width, n)) for a in range(0, n, width)]      # columns a+1 … b
            blocks = [self.state(name, entry(whole, ("{:}", f"{a + 1}{{:}}{b}" if b > a + 1 else a + 1)),
                                 at=(slice(None), slice(a, b))) for a, b in spans]
            if all(self.fits(block) for block in blocks):
                return blocks
        return [self.state(name, entry(whole, [i + 1 for i in at]), at=at) for at in np.ndindex(value.shape)]

    def results(self) -> list[str]:
        """Each parameter after the last update, stated: W′ = …"""
        return [piece for P in self.model.names for piece in self.stated(f"final.{P}", symbol(P) + r"^{\prime}")]

    def final_state(self) -> list[str]:
        """The trace names of every state variable after the last update, parameter by parameter
        (``answers.state``): what the next step would go on from."""
        from .answers import state
        return state(self.model)

    def final_states(self) -> list[str]:
        """Each state variable after the last update, stated: m_W = …"""
        return [piece for name in self.final_state() for piece in self.stated(name)]

    @property
    def last_step(self) -> int:
        """The optimizer's step counter t after the last update."""
        return self.model.optimizer.step + self.model.steps
