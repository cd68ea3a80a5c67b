"""+ε at the lesson's full size, and probes of one cell, each against one forward pass measured in the same run.

    python benchmarks/nudge.py [--batch 50000] [--repeats 5]

The lesson's MNIST net is 50 000 × 784 → 50 → 1 in float32, with a cell of w1
inspected.  Three figures, each as a ratio to one forward pass:

- +ε applied, through the core path the app takes: the edit (``Sheet.set_cell``,
  which brings the pass up to date), then what the views read of the session for
  the inspected cell: the nudge (inspector), the sweep, both loss curves and their
  tangents (charts), the explanation (formula panel) and the influence (grids).
  Goal: at most 1.5 forward passes.
- A probe of a w1 cell right after that edit, cold (the columns it reads of the
  tensors the edit moved are read afresh) and warm (read again).  Goal: at least
  100× (cold) and 300× (warm) cheaper than a forward pass.
- A probe of a cell of each tensor, warm.

Prints medians of repeated runs; asserts nothing, because shared machines are noisy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import machine, median, ms, seconds  # noqa: E402

from gradlab.finite_diff import nudged_losses  # noqa: E402
from gradlab.memory import keep_freed_memory  # noqa: E402
from gradlab.network import forward  # noqa: E402
from gradlab.presets import random_network  # noqa: E402
from gradlab.session import Session  # noqa: E402
from gradlab.sheet import Sheet  # noqa: E402
from ui.charts import LOSS_POINTS, SECANT_SPAN, loss_half_width  # noqa: E402  the curves as the charts ask for them

CELL = ("w1", (400, 7))
EPS = 1e-3


def plus_eps(sheet: Sheet, session: Session, sign: float) -> dict[str, float]:
    """One +ε (or −ε) as the inspector applies it, then every derived value the views read; seconds per part."""
    name, index = CELL
    parts, d = {}, session.derived
    before = d.nudge(EPS)  # the inspector shows it already: cached

    start = time.perf_counter()
    sheet.set_cell(name, index, sheet.nudged_value(name, index, sign * EPS))
    session.record_nudge(before, sign * EPS)
    parts["edit (set_cell)"] = time.perf_counter() - start

    d = session.derived
    for part, read in [
        ("nudge (inspector)", lambda: d.nudge(EPS)),
        ("sweep (charts)", lambda: d.sweep),
        ("loss curves + tangents", lambda: loss_curves(session)),
        ("explanation", lambda: d.explanation.text),
        ("influence (grids)", lambda: d.influence),
    ]:
        start = time.perf_counter()
        read()
        parts[part] = time.perf_counter() - start
    return parts


def loss_curves(session: Session) -> None:
    d, (name, index) = session.derived, CELL
    value = float(session.sheet.p.values[name][index])
    values, _ = d.loss_curve(loss_half_width(value, EPS), LOSS_POINTS)
    d.tangent(values)
    near, _ = d.loss_curve(SECANT_SPAN * EPS, LOSS_POINTS)
    d.tangent(near)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python benchmarks/nudge.py", description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    keep_freed_memory()  # as the app does when it starts (gradlab/memory.py)
    net = random_network([784, 50, 1], batch=args.batch, dtype="float32", init="kaiming", seed=0)
    sheet = Sheet(net)
    session = Session(sheet)
    session.inspect(*CELL)
    print(f"network {args.batch} × 784 → 50 → 1, float32, {CELL[0]}{list(CELL[1])} inspected; {machine()}")

    full = median(seconds(lambda: forward(net), args.repeats))
    print(f"{'one forward pass':<34}{ms(full)}")

    plus_eps(sheet, session, 1.0)  # the first edit also checks the whole pass for overflow: not the steady state
    runs = [plus_eps(sheet, session, (-1.0) ** k) for k in range(args.repeats)]
    total = median([sum(r.values()) for r in runs])
    for part in runs[0]:
        print(f"  {part:<32}{ms(median([r[part] for r in runs]))}")
    print(f"{'+ε applied, every view read':<34}{ms(total)}   {total / full:6.2f} forward passes   (goal ≤ 1.5)")

    name, index = CELL
    cell, eps = np.array([index]), np.array([EPS])
    cold, warm = [], []
    for k in range(args.repeats * 3):  # an edit (the columns of what it moved go), then the first probe, then another
        sheet.set_cell(name, index, sheet.nudged_value(name, index, (-1.0) ** k * EPS))
        kept = sheet.columns.kept()
        cold += seconds(lambda: nudged_losses(sheet.net, sheet.p, name, cell, eps, sheet.columns), 1)
        warm += seconds(lambda: nudged_losses(sheet.net, sheet.p, name, cell, eps, sheet.columns), 1)
    cold_t, warm_t = median(cold), median(warm)
    print(f"{'cold probe of ' + name + str(list(index)):<34}{ms(cold_t)}   {full / cold_t:6.0f}× cheaper   (goal ≥ 100×; "
          f"kept across the edit: {', '.join(f'{k}{v}' for k, v in kept.items()) or 'nothing'})")
    print(f"{'warm probe of ' + name + str(list(index)):<34}{ms(warm_t)}   {full / warm_t:6.0f}× cheaper   (goal ≥ 300×)")

    for tensor, at in (("x", (123, 456)), ("w1", (400, 7)), ("b1", (7,)), ("w2", (7, 0)), ("b2", (0,))):
        cells = np.array([at])
        t = median(seconds(lambda tensor=tensor, cells=cells: nudged_losses(sheet.net, sheet.p, tensor, cells, eps,
                                                                            sheet.columns), args.repeats * 5))
        print(f"{'  warm probe of ' + tensor + str(list(at)):<34}{ms(t)}   {full / t:6.0f}× cheaper")


if __name__ == "__main__":
    main()
