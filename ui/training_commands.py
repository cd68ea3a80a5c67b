"""The undo steps of training: steps taken, and going back to the start.

Like ``ReplaceNetwork`` they swap whole networks, keeping the very objects, so an
undo puts back every bit; and they keep the session's record of the losses in
step: undoing steps forgets their losses, redoing them records them again.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand

from gradlab.network import Network
from gradlab.session import Cell, History, Session


class Trained(QUndoCommand):
    """Steps of gradient descent taken from ``before`` to ``after``: an Update, or Train ×N (done or cancelled)."""

    def __init__(self, session: Session, before: Network, after: Network, losses: np.ndarray,
                 watched: dict[Cell, np.ndarray], text: str):
        super().__init__(text)
        self.session, self.before, self.after = session, before, after
        self.losses, self.watched = losses, watched

    @property
    def steps(self) -> int:
        return len(self.losses) - 1

    def redo(self) -> None:
        self.session.sheet.replace(self.after)
        self.session.trained(self.before, self.losses, self.watched)

    def undo(self) -> None:
        self.session.sheet.replace(self.before)
        self.session.untrained(self.steps)


class ResetTraining(QUndoCommand):
    """Every parameter back to its value before the first step of ``history``; the history is forgotten
    (and remembered again on undo)."""

    def __init__(self, session: Session, history: History):
        super().__init__(f"reset to start ({history.steps:,} step{'s' if history.steps != 1 else ''} back)")
        self.session, self.history = session, history
        self.old: Network | None = None
        self.new = restored(session.sheet.net, history.start)

    def redo(self) -> None:
        old = self.session.sheet.replace(self.new)
        if self.old is None:
            self.old = old
        self.session.untrained(self.history.steps)

    def undo(self) -> None:
        assert self.old is not None  # redo ran first: QUndoStack.push calls it
        self.session.sheet.replace(self.old)
        history = self.history
        self.session.trained(history.start, history.losses, history.watched)


def restored(net: Network, start: Network) -> Network:
    """A copy of ``net`` with the parameters of ``start``: the data, the frozen set and the rest stay as they are."""
    out = net.copy()
    for name, param in out.parameters().items():
        param[...] = start.parameters()[name]
    return out
