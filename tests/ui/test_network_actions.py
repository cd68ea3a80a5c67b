"""The Network menu: reshapes where the selected cell is, Randomise weights, and the New Network dialog."""

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QInputDialog

from gradlab import preset, random_network, reshape, run
from tests.core.test_reshape import assert_same
from tests.ui.conftest import grid, label
from ui import MainWindow
from ui.network_actions import locate
from ui.new_network_dialog import NewNetworkDialog

RESHAPE_KEYS = ["add-batch-row", "remove-batch-row", "add-input", "remove-input", "add-hidden-unit", "remove-hidden-unit",
                "add-output", "remove-output", "add-layer", "remove-layer"]


def open_window(qtbot, name: str) -> MainWindow:
    w = MainWindow(preset(name))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def select(window, name: str, cell: tuple[int, ...]) -> None:
    window.sheet_view.views[name].setCurrentIndex(window.sheet_view.models[name].model_index(cell))


def action(window, key: str) -> QAction:
    found = window.findChild(QAction, key)
    assert found is not None, key
    return found


def status(window) -> str:
    return label(window, "status-message").text()


def assert_grids_follow(window) -> None:
    """A grid for every tensor of the network, each the tensor's shape (a 1-D tensor as one row or one column)."""
    net, views = window.sheet.net, window.sheet_view.views
    names = ["x", "y", *net.parameters(), *net.activations()]
    assert set(views) == {*names, *(f"{n}.g" for n in names if n != "y")}
    for name, view in views.items():
        shape = window.sheet.array(name).shape
        model = view.model()
        assert model.rowCount() * model.columnCount() == int(np.prod(shape)), name
        assert (model.rowCount(), model.columnCount()) in (shape, (1, *shape), (*shape, 1)), name
        assert grid(window, name) is view


CASES = [  # preset, selected cell, action, what the core is asked to do, the undo step's name
    ("lesson", "x", (1, 0), "add-batch-row", lambda n: reshape.add_batch_row(n, 2), "add batch row 2"),
    ("lesson", "out", (2, 0), "remove-batch-row", lambda n: reshape.remove_batch_row(n, 2), "remove batch row 2"),
    ("lesson", "w1", (1, 2), "add-input", lambda n: reshape.add_input(n, 2), "add input 2"),
    ("lesson", "x.g", (0, 1), "remove-input", lambda n: reshape.remove_input(n, 1), "remove input 1"),
    ("lesson", "b1", (2,), "add-hidden-unit", lambda n: reshape.add_hidden_unit(n, 1, 3), "add hidden unit 3 to layer 1"),
    ("lesson", "l2", (0, 1), "remove-hidden-unit", lambda n: reshape.remove_hidden_unit(n, 1, 1),
     "remove hidden unit 1 from layer 1"),
    ("mazur", "out", (0, 1), "add-output", lambda n: reshape.add_output(n, 2), "add output 2"),
    ("mazur", "y", (0, 0), "remove-output", lambda n: reshape.remove_output(n, 0), "remove output 0"),
    ("classifier", "w2", (1, 2), "add-output", lambda n: reshape.add_output(n, 3), "add output 3"),
    ("lesson", "l1", (0, 0), "add-layer", lambda n: reshape.add_layer(n, 1, 6, "relu"), "add layer 2 (6 units) after layer 1"),
    ("neuron", "x", (0, 0), "add-layer", lambda n: reshape.add_layer(n, 0, 6, "relu"), "add layer 1 (6 units) after x"),
    ("mazur", "w1", (0, 0), "remove-layer", lambda n: reshape.remove_layer(n, 1), "remove layer 1"),
]


@pytest.mark.parametrize(("name", "tensor", "cell", "key", "core", "step"), CASES)
def test_each_reshape_is_the_cores_and_one_undo_step(qtbot, monkeypatch, name, tensor, cell, key, core, step):
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (6, True))
    window = open_window(qtbot, name)
    before = window.sheet.net.copy()
    select(window, tensor, cell)
    assert action(window, key).isEnabled()
    action(window, key).trigger()
    assert_same(window.sheet.net, core(before))  # every surviving value, bit for bit, as the core keeps it
    assert_grids_follow(window)
    assert window.undo_stack.count() == 1
    assert window.undo_action.text() == f"Undo {step}"
    assert status(window) == f"{step[0].upper()}{step[1:]}."
    window.undo_stack.undo()
    assert_same(window.sheet.net, before)
    assert_grids_follow(window)
    window.undo_stack.redo()
    assert_same(window.sheet.net, core(before))


def test_the_same_cell_stays_selected_so_an_action_repeats(window):
    select(window, "x", (0, 0))
    action(window, "add-batch-row").trigger()
    action(window, "add-batch-row").trigger()
    assert window.sheet.net.x.shape == (6, 3)
    np.testing.assert_array_equal(window.sheet.net.x[[0, 3, 4, 5]], preset("lesson").x, strict=True)
    assert window.undo_stack.count() == 2


