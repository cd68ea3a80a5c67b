"""What a network costs, from its shapes alone, before any of it is built.

A file of a few kilobytes can describe a network no computer can run: ``x`` of
1,000,000 × 1 and ``w1`` of 1 × 1,000,000 are two million numbers, but ``l1``
would be 1,000,000 × 1,000,000 = 10¹² of them.  ``estimate`` adds up every
value of the forward pass and every gradient of the backward pass (each has
its value's shape), the working memory of a batch of nudges, and the
multiply-adds of one pass; ``Cost.problem()`` says in one sentence what is too
much.  Loaders and the sheet ask before they allocate.

The limits keep the app responsive on a 2-core laptop with 8 GB of memory,
where every edit runs the whole pass again:

- ``MAX_NUMBERS``, 10⁸ numbers in one pass (values, gradients, nudges): 800 MB
  in float64, and a swap holds the old pass and the new one for a moment, so
  1.6 GB, well inside 8 GB.  A pass over that many numbers is mostly moving
  memory: on a 2-core machine a pass over 2·10⁸ took about a second, and
  ``benchmarks/hostile_inputs.py`` times an edit near 10⁸ (1.2 s on a shared
  machine running seven other jobs; a fraction of that on a quiet laptop).
- ``MAX_WORK``, 2·10⁹ multiply-adds in one pass: two cores do about 9·10⁹ a
  second in float64 (measured), so a quarter of a second at most; the
  benchmark's edit at 1.8·10⁹ took 0.16 s.
- ``MAX_INPUTS``, 5·10⁶ numbers in ``x``, ``y`` and the parameters: what a
  scenario file may hold (40 MB in float64), half the 10⁷ cells the New
  Network dialog lets the grids show.
- ``MAX_LAYERS``, 64: far deeper than any network drawn in a lesson, and
  shallow enough that checking every gradient, which carries each nudge
  through every later layer, stays quick.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gradlab.finite_diff import SWEEP_EPS
from gradlab.layers import Linear
from gradlab.network import Network
from gradlab.tangents import CHUNK_ELEMENTS

MAX_LAYERS = 64
MAX_NUMBERS = 10**8
MAX_INPUTS = 5 * 10**6
MAX_WORK = 2 * 10**9
PROBE_BLOCKS = 4  # blocks of a batch of nudges alive at once: old, new, their difference, the rows of out

Plan = Sequence[int | str]  # each layer: a linear layer's number of outputs, or an activation's kind

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def numbers_text(n: int) -> str:
    """A count as a learner reads it: 999,999 in full, then 2.1·10⁷, 2·10⁸ and 10¹²."""
    if n < 10**6:
        return f"{n:,}"
    mantissa, exponent = f"{n:.1e}".split("e")
    mantissa = mantissa.removesuffix(".0")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}·{power}"


def _size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _bytes_text(n: int) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n / 1000:.0f} KB"


@dataclass(frozen=True)
class Cost:
    """The size of everything one forward and backward pass holds, and the work it does."""

    values: dict[str, tuple[int, ...]]  # every forward value in order: x, w1, b1, l1, …, out (each .g the same shape)
    y: tuple[int, ...]
    layers: int
    work: int  # multiply-adds (and elementwise operations) of one forward and backward pass
    probes: int  # numbers a batch of nudges holds: the columns it reads, and its patch blocks
    itemsize: int

    @property
    def inputs(self) -> int:
        """Numbers in x, y and the parameters: what a scenario file holds."""
        return sum(_size(s) for name, s in self.values.items() if name == "x" or name[0] in "wb") + _size(self.y)

    @property
    def cells(self) -> int:
        """Every value, every gradient and y: the cells the sheet's grids show."""
        return 2 * sum(_size(s) for s in self.values.values()) + _size(self.y)

    @property
    def numbers(self) -> int:
        return self.cells + self.probes

    @property
    def bytes(self) -> int:
        return self.numbers * self.itemsize

    def largest(self) -> tuple[str, tuple[int, ...]]:
        return max(self.values.items(), key=lambda item: _size(item[1]))

    def problem(self) -> str | None:
        """Why GradLab will not hold this network, in one sentence, or None when it will."""
        if self.layers > MAX_LAYERS:
            return f"the network has {self.layers:,} layers; GradLab works up to {MAX_LAYERS}"
        name, shape = self.largest()
        if _size(shape) > MAX_NUMBERS:
            sides = " × ".join(f"{n:,}" for n in shape)
            return f"{name} would be {sides} = {numbers_text(_size(shape))} numbers; GradLab works up to {numbers_text(MAX_NUMBERS)}"
        if self.inputs > MAX_INPUTS:
            return (f"x, y and the parameters would be {self.inputs:,} numbers; a scenario holds up to "
                    f"{MAX_INPUTS:,}")
        if self.numbers > MAX_NUMBERS:
            return (f"its values, gradients and nudges would be {numbers_text(self.numbers)} numbers "
                    f"({_bytes_text(self.bytes)}); GradLab works up to {numbers_text(MAX_NUMBERS)}")
        if self.work > MAX_WORK:
            return (f"one pass through it would take {numbers_text(self.work)} multiply-adds; GradLab works up to "
                    f"{numbers_text(MAX_WORK)}, about a quarter of a second on a laptop")
        return None


