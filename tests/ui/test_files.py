"""The File menu as a user meets it: save and open, recent files, the unsaved-changes question, drops, CSV and .npz."""

import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from gradlab import preset, save
from gradlab.csv_file import read_csv, write_csv
from gradlab.npz_file import save_npz
from gradlab.scenario import load
from tests.ui.conftest import EDIT, cell, grid, label
from ui import MainWindow
from ui.commands import SetAnswers
from ui.preferences import Preferences

Button = QMessageBox.StandardButton
ROOT = Path(__file__).resolve().parents[2]


class Dialogs:
    """Stand-ins for the static dialogs: answers are queued by the test, and every question is recorded."""

    def __init__(self, monkeypatch):
        self.answers: list[Button] = []
        self.questions: list[str] = []
        self.paths: list[str] = []
        self.file_dialogs: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", self._question)
        monkeypatch.setattr(QFileDialog, "getOpenFileName", self._file)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self._file)

    def _question(self, parent, title, text, *args):
        self.questions.append(text)
        return self.answers.pop(0) if self.answers else Button.Discard  # a window torn down after the test

    def _file(self, parent, caption, *args):
        self.file_dialogs.append(caption)
        return (self.paths.pop(0) if self.paths else ""), ""


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


def status(window) -> str:
    return label(window, "status-message").text()


def assert_one_sentence(text: str) -> None:
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text, text


def assert_same_network(a, b) -> None:
    """Bit for bit: every tensor's dtype, shape and bytes."""
    for name in ["y", *a.inputs()]:
        left, right = a.tensor(name), b.tensor(name)
        assert (left.dtype, left.shape) == (right.dtype, right.shape), name
        assert left.tobytes() == right.tobytes(), name
    assert (a.loss, a.reduction, a.title) == (b.loss, b.reduction, b.title)


def edit(window, name="w1", row=0, col=1, value=1 / 3) -> None:
    assert grid(window, name).model().setData(cell(window, name, row, col), value, EDIT)


def select(window, name, row=0, col=0) -> None:
    view = grid(window, name)
    view.setCurrentIndex(view.model().index(row, col))


# -- save and open -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_save_then_open_round_trips_bit_for_bit(window, tmp_path, dtype):
    window.set_dtype(dtype)
    edit(window, value=1 / 3)
    edit(window, "x", 1, 2, -2.0e-7)
    expected = window.sheet.net.copy()
    path = tmp_path / "work.json"
    assert window.files.save_file(path)
    assert window.load_preset("mazur")
    assert window.open_file(path)
    assert_same_network(window.sheet.net, expected)
    assert window.sheet.net.dtype == np.dtype(dtype)


def test_save_asks_where_only_when_there_is_no_file_yet(window, tmp_path, dialogs):
    dialogs.paths.append(str(tmp_path / "first"))  # no suffix: .json is added
    window.files.save_action.trigger()
    assert dialogs.file_dialogs == ["Save scenario"]
    path = tmp_path / "first.json"
    assert window.files.path == path and path.exists()
    edit(window, value=0.75)
    window.files.save_action.trigger()
    assert dialogs.file_dialogs == ["Save scenario"]  # no second question
    assert load(path).layers[0].w[0, 1] == 0.75
    assert not window.isWindowModified()
    dialogs.paths.append(str(tmp_path / "second.json"))
    window.files.save_as_action.trigger()
    assert len(dialogs.file_dialogs) == 2 and window.files.path == tmp_path / "second.json"


def test_the_shortcuts_are_the_platforms(window):
    files = window.files
    assert files.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert files.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert files.save_as_action.shortcut() == QKeySequence(QKeySequence.StandardKey.SaveAs)
    assert files.open_action in window.menus["File"].actions()


