"""The loss, big: the one number every edit moves, readable from the back of the room."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from gradlab.session import Session
from gradlab.sheet import Change
from ui.signals import follow

BIG = 1.8  # the loss, against the text around it


class LossDisplay(QWidget):
    """``L = 0.52648425`` with how it was reduced; the label named ``loss`` holds the number alone."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.sheet = session, session.sheet
        self.value = QLabel(objectName="loss")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption = QLabel(objectName="loss-caption")
        name = QLabel("L =")
        self.big = [name, self.value]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(self.caption)
        layout.addWidget(name)
        layout.addWidget(self.value)
        self._size_big_labels()
        follow(session, self, self._on_change)
        self.refresh()

    def _on_change(self, change: Change) -> None:
        if change.kind in ("values", "network"):
            self.refresh()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoomed: the big number grows with everything else
            self._size_big_labels()

    def _size_big_labels(self) -> None:
        for label in self.big:
            font = self.font()
            font.setPointSizeF(font.pointSizeF() * BIG)
            font.setBold(True)
            label.setFont(font)

    def refresh(self) -> None:
        net, loss = self.sheet.net, self.sheet.p.loss
        self.value.setText(f"{float(loss):.8g}".replace("-", "−"))
        self.value.setToolTip(f"L = {float(loss)!r} (every digit)")
        out = self.sheet.p.values["out"]
        divisor = net.loss_kind.divisor(out.shape, net.reduction)
        self.caption.setText(f"{net.loss}, {divisor.caption}, {net.dtype.name}")
