"""The first frame first: parts that are slow to build wait until the window is on screen.

The nudge charts and the Train tab need pyqtgraph, which takes longer to import than
the whole rest of the window takes to build.  A window that is shown before them has
a place kept for each (``waiting``: a line saying what is coming), and ``FirstFrame``
calls the builder as soon as the window has painted once, which puts them in their
places (``settle_in``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def waiting(name: str, text: str) -> QWidget:
    """A place kept for a part not built yet, saying ``text`` ("Drawing the charts…") until it comes."""
    home = QWidget(objectName=name)
    column = QVBoxLayout(home)
    column.setContentsMargins(0, 0, 0, 0)
    note = QLabel(text, objectName=f"{name}-note")
    note.setAlignment(Qt.AlignmentFlag.AlignCenter)
    column.addWidget(note)
    return home


def settle_in(home: QWidget, part: QWidget) -> None:
    """Put ``part`` in the place ``waiting`` kept for it, in place of the line."""
    layout = home.layout()
    assert layout is not None, "a place made by waiting() has its column"
    note = home.findChild(QLabel, f"{home.objectName()}-note")
    if note is not None:
        layout.removeWidget(note)
        note.hide()
        note.deleteLater()
    layout.addWidget(part)


class FirstFrame(QObject):
    """Calls ``then`` once, a turn of the event loop after ``window`` first paints."""

    def __init__(self, window: QWidget, then: Callable[[], None]):
        super().__init__(window)
        self._window, self._then = window, then
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self, self._then)  # after this frame is drawn and on screen
        return False
