"""Your turn: the learner writes the backward pass line by line, and GradLab checks each line cell by cell.

One row per line of the backward pass, in the order it runs (``out.g =``,
``l2.g =``, ``w2.g =`` … down to ``x.g =``): a field for the right side, in the
lesson's notation, a mark (✓ right, ✗ wrong, ⚠ can't be worked out, … waiting
for an earlier line, ○ not written yet) and one sentence under it: the likely
slip, the evaluator's refusal with a caret under the spot, or what a hidden
network found ("right here, but wrong when the batch has 1 row").

While the learner types, the line is only read (``gradlab.expression.check``:
quick enough for every key), so a caret shows a typo at once; Enter, or leaving
the field, commits the line, one undo step, and only then is it graded, on a
thread of its own (``ui.grading_worker``), so the window never waits.

Under the rows, for the line last focused or committed, the learner's result as
a grid, each cell ✓ or ✗, beside the true gradient, which the teacher's switch
can hide until the line is right.  The lines and both switches live in the
session; this panel only shows them and pushes the edits.

For the main window: ``graded`` and ``grading`` give the latest ``Grading``
(None until the first arrives and after the network changes);
``answer_marks(grading, target)`` and ``revealed(session, grading, target)``
say how to mark, or whether to show, the sheet's own ``.g`` grid.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gradlab.diagnosis import targets
from gradlab.expression import ExpressionError, check, parse_line
from gradlab.expression_ops import describe
from gradlab.grading import Grade, Grading, worst_cell
from gradlab.session import MAX_ANSWER, Session
from gradlab.sheet import Change
from ui.answer_grid import AnswerGridModel, AnswerGridView
from ui.answer_row import AnswerRow, named, text_label
from ui.commands import Editor, SetAnswer, SetAnswers
from ui.grading_worker import GradingWorker
from ui.signals import DrawnInSight, follow, signals_blocked

GRID_HINT = "Click in a line to see its result here, cell by cell."


# -- for the main window: the sheet's .g grids ------------------------------------------------------

def revealed(session: Session, grading: Grading | None, target: str) -> bool:
    """Whether the true ``target`` grid may be shown with ``grading`` (``Session.revealed``)."""
    return session.revealed(target, grading)


def answer_marks(grading: Grading | None, target: str) -> np.ndarray | None:
    """Per cell of the true ``target``: whether the learner's result matches it (all False when their
    result has another shape); None when there is no result to compare (no line, refused, waiting)."""
    if grading is None:
        return None
    try:
        g = grading[target]
    except KeyError:
        return None
    if g.cells is not None:
        return g.cells.match.copy()
    if g.result is not None and g.truth is not None:
        return np.zeros(g.truth.shape, bool)
    return None


def expression_for(target: str, text: str) -> str:
    """What the learner typed in ``target``'s field, without a leading ``w1.g =`` they may have copied along."""
    try:
        line = parse_line(text)
    except ExpressionError:
        return text.strip()
    return line.expression if line.target == target else text.strip()


