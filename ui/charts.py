"""Four charts of the inspected cell's nudges, measured by the watched value (the loss by default): side by
side where there is room, else two by two or a page at a time (``ui.chart_pages``).

``fd-plot``      the forward and central quotients ΔL/Δε against ε (log x), with the analytic gradient;
``error-plot``   |quotient − analytic| against ε (log–log): the V whose right arm is truncation error
                 (ε too large for a straight line) and whose left arm is round-off (ε too small for the
                 number format), each arm named on the chart;
``loss-plot``    L as the cell moves around its value, the tangent the backward formulas predict, the
                 secant through the value and value + ε, and those two points;
``secant-plot``  the same, zoomed to ε: L minus its tangent, so the tangent is the flat line at 0 and the
                 secant's slope is what the forward quotient gets wrong, at the ε chosen.

The charts follow the session: its inspected cell, watched value and ε, and every change of the sheet; they
redraw once a turn of the event loop, after the grids, and not at all while hidden.  They read the
session's ``derived`` data and do no maths of their own beyond masking what a log axis cannot show and
subtracting the tangent.  Every curve and line is made once and updated with ``setData``/``setValue``; the
legends sit under the plots, never on the data.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

from gradlab.finite_diff import Sweep
from gradlab.session import Session
from gradlab.sheet import Change
from gradlab.text import cell_name
from ui import chart_export, palette
from ui.chart_export import QtSVGExporter
from ui.chart_look import LIGHT, SYMBOL_SIZE, ChartTheme, chart_theme, line_pen, set_legend_columns, style_plot, style_text
from ui.chart_pages import ChartPages
from ui.signals import follow, out_of_sight

PLOT_NAMES = ("fd-plot", "error-plot", "loss-plot", "secant-plot")
PAGE_NAMES = ("Quotients", "Error", "Loss", "Secant")  # each chart's name on a tab, when they don't all fit
EMPTY_TEXT = "Select a cell of x, a w or a b to see its nudge charts"
LOSS_POINTS = 101
PLOT_MIN_WIDTH = 120  # four side by side fit beside the inspector on an 800-wide screen
SECANT_SPAN = 2.5  # the secant plot reaches this many ε either side of the value
LEGEND_GAP = 12  # px between a legend's columns, at font scale 1
FOLLOWED = frozenset({"values", "network", "inspected", "watched", "eps", "step", "answers", "graded"})
HIDDEN_TEXT = ("The charts compare the nudge with the true {0}, which is hidden until your line for it is right "
               "(Your turn); the inspector compares your own value with the nudge")


def loss_half_width(value: float, eps: float) -> float:
    """How far either side of ``value`` the loss plot reaches.

    Four ε, so that value + ε sits well inside the plot; but at least 5 % of the value's size (plus 0.05),
    so that the curvature the tangent misses shows even when ε is tiny (the secant plot zooms in to ε)."""
    return max(4.0 * eps, 0.05 * (abs(value) + 1.0))


def _positive(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a log y axis can show: NaN (a vanished step) and values ≤ 0 (an exact hit) are left out."""
    keep = np.isfinite(y) & (y > 0)
    return x[keep], y[keep]


def _number(v: float, spec: str = ".5g") -> str:
    return "—" if not math.isfinite(v) else format(v, spec)


chart_export.install()


class Marker(pg.ScatterPlotItem):
    """One point drawn as a symbol, moved by moving the item: ``place`` costs a ``setPos``, where giving a
    ``PlotDataItem`` its one point again costs twenty times that (two of the charts' milliseconds an edit)."""

    def __init__(self, colour: str, symbol: str):
        super().__init__([0.0], [0.0], symbol=symbol, brush=pg.mkBrush(colour), pen=None)
        self.setVisible(False)

    def place(self, x: float, y: float) -> None:
        if math.isfinite(x) and math.isfinite(y):
            self.setPos(x, y)
            self.setVisible(True)
        else:
            self.setVisible(False)

    def getOriginalDataset(self) -> tuple[list[float], list[float]]:
        """Where the point is, as a ``PlotDataItem`` gives its data: no point while hidden."""
        return ([self.pos().x()], [self.pos().y()]) if self.isVisible() else ([], [])


