"""The loss coming down, and the inspected cell moving, over the training steps taken.

``loss-history-plot`` draws ``session.history.losses`` against the step (0: before
the first step), with the current step marked; a log-y option shows the last
orders of magnitude (values ≤ 0, which a log axis cannot show, are left out).
``cell-history-plot`` draws the inspected cell's value over the same steps: the
values ``train`` recorded while it was inspected (``history.watched``); steps
taken while another cell was inspected are a gap.

Both follow the session.  During a run the panel hands them the run so far
(``show_run``); the session's history only grows when the run ends.  Each curve
and line is made once and updated with ``setData``/``setValue``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gradlab.session import Session
from gradlab.sheet import Change
from gradlab.text import cell_name
from ui import palette
from ui.chart_look import LIGHT, ChartTheme, chart_theme, style_plot
from ui.signals import DrawnInSight, follow, signals_blocked
from ui.training_run import TrainingRun

MANY_POINTS = 4_000  # beyond this, curves are drawn reduced to the pixels (min and max of each); below, every point
# Antialiased lines 2 px wide along a zigzag (a loss that oscillates step to step) take ~60 ms to paint at
# 1,000 points, more than a turn of the event loop may; without antialiasing ~1 ms.  Short curves stay smooth.
SMOOTH_POINTS = 300
MIN_WIDTH = 200
_PEN_WIDTH, _SYMBOL_SIZE = 2.0, 9.0
NO_CELL = "Inspect a cell of x, a w or a b to follow its value over the steps."


def positive(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a log axis can show: finite values above 0."""
    keep = np.isfinite(y) & (y > 0)
    return x[keep], y[keep]