def test_title_names_the_file_and_marks_unsaved_changes(window, tmp_path):
    assert window.windowTitle() == f"{preset('lesson').title}[*] — GradLab"
    assert not window.isWindowModified()
    edit(window)
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert not window.isWindowModified()
    edit(window)
    window.files.save_file(tmp_path / "mine.json")
    assert window.windowTitle() == "mine.json[*] — GradLab" and not window.isWindowModified()
    assert window.load_preset("mazur")
    assert window.windowTitle().startswith(preset("mazur").title) and not window.isWindowModified()
    window.open_file(tmp_path / "mine.json")
    window.files.forget_path()  # a new network built in the app belongs to no file
    assert window.windowTitle().startswith(preset("lesson").title) and window.files.path is None


def test_a_file_that_cannot_be_saved_says_why_and_stays_unsaved(window, tmp_path):
    edit(window)
    assert not window.files.save_file(tmp_path / "no such folder" / "x.json")
    assert_one_sentence(status(window))
    assert "cannot be written" in status(window)
    assert window.isWindowModified() and window.files.path is None


# -- recent files -----------------------------------------------------------------------------------


def scenario_files(tmp_path, count: int) -> list:
    paths = [tmp_path / f"s{k}.json" for k in range(count)]
    for path in paths:
        save(preset("neuron"), path)
    return paths


def recent_names(window) -> list[str]:
    return [action.text().split(" ", 1)[1] for action in window.files.recent_menu.actions()]


def test_recent_files_most_recent_first_at_most_eight_and_shared_by_windows(window, tmp_path, qtbot):
    a, b, c = scenario_files(tmp_path, 3)
    for path in (a, b, c, a):
        assert window.open_file(path)
    assert recent_names(window) == ["s0.json", "s2.json", "s1.json"]
    other = MainWindow()
    qtbot.addWidget(other)
    assert recent_names(other) == ["s0.json", "s2.json", "s1.json"]
    other.files.recent_menu.actions()[1].trigger()
    assert other.files.path == c
    for path in scenario_files(tmp_path, 10):
        window.open_file(path)
    assert len(Preferences().recent_files()) == 8
    assert recent_names(window)[0] == "s9.json"


def test_a_recent_file_that_is_gone_is_removed_with_a_message(window, tmp_path):
    a, b = scenario_files(tmp_path, 2)
    window.open_file(a)
    window.open_file(b)
    b.unlink()
    before = window.sheet.net
    window.files.recent_menu.actions()[0].trigger()
    assert window.sheet.net is before
    assert "s1.json is no longer in" in status(window) and "removed from the recent files" in status(window)
    assert recent_names(window) == ["s0.json"]
    assert Preferences().recent_files() == [str(a)]


# -- the unsaved-changes question -------------------------------------------------------------------


def do(action: str, window, other, qtbot, dialogs) -> bool:
    if action == "close":
        return window.close()
    if action == "open":
        return window.open_file(other)
    if action == "drop":
        send_drop(window, other)
        qtbot.waitUntil(lambda: dialogs.questions != [])  # asked once the drop is over
        return window.files.path == other
    return window.load_preset("mazur")


@pytest.mark.parametrize("action", ["close", "open", "preset", "drop"])
@pytest.mark.parametrize("answer", [Button.Save, Button.Discard, Button.Cancel])
def test_unsaved_work_is_saved_discarded_or_kept_as_the_user_says(window, tmp_path, qtbot, dialogs, action, answer):
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    save(preset("neuron"), other)
    window.files.save_file(mine)
    edit(window, value=0.123)
    before, values, title = window.sheet.net, window.sheet.net.copy(), window.windowTitle()
    dialogs.answers.append(answer)
    done = do(action, window, other, qtbot, dialogs)
    assert len(dialogs.questions) == 1 and "mine.json has unsaved changes" in dialogs.questions[0]
    saved = load(mine).layers[0].w[0, 1]
    if answer == Button.Cancel:
        assert not done
        assert window.sheet.net is before and window.isVisible() and window.isWindowModified()
        assert_same_network(window.sheet.net, values)
        assert window.windowTitle() == title and window.files.path == mine
        assert saved != 0.123
    else:
        assert done
        assert saved == (0.123 if answer == Button.Save else preset("lesson").layers[0].w[0, 1])
        assert (window.sheet.net is before) == (action == "close")


