"""Refuse what would make the network non-finite: an overflowing value, loss or gradient.

A weight of 1e200 is a finite number, but ``l1 = x @ w1 + b1`` then overflows
to inf, the loss with it, and the gradients turn to inf or NaN (inf − inf).
Nothing the sheet shows means anything after that, so such an edit is refused
with one sentence naming the first cell that overflowed, in the order the
passes compute them, and nothing changes.  ``first_non_finite`` lets a loader
ask the same of a whole network.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np

from gradlab.errors import EditError
from gradlab.network import Network, Pass, backward_steps, run
from gradlab.text import cell_name


def quiet_run(net: Network) -> Pass:
    """``run(net)`` without the warnings numpy gives as values overflow: the values say it themselves."""
    with np.errstate(all="ignore"):
        return run(net)


def _problem(net: Network, p: Pass, only: Collection[str] | None = None) -> tuple[str, bool] | None:
    """The first non-finite cell (its name, and whether it is NaN rather than ±inf), or None.

    ``only`` names the tensors to look at (``l1``, ``the loss``, ``w1.g``…) when the others are known to be finite."""
    tensors = [(name, p.values[name]) for name in net.activations()]
    tensors.append(("the loss", np.asarray(p.loss)))
    for step in backward_steps(net):
        tensors += [(grad, p.grads[grad[:-2]]) for grad in step.writes if grad[:-2] in p.grads]
    for name, a in tensors:
        if only is not None and name not in only:
            continue
        with np.errstate(all="ignore"):
            total = a.sum()
        if np.isfinite(total):  # an inf or a NaN anywhere makes the sum one too: one pass, nothing allocated
            continue
        bad = ~np.isfinite(a)
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            where = cell_name(name, at) if at else name
            return where, bool(np.isnan(a[at]))
    return None


def first_non_finite(net: Network, p: Pass | None = None) -> str | None:
    """What is not finite, first: ``"l1[0,0] overflows float64"``, ``"w1.g[0,0] is NaN"``; None when
    every forward value, the loss and every gradient are finite numbers."""
    found = _problem(net, p if p is not None and p.grads else quiet_run(net))
    if found is None:
        return None
    where, nan = found
    return f"{where} is NaN (not a number)" if nan else f"{where} overflows {net.dtype.name}"


def _number(v: float, dtype: np.dtype) -> str:
    """A value as typed: the shortest text that reads back to it, 1e200 rather than 1e+200."""
    text = str(np.asarray(v, dtype))
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}" if e else text.removesuffix(".0")


def write_finite(
    net: Network, name: str, top_left: tuple[int, ...], block: np.ndarray,
    update: Callable[[], tuple[Pass, Collection[str] | None]] | None = None,
) -> tuple[np.ndarray, Pass]:
    """Write ``block`` into ``name`` (``x``, ``y``, a ``w`` or a ``b``) from ``top_left`` and run the passes.

    Returns the block it replaced and the new pass.  When any value, the loss
    or a gradient would not be finite, the old block goes back, bit for bit,
    and ``EditError`` says which cell overflowed first.  ``update``, when given,
    brings the old pass up to date instead of running the network again
    (``gradlab.incremental``), and names what it changed when only that needs
    looking at (the rest having been finite before), or None.
    """
    target = net.y if name == "y" else net.tensor(name)
    region = tuple(slice(t, t + n) for t, n in zip(top_left, block.shape))
    old = target[region].copy()
    target[region] = block
    try:
        if update is None:
            p, changed = quiet_run(net), None
        else:
            with np.errstate(all="ignore"):
                p, changed = update()
        found = _problem(net, p, changed)
    except BaseException:
        target[region] = old
        raise
    if found is None:
        return old, p
    target[region] = old
    where, nan = found
    effect = f"{where} NaN (not a number)" if nan else f"{where} overflow {net.dtype.name}"
    if block.size == 1:
        cell = cell_name(name, top_left)
        raise EditError(f"{cell} = {_number(block.flat[0], target.dtype)} makes {effect}; "
                        f"{cell} keeps {_number(old.flat[0], target.dtype)}")
    size = "×".join(map(str, block.shape))
    raise EditError(f"the {size} block at {cell_name(name, top_left)} makes {effect}; {name} keeps its values")
