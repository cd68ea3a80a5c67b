"""The window on every screen a class meets: a laptop, a projector, a 4K display.

For each preset and each screen size the window is sized to the screen (as when it is maximised, or full
screen in presentation mode) and looked over as a newcomer would: the window is no bigger than the screen,
the loss is on show in a place of its own, every panel lies inside the window with room to be read, every
grid shows all its cells, no cell's number is cut, no chart's title or axis label is cut, the legend is whole.
This is done in normal mode, in presentation mode at the zoom it picks (the largest at which all that holds
and the sheet shows its value grids whole), and in presentation mode at zoom 1.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QScrollArea,
    QStyle,
    QTabBar,
    QTableView,
    QTextBrowser,
    QToolBar,
    QWidget,
)

from gradlab.presets import PRESETS, preset
from ui import MainWindow
from ui.appearance import ZOOM_MAX
from ui.elided_label import ElidedLabel

SCREENS = [QSize(1024, 768), QSize(1280, 720), QSize(1366, 768), QSize(1920, 1080), QSize(3840, 2160)]
PANEL_MIN = QSize(150, 80)  # the least a panel needs to show something worth reading
DISPLAY, FONT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.FontRole


def _name(size: QSize) -> str:
    return f"{size.width()}x{size.height()}"


def settle() -> None:
    """Let posted layout requests and deferred fits run (they take a few turns of the event loop)."""
    for _ in range(3):
        QApplication.processEvents()


def rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def inside(widget: QWidget, window: QWidget) -> bool:
    return window.rect().contains(rect_in(widget, window))


def open_on(qtbot, name: str, screen: QSize) -> MainWindow:
    """A window on ``name`` as it opens on a screen of ``screen``, its first weight inspected (so the charts show)."""
    window = MainWindow(preset(name))
    qtbot.addWidget(window)
    window.setUpdatesEnabled(False)  # laid out as on screen but never painted: these tests measure, they don't look
    window.resize(screen)
    window.show()
    net = window.sheet.net
    first_w = next(t for t in net.inputs() if t.startswith("w"))
    window.session.inspect(first_w, (0, 0))
    settle()
    return window


def cut_cells(view: QTableView) -> list[str]:
    """Cells whose text, as the delegate writes it in the cell's own font, is wider than the column."""
    model = view.model()
    margin = 2 * (view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
    margin += 1 if view.showGrid() else 0  # the grid line is drawn inside the cell's column
    cut = []
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            index = model.index(row, col)
            value = index.data(DISPLAY)
            if value in (None, ""):
                continue
            text = view.itemDelegateForIndex(index).displayText(value, view.locale())
            font = index.data(FONT) or view.font()
            width = QFontMetrics(font).horizontalAdvance(text) + margin
            if width > view.columnWidth(col):
                cut.append(f"[{row},{col}] {text!r} needs {width} px of {view.columnWidth(col)}")
    return cut


def grid_problems(window: QWidget, where: str) -> list[str]:
    found = []
    for view in window.findChildren(QTableView):
        if not view.isVisible():
            continue
        name = view.objectName() or type(view).__name__
        viewport = view.viewport().size()
        h, v = view.horizontalHeader(), view.verticalHeader()
        if h.length() > viewport.width() or v.length() > viewport.height():
            found.append(f"{where}: {name} shows {viewport.width()}×{viewport.height()} px of its "
                         f"{h.length()}×{v.length()} px of cells (it scrolls)")
        if cut := cut_cells(view):
            found.append(f"{where}: {name} cuts {len(cut)} cell(s), e.g. {cut[0]}")
    return found


def chart_problems(window: MainWindow, where: str) -> list[str]:
    found = []
    for name, plot in window.charts.plots.items():
        if not plot.isVisible():
            continue
        item = plot.getPlotItem()
        if not inside(plot, window) or plot.width() < PANEL_MIN.width() or plot.height() < PANEL_MIN.height():
            found.append(f"{where}: chart {name} is {plot.width()}×{plot.height()} px at {rect_in(plot, window)}")
            continue
        chart = QRect(0, 0, plot.width(), plot.height())
        view = item.getViewBox()
        if view.width() < 80 or view.height() < 50:
            found.append(f"{where}: chart {name} leaves {view.width():.0f}×{view.height():.0f} px for its data")
        title = item.titleLabel.item
        shown = title.mapRectToScene(title.boundingRect()).toAlignedRect()
        if not chart.contains(shown):
            found.append(f"{where}: chart {name}'s title {item.titleLabel.text!r} at {shown} is cut by the "
                         f"{plot.width()}×{plot.height()} chart")
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            room = axis.height() if side == "left" else axis.width()
            need = axis.label.boundingRect().width()
            if axis.label.isVisible() and need > room:
                found.append(f"{where}: chart {name}'s {side} label {axis.labelText!r} needs {need:.0f} px of {room:.0f}")
        for _sample, label in item.legend.items:  # what the legend shows: its entries' text
            shown = label.item.mapRectToScene(label.item.boundingRect()).toAlignedRect()
            if label.isVisible() and not chart.contains(shown):
                found.append(f"{where}: chart {name}'s legend entry {label.text!r} at {shown} leaves the "
                             f"{plot.width()}×{plot.height()} chart")
    return found


def text_problems(window: QWidget, where: str) -> list[str]:
    """Labels narrower or shorter than their text, and tab bars whose tabs don't all fit (they would scroll)."""
    found = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or isinstance(label, ElidedLabel) or not label.text():
            continue
        what = label.objectName() or repr(label.text()[:30])
        if label.wordWrap():
            need = label.heightForWidth(label.contentsRect().width())
            if label.contentsRect().height() < need:
                found.append(f"{where}: label {what} is {label.height()} px high for {need} px of wrapped text")
        elif label.width() < label.minimumSizeHint().width():
            found.append(f"{where}: label {what} is {label.width()} px wide for {label.minimumSizeHint().width()} px of text")
    for bar in window.findChildren(QTabBar):
        if bar.isVisible() and not all(bar.rect().contains(bar.tabRect(i)) for i in range(bar.count())):
            texts = [bar.tabText(i) for i in range(bar.count())]
            found.append(f"{where}: tab bar {bar.objectName() or texts} is {bar.width()} px, too narrow for every tab")
    return found


def panel_problems(window: MainWindow, where: str, tabs: bool = True) -> list[str]:
    """Every panel in the window with room to be read; with ``tabs``, the tabs are visited one by one."""
    found = []

    def check(widget: QWidget, what: str, least: QSize = PANEL_MIN) -> None:
        if not widget.isVisible():
            found.append(f"{where}: {what} is not shown")
        elif not inside(widget, window):
            found.append(f"{where}: {what} at {rect_in(widget, window)} leaves the {window.width()}×{window.height()} window")
        elif widget.width() < least.width() or widget.height() < least.height():
            found.append(f"{where}: {what} is only {widget.width()}×{widget.height()} px")

    check(window.findChild(QScrollArea, "sheet-scroll"), "the sheet")
    check(window.findChild(QScrollArea, "inspector-scroll"), "the inspector")
    check(window.panels.tabs, "the tab area")
    check(window.stepper, "the stepper", QSize(PANEL_MIN.width(), 10))
    for button in window.stepper.findChildren(QAbstractButton):
        need = button.fontMetrics().horizontalAdvance(button.text())
        if not inside(button, window) or button.width() < need:
            found.append(f"{where}: the stepper's {button.text()!r} button is {button.width()} px for {need} px of text")
    legend = window.findChild(QLabel, "influence-legend")
    check(legend, "the status bar's legend", QSize(10, 10))
    if legend.hasHeightForWidth():
        if legend.height() < legend.heightForWidth(legend.width()):
            found.append(f"{where}: the legend is {legend.height()} px high for {legend.heightForWidth(legend.width())}")
    elif legend.width() < legend.sizeHint().width():
        found.append(f"{where}: the legend is {legend.width()} px wide for {legend.sizeHint().width()} px of text")
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            control = bar.widgetForAction(action)
            if control is not None and action.isVisible() and not (control.isVisible() and inside(control, window)):
                found.append(f"{where}: the toolbar's {action.text() or control.objectName()!r} is in its » overflow")
    area = window.panels.tabs
    current = area.currentIndex()
    for i in range(area.count()) if tabs else [current]:
        area.setCurrentIndex(i)
        settle()
        page, title = area.widget(i), area.tabText(i)
        check(page, f"the {title!r} tab")
        found += grid_problems(window, f"{where}, {title!r} tab")
        found += text_problems(window, f"{where}, {title!r} tab")
        if page is window.charts:
            found += chart_problems(window, where)
    area.setCurrentIndex(current)
    settle()
    if window.panels.beside:
        check(window.formula, "the formula panel beside the tabs")
    return found


def loss_problems(window: MainWindow, where: str) -> list[str]:
    value = window.loss_display.value
    found = []
    if not value.isVisible() or not inside(value, window):
        found.append(f"{where}: the loss {value.text()!r} is not shown inside the window ({rect_in(value, window)})")
    parent = value.parentWidget()
    while parent is not None:
        if isinstance(parent, QToolBar):
            found.append(f"{where}: the loss is on a toolbar, where it can go into the » overflow")
        parent = parent.parentWidget()
    if value.fontMetrics().horizontalAdvance(value.text()) > value.contentsRect().width():
        found.append(f"{where}: the loss {value.text()!r} is wider than its {value.width()} px label")
    return found


def problems(window: MainWindow, screen: QSize, where: str, tabs: bool = True) -> list[str]:
    settle()  # the window's minimum size follows a new zoom once its layout has run
    window.resize(screen)  # full screen, or maximised: the window is given the screen
    settle()
    found = []
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    if hint.width() > screen.width() or hint.height() > screen.height():
        found.append(f"{where}: the window needs at least {hint.width()}×{hint.height()} px")
    if window.size() != screen:
        found.append(f"{where}: the window is {window.width()}×{window.height()} px")
    found += loss_problems(window, where)
    found += panel_problems(window, where, tabs)
    found += grid_problems(window, where)
    return found


def on_screen(window: MainWindow, name: str, screen: QSize) -> list[str]:
    """Put the window on ``screen`` as it would open there, and look it over in each mode."""
    size = _name(screen)
    window.appearance.set_presentation(False, full_screen=False)
    window.appearance.set_zoom(1.0)
    settle()
    window.resize(screen)
    window.fit_panels()  # what the window does when it is first shown
    found = problems(window, screen, f"{name} at {size}, normal mode")

    window.appearance.set_presentation(True, full_screen=False)
    zoom = window.appearance.zoom
    if window.menuBar().isVisible():
        found.append(f"{name} at {size}: presentation mode keeps the menu bar")
    found += problems(window, screen, f"{name} at {size}, presentation at zoom {zoom:g}")
    sheet = window.sheet_scroll
    if sheet.height() < sheet.values_height():
        found.append(f"{name} at {size}, presentation at zoom {zoom:g}: the sheet is {sheet.height()} px high, "
                     f"its value grids {sheet.values_height()} px")
    if zoom < ZOOM_MAX and zoom < window.appearance.presentation_limit(screen):
        window.appearance.set_zoom(zoom + 0.05)  # the zoom picked is the largest that fits
        settle()
        hint = window.presentable_size()
        if hint.width() <= screen.width() and hint.height() <= screen.height():
            found.append(f"{name} at {size}: presentation picked zoom {zoom:g}, but {zoom + 0.05:g} fits too "
                         f"({hint.width()}×{hint.height()})")

    window.appearance.set_zoom(1.0)  # Ctrl+0 in presentation mode: more room than normal mode, the same widths
    found += problems(window, screen, f"{name} at {size}, presentation at zoom 1", tabs=False)
    return found


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_fits_every_screen_in_every_mode(qtbot, name):
    window = open_on(qtbot, name, SCREENS[0])  # one window, moved from screen to screen (a window costs 0.3 s)
    found = [problem for screen in SCREENS for problem in on_screen(window, name, screen)]
    assert not found, "\n".join(found)


def lines_out_of_view(code: QTextBrowser, lines: list[str]) -> list[str]:
    """Which of ``lines`` (in order, each a line of the listing) are not wholly inside the code's viewport now."""
    document, top = code.document(), code.verticalScrollBar().value()
    bottom = top + code.viewport().height()
    block, wanted, out = document.begin(), list(lines), []
    while block.isValid() and wanted:
        if block.text() == wanted[0]:
            rect = document.documentLayout().blockBoundingRect(block)
            if rect.top() < top or rect.bottom() > bottom:
                out.append(f"{wanted[0]!r} at {rect.top():.0f}–{rect.bottom():.0f} px (the view shows {top}–{bottom})")
            wanted.pop(0)
        block = block.next()
    return out + [f"{line!r} is not in the listing" for line in wanted]


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_code_panel_shows_the_whole_current_function_at_1366_by_768(qtbot, name):
    """The explained gradient's function, and while stepping each step's, in view without scrolling."""
    screen = QSize(1366, 768)
    window = open_on(qtbot, name, screen)
    window.panels.show_panel(window.formula)
    code = window.formula.findChild(QTextBrowser, "backward-code")
    found = []

    def look(where: str, k: int, extra: list[str]) -> None:
        settle()
        step = window.session.steps()[k]
        lines = ([f"# {step.call}"] if step.code != (step.call,) else []) + list(step.code) + extra
        if not code.isVisible() or code.viewport().height() < code.fontMetrics().height():
            found.append(f"{name} at 1366x768, {where}: the code is not shown ({code.width()}×{code.height()} px)")
        found.extend(f"{name} at 1366x768, {where}: {problem}" for problem in lines_out_of_view(code, lines))

    explanation = window.session.derived.explanation
    look(f"explaining {window.session.inspected}", explanation.step, [])
    for step in range(1, len(window.session.steps()) + 1):
        window.session.set_step(step)
        current = window.session.current_step()
        said = " · ".join(f"{verb} {', '.join(names)}" for verb, names in
                          (("reads", current.reads), ("writes", current.writes)) if names)
        look(f"at step {step}", step - 1, [f"# {said}"])
    assert not found, "\n".join(found)


def test_a_long_undo_text_moves_nothing_on_the_toolbar(qtbot, tmp_path):
    window = open_on(qtbot, "lesson", QSize(1024, 768))
    bar = window.findChild(QToolBar, "toolbar")

    def places() -> dict[str, QRect]:
        settle()
        return {w.objectName() or type(w).__name__: rect_in(w, window) for w in bar.findChildren(QWidget) if w.isVisible()}

    before = places()
    path = tmp_path / ("week3_" + "with_a_rather_long_name_" * 4 + ".json")
    assert window.files.save_file(path)
    assert window.load_preset("mazur") and window.open_file(path)
    assert path.name in window.undo_action.text()  # "Undo open week3_with_a_rather_long_name_….json"
    assert places() == before
    undo = bar.findChild(QAbstractButton, "toolbar-undo")
    assert undo.text() == "Undo" and undo.toolTip() == window.undo_action.text()
    assert not loss_problems(window, "after opening a long file name")


def test_the_window_opens_no_bigger_than_a_768_pixel_high_screen(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    available = window.screen().availableGeometry().size()
    assert window.height() <= min(720, available.height()) and window.width() <= min(1280, available.width())


def test_stepping_on_a_projector_scrolls_to_what_each_call_writes(qtbot):
    """At 1366×768 in presentation mode the gradient grids are below the fold: each step brings its own into view."""
    screen = QSize(1366, 768)
    window = open_on(qtbot, "lesson", screen)
    window.appearance.set_presentation(True, full_screen=False)
    settle()
    scroll = window.sheet_scroll
    viewport = scroll.viewport()
    unseen = []
    for step in range(1, len(window.session.steps()) + 1):
        window.session.set_step(step)
        settle()
        for name in window.session.current_step().writes:
            box = window.sheet_view.boxes[name]
            shown = QRect(box.mapTo(viewport, QPoint(0, 0)), box.size())
            if not viewport.rect().contains(shown):
                unseen.append(f"step {step} writes {name}, at {shown} outside the {viewport.width()}×{viewport.height()} view")
    assert not unseen, "\n".join(unseen)


def test_a_negative_number_in_a_bold_cell_is_not_cut(qtbot):
    """The inspected and the watched cells are bold; −1.0000 in bold must fit as well as 0.4000 does."""
    window = open_on(qtbot, "lesson", SCREENS[0])
    window.session.inspect("b1", (2,))  # −1.0
    window.session.watch("l1[0,2]")  # −0.51
    settle()
    for name in ("b1", "l1"):
        view = window.findChild(QTableView, f"grid:{name}")
        assert cut_cells(view) == [], name


def test_at_1920_by_1080_a_step_shows_what_it_reads_and_the_captions_too(qtbot):
    """Where they fit, the step's read grids (out and y for mse_grad) and the stage captions over them are in view
    with what it writes, as soon as the step is taken: the outlines it draws widen the sheet first."""
    window = open_on(qtbot, "lesson", QSize(1920, 1080))
    window.appearance.set_presentation(True, full_screen=False)
    settle()
    viewport = window.sheet_scroll.viewport()
    window.session.set_step(1)
    qtbot.wait(20)  # the scroll is posted; one turn of the event loop, not a settle
    step = window.session.current_step()
    for name in (*step.writes, *step.reads):
        box = window.sheet_view.boxes[name]
        shown = QRect(box.mapTo(viewport, QPoint(0, 0)), box.size())
        assert viewport.rect().contains(shown), f"{name} at {shown}, the view is {viewport.size()}"
    assert window.sheet_scroll.verticalScrollBar().value() == 0  # the captions over the grids are not cut
