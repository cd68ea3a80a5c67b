"""Using the gradient: steps of gradient descent, and the loss coming down.

The backward pass ends with every ``.g``; one step of gradient descent puts them
to use, as the lesson writes it::

    w1 -= lr * w1.g;  b1 -= lr * b1.g;  w2 -= lr * w2.g;  b2 -= lr * b2.g

for every parameter that is not frozen (Mazur keeps his biases fixed: ``b1`` and
``b2`` frozen).  ``x`` and ``y`` never change.

- ``update(net, p, lr)``: one step from the pass ``p = run(net)``; a new network,
  ``net`` itself untouched (so an undo gets it back bit for bit).
- ``train(net, lr, steps)``: ``steps`` of them, each followed by a new forward and
  backward pass; ``Training.losses[k]`` is the loss after k steps (``losses[0]``
  before the first).  It gives the very bits that ``run`` and ``update`` repeated
  would give, only faster: the network is wired once and its private copy
  updated in place.  A step that would make a parameter, the loss or a gradient
  the update uses infinite or nan is not kept: training stops at the last
  finite state and says why in one sentence.  Training is resumable: ``a`` steps
  and then ``b`` more give the bits of ``a + b`` steps.
- ``explain_update(net, p, lr, "w1", (0, 3))``: one updated cell with the
  numbers put in, ``w1[0,3] = 0.3 − 0.5 × 0.2092 = 0.1954``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from gradlab.explain import Explanation
from gradlab.network import Network, Pass, backward_steps, descend, frozen_names, update_steps
from gradlab.text import cell_name, fmt, paren

MAX_STEPS = 10_000_000  # far beyond any run that shows a learner something; the losses alone take 80 MB
EVERY = 100  # steps between calls of progress and cancelled, and between checks that every number is finite

Cell = tuple[str, tuple[int, ...]]


def learning_rate(lr: object) -> float:
    """``lr`` as a Python float (so a float32 network stays float32), or a ``ValueError`` saying why not."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise ValueError(f"the learning rate must be a number, not {lr!r}")
    value = float(lr)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"the learning rate must be a finite number above 0, not {value:g}")
    return value


def step_count(steps: object) -> int:
    """``steps`` as an int from 0 to ``MAX_STEPS``, or a ``ValueError`` saying why not."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"the number of steps must be a whole number, not {steps!r}")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"the number of steps must be from 0 to {MAX_STEPS:,}, not {steps:,}")
    return int(steps)


def update(net: Network, p: Pass, lr: float, frozen: Iterable[str] | None = None) -> Network:
    """One step of gradient descent: a copy of ``net`` with ``w -= lr * w.g`` for every parameter not
    frozen, the gradients read from ``p = run(net)``.  ``frozen`` defaults to ``net.frozen``; the copy
    carries the frozen set used.  ``net`` is never changed."""
    lr = learning_rate(lr)
    held = net.frozen if frozen is None else frozen_names(net, frozen)
    out = net.copy()
    out.frozen = held
    params = out.parameters()
    with np.errstate(over="ignore", invalid="ignore"):  # a step too large gives inf: the caller sees it, numpy need not say so
        for name in out.trainable():
            descend(params[name], p.grads[name], lr)
    return out


@dataclass(frozen=True)
class Training:
    """What ``train`` did: the network after the last step it kept, and the loss after every step."""

    net: Network  # the trained network (a new one); its ``frozen`` is the set that was held
    losses: np.ndarray  # losses[k]: the loss after k steps; losses[0] is the loss before the first
    lr: float
    stopped: str | None = None  # why training stopped early, in one sentence; None when every step ran
    watched: dict[Cell, np.ndarray] = field(default_factory=dict)  # each watched cell's value after k steps

    @property
    def steps(self) -> int:
        """How many steps were taken (and kept)."""
        return len(self.losses) - 1


class _Descent:
    """A private copy of a network, wired once, whose parameters are updated in place.

    ``pass_()`` runs the same calls as ``run``: each layer's forward, the loss as
    ``forward`` sums it, then the steps of ``backward_steps``, built once over
    the copy's own layers, so they read the updated parameters."""

    def __init__(self, net: Network, frozen: frozenset[str]):
        self.net = net.copy()
        self.net.frozen = frozen
        self.values: dict[str, np.ndarray] = dict(self.net.inputs())
        self.grads: dict[str, np.ndarray] = {}
        self.p = Pass(self.values, self.grads)
        self.layers = [(layer.forward, names.inp, names.out) for layer, names in self.net.named_layers()]
        self.backward = [step.run for step in backward_steps(self.net)]
        out_shape = (self.net.batch, self.net.widths()[-1])
        self.rows, self.n = self.net.loss_kind.rows, self.net.loss_kind.divisor(out_shape, self.net.reduction).n
        params = self.net.parameters()
        self.trainable = [(name, params[name]) for name in self.net.trainable()]

    def pass_(self) -> np.floating:
        """Forward and backward at the current parameters; the loss."""
        v = self.values
        for forward, inp, out in self.layers:
            v[out] = forward(v[inp])
        loss = self.rows(v["out"], self.net.y).sum() / self.n
        for run in self.backward:
            run(self.p)
        return loss

    def step(self, lr: float) -> None:
        g = self.grads
        for name, param in self.trainable:
            descend(param, g[name], lr)

    def snapshot(self) -> list[np.ndarray]:
        return [param.copy() for _, param in self.trainable]

    def restore(self, snapshot: list[np.ndarray]) -> None:
        for (_, param), saved in zip(self.trainable, snapshot):
            param[...] = saved

    def finite(self) -> bool:
        """Whether every trainable parameter and its gradient is finite."""
        return all(np.isfinite(param).all() and np.isfinite(self.grads[name]).all() for name, param in self.trainable)

    def first_non_finite(self, loss: np.floating) -> tuple[str, float] | None:
        """The first number of this state that is not finite, in the order a step makes them: the
        parameters, the loss, then the gradients the next step would use; None when all are finite."""
        for name, param in self.trainable:
            bad = ~np.isfinite(param)
            if bad.any():
                return cell_name(name, tuple(np.argwhere(bad)[0])), float(param[bad][0])
        if not math.isfinite(loss):
            return "the loss", float(loss)
        for name, _ in self.trainable:
            g = self.grads[name]
            bad = ~np.isfinite(g)
            if bad.any():
                return cell_name(f"{name}.g", tuple(np.argwhere(bad)[0])), float(g[bad][0])
        return None