class ExercisePanel(DrawnInSight, QWidget):
    """"Your turn": the learner's backward lines for the session's network, graded as they are committed."""

    message = Signal(str)  # a sentence for the status bar
    graded = Signal(object)  # the latest Grading, or None when the network changed and the new one is on its way

    def __init__(self, session: Session, editor: Editor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exercise-panel")
        self.session, self.editor = session, editor
        self.rows: dict[str, AnswerRow] = {}
        self._requested: tuple[dict[str, str], bool] | None = None
        self._shown_target: str | None = None
        self._worker = GradingWorker(self)
        self._worker.graded.connect(self._arrived)
        self._worker.failed.connect(self.message)

        title = named(QLabel("<b>Your turn: write the backward pass</b>"), "exercise-title")
        hint = text_label("exercise-hint")
        hint.setText("Write the right side of each line in the lesson's notation, in any order; "
                     "Enter checks it against the true gradient, cell by cell.")
        hint.setStyleSheet("font-style: italic")
        self.true_inputs = named(QCheckBox("Lines read the true gradients of earlier lines, not my own results"),
                                  "true-inputs")
        self.true_inputs.setToolTip("Off: a wrong out.g spoils every line after it, as in your notebook. "
                                    "On: each line is checked on its own.")
        self.true_inputs.toggled.connect(session.set_true_inputs)
        self.hide_true = named(QCheckBox("Hide the true .g grids until each line is right (for teachers)"), "hide-true")
        self.hide_true.toggled.connect(session.set_hide_true)

        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.summary = text_label("exercise-summary")
        self.clear_button = named(QPushButton("Clear my lines"), "clear-answers")
        self.clear_button.setToolTip("Empty every line you wrote (one undo step)")
        self.clear_button.clicked.connect(self.clear_answers)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary, 1)
        summary_row.addWidget(self.clear_button)

        self.grid_title = text_label("answer-grid-title")
        self.true_title = text_label("true-grid-title")
        self.yours_model = AnswerGridModel("yours", self)
        self.true_model = AnswerGridModel("true", self)
        self.yours_view = AnswerGridView(self.yours_model, "answer-grid")
        self.true_view = AnswerGridView(self.true_model, "true-grid")
        grids = QGridLayout()
        grids.addWidget(self.grid_title, 0, 0)
        grids.addWidget(self.true_title, 0, 1)
        grids.addWidget(self.yours_view, 1, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        grids.addWidget(self.true_view, 1, 1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        grids.setColumnStretch(0, 1)
        grids.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.true_inputs)
        layout.addWidget(self.hide_true)
        layout.addWidget(self._scroll, 1)
        layout.addLayout(summary_row)
        layout.addLayout(grids)

        follow(session, self, self._on_change)
        self._build_rows()
        self._show_answers()
        self._show_switches()
        self._request()

    # -- what the main window reads ------------------------------------------------------------

    @property
    def grading(self) -> Grading | None:
        """The latest grading of the session's lines, or None before the first (and after a network change)."""
        return self.session.grading

    @property
    def busy(self) -> bool:
        """A grading is running or waiting to run."""
        return self._worker.busy

    @property
    def shown_target(self) -> str | None:
        """The line whose result the grid shows."""
        return self._shown_target

    def row(self, target: str) -> AnswerRow:
        if target not in self.rows:
            raise KeyError(f"this network has no line {target} to write")
        return self.rows[target]

    # -- editing ---------------------------------------------------------------------------------

    def commit(self, target: str, text: str) -> bool:
        """Make ``text`` the learner's line for ``target``: one undo step, then graded.  False (and a sentence
        through ``message``) when the line is refused before it is stored."""
        row = self.row(target)
        expression = expression_for(target, text)
        if len(expression) > MAX_ANSWER:
            self.message.emit(f"The line for {target} is {len(expression):,} characters long; a line can have {MAX_ANSWER:,}.")
            return False
        self.show_target(target)
        if expression == self.session.answers.get(target, ""):
            if row.edit.text() != expression:
                row.edit.setText(expression)  # "w1.g = …" copied in whole becomes its right side
            self._show_row(row)  # the typing hint gives way to the grade again
            return True
        self.editor.stack.push(SetAnswer(self.session, target, expression))
        return True

    def clear_answers(self) -> None:
        """Empty every line: one undo step."""
        for row in self.rows.values():
            with signals_blocked(row.edit):
                row.edit.setText(row.shown)  # text typed but not committed goes too
        count = len(self.session.answers)
        if not count:
            self.message.emit("There are no lines of yours to clear.")
            self.changed()
            return
        self.editor.stack.push(SetAnswers(self.session, {}, "clear my lines"))
        self.message.emit(f"Cleared your {count} line{'s' if count != 1 else ''} (Undo brings them back).")

    def show_target(self, target: str | None) -> None:
        """Show ``target``'s result in the grid (None: no line's)."""
        if target is not None and target not in self.rows:
            raise KeyError(f"this network has no line {target} to write")
        if target != self._shown_target:
            self._shown_target = target
            self._show_grid()

    # -- following the session -------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind == "network":
            self.session.set_grading(None)
            self.graded.emit(None)
            self._build_rows()
            self._show_answers()
            self._request()
        elif change.kind == "values" and self.session.answers:  # with no line written, every line stays missing
            self._request()
        elif change.kind == "answers":
            self._show_answers()
            self._show_switches()
            if self._requested != (self.session.answers, self.session.true_inputs):
                self._request()
            else:
                self.changed()  # only what is shown changed: the teacher's switch

    def _request(self) -> None:
        self._requested = (self.session.answers, self.session.true_inputs)
        self._worker.request(self.session.sheet.net, *self._requested)
        self.changed()

    def _arrived(self, grading: Grading) -> None:
        self.session.set_grading(grading)
        self.changed()
        self.graded.emit(grading)

    # -- building and showing --------------------------------------------------------------------

    def _build_rows(self) -> None:
        """One row per line of the network's backward pass; built again only when the lines differ."""
        net, grads = self.session.sheet.net, self.session.sheet.p.grads
        found = targets(net)
        if [t.name for t in found] == list(self.rows):
            for t in found:
                self.rows[t.name].target = t
                self.rows[t.name].edit.setPlaceholderText(f"…  # {describe(grads[t.tensor].shape)}, like {t.tensor}")
            return
        content = QWidget()
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(1)
        self.rows = {}
        for k, t in enumerate(found):
            row = AnswerRow.build(t, grads[t.tensor].shape)
            grid.addWidget(row.name, 3 * k, 0)
            grid.addWidget(row.edit, 3 * k, 1)
            grid.addWidget(row.mark, 3 * k, 2)
            grid.addWidget(row.message, 3 * k + 1, 1, 1, 2)
            grid.addWidget(row.caret, 3 * k + 2, 1, 1, 2)
            row.edit.textEdited.connect(lambda text, r=row: self._typed(r, text))
            row.edit.editingFinished.connect(lambda r=row: self._finished(r))
            row.edit.focused.connect(lambda r=row: self.show_target(r.target.name))
            self.rows[t.name] = row
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3 * len(found), 1)
        self._scroll.setWidget(content)  # the old rows go with their widget
        if self._shown_target not in self.rows:
            self._shown_target = None

    def _finished(self, row: AnswerRow) -> None:
        """Enter, or the focus left the field: commit its line (never a line of rows already replaced)."""
        if self.rows.get(row.target.name) is row:
            self.commit(row.target.name, row.edit.text())

    def _show_answers(self) -> None:
        """Put the session's lines into the fields that don't show them yet (text being typed elsewhere stays)."""
        answers = self.session.answers
        for target, row in self.rows.items():
            line = answers.get(target, "")
            if line != row.shown:
                row.shown = line
                with signals_blocked(row.edit):
                    row.edit.setText(line)

    def _show_switches(self) -> None:
        for box, on in ((self.true_inputs, self.session.true_inputs), (self.hide_true, self.session.hide_true)):
            with signals_blocked(box):
                box.setChecked(on)

    def _typed(self, row: AnswerRow, text: str) -> None:
        """A key in a field: read the line (never work it out) and show a caret under any problem."""
        expression = expression_for(row.target.name, text)
        if expression == row.shown:
            self._show_row(row)
            return
        problem = None
        if expression:
            try:
                check(expression, ["y", *self.session.sheet.p.values])
            except ExpressionError as e:
                problem = e
        shift = text.find(expression) if expression else 0
        if problem is not None and problem.offset is not None and shift > 0:  # "w1.g = …" typed in whole
            problem = ExpressionError(problem.message, problem.offset + shift)
        row.show_typing(problem, text)

    def _grade(self, target: str) -> Grade | None:
        try:
            return None if self.session.grading is None else self.session.grading[target]
        except KeyError:
            return None

    def _checking(self, target: str) -> bool:
        """Whether ``target``'s grade is out of date: its line or the inputs switch changed since it was graded."""
        g = self._grade(target)
        if self.session.grading is None or g is None:
            return True
        return g.expression != self.session.answers.get(target, "") or self.session.grading.true_inputs != self.session.true_inputs

    def _show_row(self, row: AnswerRow) -> None:
        row.show_grade(self._grade(row.target.name), self._checking(row.target.name))

    def refresh(self) -> None:
        """Show every row's grade, the summary and the grid (through ``changed()``: only while in sight)."""
        for row in self.rows.values():
            if expression_for(row.target.name, row.edit.text()) == row.shown:  # a line being typed keeps its hint
                self._show_row(row)
        self._show_summary()
        self._show_grid()

    def _show_summary(self) -> None:
        total = len(self.rows)
        if self.session.grading is None:
            self.summary.setText(f"checking your lines… ({total} to write)")
            return
        right = sum(g is not None and g.verdict == "right" for g in map(self._grade, self.rows))
        if right == total and not any(self._checking(t) for t in self.rows):
            self.summary.setText(f"All {total} lines right: you wrote the whole backward pass yourself. Well done!")
        else:
            self.summary.setText(f"{right} of {total} lines right")

    def _show_grid(self) -> None:
        target = self._shown_target
        g = None if target is None else self._grade(target)
        truth_shown = target is not None and revealed(self.session, self.session.grading, target)
        self.yours_model.show(g, truth_shown)
        self.true_model.show(g, truth_shown)
        self.yours_view.setVisible(self.yours_model.rowCount() > 0)
        self.true_view.setVisible(self.true_model.rowCount() > 0)
        if target is None:
            self.grid_title.setText(GRID_HINT)
            self.true_title.setText("")
            return
        self.grid_title.setText(self._grid_caption(target, g, truth_shown))
        self.true_title.setText(f"the true {target}" if truth_shown else f"the true {target} is hidden until your line is right")

    @staticmethod
    def _grid_caption(target: str, g: Grade | None, truth_shown: bool) -> str:
        if g is None or g.verdict == "missing":
            return f"{target}: no line yet"
        if g.verdict == "waiting":
            return f"{target}: waiting for {', '.join(g.waiting_for)}, so there is no result yet"
        if g.result is None:
            return f"{target}: your line can't be worked out, so there is no result to show"
        if g.cells is None:
            yours = f"{target}, yours: {describe(g.result.shape)}"
            return yours if g.truth is None else f"{yours}, but {target} is {describe(g.truth.shape)}: no cell can match"
        worst = worst_cell(g) if truth_shown else None
        if worst:
            return f"{target}, yours: {worst}"
        return f"{target}, yours: {int(g.cells.match.sum())} of {g.cells.match.size} cells right"
