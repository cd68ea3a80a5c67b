"""The training panel, alone with a Session and an Editor: Update, Train ×N, Cancel, Reset, freezing, the charts.

Oracles: Mazur's published weights after one step; otherwise ``gradlab.train`` called directly
(whose own tests check it against the lesson's update written out by hand), and the bits of the
network before, which undo must give back exactly.
"""

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QWidget,
)

from gradlab import preset
from gradlab.errors import EditError
from gradlab.network import Network
from gradlab.presets import random_network
from gradlab.session import Session
from gradlab.sheet import Sheet
from gradlab.train import train
from ui.commands import Editor
from ui.learning_rate import SLIDER_RATES
from ui.training_panel import TrainingPanel, parse_steps

NAMES = ("learning-rate", "update", "train-steps", "train", "cancel-training", "reset-training",
         "loss-history-plot", "output-plane-plot")


class Parts:
    def __init__(self, qtbot, net: Network):
        self.sheet = Sheet(net)
        self.session = Session(self.sheet)
        self.host = QWidget()  # only a parent for the undo stack
        qtbot.addWidget(self.host)
        self.editor = Editor(self.sheet, QUndoStack(self.host))
        self.stack = self.editor.stack
        self.panel = TrainingPanel(self.session, self.editor)
        qtbot.addWidget(self.panel)
        self.said: list[str] = []
        self.panel.message.connect(self.said.append)
        self.qtbot = qtbot

    def find(self, kind, name: str):
        found = self.panel.findChild(kind, name)
        assert found is not None, f"no {kind.__name__} named {name}"
        return found

    def click(self, name: str) -> None:
        self.qtbot.mouseClick(self.find(QAbstractButton, name), Qt.MouseButton.LeftButton)

    def train_typed(self, text: str) -> None:
        self.find(QComboBox, "train-steps").setCurrentText(text)
        self.click("train")

    def finish(self) -> None:
        self.qtbot.waitUntil(lambda: not self.panel.running, timeout=60_000)


def make(qtbot, net: Network | str) -> Parts:
    return Parts(qtbot, preset(net) if isinstance(net, str) else net)


def bits(net: Network) -> dict[str, bytes]:
    return {name: tensor.tobytes() for name, tensor in net.inputs().items()} | {"y": net.y.tobytes()}


def ys(curve: pg.PlotDataItem) -> np.ndarray:
    """The y values a curve draws (none: an empty array)."""
    y = curve.getData()[1]
    return np.empty(0) if y is None else y


def all_finite(sheet: Sheet) -> bool:
    arrays = [*sheet.p.values.values(), *sheet.p.grads.values()]
    return bool(np.isfinite(sheet.p.loss) and all(np.isfinite(a).all() for a in arrays))


def test_every_control_is_named_labelled_and_explained(qtbot):
    parts = make(qtbot, "mazur")
    for name in NAMES:
        assert parts.panel.findChild(QWidget, name) is not None, name
    assert [box.objectName() for box in parts.panel.findChildren(QCheckBox) if box.objectName().startswith("freeze:")] == [
        "freeze:w1", "freeze:b1", "freeze:w2", "freeze:b2"]
    controls = [w for kind in (QAbstractButton, QComboBox, QAbstractSpinBox, QSlider, QProgressBar, pg.PlotWidget)
                for w in parts.panel.findChildren(kind) if w.objectName() and not w.objectName().startswith("qt_")]
    assert len(controls) >= 14
    for widget in controls:
        assert widget.accessibleName() and widget.toolTip(), widget.objectName()
    assert parts.find(QPushButton, "update").shortcut() == QKeySequence("Ctrl+U")


def test_one_update_gives_mazurs_weights_and_undo_redo_are_bit_for_bit(qtbot):
    parts = make(qtbot, "mazur")
    parts.find(QAbstractSpinBox, "learning-rate").setValue(0.5)
    before = bits(parts.sheet.net)
    parts.click("update")
    net = parts.sheet.net
    assert abs(net.tensor("w2")[0, 0] - 0.35891648) < 1e-8  # his w5⁺
    assert abs(net.tensor("w1")[0, 0] - 0.149780716) < 1e-8  # his w1⁺
    assert bits(net)["b1"] == before["b1"] and bits(net)["b2"] == before["b2"]  # his biases stay: the preset freezes them
    assert parts.stack.count() == 1 and parts.session.history.steps == 1
    assert parts.said[-1] == "One step with lr 0.5: L went from 0.29837111 to 0.29102777."
    after = bits(net)
    parts.stack.undo()
    assert bits(parts.sheet.net) == before and parts.session.history is None
    parts.stack.redo()
    assert bits(parts.sheet.net) == after and parts.session.history.steps == 1


