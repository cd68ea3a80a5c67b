"""Undo and redo of every kind of change put back the exact bits, and the Edit menu names each step."""

import numpy as np
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from gradlab import run
from tests.core.test_reshape import assert_same
from tests.ui.conftest import grid

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def select(window, name: str, top: int, left: int, bottom: int, right: int):
    view = grid(window, name)
    model = view.model()
    view.setCurrentIndex(model.index(top, left))
    view.selectionModel().select(QItemSelection(model.index(top, left), model.index(bottom, right)),
                                 QItemSelectionModel.SelectionFlag.ClearAndSelect)
    view.setFocus()
    return view


def typed_edit(window, qtbot) -> None:
    model = grid(window, "w1").model()
    assert model.setData(model.index(0, 1), "0.25")


def nudges(window, qtbot) -> None:
    window.inspect("w1", (2, 0))
    for _ in range(3):
        window.nudge(1e-3)


def paste(window, qtbot) -> None:
    QApplication.clipboard().setText("1.5\t-2\n")
    qtbot.keyClick(select(window, "x", 3, 1, 3, 1), Qt.Key.Key_V, CTRL)


def delete(window, qtbot) -> None:
    qtbot.keyClick(select(window, "b1", 0, 1, 0, 2), Qt.Key.Key_Delete)


def add_hidden_unit(window, qtbot) -> None:
    window.inspect("w1", (0, 3))
    window.findChild(QAction, "add-hidden-unit").trigger()


def randomise(window, qtbot) -> None:
    window.findChild(QAction, "randomise-weights").trigger()


CHANGES = [
    (typed_edit, "set w1[0,1] to 0.25"),
    (nudges, "3 nudges of w1[2,0]"),
    (paste, "paste into x[3,1:3]"),
    (delete, "set b1[1:3] to 0"),
    (add_hidden_unit, "add hidden unit 4 to layer 1"),
    (randomise, "randomise the weights (Kaiming, seed 0)"),
    (lambda window, qtbot: window.load_preset("mazur"), "load preset mazur"),
    (lambda window, qtbot: window.set_dtype("float32"), "compute in float32"),
    (lambda window, qtbot: window.set_reduction("sum"), "reduce the loss by sum"),
]


@pytest.mark.parametrize(("change", "step"), CHANGES, ids=[step for _, step in CHANGES])
def test_undo_and_redo_restore_the_exact_network(window, qtbot, change, step):
    before = window.sheet.net.copy()
    change(window, qtbot)
    after = window.sheet.net.copy()
    assert window.undo_stack.count() == 1
    assert window.undo_action.text() == f"Undo {step}"
    window.undo_stack.undo()
    assert_same(window.sheet.net, before)
    assert window.sheet.p.loss == run(before).loss  # and the pass was recomputed from it
    assert window.redo_action.text() == f"Redo {step}"
    window.undo_stack.redo()
    assert_same(window.sheet.net, after)
    assert window.sheet.p.loss == run(after).loss


def test_each_typed_edit_is_its_own_step_even_in_one_cell(window):
    model = grid(window, "w1").model()
    original = float(window.sheet.net.tensor("w1")[0, 1])
    assert model.setData(model.index(0, 1), "0.25")
    assert model.setData(model.index(0, 1), "-3")
    assert window.undo_stack.count() == 2
    window.undo_stack.undo()
    assert float(window.sheet.net.tensor("w1")[0, 1]) == 0.25
    window.undo_stack.undo()
    assert float(window.sheet.net.tensor("w1")[0, 1]) == original


def test_typing_the_value_a_cell_already_has_adds_no_step(window):
    model = grid(window, "w1").model()
    current = repr(float(window.sheet.net.tensor("w1")[0, 1]))
    assert model.setData(model.index(0, 1), current)  # accepted, and yet nothing to undo
    assert window.undo_stack.count() == 0


def test_nudges_of_one_cell_merge_and_undo_to_the_original_bits(window):
    window.inspect("w1", (2, 0))
    window.nudge(1e-3)
    assert window.undo_action.text() == "Undo nudge w1[2,0] by +0.001"
    window.nudge(1e-3)
    window.nudge(-1e-3)
    assert window.undo_stack.count() == 1
    expected = 0.6
    for eps in (1e-3, 1e-3, -1e-3):
        expected = float(expected + np.float64(eps))
    assert window.sheet.net.layers[0].w[2, 0] == expected
    window.undo_stack.undo()
    assert np.float64(window.sheet.net.layers[0].w[2, 0]).tobytes() == np.float64(0.6).tobytes()
    window.inspect("x", (0, 0))  # a nudge of another cell is a step of its own
    window.nudge(1e-3)
    window.nudge(1e-3)
    assert window.undo_action.text() == "Undo 2 nudges of x[0,0]"


def test_the_edit_menu_holds_undo_and_redo(window):
    actions = window.menus["Edit"].actions()
    assert window.undo_action in actions and window.redo_action in actions
    assert not window.undo_action.isEnabled()
    typed_edit(window, None)
    assert window.undo_action.isEnabled() and window.undo_action.text() == "Undo set w1[0,1] to 0.25"


@pytest.mark.parametrize("focus", ["window", "grid"])
def test_ctrl_z_undoes(window, qtbot, focus):
    typed_edit(window, qtbot)
    target = window if focus == "window" else select(window, "x", 0, 0, 0, 0)
    qtbot.keyClick(target, Qt.Key.Key_Z, CTRL)
    assert window.sheet.net.layers[0].w[0, 1] == -0.6
    assert window.redo_action.text() == "Redo set w1[0,1] to 0.25"


# ui/main_window.py gives redo [QKeySequence(StandardKey.Redo), QKeySequence("Ctrl+Y")]: QKeySequence(StandardKey.Redo)
# holds only the platform's first binding, Ctrl+Y here and on Windows, so Ctrl+Y is bound twice to one action, which
# Qt treats as ambiguous and never triggers, and Ctrl+Shift+Z is not bound at all.
@pytest.mark.parametrize("modifiers", [CTRL | SHIFT, CTRL], ids=["ctrl-shift-z", "ctrl-y"])
def test_redo_keys(window, qtbot, modifiers):
    typed_edit(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert window.sheet.net.layers[0].w[0, 1] == -0.6
    qtbot.keyClick(window, Qt.Key.Key_Z if modifiers & SHIFT else Qt.Key.Key_Y, modifiers)
    assert window.sheet.net.layers[0].w[0, 1] == 0.25
