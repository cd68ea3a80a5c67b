"""One row of a Jacobian: how one watched value moves with every cell of one tensor.

``∂l1[0,2]/∂x`` is shaped like ``x``: entry [b,i] is how much ``l1[0,2]``
moves per unit of ``x[b,i]``.  The analytic row comes from the one-hot backward
pass of ``gradlab.watch``; the numeric row nudges every cell of the tensor by
±ε and takes central differences of the watched value, cheaply, through the
patch machinery (nudging ``w1[i,j]`` moves column j of ``l1`` alone).  With the
loss watched it is the ordinary gradient and its finite-difference check.

They agree by ``torch.autograd.gradcheck``'s rule, ``|a − n| ≤ atol + rtol·|n|``,
with its defaults for the dtype; a cell whose nudge crosses a ReLU's kink is
reported as a kink, not as a disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.finite_diff import Columns, nudged_values, quotients
from gradlab.gradcheck import DEFAULTS
from gradlab.network import Network, Pass, run
from gradlab.text import fmt
from gradlab.watch import Watched, WatchError, backprop, lost, nudgeable, resolution, value, watched

ROUNDOFF_ULPS = 8  # ulps of the watched value two nudged passes may differ by in round-off alone


@dataclass(frozen=True)
class Jacobian:
    """∂of/∂wrt, analytic and by central differences, each shaped like ``wrt``."""

    of: str  # "l1[0,2]", "loss[1]", "loss"
    wrt: str  # "x", "w1", "b1", "l1", …
    analytic: np.ndarray
    numeric: np.ndarray  # NaN where a step vanished
    kink: np.ndarray  # bool per cell: its nudge crossed a ReLU's kink on the way to the watched value
    step: np.ndarray  # the +ε step each cell actually took, (θ+ε) − θ as stored
    watched: float  # the watched value before any nudge
    eps: float
    atol: float
    rtol: float

    @property
    def roundoff_bound(self) -> np.ndarray:
        """Per cell, what round-off alone can put into a central difference: a few ulps of the watched value,
        divided by the step that carried them (the watched value is recorded in the network's dtype)."""
        ulp = float(np.spacing(self.step.dtype.type(abs(self.watched)))) if self.step.dtype.kind == "f" else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.step != 0, ROUNDOFF_ULPS * ulp / np.abs(self.step), np.inf)

    def _margins(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per cell: the error, the tolerance, and what round-off at this ε can blur."""
        error = np.abs(self.analytic - self.numeric)
        tolerance = self.atol + self.rtol * np.maximum(np.abs(self.analytic), np.abs(self.numeric))
        return np.where(np.isnan(error), np.inf, error), tolerance, self.roundoff_bound

    @property
    def passed(self) -> np.ndarray:
        """Bool per cell: within the tolerance, or off by no more than round-off that is itself within it."""
        error, tolerance, blur = self._margins()
        return (error <= tolerance) | ((error <= tolerance + blur) & (blur <= tolerance))

    @property
    def unresolved(self) -> np.ndarray:
        """Bool per cell: off by more than the tolerance but no more than round-off at this ε can blur, which is
        itself more than the tolerance: neither yes nor no can be said (try a larger ε)."""
        error, tolerance, blur = self._margins()
        return (error > tolerance) & (error <= tolerance + blur) & (blur > tolerance)

    @property
    def disagrees(self) -> np.ndarray:
        """Bool per cell: clearly beyond the tolerance and round-off, and not on a kink."""
        return ~self.passed & ~self.unresolved & ~self.kink

    @property
    def agree(self) -> bool:
        return bool((self.passed | self.kink).all())

    @property
    def worst(self) -> tuple[int, ...]:
        """The cell, off the kinks, where analytic and numeric differ most (NaN counts as most)."""
        err = np.abs(self.analytic - self.numeric)
        err = np.where(np.isnan(err), np.inf, err)
        err = np.where(self.kink, -1.0, err) if not self.kink.all() else err
        return tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))

    @property
    def abs_err(self) -> float:
        return float(abs(self.analytic[self.worst] - self.numeric[self.worst]))

    @property
    def vanished(self) -> np.ndarray:
        """Bool per cell: θ + ε == θ in the dtype, so the cell did not move."""
        return self.step == 0

    @property
    def lost(self) -> np.ndarray:
        """Bool per cell: the change of the watched value is below what the dtype can record there."""
        return ~self.vanished & lost(self.analytic * self.step, self.watched, self.analytic.dtype)

    @property
    def roundoff(self) -> str | None:
        """One sentence when some steps, or the changes they make, were too small for the dtype, else None."""
        dtype, size = self.analytic.dtype, self.analytic.size
        if self.vanished.any():
            return (f"ε = {self.eps:.2g} is below {dtype.name}'s resolution at {self.vanished.sum()} of {size} cells of "
                    f"{self.wrt}: they did not move — try a larger ε")
        if self.lost.any():
            change = float(np.abs(self.analytic * self.step)[self.lost].max())
            return (f"Δ {self.of} is at most {change:.2g} at {self.lost.sum()} of {size} cells of {self.wrt}, below "
                    f"{dtype.name}'s resolution at {fmt(self.watched)} ({resolution(self.watched, dtype):.2g}): "
                    f"the step was lost in round-off — try a larger ε")
        return None


def jacobian(
    net: Network, of: Watched | str, wrt: str, eps: float | None = None, atol: float | None = None,
    rtol: float | None = None, p: Pass | None = None, columns: Columns | None = None,
) -> Jacobian:
    """∂of/∂wrt for every cell of ``wrt`` (x, a w, a b, or a computed tensor at or upstream of ``of``)."""
    of = watched(net, of)
    nudgeable(net, wrt, of)
    defaults = DEFAULTS[net.dtype.name]
    eps = defaults["eps"] if eps is None else float(eps)
    if not (np.isfinite(eps) and eps > 0):
        raise WatchError(f"ε must be a finite number above 0, not {eps}")
    atol = defaults["atol"] if atol is None else atol
    rtol = defaults["rtol"] if rtol is None else rtol
    p = p if p is not None and p.grads else run(net)
    analytic = p.grads[wrt] if of.is_loss else backprop(net, of, p)[wrt]
    shape = analytic.shape
    cells = np.argwhere(np.ones(shape, bool))
    n = len(cells)
    steps = np.concatenate([np.full(n, eps), np.full(n, -eps)])
    moved, taken, kink = nudged_values(net, p, wrt, np.concatenate([cells, cells]), steps, of.tensor, of.index, columns)
    before = value(net, p, of)
    _, _, central = quotients(np.asarray(before), moved[:n], moved[n:], taken[:n], -taken[n:])
    kinked = (kink[:n] | kink[n:]).reshape(shape)
    return Jacobian(str(of), wrt, analytic, central.reshape(shape), kinked, taken[:n].reshape(shape), before, eps, atol, rtol)