def test_the_learning_rate_is_the_sessions_both_ways(qtbot):
    parts = make(qtbot, "lesson")
    spin, slider = parts.find(QAbstractSpinBox, "learning-rate"), parts.find(QSlider, "learning-rate-slider")
    heard = []
    parts.session.subscribe(lambda change: heard.append(change.kind))
    parts.session.set_lr(0.05)
    assert spin.value() == pytest.approx(0.05) and SLIDER_RATES[slider.value()] == 0.05
    assert heard == ["lr"]  # showing the session's value does not echo back into it
    spin.setValue(2e-3)
    assert parts.session.lr == pytest.approx(2e-3)
    slider.setValue(SLIDER_RATES.index(0.2))
    assert parts.session.lr == 0.2 and spin.value() == pytest.approx(0.2)
    spin.setValue(1e6)  # far beyond the slider: the spin box still takes it
    assert parts.session.lr == 1e6 and SLIDER_RATES[slider.value()] == SLIDER_RATES[-1]


def test_train_n_is_one_undo_step_with_the_bits_of_n_steps(qtbot):
    parts = make(qtbot, "lesson")
    parts.session.set_lr(0.1)
    start = parts.sheet.net
    before = bits(start)
    parts.train_typed("100")
    parts.finish()
    expected = train(start, 0.1, 100)
    assert bits(parts.sheet.net) == bits(expected.net)
    assert parts.stack.count() == 1 and parts.stack.text(0) == "train ×100 with lr 0.1"
    assert parts.session.history.losses == tuple(expected.losses.tolist())
    assert parts.said[-1] == f"Trained 100 steps with lr 0.1: L went from {expected.losses[0]:.8g} to {expected.losses[-1]:.8g}."
    parts.stack.undo()
    assert bits(parts.sheet.net) == before and parts.session.history is None
    parts.stack.redo()
    assert bits(parts.sheet.net) == bits(expected.net) and parts.session.history.steps == 100


def test_train_1000_on_the_lesson_goes_on_over_many_turns_of_the_event_loop(qtbot):
    parts = make(qtbot, "lesson")
    parts.train_typed("1000")
    run = parts.panel.run
    assert parts.panel.running and run is not None and run.done == 0  # the click returned before any step was taken
    assert not parts.find(QPushButton, "update").isEnabled() and parts.find(QPushButton, "cancel-training").isEnabled()
    turns = []
    run.progressed.connect(lambda done, steps: turns.append(done))
    parts.finish()
    assert turns[-1] == 1000 and turns == sorted(turns)
    assert len(turns) >= 5  # chunks grow at most fourfold from the first 8 steps: 8 + 32 + 128 + 512 < 1000
    assert parts.stack.count() == 1 and parts.session.history.steps == 1000
    assert not parts.find(QProgressBar, "training-progress").isVisibleTo(parts.panel)


def test_cancel_keeps_the_steps_taken_so_far_as_one_step(qtbot):
    parts = make(qtbot, "lesson")
    start = parts.sheet.net
    before = bits(start)
    parts.train_typed("100,000")
    run = parts.panel.run
    parts.qtbot.waitUntil(lambda: run.done > 0)
    parts.click("cancel-training")
    assert not parts.panel.running
    k = parts.session.history.steps
    assert 0 < k < 100_000 and parts.stack.count() == 1
    assert bits(parts.sheet.net) == bits(train(start, parts.session.lr, k).net)
    assert parts.said[-1] == f"Cancelled after {k:,} of 100,000 steps; the {k:,} steps taken are one undo step."
    assert parts.stack.text(0) == f"train {k:,} of 100,000 steps with lr 0.5"
    parts.stack.undo()
    assert bits(parts.sheet.net) == before


def test_the_guard_stops_at_the_last_finite_state_with_its_sentence(qtbot):
    parts = make(qtbot, "lesson")
    start = parts.sheet.net
    parts.find(QAbstractSpinBox, "learning-rate").setValue(1e6)
    parts.train_typed("1000")
    parts.finish()
    expected = train(start, 1e6, 1000)
    assert expected.stopped is not None and 0 < expected.steps < 1000
    assert parts.said[-1] == f"{expected.stopped[0].upper()}{expected.stopped[1:]}."
    assert parts.said[-1].startswith("Step 20 would make the loss infinite (inf), so training stopped after 19 steps")
    assert bits(parts.sheet.net) == bits(expected.net) and all_finite(parts.sheet)
    assert parts.stack.count() == 1 and parts.session.history.steps == expected.steps


def test_an_update_that_would_overflow_changes_nothing(qtbot):
    parts = make(qtbot, "neuron")
    before = bits(parts.sheet.net)
    parts.session.set_lr(1e308)
    parts.click("update")
    assert parts.said[-1].startswith("Step 1 would make w1[1,0] infinite (inf), so training stopped after 0 steps")
    assert bits(parts.sheet.net) == before and parts.stack.count() == 0 and parts.session.history is None


