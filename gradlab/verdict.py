"""Verdicts a learner can trust: judge a difference quotient by what it can measure.

A quotient such as (L(θ+h) − L(θ)) / h misses the derivative for two reasons:

- **round-off**: the losses are computed in floating point, so their difference
  is off by up to a few roundings of everything that went into them
  (``gradlab.roundoff``), and dividing by h blows that up as h shrinks;
- **truncation**: the loss is not a straight line, so the quotient measures
  its mean slope over the step, off by about h·L''/2 (forward and backward) or
  h²·L'''/6 (central).  Halving h halves the first and quarters the second, so
  the quotients at h, h/2 and h/4 (a ``Ladder``) tell how large it is, and
  whether it shrinks the way it should at all.

Against the gradient from the backward formulas, a quotient then

- **agrees** when it is within the tolerance (atol + rtol·|analytic|) plus
  those two bounds, and the bounds themselves are within the tolerance;
- **disagrees** when it is off by more than the tolerance plus several times
  the bounds: no round-off or truncation can explain that;
- **can't be judged at this ε** (*unresolved*) otherwise: the step vanished,
  the loss overflowed, or round-off or truncation is larger than the tolerance.
  The reason names which, and ``better_eps`` is the step that balances them;
- sits on a **kink** when a nudge moved a ReLU's input across 0: the loss has
  a corner there, which no quotient can match, and it is never counted as
  agreement.

``judge(nudge)`` gives one ``Verdict`` per quotient row the inspector shows;
``assess`` judges many cells at once for the whole-network check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from gradlab.finite_diff import Ladder, Nudge

Outcome = Literal["agree", "disagree", "unresolved", "kink"]
OUTCOMES: tuple[Outcome, ...] = ("agree", "disagree", "unresolved", "kink")
AGREE, DISAGREE, UNRESOLVED, KINK = range(4)
SCHEMES = ("forward", "backward", "central")

# Why a cell got its outcome: one code per cell in ``Assessment.cause``.
(WITHIN, BLOCKED, BEYOND, VANISHED, NOT_FINITE, COARSE, WIDE, CURVED, UNSETTLED, HEMMED, ROUNDOFF, TRUNCATION,
 CLOSE, CORNER) = range(14)

# The tolerance rule, in one place: atol + rtol·|analytic|.  No absolute floor by default: round-off is
# bounded from first principles instead, so a gradient of 1.6e-5 cannot pass for 6.1e-5.
TOLERANCE = {"float64": (0.0, 1e-3), "float32": (0.0, 1e-2)}
CURVE_SCALE = 0.5  # a step that moves a sigmoid's, tanh's or softmax's input further than this is too wide to judge
SAFETY = 4.0  # "clearly beyond": off by more than the tolerance plus this many times the bounds


def tolerance(dtype: str | np.dtype) -> tuple[float, float]:
    """The default (atol, rtol) for a network of ``dtype``."""
    return TOLERANCE[np.dtype(dtype).name]


def within_tolerance(analytic, numeric, atol: float, rtol: float):
    """gradcheck's plain rule, without bounds: |a − n| ≤ atol + rtol·|n| (False where n is NaN)."""
    return np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)


@dataclass(frozen=True)
class Verdict:
    """What one quotient says about one gradient, in words."""

    outcome: Outcome
    reason: str  # one sentence a learner can act on
    better_eps: float | None  # a step that would let this quotient judge the gradient, when this one cannot
    error: float  # |numeric − analytic| (NaN when the quotient is not a number)
    tolerance: float  # atol + rtol·|analytic|
    roundoff: float  # how far round-off can move the quotient (and the analytic gradient)
    truncation: float  # how far the loss's bending moves the quotient, estimated from the ladder


