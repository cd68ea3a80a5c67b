"""The backward pass one call at a time: "Backward: Reset ◀ Back  Step ▶  Play", and under the buttons
what the current step does ("step 2 of 4: lin_grad(l2, out, w2, b2) writes l2.g, w2.g, b2.g").

Step 0 is the forward pass done and every ``.g`` still empty; step 1 is the
loss's gradient writing ``out.g``; then each layer's gradient function in turn.
The sheet hides what has not run yet, the grids outline what the current call
reads and writes, and the formula panel marks its lines.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from gradlab.session import Session
from gradlab.sheet import Change
from ui.elided_label import ElidedLabel
from ui.signals import follow


class Stepper(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stepper")
        self.session = session
        self.reset_button = self._button("Reset", "step-reset", "Back to step 0: the forward pass done, no gradient yet",
                                         lambda: self.go(0))
        self.back_button = self._button("◀ Back", "step-back", "One call of the backward pass back (Ctrl+[)", self.back, "Ctrl+[")
        self.forward_button = self._button("Step ▶", "step-forward", "Run the next call of the backward pass (Ctrl+])",
                                           self.forward, "Ctrl+]")
        self.play_button = self._button("Play", "step-play", "Play the backward pass, a call every few seconds", self.toggle_play)
        self.play_button.setCheckable(True)
        self.done_button = self._button("Whole pass", "step-done", "Stop stepping: show the whole backward pass", lambda: self.go(None))
        self.speed = QDoubleSpinBox(objectName="step-speed")
        self.speed.setRange(0.2, 10.0)
        self.speed.setSingleStep(0.5)
        self.speed.setValue(2.0)
        self.speed.setSuffix(" s")
        self.speed.setToolTip("Seconds per step while playing")
        self.speed.setAccessibleName("seconds per step while playing")
        self.speed.valueChanged.connect(lambda seconds: self.timer.setInterval(int(seconds * 1000)))
        self.label = ElidedLabel(objectName="step-label")
        self.timer = QTimer(self, interval=2000)
        self.timer.timeout.connect(self._tick)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(QLabel("<b>Backward:</b>"))
        for w in (self.reset_button, self.back_button, self.forward_button, self.play_button, self.speed,
                  self.done_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)  # the sentence under the buttons: it has the window's width to itself
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(1)
        layout.addLayout(buttons)
        layout.addWidget(self.label)
        follow(session, self, self._on_change)
        self.refresh()

    def _button(self, text: str, name: str, tip: str, slot, key: str | None = None) -> QToolButton:
        """A button as wide as its text (a push button is at least 80 px in most styles: too wide for 1024 px)."""
        button = QToolButton(objectName=name)
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: slot())
        if key:
            button.setShortcut(QKeySequence(key))
        return button

    # -- moving -------------------------------------------------------------------------

    def go(self, step: int | None) -> None:
        self.session.set_step(step)

    def forward(self) -> None:
        last = len(self.session.steps())
        step = self.session.step
        self.go(0 if step is None else min(step + 1, last))

    def back(self) -> None:
        step = self.session.step
        self.go(len(self.session.steps()) - 1 if step is None else max(step - 1, 0))

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
        else:
            if self.session.step is None or self.session.step == len(self.session.steps()):
                self.go(0)
            self.timer.start()
        self.refresh()

    def _tick(self) -> None:
        if self.session.step is not None and self.session.step < len(self.session.steps()):
            self.forward()
        if self.session.step is None or self.session.step >= len(self.session.steps()):
            self.timer.stop()
            self.refresh()

    # -- showing ------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind in ("step", "network"):
            self.refresh()

    def refresh(self) -> None:
        steps, step = self.session.steps(), self.session.step
        playing = self.timer.isActive()
        self.play_button.setChecked(playing)
        self.play_button.setText("Pause" if playing else "Play")
        self.back_button.setEnabled(step != 0)
        self.forward_button.setEnabled(step != len(steps))
        self.done_button.setEnabled(step is not None)
        if step is None:
            self.label.setText("the whole pass is shown; Step ▶ walks through it one call at a time")
        elif step == 0:
            self.label.setText(f"step 0 of {len(steps)}: forward pass done, no .g yet")
        else:
            current = steps[step - 1]
            self.label.setText(f"step {step} of {len(steps)}: {current.call} writes {', '.join(current.writes)}")
