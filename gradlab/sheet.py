"""The live sheet: one network and its current pass.

This is what the desktop app shows; it holds no Qt (what the learner looks at,
the inspected cell, ε, the stepper's step, lives in ``gradlab.session``).  Every change goes through
a method here, which brings the forward and backward pass up to date (an edit
of a few cells recomputes only what they move, ``gradlab.incremental``) and
tells each subscriber what changed, so a view redraws only what it must.  Every method
that changes something returns what it replaced, so an undo can put it back bit
for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradlab.cost import network_cost
from gradlab.errors import EditError
from gradlab.finite_diff import Columns
from gradlab.incremental import Span, Update, update
from gradlab.network import Network, Pass, run
from gradlab.overflow import write_finite
from gradlab.table_text import parse_number as parse_number  # typed cells; imported from here too
from gradlab.text import cell_name


@dataclass(frozen=True)
class Change:
    """What changed: ``values`` of one tensor (a block at ``top_left`` of ``shape``), the whole
    ``network`` (shapes, dtype, loss: views start over), or one of the session's facts, by name."""

    kind: str  # "values" | "network", or the session's "inspected" | "explained" | "selected" | "eps" | "step" …
    tensor: str | None = None
    top_left: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()


class Sheet:
    def __init__(self, net: Network):
        self.net = net
        self.p: Pass = run(net)
        self.columns = Columns(self.p)  # the columns nudges of this pass have read
        self._products: dict[str, np.ndarray] = {}  # inp @ w of the linear layers, as far as worked out for this pass
        self._finite = False  # whether every value, the loss and every gradient of this pass is known to be finite
        # What the last change moved, block by block, by grid name ("x", "l1", "w1.g", "y"…): a grid not named
        # did not move at all.  None after a whole network was swapped in: everything did.
        self.moved: dict[str, Span] | None = None
        self._listeners: list[Callable[[Change], None]] = []

    # -- subscribers ---------------------------------------------------------------

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, change: Change) -> None:
        for listener in list(self._listeners):
            if listener in self._listeners:  # one listener may unsubscribe another (a view rebuilding its grids)
                listener(change)

    # -- reading -------------------------------------------------------------------

    def array(self, name: str) -> np.ndarray:
        """A value (``x``, ``y``, ``w1``, ``l1``, ``out``…) or a gradient (``x.g``, ``w1.g``…)."""
        if name.endswith(".g"):
            return self.p.grads[name[:-2]]
        if name == "y":
            return self.net.y
        return self.p.values[name]

    def grid_shape(self, name: str) -> tuple[int, int]:
        """The tensor ``name`` as a spreadsheet shows it, rows × columns: a vector is one row (a bias under
        its weight's columns), except ``y``'s class indices, one per batch row, which are one column."""
        shape = self.array(name).shape
        if len(shape) == 2:
            return shape[0], shape[1]
        return (shape[0], 1) if name == "y" else (1, shape[0])

    def editable(self, name: str) -> bool:
        return name == "y" or name in self.net.inputs()

    # -- changing ------------------------------------------------------------------

    def check_block(self, name: str, top_left: tuple[int, ...], block: np.ndarray) -> None:
        """Raise ``EditError`` when ``block`` cannot be written into ``name`` from ``top_left``."""
        if not self.editable(name):
            raise EditError(f"{name} is computed by the network and cannot be edited")
        shape = self.array(name).shape
        if block.ndim != len(shape) or len(top_left) != len(shape):
            raise EditError(f"{name} has {len(shape)} dimension{'s' if len(shape) > 1 else ''}, not {block.ndim}")
        if any(t < 0 or t + n > m for t, n, m in zip(top_left, block.shape, shape)):
            size = "×".join(map(str, block.shape))
            where = "a cell" if block.size == 1 else f"a {size} block"
            raise EditError(f"{where} at {cell_name(name, top_left)} does not fit in {name}, "
                            f"which is {'×'.join(map(str, shape))}")
        bad = ~np.isfinite(block) | (np.abs(np.nan_to_num(block)) > np.finfo(self.net.dtype).max)
        if bad.any():
            at = tuple(int(t + o) for t, o in zip(top_left, np.argwhere(bad)[0]))
            raise EditError(f"{cell_name(name, at)} must be a finite number that fits in {self.net.dtype.name}, "
                            f"not {block[tuple(np.argwhere(bad)[0])]}")
        if name == "y" and self.net.loss == "cross_entropy":
            classes = self.p.values["out"].shape[1]
            wrong = (block != np.round(block)) | (block < 0) | (block >= classes)
            if wrong.any():
                raise EditError(f"y holds class indices, whole numbers from 0 to {classes - 1}; "
                                f"{block[tuple(np.argwhere(wrong)[0])]:g} is not one")

    def set_cells(self, name: str, top_left: tuple[int, ...], block: np.ndarray) -> np.ndarray:
        """Write ``block`` into ``name`` from ``top_left``; returns the block it replaced.

        The whole block is checked first: if it does not fit, any value in it is
        bad, or it would make a value, the loss or a gradient overflow,
        ``EditError`` says why and nothing changes."""
        block = np.asarray(block, dtype=float)
        top_left = tuple(int(t) for t in top_left)
        self.check_block(name, top_left, block)
        done: list[Update] = []

        def bring_up_to_date() -> tuple[Pass, set[str] | None]:
            done.append(update(self.net, self.p, self._products, name, top_left, block.shape))
            return done[0].p, done[0].changed() if self._finite else None  # only what moved can have overflowed

        old, p = write_finite(self.net, name, top_left, block, bring_up_to_date)  # refused, changing nothing, if anything overflows
        self.p, self.columns = p, self.columns.carried(p, set(done[0].moved))  # the edited tensor among them
        self._products, self._finite = done[0].products, True
        self.moved = {**done[0].moved, **{f"{k}.g": span for k, span in done[0].grads_moved.items()}}
        self._changed(Change("values", name, top_left, block.shape))
        return old

    def set_cell(self, name: str, index: tuple[int, ...], value: float) -> float:
        """Write one cell; returns the value it replaced."""
        return self.set_cells(name, index, np.full((1,) * len(index), value)).item()

    @staticmethod
    def prepare(net: Network) -> Pass:
        """Check ``net`` and run it, without touching the sheet: its pass, or ``EditError`` with one sentence.

        Too large to hold (``gradlab.cost``), a value that is not a finite number, or memory that runs
        out while it runs: each is refused here, before anything the sheet shows has changed."""
        if problem := network_cost(net).problem():
            raise EditError(problem)
        for name, a in {**net.inputs(), "y": net.y}.items():
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                at = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
                raise EditError(f"{cell_name(name, at)} is {a[at]}, but every value must be a finite number")
        try:
            return run(net)
        except MemoryError:
            raise EditError("there is not enough memory free to compute this network") from None

    def replace(self, net: Network, p: Pass | None = None) -> Network:
        """Swap in a whole new network (a preset, a file, a reshape, a dtype); returns the old one.

        All or nothing: the network is checked and run first (``prepare``, or the pass it already
        gave, ``p``), and if that fails ``EditError`` says why and the sheet is exactly as it was."""
        p = self.prepare(net) if p is None else p
        old, self.net = self.net, net
        self._set_pass(p)
        self._changed(Change("network"))
        return old

    def _set_pass(self, p: Pass) -> None:
        self.p, self.columns = p, Columns(p)
        self._products, self._finite, self.moved = {}, False, None

    def exists(self, name: str, index: tuple[int, ...]) -> bool:
        """Whether ``name[index]`` is a cell of ``x``, a ``w`` or a ``b``: what a learner can nudge."""
        if name not in self.net.inputs():
            return False
        shape = self.net.tensor(name).shape
        return len(index) == len(shape) and all(0 <= i < n for i, n in zip(index, shape))

    def nudged_value(self, name: str, index: tuple[int, ...], eps: float) -> float:
        """θ + ε as the network stores it: rounded to its dtype, as any edit is."""
        return float(self.array(name)[index] + np.asarray(eps, self.net.dtype))
