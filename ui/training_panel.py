"""Using the gradient: a learning rate, Update, Train ×N, Reset to start, frozen tensors, and what training did.

    Learning rate [0.5 ▴▾] ━━━━●━━━━
    [Update] [Train ×] [100 ▾] [Cancel] [Reset to start]     ▕████░░░░▏ step 400 of 1,000
    Frozen: ☐ w1 ☑ b1 ☐ w2 ☑ b2
    ┌ loss over the steps ┐┌ inspected cell over the steps ┐┌ output over the input plane ┐

*Update* is one step of gradient descent, ``w -= lr * w.g`` for every parameter
not frozen, as ``train(net, lr, 1)`` takes it (so the guard against numbers that
are not finite applies); *Train ×N* takes N steps, in chunks a turn of the event
loop each (``ui.training_run``), with a progress bar and Cancel.  Each is one undo
step that swaps the network and records the losses in the session's history;
undoing it puts back the very network from before, bit for bit.  *Reset to start*
puts back the parameters from before the first step (one undo step too).  A
frozen tensor is part of the scenario: checking its box is one undo step.
The panel does no maths: ``gradlab.train`` does.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gradlab.errors import EditError
from gradlab.network import Network
from gradlab.session import Session
from gradlab.sheet import Change
from gradlab.train import MAX_STEPS, Cell, train
from ui.commands import Editor
from ui.learning_rate import LearningRateControl
from ui.output_plane import OutputPlane
from ui.signals import follow, signals_blocked
from ui.training_charts import TrainingCharts
from ui.training_commands import ResetTraining, Trained
from ui.training_run import TrainingRun

STEP_CHOICES = ("1", "10", "100", "1000", "10000")
REDRAW_EVERY = 0.1  # seconds between redraws of the charts while a run goes on
UPDATE_KEY, TRAIN_KEY = "Ctrl+U", "Ctrl+Shift+U"


def parse_steps(text: str) -> int:
    """A number of steps typed by the learner: a whole number from 1 to ``MAX_STEPS`` (thousands may be
    grouped: 10,000 or 10 000); anything else is refused with one sentence."""
    cleaned = text.strip()
    for mark in (",", "_", " ", "\u202f", "\u2009"):
        cleaned = cleaned.replace(mark, "")
    if not cleaned.isdigit():
        raise EditError(f"“{text.strip()}” is not a number of steps: type a whole number such as 100")
    return checked_steps(int(cleaned))


def checked_steps(steps: int) -> int:
    """``steps`` when a run can take that many, from 1 to ``MAX_STEPS``; else ``EditError`` says why."""
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise EditError(f"the number of steps must be a whole number, not {steps!r}")
    if not 1 <= steps <= MAX_STEPS:
        raise EditError(f"the number of steps must be from 1 to {MAX_STEPS:,}, not {steps:,}")
    return steps


def _sentence(text: str) -> str:
    """A sentence of the core's (which starts in lower case, to follow a colon) for the status bar."""
    return f"{text[:1].upper()}{text[1:]}."


def _plural(n: int, word: str = "step") -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


