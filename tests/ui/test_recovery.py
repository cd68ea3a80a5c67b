"""Crash safety: unsaved work reaches the recovery file off the GUI thread, and comes back after a real crash."""

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from gradlab import preset, save
from tests.ui.conftest import EDIT, cell, grid, label
from ui import MainWindow, recovery
from ui.commands import SetAnswers
from ui.launch import recover
from ui.recovery import offer_recovery, orphans, read_recovery, recovery_file, write_recovery

Button = QMessageBox.StandardButton
ROOT = Path(__file__).resolve().parents[2]
EDITED = 0.1 + 0.2  # 0.30000000000000004: any rounding on the way would show


@pytest.fixture
def answers(monkeypatch):
    """Questions asked, answered from a queue (Discard once it is empty, for windows torn down after a test)."""
    asked: list[str] = []
    queued: list[Button] = []

    def question(parent, title, text, *args):
        asked.append(text)
        return queued.pop(0) if queued else Button.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked, queued


@pytest.fixture
def fast(window):
    window.files.autosave.timer.setInterval(50)
    return window


def edit(window, value=EDITED, row=0, col=1) -> None:
    assert grid(window, "w1").model().setData(cell(window, "w1", row, col), value, EDIT)


def orphan(net, original=None, name="recovery-424242-0badf00d-1.json") -> Path:
    """A recovery file as a GradLab process that has since died left it: its lock file is gone."""
    path = recovery_file().parent / name
    write_recovery(path, net, original)
    return path


def test_each_window_has_its_own_recovery_file_in_the_data_folder(tmp_path, qtbot):
    first, second = build_window(qtbot), build_window(qtbot)
    paths = first.files.autosave.path, second.files.autosave.path
    assert paths[0] != paths[1]
    for path in paths:
        assert path.parent == tmp_path / "data"  # GRADLAB_DATA_DIR, set by tests/ui/conftest.py
        assert path.name.startswith(f"recovery-{os.getpid()}-") and path.suffix == ".json"


def test_work_is_written_after_the_delay_not_during_the_edit(window, qtbot, answers):
    path = window.files.autosave.path
    edit(window)
    assert not path.exists() and window.files.autosave.timer.isActive()
    assert window.files.autosave.timer.interval() == recovery.DELAY_MS
    window.files.autosave.timer.setInterval(50)
    edit(window, 0.5, 1, 1)  # another change restarts the wait
    qtbot.waitUntil(path.exists)
    net, original, _ = read_recovery(path)
    assert net.tensor("w1")[0, 1] == EDITED and net.tensor("w1")[1, 1] == 0.5 and original is None


def test_the_write_happens_on_another_thread_and_never_holds_up_an_edit(fast, qtbot, monkeypatch, answers):
    started, release, threads = threading.Event(), threading.Event(), []

    def slow_write(path, net, original, answers):
        threads.append(threading.current_thread())
        started.set()
        release.wait(10)  # a disk that takes its time
        write_recovery(path, net, original, answers)

    monkeypatch.setattr(recovery, "write_recovery", slow_write)
    edit(fast)
    qtbot.waitUntil(started.is_set)
    edit(fast, 0.75, 2, 2)  # the GUI thread edits while the write is stuck
    assert fast.sheet.net.tensor("w1")[2, 2] == 0.75
    assert not fast.files.autosave.path.exists()
    release.set()
    qtbot.waitUntil(fast.files.autosave.path.exists)
    assert threads[0] is not threading.main_thread()
    qtbot.waitUntil(lambda: len(threads) == 2)  # the second edit is written too, after the first
    qtbot.waitUntil(lambda: read_recovery(fast.files.autosave.path)[0].tensor("w1")[2, 2] == 0.75)


def test_a_recovery_copy_that_cannot_be_written_is_reported(fast, qtbot, tmp_path, answers):
    (tmp_path / "a file").write_text("not a folder")
    fast.files.autosave.path = tmp_path / "a file" / "recovery.json"
    edit(fast)
    qtbot.waitUntil(lambda: label(fast, "status-message").text().startswith("Could not keep a recovery copy in"))
    assert label(fast, "status-message").text().endswith(".")
    assert fast.sheet.net.tensor("w1")[0, 1] == EDITED  # the edit stands
    assert fast.close()  # and so does a close, though the copy cannot be removed


def test_a_clean_stack_has_nothing_to_recover(fast, qtbot, tmp_path, answers):
    path = fast.files.autosave.path
    edit(fast)
    qtbot.waitUntil(path.exists)
    fast.undo_stack.undo()
    qtbot.waitUntil(lambda: not path.exists())
    edit(fast)
    qtbot.waitUntil(path.exists)
    fast.files.save_file(tmp_path / "saved.json")
    qtbot.waitUntil(lambda: not path.exists())


