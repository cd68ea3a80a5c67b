"""Every change to the scenario is a ``QUndoCommand`` that calls the core.

Commands keep what the core returned when they first ran (the values or the
network they replaced), so undo puts back exactly those bits.  Consecutive
nudges of one cell merge into one step, and so do consecutive typed edits of
one cell.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from gradlab.network import Network, frozen_names
from gradlab.session import Session
from gradlab.sheet import Sheet
from gradlab.text import cell_name

NUDGE_ID, TYPED_ID = 1, 2


class SetCells(QUndoCommand):
    """Write a block of cells (a typed value, a nudge, a paste, a Delete)."""

    def __init__(self, sheet: Sheet, name: str, top_left: tuple[int, ...], block: np.ndarray, text: str,
                 merge_id: int = -1):
        super().__init__(text)
        self.sheet, self.name, self.top_left = sheet, name, top_left
        self.new = np.array(block, dtype=float)
        self.old: np.ndarray | None = None
        self.merge_id = merge_id
        self.count = 1

    def id(self) -> int:
        return self.merge_id

    def redo(self) -> None:
        old = self.sheet.set_cells(self.name, self.top_left, self.new)
        if self.old is None:
            self.old = old

    def undo(self) -> None:
        self.sheet.set_cells(self.name, self.top_left, self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetCells) or (other.name, other.top_left, other.new.shape) != (
                self.name, self.top_left, self.new.shape):
            return False
        self.new = other.new
        self.count += 1
        if self.merge_id == NUDGE_ID:
            self.setText(f"{self.count} nudges of {cell_name(self.name, self.top_left)}")
        else:
            self.setText(other.text())
        return True


class ReplaceNetwork(QUndoCommand):
    """Swap the whole network: a preset, a file, a reshape, a dtype or reduction switch."""

    def __init__(self, sheet: Sheet, net: Network, text: str):
        super().__init__(text)
        self.sheet, self.new, self.old = sheet, net, None

    def redo(self) -> None:
        old = self.sheet.replace(self.new)
        if self.old is None:
            self.old = old

    def undo(self) -> None:
        self.sheet.replace(self.old)


class Editor:
    """The one way the app changes the sheet: each method validates, then pushes one undo step.

    A bad edit raises ``gradlab.sheet.EditError`` before anything is pushed."""

    def __init__(self, sheet: Sheet, stack: QUndoStack):
        self.sheet, self.stack = sheet, stack

    def set_cell(self, name: str, index: tuple[int, ...], value: float) -> None:
        block = np.full((1,) * len(index), value)
        self.sheet.check_block(name, index, block)
        old = self.sheet.array(name)[index]
        if old == value and np.signbit(old) == np.signbit(value):
            return  # nothing to do, and nothing to undo
        self.stack.push(SetCells(self.sheet, name, index, block, f"set {cell_name(name, index)} to {value:g}", TYPED_ID))

    def nudge(self, name: str, index: tuple[int, ...], eps: float) -> None:
        """Add ε to one cell (rounded to the network's dtype, as any edit is)."""
        value = self.sheet.nudged_value(name, index, eps)
        block = np.full((1,) * len(index), value)
        self.sheet.check_block(name, index, block)
        self.stack.push(SetCells(self.sheet, name, index, block, f"nudge {cell_name(name, index)} by {eps:+.3g}", NUDGE_ID))

    def set_block(self, name: str, top_left: tuple[int, ...], block: np.ndarray, text: str) -> None:
        block = np.asarray(block, dtype=float)
        self.sheet.check_block(name, top_left, block)
        self.stack.push(SetCells(self.sheet, name, top_left, block, text))

    def replace(self, net: Network, text: str) -> None:
        self.stack.push(ReplaceNetwork(self.sheet, net, text))

    def set_frozen(self, name: str, on: bool) -> bool:
        """Freeze (or unfreeze) the parameter ``name``: one undo step; False when it already is so.

        A frozen tensor is part of the scenario, so this swaps in a copy of the network whose frozen set
        differs; ``ValueError`` with one sentence for a name that is not one of the network's parameters."""
        net = self.sheet.net
        frozen_names(net, [name])
        if (name in net.frozen) == bool(on):
            return False
        changed = net.copy()
        changed.frozen = net.frozen | {name} if on else net.frozen - {name}
        self.replace(changed, f"{'freeze' if on else 'unfreeze'} {name}")
        return True


class SetAnswer(QUndoCommand):
    """The learner commits their line for one gradient (``w1.g = …``): each committed line is one step, so
    undo goes back through their attempts one by one, and the grading follows the line back."""

    def __init__(self, session: Session, target: str, text: str):
        super().__init__(f"write {target} = {text.strip()}" if text.strip() else f"clear the line for {target}")
        self.session, self.target, self.new = session, target, text.strip()
        self.old: str | None = None

    def redo(self) -> None:
        old = self.session.set_answer(self.target, self.new)
        if self.old is None:
            self.old = old

    def undo(self) -> None:
        self.session.set_answer(self.target, self.old or "")


class SetAnswers(QUndoCommand):
    """Replace every line of the learner's at once ("Clear my lines"): one step."""

    def __init__(self, session: Session, answers: dict[str, str], text: str):
        super().__init__(text)
        self.session, self.new = session, dict(answers)
        self.old: dict[str, str] | None = None

    def redo(self) -> None:
        old = self.session.set_answers(self.new)
        if self.old is None:
            self.old = old

    def undo(self) -> None:
        self.session.set_answers(self.old or {})