def _word(value: float) -> str:
    return "not a number (nan)" if math.isnan(value) else f"infinite ({'−' if value < 0 else ''}inf)"


def train(
    net: Network,
    lr: float,
    steps: int,
    frozen: Iterable[str] | None = None,
    progress: Callable[[int, int, float], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
    watch: Iterable[Cell] = (),
    every: int = EVERY,
    taken: int = 0,
) -> Training:
    """``steps`` steps of gradient descent with learning rate ``lr``, each followed by a new pass.

    ``frozen`` names the parameters to leave alone (default: ``net.frozen``).  Every ``every``
    steps, ``progress(done, steps, loss)`` is called and ``cancelled()`` asked whether to stop;
    a cancelled run keeps the steps done.  ``watch`` lists cells, ``("w1", (0, 3))``, whose
    value after every step ``Training.watched`` holds.  ``taken`` counts the steps of the same run
    taken before this call (a run made in chunks, each a call): the sentence of a run stopped by a
    number that is not finite counts its steps from there.  ``net`` is never changed.  Bad
    arguments raise ``ValueError`` with one sentence."""
    lr, steps = learning_rate(lr), step_count(steps)
    held = net.frozen if frozen is None else frozen_names(net, frozen)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"progress is reported every whole number of steps from 1 up, not every {every!r}")
    if isinstance(taken, bool) or not isinstance(taken, (int, np.integer)) or taken < 0:
        raise ValueError(f"the steps taken before must be a whole number from 0 up, not {taken!r}")
    with np.errstate(all="ignore"):  # numbers that overflow are found and reported by the guard, not by numpy
        return _train(net, lr, steps, held, progress, cancelled, watch, every, int(taken))


