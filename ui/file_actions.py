"""Opening and saving scenario files, and the window title that says which file is open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog
from shiboken6 import isValid

from gradlab.scenario import ScenarioError, load, save

FILE_FILTER = "GradLab scenarios (*.json);;All files (*)"


class FileActions(QObject):
    """File ▸ Open and Save As for one main window; the window's title follows the open file.

    A QObject child of the window, so its connections end when the window goes."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.path: Path | None = None
        self.open_action = QAction("&Open…", window, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_dialog)
        self.save_as_action = QAction("Save &As…", window, shortcut=QKeySequence.StandardKey.SaveAs)
        self.save_as_action.triggered.connect(self.save_as_dialog)
        menu = window.menus["File"]
        menu.addActions([self.open_action, self.save_as_action])
        window.undo_stack.cleanChanged.connect(self.update_title)
        self.update_title()

    def update_title(self, *_clean: bool) -> None:
        if not isValid(self.window):  # the undo stack announces it is clean again while the window is torn down
            return
        net = self.window.sheet.net
        name = self.path.name if self.path else (net.title or "untitled")
        self.window.setWindowTitle(f"{name} — GradLab")

    def forget_path(self) -> None:
        """A preset is not a file: Save must ask where."""
        self.path = None
        self.update_title()

    def open_file(self, path: str | Path) -> bool:
        """Load a scenario; a file that cannot be read changes nothing and says why."""
        try:
            net = load(path)
        except ScenarioError as e:
            self.window.say(f"Could not open it: {e}.")
            return False
        self.window.editor.replace(net, f"open {Path(path).name}")
        self.path = Path(path)
        self.update_title()
        self.window.say(f"Opened {self.path}.")
        return True

    def save_file(self, path: str | Path) -> bool:
        try:
            save(self.window.sheet.net, path)
        except OSError as e:
            self.window.say(f"Could not save {path}: {e.strerror or e}.")
            return False
        self.path = Path(path)
        self.window.undo_stack.setClean()
        self.update_title()
        self.window.say(f"Saved {self.path}.")
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open scenario", "", FILE_FILTER)
        if path:
            self.open_file(path)

    def save_as_dialog(self) -> None:
        start = str(self.path or "scenario.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save scenario", start, FILE_FILTER)
        if path:
            self.save_file(path)
