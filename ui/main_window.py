"""The main window: it wires the sheet's views together and holds no maths of its own.

    ┌ toolbar: preset · open · save · undo/redo · reduction · dtype · gradients · colours ┐
    │ the sheet: every grid, in the order the data flows                                  │
    ├ inspector ──────────┬ charts ──────────────────────────────┬ backward pass ────────┤
    └ status bar: what just happened, or why an edit was refused ─────────────────────────┘
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QWidget,
)

from gradlab import reshape
from gradlab.errors import EditError
from gradlab.network import Network
from gradlab.presets import PRESETS, preset
from gradlab.sheet import Change, Sheet
from gradlab.text import cell_name
from ui import palette
from ui.appearance import Appearance
from ui.charts import NudgeCharts
from ui.commands import Editor
from ui.file_actions import FileActions
from ui.formula_panel import FormulaPanel
from ui.inspector import Inspector
from ui.loss_display import LossDisplay
from ui.network_actions import NetworkActions
from ui.sheet_view import SheetView
from ui.signals import signals_blocked
from ui.stepper import Stepper


class MainWindow(QMainWindow):
    def __init__(self, net: Network | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.sheet = Sheet(net if net is not None else preset("lesson"))
        self._fitted = False  # the panels are sized to the sheet until the user moves a splitter
        self.undo_stack = QUndoStack(self)
        self.editor = Editor(self.sheet, self.undo_stack)

        self.sheet_view = SheetView(self.sheet, self.editor)
        self.sheet_view.message.connect(self.say)
        self.sheet_view.cell_selected.connect(self._cell_selected)
        scroll = QScrollArea(objectName="sheet-scroll")
        scroll.setWidget(self.sheet_view)
        scroll.setWidgetResizable(True)

        self.inspector = Inspector(self.sheet)
        self.inspector.nudge_requested.connect(self.nudge)
        self.inspector.epsilon_changed.connect(self._epsilon_changed)
        self.charts = NudgeCharts(self.sheet)
        self.charts.set_epsilon(self.inspector.epsilon.value())
        self.formula = FormulaPanel(self.sheet)
        self.formula.setMinimumWidth(240)

        bottom = QSplitter(Qt.Orientation.Horizontal, objectName="bottom-splitter")
        inspector_scroll = QScrollArea(objectName="inspector-scroll")
        inspector_scroll.setWidget(self.inspector)
        inspector_scroll.setWidgetResizable(True)
        inspector_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        inspector_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for widget in (inspector_scroll, self.charts, self.formula):
            bottom.addWidget(widget)
        bottom.setStretchFactor(1, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, objectName="main-splitter")
        self.main_splitter.addWidget(scroll)
        self.main_splitter.addWidget(bottom)
        self.main_splitter.setStretchFactor(1, 1)
        self.bottom_splitter = bottom
        self.setCentralWidget(self.main_splitter)

        # ε slider drags come in bursts: they are coalesced into one redraw.  Edits are not: they
        # refresh at once, so the grids and the charts repaint together in one pass.
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._build_toolbar()
        self.status_message = QLabel(objectName="status-message")
        self.statusBar().addWidget(self.status_message, 1)
        self._build_legend()
        self.menus["File"].addSeparator()
        self.menus["File"].addAction(self.quit_action)
        self.sheet.subscribe(self._on_change)
        self.appearance = Appearance(self, self.files.preferences)
        self._sync_controls()
        self.refresh()
        self.resize(1280, 800)

    # -- controls --------------------------------------------------------------------

    def _build_toolbar(self) -> None:
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
        self.menus["Edit"].addActions([self.undo_action, self.redo_action])
        self.menus["View"].addActions([self.gradients_action, self.colour_action])
        self.files = FileActions(self)
        self.network_actions = NetworkActions(self)

        bar = QToolBar("Main", objectName="toolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.preset_box = self._choice(bar, "Preset", "preset", list(PRESETS), "Load a built-in network",
                                       self.load_preset)
        bar.addActions([self.files.open_action, self.files.save_action, self.undo_action, self.redo_action])
        bar.addSeparator()
        self.reduction_box = self._choice(bar, "Loss over the batch", "reduction", ["mean", "sum"],
                                          "Average the loss over the batch, or sum it: watch every gradient scale",
                                          self.set_reduction)
        self.dtype_box = self._choice(bar, "Precision", "dtype", ["float64", "float32"],
                                      "Compute in float64 or float32: float32 shows round-off in the charts",
                                      self.set_dtype)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.loss_display = LossDisplay(self.sheet)
        bar.addWidget(self.loss_display)
        self.addToolBarBreak()
        step_bar = QToolBar("Backward pass", objectName="stepper-bar")
        step_bar.setMovable(False)
        self.stepper = Stepper(self.sheet)
        step_bar.addWidget(self.stepper)
        self.addToolBar(step_bar)

    def _choice(self, bar: QToolBar, label: str, name: str, items: list[str], tip: str, chosen) -> QComboBox:
        """A labelled drop-down on the toolbar; ``chosen`` gets the text the user picks."""
        bar.addWidget(QLabel(f" {label} "))
        box = QComboBox(objectName=name)
        box.addItems(items)
        box.setToolTip(tip)
        box.activated.connect(lambda i: chosen(box.itemText(i)))
        bar.addWidget(box)
        return box

    def _build_legend(self) -> None:
        legend = QLabel(objectName="influence-legend")
        legend.setText(
            f"  Inspected cell <span style='background:{palette.SOURCE}'>&nbsp;■&nbsp;</span> "
            f"moves <span style='background:{palette.INFLUENCED}; color:white'>&nbsp;■&nbsp;</span> "
            "reaches but can't move (a ReLU is off) <span style='background:#DDDDDD'>&nbsp;////&nbsp;</span>")
        self.statusBar().addPermanentWidget(legend)

    def fit_panels(self) -> None:
        """Give the sheet the height it needs (up to 60 %), and the panels below the rest."""
        total = sum(self.main_splitter.sizes()) or self.height()
        sheet = min(self.sheet_view.sizeHint().height() + 6, int(0.6 * total))
        self.main_splitter.setSizes([sheet, total - sheet])
        width = sum(self.bottom_splitter.sizes()) or self.width()
        left = self.inspector.sizeHint().width() + 16  # the inspector's labels grow with the zoom
        self.bottom_splitter.widget(0).setMinimumWidth(left)
        right = max(300, width // 4)
        self.bottom_splitter.setSizes([left, width - left - right, right])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._fitted:
            self.fit_panels()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.fit_panels()
        self._fitted = True

    def _sync_controls(self) -> None:
        net = self.sheet.net
        for box, value in ((self.reduction_box, net.reduction), (self.dtype_box, net.dtype.name)):
            with signals_blocked(box):
                box.setCurrentText(value)
        shown = next((name for name, data in PRESETS.items() if data["title"] == net.title), "")
        with signals_blocked(self.preset_box):  # the picker names the preset on screen, or nothing
            self.preset_box.setCurrentIndex(self.preset_box.findText(shown))

    # -- what the user does ------------------------------------------------------------

    def say(self, text: str) -> None:
        self.status_message.setText(text)

    def load_preset(self, name: str) -> bool:
        """Load a built-in network (one undo step); False when the user cancels to keep unsaved work."""
        if not self.files.load_network(preset(name), None, f"load preset {name}"):
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
            self.editor.replace(reshape.set_reduction(self.sheet.net, reduction), f"reduce the loss by {reduction}")

    def set_dtype(self, dtype: str) -> None:
        if dtype != self.sheet.net.dtype.name:
            self.editor.replace(reshape.set_dtype(self.sheet.net, dtype), f"compute in {dtype}")

    def inspect(self, name: str, index: tuple[int, ...]) -> None:
        """Inspect a cell of x, a w or a b, and select it in its grid."""
        view, model = self.sheet_view.views[name], self.sheet_view.models[name]
        view.setCurrentIndex(model.model_index(index))

    def nudge(self, eps: float) -> None:
        if self.sheet.inspected is None:
            return
        name, index = self.sheet.inspected
        before = self.sheet.derived.nudge(abs(eps))
        try:
            self.editor.nudge(name, index, eps)
        except EditError as e:
            self.say(f"{e}.")
            return
        self.inspector.record_nudge(before, eps, float(self.sheet.p.loss))
        self.say(f"Nudged {cell_name(name, index)} by {eps:+.3g}.")

    def _cell_selected(self, name: str, cell: tuple[int, ...]) -> None:
        base = name.removesuffix(".g")
        if not name.endswith(".g") and base in self.sheet.net.inputs():
            self.sheet.inspect(base, cell)
        elif base != "y":
            self.formula.show_gradient(base, cell)

    def _epsilon_changed(self, eps: float) -> None:
        self.charts.set_epsilon(eps)
        self._refresh_timer.start()

    # -- keeping everything in step with the sheet ---------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind == "network":
            self._sync_controls()
            self.fit_panels()
        if change.kind in ("step", "network"):
            self._show_step()
        if change.kind == "inspected":
            self.formula.inspected_changed()
        self.loss_display.refresh()
        self._refresh_timer.stop()
        self.refresh()

    def _show_step(self) -> None:
        """While stepping, the formula panel marks the call that just ran."""
        step = self.sheet.step
        if not step:
            self.formula.highlight_step(None)
        else:
            current = self.sheet.steps()[step - 1]
            self.formula.highlight_step(step - 1, current.reads, current.writes)

    def refresh(self) -> None:
        """Redraw what depends on the inspected cell: run once after a burst of changes."""
        self.inspector.refresh()
        if self.sheet.inspected is None:
            self.charts.clear()
        else:
            self.charts.refresh()
        self.formula.refresh()

    def closeEvent(self, event) -> None:
        self.sheet.unsubscribe(self._on_change)
        super().closeEvent(event)
