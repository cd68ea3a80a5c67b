"""Many steps of gradient descent without freezing the window: a run in chunks, one chunk a turn.

``train`` is resumable (``a`` steps and then ``b`` more give the bits of ``a + b``
steps), so a long run can be cut into chunks, each one call of ``train`` from the
last chunk's network, run from a zero-interval ``QTimer``: between two chunks
the event loop repaints, and the Cancel button is heard.  Each chunk is sized
from the time the last one took per step, so that a turn of the event loop
spends about ``BUDGET`` seconds training: well under the 50 ms after which a
window feels stuck.  (A worker thread would not do better here: the steps of a
small network are Python and numpy calls on small arrays that hold the GIL, and
the window waits for it.)

The run never changes the sheet: it trains copies, and the panel pushes one undo
step with what it did when it ends.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from gradlab.network import Network
from gradlab.train import Cell, learning_rate, step_count, train

BUDGET = 0.008  # seconds of training in one turn of the event loop
PROBE = 8  # steps of the first chunk, whose time sizes the next
GROWTH = 4  # a chunk is at most this many times the last: one quick chunk is not trusted too far


class TrainingRun(QObject):
    """``steps`` steps with learning rate ``lr`` from ``net`` (never changed), a chunk a turn.

    ``losses[:done + 1]`` and ``watched[cell][:done + 1]`` hold the loss and each watched cell's
    value before the first step and after each step done; ``net`` is the network after them.
    ``progressed(done, steps)`` is emitted after each chunk, ``finished`` once, when every
    step ran, a number stopped being finite (``stopped`` says so), or ``cancel()`` was called."""

    progressed = Signal(int, int)
    finished = Signal()

    def __init__(self, net: Network, lr: float, steps: int, watch: list[Cell] | tuple[Cell, ...] = (),
                 parent: QObject | None = None, budget: float = BUDGET):
        super().__init__(parent)
        self.lr, self.steps = learning_rate(lr), step_count(steps)
        self.start_net = net
        self.net = net
        self.watch = list(watch)
        self.losses = np.empty(self.steps + 1, dtype=net.dtype)
        self.watched = {cell: np.empty(self.steps + 1, dtype=net.dtype) for cell in self.watch}
        self.done = 0
        self.chunks = 0  # how many turns of the event loop the run took
        self.stopped: str | None = None  # the guard's sentence, when a number stopped being finite
        self.cancelled = False
        self.over = False
        self._budget = budget
        self._chunk = PROBE
        self._resting = False
        self._timer = QTimer(self, interval=0)
        self._timer.timeout.connect(self._turn)

    def start(self) -> None:
        """Start on the next turn of the event loop (never here: the caller returns first)."""
        if self.over:
            return
        if self.steps == 0:  # nothing to do: over at once, and finished all the same
            self.over = True
            QTimer.singleShot(0, self, self.finished.emit)
            return
        self._timer.start()

    def cancel(self) -> None:
        """Stop after the steps done so far; they are kept."""
        if not self.over:
            self.cancelled = True
            self._end()

    def rest(self) -> None:
        """Take no step in the next turn: the views redrawn in this one repaint in it, and the two together
        would make a long turn."""
        self._resting = True

    def _end(self) -> None:
        self._timer.stop()
        self.over = True
        self.finished.emit()

    def _turn(self) -> None:
        if self.over or self._resting:
            self._resting = False
            return
        steps = min(self._chunk, self.steps - self.done)
        began = time.perf_counter()
        chunk = train(self.net, self.lr, steps, watch=self.watch, taken=self.done)
        per_step = max(time.perf_counter() - began, 1e-9) / steps
        first = self.done if self.done == 0 else self.done + 1  # the first chunk brings the loss before any step
        kept = slice(first, self.done + chunk.steps + 1)
        self.losses[kept] = chunk.losses[kept.start - self.done:]
        for cell, values in chunk.watched.items():
            self.watched[cell][kept] = values[kept.start - self.done:]
        self.done += chunk.steps
        self.net = chunk.net
        self.chunks += 1
        self._chunk = max(1, min(int(self._budget / per_step), GROWTH * steps))
        self.progressed.emit(self.done, self.steps)
        if chunk.stopped is not None or self.done == self.steps:
            self.stopped = chunk.stopped
            self._timer.stop()
            self.over = True
            # finished comes in a turn of its own: the undo step and the redraws it brings do not add to this chunk's
            QTimer.singleShot(0, self, self.finished.emit)

    def result(self) -> tuple[np.ndarray, dict[Cell, np.ndarray]]:
        """The losses and the watched values of the steps done (copies)."""
        end = self.done + 1
        return self.losses[:end].copy(), {cell: values[:end].copy() for cell, values in self.watched.items()}
