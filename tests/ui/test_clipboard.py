"""Spreadsheet habits in the grids: copy, paste, Delete, the context menu, Enter and Tab, and Copy as script."""

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QApplication

from gradlab import preset
from gradlab.code_export import array_literal, torch_script
from gradlab.table_text import parse_table, to_tsv
from tests.ui.conftest import grid, label
from ui import MainWindow
from ui.grid_clipboard import GridClipboard

CTRL = Qt.KeyboardModifier.ControlModifier
SENTINEL = "left alone by the test"


@pytest.fixture
def classifier(qtbot):
    w = MainWindow(preset("classifier"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def select(window, name: str, top: int, left: int, bottom: int | None = None, right: int | None = None, add: bool = False):
    """Select grid cells (top, left)…(bottom, right) and give the grid the keyboard, as a drag with the mouse does."""
    view = grid(window, name)
    model = view.model()
    if not add:
        view.setCurrentIndex(model.index(top, left))
    block = QItemSelection(model.index(top, left), model.index(top if bottom is None else bottom, left if right is None else right))
    flag = QItemSelectionModel.SelectionFlag.Select if add else QItemSelectionModel.SelectionFlag.ClearAndSelect
    view.selectionModel().select(block, flag)
    view.setFocus()
    return view


def status(window) -> str:
    return label(window, "status-message").text()


def tensors(window) -> dict[str, np.ndarray]:
    net = window.sheet.net
    return {name: a.copy() for name, a in {"y": net.y, **net.inputs()}.items()}


def assert_unchanged(window, before: dict[str, np.ndarray]) -> None:
    after = tensors(window)
    assert after.keys() == before.keys()
    for name, a in before.items():
        np.testing.assert_array_equal(after[name], a, err_msg=name, strict=True)


def clipboard() -> str:
    return QApplication.clipboard().text()


def put_on_clipboard(text: str) -> None:
    QApplication.clipboard().setText(text)


# -- copy -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "box", "core_slice"), [
    ("w1", (0, 1, 1, 2), lambda s: s.array("w1")[0:2, 1:3]),
    ("w1.g", (1, 0, 2, 3), lambda s: s.array("w1.g")[1:3, 0:4]),
    ("l1", (2, 2, 3, 3), lambda s: s.array("l1")[2:4, 2:4]),
    ("b1", (0, 1, 0, 3), lambda s: s.array("b1")[1:4]),
    ("y", (1, 0, 3, 0), lambda s: s.array("y")[1:4, 0:1]),
])
def test_copy_puts_the_exact_block_on_the_clipboard(window, qtbot, name, box, core_slice):
    window.set_dtype("float32")  # float32 numbers are written short and still read back to the same bits
    view = select(window, name, *box)
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    expected = core_slice(window.sheet)
    assert clipboard() == to_tsv(expected)
    np.testing.assert_array_equal(parse_table(clipboard()).astype(np.float32).reshape(expected.shape), expected)
    assert status(window).startswith("Copied ")


def test_class_indices_copy_as_one_column_of_whole_numbers(classifier, qtbot):
    view = select(classifier, "y", 1, 0, 3, 0)
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    assert clipboard() == "1\n2\n2\n"


def test_a_selection_with_gaps_is_not_copied(window, qtbot):
    put_on_clipboard(SENTINEL)
    select(window, "x", 0, 0)
    view = select(window, "x", 2, 2, add=True)
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    assert clipboard() == SENTINEL
    assert "only one rectangular block" in status(window)


# -- paste ------------------------------------------------------------------------------------------

BLOCK = np.array([[0.25, -1.5], [3e-05, 7.0]])


@pytest.mark.parametrize("text", [
    "0.25\t-1.5\n3e-05\t7\n",  # LibreOffice Calc
    "0.25\t-1.5\r\n3e-05\t7",  # Google Sheets
    "0.25\t-1.5\r\n3e-05\t7\r\n",  # Excel
    '"0.25"\t"-1.5"\r\n"3e-05"\t"7"\r\n',  # quoted fields
    "0.25,-1.5\n3e-05,7\n",  # CSV
    '"0.25", "−1.5"\n"3e-05", "7"\n',  # quoted CSV with spaces and a typographic minus
])
def test_paste_fills_from_the_top_left_cell_as_one_step(window, qtbot, text):
    original = window.sheet.net.layers[0].w.copy()
    put_on_clipboard(text)
    view = select(window, "w1", 1, 1)
    qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    expected = original.copy()
    expected[1:3, 1:3] = BLOCK
    np.testing.assert_array_equal(window.sheet.net.layers[0].w, expected, strict=True)
    assert window.undo_stack.count() == 1
    assert window.undo_action.text() == "Undo paste into w1[1:3,1:3]"
    window.undo_stack.undo()
    np.testing.assert_array_equal(window.sheet.net.layers[0].w, original, strict=True)


