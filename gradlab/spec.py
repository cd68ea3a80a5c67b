"""The sizes a New Network is asked for, read from what was typed and checked against the cost model.

``read_sizes`` turns the texts of the New Network dialog into a batch size and
layer widths, or says in one sentence what to change: a field that is empty,
not a whole number, less than 1, or a network too large (more cells than the
grids can show, or beyond ``gradlab.cost``'s limits).  Each hidden layer has an
activation after it, as the dialog builds them.
"""

from __future__ import annotations

import re

from gradlab.cost import Cost, estimate

MAX_GRID_CELLS = 10_000_000  # every value and gradient the sheet shows; far beyond what a person reads


def _whole(text: str, what: str) -> int:
    text = text.strip()
    if not text:
        raise ValueError(f"Type {what}.")
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f"{what[0].upper()}{what[1:]} must be a whole number, like 4, not “{text[:20]}”.")
    if len(text.lstrip("+-")) > 12:
        raise ValueError(f"{what[0].upper()}{what[1:]} is far too large: it has {len(text.lstrip('+-'))} digits.")
    value = int(text)
    if value < 1:
        raise ValueError(f"{what[0].upper()}{what[1:]} must be at least 1, not {value}.")
    return value


def network_cost(batch: int, widths: list[int], loss: str, dtype: str = "float64") -> Cost:
    """The cost of the network the dialog builds: a linear layer per width after the first, and an
    activation after each hidden one (its kind does not change the cost)."""
    plan: list[int | str] = []
    for width in widths[1:-1]:
        plan += [width, "relu"]
    return estimate(batch, widths[0], [*plan, widths[-1]], loss, dtype)


def grid_cells(batch: int, widths: list[int], loss: str) -> int:
    """Every cell the sheet shows: x, the parameters and each layer's outputs with their gradients, and y."""
    return network_cost(batch, widths, loss).cells


def read_sizes(batch: str, inputs: str, hidden: str, outputs: str, loss: str) -> tuple[int, list[int]]:
    """The batch size and the layer widths (inputs first) the texts ask for, or ``ValueError`` with one sentence."""
    rows = _whole(batch, "the batch size")
    widths = [_whole(inputs, "the number of inputs")]
    hidden = hidden.strip(" \t,;")  # "8, 8," while typing the next width
    for k, part in enumerate(re.split(r"[\s,;]+", hidden) if hidden else [], start=1):
        widths.append(_whole(part, f"the width of hidden layer {k}"))
    widths.append(_whole(outputs, "the number of outputs"))
    if loss == "cross_entropy" and widths[-1] < 2:
        raise ValueError("cross_entropy needs at least 2 outputs, one per class.")
    cost = network_cost(rows, widths, loss)
    if cost.cells > MAX_GRID_CELLS:
        raise ValueError(f"That network would have {cost.cells:,} cells in its grids, more than the {MAX_GRID_CELLS:,} "
                         "GradLab can show; make it smaller.")
    if problem := cost.problem():
        raise ValueError(f"{problem[0].upper()}{problem[1:]}.")
    return rows, widths
