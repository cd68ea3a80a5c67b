"""The File menu: scenarios opened and saved, tensors to and from CSV, and work that is never lost.

Opening a file, loading a preset, dropping a file on the window and closing it all
ask first (Save / Discard / Cancel) when there are unsaved changes (the window asks
``closing()`` and hands drops to ``open_file``).  Loading is one
undo step that also remembers which file was open, so undo puts back the network
and the window's title together.  The title names the file and carries Qt's ``[*]``
mark while the undo stack is not clean.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget
from shiboken6 import isValid

from gradlab.csv_file import read_csv, write_csv
from gradlab.errors import EditError, ScenarioError
from gradlab.network import Network, Pass
from gradlab.npz_file import load_npz_scenario, save_npz
from gradlab.scenario import Scenario, load_scenario, save
from gradlab.session import Session
from ui.commands import Editor, ReplaceNetwork
from ui.preferences import Preferences
from ui.recovery import Autosave

SCENARIO_FILTER = "GradLab scenarios (*.json);;Scenarios as NumPy archives (*.npz);;All files (*)"
NPZ_FILTER = "Scenarios as NumPy archives (*.npz);;All files (*)"
CSV_FILTER = "Comma- or tab-separated values (*.csv *.tsv *.txt);;All files (*)"
SCENARIO_SUFFIXES = (".json", ".npz")
Button = QMessageBox.StandardButton


def read_scenario(path: Path) -> Scenario:
    """A .npz archive or a JSON scenario, by the file's suffix; ``ScenarioError`` says what is wrong."""
    return load_npz_scenario(path) if path.suffix.lower() == ".npz" else load_scenario(path)


def write_scenario(net: Network, path: Path, answers: dict[str, str] | None = None) -> None:
    """Written atomically, as .npz or JSON by the suffix, with the learner's ``answers``; ``ScenarioError``
    says why it could not be."""
    if path.suffix.lower() == ".npz":
        save_npz(net, path, answers)  # raises ScenarioError itself
        return
    try:
        save(net, path, answers)
    except OSError as e:
        raise ScenarioError(f"{path} cannot be written: {e.strerror or e}") from None


def dropped_scenario(mime: QMimeData) -> Path | None:
    """The one local .json or .npz file being dragged, or None."""
    urls = mime.urls() if mime.hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in SCENARIO_SUFFIXES else None


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


class LoadScenario(ReplaceNetwork):
    """Swap in a whole scenario, the learner's answers it holds (none for a preset) and the file it came from
    (None for a preset), so undo puts all three back."""

    def __init__(self, files: FileActions, net: Network, path: Path | None, text: str, p: Pass | None = None,
                 answers: dict[str, str] | None = None):
        super().__init__(files.sheet, net, text, p)
        self.files, self.new_path, self.old_path = files, path, files.path
        self.new_answers, self.old_answers = dict(answers or {}), files.session.answers

    def redo(self) -> None:
        super().redo()
        self.files.session.set_answers(self.new_answers)
        self.files.set_path(self.new_path)

    def undo(self) -> None:
        super().undo()
        self.files.session.set_answers(self.old_answers)
        self.files.set_path(self.old_path)


class FileActions(QObject):
    """The File menu's actions, the unsaved-changes question, the document's name and its recovery copy.

    It is handed what it works on, the session and the undo ``editor``, and a ``parent`` widget
    that its dialogs belong to; it tells the window what to show through ``message`` (a sentence for
    the status bar) and ``title_changed`` (the window's title and whether the work is unsaved)."""

    message = Signal(str)
    title_changed = Signal(str, bool)

    def __init__(self, session: Session, editor: Editor, preferences: Preferences, parent: QWidget):
        super().__init__(parent)
        self.session, self.sheet, self.editor, self.stack = session, session.sheet, editor, editor.stack
        self.dialog_parent = parent
        self.path: Path | None = None
        self.preferences = preferences
        keys = QKeySequence.StandardKey
        self.open_action = self._action("&Open…", self.open_dialog, keys.Open)
        self.recent_menu = QMenu("Recent &files", parent)
        self.recent_menu.aboutToShow.connect(self.rebuild_recent_menu)  # another window may have added one
        self.save_action = self._action("&Save", self.save, keys.Save)
        self.save_as_action = self._action("Save &As…", self.save_as_dialog, keys.SaveAs)
        self.import_csv_action = self._action("&Import tensor from CSV/TSV…", self.import_csv_dialog,
                                              tip="Replace the values of the selected grid with a table of its shape")
        self.export_csv_action = self._action("&Export tensor to CSV…", self.export_csv_dialog,
                                              tip="Write the selected grid, values or gradients, as comma-separated values")
        self.import_npz_action = self._action("Import scenario from .&npz…", lambda: self.open_dialog("Import scenario", NPZ_FILTER))
        self.export_npz_action = self._action("Export scenario as .n&pz…", self.export_npz_dialog)
        self.rebuild_recent_menu()
        self.stack.cleanChanged.connect(self.update_title)
        self.autosave = Autosave(self.sheet, self.stack, lambda: self.path, lambda: self.session.answers, parent=self)
        self.autosave.write_failed.connect(self.message)

    def fill_menu(self, menu: QMenu) -> None:
        """Put the actions in ``menu`` (the window's File menu), in the order a File menu has them."""
        menu.addAction(self.open_action)
        menu.addMenu(self.recent_menu)
        for pair in ((self.save_action, self.save_as_action), (self.import_csv_action, self.export_csv_action),
                     (self.import_npz_action, self.export_npz_action)):
            menu.addSeparator()
            menu.addActions(list(pair))

    def _action(self, text: str, slot, shortcut: QKeySequence.StandardKey | None = None, tip: str = "") -> QAction:
        action = QAction(text, self, toolTip=tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    # -- title and the unsaved-changes question ------------------------------------------

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.update_title()

    def forget_path(self) -> None:
        """The scenario no longer comes from a file (a new network): Save must ask where."""
        self.set_path(None)

    def update_title(self, *_clean: bool) -> None:
        if isValid(self) and isValid(self.stack):  # the undo stack announces it is clean again as it is torn down
            self.title_changed.emit(f"{self.document_name()}[*] — GradLab", not self.stack.isClean())

    def document_name(self) -> str:
        return self.path.name if self.path else (self.sheet.net.title or "untitled")

    def keep_or_discard(self) -> bool:
        """True when the work may be replaced or closed: it is saved, or the user saved or discarded it now."""
        if self.stack.isClean():
            return True
        answer = QMessageBox.question(
            self.dialog_parent, "Unsaved changes", f"{self.document_name()} has unsaved changes. Save them first?",
            Button.Save | Button.Discard | Button.Cancel, Button.Save)
        return self.save() if answer == Button.Save else answer == Button.Discard

    # -- loading and saving ------------------------------------------------------------------

    def load_network(self, net: Network, path: Path | None, text: str, answers: dict[str, str] | None = None) -> bool:
        """Replace the scenario and the learner's answers (one undo step) after the unsaved-changes question;
        False if the user cancels.

        All or nothing: the network is checked and run first (``Sheet.prepare``), and one that cannot run
        raises ``EditError`` with the sheet, the views and the undo history exactly as they were."""
        p = self.sheet.prepare(net)
        if not self.keep_or_discard():
            return False
        self.stack.push(LoadScenario(self, net, path, text, p, answers))
        self.stack.setClean()
        return True

    def restore(self, net: Network, path: Path | None, answers: dict[str, str] | None = None) -> None:
        """Bring back recovered work, answers and all: one undo step, unsaved until the user saves it."""
        self.stack.push(LoadScenario(self, net, path, "restore unsaved work", self.sheet.prepare(net), answers))
        self.stack.resetClean()  # no state on the stack matches a file now, not even the first
        self.update_title()

    def open_file(self, path: str | Path) -> bool:
        """Open a scenario (.json or .npz); a file that cannot be read changes nothing and says why."""
        path = Path(path)
        try:
            net, answers = read_scenario(path)
            loaded = self.load_network(net, path.absolute(), f"open {path.name}", answers)
        except (ScenarioError, EditError) as e:
            self.message.emit(f"Could not open it: {e}.")
            return False
        if not loaded:
            self.message.emit(f"Kept the current work; {path.name} was not opened.")
            return False
        self._remember(path)
        self.message.emit(f"Opened {path}.")
        return True

    def open_recent(self, path: str | Path) -> bool:
        path = Path(path)
        if path.is_file():
            return self.open_file(path)
        self.preferences.remove_recent_file(path)
        self.rebuild_recent_menu()
        self.message.emit(f"{path.name} is no longer in {path.parent}, so it was removed from the recent files.")
        return False

    def _remember(self, path: Path) -> None:
        self.preferences.add_recent_file(path)
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.preferences.recent_files()
        for number, path in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{number} {Path(path).name.replace('&', '&&')}")
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_recent(p))
        self.recent_menu.setEnabled(bool(paths))

    def save(self) -> bool:
        """Save to the open file, or ask where when there is none; False if nothing was saved."""
        return self.save_file(self.path) if self.path else self.save_as_dialog()

    def save_file(self, path: str | Path) -> bool:
        path = Path(path).absolute()
        try:
            write_scenario(self.sheet.net, path, self.session.answers)
        except ScenarioError as e:
            self.message.emit(f"Could not save: {e}.")
            return False
        loads = (self.stack.command(i) for i in range(self.stack.index() - 1, -1, -1))
        last_load = next((command for command in loads if isinstance(command, LoadScenario)), None)
        if last_load is not None:  # this scenario now belongs to the new file: redoing its load must say so
            last_load.new_path = path
        self.set_path(path)
        self.stack.setClean()
        self._remember(path)
        self.message.emit(f"Saved {path}.")
        return True

    def export_npz(self, path: str | Path) -> bool:
        """Write the scenario as .npz; the open file and the unsaved-changes mark stay as they are."""
        try:
            save_npz(self.sheet.net, path, self.session.answers)
        except ScenarioError as e:
            self.message.emit(f"Could not export: {e}.")
            return False
        self.message.emit(f"Exported the scenario to {path}.")
        return True

    # -- one tensor as CSV -----------------------------------------------------------------------

    def target_grid(self) -> str | None:
        """The grid of the cell last selected (``w1`` or ``w1.g``), if it still exists."""
        selected = self.session.selected
        return selected[0] if selected is not None else None

    def import_csv(self, name: str, path: str | Path) -> bool:
        """Replace every value of ``name`` with a table of exactly its grid's shape: one undo step, or nothing."""
        path, sheet = Path(path), self.sheet
        if not sheet.editable(name):
            self.message.emit(f"{name} is computed by the network; select a cell of x, y, a w or a b to import into.")
            return False
        try:
            table = read_csv(path)
        except ScenarioError as e:
            self.message.emit(f"Could not import into {name}: {e}.")
            return False
        shape = sheet.grid_shape(name)
        if table.shape != shape:
            self.message.emit(f"{path.name} is {shape_text(table.shape)} but {name} is {shape_text(shape)}, "
                              "so nothing was imported: the shapes must match exactly.")
            return False
        target = sheet.array(name)
        try:
            self.editor.set_block(name, (0,) * target.ndim, table.reshape(target.shape), f"import {name} from {path.name}")
        except EditError as e:
            self.message.emit(f"Could not import {path.name} into {name}: {e}.")
            return False
        self.message.emit(f"Imported {name} from {path.name}.")
        return True

    def export_csv(self, name: str, path: str | Path) -> bool:
        """Write the values (``w1``) or gradients (``w1.g``) of one grid, shaped as the grid shows them."""
        try:
            write_csv(path, self.sheet.array(name).reshape(self.sheet.grid_shape(name)))
        except ScenarioError as e:
            self.message.emit(f"Could not export {name}: {e}.")
            return False
        self.message.emit(f"Exported {name} to {path}.")
        return True

    # -- dialogs -----------------------------------------------------------------------------------

    def _folder(self) -> Path:
        recent = self.preferences.recent_files()
        return self.path.parent if self.path else Path(recent[0]).parent if recent else Path.home()

    def _ask_open(self, caption: str, file_filter: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, caption, str(self._folder()), file_filter)
        return Path(path) if path else None

    def _ask_save(self, caption: str, start: Path, file_filter: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.dialog_parent, caption, str(start), file_filter)
        return Path(path) if path else None

    def open_dialog(self, caption: str = "Open scenario", file_filter: str = SCENARIO_FILTER) -> None:
        if path := self._ask_open(caption, file_filter):
            self.open_file(path)

    def save_as_dialog(self) -> bool:
        path = self._ask_save("Save scenario", self.path or self._folder() / "scenario.json", SCENARIO_FILTER)
        if path is None:
            return False
        return self.save_file(path if path.suffix.lower() in SCENARIO_SUFFIXES else path.with_name(path.name + ".json"))

    def export_npz_dialog(self) -> None:
        start = self._folder() / f"{self.path.stem if self.path else 'scenario'}.npz"
        if path := self._ask_save("Export scenario", start, NPZ_FILTER):
            self.export_npz(path)

    def _csv_target(self) -> str | None:
        if (name := self.target_grid()) is None:
            self.message.emit("Click a cell of a grid first, then import or export that grid.")
        return name

    def import_csv_dialog(self) -> None:
        if (name := self._csv_target()) and (path := self._ask_open(f"Import {name} from CSV", CSV_FILTER)):
            self.import_csv(name, path)

    def export_csv_dialog(self) -> None:
        if (name := self._csv_target()) and (path := self._ask_save(f"Export {name} to CSV", self._folder() / f"{name}.csv",
                                                                    CSV_FILTER)):
            self.export_csv(name, path)

    # -- the window's last moments ------------------------------------------------------------------

    def closing(self) -> bool:
        """The window is asked to close: False keeps it open (the user cancelled over unsaved work)."""
        if self.dialog_parent.isVisible() and not self.keep_or_discard():
            return False
        self.autosave.finish()
        return True
