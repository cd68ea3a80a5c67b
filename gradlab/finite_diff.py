"""Finite differences: nudge one cell by ε and watch the loss move.

This is the learner's spreadsheet of ``docs/lesson.md`` (question 7) done properly.  For a cell θ of ``x``, a
``w`` or a ``b``, the loss is recomputed with θ + ε (and θ - ε), and the
quotients

    forward   (L(θ+ε) - L(θ)) / ε
    backward  (L(θ) - L(θ-ε)) / ε
    central   (L(θ+ε) - L(θ-ε)) / 2ε

are compared with the analytic gradient from the backward pass.  ε is the step
actually stored, (θ+ε) - θ in the network's dtype, which in float32 differs
from the ε asked for and can vanish.

A nudge recomputes only what it can change.  Nudging ``w1[i,j]`` moves column j
of ``l1`` alone; nudging ``x[b,i]`` moves batch row b alone.  The change is
carried through the layers as a *patch*: the block of rows × columns of one
tensor that moved, with its old and new values.  Many nudges (every cell of a
tensor, or one cell at many ε) travel together along a leading probe axis.

A computed cell (``l1[b,j]``, ``out[b,k]``) can be nudged too: a probe, not an
edit.  Nothing upstream moves; the forward pass carries on from the nudged
value, so ΔL/Δε measures ``l1.g[b,j]``, which is what the ``.g`` of an
activation means.  And the change can be read off any computed cell, or one
row's share of the loss, instead of the loss (``nudged_values``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from gradlab import losses
from gradlab.layers import Linear
from gradlab.network import Network, Pass, forward, run
from gradlab.roundoff import cell_roundoff
from gradlab.tangents import CHUNK_ELEMENTS, footprint, reach, slopes

SWEEP_EPS = np.logspace(-15, 0, 61)  # four steps a decade, from round-off to truncation


class Columns:
    """Whole columns of a pass's tensors, read once and kept: a nudge reads whole columns, and reading
    one from a row-major array touches every row, so nudging the same cell again is cheap."""

    def __init__(self, p: Pass):
        self.values = p.values
        self._kept: dict[str, dict[int, np.ndarray]] = {}

    def __call__(self, name: str, cols: np.ndarray) -> np.ndarray:
        """``cols`` is probes × c; the result probes × c × batch."""
        kept = self._kept.setdefault(name, {})
        if cols.size == 1 and int(cols.flat[0]) in kept:  # one nudge of one cell, again: the usual case
            return kept[int(cols.flat[0])][None, None, :]
        wanted = np.unique(cols)
        missing = [int(j) for j in wanted if int(j) not in kept]
        if missing:
            for j, column in zip(missing, np.ascontiguousarray(self.values[name][:, missing].T)):
                kept[j] = column
        block = np.stack([kept[int(j)] for j in wanted])
        return block[np.searchsorted(wanted, cols)]

    def carried(self, p: Pass, moved: Iterable[str]) -> Columns:
        """The cache for ``p``, a pass after an edit: the columns of every tensor the edit did not move
        (the same array in both passes) are kept; those of the tensors in ``moved`` are read afresh."""
        follows = Columns(p)
        moved = set(moved)
        follows._kept = {name: kept for name, kept in self._kept.items()
                         if name not in moved and p.values.get(name) is self.values.get(name)}
        return follows

    def kept(self) -> dict[str, list[int]]:
        """The columns read so far, by tensor: what a nudge will not have to read again."""
        return {name: sorted(kept) for name, kept in self._kept.items() if kept}


@dataclass
class Patch:
    """Probe p moved the block ``rows[p]`` × ``cols[p]`` of one tensor from ``old[p]`` to ``new[p]``.

    ``rows`` (probes × r) or ``cols`` (probes × c) is None when the block spans
    every row or every column: then no index is needed to read it.
    """

    rows: np.ndarray | None
    cols: np.ndarray | None
    old: np.ndarray  # probes × r × c
    new: np.ndarray  # probes × r × c

    def block(self, columns: Columns, name: str) -> np.ndarray:
        """The same block of another tensor of the pass with as many columns."""
        a = columns.values[name]
        if self.cols is None:
            return a[None] if self.rows is None else a[self.rows]
        if self.rows is None:  # whole columns: read them from the row-major transpose
            return columns(name, self.cols).transpose(0, 2, 1)
        return a[self.rows[:, :, None], self.cols[:, None, :]]


def nudged_losses(
    net: Network, p: Pass, name: str, cells: np.ndarray, eps: np.ndarray, columns: Columns | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loss after adding ``eps[k]`` to cell ``cells[k]`` of tensor ``name``, for each k alone.

    Returns the losses, the steps actually taken, and whether each nudge moved a
    ReLU's input across 0 (a kink, where the derivative jumps).  ``columns`` keeps
    the columns read for ``p`` from one call to the next.
    """
    return nudged_values(net, p, name, cells, eps, "loss", (), columns)


