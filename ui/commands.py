"""Every change to the scenario is a ``QUndoCommand`` that calls the core.

The ``Editor`` makes each change in the core *first*, and only when the core
has taken it puts a command on the stack: a change the core refuses (a value
that overflows, a network too large to run) raises ``EditError`` and leaves the
sheet, the views and the undo history exactly as they were.  Commands keep what
the core returned (the values or the network they replaced), so undo puts back
exactly those bits.  Consecutive nudges of one cell merge into one step; a typed
value is a step of its own; a change that changes nothing pushes nothing.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from gradlab.network import Network, Pass, frozen_names
from gradlab.session import Session
from gradlab.sheet import Sheet
from gradlab.text import cell_name

NUDGE_ID = 1


class SetCells(QUndoCommand):
    """Write a block of cells (a typed value, a nudge, a paste, a Delete).

    Made with the block it replaced (``old``) once the sheet has taken the new one: its first ``redo``,
    which ``QUndoStack.push`` calls, has nothing left to do."""

    def __init__(self, sheet: Sheet, name: str, top_left: tuple[int, ...], block: np.ndarray, text: str,
                 old: np.ndarray, merge_id: int = -1):
        super().__init__(text)
        self.sheet, self.name, self.top_left = sheet, name, top_left
        self.new = np.array(block, dtype=float)
        self.old = old
        self.merge_id = merge_id
        self.count = 1
        self._applied = True

    def id(self) -> int:
        return self.merge_id

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.sheet.set_cells(self.name, self.top_left, self.new)

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
    """Swap the whole network: a preset, a file, a reshape, a dtype or reduction switch.

    Made with the pass the sheet worked out for ``net`` beforehand (``Sheet.prepare``), which its first
    ``redo`` uses: a network that cannot run never gets onto the stack."""

    def __init__(self, sheet: Sheet, net: Network, text: str, p: Pass | None = None):
        super().__init__(text)
        self.sheet, self.new, self.old = sheet, net, None
        self._prepared = p

    def redo(self) -> None:
        p, self._prepared = self._prepared, None
        old = self.sheet.replace(self.new, p)
        if self.old is None:
            self.old = old

    def undo(self) -> None:
        self.sheet.replace(self.old)


class Editor:
    """The one way the app changes the sheet: each method validates, then pushes one undo step.

    A bad edit raises ``gradlab.sheet.EditError`` before anything is pushed."""

    def __init__(self, sheet: Sheet, stack: QUndoStack):
        self.sheet, self.stack = sheet, stack

    def set_cell(self, name: str, index: tuple[int, ...], value: float) -> bool:
        """Type a value into one cell: one undo step of its own; False when it changes nothing."""
        return self._write(name, index, np.full((1,) * len(index), value), f"set {cell_name(name, index)} to {value:g}")

    def nudge(self, name: str, index: tuple[int, ...], eps: float) -> bool:
        """Add ε to one cell (rounded to the network's dtype, as any edit is); repeated nudges of a cell merge
        into one step.  False when the step vanished (θ + ε rounds back to θ): nothing changed."""
        block = np.full((1,) * len(index), self.sheet.nudged_value(name, index, eps))
        return self._write(name, index, block, f"nudge {cell_name(name, index)} by {eps:+.3g}", NUDGE_ID)

    def set_block(self, name: str, top_left: tuple[int, ...], block: np.ndarray, text: str) -> bool:
        """Write a block of cells (a paste, a Delete, an import) as one undo step; False when it changes nothing."""
        return self._write(name, top_left, np.asarray(block, dtype=float), text)

    def _write(self, name: str, top_left: tuple[int, ...], block: np.ndarray, text: str, merge_id: int = -1) -> bool:
        self.sheet.check_block(name, top_left, block)
        region = tuple(slice(t, t + n) for t, n in zip(top_left, block.shape))
        current = self.sheet.array(name)[region]
        if np.array_equal(current, block.astype(current.dtype)) and (np.signbit(current) == np.signbit(block)).all():
            return False  # nothing to do, and nothing to undo
        old = self.sheet.set_cells(name, top_left, block)  # EditError, changing nothing, if the core refuses it
        self.stack.push(SetCells(self.sheet, name, top_left, block, text, old, merge_id))
        return True

    def replace(self, net: Network, text: str) -> None:
        """Swap in a whole network as one undo step, once it has been checked and run (else ``EditError``)."""
        self.stack.push(ReplaceNetwork(self.sheet, net, text, self.sheet.prepare(net)))

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
