"""Spreadsheet habits in every grid: the keys, copy and paste, Delete, and a context menu.

``SheetView`` attaches a ``GridClipboard`` to each grid:

- Enter goes down (Shift+Enter up) and Tab right, after an edit as without one,
  as in LibreOffice Calc and Excel; F2 edits, and typing replaces the cell.
- Ctrl+C puts the selected block on the clipboard as tab-separated text, every
  number in its shortest exact form (``gradlab.table_text.to_tsv``), which pastes
  cleanly into Calc, Excel and Google Sheets, and back into GradLab.
- Ctrl+V fills from the top-left selected cell as one undo step, and a single
  value fills the whole selection.  Text that does not read or does not fit
  changes nothing, and the status bar says why.
- Delete and Backspace set the selected cells to 0, as one undo step.
- The context menu adds Copy tensor as NumPy literal and as PyTorch literal.

A grid's rows and columns are the tensor's, except that a 1-D tensor is one
row (a bias) or one column (class indices in y): ``grid_array`` shows the
tensor as the grid does, and ``TensorModel.cell`` maps a grid cell back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QMenu, QTableView, QWidget

from gradlab.code_export import array_literal
from gradlab.errors import EditError
from gradlab.table_text import parse_table, to_tsv
from gradlab.text import cell_name
from ui.grid_model import TensorModel
from ui.watch_controls import watch_action

WriteBlock = Callable[[str, tuple[int, ...], np.ndarray, str], None]
Cursor = QAbstractItemView.CursorAction
Hint = QAbstractItemDelegate.EndEditHint
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# Where a spreadsheet goes once an edit is committed: Enter down, Tab right, Shift+Tab left, without editing there.
AFTER_EDIT = {Hint.SubmitModelCache: Cursor.MoveDown, Hint.EditNextItem: Cursor.MoveNext,
              Hint.EditPreviousItem: Cursor.MovePrevious}


def step(view: QTableView, move: Cursor) -> None:
    """Make the cell ``move`` leads to the current (and only selected) cell."""
    target = view.moveCursor(move, Qt.KeyboardModifier.NoModifier)
    if target.isValid():
        view.setCurrentIndex(target)


def close_editor_and_move(view: QTableView, editor: QWidget, hint: Hint, close: Callable[[QWidget, Hint], None]) -> None:
    """Close an editor as Qt does, then move as a spreadsheet does (``AFTER_EDIT``); for ``TensorView.closeEditor``."""
    move = AFTER_EDIT.get(hint)
    close(editor, hint if hint == Hint.SubmitModelCache or move is None else Hint.NoHint)
    if move is not None:
        step(view, move)


def grid_array(model: TensorModel) -> np.ndarray:
    """The tensor as its grid shows it, always 2-D: a bias as one row, class indices as one column."""
    return model.sheet.array(model.name).reshape(model.rowCount(), model.columnCount())


def region_name(name: str, top_left: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """``w1[2,0]`` for one cell, ``w1[0:2,1:3]`` or ``b1[1:3]`` for a block, as numpy would slice it."""
    if all(n == 1 for n in shape):
        return cell_name(name, top_left)
    parts = [str(t) if n == 1 else f"{t}:{t + n}" for t, n in zip(top_left, shape)]
    return f"{name}[{','.join(parts)}]"


def read_only_reason(model: TensorModel) -> str:
    if model.is_grad:
        return f"{model.name} is a gradient, worked out by the backward pass, so it cannot be edited"
    return f"{model.name} is computed by the forward pass, so it cannot be edited: change x, a w or a b instead"


@dataclass(frozen=True)
class Selection:
    """The selected cells of a grid: their bounding box from (``top``, ``left``) and which of its cells are selected."""

    top: int
    left: int
    mask: np.ndarray  # bool, the bounding box's rows × columns

    @property
    def rectangular(self) -> bool:
        return bool(self.mask.all())

    @property
    def box(self) -> tuple[slice, slice]:
        rows, cols = self.mask.shape
        return slice(self.top, self.top + rows), slice(self.left, self.left + cols)


def selection(view: QTableView) -> Selection | None:
    """The view's selection, or its current cell when nothing is selected, or None."""
    ranges = [r for r in view.selectionModel().selection() if r.isValid()]
    if not ranges:
        current = view.currentIndex()
        return Selection(current.row(), current.column(), np.ones((1, 1), bool)) if current.isValid() else None
    top, left = min(r.top() for r in ranges), min(r.left() for r in ranges)
    mask = np.zeros((max(r.bottom() for r in ranges) - top + 1, max(r.right() for r in ranges) - left + 1), bool)
    for r in ranges:  # one slice per range, never one step per cell
        mask[r.top() - top:r.bottom() - top + 1, r.left() - left:r.right() - left + 1] = True
    return Selection(top, left, mask)


