"""An edit's new numbers lay nothing out again (``ui/steady.py``), and a label that outgrows its room still gets it."""

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from tests.ui.conftest import EDIT, cell, label, shown
from ui.steady import Steady


class LayoutRequests(QObject):
    """Counts the layout requests each watched widget hears."""

    def __init__(self, widgets):
        super().__init__()
        self.heard = {w.objectName(): 0 for w in widgets}
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.heard[watched.objectName()] += 1
        return False


def settle(qtbot) -> None:
    for _ in range(4):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    qtbot.wait(1)


def test_an_edit_changes_the_numbers_but_lays_out_nothing_above_them(window, qtbot):
    window.inspect("w1", (0, 0))
    model = window.sheet_view.models["x"]
    for value in (0.51, 0.52):  # the first edits may widen a number once
        model.setData(cell(window, "x", 0, 0), value, EDIT)
        settle(qtbot)
    watched = [window.inspector, window.formula, *window.findChildren(QSplitter)]
    requests = LayoutRequests(watched)
    before = {name: shown(window, name) for name in ("loss-before", "central-quotient", "central-verdict", "explanation")}

    model.setData(cell(window, "x", 0, 0), 0.53, EDIT)
    settle(qtbot)

    after = {name: shown(window, name) for name in before}
    assert all(after[name] != before[name] for name in before), "the edit should have changed every one of these"
    assert requests.heard == {name: 0 for name in requests.heard}
    for name in before:  # and each shows in full
        held = label(window, name)
        needed = held.heightForWidth(held.width()) if held.wordWrap() else held.sizeHint().height()
        assert held.height() >= needed


def _panel(qtbot, text: str, wrap: bool) -> tuple[QWidget, QLabel, Steady]:
    panel = QWidget()
    qtbot.addWidget(panel)
    column = QVBoxLayout(panel)
    held = QLabel(text)
    held.setWordWrap(wrap)
    steady = Steady(held)
    column.addWidget(steady)
    column.addStretch(1)
    panel.resize(200, 300)
    panel.show()
    qtbot.waitExposed(panel)
    settle(qtbot)
    return panel, held, steady


def test_a_wrapped_label_that_needs_more_lines_gets_them_and_gives_them_back(qtbot):
    _panel_, held, _steady = _panel(qtbot, "one line", wrap=True)
    one_line = held.height()
    held.setText("a sentence long enough to need three or four lines in a label only two hundred pixels wide")
    settle(qtbot)
    assert held.height() > 2 * one_line
    assert held.height() >= held.heightForWidth(held.width())
    held.setText("one line again")
    settle(qtbot)
    assert held.height() == one_line


def test_a_number_that_grows_wider_than_its_room_gets_the_room(qtbot):
    panel, held, steady = _panel(qtbot, "0.5", wrap=False)
    steady.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # exactly as wide as it asks
    panel.layout().setAlignment(steady, Qt.AlignmentFlag.AlignLeft)
    settle(qtbot)
    narrow = held.width()
    held.setText("−0.0004416997094123")
    settle(qtbot)
    assert held.width() > narrow
    assert held.width() >= held.sizeHint().width()
