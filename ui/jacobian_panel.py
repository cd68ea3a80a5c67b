"""The local derivatives of one layer output cell, as small grids, each with its line of the chain rule.

Select a cell ``f[b,j]`` of ``l1``, ``l2``, … or ``out`` (or of its ``.g``) and
this panel shows what the thread explains (``docs/lesson.md``, question 8), with
the learner's numbers, as ``gradlab.local_jacobian.layer_jacobian`` works them
out and titles them:

- for ``f = inp @ w + b``: ∂f[b,j]/∂b, the one-hot row; the identity matrix of
  all j together, row j marked; ∂f[b,j]/∂inp, holding ``w[:,j]`` in row b (the
  transpose, said in words); ∂f[b,j]/∂w, holding ``inp[b,:]`` in column j;
- for an activation: its slope at the one cell, and its slope at every cell,
  a cell on the kink marked ⚠.

Under each grid, why it holds these numbers and the chain rule with the numbers
of the backward pass put in (``dL/db1[2] = Σ_b dL/dl1[b,2] · 1 = …``).  The
cells the text is about are tinted in the inspected cell's yellow AND bold; a
cell on an activation's kink is orange AND starts with ⚠.

The panel reads the session only (its explained cell and the sheet's pass) and
follows every change.  Grids are named ``jacobian:<kind>`` (``bias``,
``identity``, ``input``, ``weight``, ``slope``, ``slopes``).
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gradlab.local_jacobian import LayerJacobian, LocalGrid, layer_jacobian
from gradlab.session import Session
from gradlab.sheet import Change
from gradlab.text import cell_name
from gradlab.watch import Watched
from ui import palette
from ui.grid_model import INK_ON_COLOUR, format_value, full_precision
from ui.signals import follow

HINT = "Select a cell of l1, l2 … or out (or of its .g) to see its local derivatives, one layer at a time"
LEGEND = "yellow and bold: the cells the line under the grid is about; ⚠ orange: an input on the kink"
MARK_ROLE = Qt.ItemDataRole.UserRole + 1  # "mark" | "kink" | None
KINK_SYMBOL = "⚠"
MAX_TEXT = 600  # characters of a line shown under a grid (a thousand-row batch makes a long sum)
MAX_VISIBLE = 8  # rows and columns a grid asks room for before it scrolls
FOLLOWED = frozenset({"values", "network", "explained", "selected", "inspected"})

AnyIndex = QModelIndex | QPersistentModelIndex


def elide(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, or its start and end around a " … " when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    tail = limit // 5
    return f"{text[:limit - tail - 3]} … {text[-tail:]}"


def layer_cell(session: Session) -> Watched | None:
    """The layer output cell the session explains (a cell of l1, l2, …, out, or of its .g), or None."""
    cell = session.explained
    net = session.sheet.net
    if cell is None or cell[0] not in net.activations() or len(cell[1]) != 2:
        return None
    return Watched(*cell)


class LocalGridModel(QAbstractTableModel):
    """One ``LocalGrid``, read-only: a vector is one row, as a bias is in the sheet."""

    def __init__(self, kind: str, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.grid: LocalGrid | None = None
        self.bold = QFont()
        self.bold.setBold(True)

    def set_grid(self, grid: LocalGrid | None) -> None:
        """Show ``grid``; a grid of the same shape announces only the rectangle of cells that changed."""
        old, self.grid = self.grid, grid
        if old is None or grid is None or old.values.shape != grid.values.shape:
            self.beginResetModel()
            self.endResetModel()
            return
        moved = (old.values != grid.values) | (old.mark != grid.mark) | (old.kink != grid.kink)
        if old.title != grid.title:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)
        if moved.any():
            where = np.argwhere(moved.reshape(self.rowCount(), self.columnCount()))
            (top, left), (bottom, right) = where.min(0), where.max(0)
            self.dataChanged.emit(self.index(int(top), int(left)), self.index(int(bottom), int(right)))

    def _grid2d(self, a: np.ndarray) -> np.ndarray:
        return a.reshape(1, -1) if a.ndim == 1 else a

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.grid is None else self._grid2d(self.grid.values).shape[0]

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.grid is None else self._grid2d(self.grid.values).shape[1]

    def cell(self, index: AnyIndex) -> tuple[int, ...]:
        """The index into the grid's array behind a model index."""
        one_row = self.grid is not None and self.grid.values.ndim == 1
        return (index.column(),) if one_row else (index.row(), index.column())

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def mark(self, index: AnyIndex) -> str | None:
        """``"kink"`` for a cell on an activation's kink, ``"mark"`` for a cell the text is about, else None."""
        if self.grid is None or not index.isValid():
            return None
        at = self.cell(index)
        return "kink" if self.grid.kink[at] else "mark" if self.grid.mark[at] else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if self.grid is None or not index.isValid():
            return None
        v = self.grid.values[self.cell(index)]
        state = self.mark(index)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{KINK_SYMBOL} {format_value(v)}" if state == "kink" else format_value(v)
        if role == Qt.ItemDataRole.ToolTipRole or role == Qt.ItemDataRole.AccessibleTextRole:
            why = {"kink": f" — {KINK_SYMBOL} on the kink", "mark": " — what the line below is about"}.get(state or "", "")
            return f"{self.grid.title} at {cell_name('', self.cell(index))} = {full_precision(v)}{why}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == MARK_ROLE:
            return state
        if role == Qt.ItemDataRole.BackgroundRole and state:
            return palette.color(palette.ORANGE if state == "kink" else palette.SOURCE, 0.7)
        if role == Qt.ItemDataRole.ForegroundRole and state:
            return INK_ON_COLOUR  # dark text on the strong colours, in the dark theme too
        if role == Qt.ItemDataRole.FontRole and state:
            return self.bold
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section)
        return None


