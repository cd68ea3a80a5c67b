"""A table model over one tensor of the session's sheet: a value grid (``x``, ``w1``, ``l1``…) or a gradient grid (``w1.g``…).

Cells answer DisplayRole (``cell_look.format_value``: never wider than the
column), EditRole (the float), ToolTipRole (every digit, and for a blocked cell
why), BackgroundRole (a sign tint, or the inspected cell's influence, or the
watched mark), ForegroundRole (ink chosen for contrast on the strong colours),
FontRole (the non-colour cue of each mark), AccessibleTextRole (the cell read
out: name, value, gradient, mark) and ``INFLUENCE_ROLE`` (``"source"``,
``"influenced"``, ``"blocked"`` or None).

What a cell shows is worked out once per change, for the whole grid, as small
arrays (tint levels, influence states, the watched mask); ``data`` only looks
them up, and the text of a cell is made once and kept until its value moves.
After a change the model compares the new arrays with the ones it showed and
emits ``dataChanged`` for just the cells that differ.  Edits are parsed here
and handed to ``edit``, which validates them in the core and puts them on the
undo stack.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from gradlab.describe import describe
from gradlab.errors import EditError
from gradlab.incremental import Span
from gradlab.influence import blocked_reason
from gradlab.session import Session
from gradlab.sheet import Change, parse_number
from gradlab.text import cell_name
from ui import palette
from ui.cell_look import (
    BLACK,
    MARK_CUES,
    TINT_LEVELS,
    cued_font,
    format_value,
    full_precision,
    ink_for,
    tint_alpha,
    tint_level,
)
from ui.signals import follow
from ui.watch_controls import WATCHED_COLOUR, watched_state

INFLUENCE_ROLE = Qt.ItemDataRole.UserRole + 1  # "source" | "influenced" | "blocked" | "kink" | None
MARK_ROLE = Qt.ItemDataRole.UserRole + 2  # the same, or "watched": what the cell delegate draws a cue for
STATES = (None, "source", "influenced", "blocked", "kink", "watched")  # indices of the mark arrays; the last is not influence
Role = Qt.ItemDataRole
ANSWERED = frozenset(int(r) for r in (Role.DisplayRole, Role.EditRole, Role.ToolTipRole, Role.BackgroundRole,
                                       Role.TextAlignmentRole, Role.FontRole, Role.ForegroundRole,
                                       Role.AccessibleTextRole, INFLUENCE_ROLE, MARK_ROLE))
INK_ON_COLOUR = BLACK  # dark text on the strong colours (yellow, green, purple), in the dark theme too
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
MAX_RUNS = 64  # a change scattered over more runs of cells than this is sent as one rectangle
STRONG = {  # the marks drawn in an opaque colour, each with the ink that reads best on it
    "source": QColor(palette.SOURCE),
    "influenced": QColor(palette.INFLUENCED),
    "kink": QColor(palette.ORANGE),
    "watched": QColor(WATCHED_COLOUR),
}
HATCH = QBrush(QColor(palette.BLOCKED), Qt.BrushStyle.BDiagPattern)
FOLLOWED = frozenset({"values", "network", "inspected", "watched", "step", "answers", "graded", "eps"})

AnyIndex = QModelIndex | QPersistentModelIndex


def _tints() -> dict[int, QColor]:
    """The sign tints, made once: level > 0 vermillion (positive), < 0 blue (negative)."""
    tints = {}
    for level in range(1, TINT_LEVELS + 1):
        tints[level] = palette.color(palette.POSITIVE, tint_alpha(level))
        tints[-level] = palette.color(palette.NEGATIVE, tint_alpha(level))
    return tints


TINTS = _tints()


class TensorModel(QAbstractTableModel):
    message = Signal(str)  # a sentence for the status bar: why an edit was refused

    def __init__(self, session: Session, name: str, edit: Callable[[str, tuple[int, ...], float], None], parent=None):
        super().__init__(parent)
        self.session, self.sheet, self.name, self._edit = session, session.sheet, name, edit
        self.base = name.removesuffix(".g")
        self.is_grad = name.endswith(".g")
        self.colour_by_sign = True
        self.gone = False
        self._fonts: dict[str, QFont] = {}
        self.cell_font = QFont()  # the view's font; the view sets it as it is zoomed
        self._texts: dict[tuple[int, int], str] = {}
        self._blocked_reasons: dict[tuple[int, ...], str] = {}
        self._load()
        follow(session, self, self._on_change)

    @property
    def cell_font(self) -> QFont:
        return self._cell_font

    @cell_font.setter
    def cell_font(self, font: QFont) -> None:
        self._cell_font = QFont(font)
        self._fonts = {state: cued_font(font, cues) for state, cues in MARK_CUES.items()}  # never colour alone

    # -- what each cell shows, worked out once per change -----------------------------------

    def _load(self) -> None:
        """Take the array and work out every cell's look, as arrays shaped like the grid."""
        self._a = self.sheet.array(self.name)
        rows, cols = self.sheet.grid_shape(self.name)
        self._grid = self._a.reshape(rows, cols)
        self._hidden = self._is_hidden()
        self._downstream = False
        self._marks = self._mark_states(rows, cols)
        self._scale = self._tint_scale(self._grid)
        self._levels = self._tint_levels(self._grid)
        self._shown = self._grid.copy()

    def _is_hidden(self) -> bool:
        """A gradient grid shows nothing while stepping has not written it, or while the teacher hides it."""
        return self.is_grad and not (self.session.computed(self.name) and self.session.revealed(self.name))

    @staticmethod
    def _tint_scale(grid: np.ndarray) -> float:
        """The largest |value| (without making an array of them: a grid may hold 784 000 values)."""
        return float(max(grid.max(), -grid.min())) if grid.size and grid.dtype.kind == "f" else 0.0

    def _tint_levels(self, grid: np.ndarray) -> np.ndarray:
        """Each cell's tint: its sign times how large it is against the grid's largest (0 where marks colour it)."""
        levels = tint_level(grid, self._scale) * np.sign(grid).astype(np.int8)
        return levels if self.colour_by_sign and not self._downstream else np.zeros_like(levels)

    def _mark_states(self, rows: int, cols: int) -> np.ndarray | None:
        """Indices into ``STATES`` per cell: the inspected cell's influence and the watched cell, or None."""
        if self.gone:
            return None
        marks = None
        inspected = self.session.inspected
        if not self.is_grad and inspected is not None:
            found = self.session.derived.influence.get(self.base)
            if found is not None or inspected[0] == self.base:
                marks = np.zeros(self._a.shape, np.int8)
                if found is not None:
                    self._downstream = True
                    marks[found.moved] = STATES.index("influenced")
                    marks[found.blocked] = STATES.index("blocked")
                    marks[found.at_kink] = STATES.index("kink")
                if inspected[0] == self.base:
                    marks[inspected[1]] = STATES.index("source")
        watched = None if self.is_grad else watched_state(self.session, self.base)
        if watched is not None and watched.shape == self._a.shape and watched.any():
            marks = np.zeros(self._a.shape, np.int8) if marks is None else marks
            marks[watched] = STATES.index("watched")
        return None if marks is None else marks.reshape(rows, cols)

    def _refresh(self) -> None:
        """Work the look out again and tell the views about the cells whose look changed, and only those."""
        old_values, old_levels, old_marks, old_hidden = self._shown, self._levels, self._marks, self._hidden
        self._load()
        if self._hidden != old_hidden:
            self._texts.clear()
            self._emit_cells(np.ones(self._grid.shape, bool))
            return
        changed = (self._grid != old_values) | (self._levels != old_levels)
        if (self._marks is None) != (old_marks is None):
            changed |= True
        elif self._marks is not None:
            changed |= self._marks != old_marks
        if changed.sum() > 1000:
            self._texts.clear()
        else:
            for cell in zip(*np.nonzero(self._grid != old_values)):
                self._texts.pop((int(cell[0]), int(cell[1])), None)
        self._emit_cells(changed)

    def _refresh_moved(self, span: Span | None) -> bool:
        """After an edit, look again at the one block of this grid it moved (``span``; None: nothing moved) and tell
        the views about the cells in it whose look changed.  False, doing nothing, when the whole grid must be looked
        at again: it carries marks (which any value may move), or the block moved the largest value the tints scale by.

        At 1000 × 784 an edit of one ``x`` cell changes one cell of ``x`` and one row of ``x.g``: this tints again and
        repaints those, not the 784 000 cells of each."""
        if self.gone or self._marks is not None:
            return False
        rows, cols = self.sheet.grid_shape(self.name)
        grid = self.sheet.array(self.name).reshape(rows, cols)
        hidden = self._is_hidden()
        self._downstream = False
        if grid.shape != self._grid.shape or hidden != self._hidden or self._mark_states(rows, cols) is not None:
            return False
        if span is not None and self._tint_scale(grid) != self._scale:
            return False
        self._a, self._grid = self.sheet.array(self.name), grid
        if span is None:  # nothing in this grid moved
            return True
        block = (slice(span.r0, span.r1), slice(span.c0, span.c1))
        moved = grid[block] != self._shown[block]  # the span is where values may have moved; these did
        rows = np.flatnonzero(moved.any(axis=1)) + span.r0  # often one row of a large block
        moved = moved[rows - span.r0]
        at = np.nonzero(moved)  # with the scale unchanged, a cell's tint can change only with its value
        rows_at, cols_at = rows[at[0]], at[1] + span.c0
        self._shown[rows_at, cols_at] = grid[rows_at, cols_at]
        self._levels[rows_at, cols_at] = self._tint_levels(grid[rows_at, cols_at])
        for r, c in zip(rows_at.tolist(), cols_at.tolist()):
            self._texts.pop((r, c), None)
        self._emit_cells(moved, rows, span.c0)
        return True

    def _emit_cells(self, changed: np.ndarray, rows: np.ndarray | None = None, left: int = 0) -> None:
        """``dataChanged`` for each run of changed cells in a row (one rectangle when they are scattered);
        ``changed`` holds the grid's ``rows`` (all, by default, in order) from column ``left``."""
        if not changed.any() or not self.rowCount() or not self.columnCount():
            return
        rows = np.arange(len(changed)) if rows is None else rows
        edges = np.diff(np.pad(changed, ((0, 0), (1, 1))).view(np.int8), axis=1)  # +1 where a run starts, −1 after it
        starts = edges == 1
        if starts.sum() > MAX_RUNS:
            used, cols = rows[changed.any(axis=1)], np.flatnonzero(changed.any(axis=0))
            first, last = (int(used[0]), int(cols[0]) + left), (int(used[-1]), int(cols[-1]) + left)
            self.dataChanged.emit(self.index(*first), self.index(*last), [])
            return
        for (k, first), (_, after) in zip(np.argwhere(starts).tolist(), np.argwhere(edges == -1).tolist()):
            r = int(rows[k])
            self.dataChanged.emit(self.index(r, first + left), self.index(r, after - 1 + left), [])

    def cleanup(self) -> None:
        """Stop following the sheet: the model then holds nothing, so a view that outlives it shows nothing."""
        self.session.unsubscribe(self._on_change)
        self.beginResetModel()
        self.gone = True
        self.endResetModel()

    def _on_change(self, change: Change) -> None:
        if self.gone or change.kind not in FOLLOWED:
            return
        if change.kind == "eps" and (self.is_grad or self.session.inspected is None):
            return  # ε moves only which cells sit at a kink of the inspected cell
        if change.kind == "network":
            self.beginResetModel()
            self._texts.clear()
            self._load()
            self.endResetModel()
        elif change.kind == "values" and self.sheet.moved is not None and self._refresh_moved(self.sheet.moved.get(self.name)):
            return
        else:
            self._refresh()

    # -- shape: 1-D tensors are one row (a bias under its weight's columns), except y, one column --

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.gone else self._grid.shape[0]

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.gone else self._grid.shape[1]

    def cell(self, index: AnyIndex) -> tuple[int, ...]:
        """The tensor index behind a model index."""
        if self._a.ndim == 2:
            return (index.row(), index.column())
        return (index.row(),) if self._grid.shape[1] == 1 and self.base == "y" else (index.column(),)

    def model_index(self, cell: tuple[int, ...]) -> QModelIndex:
        if len(cell) == 2:
            return self.index(*cell)
        return self.index(cell[0], 0) if self.base == "y" else self.index(0, cell[0])

    # -- reading -------------------------------------------------------------------

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if not self.is_grad and self.sheet.editable(self.base) else flags

    def _text(self, r: int, c: int) -> str:
        text = self._texts.get((r, c))
        if text is None:
            v = self._grid[r, c]
            text = str(int(v)) if v.dtype.kind == "i" else format_value(v)
            self._texts[(r, c)] = text
        return text

    def _state(self, r: int, c: int) -> str | None:
        return None if self._marks is None else STATES[self._marks[r, c]]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in ANSWERED or not index.isValid():  # views ask for a dozen roles per cell: answer fast
            return None
        r, c = index.row(), index.column()
        if role == Role.DisplayRole:
            return "" if self._hidden else self._text(r, c)
        if role == Role.TextAlignmentRole:
            return RIGHT
        if self._hidden:  # stepping, this .g is not written yet; or it waits for the learner's own line
            if role == Role.ToolTipRole or role == Role.AccessibleTextRole:
                if not self.session.computed(self.name):
                    return f"{self.name} is not computed yet: step on through the backward pass"
                return f"the true {self.name} is hidden until your line for it (Your turn) is right"
            return None
        state = self._state(r, c)
        if role == Role.BackgroundRole:
            if state in STRONG:
                return STRONG[state]
            if state == "blocked":
                return HATCH
            level = int(self._levels[r, c])
            return TINTS[level] if level else None
        if role == Role.ForegroundRole:
            return ink_for(STRONG[state]) if state in STRONG else None
        if role == Role.FontRole:
            return self._fonts[state] if state else None
        if role == INFLUENCE_ROLE:
            return state if state != "watched" else None
        if role == MARK_ROLE:
            return state
        v = self._grid[r, c]
        if role == Role.EditRole:
            return int(v) if v.dtype.kind == "i" else float(v)
        if role == Role.ToolTipRole:
            return self._tooltip(index, v, state)
        if role == Role.AccessibleTextRole:
            return self.accessible_text(index)
        return None

    def _tooltip(self, index: AnyIndex, v: np.generic, state: str | None) -> str:
        text = f"{cell_name(self.name, self.cell(index))} = {full_precision(v)}"
        if state == "blocked":
            text += f"\n{self.blocked_reason(self.cell(index))}"
        elif state == "kink":
            text += "\nbehind a ReLU whose input a nudge of ±ε carries across 0: it moves one way and not the other"
        return text

    def blocked_reason(self, cell: tuple[int, ...]) -> str:
        """Where and why the inspected cell reaches this cell and cannot move it ("blocked at l2[0,1]: relu input
        −0.3 < 0")."""
        found = self.session.derived.influence.get(self.base)
        said = blocked_reason(found, cell) if found is not None else None
        return said or "reached by the inspected cell, but a derivative on the way is 0, so it cannot move it"

    def accessible_text(self, index: AnyIndex) -> str:
        """The cell read out: "w1 row 2 column 0, value −0.3100, gradient 0.1200, inspected, moves out[1,0]";
        a cell the inspected cell reaches says so, and by whom ("moved by w1[2,0]")."""
        cell = self.cell(index)
        where = " ".join(f"{axis} {i}" for axis, i in zip(("row", "column") if len(cell) == 2 else ("entry",), cell))
        said = [f"{self.name} {where}", f"value {self._text(index.row(), index.column())}"]
        if not self.is_grad and self.base in self.sheet.p.grads and self.session.computed(f"{self.base}.g"):
            said.append(f"gradient {format_value(self.sheet.p.grads[self.base][cell])}")
        state = self._state(index.row(), index.column())
        by = cell_name(*self.session.inspected) if self.session.inspected is not None else "the inspected cell"
        if state == "source":
            said += ["inspected", self._moves()]
        elif state == "influenced":
            said.append(f"moved by {by}")
        elif state == "blocked":
            said.append(f"reached by {by} but not moved, {self.blocked_reason(cell)}")
        elif state == "kink":
            said.append(f"at a kink: {by} moves it one way only")
        elif state == "watched":
            said.append("watched")
        return ", ".join(said)

    def _moves(self) -> str:
        """Which outputs the inspected cell moves: "moves out[1,0], out[2,0]", or how many of them."""
        out = self.sheet.net.activations()[-1]
        found = self.session.derived.influence.get(out)
        if found is None:
            return f"moves no cell of {out}"
        moved = np.argwhere(found.moved)
        if not len(moved):
            return f"moves no cell of {out}"
        if len(moved) > 4:
            return f"moves {len(moved)} of the {found.moved.size} cells of {out}"
        return "moves " + ", ".join(cell_name(out, tuple(int(i) for i in at)) for at in moved)

    def text_for_editing(self, index: AnyIndex) -> str:
        """What an editor opens with: every digit of the cell, in its own dtype."""
        v = self._a[self.cell(index)]
        return str(int(v)) if v.dtype.kind == "i" else full_precision(v)

    def influence(self, index: AnyIndex) -> str | None:
        """``"source"``, ``"influenced"``, ``"blocked"`` or None: this cell, for the inspected cell."""
        state = self._state(index.row(), index.column())
        return state if state != "watched" else None

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
            sentence = str(e)
            if " keeps " not in sentence:  # the overflow check says it itself, naming the value in the grid's dtype
                sentence += f": {cell_name(self.base, cell)} keeps {full_precision(self._a[cell])}"
            self.message.emit(f"{sentence}.")
            return False
        return True

    def set_colour_by_sign(self, on: bool) -> None:
        self.colour_by_sign = on
        self._refresh()