def test_a_new_hidden_unit_keeps_every_surviving_value(window):
    old = window.sheet.net.copy()
    select(window, "w1", (0, 1))
    action(window, "add-hidden-unit").trigger()
    new = window.sheet.net
    np.testing.assert_array_equal(np.delete(new.layers[0].w, 2, axis=1), old.layers[0].w, strict=True)
    np.testing.assert_array_equal(np.delete(new.layers[2].w, 2, axis=0), old.layers[2].w, strict=True)
    assert not new.layers[0].w[:, 2].any() and not new.layers[2].w[2].any()
    # a zero unit adds nothing to out, though one more term in the sum may round differently
    np.testing.assert_allclose(window.sheet.p.values["out"], run(old).values["out"], rtol=0, atol=1e-15)


@pytest.mark.parametrize(("name", "tensor", "cell", "key", "why"), [
    ("mazur", "x", (0, 0), "remove-batch-row", "Cannot remove the last batch row: a network needs at least one row of x."),
    ("lesson", "out", (0, 0), "remove-output", "Cannot remove the last output: the network needs at least one."),
    ("lesson", "w1", (0, 0), "remove-layer", "Cannot remove linear layer 1: it turns 3 values into 4"),
    ("classifier", "out", (1, 0), "remove-output", "Cannot remove class 0: it is still the target of batch row 0"),
])
def test_an_impossible_reshape_changes_nothing_and_says_why(qtbot, name, tensor, cell, key, why):
    window = open_window(qtbot, name)
    before = window.sheet.net
    select(window, tensor, cell)
    action(window, key).trigger()
    assert window.sheet.net is before
    assert window.undo_stack.count() == 0
    assert status(window).startswith(why) and status(window).endswith(".")


def test_actions_are_enabled_only_where_they_make_sense(qtbot):
    window = open_window(qtbot, "lesson")
    enabled = lambda: {key for key in RESHAPE_KEYS if action(window, key).isEnabled()}  # noqa: E731
    assert enabled() == set()
    select(window, "x", (2, 1))
    assert enabled() == {"add-batch-row", "remove-batch-row", "add-input", "remove-input", "add-layer"}
    assert action(window, "remove-input").text() == "Remove input 1"
    select(window, "w2", (3, 0))  # the output layer: nothing can go after it, and it cannot go
    assert enabled() == {"add-output", "remove-output"}
    select(window, "w1.g", (0, 3))
    assert enabled() == {"add-input", "remove-input", "add-hidden-unit", "remove-hidden-unit", "add-layer", "remove-layer"}
    assert action(window, "add-hidden-unit").text() == "Add hidden unit after unit 3 of layer 1"
    select(window, "y", (1, 0))
    assert enabled() == {"add-batch-row", "remove-batch-row", "add-output", "remove-output"}
    window.set_reduction("sum")  # the grids start over with nothing selected
    assert enabled() == set()
    assert action(window, "remove-output").text() == "Remove output"


def test_class_indices_stand_for_a_batch_row_only(qtbot):
    window = open_window(qtbot, "classifier")
    select(window, "y", (2,))
    assert {key for key in RESHAPE_KEYS if action(window, key).isEnabled()} == {"add-batch-row", "remove-batch-row"}
    assert locate(window.sheet.net, "y", (2,)).output is None


def test_cancelling_the_width_question_adds_no_layer(window, monkeypatch):
    asked = []
    monkeypatch.setattr(QInputDialog, "getInt", lambda parent, title, text, *args: asked.append(text) or (4, False))
    before = window.sheet.net
    select(window, "b1", (0,))
    action(window, "add-layer").trigger()
    assert asked == ["Units in the new relu layer after layer 1:"]
    assert window.sheet.net is before and window.undo_stack.count() == 0


# -- Randomise weights -----------------------------------------------------------------------------


def test_randomise_is_seeded_kaiming_and_undoable(window):
    window.set_dtype("float32")
    before = window.sheet.net.copy()
    action(window, "randomise-weights").trigger()
    action(window, "randomise-weights").trigger()
    assert window.undo_action.text() == "Undo randomise the weights (Kaiming, seed 1)"
    expected = random_network([3, 4, 1], batch=1, seed=1, init="kaiming", dtype="float32")
    net = window.sheet.net
    for name in ("w1", "w2"):
        np.testing.assert_array_equal(net.tensor(name), expected.tensor(name), strict=True)
    for name in ("x", "y", "b1", "b2"):  # only the weights move
        np.testing.assert_array_equal(net.tensor(name), before.tensor(name), strict=True)
    window.undo_stack.undo()
    np.testing.assert_array_equal(window.sheet.net.tensor("w1"),
                                  random_network([3, 4, 1], batch=1, seed=0, init="kaiming", dtype="float32").tensor("w1"))
    window.undo_stack.undo()
    assert_same(window.sheet.net, before)


# -- New Network -------------------------------------------------------------------------------------


def fill(dialog: NewNetworkDialog, **texts: str) -> None:
    for field, text in texts.items():
        getattr(dialog, field).setText(text)


