"""Edit-to-refresh time of the app: one typed cell, until every grid, the loss, the inspector, the charts and the
formula panel have been redrawn.

    python benchmarks/edit_refresh.py [--case lesson|1000|lesson-bare] [--edits 200] [--repaint]

The edit goes in through the real grid model (``setData``, as a typed cell
does), with a w1 cell inspected; then the event loop runs until it is idle (the
coalesced refreshes and the repaints they ask for), or, with ``--repaint``, the
whole window is also repainted at once, every widget painted whether it changed
or not.  Cases: the lesson preset (goal: median ≤ 4 ms, 95th percentile ≤ 8 ms),
the lesson preset with nothing inspected, and 1000 × 784 → 50 → 10 (goal: median
≤ 12 ms).  The baseline, measured in the same run, is a bare QMainWindow of the
same size repainted.  A benchmark, not a test: shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402
from timing import idle, machine, median, p95, seconds  # noqa: E402

from gradlab.presets import preset, random_network  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

CASES = {
    "lesson": ("the lesson preset, w1[0,0] inspected", 4.0, 8.0),
    "lesson-bare": ("the lesson preset, nothing inspected", None, None),
    "1000": ("1000 × 784 → 50 → 10, w1[0,0] inspected", 12.0, None),
}



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=list(CASES), default="lesson")
    ap.add_argument("--edits", type=int, default=None, help="default 200, or 50 at 1000 rows")
    ap.add_argument("--repaint", action="store_true", help="also repaint the whole window after each edit")
    args = ap.parse_args()
    edits = args.edits or (50 if args.case == "1000" else 200)
    app = QApplication.instance() or QApplication([])

    bare = QMainWindow()
    bare.resize(1280, 800)
    bare.show()
    idle(app)
    baseline = median(seconds(bare.repaint, 50))

    net = random_network([784, 50, 10], batch=1000, seed=0) if args.case == "1000" else preset("lesson")
    window = MainWindow(net)
    window.resize(1280, 800)
    window.show()
    if args.case == "lesson-bare":
        window.session.inspect(None)  # the window starts with the first weight inspected
    else:
        first_w = next(n for n in window.sheet.net.inputs() if n.startswith("w"))
        window.inspect(first_w, (0, 0))
    idle(app)
    model = window.sheet_view.models["x"]
    index = model.index(0, 0)
    times = []
    for k in range(edits):
        start = time.perf_counter()
        model.setData(index, 0.5 + 0.001 * (k % 7 + 1), Qt.ItemDataRole.EditRole)
        idle(app)
        if args.repaint:
            window.repaint()
        times.append(time.perf_counter() - start)
    what, goal_median, goal_p95 = CASES[args.case]
    mid, high = median(times) * 1e3, p95(times) * 1e3
    goals = [f"median ≤ {goal_median:g} ms" if goal_median else "", f"95th percentile ≤ {goal_p95:g} ms" if goal_p95 else ""]
    goal = ", ".join(g for g in goals if g)
    print(f"{what}, {edits} edits of x[0,0], window 1280×800{', whole window repainted' if args.repaint else ''}; {machine()}")
    print(f"edit to refresh: median {mid:.2f} ms, 95th percentile {high:.2f} ms" + (f"   (goal: {goal})" if goal else ""))
    print(f"bare QMainWindow repaint: {baseline * 1e3:.2f} ms; the edit takes {mid / (baseline * 1e3):.1f}× that (median)")


if __name__ == "__main__":
    main()