def test_a_frozen_tensor_stays_through_training_and_freezing_is_undoable(qtbot):
    parts = make(qtbot, "mazur")
    boxes = {name: parts.find(QCheckBox, f"freeze:{name}") for name in ("w1", "b1", "w2", "b2")}
    assert [box.isChecked() for box in boxes.values()] == [False, True, False, True]  # Mazur keeps his biases
    before = bits(parts.sheet.net)
    boxes["w1"].click()
    assert parts.sheet.net.frozen == {"w1", "b1", "b2"} and parts.stack.count() == 1
    assert parts.said[-1] == "Froze w1: gradient descent leaves it alone."
    parts.train_typed("10")
    parts.finish()
    after = bits(parts.sheet.net)
    assert after["w1"] == before["w1"] and after["b1"] == before["b1"] and after["w2"] != before["w2"]
    parts.stack.undo()
    parts.stack.undo()
    assert parts.sheet.net.frozen == {"b1", "b2"} and not boxes["w1"].isChecked() and bits(parts.sheet.net) == before
    assert parts.panel.set_frozen("b2", False) and parts.sheet.net.frozen == {"b1"} and not boxes["b2"].isChecked()
    count = parts.stack.count()
    for name, says in (("x", "x is data"), ("w9", "no parameter named 'w9'")):
        assert not parts.panel.set_frozen(name, True)
        assert says in parts.said[-1] and parts.stack.count() == count


def test_with_every_parameter_frozen_a_step_is_refused(qtbot):
    net = preset("neuron")
    net.frozen = frozenset({"w1", "b1"})
    parts = make(qtbot, net)
    parts.click("update")
    parts.train_typed("10")
    assert parts.said == ["Every parameter is frozen, so a step would change nothing: unfreeze one to train."] * 2
    assert parts.stack.count() == 0 and not parts.panel.running


@pytest.mark.parametrize(("text", "says"), [
    ("abc", "“abc” is not a number of steps: type a whole number such as 100."),
    ("1.5", "“1.5” is not a number of steps: type a whole number such as 100."),
    ("-3", "“-3” is not a number of steps: type a whole number such as 100."),
    ("0", "The number of steps must be from 1 to 10,000,000, not 0."),
    ("20,000,000", "The number of steps must be from 1 to 10,000,000, not 20,000,000."),
])
def test_a_bad_number_of_steps_gets_one_sentence_and_changes_nothing(qtbot, text, says):
    parts = make(qtbot, "lesson")
    parts.train_typed(text)
    assert parts.said == [says] and not parts.panel.running and parts.stack.count() == 0


def test_a_run_of_no_steps_is_refused(qtbot):
    parts = make(qtbot, "lesson")
    assert not parts.panel.train_steps(0) and not parts.panel.running
    assert parts.said == ["The number of steps must be from 1 to 10,000,000, not 0."]


def test_steps_may_be_grouped_by_thousands():
    assert [parse_steps(t) for t in ("1", " 1000 ", "10,000", "10 000", "1_000_000")] == [1, 1000, 10_000, 10_000, 1_000_000]
    with pytest.raises(EditError, match="not a number of steps"):
        parse_steps("1e3")


def test_reset_to_start_puts_back_the_first_weights_as_one_undo_step(qtbot):
    parts = make(qtbot, "mazur")
    assert not parts.find(QPushButton, "reset-training").isEnabled()
    before = bits(parts.sheet.net)
    parts.train_typed("10")
    parts.finish()
    parts.click("update")
    trained = bits(parts.sheet.net)
    parts.click("reset-training")
    assert bits(parts.sheet.net) == before and parts.session.history is None and parts.stack.count() == 3
    assert parts.said[-1] == "Back to the start: the parameters from before the first of 11 steps."
    parts.stack.undo()
    assert bits(parts.sheet.net) == trained and parts.session.history.steps == 11
    parts.stack.undo()
    assert parts.session.history.steps == 10
    parts.stack.redo()
    parts.stack.redo()
    assert bits(parts.sheet.net) == before and parts.session.history is None


def test_the_loss_chart_draws_the_sessions_history(qtbot):
    parts = make(qtbot, "lesson")
    charts = parts.panel.charts
    curve = parts.find(pg.PlotWidget, "loss-history-plot").getPlotItem().listDataItems()[0]
    assert curve is charts.loss_curve and len(ys(curve)) == 0
    parts.click("update")
    parts.train_typed("10")
    parts.finish()
    x, y = curve.getData()
    losses = np.array(parts.session.history.losses)
    assert np.array_equal(y, losses) and np.array_equal(x, np.arange(12))
    assert charts.loss_step_line.value() == 11 and charts.loss_marker.getData()[1][0] == parts.sheet.p.loss
    parts.stack.undo()
    assert np.array_equal(ys(curve), np.array(parts.session.history.losses)) and len(ys(curve)) == 2
    parts.find(QCheckBox, "loss-log-y").click()
    x, y = curve.getData()  # a log axis draws log10 of the loss
    assert np.allclose(10.0**y, parts.session.history.losses, rtol=1e-12)