def test_cancelling_the_save_dialog_cancels_the_close(window, dialogs):
    edit(window)
    dialogs.answers.append(Button.Save)
    assert not window.close()  # Save asks where; the user cancels that too
    assert dialogs.file_dialogs == ["Save scenario"]
    assert window.isVisible() and window.isWindowModified()


def test_no_question_when_the_work_is_saved(window, tmp_path, dialogs):
    save(preset("neuron"), tmp_path / "n.json")
    assert window.open_file(tmp_path / "n.json")
    assert window.load_preset("mazur")
    assert window.close()
    assert dialogs.questions == []


# -- drag and drop ---------------------------------------------------------------------------------


def mime_for(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def send_drop(window, path) -> bool:
    """Drag ``path`` over the window and drop it there, as a file manager does."""
    if not drag_enter_accepted(window, path):
        return False
    mime = mime_for(path)  # the event does not own it: keep it alive while the event is delivered
    event = QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def drag_enter_accepted(window, path) -> bool:
    mime = mime_for(path)
    event = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_dropping_a_scenario_opens_it(window, tmp_path, qtbot, suffix):
    path = tmp_path / f"dropped{suffix}"
    (save_npz if suffix == ".npz" else save)(preset("neuron"), path)
    assert send_drop(window, path)
    qtbot.waitUntil(lambda: window.files.path == path)
    assert_same_network(window.sheet.net, preset("neuron"))


def test_other_files_are_not_taken(window, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert not drag_enter_accepted(window, path)


# -- files that cannot be read, and undo of a load ----------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [("broken.json", b'{"gradlab": 1, "x": [[1'), ("broken.npz", b"PK\x03\x04junk"),
                                               ("missing.json", None)])
