"""A label whose text changes on every edit, held so that the layouts round it stay still.

Each time a ``QLabel``'s text changes it asks its layout for room, and the request
climbs to the window: the inspector's form, the formula panel, then every splitter
above them run their layouts again, on every edit, though the numbers almost always
fit where they are (about 3.5 ms of a 20 ms edit in ``benchmarks/edit_profile.py``).

``Steady`` holds one label.  The label's request stops at it (a widget without a
layout of its own only hears it), and ``Steady`` passes it on to its layout only when
the label no longer fits: wider than its room, or, wrapped, a line more or a line
less than at the last layout.  Everything else (hints, height for width, size policy)
is the label's, so the layout round it cannot tell them apart.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QWidget


class Steady(QWidget):
    def __init__(self, label: QLabel, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        self.setSizePolicy(label.sizePolicy())
        self._laid_height = -1  # the height the label needed at the last layout

    def _needs(self, width: int) -> QSize:
        hint = self.label.sizeHint()
        return QSize(hint.width(), self.label.heightForWidth(width) if self.label.hasHeightForWidth() else hint.height())

    def sizeHint(self) -> QSize:
        return self.label.sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self.label.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        return self.label.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        return self.label.heightForWidth(width)

    def resizeEvent(self, event) -> None:
        self.label.setGeometry(self.rect())
        self._laid_height = self._needs(self.width()).height()
        super().resizeEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the label's text changed
            needs = self._needs(self.width())
            if needs.width() > self.width() or needs.height() != self._laid_height:
                self.updateGeometry()  # it no longer fits: the layout round it runs again
            return True
        return super().event(event)