class GridClipboard(QObject):
    """Copy, paste, Delete, Enter and the context menu of one grid; a child of the view, so it goes with it.

    ``write_block`` is ``Editor.set_block``: a whole block as one undo step.  ``say`` puts a
    sentence in the status bar."""

    def __init__(self, view: QTableView, model: TensorModel, write_block: WriteBlock, say: Callable[[str], None]):
        super().__init__(view)
        self.view, self.model, self.say = view, model, say
        self.write_block = write_block
        self.copy_action = self._action("&Copy", "copy", self.copy, [QKeySequence.StandardKey.Copy])
        self.paste_action = self._action("&Paste", "paste", self.paste, [QKeySequence.StandardKey.Paste])
        self.zero_action = self._action("Set to &0", "zero", self.set_to_zero,
                                        [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        separator = QAction(view)
        separator.setSeparator(True)
        view.addAction(separator)
        self.numpy_action = self._action("Copy tensor as &NumPy literal", "numpy-literal", lambda: self.copy_literal("numpy"))
        self.torch_action = self._action("Copy tensor as P&yTorch literal", "torch-literal", lambda: self.copy_literal("torch"))
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.show_menu)
        view.installEventFilter(self)

    def menu(self, index) -> QMenu:
        """The context menu at ``index``: the grid's actions, and for a computed cell, Watch it."""
        menu = QMenu(self.view)
        menu.addActions(self.view.actions())
        if index.isValid():
            watch = watch_action(self.model.session, self.model.name, self.model.cell(index), menu, self.say)
            if watch is not None:
                menu.addSeparator()
                menu.addAction(watch)
        return menu

    def show_menu(self, position) -> None:
        self.menu(self.view.indexAt(position)).popup(self.view.viewport().mapToGlobal(position))

    def _action(self, text: str, key: str, slot: Callable[[], None], shortcuts: list | None = None) -> QAction:
        action = QAction(text, self.view, objectName=f"{self.model.name}:{key}")
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the grid with focus, not an open cell editor
        action.triggered.connect(slot)
        self.view.addAction(action)
        return action

    @property
    def editable(self) -> bool:
        return not self.model.is_grad and self.model.sheet.editable(self.model.base)

    # -- keys --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter and Shift+Enter move down and up when no cell is being edited (an editor's Enter reaches here too)."""
        if (watched is self.view and event.type() == QEvent.Type.KeyPress and event.key() in ENTER_KEYS
                and self.view.state() != QAbstractItemView.State.EditingState):
            up = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            step(self.view, Cursor.MoveUp if up else Cursor.MoveDown)
            return True
        return super().eventFilter(watched, event)

    # -- copy ----------------------------------------------------------------------------

    def copy(self) -> None:
        chosen = selection(self.view)
        if chosen is None:
            self.say("Nothing copied: select the cells to copy first.")
            return
        if not chosen.rectangular:
            self.say("Nothing copied: the selection has gaps, and only one rectangular block of cells can be copied.")
            return
        block = grid_array(self.model)[chosen.box]
        QGuiApplication.clipboard().setText(to_tsv(block))
        where = self._region(chosen.top, chosen.left, block.shape)
        self.say(f"Copied {where} as tab-separated text: {block.size} value{'s' * (block.size != 1)}, every digit kept.")

    def copy_literal(self, flavour: str) -> None:
        variable = self.model.name.replace(".g", "_g")
        QGuiApplication.clipboard().setText(array_literal(variable, self.model.sheet.array(self.model.name), flavour) + "\n")
        library, call = ("NumPy", "np.array") if flavour == "numpy" else ("PyTorch", "torch.tensor")
        self.say(f"Copied {self.model.name} as a {library} literal, {variable} = {call}(…).")

    # -- writing: paste and Delete --------------------------------------------------------

    def paste(self) -> None:
        chosen = self._writable_selection("Nothing pasted")
        if chosen is None:
            return
        try:
            table = parse_table(QGuiApplication.clipboard().text())
        except EditError as e:
            self.say(f"Nothing pasted: {e}.")
            return
        if table.size == 1:  # one value fills the whole selection, as in a spreadsheet
            value = table.item()
            self._fill(chosen, value, f"paste {value:g} into {{}}", f"Pasted {value:g} into {{}}.", "Nothing pasted")
            return
        grid = grid_array(self.model)
        room = (grid.shape[0] - chosen.top, grid.shape[1] - chosen.left)
        size = f"{table.shape[0]}×{table.shape[1]}"
        if table.shape[0] > room[0] or table.shape[1] > room[1]:
            start = self._region(chosen.top, chosen.left, (1, 1))
            self.say(f"Nothing pasted: the clipboard holds {size} values, but {self.model.name} "
                     f"from {start} has room for {room[0]}×{room[1]}.")
            return
        self._write(chosen.top, chosen.left, table, "paste into {}", f"Pasted {size} values into {{}}.", "Nothing pasted")

    def set_to_zero(self) -> None:
        chosen = self._writable_selection("Nothing set to 0")
        if chosen is not None:
            self._fill(chosen, 0.0, "set {} to 0", "Set {} to 0.", "Nothing set to 0")

    def _writable_selection(self, refusal: str) -> Selection | None:
        if not self.editable:
            self.say(f"{refusal}: {read_only_reason(self.model)}.")
            return None
        chosen = selection(self.view)
        if chosen is None:
            self.say(f"{refusal}: select a cell first.")
        return chosen

    def _fill(self, chosen: Selection, value: float, step_text: str, done: str, refusal: str) -> None:
        """Write ``value`` into the selected cells as one block: a selection with gaps keeps the values in them."""
        block = np.array(grid_array(self.model)[chosen.box], dtype=float)
        block[chosen.mask] = value
        where = None if chosen.rectangular else f"{int(chosen.mask.sum())} cells of {self.model.name}"
        self._write(chosen.top, chosen.left, block, step_text, done, refusal, where)

    def _write(self, top: int, left: int, block: np.ndarray, step_text: str, done: str, refusal: str,
               where: str | None = None) -> None:
        """Write a grid block at (top, left) as one undo step, or say why not.

        ``step_text`` names the undo step and ``done`` is the status message; ``{}`` in each is
        ``where``, by default the block's region (``w1[0:2,1:3]``)."""
        tensor_block = block.reshape(-1) if self.model.sheet.array(self.model.name).ndim == 1 else block
        top_left = self.model.cell(self.model.index(top, left))
        where = where or region_name(self.model.name, top_left, tensor_block.shape)
        try:
            self.write_block(self.model.name, top_left, tensor_block, step_text.format(where))
        except EditError as e:
            self.say(f"{refusal}: {e}.")
            return
        self.say(done.format(where))

    def _region(self, top: int, left: int, shape: tuple[int, int]) -> str:
        one_d = self.model.sheet.array(self.model.name).ndim == 1
        return region_name(self.model.name, self.model.cell(self.model.index(top, left)),
                           (shape[0] * shape[1],) if one_d else shape)
