"""Usable without a mouse and without sight: every control has a name, cells and verdicts read as sentences,
and Tab alone walks the whole window, with a focus ring that can be seen.

What a screen reader gets is read through Qt's own accessibility interfaces (``QAccessible``), the
way Orca, NVDA or VoiceOver get it; the controls are found by walking the widget tree, so a control
added later without a name fails here.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollBar,
    QTabBar,
    QTextBrowser,
    QToolBar,
    QWidget,
)

from ui.cell_look import contrast, format_value
from ui.keyboard_focus import focus_chain
from ui.sheet_view import TensorView

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractSlider, QLineEdit)
NAME = QAccessible.Text.Name


def spoken(widget: QWidget) -> str:
    """What a screen reader announces as the widget's name."""
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None and interface.isValid(), f"{widget.objectName()} has no accessible interface"
    return interface.text(NAME)


def controls(root: QWidget) -> list[QWidget]:
    """Every control a user can operate under ``root``: not Qt's own parts (a spin box's line edit, a table's
    corner button), which speak through the control they belong to."""
    return [w for w in root.findChildren(QWidget) if isinstance(w, CONTROLS) and not isinstance(w, QScrollBar)
            and not w.objectName().startswith("qt_") and w.focusProxy() is None
            and not isinstance(w.parentWidget(), QTabBar)]  # a tab bar's scroll arrows, named by Qt


def test_every_control_has_an_accessible_name(window):
    found = controls(window)
    unnamed = []
    for w in found:
        name = w.accessibleName() or (spoken(w) if isinstance(w, QAbstractButton) else "")
        if not name.strip():
            unnamed.append(f"{type(w).__name__} {w.objectName()!r} under {w.parentWidget().objectName()!r}")
    assert not unnamed, "no accessible name: " + "; ".join(unnamed)
    # the walk did reach each part the issue names
    parts = {"toolbar": window.findChild(QToolBar, "toolbar"), "stepper": window.stepper,
             "inspector": window.inspector, "training": window.training, "exercise": window.exercise,
             "sheet": window.sheet_view}
    for part, root in parts.items():
        assert any(root.isAncestorOf(w) for w in found), f"no control of the {part} was checked"
    toolbar = parts["toolbar"]
    assert {spoken(w) for w in found if toolbar.isAncestorOf(w) and isinstance(w, QAbstractButton)} >= {
        "Open", "Save", "Undo", "Redo"}
    assert {w.accessibleName() for w in found if isinstance(w, QComboBox) and toolbar.isAncestorOf(w)} == {
        "Preset", "Loss over the batch", "Precision"}  # a drop-down's own name, not its current item


def test_the_toolbar_drop_downs_are_labelled_by_their_captions(window):
    toolbar = window.findChild(QToolBar, "toolbar")
    buddies = {label.buddy().objectName(): label.text().strip() for label in toolbar.findChildren(QLabel) if label.buddy()}
    assert buddies == {"preset": "Preset", "reduction": "Loss over the batch", "dtype": "Precision"}


# -- cells -------------------------------------------------------------------------------------------

def cell_said(window, grid: str, row: int, column: int) -> str:
    """What the screen reader reads for one cell of a grid: the table's child in the Cell role at that place."""
    view = window.sheet_view.views[grid]
    table = QAccessible.queryAccessibleInterface(view)
    cells = [table.child(k) for k in range(table.childCount()) if table.child(k).role() == QAccessible.Role.Cell]
    columns = view.model().columnCount()
    assert len(cells) == view.model().rowCount() * columns
    return cells[row * columns + column].text(NAME)


def test_a_cell_reads_its_name_value_gradient_and_what_it_moves(window, qtbot):
    net, p = window.sheet.net, window.sheet.p
    window.inspect("w1", (0, 3))
    # w1[0,3] feeds unit 3 of l1 through x[:,0]; the ReLU passes it on in the rows where l1[:,3] > 0,
    # and w2[3,0] carries those rows to out
    l1 = net.x @ net.layers[0].w + net.layers[0].b
    rows = np.flatnonzero((l1[:, 3] > 0) & (net.x[:, 0] != 0) & (net.layers[2].w[3, 0] != 0))
    assert rows.tolist() == [1, 2]
    moves = ", ".join(f"out[{r},0]" for r in rows)
    assert cell_said(window, "w1", 0, 3) == (
        f"w1 row 0 column 3, value {format_value(net.layers[0].w[0, 3])}, gradient {format_value(p.grads['w1'][0, 3])}, "
        f"inspected, moves {moves}")
    assert cell_said(window, "w1", 2, 0) == (
        f"w1 row 2 column 0, value {format_value(net.layers[0].w[2, 0])}, gradient {format_value(p.grads['w1'][2, 0])}")
    assert cell_said(window, "l1", 1, 3).endswith("moved by w1[0,3]")
    blocked = cell_said(window, "l2", 0, 3)
    assert "reached by w1[0,3] but not moved" in blocked and "relu input −0.75 < 0" in blocked
    assert cell_said(window, "b1", 0, 2).startswith("b1 entry 2, value −1.0000")

    window.stepper.go(0)  # stepping: no .g is written yet, and the cells say so rather than a gradient
    assert "gradient" not in cell_said(window, "w1", 2, 0)
    assert cell_said(window, "w1.g", 2, 0) == "w1.g is not computed yet: step on through the backward pass"
    window.stepper.go(None)

    before = cell_said(window, "w1", 0, 3)
    window.nudge(0.5)  # what a screen reader hears follows an edit
    assert cell_said(window, "w1", 0, 3) != before and "value 0.8000" in cell_said(window, "w1", 0, 3)


