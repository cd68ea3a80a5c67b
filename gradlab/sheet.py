"""The live sheet: one network, its current pass, and the cell being inspected.

This is what the desktop app shows; it holds no Qt.  Every change goes through
a method here, which recomputes the forward and backward pass and tells each
subscriber what changed, so a view redraws only what it must.  Every method
that changes something returns what it replaced, so an undo can put it back bit
for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from gradlab.errors import EditError
from gradlab.explain import Explanation, explain
from gradlab.finite_diff import Columns, Nudge, Sweep, loss_curve, nudge, sweep
from gradlab.gradcheck import DEFAULTS, within_tolerance
from gradlab.influence import Influence, influence
from gradlab.network import Network, Pass, Step, backward_steps, run
from gradlab.overflow import write_finite
from gradlab.text import cell_name

Cell = tuple[str, tuple[int, ...]]


@dataclass(frozen=True)
class Change:
    """What changed: ``values`` of one tensor (a block at ``top_left`` of ``shape``),
    the whole ``network`` (shapes, dtype, loss: views start over), or the ``inspected`` cell."""

    kind: str  # "values" | "network" | "inspected" | "step"
    tensor: str | None = None
    top_left: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()


def parse_number(text: str) -> float:
    """A number typed into a cell.  ``1,5`` is refused rather than guessed at."""
    cleaned = text.strip().replace("−", "-")
    if "," in cleaned:
        raise EditError(f"“{text}” has a comma: use a point for decimals, as in 1.5")
    try:
        value = float(cleaned)
    except ValueError:
        raise EditError(f"“{text}” is not a number") from None
    return value


class Sheet:
    def __init__(self, net: Network):
        self.net = net
        self.p: Pass = run(net)
        self.columns = Columns(self.p)  # the columns nudges of this pass have read
        self.inspected: Cell | None = None
        self.step: int | None = None  # stepping through the backward pass: how many of its steps have run
        self._listeners: list[Callable[[Change], None]] = []

    # -- subscribers ---------------------------------------------------------------

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, change: Change) -> None:
        self.__dict__.pop("derived", None)  # what the inspector shows is recomputed on demand
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
        old, p = write_finite(self.net, name, top_left, block)  # refused, changing nothing, if anything overflows
        self._set_pass(p)
        self._changed(Change("values", name, top_left, block.shape))
        return old

    def set_cell(self, name: str, index: tuple[int, ...], value: float) -> float:
        """Write one cell; returns the value it replaced."""
        return self.set_cells(name, index, np.full((1,) * len(index), value)).item()

    def replace(self, net: Network) -> Network:
        """Swap in a whole new network (a preset, a file, a reshape, a dtype); returns the old one."""
        old, self.net = self.net, net
        self._set_pass(run(net))
        if self.inspected and not self._exists(self.inspected):
            self.inspected = None
        if self.step is not None:
            self.step = min(self.step, len(self.steps()))
        self._changed(Change("network"))
        return old

    def _set_pass(self, p: Pass) -> None:
        self.p, self.columns = p, Columns(p)

    def _exists(self, cell: Cell) -> bool:
        name, index = cell
        if name not in self.net.inputs():
            return False
        shape = self.net.tensor(name).shape
        return len(index) == len(shape) and all(0 <= i < n for i, n in zip(index, shape))

    def inspect(self, name: str | None, index: tuple[int, ...] = ()) -> None:
        """Make ``name[index]`` the inspected cell (a cell of ``x``, a ``w`` or a ``b``), or none."""
        cell = None if name is None else (name, tuple(int(i) for i in index))
        if cell is not None and not self._exists(cell):
            raise EditError(f"only a cell of x, a w or a b can be inspected, not {cell_name(*cell)}")
        if cell != self.inspected:
            self.inspected = cell
            self._changed(Change("inspected"))

    # -- stepping through the backward pass ----------------------------------------

    def steps(self) -> list[Step]:
        return backward_steps(self.net)

    def set_step(self, step: int | None) -> None:
        """Show the backward pass after ``step`` of its calls (0: the forward pass done, no ``.g``
        yet), or all of it (None).  The numbers are always the whole pass's: a step only hides."""
        if step is not None and not 0 <= step <= len(self.steps()):
            raise EditError(f"the backward pass has {len(self.steps())} steps, so there is no step {step}")
        if step != self.step:
            self.step = step
            self._changed(Change("step"))

    def computed(self, name: str) -> bool:
        """Whether the gradient ``name`` (``"w1.g"``) has been written at the current step."""
        if self.step is None:
            return True
        return any(name in s.writes for s in self.steps()[: self.step])

    # -- what the inspector shows, for the inspected cell --------------------------

    @cached_property
    def derived(self) -> _Derived:
        return _Derived(self)

    def tolerance(self) -> tuple[float, float]:
        d = DEFAULTS[self.net.dtype.name]
        return d["atol"], d["rtol"]

    def agrees(self, n: Nudge) -> bool:
        return bool(within_tolerance(n.analytic, n.central, *self.tolerance()))


class _Derived:
    """Influence, explanation, sweep and nudge of the inspected cell, each computed once per state."""

    def __init__(self, sheet: Sheet):
        self._sheet = sheet
        self._nudges: dict[float, Nudge] = {}

    @cached_property
    def influence(self) -> dict[str, Influence]:
        s = self._sheet
        return influence(s.net, *s.inspected, s.p) if s.inspected else {}

    @cached_property
    def explanation(self) -> Explanation | None:
        s = self._sheet
        return explain(s.net, s.p, *s.inspected) if s.inspected else None

    @cached_property
    def sweep(self) -> Sweep | None:
        s = self._sheet
        return sweep(s.net, *s.inspected, p=s.p, columns=s.columns) if s.inspected else None

    def nudge(self, eps: float) -> Nudge | None:
        s = self._sheet
        if not s.inspected:
            return None
        if eps not in self._nudges:
            self._nudges[eps] = nudge(s.net, *s.inspected, eps, s.p, s.columns)
        return self._nudges[eps]

    def tangent(self, values: np.ndarray) -> np.ndarray:
        """The line through (θ, L) whose slope is the analytic gradient: L + θ.g · (v − θ)."""
        s = self._sheet
        name, index = s.inspected
        return s.p.loss + s.p.grads[name][index] * (np.asarray(values) - s.p.values[name][index])

    def loss_curve(self, half_width: float, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
        """The loss as the inspected cell moves ``half_width`` either way."""
        s = self._sheet
        name, index = s.inspected
        v0 = float(s.p.values[name][index])
        values = np.linspace(v0 - half_width, v0 + half_width, points)
        return values, loss_curve(s.net, name, index, values, s.p, s.columns)