class TrainingPanel(QWidget):
    """Gradient descent on the session's network; every change is one undo step through ``editor.stack``."""

    message = Signal(str)  # a sentence for the status bar: what a step did, or why it was refused or stopped

    def __init__(self, session: Session, editor: Editor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("training-panel")
        self.session, self.sheet, self.editor = session, session.sheet, editor
        self.run: TrainingRun | None = None
        self._run_before: Network | None = None  # the sheet's network when the run started: what its undo step puts back
        self._drawn_at = 0.0
        self.freeze_boxes: dict[str, QCheckBox] = {}

        self.rate = LearningRateControl(session)
        self.rate.message.connect(self.message)

        self.update_button = self._button("Update", "update", "Update", f"One step of gradient descent: w -= lr * w.g for every "
                                          f"parameter not frozen; x and y never change ({UPDATE_KEY})", self.update_step, UPDATE_KEY)
        self.train_button = self._button("Train ×", "train", "Train N steps", f"Take the number of steps in the box, as one undo step; "
                                         f"a long run can be cancelled ({TRAIN_KEY})", self.train_typed, TRAIN_KEY)
        self.steps_box = QComboBox()
        self.steps_box.setEditable(True)
        self.steps_box.addItems(STEP_CHOICES)
        self.steps_box.setCurrentText("100")
        self.steps_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._name(self.steps_box, "train-steps", "Number of steps to train",
                   f"How many steps Train takes: pick one or type a whole number from 1 to {MAX_STEPS:,}")
        self.steps_box.lineEdit().returnPressed.connect(self.train_typed)
        self.cancel_button = self._button("Cancel", "cancel-training", "Cancel training",
                                          "Stop the run: the steps taken so far are kept, as one undo step", self.cancel)
        self.reset_button = self._button("Reset to start", "reset-training", "Reset to start",
                                         "Put back every parameter as it was before the first step (one undo step)", self.reset)
        self.progress = QProgressBar()
        self._name(self.progress, "training-progress", "Training progress", "How many of the run's steps are done")
        self.status = QLabel(objectName="training-status")
        self.status.setAccessibleName("Training status")
        self.status.setToolTip("The steps taken since the first step, or the run's progress")

        self.freeze_row = QHBoxLayout()
        self.freeze_row.setContentsMargins(0, 0, 0, 0)
        frozen_label = QLabel("Frozen:")
        frozen_label.setToolTip("A frozen tensor is left alone by gradient descent")
        self.freeze_row.addWidget(frozen_label)
        self._freeze_end = QWidget()  # the boxes go before this spacer
        self.freeze_row.addWidget(self._freeze_end, 1)

        self.charts = TrainingCharts(session)
        self.plane = OutputPlane(session)

        action_row = QHBoxLayout()
        for widget in (self.update_button, self.train_button, self.steps_box, self.cancel_button, self.reset_button):
            action_row.addWidget(widget)
        action_row.addWidget(self.progress, 1)
        action_row.addWidget(self.status, 1)
        charts_row = QHBoxLayout()
        charts_row.addWidget(self.charts, 2)
        charts_row.addWidget(self.plane, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.rate)
        layout.addLayout(action_row)
        layout.addLayout(self.freeze_row)
        layout.addLayout(charts_row, 1)

        follow(session, self, self._on_change)
        self._show_frozen()
        self._show_state()

    def _name(self, widget: QWidget, name: str, accessible: str, tip: str) -> None:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        widget.setToolTip(tip)

    def _button(self, text: str, name: str, accessible: str, tip: str, slot, key: str | None = None) -> QPushButton:
        button = QPushButton(text)
        self._name(button, name, accessible, tip)
        button.clicked.connect(lambda _=False: slot())
        if key is not None:
            button.setShortcut(QKeySequence(key))
        return button

    # -- following the session ---------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind in ("values", "network") and self.run is not None:
            self._abandon()
        if change.kind == "network":
            self._show_frozen()
            self._show_state()
        elif change.kind == "history":
            self._show_state()

    def _show_frozen(self) -> None:
        """A box per parameter, checked when it is frozen; the boxes are made again only when the names change."""
        net = self.sheet.net
        names = list(net.parameters())
        if names != list(self.freeze_boxes):
            for box in self.freeze_boxes.values():
                self.freeze_row.removeWidget(box)
                box.deleteLater()
            self.freeze_boxes = {}
            for name in names:
                box = QCheckBox(name)
                self._name(box, f"freeze:{name}", f"Freeze {name}",
                           f"Freeze {name}: gradient descent leaves it alone (one undo step)")
                box.toggled.connect(lambda on, n=name: self.set_frozen(n, on))
                self.freeze_row.insertWidget(self.freeze_row.indexOf(self._freeze_end), box)
                self.freeze_boxes[name] = box
        for name, box in self.freeze_boxes.items():
            with signals_blocked(box):
                box.setChecked(name in net.frozen)

    def _show_state(self) -> None:
        """Enable what can be done now, and say how many steps have been taken."""
        running = self.run is not None
        for widget in (self.update_button, self.train_button, self.steps_box, self.rate, *self.freeze_boxes.values()):
            widget.setEnabled(not running)
        history = self.session.history
        self.reset_button.setEnabled(not running and history is not None)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            return
        if history is None:
            self.status.setText("no step taken yet")
        else:
            self.status.setText(f"{_plural(history.steps)} taken: L from {history.losses[0]:.6g} to {history.losses[-1]:.6g}")

    # -- the steps -----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a Train ×N run is under way."""
        return self.run is not None

    def _can_train(self) -> bool:
        if self.run is not None:
            self.message.emit("Training is under way: wait for it to finish, or cancel it.")
            return False
        if not self.sheet.net.trainable():
            self.message.emit("Every parameter is frozen, so a step would change nothing: unfreeze one to train.")
            return False
        return True

    def _watch(self) -> list[Cell]:
        return [self.session.inspected] if self.session.inspected is not None else []

    def update_step(self) -> bool:
        """One step of gradient descent at the session's learning rate: one undo step.  False when refused or
        when the step would make a number not finite (the sentence says which)."""
        if not self._can_train():
            return False
        before, lr = self.sheet.net, self.session.lr
        result = train(before, lr, 1, watch=self._watch())
        if result.steps == 0:
            self.message.emit(_sentence(result.stopped or "no step was taken"))
            return False
        self.editor.stack.push(Trained(self.session, before, result.net, result.losses, result.watched, f"update with lr {lr:g}"))
        self.message.emit(f"One step with lr {lr:g}: L went from {result.losses[0]:.8g} to {result.losses[1]:.8g}.")
        return True

    def train_typed(self) -> bool:
        """Train ×N with N from the steps box; bad text gets one sentence and changes nothing."""
        try:
            steps = parse_steps(self.steps_box.currentText())
        except EditError as e:
            self.message.emit(_sentence(str(e)))
            return False
        return self.train_steps(steps)

    def train_steps(self, steps: int) -> bool:
        """Start a run of ``steps`` steps; it goes on over the next turns of the event loop and ends in one undo step."""
        try:
            steps = checked_steps(steps)
        except EditError as e:
            self.message.emit(_sentence(str(e)))
            return False
        if not self._can_train():
            return False
        self._run_before = self.sheet.net
        self.run = TrainingRun(self.sheet.net, self.session.lr, steps, self._watch(), parent=self)
        self.run.progressed.connect(self._progressed)
        self.run.finished.connect(self._finished)
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.status.setText(f"step 0 of {steps:,}")
        self._drawn_at = time.perf_counter()
        self._show_state()
        self.run.start()
        return True

    def cancel(self) -> None:
        """Stop the run; the steps taken so far are kept, as one undo step."""
        if self.run is not None:
            self.run.cancel()

    def _progressed(self, done: int, steps: int) -> None:
        run = self.run
        if run is None:
            return
        self.progress.setValue(done)
        self.status.setText(f"step {done:,} of {steps:,}: L = {run.losses[done]:.6g}")
        now = time.perf_counter()
        if now - self._drawn_at >= REDRAW_EVERY and done < steps:
            self._drawn_at = now
            self.charts.show_run(run)
            self.plane.show_network(run.net)
            run.rest()  # the repaint comes next turn, alone

    def _finished(self) -> None:
        run, before = self.run, self._run_before
        if run is None or before is None:
            return
        self.run, self._run_before = None, None
        self.charts.show_run(None)
        run.deleteLater()
        losses, watched = run.result()
        if run.done:
            text = f"train ×{run.steps:,} with lr {run.lr:g}" if run.done == run.steps else \
                f"train {run.done:,} of {run.steps:,} steps with lr {run.lr:g}"
            self.editor.stack.push(Trained(self.session, before, run.net, losses, watched, text))
        else:
            self._show_state()
            self.plane.refresh()
        if run.stopped is not None:
            self.message.emit(_sentence(run.stopped))
        elif run.cancelled:
            self.message.emit(f"Cancelled after {run.done:,} of {_plural(run.steps)}; "
                              + (f"the {_plural(run.done)} taken are one undo step." if run.done else "nothing changed."))
        else:
            self.message.emit(f"Trained {_plural(run.steps)} with lr {run.lr:g}: L went from {losses[0]:.8g} to {losses[-1]:.8g}.")

    def _abandon(self) -> None:
        """The network changed under a run: its steps were taken from another state, so none is kept."""
        run = self.run
        if run is None:
            return
        self.run, self._run_before = None, None
        run.finished.disconnect(self._finished)
        run.cancel()
        run.deleteLater()
        self.charts.show_run(None)
        self._show_state()
        self.message.emit(f"Training stopped: the network changed during the run, so its {_plural(run.done)} were not kept.")

    def reset(self) -> bool:
        """Put back the parameters from before the first step: one undo step (undo brings the steps back)."""
        history = self.session.history
        if self.run is not None or history is None:
            self.message.emit("Training is under way: wait for it to finish, or cancel it." if self.run is not None
                              else "No step has been taken, so there is nothing to reset.")
            return False
        self.editor.stack.push(ResetTraining(self.session, history))
        self.message.emit(f"Back to the start: the parameters from before the first of {_plural(history.steps)}.")
        return True

    # -- freezing ---------------------------------------------------------------------------------------

    def set_frozen(self, name: str, on: bool) -> bool:
        """Freeze (or unfreeze) the parameter ``name``: one undo step that swaps in a copy of the network whose
        frozen set differs.  The grid headers may call this too.  False when refused (one sentence says why)."""
        if self.run is not None:
            self.message.emit("Training is under way: wait for it to finish, or cancel it, before freezing a tensor.")
            self._show_frozen()
            return False
        try:
            changed = self.editor.set_frozen(name, on)
        except ValueError as e:
            self.message.emit(f"Could not {'freeze' if on else 'unfreeze'} {name}: {e}.")
            self._show_frozen()
            return False
        if changed:
            self.message.emit(f"Froze {name}: gradient descent leaves it alone." if on
                              else f"Unfroze {name}: gradient descent changes it again.")
        return True

    # -- looks ----------------------------------------------------------------------------------------------

    def set_theme(self, dark: bool) -> None:
        """White plots with black ink, or black plots with white ink (the window's theme)."""
        self.charts.set_theme(dark)
        self.plane.set_theme(dark)

    def set_font_scale(self, scale: float) -> None:
        """Scale the charts' text and lines with the window's zoom (1.0 is the default)."""
        self.charts.set_font_scale(scale)
        self.plane.set_font_scale(scale)