@dataclass(frozen=True, eq=False)
class Assessment:
    """One scheme's verdicts on many cells, as arrays with one entry per cell."""

    scheme: str
    numeric: np.ndarray  # the quotient at the step asked for
    analytic: np.ndarray
    step: np.ndarray  # the step of that quotient: h+, h−, or half the span h+ + h−
    error: np.ndarray
    tolerance: np.ndarray
    roundoff: np.ndarray
    truncation: np.ndarray
    moved: np.ndarray  # how far the step moves the fastest sigmoid, tanh or softmax input
    room: np.ndarray  # how far the cell can move before a ReLU's input reaches 0
    outcome: np.ndarray  # codes into OUTCOMES
    cause: np.ndarray  # codes: WITHIN, BLOCKED, …
    better_step: np.ndarray  # a step that would resolve the cell (NaN where none is needed or none exists)
    best_bound: np.ndarray  # the round-off plus truncation expected at better_step

    def count(self, outcome: Outcome) -> int:
        return int((self.outcome == OUTCOMES.index(outcome)).sum())

    def verdict(self, k: int, value: float, dtype: str, relative_to: float = 1.0) -> Verdict:
        """Cell ``k``'s verdict in words; ``value`` is the cell's θ, and a suggested step is divided by
        ``relative_to`` (the check states its ε relative to each cell's size)."""
        better = self.better_step[k] / relative_to
        better_eps = float(better) if np.isfinite(better) and better > 0 else None
        reason = _reason(self, k, value, dtype, better_eps)
        return Verdict(OUTCOMES[self.outcome[k]], reason, better_eps, float(self.error[k]), float(self.tolerance[k]),
                       float(self.roundoff[k]), float(self.truncation[k]))


@dataclass(frozen=True, eq=False)
class Facts:
    """What is known of each cell besides its ladder of nudges, one entry per cell."""

    value: np.ndarray  # θ
    analytic: np.ndarray  # the gradient from the backward formulas
    noise: np.ndarray  # what a difference of two of the cell's losses can be off by (``gradlab.roundoff``)
    analytic_noise: np.ndarray  # what the analytic gradient can be off by
    rate: np.ndarray  # how fast the cell moves a sigmoid's, tanh's or softmax's input (``gradlab.tangents``)
    room: np.ndarray  # how far the cell can move before a ReLU's input reaches 0 (inf: no ReLU in the way)

    @classmethod
    def of(cls, **fields: float | np.ndarray) -> Facts:
        """Facts from numbers or arrays, each made a flat float array."""
        return cls(**{k: np.asarray(v, float).reshape(-1) for k, v in fields.items()})


