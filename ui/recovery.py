"""Crash safety: unsaved work is copied to a recovery file a few seconds after each change.

    {"gradlab-recovery": 1, "file": "/path/it/came/from.json" or null, "scenario": {…a scenario, version 1…}}

The copy is taken on the GUI thread (``Network.copy``, quick) and written on a
thread of its own, one write after another, so an edit never waits for the
disk.  The file lives in ``$GRADLAB_DATA_DIR`` when that is set, else in the
application's data folder.  When the undo stack is clean there is nothing to
recover and the file goes; a window that closes normally removes it too.  So
a recovery file found at start-up means GradLab did not close normally, and
``offer_recovery`` asks whether to bring the work back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid

from gradlab.atomic import write_text_atomically
from gradlab.errors import ScenarioError
from gradlab.network import Network
from gradlab.scenario import MAX_BYTES, from_dict, to_dict
from gradlab.sheet import Sheet

if TYPE_CHECKING:
    from ui.file_actions import FileActions

FORMAT = 1
FILE_NAME = "recovery.json"
DELAY_MS = 3000


def data_folder() -> Path:
    folder = os.environ.get("GRADLAB_DATA_DIR")
    if folder:
        return Path(folder)
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def recovery_file() -> Path:
    return data_folder() / FILE_NAME


def write_recovery(path: Path, net: Network, original: Path | None) -> None:
    """Write the recovery file atomically: a temporary file beside it, renamed over it once whole."""
    text = json.dumps({"gradlab-recovery": FORMAT, "file": str(original) if original else None, "scenario": to_dict(net)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, text)


def remove_recovery(path: Path) -> str | None:
    """Delete the recovery file if it is there; returns a sentence saying why it could not be, or None."""
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        return f"Could not remove the recovery copy {path}: {e.strerror or e}."
    return None


def read_recovery(path: Path) -> tuple[Network, Path | None]:
    """The network and the file it came from, or ``ScenarioError`` with one sentence saying what is wrong."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError("it is too large to be GradLab's")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ScenarioError("it is not valid JSON") from None
    except OSError as e:
        raise ScenarioError(f"it cannot be read: {e.strerror or e}") from None
    if not isinstance(data, dict) or data.get("gradlab-recovery") != FORMAT:
        raise ScenarioError("it is not a GradLab recovery file")
    original = data.get("file")
    if original is not None and not isinstance(original, str):
        raise ScenarioError("the name of the file it came from is not text")
    return from_dict(data.get("scenario")), Path(original) if original else None


class Autosave(QObject):
    """Keeps a window's recovery file in step with its unsaved work.

    ``timer`` (single-shot, ``DELAY_MS``) restarts on every change; when it fires, a copy of
    the network is handed to the writing thread."""

    write_failed = Signal(str)

    def __init__(self, sheet: Sheet, stack: QUndoStack, current_file: Callable[[], Path | None],
                 path: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.sheet, self.stack, self.current_file = sheet, stack, current_file
        self.path = path if path is not None else recovery_file()
        self.timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self.timer.timeout.connect(self.write_soon)
        self._writer: ThreadPoolExecutor | None = None
        stack.indexChanged.connect(self._stack_changed)
        stack.cleanChanged.connect(self._stack_changed)

    def _stack_changed(self, *_) -> None:
        if not isValid(self) or not isValid(self.timer) or not isValid(self.stack):  # torn down with the window
            return
        if self.stack.isClean():
            self.timer.stop()
            self._submit(self._remove)
        else:
            self.timer.start()

    def write_soon(self) -> Future:
        """Copy the work now and write it on the writing thread; returns the pending write."""
        return self._submit(self._write, self.sheet.net.copy(), self.current_file())

    def _submit(self, job: Callable, *args) -> Future:
        if self._writer is None:  # one thread, so writes and removals happen in the order they were asked for
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradlab-recovery")
        return self._writer.submit(job, *args)

    def _write(self, net: Network, original: Path | None) -> None:
        try:
            write_recovery(self.path, net, original)
        except (OSError, ValueError) as e:
            self.write_failed.emit(f"Could not keep a recovery copy in {self.path.parent}: {getattr(e, 'strerror', None) or e}.")

    def _remove(self) -> None:
        if (failure := remove_recovery(self.path)) is not None:
            self.write_failed.emit(failure)

    def finish(self) -> None:
        """The window is closing normally: let pending writes end, then remove the file."""
        self.timer.stop()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        remove_recovery(self.path)  # a close never fails over it: at worst, the next start offers the copy again


def offer_recovery(files: FileActions) -> bool:
    """At start-up: if a recovery file exists, ask whether to restore it as the window's work.

    Yes loads it as unsaved work (one undo step); No deletes it; a broken file is
    reported on the status bar and deleted.  Returns True when work was restored."""
    path = recovery_file()
    if not path.exists():
        return False
    try:
        net, original = read_recovery(path)
    except ScenarioError as e:
        remove_recovery(path)
        files.message.emit(f"Unsaved work from last time could not be recovered, because {e}, so it was removed.")
        return False
    what = original.name if original else (net.title or "an untitled scenario")
    answer = QMessageBox.question(
        files.dialog_parent, "Recover unsaved work",
        f"GradLab did not close normally and kept your unsaved changes to {what}. Restore them?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    if answer != QMessageBox.StandardButton.Yes:
        remove_recovery(path)
        files.message.emit("The unsaved work from last time was discarded.")
        return False
    files.restore(net, original)
    files.message.emit(f"Restored the unsaved changes to {what}; save them to keep them.")
    return True
