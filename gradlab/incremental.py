"""After an edit, the pass brought up to date: only what the edited cells can move is worked out again.

An edit of ``b1[j]`` moves column j of ``l1``, then that column of ``l2``, then
the whole of the next layer's output; an edit of ``y[b]`` moves the loss of row
b, then ``out.g`` of row b, then every gradient.  What moved is recomputed with
the very operations ``run`` uses, so the pass that comes out is the one a full
``run`` gives, bit for bit:

- a cell-by-cell operation (an activation and its ``_grad``, a loss's rows and
  its gradient, a bias added) is redone on the block that moved;
- a product (``inp @ w``, ``out.g @ w.t()``, ``inp.t() @ out.g``) is redone
  whole whenever anything it reads moved: a BLAS works part of a product out in
  another order than the whole (``benchmarks/blas_subsets.py`` shows it on this
  machine), and a different order rounds differently;
- a sum over the batch (the loss, ``b.g``) is redone whole.

Each recomputed block (not a whole array: looking would cost as much as it
could spare) is compared, bit for bit, with what it replaces; what turns out
not to have moved (a ReLU that stays off) keeps its array and stops the
spread.  An array that did not move is the very array of the old pass, so the
columns a nudge has read of it (``finite_diff.Columns``) stay good.

``inp @ w`` of each linear layer is kept once worked out, so that an edit of
its bias adds the new bias to it rather than multiplying again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab import losses
from gradlab.layers import Linear
from gradlab.network import Network, Pass


@dataclass(frozen=True)
class Span:
    """Rows ``r0:r1`` and columns ``c0:c1`` of a tensor (a vector's entries are its columns, or, for ``y``'s class
    indices, its rows)."""

    r0: int
    r1: int
    c0: int
    c1: int

    @staticmethod
    def of(top_left: tuple[int, ...], shape: tuple[int, ...], rows_first: bool = True) -> Span:
        if len(shape) == 2:
            return Span(top_left[0], top_left[0] + shape[0], top_left[1], top_left[1] + shape[1])
        start, stop = top_left[0], top_left[0] + shape[0]
        return Span(start, stop, 0, 1) if rows_first else Span(0, 1, start, stop)

    @staticmethod
    def whole(a: np.ndarray) -> Span:
        return Span(0, a.shape[0], 0, a.shape[1]) if a.ndim == 2 else Span(0, 1, 0, a.shape[0])

    def index(self, ndim: int) -> tuple[slice, ...]:
        if ndim == 1:
            return (slice(self.c0, self.c1),)
        return slice(self.r0, self.r1), slice(self.c0, self.c1)

    def rows(self, width: int) -> Span:
        """The whole rows this span touches, in a tensor ``width`` columns wide."""
        return Span(self.r0, self.r1, 0, width)

    def covers(self, a: np.ndarray) -> bool:
        return self == Span.whole(a)

    def __or__(self, other: Span | None) -> Span:
        if other is None:
            return self
        return Span(min(self.r0, other.r0), max(self.r1, other.r1), min(self.c0, other.c0), max(self.c1, other.c1))


@dataclass(frozen=True, eq=False)
class Update:
    """The pass after an edit, and what it took to get there."""

    p: Pass
    products: dict[str, np.ndarray]  # inp @ w of a linear layer, by the name of its output, for this pass
    moved: dict[str, Span]  # values (and "y") that moved, by name, with the block that did
    grads_moved: dict[str, Span]  # gradients that moved, by the name of their tensor
    loss_moved: bool

    def changed(self) -> set[str]:
        """What moved, as ``gradlab.overflow`` names it: ``l1``, ``the loss``, ``w1.g``…"""
        return {*self.moved, *(f"{name}.g" for name in self.grads_moved)} | ({"the loss"} if self.loss_moved else set())


def update(
    net: Network, p: Pass, products: dict[str, np.ndarray], name: str, top_left: tuple[int, ...], shape: tuple[int, ...],
) -> Update:
    """The pass of ``net`` once the block of ``shape`` at ``top_left`` of ``name`` (``x``, ``y``, a ``w`` or a ``b``)
    has been written into ``net``; ``p`` is the pass from before, and ``products`` the products kept for it.

    Neither ``p`` nor ``products`` is changed: a refused edit leaves them as they were."""
    values, grads, products = dict(p.values), dict(p.grads), dict(products)
    moved = {name: Span.of(top_left, shape, rows_first=name == "y")}
    layers = net.named_layers()
    for layer, wire in layers:
        if isinstance(layer, Linear):
            w, b = str(wire.w), str(wire.b)
            if wire.inp in moved or w in moved:  # the product reads what moved: made again, whole
                products[wire.out] = values[wire.inp] @ layer.w
                _set(values, moved, wire.out, products[wire.out] + layer.b)
            elif b in moved:  # the product stands; the bias moves the columns it names
                if wire.out not in products:
                    products[wire.out] = values[wire.inp] @ layer.w
                span = Span(0, values[wire.out].shape[0], moved[b].c0, moved[b].c1)  # those columns, every row
                cols = slice(span.c0, span.c1)
                _set(values, moved, wire.out, products[wire.out][:, cols] + layer.b[cols], span)
        elif wire.inp in moved:
            span = moved[wire.inp]
            _set(values, moved, wire.out, layer.forward(_part(values[wire.inp], span)), span)

    rows, loss, loss_moved = p.rows, p.loss, False
    out, y = values["out"], net.y
    width = out.shape[1]
    touched = _either(moved.get("out"), moved.get("y"))
    if touched is not None and rows is not None:  # each moved row's share of the loss, then their sum
        span = touched.rows(width)
        rows = rows.copy()
        rows[span.r0:span.r1] = losses.loss_rows(net.loss, out[span.r0:span.r1], y[span.r0:span.r1])
        loss = rows.sum() / losses.divisor(net.loss, out.shape, net.reduction).n
        loss_moved = True

    grads_moved: dict[str, Span] = {}
    if touched is not None:  # out.g, as the loss step writes it, on the rows that moved
        span = touched.rows(width)
        kind = net.loss_kind
        n = kind.divisor(out.shape, net.reduction).n
        if span.covers(out):
            _set(grads, grads_moved, "out", kind.grad(out, y, n))
        else:
            _set(grads, grads_moved, "out", kind.grad(out[span.r0:span.r1], y[span.r0:span.r1], n), span)
    for layer, wire in reversed(layers):
        if isinstance(layer, Linear):
            w, b = str(wire.w), str(wire.b)
            if wire.out in grads_moved or wire.inp in moved or w in moved:  # products and a sum: made again, whole
                inp_g, w_g, b_g = layer.backward(values[wire.inp], values[wire.out], grads[wire.out])
                _set(grads, grads_moved, wire.inp, inp_g)
                _set(grads, grads_moved, w, w_g)
                _set(grads, grads_moved, b, b_g)
            continue
        either = _either(grads_moved.get(wire.out), moved.get(wire.inp))
        if either is None:
            continue
        span = either
        if span.covers(grads[wire.inp]):
            _set(grads, grads_moved, wire.inp, layer.backward(values[wire.inp], values[wire.out], grads[wire.out]))
        else:
            parts = (_part(values[wire.inp], span), _part(values[wire.out], span), _part(grads[wire.out], span))
            _set(grads, grads_moved, wire.inp, layer.backward(*parts), span)
    return Update(Pass(values, grads, rows, loss), products, moved, grads_moved, loss_moved)


def _either(a: Span | None, b: Span | None) -> Span | None:
    return b if a is None else a | b


def _part(a: np.ndarray, span: Span) -> np.ndarray:
    """The block ``span`` of ``a``, laid out on its own: a cell-by-cell function gives each cell the same bits
    whether it runs on the block or on the whole array."""
    return np.ascontiguousarray(a[span.index(a.ndim)])


def _set(arrays: dict[str, np.ndarray], moved: dict[str, Span], name: str, new: np.ndarray, span: Span | None = None) -> None:
    """Put ``new``, the whole of ``arrays[name]`` or its block ``span``, in place, and record in ``moved`` what moved.

    A whole array is taken as moved, unlooked at: looking would cost as much as the cell-by-cell work it
    could spare.  A block is compared with the cells it replaces, bit for bit; if none differs, the old
    array stays (and stops the spread), else a copy of it takes the block (the old pass keeps its own)
    and ``moved[name]`` is the smallest block holding every cell that differed."""
    old = arrays[name]
    if span is None or span.covers(old):
        arrays[name] = np.asarray(new, old.dtype)
        moved[name] = Span.whole(old)
        return
    new = np.asarray(new, old.dtype)
    differs = _bits(new) != _bits(old[span.index(old.ndim)])
    if not differs.any():
        return
    if differs.ndim == 1:
        c0, c1 = _first_last(differs)
        found = Span(0, 1, span.c0 + c0, span.c0 + c1)
    else:
        (r0, r1), (c0, c1) = _first_last(differs.any(1)), _first_last(differs.any(0))
        found = Span(span.r0 + r0, span.r0 + r1, span.c0 + c0, span.c0 + c1)
    arrays[name] = old.copy()
    arrays[name][span.index(old.ndim)] = new
    moved[name] = found | moved.get(name)


def _first_last(hit: np.ndarray) -> tuple[int, int]:
    """The first index where ``hit`` is true, and one past the last."""
    return int(hit.argmax()), len(hit) - int(hit[::-1].argmax())


def _bits(a: np.ndarray) -> np.ndarray:
    """The array's bits as unsigned integers: −0.0 differs from 0.0, and a NaN equals itself."""
    return a.view(np.dtype(f"u{a.dtype.itemsize}")) if a.dtype.kind == "f" else a
