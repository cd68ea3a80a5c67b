"""One line of the learner's backward pass in the exercise panel: ``w1.g =``, the field, the mark and the sentence.

The row only shows what it is handed: a ``Grade`` (its mark, its sentence, and
for a refusal the line again with a caret under the spot), or, while the line is
being typed, the problem ``gradlab.expression.check`` found in it (in vermilion,
with the caret) or a hint to press Enter.  Marks are symbols first, colours
second: ✓ right, ✗ wrong, ⚠ can't be worked out, … waiting for an earlier
line, ○ not written yet, ⋯ being checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from gradlab.diagnosis import Target
from gradlab.expression import ExpressionError
from gradlab.expression_ops import describe
from gradlab.grading import Grade
from gradlab.session import MAX_ANSWER
from ui import palette
from ui.cell_look import ink_for

MARKS = {"right": "✓", "wrong": "✗", "refused": "⚠", "waiting": "…", "missing": "○"}
CHECKING = "⋯"  # the line was committed and is being graded
MARK_COLOURS = {"right": palette.AGREE, "wrong": palette.DISAGREE, "refused": palette.ORANGE,
                "waiting": palette.MUTED, "missing": palette.MUTED}
TYPING_HINT = "press Enter to check this line"


def monospace() -> QFont:
    mono = QFont()  # the family alone: the size still follows the panel's, and its zoom
    mono.setFamily("monospace")
    mono.setStyleHint(QFont.StyleHint.TypeWriter)
    return mono


W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def text_label(name: str, mono: bool = False) -> QLabel:
    label = named(QLabel(), name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(not mono)
    if mono:
        label.setFont(monospace())
    return label


class AnswerEdit(QLineEdit):
    """A field for one line that says when it gets the focus (its result then shows in the grid)."""

    focused = Signal()

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.focused.emit()


def restyle(widget: QWidget, sheet: str) -> None:
    """Set a widget's style sheet only when it differs: Qt re-polishes the widget on every call, even the same."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


@dataclass
class AnswerRow:
    """The widgets of one line: ``w1.g =``, the field, the mark, the sentence and, for a refusal, the caret."""

    target: Target
    name: QLabel
    edit: AnswerEdit
    mark: QLabel
    message: QLabel
    caret: QLabel
    shown: str = ""  # the session's line as last put into the field

    @classmethod
    def build(cls, target: Target, shape: tuple[int, ...]) -> AnswerRow:
        name = text_label(f"name:{target.name}", mono=True)
        name.setText(f"{target.name} =")
        name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        edit = named(AnswerEdit(), f"answer:{target.name}")
        edit.setFont(monospace())
        edit.setMaxLength(MAX_ANSWER)
        edit.setPlaceholderText(f"…  # {describe(shape)}, like {target.tensor}")
        edit.setToolTip(f"Your line for {target.name}, in the lesson's notation: Enter checks it")
        edit.setAccessibleName(f"your line for {target.name}")
        name.setBuddy(edit)
        mark = text_label(f"mark:{target.name}")
        mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mark.setMinimumWidth(mark.fontMetrics().horizontalAdvance("✓✓"))
        return cls(target, name, edit, mark, text_label(f"message:{target.name}"), text_label(f"caret:{target.name}", mono=True))

    def show_grade(self, g: Grade | None, checking: bool) -> None:
        """The mark and the sentence of ``g`` (``checking``: the line is being graded again)."""
        verdict = "missing" if g is None else g.verdict
        self.mark.setText(CHECKING if checking else MARKS[verdict])
        self.mark.setToolTip("being checked" if checking else verdict)
        colour = palette.MUTED if checking else MARK_COLOURS[verdict]
        restyle(self.mark, f"background: {colour}; color: {ink_for(QColor(colour)).name()}; font-weight: bold")
        self.message.setText("checking…" if checking or g is None else g.message)
        self.edit.setAccessibleDescription(f"{self.mark.toolTip()}: {self.message.text()}")  # read after the name
        restyle(self.message, "font-style: italic" if checking or verdict in ("missing", "waiting") else "")
        caret = None if checking or g is None else g.caret
        self._show_caret(caret if g is not None and g.error is not None and g.error.offset is not None else None)
        restyle(self.edit, "")

    def show_typing(self, problem: ExpressionError | None, text: str) -> None:
        """The line as it is being typed: a red caret under a problem, or a hint to press Enter."""
        if problem is None:
            self.message.setText(TYPING_HINT)
            restyle(self.message, "font-style: italic")
            self._show_caret(None)
            restyle(self.edit, "")
            return
        self.message.setText(problem.message)
        restyle(self.message, "font-weight: bold")  # a problem: in the theme's own ink, never a faint colour
        self._show_caret(problem.caret(text) if problem.offset is not None else None, palette.DISAGREE)
        restyle(self.edit, f"QLineEdit {{ border: 1px solid {palette.DISAGREE}; }}")

    def _show_caret(self, caret: str | None, colour: str = "") -> None:
        self.caret.setText(caret or "")
        restyle(self.caret, "font-weight: bold" if colour else "")
        self.caret.setVisible(bool(caret))