def test_a_log_axis_leaves_out_a_loss_of_zero(qtbot):
    parts = make(qtbot, "neuron")
    charts = parts.panel.charts
    charts.set_log_y(True)
    first = float(parts.sheet.p.loss)
    parts.session.trained(parts.sheet.net, [first, 0.0, first / 2])  # a step that fitted exactly, then one that did not
    x, y = charts.loss_curve.getOriginalDataset()
    assert list(x) == [0.0, 2.0] and list(y) == [first, first / 2]
    assert parts.find(QCheckBox, "loss-log-y").isChecked()


def test_the_inspected_cell_is_charted_over_the_steps(qtbot):
    parts = make(qtbot, "mazur")
    parts.session.inspect("w2", (0, 0))
    parts.click("update")
    parts.train_typed("10")
    parts.finish()
    expected = train(preset("mazur"), 0.5, 11, watch=[("w2", (0, 0))]).watched[("w2", (0, 0))]
    x, y = parts.panel.charts.cell_curve.getData()
    assert np.array_equal(y, expected) and np.array_equal(x, np.arange(12))
    assert parts.session.history.watched[("w2", (0, 0))] == tuple(expected.tolist())
    parts.session.inspect("w1", (1, 1))  # not watched while those steps were taken
    assert len(ys(parts.panel.charts.cell_curve)) == 0
    assert "w1[1,1] was not inspected" in parts.panel.charts.cell_note.text()


def test_the_output_plane_moves_with_a_step_and_an_edit(qtbot):
    parts = make(qtbot, "classifier")
    plane = parts.panel.plane
    assert plane.shown and plane.plot is parts.find(pg.PlotWidget, "output-plane-plot")
    image = plane.image.image.copy()
    assert image.shape == (64, 64, 4)
    parts.click("update")
    assert not np.array_equal(plane.image.image, image)
    points = plane.points.getData()
    parts.editor.set_cell("x", (0, 0), 0.7)
    assert plane.points.getData()[0][0] == 0.7 and not np.array_equal(plane.points.getData()[0], points[0])


def test_the_output_plane_draws_a_regression_on_the_sign_scale(qtbot):
    parts = make(qtbot, "neuron")
    plane = parts.panel.plane
    assert plane.shown and plane.image.image.shape == (64, 64, 4)
    assert "blue below 0" in plane.note.text()


def test_no_output_plane_without_two_inputs(qtbot):
    parts = make(qtbot, "lesson")
    plane = parts.panel.plane
    assert not plane.shown and not plane.plot.isVisibleTo(parts.panel)
    assert plane.note.text() == "The output is drawn over the input plane for networks with two inputs; this one has 3."
    parts.editor.replace(random_network([2, 3, 1], seed=1), "two inputs")
    assert plane.shown


def test_a_run_is_dropped_when_the_network_changes_under_it(qtbot):
    parts = make(qtbot, "lesson")
    parts.train_typed("100000")
    run = parts.panel.run
    parts.qtbot.waitUntil(lambda: run.done > 0)
    parts.editor.set_cell("x", (0, 0), 0.25)
    assert not parts.panel.running and parts.stack.count() == 1  # the edit alone
    assert parts.said[-1].startswith("Training stopped: the network changed during the run")
    assert parts.session.history is None and parts.sheet.net.tensor("x")[0, 0] == 0.25


def test_the_keyboard_takes_a_step_and_trains(qtbot):
    parts = make(qtbot, "mazur")
    parts.panel.show()
    qtbot.waitExposed(parts.panel)
    parts.panel.activateWindow()
    qtbot.waitUntil(parts.panel.isActiveWindow)
    steps = parts.find(QComboBox, "train-steps")
    steps.setFocus()  # a text box with the focus does not keep the shortcut from the button
    qtbot.keySequence(steps.lineEdit(), QKeySequence("Ctrl+U"))
    qtbot.waitUntil(lambda: parts.stack.count() == 1)  # a button's shortcut animates a click, which lands a moment later
    assert math.isclose(parts.sheet.net.tensor("w2")[0, 0], 0.35891648, abs_tol=1e-8)
    steps.setCurrentText("10")
    qtbot.keySequence(steps.lineEdit(), QKeySequence("Ctrl+Shift+U"))
    qtbot.waitUntil(lambda: parts.stack.count() == 2 and not parts.panel.running)
    assert parts.session.history.steps == 11