def nudged_values(
    net: Network, p: Pass, name: str, cells: np.ndarray, eps: np.ndarray, of: str, at: tuple[int, ...],
    columns: Columns | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The watched value after adding ``eps[k]`` to cell ``cells[k]`` of tensor ``name``, for each k alone.

    The watched value is ``of[at]``: the loss (``"loss"``, ``()``), one row's share
    of it (``"loss"``, ``(b,)``), or a computed cell (``"l1"``, ``(b, j)``), which
    must not lie upstream of ``name``.  Returns the values, the steps actually
    taken, and whether each nudge moved a ReLU's input across 0 on its way there.
    """
    columns = columns if columns is not None else Columns(p)
    eps = np.asarray(eps, net.dtype).reshape(-1)
    cells = np.asarray(cells, np.intp).reshape(len(eps), -1)
    old = p.values[name][tuple(cells.T)]
    step = (old + eps) - old
    value, kink = np.empty_like(eps), np.zeros(len(eps), bool)
    chunk = max(1, CHUNK_ELEMENTS // footprint(net, p, name))  # as many nudges as fit, by the block each moves
    for start in range(0, len(eps), chunk):
        part = slice(start, start + chunk)
        first, patch = _origin(net, columns, name, cells[part], old[part], step[part])
        if of == "loss" and not at:
            value[part], kink[part] = _propagate(net, p, columns, first, patch)
        else:
            value[part], kink[part] = _watch(net, p, columns, first, patch, of, at)
    return value, step, kink


def _origin(
    net: Network, columns: Columns, name: str, cells: np.ndarray, old: np.ndarray, step: np.ndarray
) -> tuple[int, Patch]:
    """The first patch a nudge makes, and the index of the first layer it still has to cross."""
    computed = net.activations()
    if name == "x" or name in computed:  # x[b,i] moves one cell of layer 1's input; l1[b,j] one of layer 2's
        v = old[:, None, None]
        first = 0 if name == "x" else computed.index(name) + 1
        return first, Patch(cells[:, :1], cells[:, 1:], v, v + step[:, None, None])
    for k, wire in enumerate(net.wiring()):  # noqa: B007 (k and wire are used after the loop)
        if name in (wire.w, wire.b):
            break
    else:
        raise KeyError(f"the network has no tensor named {name!r} to nudge")
    j = cells[:, -1:]  # w[i,j] and b[j] both move column j of this layer's output alone
    patch = Patch(None, j, np.empty(0), np.empty(0))
    patch.old = patch.block(columns, wire.out)
    if name == wire.w:  # by ε · inp[:, i]
        patch.new = patch.old + step[:, None, None] * columns(wire.inp, cells[:, :1]).transpose(0, 2, 1)
    else:  # by ε
        patch.new = patch.old + step[:, None, None]
    return k + 1, patch


def _propagate(net: Network, p: Pass, columns: Columns, first: int, patch: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Carry a patch through layers ``first…`` to the loss."""
    patch, kink = _cross(net, columns, first, len(net.layers), patch)
    n_out = p.values["out"].shape[1]
    if patch.cols is None or patch.cols.shape[1] == n_out:  # the block is whole rows (columns never repeat)
        out = patch.new
    else:  # the loss of a row needs all its outputs
        whole_rows = Patch(patch.rows, None, patch.old, patch.old).block(columns, "out")
        out = np.array(np.broadcast_to(whole_rows, patch.new.shape[:2] + (n_out,)))
        np.put_along_axis(out, np.broadcast_to(patch.cols[:, None, :], patch.new.shape), patch.new, axis=2)
    y = net.y if patch.rows is None else net.y[patch.rows]
    new_rows = losses.loss_rows(net.loss, out, y)
    if patch.rows is None:
        total = new_rows.sum(-1)
    else:  # only these rows moved: the others' share of the sum stays as it was
        assert p.rows is not None, "a pass that ran forward has each row's share of the loss"
        total = p.rows.sum() + (new_rows.sum(-1) - p.rows[patch.rows].sum(-1))
    return total / losses.divisor(net.loss, p.values["out"].shape, net.reduction).n, kink


def _cross(net: Network, columns: Columns, first: int, last: int, patch: Patch) -> tuple[Patch, np.ndarray]:
    """Carry a patch through layers ``first…last-1``; also whether it moved a ReLU's input across 0."""
    kink = np.zeros(len(patch.new), bool)
    for layer, wire in net.named_layers()[first:last]:
        if isinstance(layer, Linear):  # the change spreads along the rows it touches
            w = layer.w[None] if patch.cols is None else layer.w[patch.cols]
            delta = patch.new - patch.old
            moved = delta * w if delta.shape[2] == 1 else delta @ w  # one column moved: an outer product
            old = Patch(patch.rows, None, patch.old, patch.old).block(columns, wire.out)
            patch = Patch(patch.rows, None, old, np.add(old, moved, out=moved))  # old + moved, in moved's own memory
        else:  # an activation acts cell by cell
            if layer.kinked:
                kink |= ((patch.old > 0) != (patch.new > 0)).any(axis=(1, 2))
            patch = Patch(patch.rows, patch.cols, patch.block(columns, wire.out), layer.forward(patch.new))
    return patch, kink


def _watch(
    net: Network, p: Pass, columns: Columns, first: int, patch: Patch, of: str, at: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Carry a patch as far as the watched cell ``of[at]`` (or one row's share of the loss) and read it."""
    computed = net.activations()
    last = len(net.layers) if of == "loss" else computed.index(of) + 1
    if first > last:
        raise ValueError(f"a nudge that starts after {of} cannot move it")
    patch, kink = _cross(net, columns, first, last, patch)
    row = _row_after(p, patch, "out" if of == "loss" else of, at[0])
    if of != "loss":
        return row[:, at[1]], kink
    y = net.y[at[0]:at[0] + 1]  # the row's own target, for every probe
    share = losses.loss_rows(net.loss, row[:, None, :], y)[:, 0]
    return share / losses.divisor(net.loss, p.values["out"].shape, net.reduction).n, kink


def _row_after(p: Pass, patch: Patch, name: str, b: int) -> np.ndarray:
    """Batch row ``b`` of tensor ``name`` as each probe's patch left it: probes × width."""
    probes = len(patch.new)
    row = np.array(np.broadcast_to(p.values[name][b], (probes, p.values[name].shape[1])))
    if patch.rows is None:
        hit, moved = np.ones(probes, bool), patch.new[:, b]
    else:
        match = patch.rows == b
        hit, moved = match.any(1), patch.new[np.arange(probes), match.argmax(1)]
    if patch.cols is None:
        row[hit] = moved[hit]
    else:  # the patch's columns of this row take their new values
        took = np.flatnonzero(hit)
        row[took[:, None], patch.cols[took]] = moved[took]
    return row


@dataclass(frozen=True)
class Nudge:
    """Everything the learner's spreadsheet (``docs/lesson.md``) recorded about one nudge, and the answer it was after."""

    tensor: str
    index: tuple[int, ...]
    eps: float  # the ε asked for
    value: float  # the cell before the nudge
    step_plus: float  # (θ+ε) - θ as stored
    step_minus: float  # θ - (θ-ε) as stored
    loss: float
    loss_plus: float
    loss_minus: float
    forward: float
    backward: float
    central: float
    analytic: float  # from the backward formulas
    kink: bool  # the nudge moved a ReLU's input across 0
    # What a verdict needs to know how much these quotients can resolve (``gradlab.verdict.judge``):
    ladder: Ladder | None = None  # the same nudge at ±ε, ±ε/2 and ±ε/4, for the truncation error
    noise: float = 0.0  # what a difference of two of these losses can be off by through round-off
    analytic_noise: float = 0.0  # what the analytic gradient can be off by through round-off
    rate: float = 0.0  # how fast the cell moves a sigmoid's, tanh's or softmax's input (``gradlab.tangents``)
    room: float = float("inf")  # how far the cell can move before a ReLU's input reaches 0
    dtype: str = "float64"

    @property
    def delta_loss(self) -> float:
        """ΔL = L(θ+ε) − L(θ): what the spreadsheet's column recorded."""
        return self.loss_plus - self.loss

    @property
    def abs_err(self) -> float:
        return abs(self.central - self.analytic)

    @property
    def rel_err(self) -> float:
        return float(relative_error(self.analytic, self.central))


def relative_error(a: float | np.ndarray, n: float | np.ndarray) -> float | np.ndarray:
    """|a - n| / max(|a|, |n|), and 0 when both are 0."""
    scale = np.maximum(np.abs(a), np.abs(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, np.abs(a - n) / scale, 0.0)[()]


def quotients(
    loss: np.ndarray | np.floating, loss_plus: np.ndarray, loss_minus: np.ndarray, step_plus: np.ndarray,
    step_minus: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward, backward and central difference quotients (NaN where the step vanished)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        fwd = np.where(step_plus != 0, (loss_plus - loss) / step_plus, np.nan)
        bwd = np.where(step_minus != 0, (loss - loss_minus) / step_minus, np.nan)
        span = step_plus + step_minus
        cen = np.where(span != 0, (loss_plus - loss_minus) / span, np.nan)
    return fwd, bwd, cen


def plus_minus(
    net: Network, p: Pass, name: str, cells: np.ndarray, eps: np.ndarray, columns: Columns | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Losses and steps of +ε and -ε nudges of the same cells, and whether either crossed a kink."""
    n = len(eps)
    loss, step, kink = nudged_losses(net, p, name, np.concatenate([cells, cells]), np.concatenate([eps, -eps]), columns)
    return loss[:n], loss[n:], step[:n], -step[n:], kink[:n] | kink[n:]


RUNGS = (1.0, 0.5, 0.25)  # a nudge by ε, then by ε/2 and ε/4: how its quotients change tells their truncation error


@dataclass(frozen=True, eq=False)
class Ladder:
    """The same cells nudged by ±ε, ±ε/2 and ±ε/4: rung by rung (rows), cell by cell (columns).

    The steps are as stored ((θ+ε) − θ), the losses in the network's dtype; a
    verdict reads the truncation error of the ε quotients off how they change
    from rung to rung (``gradlab.verdict``).  Not finite where a nudge overflowed.
    """

    loss: float  # L at the cells' own values
    step_plus: np.ndarray  # rungs × cells
    step_minus: np.ndarray
    loss_plus: np.ndarray
    loss_minus: np.ndarray
    kink: np.ndarray  # per cell: a nudge on some rung moved a ReLU's input across 0

    def quotients(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Forward, backward and central quotients, rungs × cells (NaN where a step vanished)."""
        with np.errstate(all="ignore"):
            return quotients(np.asarray(self.loss), self.loss_plus, self.loss_minus, self.step_plus, self.step_minus)


def ladder(
    net: Network, p: Pass, name: str, cells: np.ndarray, eps: np.ndarray, columns: Columns | None = None
) -> Ladder:
    """Nudge each cell ``cells[k]`` of ``name`` by ±``eps[k]``, ±``eps[k]``/2 and ±``eps[k]``/4, each nudge alone.

    A step that overflows the dtype, or a loss that does, is kept as the
    non-finite number it is, without a warning: the verdict says what happened.
    """
    eps = np.asarray(eps, float).reshape(-1)
    cells = np.asarray(cells, np.intp).reshape(len(eps), -1)
    shape = (len(RUNGS), len(eps))
    with np.errstate(all="ignore"):
        every = np.concatenate([eps * f for f in RUNGS])
        lp, lm, sp, sm, kink = plus_minus(net, p, name, np.tile(cells, (len(RUNGS), 1)), every, columns)
    return Ladder(float(np.asarray(p.loss)), sp.reshape(shape), sm.reshape(shape), lp.reshape(shape), lm.reshape(shape),
                  np.asarray(kink.reshape(shape).any(0)))


def nudge(
    net: Network, name: str, index: tuple[int, ...], eps: float, p: Pass | None = None, columns: Columns | None = None
) -> Nudge:
    """Nudge ``name[index]`` by ±ε and compare the quotients with the analytic gradient."""
    p = p if p is not None and p.grads else run(net)
    assert p.loss is not None, "a pass that ran forward has its loss"
    cells = np.array([index])
    rungs = ladder(net, p, name, cells, np.array([eps]), columns)
    lp, lm, sp, sm = rungs.loss_plus[0], rungs.loss_minus[0], rungs.step_plus[0], rungs.step_minus[0]
    with np.errstate(all="ignore"):
        fwd, bwd, cen = quotients(p.loss, lp, lm, sp, sm)
    local = slopes(net, p)  # the activations' slopes, for the round-off bounds and for how fast the cell moves them
    bounds, analytic_noise = cell_roundoff(net, p, name, index, local)
    where = reach(net, p, name, cells, local)
    largest = np.nanmax(np.abs(np.concatenate([[p.loss], rungs.loss_plus[:, 0], rungs.loss_minus[:, 0]])))
    return Nudge(
        name, tuple(int(i) for i in index), float(eps), float(p.values[name][index]),
        float(sp[0]), float(sm[0]), float(p.loss), float(lp[0]), float(lm[0]),
        float(fwd[0]), float(bwd[0]), float(cen[0]), float(p.grads[name][index]), bool(rungs.kink[0]),
        rungs, float(bounds.difference(largest)), analytic_noise,
        float(where.rate[0]), float(where.room[0]), net.dtype.name,
    )


@dataclass(frozen=True)
class Sweep:
    """One cell's quotients and errors over many ε: the data behind the V-shaped error plot."""

    eps: np.ndarray
    step_plus: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    central: np.ndarray
    analytic: float

    def error(self, scheme: str) -> np.ndarray:
        return np.abs(getattr(self, scheme) - self.analytic)


def sweep(
    net: Network, name: str, index: tuple[int, ...], eps: np.ndarray = SWEEP_EPS, p: Pass | None = None,
    columns: Columns | None = None,
) -> Sweep:
    p = p if p is not None and p.grads else run(net)
    assert p.loss is not None, "a pass that ran forward has its loss"
    eps = np.asarray(eps, float)
    cells = np.repeat(np.array([index]), len(eps), axis=0)
    lp, lm, sp, sm, _ = plus_minus(net, p, name, cells, eps, columns)
    fwd, bwd, cen = quotients(p.loss, lp, lm, sp, sm)
    return Sweep(eps, sp, fwd, bwd, cen, float(p.grads[name][index]))


def loss_curve(
    net: Network, name: str, index: tuple[int, ...], values: np.ndarray, p: Pass | None = None,
    columns: Columns | None = None,
) -> np.ndarray:
    """The loss as a function of one cell's value, every other cell held still."""
    p = p if p is not None else forward(net)
    values = np.asarray(values, net.dtype)
    cells = np.repeat(np.array([index]), len(values), axis=0)
    loss, _, _ = nudged_losses(net, p, name, cells, values - p.values[name][index], columns)
    return loss
