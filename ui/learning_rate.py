"""The learning rate of ``w -= lr * w.g``: a log spin box and a slider, both showing the session's ``lr``.

The spin box is the inspector's ε box (``ScientificSpinBox``: 1e-3 style numbers,
a decade an arrow) over the learning rate's range; the slider steps 1, 2, 5 per
decade, so Mazur's 0.5 is one of its stops.  Setting either sets the session's
rate; a change of the session's rate moves both, with their signals blocked so
it does not echo back.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from gradlab.errors import EditError
from gradlab.session import Session
from gradlab.sheet import Change
from ui.inspector import ScientificSpinBox
from ui.signals import follow, signals_blocked

LR_MIN, LR_MAX = 1e-12, 1e12  # what can be typed: the guard says when a rate is too large
SLIDER_RATES = tuple(float(f"{m}e{e}") for e in range(-5, 3) for m in (1, 2, 5))  # 1e-5 … 500, as 1, 2, 5 per decade


class RateSpinBox(ScientificSpinBox):
    """The inspector's log spin box over the learning rate's range (its own ``validate`` checks ε's range)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(LR_MIN, LR_MAX)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


def nearest_stop(lr: float) -> int:
    """The slider's stop nearest to ``lr`` on a log scale (the first or last beyond its ends)."""
    return min(range(len(SLIDER_RATES)), key=lambda i: abs(math.log10(SLIDER_RATES[i]) - math.log10(lr)))


class LearningRateControl(QWidget):
    """``Learning rate [0.5 ▴▾] ━━━●━━``: the spin box ``learning-rate`` and the slider ``learning-rate-slider``."""

    message = Signal(str)  # why a rate was refused

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.spin = RateSpinBox()
        self.spin.setObjectName("learning-rate")
        self.spin.setAccessibleName("Learning rate")
        self.spin.setToolTip("The learning rate lr of w -= lr * w.g: type a number such as 0.05, or use the arrows to move a decade")
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="learning-rate-slider")
        self.slider.setAccessibleName("Learning rate on a log scale")
        self.slider.setToolTip(f"The learning rate on a log scale, 1, 2, 5 per decade, from {SLIDER_RATES[0]:g} to {SLIDER_RATES[-1]:g}")
        self.slider.setRange(0, len(SLIDER_RATES) - 1)
        self.spin.valueChanged.connect(self.set_rate)
        self.slider.valueChanged.connect(lambda i: self.set_rate(SLIDER_RATES[i]))
        label = QLabel("Learning rate")
        label.setBuddy(self.spin)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.spin)
        row.addWidget(self.slider, 1)
        follow(session, self, self._on_change)
        self.show_rate()

    def set_rate(self, lr: float) -> None:
        """Set the session's learning rate; a rate it refuses gets one sentence, and the controls show the old one."""
        try:
            self.session.set_lr(lr)
        except EditError as e:
            self.message.emit(f"{str(e)[:1].upper()}{str(e)[1:]}.")
            self.show_rate()

    def show_rate(self) -> None:
        """Both controls show the session's rate (without telling the session again)."""
        lr = self.session.lr
        with signals_blocked(self.spin):
            self.spin.setValue(lr)
        with signals_blocked(self.slider):
            self.slider.setValue(nearest_stop(lr))

    def _on_change(self, change: Change) -> None:
        if change.kind == "lr":
            self.show_rate()