# -- the verdict ---------------------------------------------------------------------------------------

def plain(label: QLabel) -> str:
    return html.unescape(re.sub("<[^>]+>", "", label.text())).replace("\u00a0", " ").strip()


def test_the_inspectors_verdict_reads_as_text(window, qtbot):
    inspector = window.inspector
    verdict, forward = inspector.verdict, inspector.fields["fd-verdict"]
    window.inspect("w1", (0, 3))
    said = spoken(verdict)
    assert said == verdict.accessibleName() and "<" not in said
    assert said.startswith("verdict, central quotient: agrees: off by")
    assert plain(verdict).endswith(said.removeprefix("verdict, central quotient: "))  # the words on screen, all of them
    assert spoken(forward).startswith("forward quotient agrees: off by")
    assert verdict.accessibleDescription() and forward.accessibleDescription()  # what the row is, after its name

    window.session.set_eps(1e-13)  # round-off swamps the forward quotient: the words follow
    qtbot.waitUntil(lambda: "can't be judged" in spoken(forward))

    window.stepper.go(0)
    assert spoken(verdict) == plain(verdict) == (
        f"w1.g is written at step {window.session.written_at('w1.g')}: step on through the backward pass to compare it "
        "with the nudge")
    assert spoken(forward) == ""  # nothing to judge yet, and nothing stale is read out
    window.stepper.go(None)
    window.session.inspect(None)
    assert spoken(verdict) == "" and plain(verdict) == ""


# -- Tab alone -----------------------------------------------------------------------------------------

def tab_walk(window, qtbot, start: QWidget, key=Qt.Key.Key_Tab, limit: int = 2000, at_each=None) -> list[QWidget]:
    """Press ``key`` on whatever has the focus until the focus comes back to ``start``; every stop in order.
    ``at_each(widget)`` is called at every stop the keys reached."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus)
    stops = [start]
    for _ in range(limit):
        QApplication.processEvents()
        qtbot.keyClick(QApplication.focusWidget(), key)
        now = QApplication.focusWidget()
        if at_each is not None:
            at_each(now)
        if now is start:
            return stops
        stops.append(now)
    pytest.fail(f"Tab never came back to {start.objectName()}: stuck at {QApplication.focusWidget().objectName()}")


def runs(stops: list[QWidget]) -> list[QWidget]:
    """The widgets in the order Tab visits them, each run of presses within one grid counted once."""
    return [w for k, w in enumerate(stops) if k == 0 or stops[k - 1] is not w]


def first_toolbar_control(window) -> QWidget:
    toolbar = window.findChild(QToolBar, "toolbar")
    return next(w for w in focus_chain(window) if toolbar.isAncestorOf(w)
                and w.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus and w.isEnabled())


def part_of(window, widget: QWidget) -> str | None:
    parts = {"toolbar": window.findChild(QToolBar, "toolbar"), "stepper": window.stepper, "sheet": window.sheet_view,
             "inspector": window.inspector, "formula": window.formula}
    for name, root in parts.items():
        if root is widget or root.isAncestorOf(widget):
            return name
    if isinstance(widget, QTabBar) and window.panels.isAncestorOf(widget):
        return "panel tabs"
    if window.panels.isAncestorOf(widget):
        return "panels"
    return None


def ring_shows(window, widget: QWidget) -> None:
    """The focus ring is round ``widget``, visible in the window's pixels, in a colour that stands out."""
    ring = window.focus_ring
    assert ring.target is widget and ring.isVisible(), f"no ring round {widget.objectName()}"
    colour = ring.colour()
    assert contrast(colour, window.palette().color(QPalette.ColorRole.Window)) >= 3  # WCAG's 3:1 for a focus mark
    picture = window.grab().toImage()
    corner = ring.geometry().topLeft()
    assert picture.pixelColor(corner.x() + 1, corner.y() + 1) == colour


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_tab_alone_visits_every_panel_in_order_with_a_visible_focus(window, qtbot, theme):
    window.appearance.set_theme(theme)
    window.resize(1920, 1080)  # wide enough for the backward pass to stand beside the tabs
    qtbot.waitUntil(lambda: window.panels.beside)
    window.inspect("w1", (0, 3))
    ringed: set[str | None] = set()

    def ring_once_a_part(widget: QWidget) -> None:  # the ring's pixels are checked once a part, to stay quick
        assert window.focus_ring.target is widget and window.focus_ring.isVisible()
        if part_of(window, widget) not in ringed:
            ringed.add(part_of(window, widget))
            ring_shows(window, widget)

    stops = tab_walk(window, qtbot, first_toolbar_control(window), at_each=ring_once_a_part)
    parts = [part_of(window, w) for w in stops]
    firsts = {}
    for k, part in enumerate(parts):
        firsts.setdefault(part, k)
    order = ["toolbar", "stepper", "sheet", "inspector", "panel tabs", "panels", "formula"]
    assert [p for p in firsts if p is not None] == order, [(p, stops[k].objectName()) for p, k in firsts.items()]
    assert ringed == set(order)
    assert any(isinstance(w, TensorView) for w in stops) and any(isinstance(w, QTextBrowser) for w in stops)
    for w in stops:
        assert w.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus and w.isVisible()

    back = tab_walk(window, qtbot, stops[0], Qt.Key.Key_Backtab)  # Shift+Tab walks the same stops, backwards
    assert runs(back[1:]) == runs(stops[:0:-1])  # (as many presses in a grid as cells between its ends and the current)


