"""Edit-to-refresh time of the app: one typed cell, until every grid, the loss, the inspector,
the charts and the formula panel have been redrawn.

    python benchmarks/edit_refresh.py [--preset lesson] [--edits 200]

Prints the median and 95th percentile; the target on the lesson preset is one
60 Hz frame (16.7 ms).  A benchmark, not a test: shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradlab.presets import PRESETS, preset  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=list(PRESETS), default="lesson")
    ap.add_argument("--edits", type=int, default=200)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    window = MainWindow(preset(args.preset))
    window.resize(1280, 800)
    window.show()
    first_w = next(n for n in window.sheet.net.inputs() if n.startswith("w"))
    window.inspect(first_w, (0, 0))
    app.processEvents()
    model = window.sheet_view.models["x"]
    index = model.index(0, 0)
    times = []
    for k in range(args.edits):
        start = time.perf_counter()
        model.setData(index, 0.5 + 0.001 * (k % 7 + 1), Qt.ItemDataRole.EditRole)
        app.processEvents()  # the coalesced refresh of inspector, charts and formula panel runs here …
        app.processEvents()  # … and the repaint it asks for, of every widget that changed
        times.append(time.perf_counter() - start)
    times.sort()
    median, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
    print(f"{args.preset} preset, {args.edits} edits of x[0,0] with {first_w}[0,0] inspected, window 1280x800")
    print(f"edit to refresh: median {median * 1e3:.2f} ms, 95th percentile {p95 * 1e3:.2f} ms (one 60 Hz frame: 16.7 ms)")


if __name__ == "__main__":
    main()