def estimate(batch: int, n_in: int, plan: Plan, loss: str = "mse", dtype: str | np.dtype = "float64") -> Cost:
    """The cost of a network from its sizes: ``batch`` rows of ``n_in`` inputs through the layers of ``plan``."""
    values: dict[str, tuple[int, ...]] = {"x": (batch, n_in)}
    work, width, k_linear = 0, n_in, 0
    for k, layer in enumerate(plan, start=1):
        out = "out" if k == len(plan) else f"l{k}"
        if isinstance(layer, str):  # an activation: forward and backward, one operation a cell each
            work += 2 * batch * width
        else:
            k_linear += 1
            values[f"w{k_linear}"], values[f"b{k_linear}"] = (width, layer), (layer,)
            # inp @ w forward; inp.g = out.g @ w.T and w.g = inp.T @ out.g backward; the bias and b.g
            work += 3 * batch * width * layer + 2 * batch * layer
            width = layer
        values[out] = (batch, width)
    y = (batch,) if loss == "cross_entropy" else (batch, width)
    work += 4 * batch * width  # the loss and its gradient
    return Cost(values, y, len(plan), work, _probes(values, batch), np.dtype(dtype).itemsize)


def _probes(values: dict[str, tuple[int, ...]], batch: int) -> int:
    """Numbers a batch of nudges holds, as ``gradlab.finite_diff`` works: every column of x and of each
    layer's output once read (checking every cell reads them all), and ``PROBE_BLOCKS`` patches per
    nudge, each at most whole rows of a layer after the first linear one, as many nudges at once as
    ``finite_diff`` puts in one chunk."""
    activations = [s for name, s in values.items() if name == "x" or name[0] in "lo"]
    columns = sum(_size(s) for s in activations)
    per_probe = max(batch, 1) * max(max(s[-1] for s in values.values()), 1)  # how finite_diff sizes a chunk
    nudges = 2 * max(max(_size(s) for name, s in values.items() if name == "x" or name[0] in "wb"), len(SWEEP_EPS))
    at_once = min(nudges, max(1, CHUNK_ELEMENTS // per_probe))
    later_widths = [s[1] for name, s in values.items() if name[0] == "w" and name != "w1"]
    patch = max(batch, 1) * max([1, *later_widths])
    return columns + PROBE_BLOCKS * at_once * patch


def plan_of(net: Network) -> list[int | str]:
    return [layer.w.shape[1] if isinstance(layer, Linear) else layer.kind for layer in net.layers]


def network_cost(net: Network) -> Cost:
    """The cost of a network that is already built (a reshape, a new dtype) before it is run."""
    return estimate(net.batch, net.x.shape[1], plan_of(net), net.loss, net.dtype)