@pytest.mark.parametrize(("name", "cell", "text", "why"), [
    ("w1", (2, 3), "1\t2\n3\t4\n", "the clipboard holds 2×2 values, but w1 from w1[2,3] has room for 1×1"),
    ("x", (0, 0), "1\t2\n3\n", "row 2 has 1 value but row 1 has 2"),
    ("x", (0, 0), "1\tabc\n", "row 1, column 2 is “abc”, not a number"),
    ("x", (0, 0), "0,5\t1,25\n", "uses a decimal comma; GradLab reads 0.5 with a point"),
    ("x", (0, 0), "1\tnan\n", "not a finite number"),
    ("x", (0, 0), "\n", "the text is empty"),
    ("b1", (0, 0), "1\n2\n", "has room for 1×4"),
    ("y", (0, 0), "1\t2\n", "has room for 4×1"),
    ("l1", (0, 0), "1\n", "l1 is computed by the forward pass, so it cannot be edited"),
    ("w1.g", (0, 0), "1\n", "w1.g is a gradient, worked out by the backward pass, so it cannot be edited"),
])
def test_a_bad_paste_changes_nothing_and_says_why(window, qtbot, name, cell, text, why):
    before = tensors(window)
    put_on_clipboard(text)
    view = select(window, name, *cell)
    qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    assert_unchanged(window, before)
    assert window.undo_stack.count() == 0
    assert status(window).startswith("Nothing pasted: ") and why in status(window)
    assert status(window).endswith(".") and "\n" not in status(window)


def test_a_class_index_must_be_a_class(classifier, qtbot):
    before = tensors(classifier)
    put_on_clipboard("1.5\n")
    qtbot.keyClick(select(classifier, "y", 0, 0), Qt.Key.Key_V, CTRL)
    assert_unchanged(classifier, before)
    assert "y holds class indices, whole numbers from 0 to 2; 1.5 is not one" in status(classifier)


def test_one_value_fills_the_selection_even_with_gaps(window, qtbot):
    w1 = window.sheet.net.layers[0].w.copy()
    put_on_clipboard("0.75\r\n")
    select(window, "w1", 0, 1, 2, 1)
    view = select(window, "w1", 1, 3, add=True)
    qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    w1[0:3, 1] = 0.75
    w1[1, 3] = 0.75
    np.testing.assert_array_equal(window.sheet.net.layers[0].w, w1, strict=True)
    assert window.undo_stack.count() == 1
    assert window.undo_action.text() == "Undo paste 0.75 into 4 cells of w1"


def test_paste_into_a_bias_and_into_y(window, qtbot):
    put_on_clipboard("0.5\t-0.5\n")
    qtbot.keyClick(select(window, "b1", 0, 1), Qt.Key.Key_V, CTRL)
    np.testing.assert_array_equal(window.sheet.net.layers[0].b, [-0.2, 0.5, -0.5, 0.0], strict=True)
    put_on_clipboard("2\n3\n")
    qtbot.keyClick(select(window, "y", 2, 0), Qt.Key.Key_V, CTRL)
    np.testing.assert_array_equal(window.sheet.net.y, [[1.0], [0.0], [2.0], [3.0]], strict=True)
    assert window.undo_action.text() == "Undo paste into y[2:4,0]"


def test_paste_class_indices_into_y(classifier, qtbot):
    put_on_clipboard("1\n0\n")
    qtbot.keyClick(select(classifier, "y", 2, 0), Qt.Key.Key_V, CTRL)
    np.testing.assert_array_equal(classifier.sheet.net.y, np.array([0, 1, 1, 0]), strict=True)
    assert classifier.undo_action.text() == "Undo paste into y[2:4]"


# -- Delete -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [Qt.Key.Key_Delete, Qt.Key.Key_Backspace])
def test_delete_sets_the_selection_to_zero_as_one_step(window, qtbot, key):
    original = window.sheet.net.x.copy()
    view = select(window, "x", 1, 0, 2, 1)
    qtbot.keyClick(view, key)
    expected = original.copy()
    expected[1:3, 0:2] = 0
    np.testing.assert_array_equal(window.sheet.net.x, expected, strict=True)
    assert window.undo_stack.count() == 1
    assert window.undo_action.text() == "Undo set x[1:3,0:2] to 0"
    window.undo_stack.undo()
    np.testing.assert_array_equal(window.sheet.net.x, original, strict=True)


