"""Your turn: the learner types backward lines into the exercise panel, built from a Session and an Editor alone."""

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QTableView
from shiboken6 import isValid

from gradlab import preset, random_network
from gradlab.grading import reference_answers
from gradlab.session import MAX_ANSWER, Session
from gradlab.sheet import Sheet
from ui.answer_grid import MATCH_ROLE, AnswerGridModel
from ui.answer_row import CHECKING, TYPING_HINT
from ui.commands import Editor
from ui.exercise_panel import ExercisePanel, answer_marks, revealed
from ui.grid_model import format_value

DISPLAY, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole
BEFORE_W1 = ("out.g", "l2.g", "w2.g", "b2.g", "l1.g")  # the lines the backward pass runs before w1.g


def build(qtbot, net):
    session = Session(Sheet(net))
    editor = Editor(session.sheet, QUndoStack())  # the editor keeps the stack alive
    panel = ExercisePanel(session, editor)
    qtbot.addWidget(panel)
    said: list[str] = []
    panel.message.connect(said.append)
    qtbot.waitUntil(lambda: panel.grading is not None)
    return session, editor, panel, said


@pytest.fixture
def lesson(qtbot):
    session, editor, panel, said = build(qtbot, preset("lesson"))
    yield session, editor, panel, said
    session.close()


def child(panel, kind, name):
    found = panel.findChild(kind, name)
    assert found is not None, f"no {kind.__name__} named {name}"
    return found


def type_line(qtbot, panel, target: str, text: str, enter: bool = True) -> None:
    """Select the field's text and type over it, as a learner would; Enter commits."""
    edit = child(panel, QLineEdit, f"answer:{target}")
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    if enter:
        qtbot.keyClick(edit, Qt.Key.Key_Return)


def graded(qtbot, panel, target: str, expression: str) -> None:
    """Wait until the panel shows the grade of ``expression`` as ``target``'s line."""
    def done() -> bool:
        g = panel.grading
        return (g is not None and g[target].expression == expression and g.true_inputs == panel.session.true_inputs
                and child(panel, QLabel, f"mark:{target}").text() != CHECKING)
    qtbot.waitUntil(done)


def text(panel, name: str) -> str:
    return child(panel, QLabel, name).text()


