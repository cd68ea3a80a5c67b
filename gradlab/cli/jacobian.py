"""``gradlab jacobian``: ∂of/∂wrt for every cell of one tensor, analytic and by central differences.

    gradlab jacobian --preset lesson --of 'l1[0,2]' --wrt x
    gradlab jacobian FILE --of loss --wrt w1 --json

``--of`` is a computed cell (``l1[0,2]``, ``out[1,0]``), one row's share of the
loss (``loss[1]``) or the loss itself, where the answer is the ordinary gradient.
``--wrt`` is ``x``, a ``w``, a ``b`` or a computed tensor at or upstream of ``--of``.
Exit status 0 when analytic and numeric agree, 1 when they do not, 2 when the
input is bad (with one sentence on stderr).  Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from gradlab.errors import ScenarioError
from gradlab.jacobian import Jacobian, jacobian
from gradlab.network import Network
from gradlab.presets import PRESETS, preset
from gradlab.scenario import load
from gradlab.strict_json import numbers
from gradlab.text import cell_name
from gradlab.watch import Watched, WatchError, watched


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="gradlab jacobian",
        description="How one watched value moves with every cell of one tensor: ∂of/∂wrt, analytic and by "
                    "central differences, shaped like wrt.",
    )
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a scenario file (.json)")
    source.add_argument("--preset", choices=list(PRESETS), help="a built-in scenario instead of a file")
    ap.add_argument("--of", required=True, metavar="TENSOR[r,c]",
                    help="the watched value: a computed cell such as l1[0,2] or out[1,0], loss[b] (one row's share), or loss")
    ap.add_argument("--wrt", required=True, metavar="TENSOR",
                    help="the nudged tensor: x, a w, a b, or a computed tensor upstream of --of")
    ap.add_argument("--eps", type=float, help="the finite-difference step (default: 1e-6 in float64, 1e-3 in float32)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return ap


def grid(a: np.ndarray) -> list[str]:
    """A 1-D or 2-D array as lines of a table, with its indices along the edges."""
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    head = f"{'':>6}" + "".join(f"{f'[{c}]' if a.ndim == 1 else f'[:,{c}]':>13}" for c in range(rows.shape[1]))
    labels = [""] if a.ndim == 1 else [f"[{r},:]" for r in range(rows.shape[0])]
    return [head] + [f"{label:>6}" + "".join(f"{v:>13.6g}" for v in row) for label, row in zip(labels, rows)]


def source(net: Network, of: Watched) -> str:
    """Where the analytic row's backward pass starts, in words."""
    if of.is_loss:
        return f"the ordinary backward pass, from {net.loss}_grad"
    if of.tensor == "loss":
        return f"the lesson's backward steps, from {net.loss}_grad's out.g with every row but {of.index[0]} set to 0"
    return f"the lesson's backward steps, from a one-hot {of.tensor}.g: 1 at {cell_name('', of.index)}, 0 elsewhere"


def table(net: Network, j: Jacobian) -> str:
    of, wrt = j.of, j.wrt
    lines = [
        f"∂{of}/∂{wrt}: {net.title or 'scenario'}, {net.dtype.name}, shaped like {wrt} "
        f"({'×'.join(map(str, j.analytic.shape))})",
        "",
        f"analytic: {source(net, watched(net, of))}",
        *grid(j.analytic),
        "",
        f"numeric: ({of}(θ+ε) − {of}(θ−ε)) / 2ε with ε = {j.eps:g}, for each cell θ of {wrt} alone",
        *grid(j.numeric),
        "",
    ]
    worst, tolerance = cell_name(wrt, j.worst), f"atol {j.atol:g}, rtol {j.rtol:g}"
    if j.agree:
        verdict = f"they agree: the largest |analytic − numeric| is {j.abs_err:.2g}, at {worst} ({tolerance})"
    else:
        off = "where the step vanished" if np.isnan(j.numeric[j.worst]) else f"off by {j.abs_err:.2g}"
        missed = j.disagrees
        verdict = (f"they disagree: {int(missed.sum())} of {j.analytic.size} cells miss the tolerance "
                   f"({tolerance}); the worst is {worst}, {off}") if missed.any() else (
                   f"they cannot be judged at this ε: round-off blurs {int(j.unresolved.sum())} of {j.analytic.size} "
                   "cells more than the tolerance")
    if j.kink.any():
        verdict += f"; {int(j.kink.sum())} cells' nudges cross a ReLU kink, where no difference can match"
    return "\n".join(lines + [verdict] + ([j.roundoff] if j.roundoff else []))


def as_json(j: Jacobian) -> str:
    return json.dumps({"of": j.of, "wrt": j.wrt, "analytic": numbers(j.analytic), "numeric": numbers(j.numeric),
                       "agree": j.agree, "disagree": int(j.disagrees.sum()), "unresolved": int(j.unresolved.sum()),
                       "kinks": int(j.kink.sum())}, allow_nan=False)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.eps is not None and not (np.isfinite(args.eps) and args.eps > 0):
        print(f"gradlab jacobian: --eps must be a finite number above 0, not {args.eps}", file=sys.stderr)
        return 2
    try:
        net = preset(args.preset) if args.preset else load(args.file)
        result = jacobian(net, args.of, args.wrt, args.eps)
    except (ScenarioError, WatchError) as e:
        print(f"gradlab jacobian: {e}", file=sys.stderr)
        return 2
    print(as_json(result) if args.json else table(net, result))
    return 0 if result.agree else 1
