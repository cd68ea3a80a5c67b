"""The network's output over the input plane, for a network with two inputs.

TensorFlow Playground's picture: every point (x0, x1) of a grid covering the
batch's points (with a margin) is fed through the network, all of them as one
batch in one forward pass, and what comes out is drawn under the points, which
are coloured by their targets.  As the network trains, the picture moves.

For ``cross_entropy`` the picture is the predicted class at each point and its
probability (the softmax of the scores); otherwise it is one output's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.losses import softmax
from gradlab.network import Network

SIZE = 64  # points along each axis
MARGIN = 0.2  # the grid reaches this fraction of the points' spread beyond them on every side
MAX_SIZE = 1000


@dataclass(frozen=True)
class Plane:
    """The network's output at every point of a grid: row r, column c is the point (x0[c], x1[r])."""

    x0: np.ndarray  # the grid along input 0 (the horizontal axis), increasing
    x1: np.ndarray  # the grid along input 1 (the vertical axis), increasing
    out: np.ndarray  # len(x1) × len(x0) × n_out: the network's output at every point
    value: np.ndarray  # len(x1) × len(x0): the output drawn (cross_entropy: the predicted class's probability)
    classes: np.ndarray | None  # cross_entropy: the predicted class at every point; None otherwise


def extent(x: np.ndarray, margin: float = MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper corner of the box around the rows of ``x``, widened by ``margin`` of its
    spread on each side (a spread of 0, all points in a line, counts as 1)."""
    lo, hi = x.min(0).astype(np.float64), x.max(0).astype(np.float64)
    spread = np.where(hi > lo, hi - lo, 1.0)
    return lo - margin * spread, hi + margin * spread


def output_plane(net: Network, size: int = SIZE, margin: float = MARGIN, output: int = 0) -> Plane:
    """The output of ``net`` over a ``size`` × ``size`` grid covering its batch; ``output`` picks the
    column drawn when the loss is not cross_entropy.  A ``ValueError`` with one sentence when the
    network does not have two inputs or an argument is out of range."""
    if net.x.shape[1] != 2:
        raise ValueError(f"the output can be drawn over the input plane only for two inputs; this network has {net.x.shape[1]}")
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= MAX_SIZE:
        raise ValueError(f"the grid needs from 2 to {MAX_SIZE} points along each axis, not {size!r}")
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"the margin must be a finite number from 0 up, not {margin!r}")
    lo, hi = extent(net.x, margin)
    x0, x1 = (np.linspace(lo[i], hi[i], size).astype(net.dtype) for i in range(2))
    points = np.stack(np.meshgrid(x0, x1), -1).reshape(-1, 2)  # row-major: x0 varies fastest
    h = points
    for layer in net.layers:
        h = layer.forward(h)
    out = h.reshape(size, size, -1)
    n_out = out.shape[-1]
    if net.loss == "cross_entropy":
        probabilities = softmax(out)
        classes = probabilities.argmax(-1)
        return Plane(x0, x1, out, np.take_along_axis(probabilities, classes[..., None], -1)[..., 0], classes)
    if not 0 <= output < n_out:
        outputs = f"{n_out} output{'s' if n_out != 1 else ''}"
        raise ValueError(f"the network has {outputs}, numbered 0 to {n_out - 1}, so there is no output {output}")
    return Plane(x0, x1, out, out[..., output], None)
