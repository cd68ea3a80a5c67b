"""The ``gradlab`` command.

    gradlab [FILE]                     open a scenario (default: the lesson preset)
    gradlab --preset NAME              open a built-in scenario
    gradlab --screenshot PATH [FILE]   render the window off screen to a PNG and exit
    gradlab check …                    check every gradient from the shell (no Qt)

Qt is imported only after the arguments say a window is wanted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile

from gradlab.cli import COMMANDS
from gradlab.presets import PRESETS

TABS = {"charts": "charts", "backward": "formula", "train": "training", "your-turn": "exercise", "local": "jacobian"}


class UsageError(ValueError):
    """A command-line option that cannot be used; the message is one sentence."""


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gradlab", description="See backpropagation: nudge a cell, watch the loss move.",
                                 epilog="Commands that need no window: " + ", ".join(f"'gradlab {c} --help'" for c in COMMANDS) + ".")
    ap.add_argument("file", nargs="?", help="a scenario file (.json) to open")
    ap.add_argument("--preset", choices=list(PRESETS), help="open a built-in scenario")
    ap.add_argument("--screenshot", metavar="PATH", help="render the window off screen to this PNG and exit")
    ap.add_argument("--size", default="1280x800", help="window size for --screenshot, as WIDTHxHEIGHT (default 1280x800)")
    slides = ap.add_argument_group("slides", "what --screenshot shows (for handouts and the README)")
    slides.add_argument("--select", metavar="TENSOR[r,c]", help="the cell to inspect, e.g. w1[0,3] or b1[2] (default: a w1 "
                        "cell), or a computed cell whose gradient and local derivatives are shown, e.g. l1[0,2]")
    slides.add_argument("--watch", metavar="TENSOR[r,c]", help="the value the nudges are measured by, e.g. out[1,0] "
                        "(default: the loss)")
    slides.add_argument("--step", type=int, metavar="N", help="stop the backward pass after N calls (0: no .g yet)")
    slides.add_argument("--tab", choices=list(TABS), help="the panel shown beside the inspector (default: the charts)")
    slides.add_argument("--train", type=int, metavar="N", help="first take N steps of gradient descent (see --lr)")
    slides.add_argument("--lr", type=float, help="the learning rate for --train (default: the app's)")
    slides.add_argument("--answers", metavar="FILE", help="the learner's backward lines for Your turn, a text file of "
                        "'w1.g = …' lines as gradlab grade reads it")
    slides.add_argument("--theme", choices=["light", "dark"], default="light", help="high-contrast colours (default light)")
    slides.add_argument("--zoom", type=float, default=1.0, help="scale every font, e.g. 1.5 (default 1)")
    slides.add_argument("--presentation", action="store_true", help="as in presentation mode: no menu bar, zoomed by 1.5")
    return ap


def _cell(text: str) -> tuple[str, tuple[int, ...]]:
    """``w1[0,3]`` → ("w1", (0, 3))."""
    match = re.fullmatch(r"\s*([A-Za-z]\w*)\s*\[\s*(\d+(?:\s*,\s*\d+)?)\s*\]\s*", text)
    if not match:
        raise UsageError(f"--select must look like w1[0,3] or b1[2], not {text!r}")
    return match.group(1), tuple(int(i) for i in match.group(2).split(","))


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size must look like 1280x800, not {text!r}") from None
    if not (320 <= width <= 8192 and 240 <= height <= 8192):
        raise UsageError(f"--size {text} is outside 320x240 … 8192x8192")
    return width, height


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in COMMANDS:
        from gradlab.cli import main as command

        return command(argv)
    args = parser().parse_args(argv)
    if args.file and args.preset:
        print("gradlab: give a FILE or --preset, not both", file=sys.stderr)
        return 2
    try:
        size = _size(args.size)
        select = _cell(args.select) if args.select else None
    except UsageError as e:
        print(f"gradlab: {e}", file=sys.stderr)
        return 2
    if not args.screenshot:
        return run_window(args, size, select, None)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = tempfile.mkdtemp(prefix="gradlab-shot-")  # a slide neither reads nor changes your preferences
    os.environ["GRADLAB_DATA_DIR"] = scratch
    try:
        return run_window(args, size, select, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_window(args: argparse.Namespace, size: tuple[int, int], select: tuple[str, tuple[int, ...]] | None,
               scratch: str | None) -> int:
    """Build the window; show it, or, with ``--screenshot`` (preferences and data in ``scratch``), render it."""
    from PySide6.QtWidgets import QApplication

    from gradlab.memory import keep_freed_memory
    from gradlab.presets import preset
    from ui.main_window import MainWindow

    keep_freed_memory()  # an edit at the lesson's full size makes arrays of 157 MB again: on pages already mapped
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("GradLab")
    app.setOrganizationName("GradLab")
    if args.screenshot:
        from PySide6.QtCore import QSettings

        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, scratch)
    # shown live, the window paints the sheet first and builds the charts (and imports pyqtgraph) a moment later
    window = MainWindow(preset(args.preset) if args.preset else None, charts_later=not args.screenshot)
    if not args.screenshot:  # work crashes left behind comes back first; opening FILE then asks about it
        windows = recover(window)  # noqa: F841  held while the app runs: a window with no reference is collected
    if args.file and not window.open_file(args.file) and args.screenshot:
        print(f"gradlab: {window.status_message.text()}", file=sys.stderr)
        return 2
    if args.screenshot:
        try:
            return screenshot(window, args.screenshot, size, select, args)
        finally:  # the slide's training or lines are not the user's work: closing asks nothing about them
            window.files.stack.setClean()
            window.close()  # it writes its preferences into the scratch folder, which is then removed
    window.show()
    return app.exec()


def recover(window) -> list:
    """Offer the work every crashed GradLab left behind: the first restored copy goes into ``window``, each
    further one into a new window of its own.  Returns every window, ``window`` first."""
    from ui.main_window import MainWindow
    from ui.recovery import offer_recovery

    windows = [window]

    def another_window():
        windows.append(MainWindow())
        windows[-1].show()
        return windows[-1].files

    offer_recovery(window.files, another_window)
    return windows


def set_the_scene(window, args: argparse.Namespace, select: tuple[str, tuple[int, ...]]) -> None:
    """Put the window in the state a slide shows: the selected and watched cells, the learner's lines, some
    training, a step of the backward pass, a panel.  ``EditError`` (or a file's error) says what cannot be."""
    import time

    from PySide6.QtWidgets import QApplication

    from gradlab.errors import EditError
    from gradlab.grading import MAX_ANSWERS_BYTES, read_answers
    from gradlab.reading import read_text

    def wait_while(busy) -> None:  # the grading thread, the training run's turns
        while busy():
            QApplication.processEvents()
            time.sleep(0.01)

    session = window.session
    name, index = select
    if name in session.sheet.net.inputs():
        session.inspect(name, index)
    elif name.removesuffix(".g") in session.sheet.p.grads:  # a computed cell: its gradient and local derivatives
        session.explain(name, index)
        session.select(name, index)
    else:
        raise EditError(f"there is no tensor {name}: --select takes a cell of x, a w or a b to inspect, "
                        f"or of a computed tensor such as {session.sheet.net.activations()[0]} to explain")
    if args.watch:
        session.watch(args.watch)
    if args.answers:
        session.set_answers(read_answers(read_text(args.answers, MAX_ANSWERS_BYTES, "files of answers")))
    if args.train:
        if args.lr is not None:
            session.set_lr(args.lr)
        if not window.training.train_steps(args.train):
            raise EditError(window.status_message.text().rstrip("."))
        wait_while(lambda: window.training.running)
    wait_while(lambda: window.exercise.busy)
    if args.answers and window.exercise.grading is not None:  # the first line to fix, in the grid under the lines
        wrong = next((g.target for g in window.exercise.grading.grades if g.verdict == "wrong"), None)
        window.exercise.show_target(wrong)
    session.set_step(args.step)
    if args.tab:
        window.panels.show_panel(getattr(window, TABS[args.tab]))


def settle() -> None:
    """Let the layout requests and the fits they post run: a few turns of the event loop."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    for _ in range(5):
        QCoreApplication.sendPostedEvents()
        QApplication.processEvents()


def screenshot(window, path: str, size: tuple[int, int], select: tuple[str, tuple[int, ...]] | None,
               args: argparse.Namespace) -> int:
    """Render the window as a slide: a cell inspected (so the charts and highlights show), a step, a theme."""
    from PySide6.QtWidgets import QApplication

    from gradlab.errors import EditError, ScenarioError
    from gradlab.grading import AnswersError

    net = window.sheet.net
    if select is None:
        first_w = next(name for name in net.inputs() if name.startswith("w"))
        select = (first_w, (0, net.tensor(first_w).shape[1] - 1))
    if not 0.6 <= args.zoom <= 4:
        print(f"gradlab: --zoom must be between 0.6 and 4, not {args.zoom}", file=sys.stderr)
        return 2
    window.show()
    window.appearance.set_theme(args.theme)
    window.appearance.set_zoom(args.zoom)
    window.resize(*size)
    QApplication.processEvents()
    if args.presentation:
        window.appearance.set_presentation(True, full_screen=False)
        window.resize(*size)
        QApplication.processEvents()
    try:  # on the window as it will be drawn: stepping scrolls the sheet to what the call writes, as laid out now
        set_the_scene(window, args, select)
    except (EditError, ScenarioError, AnswersError) as e:
        print(f"gradlab: {e}", file=sys.stderr)
        return 2
    settle()
    window.fit_panels()
    settle()
    if not window.grab().save(path, "PNG"):
        print(f"gradlab: could not write {path}", file=sys.stderr)
        return 1
    print(path)
    return 0
