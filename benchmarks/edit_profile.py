"""Where an edit's refresh goes: each view's share of one edit of x[0,0], and the Qt events that follow it.

    .venv/bin/python benchmarks/edit_profile.py [--case lesson|1000] [--edits N]

Two tables, per edit (mean over the edits):
  1. each view that follows the session, timed as it hears the change (the grids, the inspector, the
     formula panel…), and the nudge charts' refresh, which runs a turn later;
  2. the Qt events the event loop then delivers (paints, layouts, timers, the plots' scene), timed through
     ``QApplication.notify``: an event's time includes the events it sends inside it.
Timing every call adds its own overhead: read the shares, not the sum (``edit_refresh.py`` times the whole).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from timing import idle, machine  # noqa: E402

from gradlab.presets import preset, random_network  # noqa: E402

TIMED = {QEvent.Type.Paint, QEvent.Type.LayoutRequest, QEvent.Type.UpdateRequest, QEvent.Type.Timer, QEvent.Type.MetaCall}


class TimedApp(QApplication):
    """A QApplication that adds up, while ``on``, the time each kind of event takes, by receiver."""

    def __init__(self, argv):
        super().__init__(argv)
        self.on = False
        self.spent: collections.Counter = collections.Counter()
        self.count: collections.Counter = collections.Counter()

    def notify(self, receiver, event):
        if not self.on or event.type() not in TIMED:
            return super().notify(receiver, event)
        start = time.perf_counter()
        done = super().notify(receiver, event)
        key = f"{event.type().name} {type(receiver).__name__} {receiver.objectName()}".rstrip()
        self.spent[key] += time.perf_counter() - start
        self.count[key] += 1
        return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=["lesson", "1000"], default="lesson")
    ap.add_argument("--edits", type=int, default=None, help="default 100, or 20 at 1000 rows")
    args = ap.parse_args()
    edits = args.edits or (20 if args.case == "1000" else 100)
    app = TimedApp([])
    from ui.main_window import MainWindow

    net = random_network([784, 50, 10], batch=1000, seed=0) if args.case == "1000" else preset("lesson")
    window = MainWindow(net)
    window.resize(1280, 800)
    window.show()
    window.session.inspect("w1", (0, 0))
    idle(app)

    views: collections.Counter = collections.Counter()
    session = window.session

    def timed(listener):
        name = type(getattr(listener, "__self__", listener)).__name__

        def hear(change):
            start = time.perf_counter()
            listener(change)
            views[name] += time.perf_counter() - start
        return hear

    session._listeners[:] = [timed(listener) for listener in session._listeners]
    charts_refresh = window.charts.refresh

    def refresh_charts():
        start = time.perf_counter()
        charts_refresh()
        views["NudgeCharts.refresh (a turn later)"] += time.perf_counter() - start
    window.charts._timer.timeout.disconnect()
    window.charts._timer.timeout.connect(refresh_charts)

    model, total = window.sheet_view.models["x"], 0.0
    for k in range(edits):
        start = time.perf_counter()
        app.on = True
        model.setData(model.index(0, 0), 0.5 + 0.001 * (k % 7 + 1), Qt.ItemDataRole.EditRole)
        idle(app)
        app.on = False
        total += time.perf_counter() - start
    print(f"{args.case}: {edits} edits of x[0,0], w1[0,0] inspected, 1280×800; {machine()}")
    print(f"edit and everything after it, timed as below: {total / edits * 1e3:.2f} ms an edit")
    print("\nviews following the session, ms an edit:")
    for name, spent in views.most_common(8):
        print(f"  {spent / edits * 1e3:7.2f}  {name}")
    print("\nQt events after it (an event's time includes those it sends), ms an edit and how many:")
    for key, spent in app.spent.most_common(14):
        print(f"  {spent / edits * 1e3:7.2f}  {app.count[key] / edits:4.1f}×  {key}")


if __name__ == "__main__":
    main()