def assess(scheme: str, rungs: Ladder, facts: Facts, atol: float, rtol: float) -> Assessment:
    """Judge the ``scheme`` quotient of every cell of ``rungs`` against its analytic gradient."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    g, noise, rate, room = facts.analytic, facts.noise, facts.rate, facts.room
    with np.errstate(all="ignore"):
        fwd, bwd, cen = rungs.quotients()
        q = {"forward": fwd, "backward": bwd, "central": cen}[scheme].astype(float)
        sp, sm = rungs.step_plus.astype(float), rungs.step_minus.astype(float)
        t = {"forward": sp, "backward": sm, "central": (sp + sm) / 2}[scheme]
        order, span = (2, 2.0) if scheme == "central" else (1, 1.0)  # the error's power of h; the span in steps
        sigma = noise / (span * t)  # round-off of each rung's quotient
        tp = t**order
        d01, d12 = q[0] - q[1], q[1] - q[2]
        w01, w12 = tp[0] - tp[1], tp[1] - tp[2]
        signal = np.maximum(np.abs(d01) - sigma[0] - sigma[1], 0)  # the change from h to h/2 beyond round-off
        truncation = signal * tp[0] / w01
        predicted = d01 * w12 / w01  # what the change from h/2 to h/4 should be, if the error goes as h^order
        unsettled = np.abs(d12 - predicted) > 0.5 * np.abs(predicted) + sigma[1] + sigma[2] + (sigma[0] + sigma[1]) * w12 / w01
        moved = rate * np.maximum(np.abs(sp[0]), np.abs(sm[0]))
        roundoff = sigma[0] + facts.analytic_noise
        bound = roundoff + truncation
        error = np.abs(q[0] - g)
        tol = atol + rtol * np.abs(g)
        # A better step: where round-off and truncation balance, when the truncation showed itself; when it
        # did not, at least where round-off falls to a quarter of the tolerance.  Never so wide that it moves a
        # curved part far, crosses a ReLU's kink, or exceeds the cell's own size.
        a_upper = (np.abs(d01) + sigma[0] + sigma[1]) / w01  # the truncation coefficient is at most this
        known = truncation > 0
        a = np.where(known, truncation / tp[0], a_upper)
        balanced = (noise / (span * order * a)) ** (1 / (order + 1))
        # round-off must fall below the tolerance or, with no tolerance (a gradient of exactly 0), far enough below
        # the error seen to tell it apart
        target = np.where(tol > 0, tol, error / (2 * SAFETY))
        for_tolerance = np.where(target > 0, noise / (span * target / 4), np.inf)
        better = np.where(known, balanced, np.maximum(balanced, 2 * for_tolerance))
        better = np.minimum.reduce([better, CURVE_SCALE / 4 / rate, room / 2, np.maximum(np.abs(facts.value), 1.0)])
        best_bound = np.where(known, noise / (span * better) + a * better**order + facts.analytic_noise, np.nan)
        resolvable = np.fmin(np.fmax(for_tolerance, 256 * np.spacing(np.abs(facts.value))),  # for a step too small to use
                             np.maximum(np.abs(facts.value), 1.0))
        hemmed = for_tolerance / 4 >= room  # even round-off as large as the tolerance needs a step that reaches a kink
    outcome, cause = np.full(len(g), UNRESOLVED, np.int8), np.full(len(g), CLOSE, np.int8)

    def decide(mask: np.ndarray, out: int, why: int) -> None:
        free = mask & (cause == CLOSE) & (outcome == UNRESOLVED)  # the first rule that applies wins
        outcome[free], cause[free] = out, why

    first_step = {"forward": sp[0], "backward": sm[0], "central": sp[0] + sm[0]}[scheme]
    finite_losses = np.isfinite(rungs.loss_plus[0]) & np.isfinite(rungs.loss_minus[0]) & np.isfinite(first_step)
    decide(first_step == 0, UNRESOLVED, VANISHED)
    decide(~finite_losses | ~np.isfinite(q[0]), UNRESOLVED, NOT_FINITE)
    decide(np.asarray(rungs.kink, bool).reshape(-1), KINK, CORNER)
    decide((g == 0) & (facts.analytic_noise == 0) & (q[0] == 0), AGREE, BLOCKED)
    decide(moved > CURVE_SCALE, UNRESOLVED, CURVED)
    decide(np.isinf(w01) | np.isinf(w12), UNRESOLVED, WIDE)
    decide(~np.isfinite(q[1:]).all(0) | ~(w01 > 0) | ~(w12 > 0), UNRESOLVED, COARSE)
    decide(unsettled, UNRESOLVED, UNSETTLED)
    decide(error > tol + SAFETY * bound, DISAGREE, BEYOND)
    decide((bound <= tol) & (error <= tol + bound), AGREE, WITHIN)
    decide((bound > tol) & (roundoff >= truncation) & hemmed, UNRESOLVED, HEMMED)
    decide((bound > tol) & (roundoff >= truncation), UNRESOLVED, ROUNDOFF)
    decide(bound > tol, UNRESOLVED, TRUNCATION)
    judged = (outcome == AGREE) | (outcome == DISAGREE) | (outcome == KINK)
    with np.errstate(all="ignore"):
        wanted = np.select(
            [cause == CURVED, cause == UNSETTLED, (cause == VANISHED) | (cause == COARSE), (cause == NOT_FINITE) | (cause == HEMMED),
             cause == WIDE],
            [np.minimum(t[0] / 8, CURVE_SCALE / 4 / rate), t[0] / 8, resolvable, np.nan, np.maximum(np.abs(facts.value), 1.0) / 1e3],
            better)
        wanted = np.where(judged | ~np.isfinite(wanted) | (wanted <= 0), np.nan, wanted)
    return Assessment(scheme, q[0], g, t[0], error, tol, roundoff, truncation, moved, room, outcome, cause, wanted,
                      best_bound)


def judge(n: Nudge, atol: float | None = None, rtol: float | None = None) -> dict[str, Verdict]:
    """The verdict on each quotient of one nudge: ``{"forward": …, "backward": …, "central": …}``.

    Each row the inspector shows gets its own verdict: the forward quotient at
    ε = 0.1 can be too coarse to judge while the central one agrees.
    """
    if n.ladder is None:
        raise ValueError("a verdict needs the nudge's ladder of steps: make the nudge with finite_diff.nudge")
    default_atol, default_rtol = tolerance(n.dtype)
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol
    facts = Facts.of(value=n.value, analytic=n.analytic, noise=n.noise, analytic_noise=n.analytic_noise, rate=n.rate,
                     room=n.room)
    return {scheme: assess(scheme, n.ladder, facts, atol, rtol).verdict(0, n.value, n.dtype) for scheme in SCHEMES}


def _g(v: float, digits: int = 2) -> str:
    """A bound or an error as a learner reads it: two significant digits, 1e−5 rather than 1e-05."""
    text = f"{float(v):.{digits}g}"
    mantissa, e, exponent = text.partition("e")
    if e:
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def _reason(a: Assessment, k: int, value: float, dtype: str, better_eps: float | None) -> str:
    """Cell ``k``'s verdict in one sentence."""
    cause = int(a.cause[k])
    err, tol, r, t = (float(v[k]) for v in (a.error, a.tolerance, a.roundoff, a.truncation))
    try_eps = f" (try ε ≈ {_g(better_eps)})" if better_eps else ""
    if cause == WITHIN:
        if err <= tol:
            return f"agrees: off by {_g(err)}, within the tolerance {_g(tol)}"
        kind = "round-off" if r >= t else "truncation error"
        return f"agrees within {kind}: off by {_g(err)}, and {kind} at this ε can be {_g(max(r, t))}"
    if cause == BLOCKED:
        return "agrees: the gradient is exactly 0 (every path to the loss is cut) and the nudge leaves the loss unchanged"
    if cause == BEYOND:
        return (f"disagrees: off by {_g(err)}, far more than the tolerance {_g(tol)} plus the "
                f"{_g(r + t)} round-off and truncation can explain at this ε")
    if cause == CORNER:
        return "kink: a ReLU's input crosses 0 within ±ε, so the loss has a corner here that no quotient can match"
    if cause == VANISHED:
        return f"can't be judged: the step vanished: θ+ε rounds back to θ = {_g(value, 7)} in {dtype}{try_eps}"
    if cause == NOT_FINITE:
        return f"can't be judged: the loss is not a finite number at θ ± ε (it overflows {dtype}) — make ε smaller{try_eps}"
    if cause == COARSE:
        return (f"can't be judged: a step of {_g(a.step[k])} is too small for {dtype} to measure a slope at θ = "
                f"{_g(value, 7)}{try_eps}")
    if cause == WIDE:
        return f"can't be judged: a step of {_g(a.step[k])} is far too wide for a cell of {_g(value, 7)} — make ε much smaller{try_eps}"
    if cause == CURVED:
        return (f"can't be judged: this ε moves a sigmoid's, tanh's or softmax's input by about {_g(a.moved[k])}, "
                f"too far for the loss to look straight — make ε smaller{try_eps}")
    if cause == UNSETTLED:
        return f"can't be judged: the quotient does not settle as ε halves, so the loss bends too much within ±ε — make ε smaller{try_eps}"
    beyond = "" if not better_eps or not a.best_bound[k] > tol else (
        f"; no ε resolves it to the tolerance {_g(tol)} in {dtype}, the best is about {_g(a.best_bound[k])}")
    if cause == HEMMED:
        return (f"can't be judged in {dtype}: round-off at this ε is about {_g(r)}, more than the tolerance {_g(tol)}, "
                f"and a step long enough to beat it would carry a ReLU's input across 0 (its kink is {_g(a.room[k])} away)")
    if cause in (ROUNDOFF, TRUNCATION):
        what, size, way = ("round-off", r, "larger") if cause == ROUNDOFF else ("truncation error", t, "smaller")
        return (f"can't be judged: {what} at this ε is about {_g(size)}, more than the tolerance {_g(tol)} — "
                f"make ε {way}{try_eps}{beyond}")
    return (f"can't be judged: off by {_g(err)}, about as much as round-off and truncation can explain at this ε "
            f"({_g(r + t)}){try_eps}")
