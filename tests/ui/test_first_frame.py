"""The app as launched paints the sheet first; the charts and the Train tab, with pyqtgraph, come a moment later."""

import json
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget

from ui import MainWindow
from ui.chart_look import DARK

ROOT = Path(__file__).resolve().parents[2]
LAUNCHED = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QWidget
app = QApplication([])
from ui.main_window import MainWindow
window = MainWindow(charts_later=True)
first = {}

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not first:
            first.update(pyqtgraph="pyqtgraph" in sys.modules,
                         waiting=window.findChild(QLabel, "charts-home-note") is not None,
                         charts=window.findChild(QWidget, "fd-plot") is not None,
                         sheet=window.sheet_view.isVisible())
        return False

painted = FirstPaint()
window.installEventFilter(painted)
window.resize(1280, 800)
window.show()
deadline = time.monotonic() + 30
while window.findChild(QWidget, "fd-plot") is None and time.monotonic() < deadline:
    app.processEvents()
for _ in range(10):
    app.processEvents()
home = window.findChild(QWidget, "charts-home")
curve = window.charts.central_curve.getData()[0]
print(json.dumps({"first": first, "built": window.findChild(QWidget, "fd-plot") is not None,
                  "in_its_tab": home.isAncestorOf(window.charts),
                  "train_in_its_tab": window.findChild(QWidget, "training-scroll").isAncestorOf(window.training),
                  "waiting_after": window.findChild(QLabel, "charts-home-note") is not None,
                  "points": 0 if curve is None else len(curve)}))
"""


def test_the_first_frame_shows_the_sheet_before_pyqtgraph_is_loaded_and_the_charts_follow(tmp_path):
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "GRADLAB_DATA_DIR": str(tmp_path / "data")}  # nothing of the user's is read or written
    done = subprocess.run([sys.executable, "-c", LAUNCHED], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["first"] == {"pyqtgraph": False, "waiting": True, "charts": False, "sheet": True}
    assert found["built"] and found["in_its_tab"] and found["train_in_its_tab"]
    assert not found["waiting_after"]
    assert found["points"] > 0  # the inspected cell's quotients, drawn


def test_charts_built_after_the_appearance_started_take_its_zoom_and_theme(qtbot):
    window = MainWindow(charts_later=True)
    qtbot.addWidget(window)
    window.appearance.set_zoom(1.5)
    window.appearance.set_theme("dark")
    assert window.findChild(QWidget, "fd-plot") is None  # not shown yet: nothing painted, nothing built
    window.show()
    qtbot.waitUntil(lambda: window.findChild(QWidget, "fd-plot") is not None)
    assert window.charts.font_scale == 1.5 and window.charts.theme is DARK
    assert window.training.charts.font_scale == 1.5
    window.training.message.emit("Trained 3 steps.")  # its sentences reach the status bar like everyone's
    assert window.status_message.text() == "Trained 3 steps."


def test_asking_for_the_charts_before_the_first_frame_builds_them_there_and_then(qtbot):
    window = MainWindow(charts_later=True)
    qtbot.addWidget(window)
    assert window.findChild(QLabel, "charts-home-note") is not None
    charts = window.charts
    assert window.findChild(QWidget, "charts-home").isAncestorOf(charts)
    note = window.findChild(QLabel, "charts-home-note")
    assert note is None or not note.isVisibleTo(window)
    window.show()
    qtbot.wait(20)
    assert window.charts is charts  # the first frame does not build them twice
