"""The main window: it builds the parts, places them, and connects their messages; it holds no maths and no state.

    ┌ toolbar: preset · open · save · undo/redo · reduction · dtype ──────────────────────┐
    │ Backward: Reset ◀ Back Step ▶ Play  step 2 of 4: …                 L = 0.52648425  │
    │ the sheet: every grid, in the order the data flows                                  │
    ├ inspector ──────────┬ [charts | …] tabs ──────────────────┬ backward pass (if room) ┤
    └ status bar: what just happened, or why an edit was refused · the legend ────────────┘

The window shows the sheet first: with ``charts_later`` (the app as launched) the nudge charts and the Train
tab, and pyqtgraph under them, are built once the first frame is on screen, and their tabs hold a line
saying so until then.

The loss has a place of its own, beside the stepper, never in a toolbar's overflow menu; the
panels under the sheet turn into tabs when the window is narrow (``ui.panel_area``).

Every view is handed the ``Session`` it shows (and the ``Editor`` when it edits) and follows
its changes itself; the helpers (files, network, appearance) are handed what they act on and
say what happened through a ``message`` signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from gradlab import reshape
from gradlab.errors import EditError
from gradlab.memory import give_back
from gradlab.network import Network
from gradlab.presets import PRESETS, preset
from gradlab.session import Session
from gradlab.sheet import Change, Sheet
from ui.appearance import Appearance
from ui.cell_legend import CellLegend
from ui.commands import Editor
from ui.elided_label import ElidedLabel
from ui.exercise_panel import ExercisePanel
from ui.file_actions import FileActions, dropped_scenario
from ui.first_frame import FirstFrame, settle_in, waiting
from ui.formula_panel import FormulaPanel
from ui.inspector import Inspector
from ui.jacobian_panel import JacobianPanel
from ui.keyboard_focus import FocusRing, let_tab_leave, next_stop
from ui.loss_display import LossDisplay
from ui.network_actions import NetworkActions
from ui.panel_area import PanelArea
from ui.preferences import Preferences
from ui.sheet_view import SheetScroll, SheetView
from ui.signals import signals_blocked
from ui.stepper import Stepper

if TYPE_CHECKING:  # imported when they are built: pyqtgraph is not needed for the first frame
    from ui.charts import NudgeCharts
    from ui.training_panel import TrainingPanel

DEFAULT_SIZE = QSize(1280, 720)


def _scrolled(panel: QWidget, name: str) -> QScrollArea:
    """A panel in a scroll area of its own, so a short window scrolls it rather than clipping it."""
    scroll = QScrollArea(objectName=name)
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls inside, never to the frame round them
    return scroll


class StackButton(QToolButton):
    """A toolbar button for Undo or Redo that always says just that: the step it would undo ("Undo open
    week3_with_a_long_name.json") is in its tooltip, so the toolbar never shifts as the text changes."""

    def __init__(self, action: QAction):
        super().__init__()
        self.setText(action.text().split(" ", 1)[0])
        self.setObjectName(f"toolbar-{self.text().lower()}")
        self.setAccessibleName(self.text())
        self.clicked.connect(action.trigger)
        action.changed.connect(lambda: self._follow(action))
        self._follow(action)

    def _follow(self, action: QAction) -> None:
        if not (isValid(self) and isValid(action)):  # the window is being torn down
            return
        self.setEnabled(action.isEnabled())
        self.setToolTip(action.text())
        self.setAccessibleDescription(action.text())


class MainWindow(QMainWindow):
    def __init__(self, net: Network | None = None, parent: QWidget | None = None, charts_later: bool = False):
        super().__init__(parent)
        self.sheet = Sheet(net if net is not None else preset("lesson"))
        self.session = Session(self.sheet)
        self.preferences = Preferences()
        self.preferences.restore_session(self.session)
        if self.session.inspected is None:  # the lower half starts with something to show
            self.session.inspect_first_weight()
        self.undo_stack = QUndoStack(self)
        self.editor = Editor(self.sheet, self.undo_stack)
        self._fitted = False  # the panels are sized to the sheet until the user moves a splitter
        self._restored = False

        # the views, each following the session; the grids first, so they hear of a change first
        self.sheet_view = SheetView(self.session, self.editor, freeze=lambda name, on: self.training.set_frozen(name, on))
        self.inspector = Inspector(self.session, self.editor)
        self.formula = FormulaPanel(self.session)
        self.loss_display = LossDisplay(self.session)
        self.stepper = Stepper(self.session)
        self._charts: NudgeCharts | None = None  # built by _build_charts: with pyqtgraph, the slowest part to start
        self._training: TrainingPanel | None = None
        self.exercise = ExercisePanel(self.session, self.editor)
        self.jacobian = JacobianPanel(self.session)

        # the helpers, each handed what it acts on
        self.files = FileActions(self.session, self.editor, self.preferences, self)
        self.network_actions = NetworkActions(self.session, self.editor, self.files.load_network, self)
        self.appearance = Appearance(self, self.preferences, needs=self.presentable_size)

        self._place_views()
        self._build_menus_and_toolbar()
        self.status_message = ElidedLabel(objectName="status-message")
        self.statusBar().addWidget(self.status_message, 1)
        self._build_legend()
        self.focus_ring = FocusRing(self)
        self._connect()
        if charts_later:
            self._first_frame = FirstFrame(self, self._build_charts)
        else:
            self._build_charts()
        self.appearance.start()
        self.files.update_title()
        self.setAcceptDrops(True)
        self.session.subscribe(self._on_change)
        screen = self.screen()  # 1280 × 720 (a 768-px-high laptop has room for it and a title bar), or the screen
        self.resize(DEFAULT_SIZE.boundedTo(screen.availableGeometry().size()) if screen is not None else DEFAULT_SIZE)

    # -- building --------------------------------------------------------------------

    def _place_views(self) -> None:
        scroll = self.sheet_scroll = SheetScroll(self.sheet_view)
        inspector_scroll = _scrolled(self.inspector, "inspector-scroll")
        inspector_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panels = PanelArea()
        self._charts_home = waiting("charts-home", "Drawing the charts…")
        self.panels.add(self._charts_home, "Nudge charts")
        self.panels.add(self.formula, "Backward pass", companion=True)
        self._training_scroll = _scrolled(waiting("training-home", "Setting up training…"), "training-scroll")
        self.panels.add(self._training_scroll, "Train")
        self.panels.add(_scrolled(self.exercise, "exercise-scroll"), "Your turn")
        self.panels.add(_scrolled(self.jacobian, "jacobian-scroll"), "Local derivatives")
        self.bottom_splitter = QSplitter(Qt.Orientation.Horizontal, objectName="bottom-splitter")
        self.bottom_splitter.setChildrenCollapsible(False)
        for widget in (inspector_scroll, self.panels):
            self.bottom_splitter.addWidget(widget)
        self.bottom_splitter.setStretchFactor(1, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, objectName="main-splitter")
        self.main_splitter.addWidget(scroll)
        self.main_splitter.addWidget(self.bottom_splitter)
        self.main_splitter.setStretchFactor(1, 1)
        header = QWidget(objectName="header")
        row = QHBoxLayout(header)
        row.setContentsMargins(0, 2, 0, 2)
        row.addWidget(self.stepper, 1)
        row.addWidget(self.loss_display)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(header)
        column.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

    def _build_menus_and_toolbar(self) -> None:
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")])
        self.quit_action.triggered.connect(self.close)
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "Redo")
        # StandardKey.Redo is one binding per platform (Ctrl+Y here): name both that spreadsheets use
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.gradients_action = QAction("Show &gradients", self, checkable=True, checked=True, objectName="show-gradients")
        self.gradients_action.setToolTip("Show the .g grid under every tensor")
        self.gradients_action.toggled.connect(self.sheet_view.show_gradients)
        self.colour_action = QAction("&Colour by sign", self, checkable=True, checked=True, objectName="colour-by-sign")
        self.colour_action.setToolTip("Tint negative values blue and positive values vermillion")
        self.colour_action.toggled.connect(self.sheet_view.set_colour_by_sign)

        self.menus = {name: self.menuBar().addMenu(f"&{name}") for name in ("File", "Edit", "View", "Network")}
        self.files.fill_menu(self.menus["File"])
        self.menus["File"].addSeparator()
        self.menus["File"].addAction(self.quit_action)
        self.menus["Edit"].addActions([self.undo_action, self.redo_action])
        self.menus["View"].addActions([self.gradients_action, self.colour_action])
        self.appearance.fill_menu(self.menus["View"])
        self.network_actions.fill_menus(self.menus["Edit"], self.menus["Network"])

        bar = QToolBar("Main", objectName="toolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.preset_box = self._choice(bar, "Preset", "preset", list(PRESETS), "Load a built-in network",
                                       self.load_preset)
        bar.addActions([self.files.open_action, self.files.save_action])
        for action in (self.undo_action, self.redo_action):  # a fixed width: the step's name is in the tooltip
            bar.addWidget(StackButton(action))
        bar.addSeparator()
        self.reduction_box = self._choice(bar, "Loss over the batch", "reduction", ["mean", "sum"],
                                          "Average the loss over the batch, or sum it: watch every gradient scale",
                                          self.set_reduction)
        self.dtype_box = self._choice(bar, "Precision", "dtype", ["float64", "float32"],
                                      "Compute in float64 or float32: float32 shows round-off in the charts",
                                      self.set_dtype)
        for button in bar.findChildren(QToolButton):  # Open, Save, Undo, Redo: reached by Tab like the boxes
            if not button.objectName().startswith("qt_"):
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._sync_controls()

    def _choice(self, bar: QToolBar, label: str, name: str, items: list[str], tip: str, chosen) -> QComboBox:
        """A labelled drop-down on the toolbar; ``chosen`` gets the text the user picks."""
        caption = QLabel(f" {label} ")
        bar.addWidget(caption)
        box = QComboBox(objectName=name)
        box.addItems(items)
        box.setToolTip(tip)
        box.setAccessibleName(label)
        caption.setBuddy(box)
        box.activated.connect(lambda i: chosen(box.itemText(i)))
        bar.addWidget(box)
        return box

    def _build_legend(self) -> None:
        self.statusBar().addPermanentWidget(CellLegend())

    def _connect(self) -> None:
        """Every part's sentences go to the status bar; the appearance reaches what cannot inherit a font."""
        for part in (self.sheet_view, self.inspector, self.files, self.network_actions, self.exercise):
            part.message.connect(self.say)
        self.files.title_changed.connect(self._show_title)
        self.appearance.zoom_changed.connect(self._zoomed)
        self.appearance.theme_changed.connect(self._themed)
        self.appearance.presentation_changed.connect(self._present)

    def _zoomed(self, zoom: float) -> None:
        """Every part that cannot inherit the font takes the zoom; then the panels are fitted to their new sizes."""
        for part in (self.formula, self._charts, self._training):
            if part is not None:
                part.set_font_scale(zoom)
        self.fit_panels()

    def _themed(self, name: str) -> None:
        for part in (self._charts, self._training):
            if part is not None:
                part.set_theme(name == "dark")

    def _build_charts(self) -> None:
        """The nudge charts and the Train tab, in the places kept for them, at the window's zoom and theme."""
        if self._charts is not None:
            return
        from ui.charts import NudgeCharts  # pyqtgraph comes with them
        from ui.training_panel import TrainingPanel

        self._charts = NudgeCharts(self.session)
        self._training = TrainingPanel(self.session, self.editor)
        settle_in(self._charts_home, self._charts)
        self._training_scroll.setWidget(self._training)
        let_tab_leave(self._charts)
        let_tab_leave(self._training)
        self._training.message.connect(self.say)
        for part in (self._charts, self._training):  # built after the appearance started: they take it up as it is
            part.set_font_scale(self.appearance.zoom)  # each does nothing when it already has it
            part.set_theme(self.appearance.theme == "dark")

    @property
    def charts(self) -> NudgeCharts:
        self._build_charts()  # asked for before the first frame (a test, a slide): built now
        assert self._charts is not None
        return self._charts

    @property
    def training(self) -> TrainingPanel:
        self._build_charts()
        assert self._training is not None
        return self._training

    # -- the window's own state: its title, its chrome, its panels --------------------------

    def _show_title(self, title: str, modified: bool) -> None:
        self.setWindowTitle(title)
        self.setWindowModified(modified)

    def _present(self, on: bool, full_screen: bool) -> None:
        self.menuBar().setVisible(not on)
        if on and full_screen:
            self.showFullScreen()
        elif not on:
            self.showNormal()

    def presentable_size(self) -> QSize:
        """The least size at which nothing is cut and the sheet shows its value grids whole: the minimum size,
        taller by what those grids need beyond the sheet's own minimum (presentation mode zooms to fit it)."""
        hint = self.minimumSizeHint()
        more = self.sheet_scroll.values_height() - self.sheet_scroll.minimumSizeHint().height()
        return QSize(hint.width(), hint.height() + max(0, more))

    def fit_panels(self) -> None:
        """Give the sheet the height it needs (up to 60 %, and at least its value grids' where the panels below
        keep their minimum), and the panels below the rest."""
        total = sum(self.main_splitter.sizes()) or self.height()
        sheet = min(self.sheet_view.sizeHint().height() + 6, int(0.6 * total))
        sheet = max(sheet, min(self.sheet_scroll.values_height(), total - self.bottom_splitter.minimumSizeHint().height()))
        self.main_splitter.setSizes([sheet, total - sheet])
        width = sum(self.bottom_splitter.sizes()) or self.width()
        left = self.inspector.sizeHint().width() + 16  # the inspector's labels grow with the zoom
        self.bottom_splitter.widget(0).setMinimumWidth(left)
        right = max(300, width // 4)
        self.bottom_splitter.setSizes([left, width - left - right, right])

    def focus_regions(self) -> list[QWidget]:
        """The window's parts in the order Tab visits them."""
        return [self.findChild(QToolBar, "toolbar"), self.stepper, self.sheet_view, self.inspector,
                self.panels.tabs.tabBar(), self.panels.tabs, self.panels]  # the tab's page, then the panel beside

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab (``next``) and Shift+Tab walk ``focus_regions`` in order, whatever order Qt made the widgets in."""
        target = next_stop(self, self.focus_regions(), QApplication.focusWidget(), next)
        if target is None:
            return super().focusNextPrevChild(next)
        target.setFocus(Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason)
        return True

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._fitted or self.appearance.presenting:  # presenting: gone full screen, or to a slide's size
            self.fit_panels()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.fit_panels()
        self._fitted = True
        if not self._restored:  # the layout the user left, once the panels have been fitted to the sheet
            self._restored = True
            if (geometry := self.preferences.geometry()) is not None:
                self.restoreGeometry(geometry)
            QTimer.singleShot(0, self, self._restore_splitters)

    def _restore_splitters(self) -> None:
        for key, splitter in (("main", self.main_splitter), ("bottom", self.bottom_splitter)):
            if (state := self.preferences.splitter_state(key)) is not None:
                splitter.restoreState(state)

    def _sync_controls(self) -> None:
        net = self.sheet.net
        for box, value in ((self.reduction_box, net.reduction), (self.dtype_box, net.dtype.name)):
            with signals_blocked(box):
                box.setCurrentText(value)
        shown = next((name for name, data in PRESETS.items() if data["title"] == net.title), "")
        with signals_blocked(self.preset_box):  # the picker names the preset on screen, or nothing
            self.preset_box.setCurrentIndex(self.preset_box.findText(shown))

    def _on_change(self, change: Change) -> None:
        # a change went through: an earlier refusal no longer applies (clearing an empty label lays the bar out again)
        if change.kind in ("values", "network") and self.status_message.text():
            self.status_message.clear()
        if change.kind == "network":
            give_back()  # the old network's arrays are free: their memory goes back to the system
            if self.session.inspected is None:  # the cell looked at went with the old network
                self.session.inspect_first_weight()
            self._sync_controls()
            self.fit_panels()

    # -- what the user does ------------------------------------------------------------

    def say(self, text: str) -> None:
        self.status_message.setText(text)

    def load_preset(self, name: str) -> bool:
        """Load a built-in network (one undo step); False when the user cancels to keep unsaved work."""
        try:
            loaded = self.files.load_network(preset(name), None, f"load preset {name}")
        except EditError as e:
            self.say(f"{e}.")
            return False
        if not loaded:
            self.say(f"Kept the current work; the {name} preset was not loaded.")
            self._sync_controls()
            return False
        self.say(f"Loaded the {name} preset: {self.sheet.net.title}.")
        return True

    def open_file(self, path: str | Path) -> bool:
        """Open a scenario file (``ui.file_actions``); a file that cannot be read changes nothing."""
        return self.files.open_file(path)

    def set_reduction(self, reduction: str) -> None:
        if reduction != self.sheet.net.reduction:
            self._replace(reshape.set_reduction(self.sheet.net, reduction), f"reduce the loss by {reduction}")

    def set_dtype(self, dtype: str) -> None:
        if dtype != self.sheet.net.dtype.name:
            self._replace(reshape.set_dtype(self.sheet.net, dtype), f"compute in {dtype}")

    def _replace(self, net: Network, text: str) -> None:
        try:
            self.editor.replace(net, text)
        except EditError as e:  # float32 overflows where float64 did not: nothing changed
            self.say(f"{e}.")
            self._sync_controls()

    def inspect(self, name: str, index: tuple[int, ...]) -> None:
        """Inspect a cell of x, a w or a b (its grid selects it)."""
        self.session.inspect(name, index)

    def nudge(self, eps: float) -> None:
        """Nudge the inspected cell by ``eps`` (the inspector's ± ε buttons)."""
        self.inspector.nudge(eps)

    # -- drops and closing ----------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if dropped_scenario(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        path = dropped_scenario(event.mimeData())
        if path is not None:
            event.acceptProposedAction()  # opened once the drop is over, so a question never blocks the drag's source
            QTimer.singleShot(0, self, lambda: self.files.open_file(path))

    def closeEvent(self, event) -> None:
        if not self.files.closing():
            event.ignore()
            return
        self.preferences.set_geometry(self.saveGeometry())
        self.preferences.set_splitter_state("main", self.main_splitter.saveState())
        self.preferences.set_splitter_state("bottom", self.bottom_splitter.saveState())
        self.preferences.remember_session(self.session)
        self.stepper.timer.stop()
        self.session.close()  # the views stop following the sheet, which may outlive the window
        super().closeEvent(event)
