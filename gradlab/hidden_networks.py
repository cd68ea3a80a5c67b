"""The networks a grader's hidden tests would try a backward line on, beyond the one on screen.

A line can be right on today's numbers by luck: ``out.g = 2. * (out - y) / out.shape[0]``
is right whenever ``out`` has one column, and ``b1.g = l1.g.squeeze().sum(0)``
whenever the batch has more than one row.  So a line that is right here is also
worked out on a few other networks with the same layer kinds, the same loss and
reduction and the same dtype (so the same names exist), but other shapes:

- a batch of 1 row, with today's widths;
- odd widths that differ from each other and from the batch (5 → 7 → … → 3, batch 2),
  so no matrix is square and no transpose or wrong axis hides;
- inputs exactly at a ReLU's kink (x's first row and every bias 0, so every layer's
  input is exactly 0 in that row), when the network has a ReLU or leaky ReLU.

They depend only on the network's layout, never on its numbers, and are built from
fixed seeds: the same network always meets the same hidden tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gradlab.layers import Layer, LeakyReLU, Linear, activation
from gradlab.network import Network, Pass, run

SEED = 14
ODD_BATCH = 2
KINK_BATCH = 3

Layout = tuple[tuple[tuple[str, float], ...], tuple[int, ...], str, str, str]


@dataclass(frozen=True)
class HiddenNetwork:
    label: str  # "a batch of 1 row": what the summary lists
    when: str  # "when the batch has 1 row": how a failure is told
    net: Network
    p: Pass


def hidden_networks(net: Network) -> tuple[HiddenNetwork, ...]:
    """The hidden tests for ``net``'s layout, built once per layout (they never change with its numbers).

    They are shared between calls: read them, never change them."""
    return _for_layout(layout(net))


def layout(net: Network) -> Layout:
    """What the hidden networks copy: each layer's kind (and slope), the widths, loss, reduction and dtype."""
    kinds = tuple((layer.kind, float(layer.slope) if isinstance(layer, LeakyReLU) else 0.0) for layer in net.layers)
    return kinds, tuple(net.widths()), net.loss, net.reduction, net.dtype.name


@lru_cache(maxsize=32)
def _for_layout(shape: Layout) -> tuple[HiddenNetwork, ...]:
    kinds, widths, loss, reduction, dtype = shape
    odd = tuple(5 + 2 * k for k in range(len(widths) - 1)) + (3,)
    nets = [
        ("a batch of 1 row", "when the batch has 1 row", build(shape, widths, 1, SEED)),
        (f"odd widths ({' → '.join(map(str, odd))}, batch {ODD_BATCH})",
         f"with widths {' → '.join(map(str, odd))} and a batch of {ODD_BATCH}", build(shape, odd, ODD_BATCH, SEED + 1)),
    ]
    kinked = [kind for kind, _ in kinds if kind in ("relu", "leaky_relu")]
    if kinked:
        name = "ReLU" if kinked[0] == "relu" else "leaky ReLU"
        nets.append((f"inputs at a {name} kink", f"when a {name}'s input is exactly 0",
                     build(shape, widths, KINK_BATCH, SEED + 2, kink=True)))
    return tuple(HiddenNetwork(label, when, n, run(n)) for label, when, n in nets)


def build(shape: Layout, widths: tuple[int, ...], batch: int, seed: int, kink: bool = False) -> Network:
    """A network of ``shape``'s kinds with ``widths`` and ``batch``, its numbers drawn from ``seed``.

    With ``kink``, x's first row and every bias are 0: that row reaches every layer as exactly 0."""
    kinds, _, loss, reduction, dtype = shape
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    k = 0
    for kind, slope in kinds:
        if kind != "linear":
            layers.append(activation(kind, slope))
            continue
        n_in, n_out = widths[k], widths[k + 1]
        k += 1
        w = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
        b = np.zeros(n_out) if kink else 0.5 * rng.standard_normal(n_out)
        layers.append(Linear(w, b))
    x = rng.standard_normal((batch, widths[0]))
    if kink:
        x[0] = 0.0
    y = rng.integers(0, widths[-1], batch) if loss == "cross_entropy" else rng.standard_normal((batch, widths[-1]))
    return Network(x, y, layers, loss, reduction, title="hidden test").astype(dtype)
