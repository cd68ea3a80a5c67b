"""Reshaping a network, as a spreadsheet inserts and deletes rows and columns.

Every function takes a ``Network`` and returns a new one; the argument is never
changed, so the app can keep it for undo.  Every value that still has a place
keeps it, bit for bit, and an impossible change raises ``ValueError`` with one
sentence saying why, before anything is built.  Indices are 0-based; ``at`` is
where a new item goes (0 to the current count; the end when omitted).  Layers
are numbered as the parameters are: linear layer k holds ``wk`` and ``bk``.

New weights are zeros unless the caller asks otherwise.  A unit added with a
zero incoming column and a zero outgoing row changes nothing downstream, and
under ReLU it starts dead: its input is exactly 0, so ``relu_grad`` passes back
0 and no gradient ever reaches it.  Pass ``init`` (its incoming weights) or an
``rng`` (Kaiming-scale random incoming weights) for a live unit; its outgoing
row stays zero, so the output is unchanged until training moves that row.
"""

from __future__ import annotations

import operator
from typing import SupportsIndex, cast

import numpy as np

from gradlab.layers import ACTIVATIONS, Linear, activation
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.network import Network
from gradlab.scenario import DTYPES


def _linear(net: Network) -> list[int]:
    """Where the linear layers sit in ``net.layers``: entry k-1 is linear layer k."""
    return [k for k, layer in enumerate(net.layers) if isinstance(layer, Linear)]


def _place(at: int | None, count: int, what: str) -> int:
    if at is None:
        return count
    at = operator.index(at)
    if not 0 <= at <= count:
        raise ValueError(f"cannot add {what} at position {at}: the positions run from 0 to {count}")
    return at


def _existing(index: int, count: int, what: str, owner: str = "the network") -> int:
    index = operator.index(index)
    if not 0 <= index < count:
        raise ValueError(f"there is no {what} {index}: {owner} has {count}, numbered 0 to {count - 1}")
    return index


def _filled(values: object, n: int, dtype: np.dtype, what: str) -> np.ndarray:
    """``values`` as n finite numbers of ``dtype``, or n zeros when None."""
    if values is None:
        return np.zeros(n, dtype)
    try:
        numbers = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must hold numbers only") from None
    if numbers.size != n:
        raise ValueError(f"{what} needs {n} value{'s' if n != 1 else ''}, not {numbers.size}")
    if not np.isfinite(numbers).all():
        raise ValueError(f"{what} must hold finite numbers only")
    return numbers.astype(dtype)


