"""Round-off: how far a computed loss difference or gradient can be from the exact value of its formula.

Every addition and multiplication in floating point rounds its result to a
number the dtype holds, off by at most u = ε_machine / 2 of the result's size
(u ≈ 1.1e-16 in float64, 6e-8 in float32).  Errors add up along the way: a sum
of n terms can be off by about n·u times the sum of the terms' sizes, and an
error in ``l1`` reaches the loss multiplied by how strongly the loss depends on
``l1``.  The bounds here are first-order ones of that kind: sizes read off the
pass itself, times u, times how many roundings there were.

- ``loss``: how far the *difference* of two losses of nudged networks can be
  off.  A nudge recomputes only what moved (``finite_diff``), so the rounding
  common to both cancels; what is left is one or two roundings of every
  recomputed cell, weighted by how much the loss depends on that cell, plus the
  rounding of the loss's own sum, which grows with the loss.
- ``grads``: how far each analytic gradient can be off.  The backward pass adds
  up products along every path from the loss to the cell; the sum of their
  sizes (an *absolute backward pass*, every factor replaced by its size) times u
  times the number of roundings on the longest path bounds its error.  The same
  bound covers the relative rounding of a nudge's own change as it is carried
  through the layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab import losses
from gradlab.layers import Linear
from gradlab.network import Network, Pass
from gradlab.tangents import loss_slope, slopes


@dataclass(frozen=True, eq=False)
class Roundoff:
    unit: float  # u: the largest relative error of one rounding in this dtype
    loss: float  # what a difference of two nudged losses can be off by, apart from the part below
    per_loss: float  # … plus this much per unit of the larger loss (the loss's own sum rounds)
    grads: dict[str, np.ndarray]  # per cell: what the analytic gradient (and a nudge's carried change) can be off by

    def difference(self, largest_loss: float | np.ndarray) -> float | np.ndarray:
        """What L(a) − L(b) can be off by when the larger of |L(a)|, |L(b)| is ``largest_loss``."""
        return self.loss + self.per_loss * np.abs(largest_loss)


def sizes(net: Network, p: Pass, local: dict[str, np.ndarray] | None = None, inputs: bool = True) -> dict[str, np.ndarray]:
    """The absolute backward pass: for every tensor, the sum over paths to the loss of |product of local derivatives|.

    It bounds |∂L/∂t| from above and is 0 exactly where every path is cut by an
    exact zero (a ReLU that is off, a sigmoid saturated to 0 or 1, a weight of 0).
    The slopes come from the forward functions (``gradlab.tangents``), not from the
    backward formulas that the bounds help to judge; ``local`` is ``slopes(net, p)``
    when it is at hand.  Without ``inputs``, only the computed tensors' sizes: no
    ``x``, no ``w`` and no ``b`` (at 50 000 × 784, x's alone is 300 MB of products).
    """
    found = {"out": np.abs(loss_slope(net, p))}
    local = slopes(net, p) if local is None else local
    for layer, wire in reversed(net.named_layers()):
        inp, out_size = p.values[wire.inp], found[wire.out]
        if isinstance(layer, Linear):
            if inputs or wire.inp != "x":
                found[wire.inp] = out_size @ np.abs(layer.w).T
            if inputs:
                found[str(wire.w)] = np.abs(inp).T @ out_size
                found[str(wire.b)] = out_size.sum(0)
        else:
            found[wire.inp] = np.abs(local[wire.out]) * out_size
    return found


def roundoff(net: Network, p: Pass, local: dict[str, np.ndarray] | None = None) -> Roundoff:
    """The round-off bounds of one pass (forward and backward) of ``net``."""
    with np.errstate(all="ignore"):
        size = sizes(net, p, local)
        u, loss, per_loss, path, tiny = _loss_bounds(net, p, size)
        grads = {name: 2 * (path + 2) * u * size[name] + np.where(size[name] > 0, tiny, 0.0) for name in size}
    return Roundoff(u, loss, per_loss, grads)


def cell_roundoff(
    net: Network, p: Pass, name: str, index: tuple[int, ...], local: dict[str, np.ndarray] | None = None,
) -> tuple[Roundoff, float]:
    """What one nudge of ``name[index]`` needs of ``roundoff(net, p)``, without the bounds of every other cell:
    the loss's bounds (``grads`` left empty), and that cell's gradient bound.

    The loss's bounds are those of ``roundoff`` bit for bit.  The cell's size is its own sum worked out alone
    (over the batch for a ``w``, over a row for ``x``), the same sum as in the whole product, added up in
    another order: it can differ from ``roundoff(net, p).grads[name][index]`` in its last bit or two."""
    with np.errstate(all="ignore"):
        size = sizes(net, p, local, inputs=False)
        u, loss, per_loss, path, tiny = _loss_bounds(net, p, size)
        cell = _cell_size(net, p, size, name, index)
    return Roundoff(u, loss, per_loss, {}), float(2 * (path + 2) * u * cell + (tiny if cell > 0 else 0.0))


def _cell_size(net: Network, p: Pass, size: dict[str, np.ndarray], name: str, index: tuple[int, ...]) -> float:
    """``sizes(net, p)[name][index]``, from the computed tensors' sizes, summing over that one cell's paths."""
    if name in size:
        return float(size[name][index])
    for layer, wire in net.named_layers():
        if not isinstance(layer, Linear):
            continue
        out_size = size[wire.out]
        if name == wire.inp:  # x[b,i]: row b of out.size times row i of |w|
            return float(out_size[index[0]] @ np.abs(layer.w[index[1]]))
        if name == wire.w:  # w[i,j]: column i of |inp| times column j of out.size
            return float(np.abs(p.values[wire.inp][:, index[0]]) @ out_size[:, index[1]])
        if name == wire.b:
            return float(out_size.sum(0)[index[0]])  # the whole sum(0), cheap, so the very same bits
    raise KeyError(f"the network has no tensor named {name!r}")


def _loss_bounds(net: Network, p: Pass, size: dict[str, np.ndarray]) -> tuple[float, float, float, int, float]:
    """u, the bound of a difference of two losses and its part per unit of loss, the roundings on the longest path
    of the backward pass, and the floor below the smallest normal number: from the computed tensors' sizes."""
    u = float(np.finfo(net.dtype).eps) / 2
    out = p.values["out"]
    batch, n_out = out.shape
    spread = 0.0  # roundings inside the forward pass, weighted by the loss's sensitivity to each cell
    path = 3  # roundings on the longest path of the backward pass: the loss's gradient takes about 3
    for layer, wire in net.named_layers():
        value = np.abs(p.values[wire.out])
        if isinstance(layer, Linear):
            spread += 2 * float((size[wire.out] * value).sum())  # old + moved, and the old value's own
            path += max(layer.w.shape[1], batch) + 1  # inp.g sums n_out products, w.g sums batch of them
        else:
            spread += 4 * float((size[wire.out] * value).sum())  # an exp, an add and a divide, twice
            path += 3
    divisor = losses.divisor(net.loss, out.shape, net.reduction).n
    fixed = 0.0
    if net.loss == "cross_entropy":  # out − max(out) rounds, and log Σ exp is off by a few u per row
        shifted = np.abs(out - out.max(1, keepdims=True))
        spread += 2 * float((size["out"] * shifted).sum())
        fixed = 2 * (n_out + 2) * batch / divisor
    per_loss = u * (2 * (n_out + 3) + batch + 4)  # each row's sum of n_out terms, the batch's sum, the divide
    # Below the smallest normal number a rounding is off by up to half the smallest subnormal, whatever the
    # size of the result: a floor for numbers that small, where anything is non-zero at all.
    tiny = float(np.finfo(net.dtype).smallest_subnormal) * 4 * (path + sum(v.size for v in p.values.values()))
    return u, u * (spread + fixed) + tiny, per_loss, path, tiny
