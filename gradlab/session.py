"""The session: what the learner is doing with the sheet, beside the network itself.

The ``Sheet`` owns the network and its pass; the ``Session`` owns everything
else the app shows: the inspected cell (the one nudged by ±ε), the watched
value (the loss, or any computed cell), the gradient cell being explained, the
last grid cell selected, ε, the difference scheme, the stepper's step, the
learning rate and the losses of the training steps taken, and the learner's own
backward lines.  Each fact lives here once; the views in ``ui/`` read it from
here and hear of its changes.  No Qt.

``session.subscribe(listener)`` delivers, in order, every change of the sheet
(``Change("values")``, ``Change("network")``) and of the session
(``Change("inspected")``, ``"watched"``, ``"explained"``, ``"selected"``,
``"eps"``, ``"scheme"``, ``"step"``, ``"lr"``, ``"history"``, ``"answers"``, ``"graded"``).
A view that subscribes here needs nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from gradlab.errors import EditError
from gradlab.explain import Explanation, explain
from gradlab.finite_diff import Nudge, Sweep, loss_curve, nudge, sweep
from gradlab.gradcheck import DEFAULTS, SCHEMES
from gradlab.grading import Grading
from gradlab.influence import Influence, influence
from gradlab.network import Network, Pass, Step, backward_steps, update_steps
from gradlab.sheet import Change, Sheet
from gradlab.text import cell_name
from gradlab.train import explain_update, learning_rate
from gradlab.verdict import Verdict, judge
from gradlab.watch import (
    LOSS,
    Watched,
    WatchedNudge,
    WatchError,
    backprop,
    nudge_watched,
    nudgeable,
    sweep_watched,
    value,
    watched,
    watched_curve,
)

Cell = tuple[str, tuple[int, ...]]
Listener = Callable[[Change], None]
EPS_MIN, EPS_MAX, EPS_DEFAULT = 1e-15, 1.0, 1e-3
LR_DEFAULT = 0.5  # Mazur's rate; the lesson's small network comes down at it too
MAX_ANSWER = 2_000  # characters in one of the learner's lines: the evaluator's own limit


def _loss(p: Pass) -> np.floating:
    """The loss of a pass run forward to the loss, as the sheet's always is."""
    if p.loss is None:
        raise ValueError("this pass stopped before the loss, so it has no loss to read")
    return p.loss


@dataclass(frozen=True)
class History:
    """The losses of the training steps taken since the first one, and the network before it (to go back to).

    ``watched`` holds the value of each cell that was watched while training (``train``'s ``watch``),
    one per loss: the value before the first step, then after each step, nan where that cell was not
    watched (it was inspected for some of the runs only)."""

    start: Network
    losses: tuple[float, ...]  # the loss before the first step, then after each step
    watched: dict[Cell, tuple[float, ...]] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.losses) - 1

    def then(self, losses: tuple[float, ...], watched: dict[Cell, tuple[float, ...]]) -> History:
        """This history and the steps of a run after it: ``losses[0]`` is the loss before that run (the last
        one here), and each of ``watched`` is one value per loss of the run."""
        old, added = len(self.losses), len(losses) - 1
        cells: dict[Cell, tuple[float, ...]] = {}
        for cell in {**self.watched, **watched}:
            before = self.watched.get(cell, (math.nan,) * old)
            if cell in watched:  # as with the losses, the value before the run's first step is kept unless it is a gap
                cells[cell] = (before[:-1] + watched[cell][:1] if math.isnan(before[-1]) else before) + watched[cell][1:]
            else:
                cells[cell] = before + (math.nan,) * added
        return History(self.start, self.losses + losses[1:], cells)

    def before(self, steps: int) -> History | None:
        """This history without its last ``steps`` steps; None when no step is left."""
        kept = len(self.losses) - steps
        if kept <= 1:
            return None
        cells = {cell: values[:kept] for cell, values in self.watched.items()}
        return History(self.start, self.losses[:kept], {cell: v for cell, v in cells.items() if not all(map(math.isnan, v))})