def test_the_dialog_builds_what_it_says(qtbot):
    dialog = NewNetworkDialog()
    qtbot.addWidget(dialog)
    fill(dialog, batch="5", inputs="2", hidden="6, 3", outputs="3")
    assert [box.objectName() for box in dialog.activations] == ["new-activation-1", "new-activation-2"]
    dialog.activations[0].setCurrentText("tanh")
    dialog.activations[1].setCurrentText("leaky_relu")
    for box, value in ((dialog.loss, "cross_entropy"), (dialog.reduction, "sum"), (dialog.dtype, "float32"),
                       (dialog.init, "Kaiming")):
        box.setCurrentText(value)
    dialog.seed.setValue(7)
    assert dialog.problem() is None
    net = dialog.network()
    assert [layer.kind for layer in net.layers] == ["linear", "tanh", "linear", "leaky_relu", "linear"]
    assert [p.shape for p in net.parameters().values()] == [(2, 6), (6,), (6, 3), (3,), (3, 3), (3,)]
    assert (net.x.shape, net.y.shape, net.dtype, net.loss, net.reduction) == ((5, 2), (5,), np.float32, "cross_entropy", "sum")
    same_seed = random_network([2, 6, 3, 3], 5, "tanh", "cross_entropy", "sum", "float32", 7, "kaiming")
    for name in ("x", "y", "w1", "w2", "w3"):
        np.testing.assert_array_equal(net.tensor(name), same_seed.tensor(name), strict=True)


@pytest.mark.parametrize(("field", "text", "why"), [
    ("batch", "0", "The batch size must be at least 1, not 0."),
    ("inputs", "-2", "The number of inputs must be at least 1, not -2."),
    ("hidden", "4, x", "The width of hidden layer 2 must be a whole number, like 4, not “x”."),
    ("outputs", "", "Type the number of outputs."),
    ("batch", "2.5", "The batch size must be a whole number, like 4, not “2.5”."),
    ("hidden", "4000, 4000", "cells in its grids, more than the 10,000,000 GradLab can show; make it smaller."),
    ("batch", "99999999999999999999", "The batch size is far too large"),
])
def test_the_dialog_refuses_impossible_sizes_as_they_are_typed(qtbot, field, text, why):
    dialog = NewNetworkDialog()
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    getattr(dialog, field).clear()
    qtbot.keyClicks(getattr(dialog, field), text)
    assert not ok.isEnabled()
    assert why in dialog.problem_label.text() and why in dialog.problem()
    dialog.accept()  # Enter in a field cannot get past it either
    assert dialog.result() != QDialog.DialogCode.Accepted
    getattr(dialog, field).setText("2")
    assert ok.isEnabled() and dialog.problem() is None


def test_cross_entropy_needs_two_outputs(qtbot):
    dialog = NewNetworkDialog()
    qtbot.addWidget(dialog)
    fill(dialog, outputs="1")
    dialog.loss.setCurrentText("cross_entropy")
    assert dialog.problem() == "cross_entropy needs at least 2 outputs, one per class."


def test_the_dialog_starts_from_the_open_network(qtbot):
    dialog = NewNetworkDialog(like=preset("mazur"))
    qtbot.addWidget(dialog)
    texts = [dialog.batch.text(), dialog.inputs.text(), dialog.hidden.text(), dialog.outputs.text()]
    assert texts == ["1", "2", "2", "2"]
    assert [box.currentText() for box in dialog.activations] == ["sigmoid"]
    assert dialog.loss.currentText() == "half_sse"


def test_new_network_from_the_menu_is_one_undo_step(window, monkeypatch):
    def answer(dialog):
        fill(dialog, batch="3", inputs="2", hidden="5", outputs="2")
        dialog.activations[0].setCurrentText("sigmoid")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(NewNetworkDialog, "exec", answer)
    before = window.sheet.net.copy()
    action(window, "new-network").trigger()
    net = window.sheet.net
    assert [layer.kind for layer in net.layers] == ["linear", "sigmoid", "linear"]
    assert (net.x.shape, net.y.shape) == ((3, 2), (3, 2))
    assert_grids_follow(window)
    assert window.undo_action.text() == "Undo new network: random 2-5-2, seed 0"
    window.undo_stack.undo()
    assert_same(window.sheet.net, before)


def test_a_cancelled_dialog_changes_nothing(window, monkeypatch):
    monkeypatch.setattr(NewNetworkDialog, "exec", lambda dialog: QDialog.DialogCode.Rejected)
    before = window.sheet.net
    action(window, "new-network").trigger()
    assert window.sheet.net is before and window.undo_stack.count() == 0


def test_the_loss_menu_switches_the_loss_as_one_step_and_refuses_what_cannot_be(window):
    actions = {a.text(): a for a in window.network_actions.loss_actions.actions()}
    assert actions["mse"].isChecked()
    actions["half_sse"].trigger()
    assert window.sheet.net.loss == "half_sse" and actions["half_sse"].isChecked()
    assert window.undo_action.text() == "Undo switch the loss to half_sse"
    actions["cross_entropy"].trigger()  # the lesson has one output: no classes to choose between
    assert window.sheet.net.loss == "half_sse" and actions["half_sse"].isChecked()
    assert "at least 2 outputs" in window.status_message.text()
    window.undo_stack.undo()
    assert window.sheet.net.loss == "mse" and actions["mse"].isChecked()