class NudgeCharts(QWidget):
    """The inspected cell's nudge charts, for the session's inspected cell, watched value and ε."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.sheet = session, session.sheet
        self._timer = QTimer(self, singleShot=True, interval=0)  # changes come in bursts: one redraw a turn
        self._timer.timeout.connect(self.refresh)
        self._stale = False  # something changed while the charts were hidden
        self.font_scale = 1.0
        self.theme: ChartTheme = LIGHT
        self._sweep_shown: Sweep | None = None  # the Sweep behind the curves, for the readouts
        self._loss_shown: tuple[str, str, np.ndarray, np.ndarray, np.ndarray] | None = None  # cell, y, values, y, tangent
        self._bend_shown: tuple[str, str, np.ndarray, np.ndarray] | None = None  # cell, y, values, y − tangent
        self._labels_for: tuple | None = None  # the watched value and cell the titles and labels were made for
        self._unseen: set[str] = set()  # plots left undrawn by the last refresh: they were out of sight
        self._styled = False  # set_font_scale has styled the plots once

        self._styles: list[tuple[pg.PlotDataItem, str, bool, Qt.PenStyle]] = []  # each series' look at scale 1
        self._markers: list[Marker] = []
        self.plots: dict[str, pg.PlotWidget] = {}
        self.readouts: dict[str, QLabel] = {}
        self._titles: dict[str, str] = {}
        self._axis_labels: dict[str, dict[str, tuple[str, ...]]] = {}  # each axis's labels, longest first
        self.chart_pages: ChartPages | None = None
        columns = [self._make_plot(name) for name in PLOT_NAMES]
        self.plots["fd-plot"].setLogMode(x=True, y=False)
        self.plots["error-plot"].setLogMode(x=True, y=True)

        fd, err, loss, secant = (self.plots[n] for n in PLOT_NAMES)
        self.forward_curve = self._curve(fd, "forward", palette.FORWARD, symbol="o")
        self.central_curve = self._curve(fd, "central", palette.CENTRAL, symbol="s")
        self.analytic_line = pg.InfiniteLine(angle=0, movable=False)
        self._analytic_key = self._curve(fd, "analytic", palette.ANALYTIC, in_plot=False)
        self._analytic_key.visibleChanged.connect(lambda: self.analytic_line.setVisible(self._analytic_key.isVisible()))
        fd.addItem(self.analytic_line)
        self.eps_line = self._eps_marker(fd)
        # lines alone here: the ΔL/Δε plot already marks each sampled ε, and symbols cost a frame budget
        self.forward_error_curve = self._curve(err, "forward", palette.FORWARD)
        self.central_error_curve = self._curve(err, "central", palette.CENTRAL, style=Qt.PenStyle.DashLine)
        self.eps_error_line = self._eps_marker(err)
        # a little way in from the view's edges, so that "round-off" does not run into the axis's top tick label
        self.round_off_label = pg.TextItem("round-off", anchor=(-0.12, 0))
        self.truncation_label = pg.TextItem("truncation", anchor=(1.12, 0))
        for label in (self.round_off_label, self.truncation_label):
            err.addItem(label, ignoreBounds=True)
        self.loss_curve = self._curve(loss, "L", palette.GREY)
        self.tangent_curve = self._curve(loss, "tangent", palette.ANALYTIC, style=Qt.PenStyle.DashLine)
        self.secant_curve = self._curve(loss, "secant", palette.FORWARD, style=Qt.PenStyle.DotLine)
        self.current_marker = self._marker(loss, palette.SOURCE, "o")
        self.nudged_marker = self._marker(loss, palette.CENTRAL, "t")
        self.bend_curve = self._curve(secant, "L − tangent", palette.GREY)
        self.flat_tangent = self._curve(secant, "tangent", palette.ANALYTIC, style=Qt.PenStyle.DashLine)
        self.bent_secant = self._curve(secant, "secant", palette.FORWARD, style=Qt.PenStyle.DotLine)
        self.bend_markers = (self._marker(secant, palette.CENTRAL, "t"), self._marker(secant, palette.CENTRAL, "t"))

        self._label_plots()
        charts = self.chart_pages = ChartPages(columns, list(PAGE_NAMES))
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("charts-empty")
        self.empty_label.setWordWrap(True)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self.empty_label)
        self._pages.addWidget(charts)
        self._charts_page = charts
        self.set_font_scale(1.0)
        self._move_eps_markers()
        follow(session, self, self._on_change)
        self.refresh()

    # -- building ------------------------------------------------------------------

    def _make_plot(self, name: str) -> QWidget:
        plot = pg.PlotWidget()
        plot.setObjectName(name)
        plot.setMinimumWidth(PLOT_MIN_WIDTH)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        plot.setMenuEnabled(True)  # the view menu, and with it the scene's Export… (PNG, SVG…)
        plot.scene().contextMenu[0].setEnabled(True)
        plot.showGrid(x=False, y=False)  # grid lines on log axes cost ~30 ms a repaint; the ticks suffice
        item = plot.getPlotItem()
        legend = pg.LegendItem(colCount=3, labelTextColor=LIGHT.ink)  # under the plot, never on the data
        item.layout.addItem(legend, 4, 1)
        item.legend = legend
        plot.scene().sigMouseMoved.connect(partial(self._mouse_moved, name))
        plot.installEventFilter(self)  # shown (its page came to the front): drawn then, if it was left undrawn
        plot.sigDeviceRangeChanged.connect(lambda *_: self._fit_text(plot))  # resized
        for side in ("bottom", "left"):
            plot.getAxis(side).enableAutoSIPrefix(False)  # ticks show the numbers themselves, never "(x0.001)"
        readout = QLabel("")
        readout.setObjectName(f"{name}-readout")
        readout.setWordWrap(True)
        readout.setMinimumWidth(PLOT_MIN_WIDTH)
        self.plots[name], self.readouts[name] = plot, readout
        cell = QWidget(objectName=f"{name}-cell")
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(plot, 1)
        column.addWidget(readout)
        return cell

    def _curve(self, plot: pg.PlotWidget, label: str | None, colour: str, symbol: str | None = None, line: bool = True,
               style: Qt.PenStyle = Qt.PenStyle.SolidLine, in_plot: bool = True) -> pg.PlotDataItem:
        """A series, in the legend under its plot unless ``label`` is None (the value markers explain themselves
        in the readout and the tooltip)."""
        item = pg.PlotDataItem([], [], name=label, antialias=True, symbol=symbol, symbolBrush=colour,
                               symbolPen=None)
        self._styles.append((item, colour, line, style))
        if in_plot:
            plot.addItem(item)  # with a name, the plot's legend takes it too
        else:  # a legend key standing for a line that is not a curve
            plot.getPlotItem().legend.addItem(item, label)
        return item

    def _marker(self, plot: pg.PlotWidget, colour: str, symbol: str) -> Marker:
        """A value's marker: it explains itself in the readout and the tooltip, so it is in no legend."""
        marker = Marker(colour, symbol)
        self._markers.append(marker)
        plot.addItem(marker)
        return marker

    def _eps_marker(self, plot: pg.PlotWidget) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False, label="ε", labelOpts={"position": 0.05})
        plot.addItem(line)
        return line

    def _label_plots(self) -> None:
        """Titles and axis labels for the watched value: L, or the watched cell ("out[1,0]")."""
        watched = self.session.watched
        cell = cell_name(*self.session.inspected) if self.session.inspected else "cell value"
        key = (str(watched), cell)
        if key == self._labels_for:  # a new label re-lays the plot out: only when it changes
            return
        self._labels_for = key
        y = "L" if watched.is_loss else str(watched)
        unit = "loss" if watched.is_loss else f"{watched}"
        self._titles = {
            "fd-plot": "Difference quotients",
            "error-plot": "Their error",
            "loss-plot": "Loss near the value" if watched.is_loss else f"{watched} near the value",
            "secant-plot": "Secant vs tangent",
        }
        # each axis's label from the longest to the shortest: a small chart shows the longest that fits
        eps = ("ε (cell units)", "ε")
        moved = (f"{cell} (cell units)", cell)
        self._axis_labels = {
            "fd-plot": {"bottom": eps, "left": (f"Δ{y}/Δε ({unit} per cell unit)", f"Δ{y}/Δε")},
            "error-plot": {"bottom": eps, "left": (f"|quotient − analytic| ({unit} per cell unit)",
                                                   "|quotient − analytic|", "|error|")},
            "loss-plot": {"bottom": moved, "left": (f"{y} ({unit} units)", y) if watched.is_loss else (y,)},
            "secant-plot": {"bottom": moved, "left": (f"{y} − tangent", f"{y} − tan.")},
        }
        for name, axes in self._axis_labels.items():
            for side, texts in axes.items():
                self.plots[name].setLabel(side, texts[0])
            said = f"{self._titles[name]}: {axes['left'][0]} against {axes['bottom'][0]}"
            self.plots[name].setToolTip(said)
            self.plots[name].setAccessibleName(f"{self._titles[name]} chart")  # as the training charts are named
            self.plots[name].setAccessibleDescription(said)
        for plot, curve, text in (("loss-plot", self.loss_curve, y), ("secant-plot", self.bend_curve, f"{y} − tangent")):
            for sample, label in self.plots[plot].getPlotItem().legend.items:
                if sample.item is curve:
                    label.setText(text)
        if self._styled:  # the first styling is set_font_scale's, as the charts are built
            self._restyle()
            self._fit_all_text()

    # -- following the session -------------------------------------------------------

    @property
    def eps(self) -> float:
        return self.session.eps

    @property
    def foreground(self) -> str:
        """The ink as pyqtgraph's shorthand: ``"k"`` on white plots, ``"w"`` on black ones."""
        return self.theme.shorthand

    def set_epsilon(self, eps: float) -> None:
        """Set the session's ε: the ε markers move at once, the curves at the next ``refresh``."""
        self.session.set_eps(eps)

    def _move_eps_markers(self) -> None:
        for line in (self.eps_line, self.eps_error_line):  # log axes: the line lives at log10(ε)
            line.setValue(math.log10(self.eps))

    def _on_change(self, change: Change) -> None:
        if change.kind not in FOLLOWED:
            return
        if change.kind == "eps":
            self._move_eps_markers()
        if self.isVisible():
            self._timer.start()
        else:
            self._stale = True

    def _fit_all_text(self) -> None:
        for plot in self.plots.values():
            self._fit_text(plot)

    def _fit_text(self, plot: pg.PlotWidget) -> None:
        """Fit a plot's text to its size: each axis gets the longest of its labels that fits along it, and the
        legend as many columns as fit under the plot (across when wide, down when narrow)."""
        item = plot.getPlotItem()
        view = item.getViewBox()
        for side, texts in self._axis_labels.get(plot.objectName(), {}).items():
            axis = item.getAxis(side)
            room = view.height() if side == "left" else view.width()
            chosen = next((t for t in texts if self._label_width(axis, t) <= room), texts[-1])
            if axis.labelText != chosen:
                axis.setLabel(chosen)
        legend = item.legend
        entry = max((sample.boundingRect().width() + label.item.boundingRect().width() for sample, label in legend.items),
                    default=1.0) + LEGEND_GAP * self.font_scale
        room = plot.width() - item.getAxis("left").width() - 8  # the legend sits under the view, beside no axis
        columns = int(max(1, min(3, len(legend.items), room // entry)))
        if legend.columnCount != columns:
            set_legend_columns(legend, columns)
            item.setGeometry(QRectF(0, 0, plot.width(), plot.height()))  # as narrow as the view again

    @staticmethod
    def _label_width(axis: pg.AxisItem, text: str) -> float:
        """The width ``text`` takes as the axis's label, in the axis's label style."""
        if axis.labelText == text:
            return axis.label.boundingRect().width()
        shown = axis.labelText
        axis.setLabel(text)
        width = axis.label.boundingRect().width()
        axis.setLabel(shown)
        return width

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._timer.start()

    def refresh(self, every: bool = False) -> None:
        """Redraw the charts in sight (``every``: all four) from the session's current state, or show the empty
        state."""
        self._timer.stop()
        derived = self.session.derived
        if self.session.inspected is None:
            self.clear()
            return
        if derived.watch_problem:
            self.clear(f"{derived.watch_problem}.")
            return
        if self.session.watched.is_loss and not self.session.revealed(gradient := f"{self.session.inspected[0]}.g"):
            self.clear(HIDDEN_TEXT.format(gradient) + ".")
            return
        self._label_plots()
        self._pages.setCurrentWidget(self._charts_page)
        # only the plots in sight: at 1280 wide two of the four are on a page behind the other, drawn when shown
        shown = {name for name, plot in self.plots.items() if every or not out_of_sight(plot)}
        self._unseen = set(PLOT_NAMES) - shown
        if shown & {"fd-plot", "error-plot"}:
            self._draw_quotients()
        if "loss-plot" in shown:
            self._draw_loss()
        if "secant-plot" in shown:
            self._draw_secant()

    def _draw_quotients(self) -> None:
        """The difference quotients and their error, against ε."""
        sw = self._sweep_shown = self.session.derived.sweep
        finite_fwd, finite_cen = np.isfinite(sw.forward), np.isfinite(sw.central)
        self.forward_curve.setData(sw.eps[finite_fwd], sw.forward[finite_fwd])
        self.central_curve.setData(sw.eps[finite_cen], sw.central[finite_cen])
        self.analytic_line.setValue(sw.analytic)
        self.analytic_line.setVisible(self._analytic_key.isVisible())
        self.forward_error_curve.setData(*_positive(sw.eps, sw.error("forward")))
        self.central_error_curve.setData(*_positive(sw.eps, sw.error("central")))
        finite_errors = np.concatenate([_positive(sw.eps, sw.error(s))[1] for s in ("forward", "central")])
        quotients = np.concatenate([sw.forward[finite_fwd], sw.central[finite_cen], [sw.analytic]])
        log_eps = np.log10(sw.eps)
        self._keep_in_view("fd-plot", log_eps, quotients)
        self._keep_in_view("error-plot", log_eps, np.log10(finite_errors) if finite_errors.size else np.zeros(1))
        (left, right), (_, top) = self.plots["error-plot"].getViewBox().viewRange()
        self.round_off_label.setPos(left, top)  # the V's left arm, small ε, is round-off; its right arm truncation
        self.truncation_label.setPos(right, top)

    def _draw_loss(self) -> None:
        """The watched value as the cell moves round its value, with the tangent and the secant through value + ε."""
        derived = self.session.derived
        value, step, before, after = self._nudge_point()
        values, moved = derived.loss_curve(loss_half_width(value, self.eps), LOSS_POINTS)
        tangent = derived.tangent(values)
        slope = (after - before) / step if step else math.nan
        self.loss_curve.setData(values, moved)
        self.tangent_curve.setData(values, tangent)
        self.secant_curve.setData(values, before + slope * (values - value) if step else [])
        self.current_marker.place(value, before)
        self.nudged_marker.place(value + step, after)
        self._loss_shown = (cell_name(*self.session.inspected), self._y_name(), values, moved, tangent)
        self._keep_in_view("loss-plot", values, np.concatenate([moved, [after]]))

    def _draw_secant(self) -> None:
        """The same, zoomed to ε, less the tangent: what the secant's slope gets wrong."""
        derived = self.session.derived
        value, step, before, after = self._nudge_point()
        slope = (after - before) / step if step else math.nan
        near, bent = derived.loss_curve(SECANT_SPAN * max(abs(step), self.eps), LOSS_POINTS)
        bend = bent - derived.tangent(near)
        gradient = derived.slope
        self.bend_curve.setData(near, bend)
        self.flat_tangent.setData([near[0], near[-1]], [0.0, 0.0])
        self.bent_secant.setData(near, (slope - gradient) * (near - value) if step else [])
        self.bend_markers[0].place(value, 0.0)
        self.bend_markers[1].place(value + step, after - before - gradient * step)
        self._bend_shown = (cell_name(*self.session.inspected), self._y_name(), near, bend)
        self._keep_in_view("secant-plot", near, np.concatenate([bend, [0.0]]), tight=True)

    def _y_name(self) -> str:
        return "L" if self.session.watched.is_loss else str(self.session.watched)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Show and watched.objectName() in self._unseen:  # its page came to the front
            self._timer.start()
        return super().eventFilter(watched, event)

    def _nudge_point(self) -> tuple[float, float, float, float]:
        """The inspected cell's value, the +ε step stored, and the watched value before and after it."""
        derived = self.session.derived
        if self.session.watched.is_loss:
            n = derived.nudge(self.eps)
            return n.value, n.step_plus, n.loss, n.loss_plus
        w = derived.watched_nudge(self.eps)
        return w.value, w.step_plus, w.watched, w.watched_plus

    def _keep_in_view(self, name: str, x: np.ndarray, y: np.ndarray, tight: bool = False) -> None:
        """Move a plot's range only when its data leaves the view or shrinks to a small part of it.

        Steady axes are easier to read while nudging, and a range that does not move
        lets pyqtgraph reuse its drawn axes instead of laying the ticks out again.  A ``tight``
        plot follows its data every time (the secant plot's range is tied to ε)."""
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if not x.size or not y.size:
            return
        box = self.plots[name].getViewBox()
        box.disableAutoRange()
        (vx0, vx1), (vy0, vy1) = box.viewRange()
        wanted = ((float(x.min()), float(x.max())), (float(y.min()), float(y.max())))
        stale = tight
        for (lo, hi), (vlo, vhi) in zip(wanted, ((vx0, vx1), (vy0, vy1))):
            span = max(hi - lo, 1e-12 * max(abs(lo), abs(hi), 1e-300))
            stale |= lo < vlo or hi > vhi or (vhi - vlo) > 4 * span
        if stale:
            if wanted[1][0] == wanted[1][1]:  # a flat line (the bend below round-off): give it some height
                pad = max(abs(wanted[1][0]), 1e-300) * 1e-3 or 1.0
                wanted = (wanted[0], (wanted[1][0] - pad, wanted[1][1] + pad))
            box.setRange(xRange=wanted[0], yRange=wanted[1], padding=0.08)

    def clear(self, text: str = EMPTY_TEXT) -> None:
        """Empty every curve and show ``text`` in their place."""
        for curve, *_ in self._styles:
            curve.setData([], [])
        for marker in self._markers:
            marker.setVisible(False)
        self.analytic_line.setVisible(False)
        self._sweep_shown = self._loss_shown = self._bend_shown = None
        for readout in self.readouts.values():
            readout.setText("")
        self.empty_label.setText(text)
        self._pages.setCurrentWidget(self.empty_label)

    # -- exact values under the mouse -------------------------------------------------

    def readout_at(self, plot_name: str, x: float) -> str:
        """The numbers of the data point nearest to ``x`` (ε, or the cell's value), as the readout shows them."""
        self._plot(plot_name)
        if plot_name == "loss-plot":
            if self._loss_shown is None:
                return ""
            cell, y, values, moved, tangent = self._loss_shown
            i = int(np.argmin(np.abs(values - x)))
            return f"{cell} = {values[i]:.6g}  {y} = {moved[i]:.6g}  tangent = {tangent[i]:.6g}"
        if plot_name == "secant-plot":
            if self._bend_shown is None:
                return ""
            cell, y, values, bend = self._bend_shown
            i = int(np.argmin(np.abs(values - x)))
            return f"{cell} = {values[i]:.10g}  {y} − tangent = {bend[i]:.3g}"
        sw = self._sweep_shown
        if sw is None:
            return ""
        if not x > 0:
            raise ValueError(f"ε must be positive to be read on a log axis, not {x}")
        i = int(np.argmin(np.abs(np.log10(sw.eps) - math.log10(x))))
        if plot_name == "fd-plot":
            return (f"ε = {sw.eps[i]:.2e}  forward = {_number(sw.forward[i])}  central = {_number(sw.central[i])}"
                    f"  analytic = {_number(sw.analytic)}")
        return (f"ε = {sw.eps[i]:.2e}  |forward − analytic| = {_number(sw.error('forward')[i], '.2e')}"
                f"  |central − analytic| = {_number(sw.error('central')[i], '.2e')}")

    def _mouse_moved(self, plot_name: str, scene_pos: QPointF) -> None:
        view = self.plots[plot_name].getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            return
        x = view.mapSceneToView(scene_pos).x()
        log_x = plot_name in ("fd-plot", "error-plot")
        self.readouts[plot_name].setText(self.readout_at(plot_name, 10.0**x if log_x else x))

    # -- export and looks --------------------------------------------------------------

    def export(self, plot_name: str, path: str) -> None:
        """Write one chart to ``path``: a PNG or an SVG, by the file's extension."""
        item = self._plot(plot_name).getPlotItem()
        if plot_name in self._unseen:  # on a page behind the other: drawn for the file
            self.refresh(every=True)
        path = str(path)
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if extension == "png":
            pyqtgraph.exporters.ImageExporter(item).export(path)
        elif extension == "svg":
            QtSVGExporter(item).export(path)
        else:
            raise ValueError(f"charts can be exported as .png or .svg, not “{path}”")

    def set_theme(self, dark: bool) -> None:
        """White plots with black ink, or black plots with white ink: every text at 21:1."""
        if chart_theme(dark) is self.theme:  # restyling costs ~9 ms: the window starts by setting both
            return
        self.theme = chart_theme(dark)
        self._restyle()

    def set_font_scale(self, scale: float) -> None:
        """Scale titles, axis labels, ticks, legends and pen widths together (1.0 is the default)."""
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"the font scale must be a positive number, not {scale}")
        if scale == self.font_scale and self._styled:
            return
        self.font_scale, self._styled = scale, True
        if self.chart_pages is not None:
            self.chart_pages.set_scale(scale)
        self._restyle()
        self._fit_all_text()

    def _restyle(self) -> None:
        scale, theme = self.font_scale, self.theme
        for name, plot in self.plots.items():
            style_plot(plot, self._titles[name], theme, scale)
            item = plot.getPlotItem()  # pyqtgraph gives a title 30 px: enough at scale 1 only
            title_height = math.ceil(item.titleLabel.item.boundingRect().height())
            item.titleLabel.setMaximumHeight(title_height)
            item.layout.setRowFixedHeight(0, title_height)
        for curve, colour, line, style in self._styles:
            curve.setPen(line_pen(colour, scale, style) if line else None)
            curve.setSymbolSize(SYMBOL_SIZE * scale)
        for marker in self._markers:
            marker.setSize(SYMBOL_SIZE * scale * 1.5)  # a lone marker is drawn larger
        self.analytic_line.setPen(line_pen(palette.ANALYTIC, scale))
        for line in (self.eps_line, self.eps_error_line):
            line.setPen(line_pen(palette.GREY, scale, Qt.PenStyle.DotLine))
            style_text(line.label, theme, scale)
            line.label.fill = pg.mkBrush(*theme.legend_fill)
        for label in (self.round_off_label, self.truncation_label):
            style_text(label, theme, scale)

    def _plot(self, plot_name: str) -> pg.PlotWidget:
        if plot_name not in self.plots:
            raise ValueError(f"there is no chart named “{plot_name}”; the charts are {', '.join(PLOT_NAMES)}")
        return self.plots[plot_name]