def test_delete_on_a_computed_grid_says_why(window, qtbot):
    before = tensors(window)
    qtbot.keyClick(select(window, "out", 0, 0, 1, 0), Qt.Key.Key_Delete)
    assert_unchanged(window, before)
    assert window.undo_stack.count() == 0
    assert status(window) == "Nothing set to 0: out is computed by the forward pass, so it cannot be edited: change x, a w or a b instead."


# -- the context menu ---------------------------------------------------------------------------------


def test_every_grid_has_the_context_menu(window):
    """The same entries everywhere; a computed grid's cell adds Watch (tests/ui/test_watch.py)."""
    for name in ("x", "w1", "b2", "l1", "out", "y", "w1.g"):
        view = grid(window, name)
        assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
        menu = view.findChild(GridClipboard).menu(view.model().index(0, 0))
        texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
        watch = ["Watch l1[0,0]"] if name == "l1" else ["Watch out[0,0]"] if name == "out" else []
        assert texts == ["Copy", "Paste", "Set to 0", "Copy tensor as NumPy literal", "Copy tensor as PyTorch literal",
                         *watch], name


@pytest.mark.parametrize(("name", "variable"), [("w1", "w1"), ("b2.g", "b2_g"), ("x", "x")])
def test_context_menu_literals_rebuild_the_tensor(window, name, variable):
    window.set_dtype("float32")
    view = grid(window, name)
    view.findChild(QAction, f"{name}:numpy-literal").trigger()
    array = window.sheet.array(name)
    assert clipboard() == array_literal(variable, array, "numpy") + "\n"
    scope = {"np": np}
    exec(clipboard(), scope)
    np.testing.assert_array_equal(scope[variable], array, strict=True)
    view.findChild(QAction, f"{name}:torch-literal").trigger()
    assert clipboard() == array_literal(variable, array, "torch") + "\n"
    assert "PyTorch literal" in status(window)


# -- Copy as script -------------------------------------------------------------------------------------


def test_copy_as_numpy_script_prints_the_apps_loss(window, tmp_path):
    grid(window, "w1").model().setData(grid(window, "w1").model().index(0, 0), "0.123456789")  # not a preset any more
    window.findChild(QAction, "copy-numpy-script").trigger()
    script = tmp_path / "gradlab_net.py"
    script.write_text(clipboard(), encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines()[0] == f"loss = {float(window.sheet.p.loss)!r}"
    assert "NumPy script" in status(window)


def test_copy_as_pytorch_script(window):
    window.findChild(QAction, "copy-torch-script").trigger()
    assert clipboard() == torch_script(window.sheet.net)
    assert "PyTorch script" in status(window)


# -- keys -----------------------------------------------------------------------------------------------


def current(view) -> tuple[int, int]:
    return view.currentIndex().row(), view.currentIndex().column()


def type_into(qtbot, view, key: Qt.Key, then: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Type one digit into the current cell (it replaces the content) and leave the editor with ``then``."""
    qtbot.keyClick(view, key)
    assert view.state() == QAbstractItemView.State.EditingState
    qtbot.keyClick(QApplication.focusWidget(), then, modifier)
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState)


def test_enter_commits_an_edit_and_moves_down(window, qtbot):
    view = select(window, "w1", 0, 1)
    type_into(qtbot, view, Qt.Key.Key_7, Qt.Key.Key_Return)
    assert window.sheet.net.layers[0].w[0, 1] == 7.0
    assert current(view) == (1, 1)
    assert view.hasFocus()  # no editor left open in the next cell


def test_tab_commits_an_edit_and_moves_right_without_editing(window, qtbot):
    view = select(window, "x", 1, 0)
    type_into(qtbot, view, Qt.Key.Key_3, Qt.Key.Key_Tab)
    assert window.sheet.net.x[1, 0] == 3.0
    assert current(view) == (1, 1)
    assert view.state() != QAbstractItemView.State.EditingState
    type_into(qtbot, view, Qt.Key.Key_4, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert window.sheet.net.x[1, 1] == 4.0
    assert current(view) == (1, 0)


def test_enter_and_tab_move_without_an_edit(window, qtbot):
    view = select(window, "x", 0, 0)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert current(view) == (1, 0)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert current(view) == (1, 1)
    qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert current(view) == (0, 1)
    assert window.undo_stack.count() == 0


def test_f2_edits_and_escape_keeps_the_value(window, qtbot):
    view = select(window, "x", 0, 0)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert view.state() == QAbstractItemView.State.EditingState
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState)
    assert window.sheet.net.x[0, 0] == 0.5
    assert current(view) == (0, 0)
    assert window.undo_stack.count() == 0
