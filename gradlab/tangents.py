"""How fast a nudge of a cell moves the network's curved parts: forward-mode tangents of many cells at once.

A difference quotient is close to the derivative only while the step is small
against the scale on which the loss bends.  Linear layers do not bend; a ReLU is
straight on either side of its kink (a nudge that crosses it is reported as a
kink); mse and half_sse are parabolas, which the central difference gets
exactly.  What bends is a sigmoid or a tanh, over about one unit of its input,
and the softmax of cross_entropy, over about one unit of a logit.

Every slope here is read off the forward functions alone (``slopes``,
``loss_slope``), never off the backward formulas: the check that judges those
formulas must not lean on them to choose its steps or its bounds.

``reach`` gives, for each cell, the fastest any of those inputs moves per
unit the cell moves, |d input / d cell|, carried forward layer by layer the way
``influence`` carries one cell's tangent (a step of h moves them by about h
times that rate); and how far the cell can move before some ReLU's input
reaches 0, where the loss has a corner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab import losses
from gradlab.layers import Linear
from gradlab.network import Network, Pass

CHUNK_ELEMENTS = 2**20  # numbers a chunk of probes or tangents holds at once: a few MB, which stay in cache



@dataclass(frozen=True, eq=False)
class Reach:
    rate: np.ndarray  # per cell: the largest |dz/dθ| over the inputs z of sigmoids, tanhs and the softmax (0: none)
    room: np.ndarray  # per cell: the smallest |z| / |dz/dθ| over the inputs z of ReLUs it moves (inf: none)


def slopes(net: Network, p: Pass) -> dict[str, np.ndarray]:
    """d out / d inp of every activation, cell by cell (keyed by the output's name), from its forward function.

    A central difference in the network's dtype: exactly 0 where the function
    is flat there in that dtype (a ReLU that is off, a sigmoid saturated to 0
    or 1).  A ReLU is straight on each side of 0, so its difference stays on
    the input's own side and is exact.
    """
    found = {}
    with np.errstate(all="ignore"):
        for layer, wire in net.named_layers():
            if isinstance(layer, Linear):
                continue
            z = p.values[wire.inp]
            if layer.kinked:
                d = np.where(z != 0, np.abs(z) / 2, 1).astype(z.dtype)
            else:
                d = (np.cbrt(np.finfo(z.dtype).eps) * np.maximum(np.abs(z), 1)).astype(z.dtype)  # round-off balanced
            found[wire.out] = np.nan_to_num((layer.forward(z + d) - layer.forward(z - d)).astype(float) / (2 * d))
    return found


def loss_slope(net: Network, p: Pass) -> np.ndarray:
    """dL / d out, cell by cell, from the loss's forward function: a complex step, Im L(out + ih) / h, which
    subtracts nothing and so loses nothing however small the slope."""
    out = p.values["out"].astype(float)
    batch, n_out = out.shape
    h = 1e-20
    step = np.zeros((n_out, batch, n_out), complex)
    step[np.arange(n_out), :, np.arange(n_out)] = 1j * h  # column j of every row at once
    y = net.y if net.loss == "cross_entropy" else net.y.astype(float)
    with np.errstate(all="ignore"):
        rows = losses.loss_rows(net.loss, out[None] + step, y)  # n_out × batch
        n = losses.divisor(net.loss, out.shape, net.reduction).n
        return np.nan_to_num(rows.imag.T / h / n)


def footprint(net: Network, p: Pass, name: str) -> int:
    """The most numbers a change of one cell of ``name`` occupies at once on its way to the loss: what a nudge's
    patch holds (``finite_diff``) and what a tangent here does, by which the cells are taken in chunks.

    A change of ``x[b,i]`` moves row b alone, one layer's width at a time; a change of ``w1[i,j]`` moves
    column j of every row until the next linear layer spreads it over that layer's width."""
    layers = net.named_layers()
    computed = net.activations()
    if name == "x" or name in computed:
        rows, first, width = 1, 0 if name == "x" else computed.index(name) + 1, p.values[name].shape[1]
    else:
        found = [k for k, (_, wire) in enumerate(layers) if name in (wire.w, wire.b)]
        if not found:
            raise KeyError(f"the network has no tensor named {name!r} to nudge")
        rows, first, width = max(net.batch, 1), found[0] + 1, 1
    widest = max(width, p.values["out"].shape[1])  # the loss reads whole rows of out
    for layer, wire in layers[first:]:
        if isinstance(layer, Linear):
            width = p.values[wire.out].shape[1]
        widest = max(widest, width)
    return rows * max(widest, 1)


def reach(net: Network, p: Pass, name: str, cells: np.ndarray, local: dict[str, np.ndarray] | None = None) -> Reach:
    """How fast each cell moves the curved parts downstream, and how far it can move before a ReLU switches.

    Until the first linear layer after it, a cell moves one column (of one row, or of every row), so
    its tangent is kept as that column; the layer's product with it, the rest being 0, is the column
    times a row of ``w``.  Layers past the last one that reads the tangent are not crossed.  ``local`` is
    ``slopes(net, p)`` when it is at hand."""
    cells = np.asarray(cells, np.intp).reshape(len(cells), -1)
    layers = net.named_layers()
    local = slopes(net, p) if local is None else local
    chunk = max(1, CHUNK_ELEMENTS // footprint(net, p, name))  # a KeyError for a name that is not a tensor
    reads = [k + 1 for k, (layer, _) in enumerate(layers) if not isinstance(layer, Linear)]
    last = len(layers) if net.loss == "cross_entropy" else max(reads, default=0)  # past it, nothing reads the tangent
    rates, room = np.zeros(len(cells)), np.full(len(cells), np.inf)
    with np.errstate(all="ignore"):
        for start in range(0, len(cells), chunk):
            part = cells[start:start + chunk]
            rows, one, tangent, after = _start(net, p, name, part)
            cols: np.ndarray | None = one  # None once a linear layer has spread the tangent over every column
            fastest, nearest = np.zeros(len(part)), np.full(len(part), np.inf)
            for layer, wire in layers[after:last]:
                if isinstance(layer, Linear):
                    if cols is None:
                        tangent = tangent @ layer.w
                    else:  # one column: its product with w is the column times that row of w
                        tangent, cols = tangent * layer.w[cols][:, None, :], None
                    continue
                if not layer.kinked:  # a curved activation: how fast its input moves
                    fastest = np.maximum(fastest, np.abs(tangent).max(axis=(1, 2), initial=0))
                else:  # a ReLU: how far until an input it moves reaches 0
                    z = _at(p.values[wire.inp], rows, cols)
                    distance = np.where(tangent != 0, np.abs(z) / np.abs(tangent), np.inf)
                    nearest = np.minimum(nearest, distance.min(axis=(1, 2), initial=np.inf))
                tangent = tangent * _at(local[wire.out], rows, cols)
            if net.loss == "cross_entropy":
                fastest = np.maximum(fastest, np.abs(tangent).max(axis=(1, 2), initial=0))
            rates[start:start + len(part)] = np.nan_to_num(fastest, nan=np.inf)
            room[start:start + len(part)] = np.nan_to_num(nearest, nan=0.0)
    return Reach(rates, room)


def _at(a: np.ndarray, rows: np.ndarray | None, cols: np.ndarray | None) -> np.ndarray:
    """The cells of ``a`` a tangent covers: every row or one row per cell, every column or one per cell."""
    if cols is None:
        return a[None] if rows is None else a[rows]
    if rows is None:
        return a[:, cols].T[:, :, None]
    return a[rows[:, 0], cols][:, None, None]


def _start(
    net: Network, p: Pass, name: str, cells: np.ndarray,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, int]:
    """The tangent where the nudge first lands: which rows it spans (None: all), the one column it moves in
    each, its values there, and the next layer."""
    layers = net.named_layers()
    if name == "x" or name in net.activations():  # x[b,i] (or a probe of l1[b,i]) moves cell i of row b alone
        after = 0 if name == "x" else net.activations().index(name) + 1
        return cells[:, :1], cells[:, 1], np.ones((len(cells), 1, 1)), after
    k = next(k for k, (_, wire) in enumerate(layers) if name in (wire.w, wire.b))
    wire = layers[k][1]
    if name == wire.w:  # w[i,j] moves column j of the output by inp[:, i]
        tangent = p.values[wire.inp][:, cells[:, 0]].T[:, :, None].astype(float)
    else:  # b[j] moves column j by 1
        tangent = np.ones((len(cells), net.batch, 1))
    return None, cells[:, -1], tangent, k + 1
