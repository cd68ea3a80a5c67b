"""Cold start: ``python app.py --screenshot``, and the app's first frame, against a bare QMainWindow, each in a new process.

    python benchmarks/cold_start.py [--runs 5]

Two pairs of processes.  In the first, both start Python, import Qt, build a
window, render it off screen to a PNG and exit; the bare one builds nothing else.
In the second, both are launched as a user launches them (the app: ``gradlab``
with no arguments, through ``ui.launch.main``) and exit as soon as their window
has painted its first frame: the app's shows the sheet, and builds the charts
and the Train tab (with pyqtgraph) only after it.  The goal is GradLab taking at
most twice as long as the bare window.  Each run is timed on the wall clock from
launch to exit; the processes' own CPU time is printed beside it (on a busy
machine the wall clock also counts time other processes had the CPU).  Asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import machine, median, ms  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.grab().save(sys.argv[1])
"""
FIRST_FRAME = """
import os, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])

class FirstFrame(QObject):  # a window's first paint: once it is drawn, the process ends
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and watched.isWidgetType() and watched.isWindow():
            QTimer.singleShot(0, lambda: os._exit(0))
        return False

first_frame = FirstFrame()
app.installEventFilter(first_frame)
if sys.argv[1] == "bare":
    window = QMainWindow()
    window.resize(1280, 800)
    window.show()
    app.exec()
else:
    from ui.launch import main
    main([])
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock seconds of one run of ``command``, and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python benchmarks/cold_start.py", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"{machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        shot = str(Path(scratch) / "shot.png")
        # the launched app reads and writes its preferences and autosaves: here, in the scratch folder
        os.environ.update(GRADLAB_DATA_DIR=scratch, XDG_CONFIG_HOME=scratch)
        pairs = [{"bare QMainWindow grab": [sys.executable, "-c", BARE, shot],
                  "python app.py --screenshot": [sys.executable, "app.py", "--screenshot", shot]},
                 {"bare QMainWindow, first frame": [sys.executable, "-c", FIRST_FRAME, "bare"],
                  "gradlab, first frame": [sys.executable, "-c", FIRST_FRAME, "app"]}]
        for commands in pairs:
            for command in commands.values():
                timed(command)  # once to warm the disk cache: every run after it is equally warm
            found: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
            for _ in range(args.runs):  # interleaved, so that a burst of load lands on both
                for name, command in commands.items():
                    found[name].append(timed(command))
            walls = {name: median([w for w, _ in runs]) for name, runs in found.items()}
            for name, runs in found.items():
                print(f"{name:<32}{ms(walls[name])} wall   {ms(median([c for _, c in runs]))} CPU   (median of {args.runs})")
            bare, app = walls.values()
            print(f"{'GradLab / bare':<32}{app / bare:8.2f}×   (goal ≤ 2×)")


if __name__ == "__main__":
    main()
