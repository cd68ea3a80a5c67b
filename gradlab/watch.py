"""A watched cell: nudge any cell and watch any computed value move, not only the loss.

The learner's spreadsheet (``docs/lesson.md``, question 7) nudged ``x`` and recorded how ``g`` moved, not a loss.
Here the watched value is the loss (the default), one row's share of it
(``loss[b]``: the row's term divided by the loss's divisor, so that the shares
add up to the loss), or a computed cell: an activation ``l1[b,j]`` or an output
``out[b,k]``.

Its derivative with respect to every cell upstream comes from the lesson's own
backward steps, started from a *one-hot* gradient: ``l1.g`` is 1 at the watched
cell and 0 elsewhere, and ``lin_grad``, ``relu_grad`` … run down from the
watched layer exactly as they run from ``mse_grad``.  For the loss it is the
ordinary backward pass; for ``loss[b]`` it is ``mse_grad``'s ``out.g`` with
every other row set to 0 (row b's share depends on row b of ``out`` alone).

The numeric side nudges a cell and reads the watched value through the patch
machinery of ``finite_diff``; a nudged computed cell is a probe, not an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from gradlab import losses
from gradlab.finite_diff import SWEEP_EPS, Columns, Sweep, nudged_values, quotients, relative_error
from gradlab.layers import Linear
from gradlab.network import Network, Pass, forward, layer_step, loss_step, run
from gradlab.text import cell_name, fmt


class WatchError(ValueError):
    """A watched cell or a nudged cell that cannot be used; the message is one sentence for the user."""


@dataclass(frozen=True)
class Watched:
    """What is watched: ``Watched("l1", (0, 2))``, ``Watched("loss", (1,))`` or the loss, ``Watched("loss", ())``."""

    tensor: str
    index: tuple[int, ...] = ()

    def __str__(self) -> str:
        return self.tensor if not self.index else cell_name(self.tensor, self.index)

    @property
    def is_loss(self) -> bool:
        return self.tensor == "loss" and not self.index


LOSS = Watched("loss")
_CELL = re.compile(r"\s*([A-Za-z]\w*)\s*(?:\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*\])?\s*")


def parse_cell(text: str) -> tuple[str, tuple[int, ...]]:
    """``"l1[0,2]"`` → ``("l1", (0, 2))``; ``"loss"`` → ``("loss", ())``."""
    match = _CELL.fullmatch(text)
    if not match:
        raise WatchError(f"{text!r} does not name a cell; write it like l1[0,2], out[1,0], loss or loss[1]")
    index = tuple(int(i) for i in match.group(2).split(",")) if match.group(2) else ()
    return match.group(1), index


def watchable(net: Network) -> list[str]:
    """The names a watched cell may have: every computed tensor, then the loss."""
    return [*net.activations(), "loss"]


def watched(net: Network, cell: str | Watched) -> Watched:
    """``cell`` checked against ``net``: a computed cell such as ``l1[0,2]``, ``loss`` or ``loss[b]``."""
    name, index = parse_cell(cell) if isinstance(cell, str) else (cell.tensor, cell.index)
    if name == "loss":
        if len(index) > 1 or (index and not 0 <= index[0] < net.batch):
            raise WatchError(f"{cell_name('loss', index)} is not a row of the loss: the batch has rows 0 to {net.batch - 1}, "
                             f"so write loss or loss[b]")
        return Watched(name, index)
    if name not in net.activations():
        what = "an input, not a computed value" if name in net.inputs() or name == "y" else "not a tensor of this network"
        raise WatchError(f"{name} is {what}; the values that can be watched are {', '.join(watchable(net))}")
    return Watched(name, _cell_index(net, name, index))


def shape(net: Network, name: str) -> tuple[int, ...]:
    """The shape of an input, a parameter or a computed tensor, without running the network."""
    if name in net.inputs():
        return net.tensor(name).shape
    width = net.x.shape[1]
    for layer, names in net.named_layers():
        width = layer.w.shape[1] if isinstance(layer, Linear) else width
        if names.out == name:
            return (net.batch, width)
    raise WatchError(f"the network has no tensor named {name!r}")


def _cell_index(net: Network, name: str, index: tuple[int, ...]) -> tuple[int, ...]:
    dims = shape(net, name)
    size = "×".join(map(str, dims))
    if len(index) != len(dims):
        example = cell_name(name, (0,) * len(dims))
        raise WatchError(f"{name} is {size}, so a cell of it has {len(dims)} "
                         f"{'index' if len(dims) == 1 else 'indices'}, like {example}")
    if not all(0 <= i < n for i, n in zip(index, dims)):
        raise WatchError(f"{cell_name(name, index)} is outside {name}, which is {size}")
    return index


def upstream(net: Network, of: Watched) -> list[str]:
    """The tensors a nudge of which can move ``of``, in the order the forward pass uses them.

    The watched tensor itself is included: a cell of it moves itself and nothing else.
    """
    names = ["x"]
    for layer_names in net.wiring():
        names += [n for n in (layer_names.w, layer_names.b) if n is not None] + [layer_names.out]
        if layer_names.out == of.tensor:
            break
    return names


def nudgeable(net: Network, wrt: str, of: Watched) -> None:
    """Refuse, in one sentence, a tensor whose nudges cannot move ``of``."""
    names = upstream(net, of)
    if wrt in names:
        return
    if wrt == "y":
        raise WatchError("y holds the targets, which the backward pass gives no gradient; nudge x, a w, a b or an activation")
    if wrt == "loss":
        raise WatchError("the loss is computed from everything else, so it cannot be nudged; nudge x, a w, a b or an activation")
    if wrt in net.inputs() or wrt in net.activations():
        raise WatchError(f"{wrt} is downstream of {of}: nudging it cannot move {of}; choose one of {', '.join(names)}")
    raise WatchError(f"the network has no tensor named {wrt!r}; choose one of {', '.join(names)}")


def value(net: Network, p: Pass, of: Watched) -> float:
    """The watched value in the pass ``p``."""
    if of.is_loss:
        return float(p.loss)  # type: ignore[arg-type]
    if of.tensor == "loss":  # computed as a nudge computes it, so that an unmoved row reads back the same
        b = of.index[0]
        share = losses.loss_rows(net.loss, p.values["out"][b][None, None, :], net.y[b:b + 1])[0, 0]
        return float(share / losses.divisor(net.loss, p.values["out"].shape, net.reduction).n)
    return float(p.values[of.tensor][of.index])


def backprop(net: Network, of: Watched, p: Pass | None = None) -> dict[str, np.ndarray]:
    """∂of/∂t for every tensor t upstream of ``of`` (shaped like t): the lesson's backward steps, run down
    from a one-hot gradient at the watched cell (from ``{loss}_grad`` when the loss or a row of it is watched)."""
    p = p if p is not None else forward(net)
    start = Pass(p.values)
    layers = net.named_layers()
    if of.tensor == "loss":
        loss_step(net).run(start)
        if of.index:  # row b's share of the loss depends on row b of out alone
            only = np.zeros_like(start.grads["out"])
            only[of.index[0]] = start.grads["out"][of.index[0]]
            start.grads["out"] = only
    else:
        one_hot = np.zeros_like(p.values[of.tensor])
        one_hot[of.index] = 1
        start.grads[of.tensor] = one_hot
        layers = layers[:net.activations().index(of.tensor) + 1]
    for layer, names in reversed(layers):
        layer_step(layer, names).run(start)
    return start.grads


@dataclass(frozen=True)
class WatchedNudge:
    """One nudge of one cell, read off the watched value: what the inspector shows for any watched cell."""

    tensor: str  # the nudged cell: tensor[index]
    index: tuple[int, ...]
    of: str  # the watched value: "l1[0,2]", "loss[1]", "loss"
    dtype: str
    eps: float  # the ε asked for
    value: float  # the nudged cell before the nudge
    step_plus: float  # (θ+ε) - θ as stored
    step_minus: float  # θ - (θ-ε) as stored
    watched: float  # the watched value before the nudge
    watched_plus: float
    watched_minus: float
    forward: float  # Δwatched/Δε, forward
    backward: float
    central: float
    analytic: float  # ∂watched/∂cell, from the one-hot backward pass
    kink: bool  # the nudge moved a ReLU's input across 0 on its way to the watched value

    @property
    def delta(self) -> float:
        """Δwatched of the +ε nudge, as recorded."""
        return self.watched_plus - self.watched

    @property
    def abs_err(self) -> float:
        return abs(self.central - self.analytic)

    @property
    def rel_err(self) -> float:
        return float(relative_error(self.analytic, self.central))

    @property
    def roundoff(self) -> str | None:
        """One sentence when the nudge or its effect was too small for the dtype to record, else None."""
        return roundoff(self)


def roundoff(n: WatchedNudge) -> str | None:
    """The Sheet's "0", answered: the step or the watched change fell below the dtype's resolution."""
    cell = cell_name(n.tensor, n.index)
    dtype = np.dtype(n.dtype)
    if n.step_plus == 0 and n.eps != 0:
        return (f"ε = {n.eps:.2g} is below {dtype.name}'s resolution at {cell} = {fmt(n.value)} "
                f"({np.spacing(dtype.type(abs(n.value))):.2g}): the cell did not move — try a larger ε")
    change = abs(n.analytic * n.step_plus)  # what the watched value should move by
    if not lost(change, n.watched, dtype):
        return None
    return (f"Δ {n.of} is {change:.2g}, below {dtype.name}'s resolution at {fmt(n.watched)} "
            f"({resolution(n.watched, dtype):.2g}), so it was recorded as {fmt(n.delta)}: "
            f"the step was lost in round-off — try a larger ε")


def resolution(v: float, dtype: np.dtype) -> float:
    """The gap between ``v`` and the next number ``dtype`` can hold: the smallest change it can record there."""
    return float(np.spacing(dtype.type(abs(v))))


def lost(change: float | np.ndarray, watched: float, dtype: np.dtype) -> np.ndarray:
    """Whether a change the derivative predicts (not 0) is below what ``dtype`` can record at ``watched``."""
    change = np.abs(change)
    return (change > 0) & (change < resolution(watched, dtype))


def nudge_watched(
    net: Network, name: str, index: tuple[int, ...], of: Watched | str, eps: float,
    p: Pass | None = None, columns: Columns | None = None,
) -> WatchedNudge:
    """Nudge ``name[index]`` (an input, a parameter or a computed cell) by ±ε and read ``of``."""
    of = watched(net, of)
    nudgeable(net, name, of)
    index = _cell_index(net, name, tuple(int(i) for i in index))
    p = p if p is not None and p.grads else run(net)
    at = np.array([index])
    values, steps, kinks = nudged_values(net, p, name, np.concatenate([at, at]), np.array([eps, -eps]),
                                         of.tensor, of.index, columns)
    before = value(net, p, of)
    fwd, bwd, cen = quotients(np.asarray(before), values[:1], values[1:], steps[:1], -steps[1:])
    analytic = p.grads[name][index] if of.is_loss else backprop(net, of, p)[name][index]
    return WatchedNudge(
        name, index, str(of), net.dtype.name, float(eps), float(p.values[name][index]), float(steps[0]),
        float(-steps[1]), before, float(values[0]), float(values[1]), float(fwd[0]), float(bwd[0]), float(cen[0]),
        float(analytic), bool(kinks.any()),
    )


def sweep_watched(
    net: Network, name: str, index: tuple[int, ...], of: Watched | str = LOSS, eps: np.ndarray = SWEEP_EPS,
    p: Pass | None = None, columns: Columns | None = None,
) -> Sweep:
    """Δwatched/Δε of one cell over many ε: the charts' data for a watched cell."""
    of = watched(net, of)
    nudgeable(net, name, of)
    index = _cell_index(net, name, tuple(int(i) for i in index))
    p = p if p is not None and p.grads else run(net)
    eps = np.asarray(eps, float)
    cells = np.repeat(np.array([index]), 2 * len(eps), axis=0)
    values, steps, _ = nudged_values(net, p, name, cells, np.concatenate([eps, -eps]), of.tensor, of.index, columns)
    n = len(eps)
    fwd, bwd, cen = quotients(np.asarray(value(net, p, of)), values[:n], values[n:], steps[:n], -steps[n:])
    analytic = p.grads[name][index] if of.is_loss else backprop(net, of, p)[name][index]
    return Sweep(eps, steps[:n], fwd, bwd, cen, float(analytic))


def watched_curve(
    net: Network, name: str, index: tuple[int, ...], values: np.ndarray, of: Watched | str = LOSS,
    p: Pass | None = None, columns: Columns | None = None,
) -> np.ndarray:
    """The watched value as a function of one cell's value, every other cell held still."""
    of = watched(net, of)
    nudgeable(net, name, of)
    index = _cell_index(net, name, tuple(int(i) for i in index))
    p = p if p is not None else forward(net)
    values = np.asarray(values, net.dtype)
    cells = np.repeat(np.array([index]), len(values), axis=0)
    moved, _, _ = nudged_values(net, p, name, cells, values - p.values[name][index], of.tensor, of.index, columns)
    return moved
