"""What several kinds share: the view of the grid kinds; the answer groups and key answers of the
kinds fed an upstream gradient (conv, pool, attention, the normalizations: the output and the
gradients ``grad.<input>``, no loss and no training) and of the trained kinds (the losses of the
passes ``it<k>`` and ``final``, the final parameters), each built from what the kind declares (its
model, its parameters); the labels of a trained kind's values in its own notation; and what the
trained kinds share for an exercise that stops early (``stop_after``: its value, the settings it
refuses, its answer groups)."""

from __future__ import annotations

from ..view import View


class GridView(View):
    """The view of the kinds whose values are grids (convolution, pooling, the CNN)."""

    @property
    def channels(self) -> bool:
        """Whether the input has several channels (C × H × W, C > 1): an entry then names its channel."""
        return len(self.model.input.shape) == 3 and self.model.input.shape[0] > 1


#: Where an exercise of a trained kind may stop (``stop_after``): after the forward pass (and its
#: loss, where it has one), or after the gradients; absent, it trains (``iterations`` updates and a
#: final pass).  The network kind's word for word.
STOPS = ("forward", "gradients")
#: What an exercise that stops before the update does not take (cnn, rnn, lstm, gru).
TRAINING_ONLY = ("learning_rate", "iterations")


def stop_after(value, field: str) -> str | None:
    """The ``stop_after`` of the part ``value`` (a mapping not yet checked): "forward",
    "gradients", or None (absent or null: the exercise trains).  Read before the part's required
    keys, which depend on it."""
    from ..validate import choice, join
    if isinstance(value, dict) and value.get("stop_after") is not None:
        return choice(value["stop_after"], join(field, "stop_after"), STOPS)
    return None


def refuse_training(m: dict, field: str, stop: str | None, keys=TRAINING_ONLY) -> None:
    """A one-line SpecError naming the first of ``keys`` that the part ``m`` gives although it
    stops before the update (``stop``), as the network kind words it."""
    from ..errors import SpecError
    from ..validate import join
    for key in keys if stop else ():
        if key in m:
            raise SpecError(f"an exercise that stops after the {'forward pass' if stop == 'forward' else 'gradients'} "
                            f"(stop_after: {stop}) makes no update and takes no {key}; remove it",
                            field=join(field, key))


def stopped_groups(model, outputs, gradients) -> dict[str, list[str]]:
    """The answer groups of an exercise that stops (``model.stop_after``): its one pass's
    ``outputs`` and loss (``it1.loss``, where ``model.loss`` is given), and after the gradients
    its ``gradients`` too; the key asks the loss and the outputs, or the loss and the gradients.
    No parameter is trained, so none is asked."""
    losses = ["it1.loss"] if model.loss is not None else []
    grads = list(gradients) if model.stop_after == "gradients" else []
    return {"key": losses + (grads or list(outputs)), "losses": losses, "parameters": [], "gradients": grads,
            "outputs": list(outputs)}


class Packed:
    """A view's summary lines (mixed into the views of the trained kinds): pieces of display math
    side by side, as many to a line as fit the page."""

    def packed(self, items) -> list[str]:
        """``items`` joined by ``\\eqsep``, in order, into lines that fit (a piece too wide to share
        a line has one of its own)."""
        lines: list[list[str]] = []
        for item in items:
            if lines and self.fits(*lines[-1], item, "xxxx" * len(lines[-1])):
                lines[-1].append(item)
            else:
                lines.append([item])
        return [r" \eqsep ".join(line) for line in lines]


def upstream_groups(model, inputs) -> dict[str, list[str]]:
    """The answer groups of a kind fed an upstream gradient: its output and, where ``model`` gives
    the upstream gradient, the gradient ``grad.<x>`` of each of ``inputs`` (those the model has, in
    the order computed)."""
    grads = [f"grad.{x}" for x in inputs] if model.upstream is not None else []
    return {"key": ["output"] + grads, "losses": [], "parameters": [], "gradients": grads,
            "outputs": ["output"]}


def upstream_is_key(inputs):
    """The ``is_key`` of a kind fed an upstream gradient whose gradients are those of ``inputs``
    (every one the kind may compute): its output and those gradients."""
    keys = frozenset(["output"] + [f"grad.{x}" for x in inputs])
    return keys.__contains__


