"""The result of one of the learner's backward lines, cell by cell, beside the true gradient.

``AnswerGridModel`` shows one side of a ``Grade``: ``"yours"``, the learner's
array on the current network, each cell starting with ✓ where it matches the
true gradient and ✗ where it doesn't (tinted green or vermilion as well, never
by colour alone); or ``"true"``, the true gradient's values, plain.  Hovering
a cell gives the learner's value, the true value and the difference, unless the
true values are hidden (the teacher's switch, until the line is right): then
only the learner's own value and its mark.

A result of the wrong shape can't be compared cell by cell: every cell of it
is ✗, and its tooltip says the two shapes.  A result of more than two
dimensions is not laid out at all (the panel says its shape instead).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableView

from gradlab.expression_ops import describe
from gradlab.grading import Grade
from gradlab.text import cell_name
from ui import palette
from ui.grid_model import format_value, full_precision

MATCH_ROLE = Qt.ItemDataRole.UserRole + 1  # True (✓), False (✗), or None: a cell of the true grid
RIGHT, WRONG = "✓", "✗"
MAX_VISIBLE = 8  # rows and columns a grid asks room for before it scrolls

AnyIndex = QModelIndex | QPersistentModelIndex


def as_grid(a: np.ndarray) -> np.ndarray:
    """A tensor as rows × columns: a number is one cell, a vector one row (as a bias is in the sheet)."""
    return a.reshape(1, -1) if a.ndim < 2 else a


class AnswerGridModel(QAbstractTableModel):
    """One side of a grade, read-only: ``which`` is ``"yours"`` or ``"true"``."""

    def __init__(self, which: str, parent=None):
        super().__init__(parent)
        if which not in ("yours", "true"):
            raise ValueError(f"an answer grid shows 'yours' or 'true', not {which!r}")
        self.which = which
        self.target = ""
        self._shape: tuple[int, ...] = ()  # the shown tensor's own shape, to name its cells
        self._values = np.zeros((0, 0))  # what the cells show, as a grid
        # the same cells of the other side, for the marks and the tooltips (None: not comparable, or hidden)
        self._match: np.ndarray | None = None
        self._yours: np.ndarray | None = None
        self._truth: np.ndarray | None = None
        self._difference: np.ndarray | None = None  # yours − true, in float64
        self._shape_note = ""  # "yours is a 4×3 matrix, w1.g is a 3×4 matrix" when they can't be compared

    def show(self, grade: Grade | None, truth_shown: bool) -> None:
        """Show ``grade``'s side (nothing for None); ``truth_shown`` False keeps every true value out of sight."""
        values: np.ndarray | None = None
        if grade is not None:
            values = grade.result if self.which == "yours" else (grade.truth if truth_shown else None)
        if values is not None and values.ndim > 2:
            values = None  # its shape is told in words
        cells = None if grade is None or values is None else grade.cells
        before = (self._values, self._match, self._yours, self._truth)
        self.target = "" if grade is None else grade.target
        self._shape = () if values is None else values.shape
        self._values = np.zeros((0, 0)) if values is None else as_grid(np.asarray(values))
        self._match = None if cells is None else as_grid(cells.match)
        self._yours = None if cells is None or grade is None else as_grid(np.asarray(grade.result))
        truth = None if cells is None or grade is None or not truth_shown else grade.truth
        self._truth = None if truth is None else as_grid(np.asarray(truth))
        self._difference = None if cells is None else as_grid(cells.difference)
        self._shape_note = ""
        if grade is not None and values is not None and cells is None and grade.truth is not None and self.which == "yours":
            self._shape_note = f"yours is {describe(values.shape)}, {grade.target} is {describe(grade.truth.shape)}"
        self._announce(*before)

    def _announce(self, values: np.ndarray, *others: np.ndarray | None) -> None:
        """Reset when the shape or what is compared changed; else signal only the rectangle of cells that moved."""
        now = (self._match, self._yours, self._truth)
        if values.shape != self._values.shape or any((a is None) != (b is None) for a, b in zip(others, now)):
            self.beginResetModel()
            self.endResetModel()
            return
        moved = values != self._values
        for a, b in zip(others, now):
            if a is not None and b is not None:
                moved |= a != b
        if moved.any():
            where = np.argwhere(moved)
            (top, left), (bottom, right) = where.min(0), where.max(0)
            self.dataChanged.emit(self.index(int(top), int(left)), self.index(int(bottom), int(right)))

    # -- reading ---------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._values.shape[0]

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._values.shape[1]

    def cell(self, index: AnyIndex) -> tuple[int, ...]:
        """The index into the tensor behind a model index."""
        return {0: (), 1: (index.column(),)}.get(len(self._shape), (index.row(), index.column()))

    def matches(self, index: AnyIndex) -> bool | None:
        """Whether the learner's cell matches the true one (False for a result of the wrong shape); None
        on the true grid."""
        if self.which == "true":
            return None
        return False if self._match is None else bool(self._match[index.row(), index.column()])

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        v = float(self._values[index.row(), index.column()])
        match = self.matches(index)
        if role == Qt.ItemDataRole.DisplayRole:
            text = format_value(v)
            return text if match is None else f"{RIGHT if match else WRONG} {text}"
        if role == Qt.ItemDataRole.ToolTipRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return self.tooltip(index)  # a screen reader reads the cell as the tooltip says it
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == MATCH_ROLE:
            return match
        if role == Qt.ItemDataRole.BackgroundRole and match is not None:
            return palette.color(palette.AGREE if match else palette.DISAGREE, 0.3)
        return None

    def tooltip(self, index: AnyIndex) -> str:
        """The learner's value, the true value and the difference, as far as they exist and may be shown."""
        at = index.row(), index.column()
        name = cell_name(self.target, self.cell(index))
        if self._shape_note:
            return f"{name} of yours = {full_precision(self._values[at])} {WRONG}: {self._shape_note}"
        parts = []
        if self._yours is not None and self._match is not None:
            parts.append(f"yours {full_precision(self._yours[at])} {RIGHT if self._match[at] else WRONG}")
        if self._truth is not None:
            parts.append(f"true {full_precision(self._truth[at])}")
            if self._difference is not None:
                parts.append(f"difference {full_precision(self._difference[at])}")
        elif self.which == "yours":
            parts.append("the true value is hidden until your line is right")
        else:
            parts.append(f"true {full_precision(self._values[at])}")
        return f"{name}: " + ", ".join(parts)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section)
        return None


