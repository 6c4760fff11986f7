"""One update of an optimizer applied to given gradients (the exercise "the parameters are W = …, b = …,
their gradients ∂L/∂W = …, ∂L/∂b = …; apply one Adam step, t = 3, m = …, v = … given"): named
parameters, their gradients, a learning rate and an optimizer exactly as a network takes it (every
optimizer and setting, ``epsilon_placement``, ``state:``), optionally several steps with the same
gradients.  The solution writes every state variable and the update entry by entry, with the
network's own lines (``kinds.optimizers``, ``ops.optimizers``, ``optimizer_lines.tex.j2``)."""