class LocalGridView(QTableView):
    """A read-only grid that asks for the room its cells need, up to ``MAX_VISIBLE`` rows and columns."""

    def __init__(self, model: LocalGridModel, parent=None):
        super().__init__(parent)
        self.setObjectName(f"jacobian:{model.kind}")
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
        """Size the cells for the current font (again after every zoom); the marked cells are bold."""
        model = self.grid_model
        model.bold = QFont(self.font())
        model.bold.setBold(True)
        width = QFontMetrics(model.bold).horizontalAdvance(f"{KINK_SYMBOL} −0.0000") + 6
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


def _label(name: str, rich: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class GridSection(QFrame):
    """One grid of local derivatives: its title, the grid, why it holds these numbers, and the chain rule."""

    def __init__(self, kind: str, parent=None):
        super().__init__(parent)
        self.model = LocalGridModel(kind, self)
        self.view = LocalGridView(self.model)
        self.title = _label(f"jacobian-title:{kind}", rich=True)
        self.text = _label(f"jacobian-text:{kind}")
        self.chain = _label(f"jacobian-chain:{kind}")
        mono = QFont()  # the family alone: the size still follows the panel's, and its zoom
        mono.setFamily("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.chain.setFont(mono)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text)
        layout.addWidget(self.chain)

    def show_grid(self, grid: LocalGrid) -> None:
        self.model.set_grid(grid)
        self.title.setText(f"<b>{html.escape(grid.title)}</b>")
        self.text.setText(elide(grid.text))
        self.text.setToolTip(elide(grid.text, 20 * MAX_TEXT))
        self.chain.setText(elide(grid.chain))
        self.chain.setToolTip(elide(grid.chain, 20 * MAX_TEXT))


class JacobianPanel(QWidget):
    """The local derivatives of the session's explained layer output cell; ``sections`` by grid kind."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("jacobian-panel")
        self.session = session
        self.jacobian: LayerJacobian | None = None
        self.sections: dict[str, GridSection] = {}
        self.heading = _label("jacobian-heading", rich=True)
        self.legend = _label("jacobian-legend")
        self.legend.setText(LEGEND)
        self.legend.setStyleSheet("font-style: italic")
        content = QWidget()
        self._grids = QVBoxLayout(content)
        self._grids.setContentsMargins(0, 0, 0, 0)
        self._grids.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.legend)
        layout.addWidget(scroll, 1)
        follow(session, self, self._on_change)
        self.refresh()

    def _on_change(self, change: Change) -> None:
        if change.kind in FOLLOWED:
            self.refresh()

    def refresh(self) -> None:
        """Show the local derivatives of the explained layer output cell, or say how to pick one."""
        cell = layer_cell(self.session)
        sheet = self.session.sheet
        self.jacobian = None if cell is None else layer_jacobian(sheet.net, cell, sheet.p)
        if self.jacobian is None:
            self.heading.setText(html.escape(HINT))
        else:
            j = self.jacobian
            self.heading.setText(f"<b>{html.escape(j.cell)}</b>, a cell of "
                                 f"<span style='font-family:monospace'>{html.escape(j.formula)}</span>")
        self.legend.setVisible(self.jacobian is not None)
        shown = {g.kind: g for g in self.jacobian.grids} if self.jacobian else {}
        for kind, grid in shown.items():
            if kind not in self.sections:
                self.sections[kind] = GridSection(kind)
                self._grids.insertWidget(self._grids.count() - 1, self.sections[kind])  # above the stretch
            self.sections[kind].show_grid(grid)
        for kind, section in self.sections.items():
            section.setVisible(kind in shown)
            if kind not in shown:
                section.model.set_grid(None)  # a hidden grid holds no stale numbers

    def grid_view(self, kind: str) -> LocalGridView:
        """The grid of ``kind`` (``bias``, ``identity``, ``input``, ``weight``, ``slope``, ``slopes``)."""
        if kind not in self.sections:
            raise KeyError(f"the panel has shown no {kind} grid")
        return self.sections[kind].view
