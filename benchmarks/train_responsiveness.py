"""How long the window is busy in each turn of the event loop while the training panel runs Train ×N.

    python benchmarks/train_responsiveness.py [--preset lesson] [--steps 1000] [--runs 1]

The panel is built alone (a Session and an Editor, no main window), shown off
screen, and Train ×N is clicked.  A zero-interval "heartbeat" timer stamps the
time each turn it gets: the gap between two stamps is how long the loop was
away doing everything else in that turn (a chunk of steps, the progress bar, the
charts and the output plane, the repaint; and the last turn's undo step and
redraw).  The goal is every turn under 50 ms, after which a window feels stuck.
Each turn is timed on the wall clock and in this thread's CPU time: on a busy
machine the wall clock also counts the time other processes had the CPU.
A benchmark, not a test: shared machines are noisy.
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

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradlab.presets import PRESETS, preset  # noqa: E402
from gradlab.session import Session  # noqa: E402
from gradlab.sheet import Sheet  # noqa: E402
from ui.commands import Editor  # noqa: E402
from ui.training_panel import TrainingPanel  # noqa: E402

GOAL = 0.050


def one_run(app: QApplication, name: str, steps: int) -> tuple[list[float], list[float], int, float]:
    """The event-loop turns of one Train ×``steps`` run (wall and CPU seconds), its chunks, and its wall time."""
    sheet = Sheet(preset(name))
    session = Session(sheet)
    stack = QUndoStack()
    panel = TrainingPanel(session, Editor(sheet, stack))
    first = next(iter(sheet.net.parameters()))
    session.inspect(first, (0, 0))  # its value is recorded and charted as it trains
    panel.resize(1100, 500)
    panel.show()
    for _ in range(5):
        app.processEvents()
    stamps: list[tuple[float, float]] = []

    def stamp() -> None:
        stamps.append((time.perf_counter(), time.thread_time()))

    heartbeat = QTimer(interval=0)
    heartbeat.timeout.connect(stamp)
    panel.steps_box.setCurrentText(str(steps))
    heartbeat.start()
    began = time.perf_counter()
    stamp()
    QTest.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    chunks = []
    panel.run.progressed.connect(lambda done, total: chunks.append(done))
    while panel.running:
        app.processEvents()
    app.processEvents()  # the repaint after the last chunk's undo step
    heartbeat.stop()
    wall = time.perf_counter() - began
    stamp()
    if stack.count() != 1 or session.history is None or session.history.steps != steps:
        raise SystemExit(f"the run did not end in one undo step of {steps} steps")
    panel.close()
    panel.deleteLater()
    session.close()
    turns = [b[0] - a[0] for a, b in zip(stamps, stamps[1:])]
    cpu = [b[1] - a[1] for a, b in zip(stamps, stamps[1:])]
    return turns, cpu, len(chunks), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=list(PRESETS), default="lesson")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    print(f"{args.preset} preset, Train ×{args.steps:,}, panel 1100×500 off screen, load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    for k in range(args.runs):
        turns, cpu, chunks, wall = one_run(app, args.preset, args.steps)
        longest, median = max(turns), statistics.median(turns)
        verdict = "every turn under 50 ms" if longest < GOAL else "SOME TURN OVER 50 ms"
        print(f"run {k + 1}: {chunks} chunks over {len(turns)} turns in {wall * 1e3:.0f} ms; "
              f"wall: longest turn {longest * 1e3:.1f} ms, median {median * 1e3:.2f} ms ({verdict}); "
              f"CPU: longest {max(cpu) * 1e3:.1f} ms, median {statistics.median(cpu) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
