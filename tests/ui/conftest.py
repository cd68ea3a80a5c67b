"""Fixtures for the app's tests: a main window on the lesson preset, its grids and widgets by name."""

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox, QTableView

from ui import MainWindow


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own preferences and data folder: nothing leaks between tests or into the user's."""
    QCoreApplication.setOrganizationName("GradLab-tests")
    QCoreApplication.setApplicationName("GradLab-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("GRADLAB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(autouse=True)
def no_real_dialogs(monkeypatch):
    """Off screen a modal dialog waits forever: windows closed at teardown throw their unsaved work away.
    Tests that are about a question monkeypatch it themselves."""
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Discard)


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


def grid(window, name: str) -> QTableView:
    view = window.findChild(QTableView, f"grid:{name}")
    assert view is not None, f"no grid named grid:{name}"
    return view


def cell(window, name: str, row: int, col: int):
    view = grid(window, name)
    return view.model().index(row, col)


def label(window, name: str) -> QLabel:
    found = window.findChild(QLabel, name)
    assert found is not None, f"no label named {name}"
    return found


def shown(window, name: str) -> str:
    """What a reader sees in the label ``name``: its rich text without tags or entities."""
    document = QTextDocument()
    document.setHtml(label(window, name).text())
    return document.toPlainText().replace("\u00a0", " ")


def number(text: str) -> float:
    return float(text.replace("−", "-").split()[0])


DISPLAY, EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole
