"""Crash safety: unsaved work is copied to a recovery file a few seconds after each change.

    {"gradlab-recovery": 1, "file": "/path/it/came/from.json" or null,
     "scenario": {…a scenario, version 1, with the learner's answers…}}

Each window has a recovery file of its own, ``recovery-<pid>-<token>-<n>.json``:
the process's id, a token drawn when the process first needs one (so a later
process that happens to get the same id never takes the file over), and the
window's number.  While a process runs it holds a lock on
``recovery-<pid>-<token>.lock``; the system releases it however the process
ends.  So two GradLab processes never write each other's files, and a
recovery file whose lock is free was left by a process that is gone.

The copy is taken on the GUI thread (``Network.copy``, quick) and written on a
thread of its own, one write after another, so an edit never waits for the
disk.  The files live in ``$GRADLAB_DATA_DIR`` when that is set, else in the
application's data folder.  When the undo stack is clean there is nothing to
recover and the file goes; a window that closes normally removes it too.  So
a recovery file found at start-up without a live owner means GradLab did not
close normally, and ``offer_recovery`` asks, for each one, whether to bring the
work back.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid

from gradlab import strict_json
from gradlab.atomic import write_text_atomically
from gradlab.errors import ScenarioError
from gradlab.network import Network
from gradlab.reading import read_bytes
from gradlab.scenario import MAX_JSON_BYTES, scenario_from_dict, to_dict
from gradlab.sheet import Sheet

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

if TYPE_CHECKING:
    from ui.file_actions import FileActions

FORMAT = 1
LEGACY_NAME = "recovery.json"  # the one file GradLab kept before each window had its own
DELAY_MS = 3000
_NAME = re.compile(r"recovery-(?P<owner>[0-9]+-[0-9a-f]+)-[0-9]+\.json")
_state = threading.Lock()
_owner: tuple[int, str] | None = None  # (pid, token) of this process
_locks: dict[Path, int] = {}  # descriptors of the lock files this process holds, by path: held until it ends
_windows = itertools.count(1)


def data_folder() -> Path:
    folder = os.environ.get("GRADLAB_DATA_DIR")
    if folder:
        return Path(folder)
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def owner() -> str:
    """This process's name on its recovery files: its id and a token of its own."""
    global _owner
    with _state:
        if _owner is None or _owner[0] != os.getpid():  # a forked child is an owner of its own
            _owner = (os.getpid(), secrets.token_hex(4))
        return f"{_owner[0]}-{_owner[1]}"


def recovery_file() -> Path:
    """A recovery file for one more window of this process, in the data folder, not yet taken."""
    folder, me = data_folder(), owner()
    while True:
        path = folder / f"recovery-{me}-{next(_windows)}.json"
        if not path.exists():
            return path


def _lock_file(folder: Path, who: str) -> Path:
    return folder / f"recovery-{who}.lock"


def _try_lock(fd: int) -> bool:
    """Take the lock on an open lock file without waiting; False if another process holds it."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def hold_lock(folder: Path) -> None:
    """Hold this process's lock in ``folder`` (from the first write there until the process ends)."""
    path = _lock_file(folder, owner())
    with _state:
        if path in _locks:
            return
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)  # open while the process lives
        if not _try_lock(fd):
            os.close(fd)
            raise OSError(f"{path.name} is locked by another process")
        _locks[path] = fd


def _alive(folder: Path, who: str) -> bool:
    """Whether the process that wrote files as ``who`` still runs: its lock is held (by it, or by us)."""
    path = _lock_file(folder, who)
    if path in _locks:
        return True
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: never offer what might be someone else's live work
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)  # which lets go of a lock taken only to test it


def orphans(folder: Path | None = None) -> list[Path]:
    """Recovery files whose process is gone, most recent first (the old single file among them)."""
    folder = data_folder() if folder is None else folder
    try:
        names = [p for p in folder.iterdir() if p.name == LEGACY_NAME or _NAME.fullmatch(p.name)]
    except OSError:
        return []
    found = []
    for path in names:
        match = _NAME.fullmatch(path.name)
        if match is None or not _alive(folder, match["owner"]):
            try:
                found.append((path.stat().st_mtime, path))
            except OSError:
                continue
    return [path for _, path in sorted(found, reverse=True)]


def _forget_dead_locks(folder: Path) -> None:
    """Remove the lock files of processes that are gone and left no recovery file behind."""
    try:
        locks = list(folder.glob("recovery-*.lock"))
        left = {m["owner"] for p in folder.iterdir() if (m := _NAME.fullmatch(p.name))}
    except OSError:
        return
    for path in locks:
        who = path.name.removeprefix("recovery-").removesuffix(".lock")
        if who not in left and not _alive(folder, who):
            path.unlink(missing_ok=True)


def write_recovery(path: Path, net: Network, original: Path | None, answers: dict[str, str] | None = None) -> None:
    """Write the recovery file atomically: a temporary file beside it, renamed over it once whole.

    The process's lock in that folder is taken first, so no other GradLab ever offers the file
    while this one runs."""
    scenario = to_dict(net, answers)
    text = json.dumps({"gradlab-recovery": FORMAT, "file": str(original) if original else None, "scenario": scenario})
    hold_lock(path.parent)
    write_text_atomically(path, text)


def remove_recovery(path: Path) -> str | None:
    """Delete the recovery file if it is there; returns a sentence saying why it could not be, or None."""
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        return f"Could not remove the recovery copy {path}: {e.strerror or e}."
    return None


def read_recovery(path: Path) -> tuple[Network, Path | None, dict[str, str]]:
    """The network, the file it came from and the learner's answers, or ``ScenarioError`` with one sentence
    saying what is wrong."""
    data = strict_json.loads(read_bytes(path, MAX_JSON_BYTES + 2**16, "recovery files"))  # "it is not valid JSON: …"
    version = data.get("gradlab-recovery") if isinstance(data, dict) else None
    if type(version) is not int or version != FORMAT:
        raise ScenarioError("it is not a GradLab recovery file")
    original = data.get("file")
    if original is not None and not isinstance(original, str):
        raise ScenarioError("the name of the file it came from is not text")
    net, answers = scenario_from_dict(data.get("scenario"))
    return net, Path(original) if original else None, answers


class Autosave(QObject):
    """Keeps a window's recovery file in step with its unsaved work.

    ``timer`` (single-shot, ``DELAY_MS``) restarts on every change; when it fires, a copy of
    the network is handed to the writing thread."""

    write_failed = Signal(str)

    def __init__(self, sheet: Sheet, stack: QUndoStack, current_file: Callable[[], Path | None],
                 answers: Callable[[], dict[str, str]] = dict, path: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.sheet, self.stack, self.current_file, self.answers = sheet, stack, current_file, answers
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
        return self._submit(self._write, self.sheet.net.copy(), self.current_file(), self.answers())

    def _submit(self, job: Callable, *args) -> Future:
        if self._writer is None:  # one thread, so writes and removals happen in the order they were asked for
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradlab-recovery")
        return self._writer.submit(job, *args)

    def _write(self, net: Network, original: Path | None, answers: dict[str, str]) -> None:
        try:
            write_recovery(self.path, net, original, answers)
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


def offer_recovery(files: FileActions, open_window: Callable[[], FileActions] | None = None) -> bool:
    """At start-up: for each recovery file a process that is gone left behind, ask whether to restore it.

    Yes loads it into the window of ``files`` as unsaved work (one undo step), and the file becomes that
    window's own recovery file; a second Yes goes to the files of a window from ``open_window()``, or,
    without it, the rest wait for the next start.  No deletes the file; a broken file is reported on the status bar and
    deleted.  Returns True when any work was restored."""
    folder = data_folder()
    targets = iter([files])
    restored, waiting = False, 0
    for path in orphans(folder):
        try:
            net, original, answers = read_recovery(path)
        except ScenarioError as e:
            remove_recovery(path)
            files.message.emit(f"Unsaved work from last time could not be recovered, because {e}, so it was removed.")
            continue
        what = original.name if original else (net.title or "an untitled scenario")
        target = next(targets, None) or (open_window() if open_window is not None else None)
        if target is None:
            waiting += 1
            continue
        answer = QMessageBox.question(
            target.dialog_parent, "Recover unsaved work",
            f"GradLab did not close normally and kept your unsaved changes to {what}. Restore them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            remove_recovery(path)
            files.message.emit("The unsaved work from last time was discarded.")
            targets = iter([target])  # the window is still free for the next one
            continue
        target.restore(net, original, answers)
        try:  # the copy on disk is this window's now, until its own first write replaces it
            hold_lock(target.autosave.path.parent)
            os.replace(path, target.autosave.path)
        except OSError:
            remove_recovery(path)
        target.message.emit(f"Restored the unsaved changes to {what}; save them to keep them.")
        restored = True
    if waiting:
        files.message.emit(f"{waiting} more {'copy' if waiting == 1 else 'copies'} of unsaved work will be offered "
                   "at the next start.")
    _forget_dead_locks(folder)
    return restored