def test_a_file_that_cannot_be_read_leaves_the_work_untouched(window, tmp_path, dialogs, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    edit(window, value=0.5)
    before, values, steps = window.sheet.net, window.sheet.net.copy(), window.undo_stack.count()
    assert not window.open_file(path)
    assert window.sheet.net is before
    assert_same_network(window.sheet.net, values)
    assert window.undo_stack.count() == steps and window.isWindowModified()
    assert dialogs.questions == []  # the file is read before anyone is asked to give up their work
    assert status(window).startswith("Could not open it:")
    assert_one_sentence(status(window))


def test_undo_of_a_load_restores_the_network_and_its_file(window, tmp_path, dialogs):
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    save(preset("neuron"), other)
    window.files.save_file(mine)
    edit(window, value=0.25)
    before, values = window.sheet.net, window.sheet.net.copy()
    dialogs.answers.append(Button.Discard)
    assert window.open_file(other)
    window.undo_stack.undo()
    assert window.sheet.net is before
    assert_same_network(window.sheet.net, values)
    assert window.files.path == mine and window.windowTitle().startswith("mine.json")
    assert window.isWindowModified()
    window.undo_stack.redo()
    assert window.files.path == other and not window.isWindowModified()


def test_after_save_as_redoing_the_load_keeps_the_new_file(window, tmp_path):
    a = tmp_path / "a.json"
    save(preset("neuron"), a)
    window.open_file(a)
    window.files.save_file(tmp_path / "b.json")
    window.undo_stack.undo()
    assert window.files.path is None
    window.undo_stack.redo()
    assert window.files.path == tmp_path / "b.json" and not window.isWindowModified()


# -- one tensor as CSV, the whole scenario as .npz ----------------------------------------------------


def test_csv_import_into_the_selected_tensor_is_one_undo_step(window, tmp_path, dialogs):
    table = np.arange(12).reshape(3, 4) / 7 - 0.5
    path = tmp_path / "w1.csv"
    write_csv(path, table)
    old = window.sheet.net.tensor("w1").copy()
    select(window, "w1", 1, 1)
    dialogs.paths.append(str(path))
    window.files.import_csv_action.trigger()
    assert window.sheet.net.tensor("w1").tobytes() == table.tobytes()
    assert window.undo_stack.count() == 1 and window.isWindowModified()
    window.undo_stack.undo()
    assert window.sheet.net.tensor("w1").tobytes() == old.tobytes()


def test_csv_import_of_a_bias_takes_one_row(window, tmp_path):
    path = tmp_path / "b1.tsv"
    path.write_text("0.5\t-1\t2\t3.25\n")
    select(window, "b1")
    assert window.files.import_csv(window.files.target_grid(), path)
    np.testing.assert_array_equal(window.sheet.net.tensor("b1"), [0.5, -1, 2, 3.25])


@pytest.mark.parametrize(("text", "message"), [("1,2,3\n4,5,6\n", "2×3 but w1 is 3×4"),
                                               ("1,2,3,4\n5,x,7,8\n9,10,11,12\n", "row 2, column 2 is “x”, not a number"),
                                               ("", "empty")])
def test_a_csv_that_does_not_fit_changes_nothing(window, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    old = window.sheet.net.tensor("w1").copy()
    select(window, "w1")
    assert not window.files.import_csv("w1", path)
    assert message in status(window)
    assert_one_sentence(status(window))
    assert window.sheet.net.tensor("w1").tobytes() == old.tobytes()
    assert window.undo_stack.count() == 0


def test_csv_import_needs_an_editable_grid(window, tmp_path, dialogs):
    window.files.import_csv_action.trigger()
    assert "Click a cell of a grid first" in status(window) and dialogs.file_dialogs == []
    write_csv(tmp_path / "g.csv", np.zeros((3, 4)))
    select(window, "w1.g")
    assert not window.files.import_csv("w1.g", tmp_path / "g.csv")
    assert "w1.g is computed by the network" in status(window)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["w1", "w1.g", "b1.g", "out"])
def test_csv_export_of_values_and_gradients_reads_back_bit_for_bit(window, tmp_path, dialogs, dtype, name):
    window.set_dtype(dtype)
    edit(window, value=1 / 3)
    select(window, name)
    path = tmp_path / "out.csv"
    dialogs.paths.append(str(path))
    window.files.export_csv_action.trigger()
    array = window.sheet.array(name)
    back = read_csv(path).astype(array.dtype)
    assert back.shape == (array.shape if array.ndim == 2 else (1, array.size))
    assert back.tobytes() == array.tobytes()


def test_npz_export_then_import_round_trips(window, tmp_path, dialogs):
    window.set_dtype("float32")
    edit(window, value=1 / 3)
    expected = window.sheet.net.copy()
    path = tmp_path / "scenario.npz"
    dialogs.paths.append(str(path))
    window.files.export_npz_action.trigger()
    assert window.isWindowModified() and window.files.path is None  # an export is not a save
    dialogs.answers.append(Button.Discard)
    window.load_preset("classifier")
    dialogs.paths.append(str(path))
    window.files.import_npz_action.trigger()
    assert_same_network(window.sheet.net, expected)
    assert window.files.path == path


# -- preferences ---------------------------------------------------------------------------------------


def test_layout_and_epsilon_persist_across_windows(window, qtbot):
    """The offscreen screen is 800 px wide, narrower than the window may be: heights and splitters tell."""
    window.resize(1200, 555)
    window.inspector.epsilon.setValue(1e-3)
    qtbot.waitUntil(lambda: window.height() == 555)
    window.main_splitter.setSizes([150, 350])
    window.bottom_splitter.setSizes([300, 400, 400])
    sizes = window.main_splitter.sizes(), window.bottom_splitter.sizes()[:-1]  # the last pane takes up the width
    assert window.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.inspector.epsilon.value() == 1e-3
    second.show()
    qtbot.waitUntil(lambda: second.height() == 555)
    qtbot.waitUntil(lambda: (second.main_splitter.sizes(), second.bottom_splitter.sizes()[:-1]) == sizes)
    second.showMaximized()
    assert second.close()
    third = MainWindow()
    qtbot.addWidget(third)
    third.show()
    assert third.isMaximized()


def test_preferences_are_typed_with_defaults(isolated_settings):
    prefs = Preferences()
    assert prefs.path.parent.parent == isolated_settings / "settings"  # the folder tests isolate, as QSettings would
    assert (prefs.zoom(), prefs.epsilon(), prefs.geometry(), prefs.recent_files()) == (1.0, None, None, [])
    prefs.set_zoom(1.25)
    prefs.set_epsilon(1e-5)
    prefs.set_geometry(QByteArray(b"\x00\x01layout\xff"))
    prefs.set_splitter_state("main", QByteArray(b"\x02"))
    assert (Preferences().zoom(), Preferences().epsilon()) == (1.25, 1e-5)
    assert Preferences().geometry() == QByteArray(b"\x00\x01layout\xff")
    assert Preferences().splitter_state("main") == QByteArray(b"\x02")
    prefs.set_value("view/zoom", "large")
    prefs.set_value("inspector/epsilon", -1)
    prefs.set_value("files/recent", "/one/file.json")
    prefs.set_value("window/geometry", "not base64!")
    assert (prefs.zoom(), prefs.epsilon(), prefs.recent_files(), prefs.geometry()) == (1.0, None, ["/one/file.json"], None)


def test_preferences_are_a_plain_text_file_of_json_values(isolated_settings):
    prefs = Preferences()
    odd = str(isolated_settings / "new\nline \udcff.json")  # a newline and an undecodable byte: legal in a name
    prefs.add_recent_file(odd)
    prefs.set_zoom(1.5)
    text = prefs.path.read_text(encoding="ascii")
    assert text.splitlines()[:2] == ["[files]", f"recent={json.dumps([odd])}"] and "zoom=1.5" in text
    assert Preferences().recent_files() == [odd]


class _Command:
    """A pickle that runs a shell command when it is unpickled."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def planted_variant(marker) -> str:
    """A ``@Variant(…)`` value as PySide6 writes a Python object into an INI file: a pickle, escaped."""
    payload = pickle.dumps(_Command(f"touch {marker}"), protocol=4)
    raw = b"\0\0\0\x7f\0\0\0\x18PySide::PyObjectWrapper\0" + struct.pack(">I", len(payload)) + payload
    return "@Variant(" + "".join(f"\\x{b:02x}" for b in raw) + ")"


READ_WITH_QSETTINGS = """
import sys
from PySide6.QtCore import QCoreApplication, QSettings
app = QCoreApplication([])
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "GradLab-tests", "GradLab-tests").value("files/recent")
"""


def test_a_planted_pickle_in_the_preferences_never_runs(isolated_settings, tmp_path, qtbot):
    marker = tmp_path / "pwned"
    path = Preferences().path
    path.parent.mkdir(parents=True)
    path.write_text(f"[files]\nrecent={planted_variant(marker)}\n[view]\nzoom=1.5\n", encoding="ascii")
    # the planted value is live: QSettings.value(), as GradLab used to read it, runs the command
    done = subprocess.run([sys.executable, "-c", READ_WITH_QSETTINGS, str(isolated_settings / "settings")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert marker.exists()
    marker.unlink()
    with pytest.warns(UserWarning, match="ignored the preference files/recent.*not plain data"):
        window = MainWindow()
    qtbot.addWidget(window)
    assert not marker.exists()
    assert Preferences().recent_files() == [] and Preferences().zoom() == 1.5  # the plain value next to it is kept
    Preferences().set_zoom(2.0)
    assert "@Variant" not in path.read_text()  # the next write keeps plain data only
    assert not marker.exists()


def test_preferences_that_are_not_a_file_are_ignored_with_a_warning(isolated_settings, qtbot):
    path = Preferences().path
    path.parent.mkdir(parents=True)
    os.mkfifo(path)  # reading a FIFO with no writer would hang the app as it starts
    with pytest.warns(UserWarning, match="ignored its preferences: .* is a named pipe"):
        assert Preferences().zoom() == 1.0


def test_a_screenshot_leaves_no_scratch_folder(tmp_path):
    shots = tmp_path / "tmp"
    shots.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               TMPDIR=str(shots))
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "--screenshot", str(tmp_path / "shot.png")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "shot.png").exists()
    assert list(shots.iterdir()) == []  # the gradlab-shot-* folder with its preferences and data is gone


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_the_learners_lines_are_saved_with_the_scenario_and_come_back_when_it_is_opened(window, tmp_path, suffix):
    lines = {"out.g": "2. * (out - y) / out.numel()", "w1.g": "x.t() @ l1.g"}
    window.undo_stack.push(SetAnswers(window.session, lines, "write my lines"))
    path = tmp_path / f"mine{suffix}"
    assert window.files.save_file(path)
    assert window.load_preset("mazur") and window.session.answers == {}  # another network: its own lines, none yet
    window.undo_stack.undo()
    assert window.session.answers == lines  # undoing the load brings the lines back with the network
    window.undo_stack.redo()
    assert window.files.open_file(path)
    assert window.session.answers == lines and window.sheet.net.title == preset("lesson").title


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_file_too_big_to_run_is_refused_and_the_work_and_its_history_stay(window, tmp_path, suffix, qtbot):
    """The issue's first hostile file: l1 would be 10⁶ × 10⁶.  Opening it changes nothing, and the edits made
    before it still undo and redo."""
    size = 10**5 if suffix == ".json" else 10**6  # a million rows would already be too many JSON numbers
    path = tmp_path / f"huge{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps({"gradlab": 1, "x": [[0.0]] * size, "y": [0] * size, "loss": "cross_entropy",
                                    "layers": [{"type": "linear", "w": [[0.0] * size], "b": [0.0] * size},
                                               {"type": "relu"},
                                               {"type": "linear", "w": [[0.0, 0.0]] * size, "b": [0.0, 0.0]}]}))
    else:
        meta = {"gradlab": 1, "dtype": "float32", "layers": [{"type": "linear"}, {"type": "relu"}, {"type": "linear"}]}
        zeros = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731  20 MB unpacked, some 40 KB packed
        np.savez_compressed(path, x=zeros(size, 1), y=zeros(size, 1), w1=zeros(1, size), b1=zeros(size),
                            w2=zeros(size, 1), b2=zeros(1), meta=np.array(json.dumps(meta)))
    window.files.autosave.timer.setInterval(10)
    edit_cells = [("w1", 0, 1, 0.25), ("b1", 0, 2, -0.5)]
    for name, row, col, value in edit_cells:
        assert grid(window, name).model().setData(cell(window, name, row, col), value, EDIT)
    qtbot.waitUntil(window.files.autosave.path.exists)
    qtbot.wait(50)  # the second write lands
    before, recovered = window.sheet.net.copy(), window.files.autosave.path.read_bytes()
    steps, title = window.undo_stack.count(), window.windowTitle()

    assert not window.files.open_file(path)
    assert_one_sentence(status(window))
    assert f"l1 would be {size:,} × {size:,}" in status(window) and "GradLab works up to" in status(window)
    assert window.sheet.net.tensor("w1").tobytes() == before.tensor("w1").tobytes()
    assert window.undo_stack.count() == steps and window.windowTitle() == title
    qtbot.wait(50)
    assert window.files.autosave.path.read_bytes() == recovered

    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.sheet.net.tensor("w1")[0, 1] == preset("lesson").tensor("w1")[0, 1]
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert window.sheet.net.tensor("w1")[0, 1] == 0.25 and window.sheet.net.tensor("b1")[2] == -0.5
