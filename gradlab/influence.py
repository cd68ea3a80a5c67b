"""Influence: which downstream cells one cell of ``x``, a ``w`` or a ``b`` moves, and why some do not.

"x[1] appears in f[1], f[2], … f[m]" (``docs/lesson.md``, question 3), for any cell of any network.
A cell *moves* a downstream cell when the Jacobian entry between them is not
zero.  It *reaches* it when some path of the network's wiring connects them.
A reached cell that does not move is either

- at a **kink**: the only paths run through a ReLU whose input sits exactly at
  0 (or, given ε, within reach of a nudge of ±ε), so the derivative there is
  0 but a nudge to one side moves it after all; or
- **blocked**: a derivative on every path is zero.  ``blocked_reason`` says
  where and why: "blocked at l2[0,1]: relu input −0.3 < 0", "blocked at
  l3[1,0]: sigmoid saturated, σ′ = 0", "blocked at out[0,0]: w2[2,0] is 0".

All of it comes from one forward-mode pass: the tangent d(tensor)/d(cell),
carried layer by layer with each layer's local derivative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.layers import Linear
from gradlab.network import Network, Pass, forward
from gradlab.text import cell_name, fmt

# Where the flow stops, cell by cell (``Influence.stop``).
FLOWS, UPSTREAM, OFF, SATURATED, ZERO_WEIGHT, ZERO_INPUT, CANCEL = range(7)


@dataclass(frozen=True, eq=False)
class Influence:
    tangent: np.ndarray  # d tensor / d cell
    reached: np.ndarray  # bool: a path of the wiring connects them
    kink: np.ndarray | None = None  # bool: not moved, but a nudge to one side moves it through a ReLU at its kink
    name: str = ""  # this tensor
    layer: str = ""  # "linear" or the activation's kind: what computed this tensor
    inp: str = ""  # the tensor it was computed from
    weight: str = ""  # the linear layer's w, which multiplies inp
    w: np.ndarray | None = None  # that w's values (a linear layer)
    z: np.ndarray | None = None  # the activation's input values (an activation)
    stop: np.ndarray | None = None  # per cell: FLOWS, or why the flow stops here (OFF, SATURATED, …)
    via: np.ndarray | None = None  # per cell: the column of ``inp`` (same row) to blame, for UPSTREAM and ZERO_WEIGHT
    upstream: Influence | None = None  # the influence on ``inp`` (None where inp is the nudged tensor)
    source: tuple[str, tuple[int, ...]] = ("", ())  # the nudged cell

    @property
    def moved(self) -> np.ndarray:
        return self.tangent != 0

    @property
    def at_kink(self) -> np.ndarray:
        kink = np.zeros(self.tangent.shape, bool) if self.kink is None else self.kink
        return self.reached & ~self.moved & kink

    @property
    def blocked(self) -> np.ndarray:
        return self.reached & ~self.moved & ~self.at_kink


def influence(
    net: Network, name: str, index: tuple[int, ...], p: Pass | None = None, eps: float | None = None,
) -> dict[str, Influence]:
    """``{"l1": Influence, …, "out": Influence}`` for the cell ``name[index]``, in layer order.

    With ``eps``, a ReLU whose input a nudge of ±eps can carry across 0 counts
    as a kink (a one-sided move), not as blocked; without it, only an input
    exactly at 0 does.
    """
    p = p if p is not None else forward(net)
    net.tensor(name)[index]  # an IndexError or KeyError for a cell that is not there
    index = tuple(int(i) for i in index)
    found: dict[str, Influence] = {}
    tangent = reached = kink = None
    upstream: Influence | None = None
    if name == "x":
        tangent = np.zeros_like(net.x, dtype=float)
        tangent[index] = 1
        reached, kink = tangent != 0, np.zeros(net.x.shape, bool)
    for layer, wire in net.named_layers():
        out = p.values[wire.out]
        inp = p.values[wire.inp]
        if tangent is not None and reached is not None and kink is not None:
            if isinstance(layer, Linear):
                new = tangent @ layer.w
                stop, via = _linear_stops(tangent, reached, layer.w, new)
                if upstream is None:  # the nudged x: a zero weight is the whole story
                    stop = np.where(stop == UPSTREAM, ZERO_WEIGHT, stop)
                kink = (kink.astype(float) @ (layer.w != 0).astype(float)) > 0
                reached = np.broadcast_to(reached.any(1, keepdims=True), out.shape)
                kind, weight, w, z = "linear", str(wire.w), layer.w, None
            else:
                local = layer.local(inp, out)
                new = local * tangent
                at_switch = (inp == 0) if eps is None else (np.abs(inp) <= np.abs(tangent) * abs(eps))
                opened = layer.kinked & at_switch & ((tangent != 0) | kink)
                kink = (kink & (local != 0)) | opened
                stalled = (new == 0) & reached
                cause = OFF if layer.kinked else SATURATED
                stop = np.where(stalled & (tangent != 0), cause, np.where(stalled, UPSTREAM, FLOWS)).astype(np.int8)
                via = np.broadcast_to(np.arange(out.shape[1]), out.shape)
                kind, weight, w, z = layer.kind, "", None, inp
            tangent = new
        elif isinstance(layer, Linear) and name in (wire.w, wire.b):  # w[i,j] and b[j] start in column j of the output
            j = index[-1]
            tangent = np.zeros_like(out, dtype=float)
            tangent[:, j] = inp[:, index[0]] if name == wire.w else 1
            reached = np.zeros(out.shape, bool)
            reached[:, j] = True
            kink = np.zeros(out.shape, bool)
            stop = np.where(reached & (tangent == 0), ZERO_INPUT, FLOWS).astype(np.int8)
            via = np.full(out.shape, index[0])
            kind, weight, w, z = "linear", str(wire.w), layer.w, None
        else:
            continue
        upstream = Influence(tangent, reached, kink, wire.out, kind, wire.inp, weight, w, z, stop, via, upstream,
                             (name, index))
        found[wire.out] = upstream
    return found


def _linear_stops(tangent: np.ndarray, reached: np.ndarray, w: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Why each output of ``tangent @ w`` that stays 0 does: a zero weight on the only moving paths, paths that
    cancel, or every reached input it weighs blocked upstream; and the input column to blame."""
    moving = tangent != 0  # batch × n_in
    live = (w != 0).astype(float)  # n_in × n_out
    carried = (moving.astype(float) @ live) > 0  # some moving input meets a non-zero weight (a count, exact)
    weighs_reached = (reached.astype(float) @ live) > 0  # some reached input meets one
    any_moving = moving.any(1, keepdims=True)
    stop = np.select(
        [new != 0, carried, any_moving & ~carried, weighs_reached],
        [FLOWS, CANCEL, ZERO_WEIGHT, UPSTREAM], ZERO_WEIGHT,
    ).astype(np.int8)
    via = np.repeat(np.argmax(moving, 1)[:, None], new.shape[1], axis=1)
    rows, cols = np.nonzero(stop == UPSTREAM)  # few: blamed on the first reached input each weighs
    via[rows, cols] = np.argmax(reached[rows] & (live[:, cols].T > 0), 1)
    return stop, via