class TrainingCharts(DrawnInSight, QWidget):
    """The loss over the steps, and the inspected cell's value over them, side by side."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.sheet = session, session.sheet
        self.log_y = False
        self.font_scale = 1.0
        self.theme: ChartTheme = LIGHT
        self.run: TrainingRun | None = None  # a run under way, drawn instead of the history alone
        self._pens: list[tuple[pg.PlotDataItem, str]] = []
        self._reduced: dict[int, bool] = {}  # id of a curve: whether it is drawn reduced to the pixels
        self.loss_plot = self._plot("loss-history-plot", "Loss over the steps", "L (loss units)")
        self.cell_plot = self._plot("cell-history-plot", "Inspected cell over the steps", "value (cell units)")
        self._cell_title = ""
        self.loss_curve = self._curve(self.loss_plot, palette.CENTRAL)
        self.loss_marker = self._marker(self.loss_plot)
        self.loss_step_line = self._step_line(self.loss_plot)
        self.cell_curve = self._curve(self.cell_plot, palette.ORANGE)
        self.cell_marker = self._marker(self.cell_plot)
        self.cell_step_line = self._step_line(self.cell_plot)

        self.log_box = QCheckBox("log y", objectName="loss-log-y")
        self.log_box.setToolTip("Draw the loss on a log axis: the last orders of magnitude show (values ≤ 0 are left out)")
        self.log_box.setAccessibleName("Loss chart on a log axis")
        self.log_box.toggled.connect(self.set_log_y)
        self.cell_note = QLabel(NO_CELL, objectName="cell-history-note")
        self.cell_note.setWordWrap(True)

        loss_column, cell_column = QVBoxLayout(), QVBoxLayout()
        loss_column.addWidget(self.loss_plot, 1)
        loss_column.addWidget(self.log_box)
        cell_column.addWidget(self.cell_plot, 1)
        cell_column.addWidget(self.cell_note)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(loss_column, 1)
        row.addLayout(cell_column, 1)
        self._style(1.0)
        follow(session, self, self._on_change)
        self.refresh()

    # -- building ---------------------------------------------------------------------

    def _plot(self, name: str, title: str, left: str) -> pg.PlotWidget:
        plot = pg.PlotWidget()
        plot.setObjectName(name)  # PlotWidget hands its keyword arguments to its PlotItem
        plot.setMinimumWidth(MIN_WIDTH)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        plot.setAccessibleName(title)
        plot.setToolTip(f"{title}: step 0 is before the first step; the marker is the current step")
        plot.setLabel("bottom", "step")
        plot.setLabel("left", left)
        for side in ("bottom", "left"):
            plot.getAxis(side).enableAutoSIPrefix(False)
        return plot

    def _curve(self, plot: pg.PlotWidget, colour: str) -> pg.PlotDataItem:
        curve = pg.PlotDataItem([], [], connect="finite", antialias=True)
        self._pens.append((curve, colour))
        plot.addItem(curve)
        return curve

    def _marker(self, plot: pg.PlotWidget) -> pg.PlotDataItem:
        marker = pg.PlotDataItem([], [], pen=None, symbol="o", symbolBrush=palette.SOURCE, symbolPen="k")
        plot.addItem(marker)
        return marker

    def _step_line(self, plot: pg.PlotWidget) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False)  # a vertical line: its x is a step, never on a log axis
        plot.addItem(line)
        return line

    # -- following the session ---------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind in ("values", "network", "history", "inspected"):
            self.changed()  # drawn when the Train tab is shown, not on every edit behind it

    def refresh(self) -> None:
        """Draw the session's history, and the run under way after it; the current state at the last step."""
        if self.run is not None:
            self._draw_run(self.run)
            return
        history = self.session.history
        losses = np.array(history.losses) if history is not None else np.empty(0)
        cell = self.session.inspected
        values = None
        if history is not None and cell is not None and cell in history.watched:
            values = np.array(history.watched[cell])
        self._draw(losses, values)

    def show_run(self, run: TrainingRun | None) -> None:
        """Draw the steps of ``run`` done so far after the history (until it is over: then ``show_run(None)``)."""
        self.run = run
        self.refresh()

    def _draw_run(self, run: TrainingRun) -> None:
        history = self.session.history
        done = run.losses[1:run.done + 1]
        if history is None:
            losses = run.losses[:run.done + 1]
        else:
            losses = np.concatenate([history.losses, done])
        values = None
        cell = self.session.inspected
        if cell in run.watched:
            recorded = run.watched[cell][:run.done + 1]
            before = history.watched.get(cell) if history is not None else None
            if history is None:
                values = recorded
            elif before is None:
                values = np.concatenate([np.full(len(history.losses) - 1, np.nan), recorded])
            else:
                values = np.concatenate([before, recorded[1:]])
        value = float(run.net.tensor(cell[0])[cell[1]]) if cell is not None else None
        self._draw(losses, values, now=(float(losses[-1]), value))

    def _draw(self, losses: np.ndarray, values: np.ndarray | None, now: tuple[float, float | None] | None = None) -> None:
        """``losses`` (one per step from 0) and the inspected cell's ``values``; ``now`` is the current loss and value
        (the sheet's, unless a run is drawing its own)."""
        step = max(len(losses) - 1, 0)
        cell = self.session.inspected
        if now is None:
            current = float(self.sheet.p.loss), float(self.sheet.array(cell[0])[cell[1]]) if cell is not None else None
        else:
            current = now
        steps = np.arange(len(losses), dtype=float)
        self._set(self.loss_curve, *(positive(steps, losses) if self.log_y else (steps, losses)))
        loss_now = current[0]
        if self.log_y and not (math.isfinite(loss_now) and loss_now > 0):
            self.loss_marker.setData([], [])
        else:
            self.loss_marker.setData([step], [loss_now])
        for line in (self.loss_step_line, self.cell_step_line):
            line.setValue(step)
        self.cell_step_line.setVisible(cell is not None)  # alone in an empty plot, it would pull the range to itself

        if cell is None:
            self._set(self.cell_curve, np.empty(0), np.empty(0))
            self.cell_marker.setData([], [])
            self.cell_note.setText(NO_CELL)
            self._title_cell("Inspected cell")
            return
        name = cell_name(*cell)
        self._title_cell(name)
        recorded = values[np.isfinite(values)] if values is not None else np.empty(0)
        if values is None or not recorded.size:
            self._set(self.cell_curve, np.empty(0), np.empty(0))
            self.cell_note.setText(f"{name} was not inspected while those steps were taken: it is recorded from the next step on."
                                   if step else f"{name} is recorded as steps are taken.")
        else:
            self._set(self.cell_curve, np.arange(len(values), dtype=float), values)
            self.cell_note.setText(f"{name} went from {recorded[0]:.6g} to {current[1]:.6g} over the steps recorded.")
        self.cell_marker.setData([step], [current[1]])

    def _set(self, curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
        many = len(x) > MANY_POINTS
        if self._reduced.get(id(curve), False) != many:  # only long curves are reduced: a short one keeps every point
            curve.setDownsampling(auto=many, method="peak")
            curve.setClipToView(many)
            self._reduced[id(curve)] = many
        curve.setData(x, y, antialias=len(x) <= SMOOTH_POINTS)

    # -- options and looks ----------------------------------------------------------------

    def set_log_y(self, on: bool) -> None:
        """The loss on a log axis (values ≤ 0 left out), or a linear one."""
        self.log_y = bool(on)
        with signals_blocked(self.log_box):
            self.log_box.setChecked(self.log_y)
        self.loss_plot.setLogMode(x=False, y=self.log_y)
        self.refresh()

    def _title_cell(self, title: str) -> None:
        if title != self._cell_title:  # a new title lays the plot out again: only when it changes
            self._cell_title = title
            style_plot(self.cell_plot, title, self.theme, self.font_scale)

    def set_theme(self, dark: bool) -> None:
        """White plots with black ink, or black plots with white ink."""
        if chart_theme(dark) is self.theme:  # restyling costs milliseconds: the window starts by setting both
            return
        self.theme = chart_theme(dark)
        self._style(self.font_scale)

    def set_font_scale(self, scale: float) -> None:
        """Scale titles, axis labels, ticks and pen widths together (1.0 is the default)."""
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"the font scale must be a positive number, not {scale}")
        if scale != self.font_scale:
            self._style(scale)

    def _style(self, scale: float) -> None:
        self.font_scale = scale
        style_plot(self.loss_plot, "Loss", self.theme, scale)
        style_plot(self.cell_plot, self._cell_title or "Inspected cell", self.theme, scale)
        for curve, colour in self._pens:
            curve.setPen(pg.mkPen(colour, width=_PEN_WIDTH * scale))
        for marker in (self.loss_marker, self.cell_marker):
            marker.setSymbolSize(_SYMBOL_SIZE * scale)
        for line in (self.loss_step_line, self.cell_step_line):
            line.setPen(pg.mkPen(palette.GREY, width=scale, style=Qt.PenStyle.DotLine))
        self.refresh()
