"""The loss, big: the one number every edit moves, readable from the back of the room."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gradlab.session import Session
from gradlab.sheet import Change
from ui.elided_label import ElidedLabel
from ui.signals import follow

BIG = 1.8  # the loss, against the text around it
TYPICAL = "−0.88888888"  # the widest loss written without an exponent


class LossDisplay(QWidget):
    """``L = 0.52648425`` over how it was reduced; the label named ``loss`` holds the number alone.

    The number's label is as wide as a loss of eight digits (``TYPICAL``), so an edit never moves anything;
    a wider number (``1.2345678e−05``) widens it once, and it stays that wide until the next zoom."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("loss-display")
        self.session, self.sheet = session, session.sheet
        self.value = QLabel(objectName="loss")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.caption = ElidedLabel(objectName="loss-caption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        # as wide as its words where the header has room (the stepper gives way), elided only where it has not
        self.caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        name = QLabel("L =")
        self.big = [name, self.value]
        number = QHBoxLayout()
        number.setSpacing(6)
        number.addStretch(1)
        number.addWidget(name)
        number.addWidget(self.value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(0)
        layout.addLayout(number)
        layout.addWidget(self.caption)
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
        self.value.setFixedWidth(self._width_for(TYPICAL))
        self._widen_for(self.value.text())

    def _width_for(self, text: str) -> int:
        return self.value.fontMetrics().horizontalAdvance(text) + 4

    def _widen_for(self, text: str) -> None:
        if self._width_for(text) > self.value.minimumWidth():
            self.value.setFixedWidth(self._width_for(text))

    def refresh(self) -> None:
        net, loss = self.sheet.net, self.sheet.p.loss
        self.value.setText(f"{float(loss):.8g}".replace("-", "−"))
        self._widen_for(self.value.text())
        self.value.setToolTip(f"L = {float(loss)!r} (every digit)")
        out = self.sheet.p.values["out"]
        divisor = net.loss_kind.divisor(out.shape, net.reduction)
        self.caption.setText(f"{net.loss}, {divisor.caption}, {net.dtype.name}")
        self.setAccessibleName(f"loss {self.value.text()}, {self.caption.text()}")