@pytest.mark.parametrize("answer", [Button.Discard, Button.Save])
def test_a_normal_close_removes_the_file(fast, qtbot, tmp_path, answers, answer):
    asked, queued = answers
    fast.files.set_path(tmp_path / "mine.json")
    edit(fast)
    qtbot.waitUntil(fast.files.autosave.path.exists)
    queued.append(answer)
    assert fast.close()
    assert not fast.files.autosave.path.exists()
    assert (tmp_path / "mine.json").exists() == (answer == Button.Save)


def test_cancelling_the_close_keeps_the_file(fast, qtbot, answers):
    edit(fast)
    qtbot.waitUntil(fast.files.autosave.path.exists)
    answers[1].append(Button.Cancel)
    assert not fast.close()
    assert fast.files.autosave.path.exists()


def build_window(qtbot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    return window


def test_yes_restores_the_work_as_one_unsaved_step(qtbot, tmp_path, answers):
    net = preset("lesson")
    net.layers[0].w[0, 1] = EDITED
    left = orphan(net, tmp_path / "mine.json")
    answers[1].append(Button.Yes)
    window = build_window(qtbot)
    assert offer_recovery(window.files)
    assert "mine.json" in answers[0][0]
    assert window.sheet.net.tensor("w1")[0, 1] == EDITED
    assert window.undo_stack.count() == 1 and window.isWindowModified()
    assert window.files.path == tmp_path / "mine.json" and window.windowTitle().startswith("mine.json")
    assert not left.exists() and orphans() == []  # the copy is this window's own now: never offered twice
    assert read_recovery(window.files.autosave.path)[0].tensor("w1")[0, 1] == EDITED
    window.undo_stack.undo()  # back to the lesson: still unsaved, since the restored work is not in any file
    assert window.isWindowModified() and window.files.autosave.path.exists()


def test_the_learners_lines_are_kept_with_the_work_and_restored(fast, qtbot, answers):
    lines = {"out.g": "2. * (out - y) / out.numel()", "w1.g": "x.t() @ l1.g"}
    fast.exercise_answers = None
    fast.undo_stack.push(SetAnswers(fast.session, lines, "write my lines"))
    qtbot.waitUntil(fast.files.autosave.path.exists)
    net, _, kept = read_recovery(fast.files.autosave.path)
    assert kept == lines
    answers[1].append(Button.Yes)
    window = build_window(qtbot)
    (fast.files.autosave.path).rename(recovery_file().parent / "recovery-424242-0badf00d-1.json")
    assert offer_recovery(window.files)
    assert window.session.answers == lines


def test_no_deletes_the_file(qtbot, answers):
    left = orphan(preset("mazur"))
    answers[1].append(Button.No)
    window = build_window(qtbot)
    assert not offer_recovery(window.files)
    assert answers[0] and not left.exists()
    assert window.sheet.net.title == preset("lesson").title and window.undo_stack.count() == 0


@pytest.mark.parametrize("content", ['{"gradlab-recovery": 1, "scenario": {"gradlab": 1', '{"gradlab-recovery": 1, "scenario": []}',
                                     '{"something": "else"}', "\udcff"])
def test_a_broken_recovery_file_is_refused_with_a_sentence(qtbot, answers, content):
    left = recovery_file().parent / "recovery-424242-0badf00d-1.json"
    left.parent.mkdir(parents=True)
    left.write_bytes(content.encode("utf-8", "surrogateescape"))
    window = build_window(qtbot)
    assert not offer_recovery(window.files)
    assert answers[0] == []  # nothing to ask about
    assert not left.exists()
    message = label(window, "status-message").text()
    assert message.startswith("Unsaved work from last time could not be recovered, because ") and message.endswith(".")
    assert window.undo_stack.count() == 0


def test_a_recovery_file_that_is_a_fifo_or_a_device_is_refused_without_waiting(qtbot, answers):
    folder = recovery_file().parent
    folder.mkdir(parents=True)
    os.mkfifo(folder / "recovery-424242-0badf00d-1.json")  # no writer: reading it would wait forever
    (folder / "recovery-424243-0badf00d-1.json").symlink_to("/dev/zero")  # reading it would never end
    window = build_window(qtbot)
    assert not offer_recovery(window.files)
    assert answers[0] == [] and orphans() == []
    assert "is a device, not a file" in label(window, "status-message").text() or "FIFO" in label(
        window, "status-message").text()


def test_nothing_to_offer_without_a_file(qtbot, answers):
    assert not offer_recovery(build_window(qtbot).files)
    assert answers[0] == []


def test_every_orphan_is_offered_and_the_old_single_file_too(qtbot, tmp_path, answers):
    asked, queued = answers
    left = [orphan(preset("mazur"), tmp_path / "newest.json", name="recovery-4242-0badf00d-1.json"),
            orphan(preset("neuron"), tmp_path / "middle.json", name="recovery-4243-0badf00d-7.json"),
            orphan(preset("classifier"), tmp_path / "oldest.json", name="recovery.json")]  # what GradLab kept before
    for age, path in enumerate(left):
        os.utime(path, (1e9 - age, 1e9 - age))  # offered most recent first
    first, second = build_window(qtbot), build_window(qtbot)
    queued += [Button.Yes, Button.No, Button.Yes]
    opened = []
    assert offer_recovery(first.files, open_window=lambda: opened.append(second) or second.files)
    assert [text.split("changes to ")[1].split(". ")[0] for text in asked] == ["newest.json", "middle.json", "oldest.json"]
    assert opened == [second]  # the second Yes needed a window of its own
    assert (first.files.path.name, second.files.path.name) == ("newest.json", "oldest.json")
    assert second.sheet.net.loss == "cross_entropy" and first.sheet.net.title == preset("mazur").title
    assert orphans() == [] and not any(path.exists() for path in left)


def test_at_start_up_each_restored_copy_gets_a_window_of_its_own(qtbot, tmp_path, answers):
    asked, queued = answers
    orphan(preset("mazur"), tmp_path / "a.json", name="recovery-4242-0badf00d-1.json")
    orphan(preset("neuron"), tmp_path / "b.json", name="recovery-4243-0badf00d-1.json")
    queued += [Button.Yes, Button.Yes]
    windows = recover(build_window(qtbot))  # what ui.launch does before the event loop starts
    for window in windows[1:]:
        qtbot.addWidget(window)
    assert len(asked) == 2 and len(windows) == 2 and orphans() == []
    assert sorted(w.files.path.name for w in windows) == ["a.json", "b.json"]
    assert all(w.isWindowModified() for w in windows)


def test_without_a_second_window_the_rest_wait_for_the_next_start(qtbot, tmp_path, answers):
    asked, queued = answers
    orphan(preset("mazur"), tmp_path / "a.json", name="recovery-4242-0badf00d-1.json")
    orphan(preset("neuron"), tmp_path / "b.json", name="recovery-4243-0badf00d-1.json")
    queued.append(Button.Yes)
    window = build_window(qtbot)
    assert offer_recovery(window.files)
    assert len(asked) == 1 and len(orphans()) == 1
    assert "1 more copy of unsaved work will be offered at the next start" in label(window, "status-message").text()


CRASHING_APP = """
import sys, time
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from ui.main_window import MainWindow

app = QApplication(sys.argv[:1])
app.setOrganizationName("GradLab-crash-test")
app.setApplicationName("GradLab-crash-test")
window = MainWindow()
window.files.autosave.timer.setInterval(100)
assert window.open_file(sys.argv[1])
model = window.sheet_view.models["w1"]
assert model.setData(model.index(0, 1), float(sys.argv[2]), Qt.ItemDataRole.EditRole)
deadline = time.monotonic() + 60
while not window.files.autosave.path.exists():
    if time.monotonic() > deadline:
        sys.exit("the recovery file never appeared")
    app.processEvents()
    time.sleep(0.01)
print("ready", flush=True)
time.sleep(600)
"""


def test_work_survives_a_real_crash(qtbot, tmp_path, answers):
    original = tmp_path / "mine.json"
    save(preset("lesson").astype("float64"), original)
    script = tmp_path / "crashing_app.py"
    script.write_text(CRASHING_APP)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    child = subprocess.Popen([sys.executable, str(script), str(original), repr(EDITED)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(child.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=120)
        assert line == "ready\n", child.stderr.read() if child.poll() is not None else line
        written = list((tmp_path / "data").glob(f"recovery-{child.pid}-*.json"))
        assert len(written) == 1  # the running app's own file, named for its process
        assert orphans() == []  # and never offered while that process runs
    finally:
        child.kill()  # SIGKILL: no clean-up of any kind runs
        child.wait(30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode != 0
    assert len(orphans()) == 1 and orphans()[0].name.startswith(f"recovery-{child.pid}-")

    answers[1].append(Button.Yes)
    window = build_window(qtbot)
    assert offer_recovery(window.files)  # what ui.launch.main does after building its window
    restored = window.sheet.net.tensor("w1")
    assert restored[0, 1].tobytes() == np.float64(EDITED).tobytes()
    expected = preset("lesson").tensor("w1").copy()
    expected[0, 1] = EDITED
    assert restored.tobytes() == expected.tobytes()
    assert window.files.path == original and window.isWindowModified()
    assert "mine.json" in answers[0][0]
