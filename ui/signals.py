"""Views and the session: following it for as long as a view lives, and blocking a widget's signals while
the model updates it, so updates never echo back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from gradlab.session import Session
from gradlab.sheet import Change


@contextmanager
def signals_blocked(obj: QObject) -> Iterator[None]:
    previous = obj.blockSignals(True)
    try:
        yield
    finally:
        obj.blockSignals(previous)


def follow(session: Session, owner: QObject, listener: Callable[[Change], None]) -> None:
    """Subscribe ``listener`` to the session for as long as ``owner`` lives: a view that goes, stops listening."""
    session.subscribe(listener)
    owner.destroyed.connect(lambda *_: session.unsubscribe(listener))


def out_of_sight(widget: QWidget) -> bool:
    """Whether ``widget`` is hidden in a window that is shown (behind another tab, say): its refresh can wait for
    its ``showEvent``.  A widget built on its own and never shown is not out of sight: it refreshes as it goes."""
    return widget.window().isVisible() and not widget.isVisible()


class DrawnInSight:
    """For a view (a QWidget, listed before it among the bases) that draws only while in sight: ``changed()``
    calls its ``refresh`` now, or, behind another tab, once it is shown again."""

    _stale = False  # something changed while the view was out of sight

    def changed(self) -> None:
        if out_of_sight(self):  # type: ignore[arg-type]
            self._stale = True
        else:
            self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def showEvent(self, event) -> None:
        super().showEvent(event)  # type: ignore[misc]
        if self._stale:
            self._stale = False
            self.refresh()