class AnswerGridView(QTableView):
    """A read-only grid that asks for the room its cells need, up to ``MAX_VISIBLE`` rows and columns."""

    def __init__(self, model: AnswerGridModel, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.grid_model = model
        self.setModel(model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)  # one stop for Tab (arrows move between cells): Tab never wraps round inside
        self.setWordWrap(False)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        model.modelReset.connect(self.updateGeometry)
        self.apply_font_metrics()

    def apply_font_metrics(self) -> None:
        """Size the cells for the current font, again after every zoom."""
        width = QFontMetrics(self.font()).horizontalAdvance(f"{WRONG} −0.0000") + 10
        self.horizontalHeader().setDefaultSectionSize(width)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        model = self.model()
        rows, cols = model.rowCount(), model.columnCount()
        h, v = self.horizontalHeader(), self.verticalHeader()
        width = v.sizeHint().width() + min(cols, MAX_VISIBLE) * h.defaultSectionSize() + 2 * self.frameWidth()
        height = h.sizeHint().height() + min(rows, MAX_VISIBLE) * v.defaultSectionSize() + 2 * self.frameWidth()
        if cols > MAX_VISIBLE:
            height += self.horizontalScrollBar().sizeHint().height()
        if rows > MAX_VISIBLE:
            width += self.verticalScrollBar().sizeHint().width()
        return QSize(width, height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.apply_font_metrics()