def trained_is_key(name: str, is_parameter) -> bool:
    """Whether ``name`` is a key answer of a trained kind: the loss of a pass (``it<k>.loss``,
    ``final.loss``) or a trained parameter after training (``final.<p>``, ``is_parameter(p)``)."""
    from ..labels import split_stage
    found = split_stage(name)
    if found is None:
        return False
    stage, rest = found
    return rest == "loss" or (stage == "final" and is_parameter(rest))


def recurrent_groups(model, parameters) -> dict[str, list[str]]:
    """The answer groups of a recurrent cell trained on its last hidden state (GRU, LSTM): the loss
    of every iteration and of the final parameters, the final ``parameters``, every iteration's
    gradients and the hidden states of the first forward pass; built from the model alone.  An
    exercise that stops (``stop_after``): ``stopped_groups`` of those hidden states and gradients."""
    if model.stop_after is not None:
        return stopped_groups(model, [f"it1.t{t}.h" for t in range(1, model.steps + 1)],
                              [f"it1.grad.{name}" for name in parameters])
    iterations = range(1, model.iterations + 1)
    losses = [f"it{k}.loss" for k in iterations] + ["final.loss"]
    params = [f"final.{name}" for name in parameters]
    return {"key": losses + params, "losses": losses, "parameters": params,
            "gradients": [f"it{k}.grad.{name}" for k in iterations for name in parameters],
            "outputs": [f"it1.t{t}.h" for t in range(1, model.steps + 1)]}


def recurrent_is_key(name: str, parameters) -> bool:
    """Whether ``name`` is a key answer of a recurrent cell: a loss (``it<k>.loss``, ``final.loss``)
    or a final parameter (``final.<p>``, p one of ``parameters``)."""
    return trained_is_key(name, parameters.__contains__)


def recurrent_given(model, p, states, parameters) -> list[tuple[str, object]]:
    """The data of a recurrent-cell exercise, as a question states it: the inputs, the initial
    ``states`` ((label, trace name) pairs), the initial parameters, the target and the loss (where
    the exercise has them: a forward pass alone may have neither) and the training (none where it
    stops before the update, ``stop_after``)."""
    rows = [("inputs x_1 … x_T (one per row)", p.dec("inputs"))] + [(label, p.dec(n)) for label, n in states]
    rows += [(name, p.dec(f"init.{name}")) for name in parameters]
    if model.loss is not None:
        rows += [("target y of h_T", p.dec("target")), ("loss", model.loss)]
    if model.stop_after is None:
        rows += [("learning rate", model.learning_rate), ("iterations", model.iterations)]
    return rows


def recurrent_answers(parameters, states):
    """``groups``, ``is_key`` and ``given`` of a recurrent cell's ``answers`` module (GRU, LSTM),
    from its ``parameters`` and its initial ``states`` ((label, trace name) pairs)."""
    def groups(model, p) -> dict[str, list[str]]:
        return recurrent_groups(model, parameters)

    def is_key(name: str) -> bool:
        return recurrent_is_key(name, parameters)

    def given(model, p) -> list[tuple[str, object]]:
        return recurrent_given(model, p, states, parameters)
    return groups, is_key, given


def notation_label(name: str, index, tex: bool, notation: dict, note) -> str | None:
    """The symbol of trace value ``name`` (entry ``index``) of a trained kind in its own notation
    table (a ``View.NOTATION``), with where it stands: ``note(stage, rest)`` gives the notation key,
    its parameters and whether it is a trained parameter, for ``<stage>.<rest>`` (stage ``it<k>`` or
    ``final``), or None (then the generic names of ``labels``); LaTeX only."""
    from ..labels import split_stage, stage_text
    where = split_stage(name)
    if not tex or where is None:
        return None
    stage, rest = where
    found = note(stage, rest)
    if found is None:
        return None
    key, args, trained = found
    whole, entry = notation[key]
    symbol = entry.format(*[int(i) + 1 for i in index], **args) if index else whole.format(**args)
    return symbol + stage_text(stage, trained and stage == "final")