def test_tab_reaches_the_panel_tabs_when_the_window_is_narrow(window, qtbot):
    window.resize(1024, 768)  # too narrow for the backward pass beside the tabs: it is one of them
    qtbot.waitUntil(lambda: not window.panels.beside)
    stops = tab_walk(window, qtbot, first_toolbar_control(window))
    tab_bar = next(w for w in stops if part_of(window, w) == "panel tabs")
    tab_bar.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(tab_bar, Qt.Key.Key_Right)  # the arrows pick a panel, and Tab goes into it
    assert window.panels.tabs.currentIndex() == 1 and window.panels.tabs.currentWidget() is window.formula
    qtbot.keyClick(tab_bar, Qt.Key.Key_Tab)
    assert window.formula.isAncestorOf(QApplication.focusWidget())


def test_a_grid_lets_tab_out_after_its_last_cell_and_ctrl_tab_at_once(window, qtbot):
    view = window.sheet_view.views["x"]
    rows, columns = view.model().rowCount(), view.model().columnCount()
    view.setFocus(Qt.FocusReason.TabFocusReason)
    view.setCurrentIndex(view.model().index(rows - 1, columns - 2))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.hasFocus() and view.currentIndex().column() == columns - 1  # within the grid, as in a spreadsheet
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert not view.hasFocus() and view.currentIndex().row() == rows - 1  # out, never round to the first cell
    view.setFocus(Qt.FocusReason.TabFocusReason)
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert not view.hasFocus()
    view.setFocus(Qt.FocusReason.TabFocusReason)
    view.setCurrentIndex(view.model().index(1, 1))
    qtbot.keyClick(view, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert not view.hasFocus() and view.currentIndex() == view.model().index(1, 1)
    assert "Ctrl+Tab" in view.accessibleDescription() and view.accessibleName() == "grid x"


def test_a_new_network_keeps_the_order(window, qtbot):
    window.resize(1920, 1080)
    assert window.load_preset("mazur")
    stops = tab_walk(window, qtbot, first_toolbar_control(window))
    parts = [part_of(window, w) for w in stops]
    firsts = [p for k, p in enumerate(parts) if p is not None and p not in parts[:k]]
    assert firsts[:4] == ["toolbar", "stepper", "sheet", "inspector"], parts
    grids = [w.objectName() for w in stops if isinstance(w, TensorView)]
    assert grids[0] == "grid:x" and "grid:w1" in grids and len(set(grids)) == len(window.sheet_view.views)


def test_the_ring_marks_a_focus_the_keyboard_moved_not_a_click(window, qtbot):
    view = window.sheet_view.views["w1"]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(view.model().index(1, 1)).center())
    assert view.hasFocus() and not window.focus_ring.isVisible()  # the clicked cell shows where the focus is
    qtbot.keyClick(view, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.focus_ring.isVisible() and window.focus_ring.target is QApplication.focusWidget()


def test_the_nudge_charts_are_named_and_described(window):
    for name, plot in window.charts.plots.items():
        assert plot.accessibleName().endswith(" chart"), name
        assert " against " in plot.accessibleDescription(), name
    assert window.charts.plots["fd-plot"].accessibleName() == "Difference quotients chart"