def cells(view: QTableView, role=DISPLAY) -> list[list]:
    model = view.model()
    return [[model.data(model.index(r, c), role) for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_a_wrong_w1_line_is_refused_or_diagnosed_and_then_right(lesson, qtbot):
    session, _editor, panel, _said = lesson
    ref = reference_answers(session.sheet.net)
    session.set_answers({t: ref[t] for t in BEFORE_W1})
    grid = child(panel, QTableView, "answer-grid")

    type_line(qtbot, panel, "w1.g", "x @ l1.g")  # shapes that can't be multiplied: refused, with a caret under the @
    graded(qtbot, panel, "w1.g", "x @ l1.g")
    assert text(panel, "mark:w1.g") == "⚠"
    assert "inner sizes 3 and 4 must match" in text(panel, "message:w1.g")
    assert text(panel, "caret:w1.g") == "x @ l1.g\n  ^" and child(panel, QLabel, "caret:w1.g").isVisibleTo(panel)
    assert grid.model().rowCount() == 0 and not grid.isVisibleTo(panel)

    type_line(qtbot, panel, "w1.g", "(x.unsqueeze(-1) * l1.g.unsqueeze(1))")  # the per-row products, never summed
    graded(qtbot, panel, "w1.g", "(x.unsqueeze(-1) * l1.g.unsqueeze(1))")
    assert text(panel, "mark:w1.g") == "✗" and not child(panel, QLabel, "caret:w1.g").isVisibleTo(panel)
    assert "one matrix per batch row" in text(panel, "message:w1.g") and ".sum(0)" in text(panel, "message:w1.g")
    assert "a 4×3×4 tensor, but w1.g is a 3×4 matrix" in text(panel, "answer-grid-title")
    assert grid.model().rowCount() == 0  # three dimensions are told in words, not laid out

    type_line(qtbot, panel, "w1.g", "l1.g.t() @ x")  # the transpose: every cell ✗, the tooltip says why
    graded(qtbot, panel, "w1.g", "l1.g.t() @ x")
    assert text(panel, "mark:w1.g") == "✗" and "the transpose of w1's 3×4" in text(panel, "message:w1.g")
    assert grid.isVisibleTo(panel) and (grid.model().rowCount(), grid.model().columnCount()) == (4, 3)
    assert all(c is False for row in cells(grid, MATCH_ROLE) for c in row)
    assert all(c.startswith("✗ ") for row in cells(grid) for c in row)
    assert "yours is a 4×3 matrix, w1.g is a 3×4 matrix" in cells(grid, TIP)[0][0]

    type_line(qtbot, panel, "w1.g", "-(x.t() @ l1.g)")  # the sign: ✗ wherever the true cell isn't 0
    graded(qtbot, panel, "w1.g", "-(x.t() @ l1.g)")
    truth = session.sheet.p.grads["w1"]
    assert "wrong sign" in text(panel, "message:w1.g")
    assert np.array_equal(np.array(cells(grid, MATCH_ROLE)), truth == 0)
    tip = cells(grid, TIP)[0][0]
    assert tip.startswith("w1.g[0,0]: yours 0.44") and "✗, true -0.44" in tip and "difference 0.88" in tip

    type_line(qtbot, panel, "w1.g", "x.t() @ l1.g")
    graded(qtbot, panel, "w1.g", "x.t() @ l1.g")
    assert text(panel, "mark:w1.g") == "✓" and text(panel, "message:w1.g").startswith("right, here and with a batch of 1 row")
    assert all(c is True for row in cells(grid, MATCH_ROLE) for c in row)
    assert cells(grid) == [[f"✓ {format_value(v)}" for v in row] for row in truth]
    assert cells(child(panel, QTableView, "true-grid")) == [[format_value(v) for v in row] for row in truth]
    assert text(panel, "exercise-summary") == "6 of 8 lines right"


def test_typing_is_only_read_until_the_line_is_committed(lesson, qtbot):
    session, editor, panel, _said = lesson
    type_line(qtbot, panel, "b1.g", "l1.g.sum(0", enter=False)
    assert text(panel, "message:b1.g") == "this ( is never closed" and text(panel, "caret:b1.g") == "l1.g.sum(0\n        ^"
    assert session.answers == {} and editor.stack.count() == 0 and not panel.busy  # read, never graded
    qtbot.keyClicks(child(panel, QLineEdit, "answer:b1.g"), ")")
    assert text(panel, "message:b1.g") == TYPING_HINT and not child(panel, QLabel, "caret:b1.g").isVisibleTo(panel)

    type_line(qtbot, panel, "x.g", "x.g = l1.g @ w1.t()")  # the whole line pasted in: its right side is kept
    assert session.answers == {"x.g": "l1.g @ w1.t()"}
    assert child(panel, QLineEdit, "answer:x.g").text() == "l1.g @ w1.t()"
    assert child(panel, QLineEdit, "answer:b1.g").text() == "l1.g.sum(0)"  # typed, not committed: still there


def test_hidden_true_grids_are_revealed_when_the_line_is_solved(lesson, qtbot):
    session, _editor, panel, _said = lesson
    child(panel, QCheckBox, "true-inputs").click()
    child(panel, QCheckBox, "hide-true").click()
    assert session.true_inputs and session.hide_true
    true_grid = child(panel, QTableView, "true-grid")

    type_line(qtbot, panel, "w1.g", "x.t() @ l1.g / 4")
    graded(qtbot, panel, "w1.g", "x.t() @ l1.g / 4")
    assert not revealed(session, panel.grading, "w1.g") and revealed(session, panel.grading, "out.g") is False
    assert true_grid.model().rowCount() == 0 and "hidden until your line is right" in text(panel, "true-grid-title")
    tip = cells(child(panel, QTableView, "answer-grid"), TIP)[0][0]
    assert tip.endswith("✗, the true value is hidden until your line is right") and "difference" not in tip
    marks = answer_marks(panel.grading, "w1.g")
    assert marks.shape == (3, 4) and np.array_equal(marks, session.sheet.p.grads["w1"] == 0)

    type_line(qtbot, panel, "w1.g", "x.t() @ l1.g")
    graded(qtbot, panel, "w1.g", "x.t() @ l1.g")
    assert revealed(session, panel.grading, "w1.g") and not revealed(session, panel.grading, "b1.g")
    assert true_grid.isVisibleTo(panel) and text(panel, "true-grid-title") == "the true w1.g"
    assert answer_marks(panel.grading, "w1.g").all() and answer_marks(panel.grading, "b1.g") is None

    child(panel, QCheckBox, "hide-true").click()  # the teacher's switch off: every grid may show
    assert not session.hide_true and revealed(session, panel.grading, "b1.g")


def test_undo_and_redo_an_answer_bring_back_the_line_and_its_grade(lesson, qtbot):
    session, editor, panel, said = lesson
    session.set_true_inputs(True)
    type_line(qtbot, panel, "b1.g", "l1.g.sum(1)")
    graded(qtbot, panel, "b1.g", "l1.g.sum(1)")
    type_line(qtbot, panel, "b1.g", "l1.g.sum(0)")
    graded(qtbot, panel, "b1.g", "l1.g.sum(0)")
    assert text(panel, "mark:b1.g") == "✓" and editor.stack.count() == 2  # one step per committed line
    assert editor.stack.undoText() == "write b1.g = l1.g.sum(0)"

    editor.stack.undo()
    assert child(panel, QLineEdit, "answer:b1.g").text() == "l1.g.sum(1)" and session.answers == {"b1.g": "l1.g.sum(1)"}
    graded(qtbot, panel, "b1.g", "l1.g.sum(1)")
    assert text(panel, "mark:b1.g") == "✗" and "summed over dim 1" in text(panel, "message:b1.g")
    editor.stack.redo()
    graded(qtbot, panel, "b1.g", "l1.g.sum(0)")
    assert text(panel, "mark:b1.g") == "✓" and child(panel, QLineEdit, "answer:b1.g").text() == "l1.g.sum(0)"

    type_line(qtbot, panel, "out.g", "2. * (out - y) / out.numel()")
    child(panel, QPushButton, "clear-answers").click()  # every line, one step
    assert session.answers == {} and said[-1] == "Cleared your 2 lines (Undo brings them back)."
    assert child(panel, QLineEdit, "answer:out.g").text() == ""
    graded(qtbot, panel, "b1.g", "")
    assert text(panel, "mark:b1.g") == "○" and text(panel, "exercise-summary") == "0 of 8 lines right"
    editor.stack.undo()
    assert session.answers == {"b1.g": "l1.g.sum(0)", "out.g": "2. * (out - y) / out.numel()"}
    graded(qtbot, panel, "out.g", "2. * (out - y) / out.numel()")


def test_own_inputs_pass_a_mistake_on_and_true_inputs_check_each_line_alone(lesson, qtbot):
    session, _editor, panel, _said = lesson
    type_line(qtbot, panel, "out.g", "2. * (out - y)")  # the mean's divisor forgotten
    type_line(qtbot, panel, "l2.g", "out.g @ w2.t()")
    graded(qtbot, panel, "l2.g", "out.g @ w2.t()")
    assert text(panel, "mark:out.g") == "✗" and "out.numel()" in text(panel, "message:out.g")
    assert text(panel, "mark:l2.g") == "✗" and "reads your out.g, which is wrong" in text(panel, "message:l2.g")

    child(panel, QCheckBox, "true-inputs").click()
    assert session.true_inputs
    graded(qtbot, panel, "l2.g", "out.g @ w2.t()")
    assert text(panel, "mark:l2.g") == "✓" and text(panel, "mark:out.g") == "✗"
    assert text(panel, "exercise-summary") == "1 of 8 lines right"


def test_all_lines_right_is_congratulated_and_a_line_right_only_here_is_not(lesson, qtbot):
    session, _editor, panel, _said = lesson
    answers = reference_answers(session.sheet.net)
    session.set_answers({**answers, "out.g": "2. * (out - y) / out.shape[0]"})  # right while out has one column
    graded(qtbot, panel, "out.g", "2. * (out - y) / out.shape[0]")
    assert text(panel, "mark:out.g") == "✗" and text(panel, "message:out.g").startswith("right here, but wrong with widths")
    assert revealed(session, panel.grading, "out.g")  # hide_true is off
    session.set_answers(answers)
    graded(qtbot, panel, "out.g", answers["out.g"])
    assert text(panel, "exercise-summary").startswith("All 8 lines right")


def test_grading_a_larger_network_never_blocks_and_only_the_newest_result_shows(qtbot):
    session, _editor, panel, _said = build(qtbot, random_network([64, 32, 10], batch=256))
    results = []
    panel.graded.connect(results.append)
    type_line(qtbot, panel, "out.g", "2. * (out - y) / out.numel()")
    assert text(panel, "mark:out.g") == CHECKING and panel.busy  # the commit returned before any grading arrived
    type_line(qtbot, panel, "l2.g", "out.g @ w2.t()")  # made while the first may still run: it supersedes it
    graded(qtbot, panel, "l2.g", "out.g @ w2.t()")
    assert text(panel, "mark:out.g") == "✓" and text(panel, "mark:l2.g") == "✓"
    assert results and all(g["l2.g"].expression == "out.g @ w2.t()" for g in results)  # the stale one was dropped
    session.close()


def test_a_new_network_brings_its_own_lines(lesson, qtbot):
    session, editor, panel, _said = lesson
    results = []
    panel.graded.connect(results.append)
    editor.replace(random_network([3, 5, 4, 2], batch=3), "three layers")
    assert results[0] is None and panel.grading is None
    assert list(panel.rows) == ["out.g", "l4.g", "w3.g", "b3.g", "l3.g", "l2.g", "w2.g", "b2.g", "l1.g", "x.g", "w1.g", "b1.g"]
    assert child(panel, QLineEdit, "answer:w3.g").placeholderText() == "…  # a 4×2 matrix, like w3"
    type_line(qtbot, panel, "out.g", "2. * (out - y) / out.numel()")
    graded(qtbot, panel, "out.g", "2. * (out - y) / out.numel()")
    assert text(panel, "mark:out.g") == "✓" and text(panel, "exercise-summary") == "1 of 12 lines right"


def test_a_line_too_long_is_refused_with_a_sentence(lesson, qtbot):
    session, editor, panel, said = lesson
    assert not panel.commit("b1.g", "l1.g + " * (MAX_ANSWER // 7 + 1) + "0")
    assert said[-1].startswith("The line for b1.g is") and session.answers == {} and editor.stack.count() == 0
    with pytest.raises(KeyError):
        panel.commit("w9.g", "0")


def test_the_grid_model_keeps_qts_rules(lesson, qtbot, qtmodeltester):
    session, _editor, panel, _said = lesson
    session.set_true_inputs(True)
    type_line(qtbot, panel, "w2.g", "l2.t() @ out.g * 2")
    graded(qtbot, panel, "w2.g", "l2.t() @ out.g * 2")
    assert panel.yours_model.rowCount() == 4
    qtmodeltester.check(panel.yours_model)
    qtmodeltester.check(panel.true_model)
    changed = []
    panel.yours_model.dataChanged.connect(lambda a, b, _roles: changed.append((a.row(), a.column(), b.row(), b.column())))
    type_line(qtbot, panel, "w2.g", "l2.t() @ out.g")  # same shape: only the rectangle that moved is announced
    graded(qtbot, panel, "w2.g", "l2.t() @ out.g")
    assert changed and all(c == (0, 0, 3, 0) for c in changed)
    with pytest.raises(ValueError, match="'yours' or 'true'"):
        AnswerGridModel("mine")


def test_a_panel_that_goes_while_grading_stops_listening(qtbot):
    session, editor, panel, _said = build(qtbot, random_network([64, 32, 10], batch=256))
    panel.commit("out.g", "2. * (out - y) / out.numel()")
    panel.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not isValid(panel)
    session.set_answer("l2.g", "out.g @ w2.t()")  # would call into the deleted panel, and raise, if it still listened
    editor.set_cell("x", (0, 0), 0.5)
    session.close()


def test_the_focused_line_shows_in_the_grid_and_a_new_network_commits_nothing_typed(lesson, qtbot):
    session, editor, panel, _said = lesson
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.shown_target is None and text(panel, "answer-grid-title").startswith("Click in a line")
    edit = child(panel, QLineEdit, "answer:b1.g")
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    assert panel.shown_target == "b1.g" and text(panel, "answer-grid-title") == "b1.g: no line yet"
    assert text(panel, "true-grid-title") == "the true b1.g"
    qtbot.keyClicks(edit, "l1.g.sum(0)")  # typed, never committed
    editor.replace(random_network([3, 5, 4, 2], batch=3), "three layers")
    assert editor.stack.count() == 1 and session.answers == {} and panel.shown_target == "b1.g"