def _kaiming(rng: np.random.Generator, n_in: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Normal weights with standard deviation sqrt(2 / n_in), the lesson's scale for ReLU layers."""
    return (rng.standard_normal(shape) * np.sqrt(2 / n_in)).astype(dtype)


def _n_out(net: Network) -> int:
    return net.linear_layers()[-1].w.shape[1]


def _hidden(net: Network, layer: int) -> int:
    """``layer`` as an int, once it is known to be a hidden linear layer (any linear layer but the last)."""
    linear = _linear(net)
    layer = operator.index(layer)
    if len(linear) == 1:
        raise ValueError("this network has no hidden layer: its only linear layer makes the output")
    if not 1 <= layer < len(linear):
        raise ValueError(f"layer {layer} is not a hidden linear layer; this network's hidden layers are 1 to "
                         f"{len(linear) - 1}, and linear layer {len(linear)} makes the output")
    return layer


# Batch rows: a row of x and the matching row of y.

def add_batch_row(net: Network, at: int | None = None, values: object = None, target: object = None) -> Network:
    """Insert a row of x (``values``, zeros by default) and of y (``target``: zeros, or class 0)."""
    at = _place(at, net.batch, "a batch row")
    row = _filled(values, net.x.shape[1], net.dtype, "the new row of x")
    if net.loss == "cross_entropy":
        # operator.index is the check: it refuses anything that is not a whole number
        label = 0 if target is None else operator.index(cast(SupportsIndex, target))
        if not 0 <= label < _n_out(net):
            raise ValueError(f"the new row's class must be one of the outputs, 0 to {_n_out(net) - 1}, not {label}")
        y = np.insert(net.y, at, label)
    else:
        y = np.insert(net.y, at, _filled(target, net.y.shape[1], net.y.dtype, "the new row of y"), axis=0)
    out = net.copy()
    out.x, out.y = np.insert(net.x, at, row, axis=0), y
    return out


def remove_batch_row(net: Network, row: int) -> Network:
    if net.batch == 1:
        raise ValueError("cannot remove the last batch row: a network needs at least one row of x")
    row = _existing(row, net.batch, "batch row")
    out = net.copy()
    out.x, out.y = np.delete(net.x, row, axis=0), np.delete(net.y, row, axis=0)
    return out


# Inputs: a column of x and the matching row of w1.

def add_input(net: Network, at: int | None = None) -> Network:
    """Insert a zero column of x and a zero row of w1 (the first linear layer, even after a leading activation)."""
    at = _place(at, net.x.shape[1], "an input")
    out = net.copy()
    first = out.linear_layers()[0]
    out.x = np.insert(net.x, at, 0, axis=1)
    first.w = np.insert(first.w, at, 0, axis=0)
    return out


def remove_input(net: Network, i: int) -> Network:
    if net.x.shape[1] == 1:
        raise ValueError("cannot remove the last input: x needs at least one column")
    i = _existing(i, net.x.shape[1], "input")
    out = net.copy()
    first = out.linear_layers()[0]
    out.x, first.w = np.delete(net.x, i, axis=1), np.delete(first.w, i, axis=0)
    return out


# Hidden units: column j of wk, entry j of bk, row j of w(k+1).

def add_hidden_unit(
    net: Network, layer: int, at: int | None = None, init: object = None, rng: np.random.Generator | None = None
) -> Network:
    """Insert unit ``at`` in hidden layer ``layer``: a column of wk, an entry of bk and a row of w(k+1).

    The bias entry and the outgoing row start at zero, so the output is unchanged.
    The incoming column is ``init`` if given, Kaiming-scale random values from
    ``rng`` if given, else zeros (a unit that starts dead under ReLU: see the module notes).
    """
    if init is not None and rng is not None:
        raise ValueError("give the new unit's weights either as init or from an rng, not both")
    layer = _hidden(net, layer)
    out = net.copy()
    this, after = out.linear_layers()[layer - 1:layer + 1]
    n_in, width = this.w.shape
    at = _place(at, width, f"a unit to layer {layer}")
    column = (_kaiming(rng, n_in, (n_in,), net.dtype) if rng is not None
              else _filled(init, n_in, net.dtype, f"the new unit's init (one weight per input of layer {layer})"))
    this.w, this.b = np.insert(this.w, at, column, axis=1), np.insert(this.b, at, 0)
    after.w = np.insert(after.w, at, 0, axis=0)
    return out


def remove_hidden_unit(net: Network, layer: int, unit: int) -> Network:
    layer = _hidden(net, layer)
    out = net.copy()
    this, after = out.linear_layers()[layer - 1:layer + 1]
    if this.w.shape[1] == 1:
        raise ValueError(f"cannot remove the only unit of layer {layer}: a layer needs at least one unit")
    unit = _existing(unit, this.w.shape[1], "unit", f"layer {layer}")
    this.w, this.b = np.delete(this.w, unit, axis=1), np.delete(this.b, unit)
    after.w = np.delete(after.w, unit, axis=0)
    return out


# Outputs: a column of the last w and b, and of y (or a class, for cross_entropy).

def add_output(net: Network, at: int | None = None) -> Network:
    """Insert a zero output; for cross_entropy, targets at or above ``at`` move up one so each keeps its class."""
    out = net.copy()
    last = out.linear_layers()[-1]
    at = _place(at, last.w.shape[1], "an output")
    last.w, last.b = np.insert(last.w, at, 0, axis=1), np.insert(last.b, at, 0)
    out.y = np.where(net.y >= at, net.y + 1, net.y) if net.loss == "cross_entropy" else np.insert(net.y, at, 0, axis=1)
    return out


def remove_output(net: Network, j: int) -> Network:
    """Remove output ``j``; for cross_entropy, targets above ``j`` move down one, and a class still in y is refused."""
    out = net.copy()
    last = out.linear_layers()[-1]
    n_out = last.w.shape[1]
    if n_out == 1:
        raise ValueError("cannot remove the last output: the network needs at least one")
    j = _existing(j, n_out, "output")
    if net.loss == "cross_entropy":
        if n_out == 2:
            raise ValueError("cannot remove an output: cross_entropy needs at least 2 classes to choose between")
        rows = np.flatnonzero(net.y == j)
        if rows.size:
            listed = ", ".join(map(str, rows[:5])) + (", …" if rows.size > 5 else "")
            raise ValueError(f"cannot remove class {j}: it is still the target of batch row{'s' * (rows.size > 1)} "
                             f"{listed}; give those rows another class first")
        out.y = np.where(net.y > j, net.y - 1, net.y)
    else:
        out.y = np.delete(net.y, j, axis=1)
    last.w, last.b = np.delete(last.w, j, axis=1), np.delete(last.b, j)
    return out


# Layers: a linear layer and the activation after it.

def add_layer(
    net: Network, after: int, width: int, activation: str = "relu", rng: np.random.Generator | None = None
) -> Network:
    """Insert a hidden linear layer of ``width`` units and an activation after linear layer ``after``.

    ``after`` = 0 puts them first, right after x; otherwise they go after linear
    layer ``after`` and its activations, just before the next linear layer, which
    then reads ``width`` values.  The new layer starts as the identity where the
    widths allow: for an input of width n, w = eye(n, width) and b = 0, so unit i
    copies input i; the next linear layer keeps its first min(n, width) rows.  So:

    - width = n: the output is unchanged, bit for bit, when the new activation
      leaves its input alone (ReLU fed non-negative values, as after another ReLU).
    - width > n: the extra units' outgoing rows are zero, so the same holds; their
      incoming columns are zeros, or Kaiming-scale random values from ``rng``.
    - width < n: inputs width… are no longer passed on and the next layer's rows
      for them are dropped, the only reshape here that discards values.
    """
    linear = _linear(net)
    after, width = operator.index(after), operator.index(width)
    if not 0 <= after < len(linear):
        raise ValueError(f"a new layer can go after linear layer 0 (right after x) to {len(linear) - 1}, not {after}; "
                         f"linear layer {len(linear)} makes the output")
    if width < 1:
        raise ValueError(f"a layer needs at least 1 unit, not {width}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"{activation!r} is not an activation; the activations are {', '.join(ACTIVATIONS)}")
    n = net.linear_layers()[after].w.shape[0]
    w = np.eye(n, width, dtype=net.dtype)
    if rng is not None and width > n:
        w[:, n:] = _kaiming(rng, n, (n, width - n), net.dtype)
    out = net.copy()
    following = out.linear_layers()[after]
    kept = min(n, width)
    following.w = np.concatenate([following.w[:kept], np.zeros((width - kept, following.w.shape[1]), net.dtype)])
    position = 0 if after == 0 else linear[after]
    out.layers[position:position] = [Linear(w, np.zeros(width, net.dtype)), ACTIVATIONS[activation]()]
    return out


def remove_layer(net: Network, layer: int) -> Network:
    """Remove hidden linear layer ``layer`` and the activation right after it; its two widths must match."""
    if len(_linear(net)) == 1:
        raise ValueError("cannot remove the only linear layer: without one there is nothing to learn")
    layer = _hidden(net, layer)
    position = _linear(net)[layer - 1]
    n_in, n_out = net.linear_layers()[layer - 1].w.shape
    if n_in != n_out:
        raise ValueError(f"cannot remove linear layer {layer}: it turns {n_in} values into {n_out}, so the layers "
                         f"on either side would no longer fit; make both widths equal first")
    stop = position + 2 if not isinstance(net.layers[position + 1], Linear) else position + 1
    out = net.copy()
    del out.layers[position:stop]
    return out


# Whole-network switches.

def set_loss(net: Network, loss: str) -> Network:
    """Switch the loss, converting y where the kind of target changes.

    Between mse and half_sse, y stays as it is.  To cross_entropy, each row of y
    becomes the index of its largest value (the first on a tie): a class can hold
    which output is largest and nothing more, so the values themselves are lost.
    From cross_entropy, each class becomes a one-hot row, which loses nothing.
    """
    if loss not in LOSSES:
        raise ValueError(f"{loss!r} is not a loss; the losses are {', '.join(LOSSES)}")
    n_out = _n_out(net)
    out = net.copy()
    out.loss = loss
    if loss == "cross_entropy" and net.loss != "cross_entropy":
        if n_out < 2:
            raise ValueError(f"cross_entropy needs at least 2 outputs to choose between, and this network has {n_out}")
        out.y = net.y.argmax(axis=1)
    elif net.loss == "cross_entropy" and loss != "cross_entropy":
        out.y = np.eye(n_out, dtype=net.dtype)[net.y]
    return out


def set_reduction(net: Network, reduction: str) -> Network:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a reduction; the reductions are {', '.join(REDUCTIONS)}")
    out = net.copy()
    out.reduction = reduction
    return out


def set_dtype(net: Network, dtype: str) -> Network:
    """Every float array in ``dtype``; float64 → float32 rounds each value, and switching back keeps the rounding."""
    if dtype not in DTYPES:
        raise ValueError(f"{dtype!r} is not a dtype GradLab computes in; the dtypes are {', '.join(DTYPES)}")
    return net.astype(dtype)


def set_activation(net: Network, position: int, kind: str, slope: float = 0.01) -> Network:
    """Replace the activation at ``position`` in ``net.layers``; ``slope`` is used by leaky_relu only."""
    position = operator.index(position)
    if not 0 <= position < len(net.layers) or isinstance(net.layers[position], Linear):
        where = [str(k) for k, layer in enumerate(net.layers) if not isinstance(layer, Linear)]
        raise ValueError(f"layer {position} is not an activation; the activations sit at positions {', '.join(where) or 'none'}")
    if kind not in ACTIVATIONS:
        raise ValueError(f"{kind!r} is not an activation; the activations are {', '.join(ACTIVATIONS)}")
    if not np.isfinite(slope):
        raise ValueError(f"a leaky_relu slope must be a finite number, not {slope}")
    out = net.copy()
    out.layers[position] = activation(kind, slope)
    return out
