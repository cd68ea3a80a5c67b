"""Every panel is built from a Session and a Sheet alone, with no main window, and follows the session itself."""

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from gradlab import preset
from gradlab.session import Session
from gradlab.sheet import Sheet
from ui.appearance import Appearance
from ui.charts import NudgeCharts
from ui.commands import Editor
from ui.file_actions import FileActions
from ui.formula_panel import FormulaPanel
from ui.inspector import Inspector
from ui.loss_display import LossDisplay
from ui.network_actions import NetworkActions
from ui.preferences import Preferences
from ui.sheet_view import SheetView
from ui.stepper import Stepper


@pytest.fixture
def parts(qtbot):
    sheet = Sheet(preset("lesson"))
    session = Session(sheet)
    host = QWidget()  # only a parent for dialogs and actions: nothing reads it
    qtbot.addWidget(host)
    editor = Editor(sheet, QUndoStack(host))
    said: list[str] = []
    views = {
        "sheet": SheetView(session, editor),
        "inspector": Inspector(session, editor),
        "charts": NudgeCharts(session),
        "formula": FormulaPanel(session),
        "loss": LossDisplay(session),
        "stepper": Stepper(session),
    }
    for view in views.values():
        qtbot.addWidget(view)
    files = FileActions(session, editor, Preferences(), host)
    network = NetworkActions(session, editor, files.load_network, host)
    for part in (views["sheet"], views["inspector"], files, network):
        part.message.connect(said.append)
    return session, editor, views, files, network, said


def test_each_panel_follows_the_session_it_was_handed(parts, qtbot):
    session, editor, views, _files, network, _said = parts
    views["charts"].show()  # charts redraw on the next turn of the event loop, and only when shown
    session.inspect("w1", (0, 3))
    sheet = session.sheet
    assert views["inspector"].fields["analytic-gradient"].text() == f"{sheet.p.grads['w1'][0, 3]:.10g}"
    qtbot.waitUntil(lambda: views["charts"].analytic_line.value() == sheet.p.grads["w1"][0, 3])
    assert views["formula"].highlighted_lines() == ["w1.g = (x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)"]
    grid = views["sheet"].views["w1"]
    assert views["sheet"].models["w1"].cell(grid.currentIndex()) == (0, 3)  # the grid selects the inspected cell
    assert network.reshapes["add-hidden-unit"][1].isEnabled()  # w1[0,3] stands for hidden unit 3

    editor.set_cell("x", (0, 0), 2.0)
    assert views["loss"].value.text() == f"{float(sheet.p.loss):.8g}".replace("-", "−")
    session.set_step(1)
    assert "step 1 of 8" in views["stepper"].label.text()  # 4 calls of the backward pass, then 4 updates
    assert views["sheet"].boxes["out.g"].mark == "written"
    session.set_eps(1e-5)
    assert views["inspector"].epsilon.value() == pytest.approx(1e-5) and views["charts"].eps == 1e-5


def test_a_nudge_is_an_edit_through_the_editor_and_the_session_keeps_its_record(parts):
    session, editor, views, _files, _network, said = parts
    session.inspect("b1", (1,))
    before = session.sheet.net.tensor("b1")[1]
    views["inspector"].nudge(1e-3)
    assert session.sheet.net.tensor("b1")[1] == before + 1e-3 and editor.stack.count() == 1
    assert session.last_nudge is not None and session.last_nudge.eps == 1e-3
    assert said[-1] == "Nudged b1[1] by +0.001." and "Last nudge: b1[1] += 0.001" in views["inspector"].last_nudge.text()


def test_files_and_appearance_need_no_window(parts, tmp_path, qtbot):
    session, _editor, _views, files, _network, said = parts
    titles = []
    files.title_changed.connect(lambda title, modified: titles.append((title, modified)))
    session.sheet.set_cell("x", (0, 0), 3.0)
    assert files.save_file(tmp_path / "alone.json") and titles[-1] == ("alone.json[*] — GradLab", False)
    assert said[-1].startswith("Saved")
    root = QWidget()
    qtbot.addWidget(root)
    appearance = Appearance(root, Preferences())
    zooms = []
    appearance.zoom_changed.connect(zooms.append)
    appearance.set_zoom(1.5)
    assert zooms == [1.5] and root.font().pointSizeF() == pytest.approx(1.5 * appearance.base_point_size)


def test_a_panel_that_goes_stops_listening(parts):
    session, editor, *_ = parts
    charts = NudgeCharts(session)
    charts.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not isValid(charts)
    session.inspect("w2", (1, 0))  # would call into a deleted widget, and raise, if it still listened
    editor.set_cell("x", (1, 1), 0.25)
    assert np.isfinite(session.sheet.p.loss)
