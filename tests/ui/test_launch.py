"""The ``gradlab`` command: screenshots for slides, and ``gradlab check`` without Qt."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from ui.launch import parser, set_the_scene

ROOT = Path(__file__).resolve().parents[2]


def run_app(*args, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=tmp_path)


def test_screenshot_writes_the_window_as_a_png(tmp_path):
    path = tmp_path / "shot.png"
    done = run_app("--screenshot", str(path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1280, 800)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_slides_choose_size_step_cell_theme_and_zoom(tmp_path, theme):
    path = tmp_path / f"slide-{theme}.png"
    done = run_app("--screenshot", str(path), "--preset", "mazur", "--size", "1920x1080", "--step", "1",
                   "--select", "w2[0,0]", "--theme", theme, "--zoom", "1.2", "--presentation", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1920, 1080)
    corner = image.pixelColor(5, 200)  # the window's own background, under the sheet
    assert (corner.lightness() < 60) == (theme == "dark")


def test_a_slide_of_training_is_written_and_the_app_exits(tmp_path):
    path = tmp_path / "training.png"
    done = run_app("--screenshot", str(path), "--preset", "classifier", "--train", "5", "--lr", "0.5",
                   "--tab", "train", tmp_path=tmp_path)  # the trained network is unsaved: closing must not ask
    assert done.returncode == 0, done.stderr
    assert QImage(str(path)).width() == 1280


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "q[1,2]"], "there is no tensor q: --select takes a cell of x, a w or a b to inspect, or of a computed"),
        (["--select", "l1[9,0]"], "l1.g[9,0] is outside l1.g, which is 4×4"),
        (["--watch", "w1[0,0]"], "w1 is an input, not a computed value; the values that can be watched are l1, l2, out, loss"),
        (["--tab", "nowhere"], "invalid choice: 'nowhere'"),
        (["--answers", "no-such.txt"], "no-such.txt does not exist"),
        (["--train", "5", "--lr", "-1"], "the learning rate must be a finite number above 0, not -1"),
        (["--select", "w1 0 3"], "--select must look like w1[0,3]"),
        (["--select", "w1[9,9]"], "w1 is 3×4, so w1[9,9] is out of range"),
        (["--select", "b1[0,1]"], "b1 is 4, so a cell of it takes 1 index, not 2"),
        (["--step", "9"], "the stepper has 8 steps (4 of the backward pass, then 4 updates), so there is no step 9"),
        (["--size", "huge"], "--size must look like 1280x800"),
        (["--zoom", "40"], "--zoom must be between 0.6 and 4"),
    ],
)
def test_bad_slide_options_say_why(tmp_path, args, message):
    done = run_app("--screenshot", str(tmp_path / "x.png"), *args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_gradlab_check_through_the_app_command_never_imports_qt():
    code = (
        "import sys; from ui.launch import main; code = main(['check', '--preset', 'mazur']); "
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))], 'Qt was imported'; "
        "sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "loss = 0.298371109" in done.stdout


def test_a_slide_can_show_training_the_learners_lines_and_a_layer_jacobian(window, tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("out.g = 2. * (out - y) / out.numel()\nl2.g = out.g @ w2.t()\nw2.g = l2.t() @ out.g\n"
                    "b2.g = out.g.sum(0)\nl1.g = l2.g\n")
    args = parser().parse_args(["--train", "20", "--lr", "0.1", "--answers", str(mine), "--tab", "your-turn"])
    before = float(window.sheet.p.loss)
    set_the_scene(window, args, ("w1", (0, 0)))
    assert len(window.session.history.losses) == 21 and float(window.sheet.p.loss) < before
    assert window.exercise.grading is not None and window.exercise.grading["l1.g"].verdict == "wrong"
    assert window.exercise.shown_target == "l1.g"  # the first line to fix, in the grid under the lines
    assert window.panels.tabs.currentWidget().isAncestorOf(window.exercise)

    set_the_scene(window, parser().parse_args(["--tab", "local", "--watch", "out[1,0]"]), ("l1", (0, 2)))
    assert window.session.explained == ("l1", (0, 2)) and window.session.selected == ("l1", (0, 2))
    assert str(window.session.watched) == "out[1,0]"
    assert window.panels.tabs.currentWidget().isAncestorOf(window.jacobian)
