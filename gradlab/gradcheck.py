"""The whole-network check: every cell of every tensor against finite differences, each judged by what it can measure.

Like ``torch.autograd.gradcheck``, the numeric gradient is taken in the
network's own dtype.  Unlike it, the step is scaled to each cell: a cell θ is
nudged by h = ε·max(|θ|, 1), as ``scipy.optimize.approx_fprime`` and Numerical
Recipes do, because a step of 1e-6 is a different thing next to a weight of
1e-4 than next to an input of 1e4 (there θ + 1e-6 may not even be stored in
float32).  With the default ε the step is also kept small enough not to move
any sigmoid's, tanh's or softmax's input by more than ``GENTLE``, and to stay on
one side of every ReLU's kink where that costs less than three decades of step.

Every cell's quotient gets a verdict from ``gradlab.verdict``: it agrees, it
disagrees, it sits on a ReLU kink, or it can't be judged at this ε (round-off
or truncation swamps what the tolerance asks, or the step vanished).  With the
default ε, a cell that can't be judged is tried once more at the step its own
bounds suggest.  The check is ``ok`` when no cell disagrees and most of every
tensor was judged; what was not judged is counted, never silently passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.finite_diff import Columns, ladder
from gradlab.network import Network, Pass, run
from gradlab.roundoff import Roundoff, roundoff
from gradlab.tangents import Reach, reach
from gradlab.verdict import (
    AGREE,
    DISAGREE,
    KINK,
    NOT_FINITE,
    OUTCOMES,
    UNRESOLVED,
    WIDE,
    Assessment,
    Facts,
    Outcome,
    Verdict,
    assess,
    tolerance,
)

DEFAULT_EPS = {"float64": 1e-6, "float32": 1e-3}  # relative steps: h = ε·max(|θ|, 1)
GENTLE = 0.05  # the default step moves no sigmoid, tanh or softmax input by more than this
DEFAULTS = {dtype: {"eps": eps, "atol": tolerance(dtype)[0], "rtol": tolerance(dtype)[1]} for dtype, eps in DEFAULT_EPS.items()}
SCHEMES = ("central", "forward", "backward")


@dataclass(frozen=True, eq=False)
class TensorCheck:
    """The verdicts on every cell of one tensor."""

    name: str
    value: np.ndarray  # each cell's θ
    analytic: np.ndarray
    judged: Assessment  # one entry per cell, in row-major order
    dtype: str

    @property
    def numeric(self) -> np.ndarray:
        """Each cell's quotient, at the step it was judged at (NaN where the step vanished)."""
        return self.judged.numeric.reshape(self.analytic.shape)

    @property
    def step(self) -> np.ndarray:
        return self.judged.step.reshape(self.analytic.shape)

    @property
    def outcome(self) -> np.ndarray:
        """Each cell's outcome as a string: agree, disagree, unresolved or kink."""
        return np.array(OUTCOMES)[self.judged.outcome].reshape(self.analytic.shape)

    @property
    def kink(self) -> np.ndarray:
        return (self.judged.outcome == KINK).reshape(self.analytic.shape)

    def count(self, outcome: Outcome) -> int:
        return self.judged.count(outcome)

    @property
    def agree(self) -> int:
        return self.count("agree")

    @property
    def disagree(self) -> int:
        return self.count("disagree")

    @property
    def kinks(self) -> int:
        return self.count("kink")

    @property
    def unresolved(self) -> int:
        return self.count("unresolved")

    @property
    def excused(self) -> int:
        """Cells not judged: kinks and cells that can't be judged at this ε."""
        return self.kinks + self.unresolved

    @property
    def ok(self) -> bool:
        """No cell of this tensor disagrees."""
        return self.disagree == 0

    @property
    def conclusive(self) -> bool:
        """More than half of the tensor's cells were judged."""
        return 2 * self.excused < self.analytic.size

    def verdict(self, index: tuple[int, ...]) -> Verdict:
        """One cell's verdict in words; a suggested ε is relative, like the check's own."""
        k = int(np.ravel_multi_index(index, self.analytic.shape))
        theta = float(self.value.flat[k])
        return self.judged.verdict(k, theta, self.dtype, relative_to=max(abs(theta), 1.0))

    @property
    def worst(self) -> tuple[int, ...]:
        """The cell to show: the worst disagreement, else the agreeing cell nearest its limit, else the first excused."""
        a = self.judged
        with np.errstate(all="ignore"):
            used = np.nan_to_num(a.error / (a.tolerance + a.roundoff + a.truncation), nan=np.inf, posinf=np.inf)
        for outcome in (DISAGREE, AGREE):
            if (a.outcome == outcome).any():
                k = int(np.argmax(np.where(a.outcome == outcome, used, -np.inf)))
                break
        else:
            k = 0
        return tuple(int(i) for i in np.unravel_index(k, self.analytic.shape))

    def suggested_eps(self, current: float) -> float | None:
        """A relative ε for the cells that were not judged, other than ``current``: the decade nearest the middle
        of their own suggestions, a hundredth of the step for kinks, the default where the loss overflowed.
        None when every cell was judged, or when no ε can judge them (round-off hemmed in by kinks)."""
        outcome, cause = self.judged.outcome, self.judged.cause
        scale = np.maximum(np.abs(self.value.reshape(-1)).astype(float), 1.0)
        better = (self.judged.better_step / scale)[outcome == UNRESOLVED]
        better = better[np.isfinite(better) & (better > 0)]
        steps = (self.judged.step / scale)[outcome == KINK]
        steps = steps[np.isfinite(steps) & (steps > 0)]
        if len(better):
            found = float(10.0 ** np.round(np.log10(np.median(better))))
        elif len(steps):
            found = float(10.0 ** np.floor(np.log10(np.median(steps)) - 2))
        elif ((cause == NOT_FINITE) | (cause == WIDE)).any():
            found = DEFAULT_EPS[self.dtype]
        else:
            return None
        return None if np.isclose(found, current) else found


