"""Where a cell sits in the network's structure: which batch row, input, layer, unit or output it stands for.

The Network menu acts where the selected cell is (a cell of x stands for a batch
row and an input, a cell of w1 for an input and a unit of layer 1, a cell of
out or y for a batch row and an output), so the reshape to apply follows from
``locate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.layers import Linear
from gradlab.network import Network


@dataclass(frozen=True)
class Position:
    """What a cell stands for in the network's structure; None where it stands for nothing of that kind."""

    row: int | None = None  # a batch row: a row of x, y and every layer's output
    input: int | None = None  # a column of x, a row of w1
    layer: int | None = None  # the linear layer whose parameters or output hold the cell; 0 for x
    unit: int | None = None  # a unit of that layer, when it is a hidden layer
    output: int | None = None  # a column of the last layer's parameters, of out and of y
    linear_layers: int = 0


def locate(net: Network, name: str, cell: tuple[int, ...]) -> Position:
    """What the cell ``name[cell]`` (a value or a ``.g``) stands for in ``net``."""
    base = name.removesuffix(".g")
    linear = [isinstance(layer, Linear) for layer in net.layers]
    n_linear = sum(linear)
    if base == "x":
        return Position(row=cell[0], input=cell[1], layer=0, linear_layers=n_linear)
    if base == "y":
        return Position(row=cell[0], output=cell[1] if len(cell) == 2 else None, linear_layers=n_linear)
    row = inp = None
    if base in net.parameters():
        layer, column = int(base[1:]), cell[-1]  # w: its column is a unit; b: its entry is
        if base.startswith("w") and layer == 1:
            inp = cell[0]
    else:  # an activation or out: the units of the last linear layer before it
        position = net.activations().index(base)
        layer, row, column = sum(linear[:position + 1]), cell[0], cell[1]
        if layer == 0:  # an activation straight after x keeps x's columns
            inp = column
    return Position(row, inp, layer, column if 1 <= layer < n_linear else None,
                    column if layer == n_linear else None, n_linear)