@dataclass(frozen=True)
class NudgeRecord:
    """A nudge that was applied: the cell as it was before (``before``), the signed ε, and the loss after."""

    before: Nudge
    eps: float
    loss_after: float

    @property
    def quotient(self) -> float:
        """ΔL/Δε as this nudge measured it: the forward quotient for +ε, the backward one for −ε."""
        return self.before.forward if self.eps > 0 else self.before.backward


class Session:
    def __init__(self, sheet: Sheet, eps: float = EPS_DEFAULT):
        self.sheet = sheet
        self._listeners: list[Listener] = []
        self._inspected: Cell | None = None
        self._explained: Cell | None = None  # a gradient cell clicked, explained instead of the inspected one
        self._selected: Cell | None = None  # the grid cell last selected: "w1.g", (0, 2) names the grid and the cell
        self._eps = self._checked_eps(eps)
        self._scheme = "central"
        self._step: int | None = None
        self._watched: Watched = LOSS
        self._lr = LR_DEFAULT
        self._history: History | None = None
        self._answers: dict[str, str] = {}
        self._true_inputs = False  # the learner's lines read the true .g of earlier lines, not their own results
        self._hide_true = False  # the true .g grids stay hidden until the learner's line for them is right
        self._grading: Grading | None = None  # the latest grading of the learner's lines, worked out off the window
        self.last_nudge: NudgeRecord | None = None
        sheet.subscribe(self._sheet_changed)

    # -- listening -----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def close(self) -> None:
        """Stop following the sheet (a window closes; its sheet may live on in a test)."""
        self.sheet.unsubscribe(self._sheet_changed)
        self._listeners.clear()

    def _announce(self, change: Change) -> None:
        self.__dict__.pop("derived", None)  # what the inspector shows is recomputed on demand
        for listener in list(self._listeners):
            if listener in self._listeners:  # one listener may unsubscribe another (a view rebuilding its grids)
                listener(change)

    def _sheet_changed(self, change: Change) -> None:
        if change.kind == "network":  # cells that are gone stop being looked at; the step shrinks to fit
            if self._inspected and not self.sheet.exists(*self._inspected):
                self._inspected = None
            if self._explained and not self._gradient_exists(*self._explained):
                self._explained = None
            self._selected = None  # the grids start over with nothing selected
            if self._step is not None:
                self._step = min(self._step, len(self.steps()))
            try:
                self._watched = watched(self.sheet.net, self._watched)
            except WatchError:  # that cell is gone: the loss is watched again
                self._watched = LOSS
            if self._history is not None and not self._same_shapes(self._history.start):
                self._history = None  # the steps taken were on another network
        if change.kind in ("values", "network"):
            self.last_nudge = None if change.kind == "network" else self.last_nudge
        self._announce(change)

    def _set(self, attribute: str, value: object, kind: str) -> None:
        if getattr(self, attribute) != value:
            setattr(self, attribute, value)
            self._announce(Change(kind))

    # -- the cells looked at ---------------------------------------------------------------

    @property
    def inspected(self) -> Cell | None:
        """The cell of ``x``, a ``w`` or a ``b`` that is nudged and charted, or None."""
        return self._inspected

    def inspect(self, name: str | None, index: tuple[int, ...] = ()) -> None:
        """Make ``name[index]`` the inspected cell (a cell of ``x``, a ``w`` or a ``b``), or none."""
        cell = None if name is None else (name, tuple(int(i) for i in index))
        if cell is not None and not self.sheet.exists(*cell):
            raise EditError(self._not_a_cell(*cell))
        if cell != self._inspected:
            self._explained = None  # the inspected cell's own gradient is explained again
            self._set("_inspected", cell, "inspected")

    def _not_a_cell(self, name: str, index: tuple[int, ...]) -> str:
        """Why ``name[index]`` cannot be inspected, in one sentence: the wrong tensor or an index outside it."""
        if name not in self.sheet.net.inputs():
            return f"only a cell of x, a w or a b can be inspected, not {cell_name(name, index)}"
        shape = self.sheet.net.tensor(name).shape
        size = "×".join(map(str, shape))
        if len(index) != len(shape):
            return f"{name} is {size}, so a cell of it takes {len(shape)} {'index' if len(shape) == 1 else 'indices'}, not {len(index)}"
        return f"{name} is {size}, so {cell_name(name, index)} is out of range"

    def inspect_first_weight(self) -> None:
        """Inspect the first weight, ``w1[0,0]``, where the lesson starts (a network without one: ``x[0,0]``)."""
        name = next((n for n in self.sheet.net.parameters() if n.startswith("w")), "x")
        self.inspect(name, (0, 0))

    def require_inspected(self) -> Cell:
        if self._inspected is None:
            raise EditError("no cell is inspected: select a cell of x, a w or a b first")
        return self._inspected

    @property
    def explained(self) -> Cell | None:
        """The gradient cell the formula panel explains: one clicked, else the inspected cell's."""
        return self._explained or self._inspected

    def explain(self, name: str | None, index: tuple[int, ...] = ()) -> None:
        """Explain the gradient ``name.g[index]`` (``"l1"`` or ``"l1.g"``) instead of the inspected cell's,
        until ``explain(None)`` or the inspected cell changes."""
        cell = None
        if name is not None:
            cell = (name.removesuffix(".g"), tuple(int(i) for i in index))
            if not self._gradient_exists(*cell):
                grads = self.sheet.p.grads
                if cell[0] not in grads:
                    raise EditError(f"the backward pass computes no gradient named {cell[0]}.g")
                shape = "×".join(map(str, grads[cell[0]].shape))
                raise EditError(f"{cell_name(cell[0] + '.g', cell[1])} is outside {cell[0]}.g, which is {shape}")
        self._set("_explained", cell, "explained")

    def _gradient_exists(self, name: str, index: tuple[int, ...]) -> bool:
        grads = self.sheet.p.grads
        return name in grads and len(index) == grads[name].ndim and all(0 <= i < n for i, n in zip(index, grads[name].shape))

    @property
    def selected(self) -> Cell | None:
        """The grid cell last selected, by grid name (``"w1"``, ``"w1.g"``, ``"l1"``, ``"y"``…), or None."""
        return self._selected

    def select(self, grid: str, index: tuple[int, ...]) -> None:
        """A grid cell was selected: a cell of ``x``, a ``w`` or a ``b`` is inspected; a gradient or a
        computed cell has its gradient explained; ``y`` is only remembered."""
        cell = (grid, tuple(int(i) for i in index))
        self._set("_selected", cell, "selected")
        base = grid.removesuffix(".g")
        if not grid.endswith(".g") and base in self.sheet.net.inputs():
            self.inspect(base, cell[1])
        elif base != "y":
            self.explain(base, cell[1])

    def _same_shapes(self, other: Network) -> bool:
        net = self.sheet.net
        return (net.loss == other.loss and len(net.layers) == len(other.layers)
                and all(a.shape == b.shape for a, b in zip(net.inputs().values(), other.inputs().values())))

    @property
    def watched(self) -> Watched:
        """The value the inspector measures the nudge by: the loss (the default) or a computed cell."""
        return self._watched

    def watch(self, cell: str | Watched | None) -> None:
        """Watch a computed cell (``"l1[0,2]"``, ``"out[1,0]"``, ``"loss[1]"``) or, with None, the loss."""
        try:
            chosen = LOSS if cell is None else watched(self.sheet.net, cell)
        except WatchError as e:
            raise EditError(str(e)) from None
        self._set("_watched", chosen, "watched")

    # -- ε and the scheme -------------------------------------------------------------------

    @staticmethod
    def _checked_eps(eps: float) -> float:
        eps = float(eps)
        if not (math.isfinite(eps) and EPS_MIN <= eps <= EPS_MAX):
            raise EditError(f"ε must be a positive finite number from {EPS_MIN:g} to {EPS_MAX:g}, not {eps:g}")
        return eps

    @property
    def eps(self) -> float:
        return self._eps

    def set_eps(self, eps: float) -> None:
        self._set("_eps", self._checked_eps(eps), "eps")

    @property
    def scheme(self) -> str:
        """The difference quotient the headline verdict judges: central, forward or backward."""
        return self._scheme

    def set_scheme(self, scheme: str) -> None:
        if scheme not in SCHEMES:
            raise EditError(f"the scheme must be one of {', '.join(SCHEMES)}, not {scheme}")
        self._set("_scheme", scheme, "scheme")

    # -- stepping through the backward pass ----------------------------------------------------

    def steps(self) -> list[Step]:
        """The stepper's steps: the backward pass, then gradient descent's update of each parameter not frozen."""
        net = self.sheet.net
        return backward_steps(net) + update_steps(net, self._lr)

    def backward_count(self) -> int:
        """How many of ``steps()`` are the backward pass (the rest are updates)."""
        return len(backward_steps(self.sheet.net))

    def written_at(self, name: str) -> int | None:
        """The step (1, 2, …) that writes ``name`` (``"w1.g"``), or None."""
        return next((k for k, s in enumerate(self.steps(), start=1) if name in s.writes), None)

    @property
    def step(self) -> int | None:
        """How many calls of the backward pass have run while stepping (0: none), or None: the whole pass."""
        return self._step

    def set_step(self, step: int | None) -> None:
        """Show the backward pass after ``step`` of its calls, or all of it (None).  The numbers are always
        the whole pass's: a step only hides."""
        count, backward = len(self.steps()), self.backward_count()
        if step is not None and not 0 <= step <= count:
            raise EditError(f"the stepper has {count} steps ({backward} of the backward pass, then "
                            f"{count - backward} updates), so there is no step {step}")
        self._set("_step", step, "step")

    def current_step(self) -> Step | None:
        return self.steps()[self._step - 1] if self._step else None

    def computed(self, name: str) -> bool:
        """Whether the gradient ``name`` (``"w1.g"``) has been written at the current step."""
        if self._step is None:
            return True
        return any(name in s.writes for s in self.steps()[: self._step])

    # -- training --------------------------------------------------------------------------------

    @property
    def lr(self) -> float:
        """The learning rate of the update ``w -= lr * w.g``."""
        return self._lr

    def set_lr(self, lr: float) -> None:
        try:
            value = learning_rate(lr)
        except ValueError as e:
            raise EditError(str(e)) from None
        self._set("_lr", value, "lr")

    @property
    def history(self) -> History | None:
        """The losses of the training steps taken on this network, or None before the first."""
        return self._history

    def trained(self, before: Network, losses: Sequence[float] | np.ndarray,
                watched: Mapping[Cell, Sequence[float] | np.ndarray] | None = None) -> None:
        """Steps were taken from ``before``: ``losses`` is the loss before them, then after each; ``watched``
        (``Training.watched``) the value of each watched cell before them, then after each."""
        run = tuple(np.asarray(losses, dtype=float).tolist())
        cells = {cell: tuple(np.asarray(values, dtype=float).tolist()) for cell, values in (watched or {}).items()}
        for cell, values in cells.items():
            if len(values) != len(run):
                raise ValueError(f"{cell_name(*cell)} has {len(values)} values for {len(run)} losses; it needs one per loss")
        if self._history is None:
            self._history = History(before.copy(), run, cells)
        else:
            self._history = self._history.then(run, cells)
        self._announce(Change("history"))

    def untrained(self, steps: int) -> None:
        """The last ``steps`` training steps were undone: forget their losses (and the history, at none left)."""
        if self._history is None:
            return
        self._history = self._history.before(steps)
        self._announce(Change("history"))

    # -- the learner's own backward lines --------------------------------------------------------

    @property
    def answers(self) -> dict[str, str]:
        """The learner's lines by target, ``{"w1.g": "x.t() @ l1.g", …}`` (a copy)."""
        return dict(self._answers)

    def set_answer(self, target: str, text: str) -> str:
        """Set (or, with an empty text, clear) the learner's line for ``target``; returns the one it replaced."""
        if len(text) > MAX_ANSWER:
            raise EditError(f"the line for {target} is {len(text):,} characters long; a line can have {MAX_ANSWER:,}")
        old = self._answers.get(target, "")
        if text.strip() != old:
            answers = {**self._answers, target: text.strip()}
            self._answers = {k: v for k, v in answers.items() if v}
            self._announce(Change("answers"))
        return old

    def set_answers(self, answers: dict[str, str]) -> dict[str, str]:
        """Replace every line at once (a file opened, an undo); returns the lines it replaced."""
        old = dict(self._answers)
        new = {k: v.strip() for k, v in answers.items() if v.strip()}
        if new != old:
            self._answers = new
            self._announce(Change("answers"))
        return old

    @property
    def true_inputs(self) -> bool:
        """Whether the learner's lines read the true ``.g`` of earlier lines (else their own results)."""
        return self._true_inputs

    def set_true_inputs(self, on: bool) -> None:
        self._set("_true_inputs", bool(on), "answers")

    @property
    def hide_true(self) -> bool:
        """The teacher's switch: the true ``.g`` grids stay hidden until the learner's line for them is right."""
        return self._hide_true

    def set_hide_true(self, on: bool) -> None:
        self._set("_hide_true", bool(on), "answers")

    @property
    def grading(self) -> Grading | None:
        """The latest grading of the learner's lines (``gradlab.grading``), or None while one is on its way
        after the network changed.  Grading takes a while on a large network, so it is done elsewhere and
        handed in here, whence every view reads it."""
        return self._grading

    def revealed(self, target: str, grading: Grading | None = None) -> bool:
        """Whether the true gradient ``target`` (``"w1.g"``) may be shown: always, unless the teacher hides the
        true grids; then only once the learner's line for it is solved (in ``grading``, or the session's)."""
        if not self._hide_true:
            return True
        grading = self._grading if grading is None else grading
        try:
            return grading is not None and grading[target].solved
        except KeyError:
            return False

    def set_grading(self, grading: Grading | None) -> None:
        if grading is not self._grading:
            self._grading = grading
            self._announce(Change("graded"))

    # -- what the inspector shows, for the inspected cell ----------------------------------------

    @cached_property
    def derived(self) -> Derived:
        return Derived(self)

    def tolerance(self) -> tuple[float, float]:
        d = DEFAULTS[self.sheet.net.dtype.name]
        return d["atol"], d["rtol"]

    def verdicts(self, n: Nudge) -> dict[str, Verdict]:
        """The verdict on each quotient of the nudge ``n``: forward, backward and central (``gradlab.verdict``)."""
        return judge(n)

    def record_nudge(self, before: Nudge, eps: float) -> None:
        """Keep what an applied nudge did, as the learner's spreadsheet recorded it (``docs/lesson.md``)."""
        self.last_nudge = NudgeRecord(before, eps, float(_loss(self.sheet.p)))