def blocked_reason(inf: Influence, index: tuple[int, ...]) -> str | None:
    """Where and why the nudged cell cannot move this cell: one sentence for a tooltip, or None when it is
    not blocked (it moves, sits behind a kink, or is out of reach)."""
    index = tuple(int(i) for i in index)
    if not inf.blocked[index]:
        return None
    here: Influence | None = inf
    while here is not None and here.stop is not None and here.via is not None:
        code = int(here.stop[index])
        if code != UPSTREAM or here.upstream is None:
            return _why(here, index, code)
        index = (index[0], int(here.via[index]))
        here = here.upstream
    return f"blocked: no path from {cell_name(*inf.source)} reaches {cell_name(inf.name, index)} with a derivative that is not 0"


def _why(inf: Influence, index: tuple[int, ...], code: int) -> str:
    at = f"blocked at {cell_name(inf.name, index)}"
    source_name, source_index = inf.source
    row, col = index
    if code == OFF and inf.z is not None:
        z = float(inf.z[index])
        sign = "<" if z < 0 else "="
        return f"{at}: {inf.layer} input {fmt(z)} {sign} 0, so the unit is off and passes no change"
    if code == SATURATED and inf.z is not None:
        slope = "σ′ = σ(1 − σ)" if inf.layer == "sigmoid" else "1 − tanh²"
        return f"{at}: {inf.layer} saturated at input {fmt(float(inf.z[index]))}, {slope} = 0"
    if code == ZERO_INPUT:
        i = source_index[0]
        return f"{at}: {cell_name(inf.inp, (row, i))} is 0, so {cell_name(source_name, source_index)} scales nothing here"
    if code == ZERO_WEIGHT and inf.via is not None:
        i = int(inf.via[index])
        return f"{at}: {cell_name(inf.weight, (i, col))} is 0, so what moves in {cell_name(inf.inp, (row, i))} does not pass"
    if code == CANCEL:
        return f"{at}: the paths through row {row} of {inf.inp} cancel exactly"
    return f"{at}: every path into it is blocked"
