"""Influence: which downstream cells one cell of ``x``, a ``w`` or a ``b`` moves.

"x[1] appears in f[1], f[2], … f[m]" (``docs/lesson.md``, question 3), for any cell of any network.
A cell *moves* a downstream cell when the Jacobian entry between them is not
zero.  It *reaches* it when some path of the network's wiring connects them;
a reached cell that does not move is *blocked*: a local derivative on every
path is zero, as behind a ReLU that is off.

Both come from one forward-mode pass: the tangent d(tensor)/d(cell), carried
layer by layer with each layer's local derivative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.layers import Linear
from gradlab.network import Network, Pass, forward


@dataclass(frozen=True)
class Influence:
    tangent: np.ndarray  # d tensor / d cell
    reached: np.ndarray  # bool: a path of the wiring connects them

    @property
    def moved(self) -> np.ndarray:
        return self.tangent != 0

    @property
    def blocked(self) -> np.ndarray:
        return self.reached & ~self.moved


def influence(net: Network, name: str, index: tuple[int, ...], p: Pass | None = None) -> dict[str, Influence]:
    """``{"l1": Influence, …, "out": Influence}`` for the cell ``name[index]``, in layer order."""
    p = p if p is not None else forward(net)
    net.tensor(name)[index]  # an IndexError or KeyError for a cell that is not there
    found = {}
    tangent = reached = None
    if name == "x":
        tangent = np.zeros_like(net.x)
        tangent[index] = 1
        reached = tangent != 0
    for layer, wire in net.named_layers():
        out = p.values[wire.out]
        if tangent is not None and isinstance(layer, Linear):
            tangent = tangent @ layer.w
            reached = np.broadcast_to(reached.any(1, keepdims=True), out.shape)
        elif tangent is not None and not isinstance(layer, Linear):
            tangent = layer.local(p.values[wire.inp], out) * tangent
        elif name in (wire.w, wire.b):  # w[i,j] and b[j] start in column j of this layer's output
            j = index[-1]
            tangent = np.zeros_like(out)
            tangent[:, j] = p.values[wire.inp][:, index[0]] if name == wire.w else 1
            reached = np.zeros(out.shape, bool)
            reached[:, j] = True
        if tangent is not None:
            found[wire.out] = Influence(tangent, reached)
    return found