@dataclass(frozen=True, eq=False)
class Check:
    loss: float
    out: np.ndarray
    tensors: dict[str, TensorCheck]
    eps: float  # relative: each cell moved by eps·max(|θ|, 1), or less where the default kept the step gentle
    atol: float
    rtol: float
    scheme: str
    default_eps: bool  # the step was the default, tried again where a cell could not be judged

    def count(self, outcome: Outcome) -> int:
        return sum(t.count(outcome) for t in self.tensors.values())

    @property
    def cells(self) -> int:
        return sum(t.analytic.size for t in self.tensors.values())

    @property
    def conclusive(self) -> bool:
        return all(t.conclusive for t in self.tensors.values())

    @property
    def ok(self) -> bool:
        """No cell disagrees, and most of every tensor was judged."""
        return all(t.ok for t in self.tensors.values()) and self.conclusive


def check(
    net: Network,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    scheme: str = "central",
    p: Pass | None = None,
) -> Check:
    """Judge every gradient cell of ``net``.  ``eps`` is relative to each cell (see the module's text)."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    for option, value, least in (("eps", eps, None), ("atol", atol, 0.0), ("rtol", rtol, 0.0)):
        if value is not None and not (np.isfinite(value) and (value > 0 if least is None else value >= least)):
            raise ValueError(f"{option} must be a finite number {'above' if least is None else 'at least'} 0, not {value}")
    default_atol, default_rtol = tolerance(net.dtype)
    atol = default_atol if atol is None else float(atol)
    rtol = default_rtol if rtol is None else float(rtol)
    relative = DEFAULT_EPS[net.dtype.name] if eps is None else float(eps)
    with np.errstate(all="ignore"):
        p = p if p is not None and p.grads else run(net)
        bounds, columns = roundoff(net, p), Columns(p)
        tensors = {}
        for name, tensor in net.inputs().items():
            cells = np.argwhere(np.ones(tensor.shape, bool))
            theta = tensor.reshape(-1).astype(float)
            found = reach(net, p, name, cells)
            step = relative * np.maximum(np.abs(theta), 1.0)
            if eps is None:  # gentle: not wider than the curved parts allow, on one side of every ReLU if it can be
                floor = np.maximum(step / 1000, 256 * np.spacing(np.abs(tensor.reshape(-1))).astype(float))
                with np.errstate(divide="ignore"):
                    gentle = np.minimum(GENTLE / found.rate, found.room / 2)
                step = np.maximum(np.minimum(step, gentle), floor)
            judged = _judge(net, p, name, cells, step, theta, found, bounds, columns, scheme, atol, rtol)
            if eps is None:
                again = (judged.outcome == UNRESOLVED) & np.isfinite(judged.better_step)
                if again.any():
                    retried = _judge(net, p, name, cells[again], judged.better_step[again], theta[again],
                                     Reach(found.rate[again], found.room[again]), bounds, columns, scheme, atol, rtol)
                    taken = retried.outcome != KINK  # a second try that ran into a kink: the first reason stands
                    again[again] = taken
                    judged = _merge(judged, again, retried, taken)
            tensors[name] = TensorCheck(name, tensor.copy(), p.grads[name], judged, net.dtype.name)
    return Check(float(np.asarray(p.loss)), p.values["out"], tensors, relative, atol, rtol, scheme, eps is None)


def _judge(
    net: Network, p: Pass, name: str, cells: np.ndarray, step: np.ndarray, theta: np.ndarray, found: Reach,
    bounds: Roundoff, columns: Columns, scheme: str, atol: float, rtol: float,
) -> Assessment:
    """Nudge ``cells`` of ``name`` by ``step`` (and its halves and quarters) and judge them."""
    rungs = ladder(net, p, name, cells, step, columns)
    losses = np.vstack([rungs.loss_plus, rungs.loss_minus, np.full((1, len(step)), float(np.asarray(p.loss)))])
    largest = np.nan_to_num(np.abs(losses), nan=np.inf).max(axis=0)
    index = tuple(cells.T)
    facts = Facts.of(value=theta, analytic=p.grads[name][index], noise=bounds.difference(largest),
                     analytic_noise=bounds.grads[name][index], rate=found.rate, room=found.room)
    return assess(scheme, rungs, facts, atol, rtol)


def _merge(first: Assessment, again: np.ndarray, retried: Assessment, taken: np.ndarray) -> Assessment:
    """``first`` with the cells ``again`` replaced by the ``taken`` entries of their second try."""
    fields = {}
    for field in Assessment.__dataclass_fields__:
        a = getattr(first, field)
        if isinstance(a, np.ndarray):
            a = a.copy()
            a[again] = getattr(retried, field)[taken]
        fields[field] = a
    return Assessment(**fields)
