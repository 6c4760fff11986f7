"""Resource limits: how large a spec may make the work.  Defaults are documented in SECURITY.md;
an operator raises them on purpose with ``dryrun --limit NAME=VALUE`` (never from within a spec)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace

from .errors import DryrunError


@dataclass(frozen=True)
class Limits:
    max_layers: int = 8          # layers of a network
    max_units: int = 32          # units per layer, and inputs
    max_samples: int = 16        # samples in a batch
    max_iterations: int = 20     # gradient-descent iterations
    max_matrix: int = 256        # entries of any matrix a document prints (units × inputs, units × samples)
    max_formula: int = 500       # characters of a formula
    max_depth: int = 40          # nesting of a formula
    max_ops: int = 40            # operations of a formula (a graph beyond this is no hand calculation)
    max_exponent: int = 100      # |n| of a power x^n with a constant n
    max_grid: int = 32           # rows and columns of a convolution or pooling input
    max_parts: int = 20          # exercises in one spec
    max_variants: int = 500      # variants in one homework run
    max_attempts: int = 2000     # draws per variant
    max_seconds: int = 60        # seconds of drawing for one variant (rejection sampling)
    max_tex_bytes: int = 8_000_000   # LaTeX of one document (checked part by part while rendering)
    max_part_terms: int = 200_000    # terms one exercise computes and writes out, estimated from its shapes
    max_terms: int = 250_000         # the same for all exercises of a spec together
    max_input_bytes: int = 1_000_000  # a roster, a responses file
    max_snapshot_bytes: int = 32_000_000  # a snapshot file (values and the LaTeX of its pages, written and read)
    # the sizes of a kind's exercise that keep its pages legible (beyond them, lines per row or entry)
    max_tokens: int = 8          # tokens of a self-attention exercise (rows of X; a row of scores)
    max_token_width: int = 8     # features of a token, and the columns d_k, d_v of W_q, W_k, W_v
    max_rnn_steps: int = 12      # time steps of an RNN
    max_rnn_units: int = 8       # input features, hidden units and outputs of an RNN
    max_norm_features: int = 8   # features (rows) of a batch or layer normalization
    max_norm_samples: int = 8    # samples (columns) of a batch or layer normalization
    max_cell_steps: int = 6      # time steps of an LSTM or GRU cell
    max_cell_units: int = 4      # hidden units and input features of an LSTM or GRU cell (gates written out)
    max_cell_iterations: int = 3  # iterations of an LSTM or GRU (each a whole pass through time and back)
    max_cnn_side: int = 8        # rows and columns of a CNN's input (every map is written out)
    max_cnn_channels: int = 3    # channels of a CNN's input
    max_cnn_kernels: int = 4     # kernels of a CNN's convolution
    max_cnn_flat: int = 12       # values a CNN flattens (a row of its first dense layer's W)
    max_cnn_units: int = 8       # units of a CNN's dense layer

    def with_overrides(self, pairs) -> "Limits":
        """``pairs``: texts NAME=VALUE, e.g. from ``--limit max_units=64``."""
        names = [f.name for f in fields(self)]
        changes = {}
        for text in pairs:
            name, sep, value = str(text).partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in names:
                hint = difflib.get_close_matches(name, names, n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(names)})"
                raise DryrunError(f"--limit {text}: expected NAME=VALUE with a known NAME{more}")
            try:
                number = int(value)
            except ValueError:
                raise DryrunError(f"--limit {text}: the value must be a whole number") from None
            if number < 1:
                raise DryrunError(f"--limit {text}: the value must be at least 1")
            changes[name] = number
        return replace(self, **changes)


def bound(limits: Limits, *names: str) -> tuple[int, str]:
    """The lowest of the limits ``names`` and its name, the first named where several are as low:
    the size a spec may reach, and the limit its message tells the operator to raise."""
    name = min(names, key=lambda n: getattr(limits, n))
    return getattr(limits, name), name


DEFAULT = Limits()
