"""A table model over one tensor of the sheet: a value grid (``x``, ``w1``, ``l1``…) or a gradient grid (``w1.g``…).

Cells answer DisplayRole (fixed precision), EditRole (the float), ToolTipRole
(full precision), BackgroundRole (a diverging colour by sign, or the influence
colours of the inspected cell) and ``INFLUENCE_ROLE`` (``"source"``,
``"influenced"``, ``"blocked"`` or None).  Edits are parsed here and handed to
``edit``, which validates them in the core and puts them on the undo stack.
The model listens to the sheet and emits ``dataChanged`` for just what moved.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from gradlab.describe import describe
from gradlab.errors import EditError
from gradlab.session import Session
from gradlab.sheet import Change, parse_number
from gradlab.text import cell_name
from ui import palette
from ui.signals import follow

INFLUENCE_ROLE = Qt.ItemDataRole.UserRole + 1  # "source" | "influenced" | "blocked" | None
VALUE_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole,
               Qt.ItemDataRole.BackgroundRole]
INFLUENCE_ROLES = [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole,
                   INFLUENCE_ROLE]

ANSWERED = frozenset(int(r) for r in (*VALUE_ROLES, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.FontRole,
                                       Qt.ItemDataRole.ForegroundRole, INFLUENCE_ROLE))
INK_ON_COLOUR = QColor("#000000")
STATES = (None, "source", "influenced", "blocked")  # what INFLUENCE_ROLE answers

AnyIndex = QModelIndex | QPersistentModelIndex


def format_value(v: float) -> str:
    """Four decimals, switching to scientific notation where that would hide the number."""
    v = float(v) + 0.0  # no −0
    if v != 0 and not 1e-3 <= abs(v) < 1e5:
        text = f"{v:.2e}"
    else:
        text = f"{v:.4f}"
    return text.replace("-", "−")


def full_precision(v: float | np.floating) -> str:
    """Every digit that matters: the shortest text that reads back as the same number in its dtype."""
    return str(v) if isinstance(v, np.float32) else repr(float(v))


class TensorModel(QAbstractTableModel):
    message = Signal(str)  # a sentence for the status bar: why an edit was refused

    def __init__(self, session: Session, name: str, edit: Callable[[str, tuple[int, ...], float], None], parent=None):
        super().__init__(parent)
        self.session, self.sheet, self.name, self._edit = session, session.sheet, name, edit
        self.base = name.removesuffix(".g")
        self.is_grad = name.endswith(".g")
        self.colour_by_sign = True
        self._a = self.sheet.array(name)
        self._fonts: dict[str, QFont] = {}
        self.cell_font = QFont()  # the view's font; the view sets it as it is zoomed
        self.gone = False
        self._scale = 0.0
        self._update_scale()
        self._update_flags()
        self._update_states()
        follow(session, self, self._on_change)

    @property
    def cell_font(self) -> QFont:
        return self._cell_font

    @cell_font.setter
    def cell_font(self, font: QFont) -> None:
        self._cell_font = QFont(font)
        self._fonts = {}
        for state in ("source", "influenced", "blocked"):
            # Influence is never told by colour alone: the cells it moves are underlined, the cells
            # it cannot move italic (and hatched), the inspected cell bold and underlined.
            variant = QFont(font)
            variant.setBold(state == "source")
            variant.setItalic(state == "blocked")
            variant.setUnderline(state in ("source", "influenced"))
            self._fonts[state] = variant

    def _update_states(self) -> None:
        """Work out, once per change, what every cell shows for the inspected cell; data() only looks it up."""
        self._hidden = self.is_grad and not self.session.computed(self.name)
        self._states = None
        self._downstream = False
        inspected = self.session.inspected
        if self.is_grad or inspected is None or self.gone:
            return
        found = self.session.derived.influence.get(self.base)
        if found is None and inspected[0] != self.base:
            return
        states = np.zeros(self._array().shape, np.int8)  # indices into STATES; small, for a 1000 × 784 x too
        if found is not None:
            self._downstream = True
            states[found.moved] = STATES.index("influenced")
            states[found.blocked] = STATES.index("blocked")
        if inspected[0] == self.base:
            states[inspected[1]] = STATES.index("source")
        self._states = states

    def cleanup(self) -> None:
        """Stop following the sheet: the model then holds nothing, so a view that outlives it shows nothing."""
        self.session.unsubscribe(self._on_change)
        self.beginResetModel()
        self.gone = True
        self.endResetModel()

    # -- shape: 1-D tensors are one row (a bias under its weight's columns), except y, one column --

    def _array(self) -> np.ndarray:
        return self._a  # the sheet's array, fetched again at every change (views ask a thousand times a paint)

    def _column_vector(self) -> bool:
        return self.base == "y"

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        if parent.isValid() or self.gone:
            return 0
        a = self._array()
        return a.shape[0] if a.ndim == 2 or self._column_vector() else 1

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        if parent.isValid() or self.gone:
            return 0
        a = self._array()
        return a.shape[1] if a.ndim == 2 else (1 if self._column_vector() else a.shape[0])

    def cell(self, index: AnyIndex) -> tuple[int, ...]:
        """The tensor index behind a model index."""
        if self._array().ndim == 2:
            return (index.row(), index.column())
        return (index.row(),) if self._column_vector() else (index.column(),)

    def model_index(self, cell: tuple[int, ...]) -> QModelIndex:
        if len(cell) == 2:
            return self.index(*cell)
        return self.index(cell[0], 0) if self._column_vector() else self.index(0, cell[0])

    # -- reading -------------------------------------------------------------------

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return self._flags if index.isValid() else Qt.ItemFlag.NoItemFlags

    def _update_flags(self) -> None:
        self._flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self.is_grad and self.sheet.editable(self.base):
            self._flags |= Qt.ItemFlag.ItemIsEditable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in ANSWERED or not index.isValid():  # views ask for a dozen roles per cell: answer fast
            return None
        a = self._a
        v = a[index.row(), index.column()] if a.ndim == 2 else a[index.row() if self.base == "y" else index.column()]
        if self._hidden:  # stepping: this .g is not written yet
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{self.name} is not computed yet: step on through the backward pass"
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(int(v)) if v.dtype.kind == "i" else format_value(v)
        if role == Qt.ItemDataRole.EditRole:
            return int(v) if v.dtype.kind == "i" else float(v)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{cell_name(self.name, self.cell(index))} = {full_precision(v)}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == INFLUENCE_ROLE:
            return self.influence(index)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(index, float(v))
        if role == Qt.ItemDataRole.FontRole:
            state = self.influence(index)
            return self._fonts[state] if state else None
        if role == Qt.ItemDataRole.ForegroundRole and self.influence(index) in ("source", "influenced"):
            return INK_ON_COLOUR  # dark text on the strong colours, in the dark theme too
        return None

    def text_for_editing(self, index: AnyIndex) -> str:
        """What an editor opens with: every digit of the cell, in its own dtype."""
        v = self._array()[self.cell(index)]
        return str(int(v)) if v.dtype.kind == "i" else full_precision(v)

    def influence(self, index: AnyIndex) -> str | None:
        """``"source"``, ``"influenced"``, ``"blocked"`` or None: this cell, for the inspected cell."""
        return None if self._states is None else STATES[self._states[self.cell(index)]]

    def _background(self, index: AnyIndex, v: float) -> QBrush | QColor | None:
        state = self.influence(index)
        if state == "source":
            return palette.color(palette.SOURCE)
        if state == "influenced":
            return palette.color(palette.INFLUENCED, 0.55)
        if state == "blocked":
            return QBrush(palette.color(palette.BLOCKED), Qt.BrushStyle.BDiagPattern)
        if self._downstream:
            return None  # downstream of the inspected cell, only its influence is coloured
        if not self.colour_by_sign or self._scale == 0 or v == 0:
            return None
        strength = 0.08 + 0.42 * min(abs(v) / self._scale, 1.0)
        return palette.color(palette.POSITIVE if v > 0 else palette.NEGATIVE, strength)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section)
        if role == Qt.ItemDataRole.ToolTipRole and not self.gone:
            return describe(self.sheet.net, self.name, self.sheet.p)
        return None

    # -- editing -------------------------------------------------------------------

    def setData(self, index: AnyIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        editable = index.isValid() and self.flags(index) & Qt.ItemFlag.ItemIsEditable
        if role != Qt.ItemDataRole.EditRole or not editable:
            return False
        cell = self.cell(index)
        try:
            if isinstance(value, str):
                number = parse_number(value)
            elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
                number = float(value)
            else:
                raise EditError(f"{value!r} is not a number")
            self._edit(self.base, cell, number)
        except EditError as e:
            old = self._array()[cell]
            self.message.emit(f"{e}: {cell_name(self.base, cell)} keeps {full_precision(old)}.")
            return False
        return True

    def set_colour_by_sign(self, on: bool) -> None:
        self.colour_by_sign = on
        self._emit_all([Qt.ItemDataRole.BackgroundRole])

    # -- keeping views in step with the sheet ------------------------------------------

    def _update_scale(self) -> bool:
        a = self._array()
        scale = float(np.abs(a).max()) if a.size and a.dtype.kind == "f" else 0.0
        changed, self._scale = scale != self._scale, scale
        return changed

    def _emit_all(self, roles: list) -> None:
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1), roles)

    def _on_change(self, change: Change) -> None:
        if self.gone or change.kind in ("explained", "selected", "eps", "scheme"):
            return
        if change.kind != "network":
            self._a = self.sheet.array(self.name)
            self._update_states()
        if change.kind == "network":
            self.beginResetModel()
            self._a = self.sheet.array(self.name)
            self._update_scale()
            self._update_flags()
            self._update_states()
            self.endResetModel()
        elif change.kind == "inspected":
            self._emit_all(INFLUENCE_ROLES)
        elif change.kind == "step":
            if self.is_grad:
                self._emit_all(VALUE_ROLES)
        elif change.tensor == self.name:  # this grid was edited: only the edited block moved
            if self._update_scale():
                self._emit_all([Qt.ItemDataRole.BackgroundRole])
            first = self.model_index(change.top_left)
            last_cell = tuple(t + n - 1 for t, n in zip(change.top_left, change.shape))
            self.dataChanged.emit(first, self.model_index(last_cell), VALUE_ROLES + [INFLUENCE_ROLE])
            if self.session.inspected:
                self._emit_all(INFLUENCE_ROLES)
        elif self.is_grad or not self.sheet.editable(self.name):  # computed: everything may have moved
            self._update_scale()
            self._emit_all(VALUE_ROLES + [INFLUENCE_ROLE])
        elif self.session.inspected:  # another input changed: only the influence of the inspected cell can move
            self._emit_all(INFLUENCE_ROLES)
