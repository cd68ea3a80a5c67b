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
import sys

from gradlab.presets import PRESETS


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gradlab", description="See backpropagation: nudge a cell, watch the loss move.",
                                 epilog="Run 'gradlab check --help' to check a scenario's gradients from the shell.")
    ap.add_argument("file", nargs="?", help="a scenario file (.json) to open")
    ap.add_argument("--preset", choices=list(PRESETS), help="open a built-in scenario")
    ap.add_argument("--screenshot", metavar="PATH", help="render the window off screen to this PNG and exit")
    ap.add_argument("--size", default="1280x800", help="window size for --screenshot, as WIDTHxHEIGHT (default 1280x800)")
    return ap


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"gradlab: --size must look like 1280x800, not {text!r}") from None
    if not (320 <= width <= 8192 and 240 <= height <= 8192):
        raise SystemExit(f"gradlab: --size {text} is outside 320x240 … 8192x8192")
    return width, height


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:
        from gradlab.cli import main as check

        return check(argv[1:])
    args = parser().parse_args(argv)
    if args.file and args.preset:
        print("gradlab: give a FILE or --preset, not both", file=sys.stderr)
        return 2
    size = _size(args.size)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from gradlab.presets import preset
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("GradLab")
    app.setOrganizationName("GradLab")
    window = MainWindow(preset(args.preset) if args.preset else None)
    if args.file and not window.open_file(args.file) and args.screenshot:
        print(f"gradlab: {window.status_message.text()}", file=sys.stderr)
        return 2
    if args.screenshot:
        return screenshot(window, args.screenshot, size)
    window.show()
    return app.exec()


def screenshot(window, path: str, size: tuple[int, int]) -> int:
    """Render the window with a weight cell inspected, so the charts and highlights show."""
    from PySide6.QtWidgets import QApplication

    window.resize(*size)
    window.show()
    first_w = next(name for name in window.sheet.net.inputs() if name.startswith("w"))
    shape = window.sheet.net.tensor(first_w).shape
    window.inspect(first_w, (0, shape[1] - 1))
    QApplication.processEvents()
    window.refresh()
    QApplication.processEvents()
    if not window.grab().save(path, "PNG"):
        print(f"gradlab: could not write {path}", file=sys.stderr)
        return 1
    print(path)
    return 0