def _train(net: Network, lr: float, steps: int, held: frozenset[str], progress: Callable[[int, int, float], object] | None,
           cancelled: Callable[[], bool] | None, watch: Iterable[Cell], every: int, taken: int = 0) -> Training:
    run = _Descent(net, held)
    watched = _watch(run.net, watch, steps)
    losses = np.empty(steps + 1, dtype=net.dtype)

    def record(k: int, loss: np.floating) -> None:
        losses[k] = loss
        for (name, index), history in watched.items():
            history[k] = run.values[name][index]

    loss = run.pass_()
    record(0, loss)
    bad = run.first_non_finite(loss)
    if bad is not None:
        return _result(run, losses, 0, lr, watched, f"{bad[0]} is already {_word(bad[1])} before any step, so there is nothing to train")
    done, stopped = 0, None
    while done < steps:
        chunk = min(every, steps - done)
        saved = run.snapshot()
        for k in range(done + 1, done + chunk + 1):
            run.step(lr)
            record(k, run.pass_())
        if not (np.isfinite(losses[done + 1:done + chunk + 1]).all() and run.finite()):
            # A parameter that is not finite stays so (w − lr·g cannot undo it), and a gradient that is not
            # finite makes its parameter so at the next step: replay the chunk with every check to find the step.
            run.restore(saved)
            run.pass_()
            for k in range(done + 1, done + chunk + 1):
                kept = run.snapshot()
                run.step(lr)
                loss = run.pass_()
                bad = run.first_non_finite(loss)
                if bad is not None:
                    run.restore(kept)
                    run.pass_()
                    at = taken + k
                    reason = (f"step {at:,} would make {bad[0]} {_word(bad[1])}, so training stopped after {at - 1:,} "
                              f"step{'s' if at - 1 != 1 else ''}, at the last finite state: the learning rate {lr:g} is too large")
                    return _result(run, losses, k - 1, lr, watched, reason)
                record(k, loss)
        done += chunk
        if progress is not None:
            progress(done, steps, float(losses[done]))
        if cancelled is not None and done < steps and cancelled():
            stopped = f"cancelled after {done:,} of {steps:,} steps"
            break
    return _result(run, losses, done, lr, watched, stopped)


def _watch(net: Network, cells: Iterable[Cell], steps: int) -> dict[Cell, np.ndarray]:
    watched = {}
    for name, index in cells:
        index = tuple(int(i) for i in index)
        tensor = net.tensor(name)  # a KeyError names a tensor that is not there
        if len(index) != tensor.ndim or not all(0 <= i < n for i, n in zip(index, tensor.shape)):
            raise ValueError(f"{cell_name(name, index)} is not a cell of {name}, which is {'×'.join(map(str, tensor.shape))}")
        watched[(name, index)] = np.empty(steps + 1, dtype=tensor.dtype)
    return watched


def _result(run: _Descent, losses: np.ndarray, done: int, lr: float, watched: dict, stopped: str | None) -> Training:
    kept = {cell: history[:done + 1].copy() for cell, history in watched.items()}
    return Training(run.net, losses[:done + 1].copy(), lr, stopped, kept)


def explain_update(net: Network, p: Pass, lr: float, name: str, index: tuple[int, ...],
                   frozen: Iterable[str] | None = None) -> Explanation:
    """One cell of the update, with the numbers put in: ``w1[0,3] = 0.3 − 0.5 × 0.2092 = 0.1954``.

    ``step`` is the update's place among the stepper's steps, after the backward pass
    (``backward_steps(net) + update_steps(net, lr)``).  A frozen parameter has no update."""
    lr = learning_rate(lr)
    trainable = net.trainable(frozen)
    if name not in trainable:
        why = "it is frozen" if name in net.parameters() else "only parameters are updated"
        raise KeyError(f"no step updates {name}: {why}")
    index = tuple(int(i) for i in index)
    value, grad = net.tensor(name)[index], p.grads[name][index]  # an IndexError for a cell outside the tensor
    updated = _updated(value, grad, lr)
    k = trainable.index(name)
    step = update_steps(net, lr, frozen)[k]
    return UpdateExplanation(
        target=cell_name(name, index),
        formula=f"{cell_name(name, index)} − lr × {cell_name(name + '.g', index)}",
        terms=(f"{fmt(value)} − {fmt(lr)} × {paren(grad)}",),
        value=float(updated),
        step=len(backward_steps(net)) + k,
        line=step.code[0],
        note=f"a step against the gradient: where the loss rises with {name}, {name} goes down, "
             f"by lr = {fmt(lr)} times how fast the loss rises",
    )


def _updated(value: np.floating, grad: np.floating, lr: float) -> np.floating:
    """The cell after ``descend``: the same arithmetic on a one-cell array, so the same bits."""
    cell = np.array([value])
    descend(cell, np.array([grad]), lr)
    return cell[0]


@dataclass(frozen=True)
class UpdateExplanation(Explanation):
    """An updated cell: its text is the new value, ``w1[0,3] = 0.3 − 0.5 × 0.2092 = 0.1954``."""

    @property
    def text(self) -> str:
        return f"{self.target} = {self.expansion} = {fmt(self.value)}"