class Derived:
    """Influence, explanation, sweep and nudge of the session's cells, each computed once per state."""

    def __init__(self, session: Session):
        self._session = session
        self._nudges: dict[float, Nudge] = {}

    @cached_property
    def influence(self) -> dict[str, Influence]:
        s = self._session
        return influence(s.sheet.net, *s.inspected, s.sheet.p, eps=s.eps) if s.inspected else {}

    @cached_property
    def explanation(self) -> Explanation | None:
        """How the explained gradient cell was worked out; while stepping through an update, how the inspected
        cell (or the first of the tensor being updated) changes; None while the step has not written it."""
        s = self._session
        current = s.current_step()
        if current is not None and s.step is not None and s.step > s.backward_count():  # an update: w1 -= lr * w1.g
            name = current.writes[0]
            index = s.inspected[1] if s.inspected and s.inspected[0] == name else (0,) * s.sheet.array(name).ndim
            return explain_update(s.sheet.net, s.sheet.p, s.lr, name, index)
        cell = s.explained
        if cell is None or self.unwritten is not None:
            return None
        return explain(s.sheet.net, s.sheet.p, *cell)

    @cached_property
    def unwritten(self) -> str | None:
        """While stepping: why the explained gradient is not shown yet ("w1.g is written at step 4"), or None."""
        s = self._session
        cell = s.explained
        if cell is None or s.computed(f"{cell[0]}.g"):
            return None
        return f"{cell[0]}.g is written at step {s.written_at(cell[0] + '.g')}: step on to see how"

    @cached_property
    def sweep(self) -> Sweep | None:
        """The quotients of the watched value over many ε (None when nothing is inspected, or the
        inspected cell cannot move the watched one: ``watch_problem`` says why)."""
        s = self._session
        if not s.inspected or self.watch_problem:
            return None
        if s.watched.is_loss:
            return sweep(s.sheet.net, *s.inspected, p=s.sheet.p, columns=s.sheet.columns)
        return sweep_watched(s.sheet.net, *s.inspected, of=s.watched, p=s.sheet.p, columns=s.sheet.columns)

    @cached_property
    def watch_problem(self) -> str | None:
        """Why the inspected cell cannot move the watched value (it is downstream of it), or None."""
        s = self._session
        if not s.inspected or s.watched.is_loss:
            return None
        try:
            nudgeable(s.sheet.net, s.inspected[0], s.watched)
        except WatchError as e:
            return str(e)
        return None

    def watched_nudge(self, eps: float | None = None) -> WatchedNudge | None:
        """The inspected cell's nudge read off the watched value (None while the loss is watched)."""
        s = self._session
        if not s.inspected or s.watched.is_loss or self.watch_problem:
            return None
        return nudge_watched(s.sheet.net, *s.inspected, s.watched, s.eps if eps is None else eps, s.sheet.p,
                             s.sheet.columns)

    def nudge(self, eps: float | None = None) -> Nudge | None:
        s = self._session
        if not s.inspected:
            return None
        eps = s.eps if eps is None else eps
        if eps not in self._nudges:
            self._nudges[eps] = nudge(s.sheet.net, *s.inspected, eps, s.sheet.p, s.sheet.columns)
        return self._nudges[eps]

    @cached_property
    def slope(self) -> float:
        """The analytic derivative of the watched value by the inspected cell: the loss's is θ.g."""
        s = self._session
        name, index = s.require_inspected()
        if s.watched.is_loss:
            return float(s.sheet.p.grads[name][index])
        return float(backprop(s.sheet.net, s.watched, s.sheet.p)[name][index])

    def tangent(self, values: np.ndarray) -> np.ndarray:
        """The line through (θ, watched) whose slope is the analytic derivative: the loss's is L + θ.g · (v − θ)."""
        s = self._session
        name, index = s.require_inspected()
        p = s.sheet.p
        at = _loss(p) if s.watched.is_loss else value(s.sheet.net, p, s.watched)
        return at + self.slope * (np.asarray(values) - p.values[name][index])

    def loss_curve(self, half_width: float, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
        """The watched value (the loss, unless a cell is watched) as the inspected cell moves ``half_width``
        either way."""
        s = self._session
        name, index = s.require_inspected()
        v0 = float(s.sheet.p.values[name][index])
        values = np.linspace(v0 - half_width, v0 + half_width, points)
        if s.watched.is_loss:
            return values, loss_curve(s.sheet.net, name, index, values, s.sheet.p, s.sheet.columns)
        return values, watched_curve(s.sheet.net, name, index, values, s.watched, s.sheet.p, s.sheet.columns)
