"""Three charts of the inspected cell's nudges, side by side.

``fd-plot``     the forward and central quotients ΔL/Δε against ε (log x), with the analytic gradient;
``error-plot``  |quotient − analytic| against ε (log–log): the V of truncation error (large ε) against
                round-off (small ε);
``loss-plot``   L as the cell moves around its value, the tangent the backward formulas predict, and the
                points at the value and at value + ε.

The charts follow the session: its inspected cell and ε, and every change of the sheet.  They read the
session's ``derived`` data and do no maths of their own beyond masking what a log axis cannot show.  Every curve and line is made once and
updated with ``setData``/``setValue``.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

from gradlab.finite_diff import Sweep
from gradlab.session import Session
from gradlab.sheet import Change
from gradlab.text import cell_name
from ui import chart_export, palette
from ui.chart_export import QtSVGExporter
from ui.signals import follow

PLOT_NAMES = ("fd-plot", "error-plot", "loss-plot")
EMPTY_TEXT = "Select a cell of x, a w or a b to see its nudge charts"
LOSS_POINTS = 101
PLOT_MIN_WIDTH = 180  # three side by side still fit a 1280-wide window beside the inspector and formulas
_PEN_WIDTH = 2.0  # at font scale 1
_SYMBOL_SIZE = 6.0
_TICK_PT, _LABEL_PT, _TITLE_PT = 8.0, 9.0, 10.0
_TITLES = {
    "fd-plot": "Difference quotients",
    "error-plot": "Error of the quotients",
    "loss-plot": "Loss around the value",
}


def loss_half_width(value: float, eps: float) -> float:
    """How far either side of ``value`` the loss plot reaches.

    Four ε, so that value + ε sits well inside the plot; but at least 5 % of the value's size (plus 0.05),
    so that the curvature the tangent misses shows even when ε is tiny."""
    return max(4.0 * eps, 0.05 * (abs(value) + 1.0))


def _positive(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a log y axis can show: NaN (a vanished step) and values ≤ 0 (an exact hit) are left out."""
    keep = np.isfinite(y) & (y > 0)
    return x[keep], y[keep]


def _number(v: float, spec: str = ".5g") -> str:
    return "—" if not math.isfinite(v) else format(v, spec)


chart_export.install()


class NudgeCharts(QWidget):
    """The inspected cell's three nudge charts, for the session's inspected cell and ε."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.sheet = session, session.sheet
        self._eps_timer = QTimer(self, singleShot=True, interval=0)  # ε drags come in bursts: one redraw a turn
        self._eps_timer.timeout.connect(self.refresh)
        self.font_scale = 1.0
        self.foreground = "k"  # ink: black on white plots, white on black ones
        self._sweep_shown: Sweep | None = None  # the Sweep behind the curves, for the readouts
        self._loss_shown: tuple[str, np.ndarray, np.ndarray, np.ndarray] | None = None  # cell, values, L, tangent
        self._loss_axis_label = ""

        self._styles: list[tuple[pg.PlotDataItem, str, bool, Qt.PenStyle]] = []  # each series' look at scale 1
        self.plots: dict[str, pg.PlotWidget] = {}
        self.readouts: dict[str, QLabel] = {}
        row = QHBoxLayout()
        for name in PLOT_NAMES:
            row.addLayout(self._make_plot(name), 1)
        self.plots["fd-plot"].setLogMode(x=True, y=False)
        self.plots["error-plot"].setLogMode(x=True, y=True)

        fd, err, loss = (self.plots[n] for n in PLOT_NAMES)
        self.forward_curve = self._curve(fd, "forward", palette.FORWARD, symbol="o")
        self.central_curve = self._curve(fd, "central", palette.CENTRAL, symbol="s")
        self.analytic_line = pg.InfiniteLine(angle=0, movable=False)
        self._analytic_key = self._curve(fd, "analytic", palette.ANALYTIC, in_plot=False)
        self._analytic_key.visibleChanged.connect(lambda: self.analytic_line.setVisible(self._analytic_key.isVisible()))
        self.eps_line = self._eps_marker(fd)
        # lines alone here: the ΔL/Δε plot already marks each sampled ε, and symbols cost a frame budget
        self.forward_error_curve = self._curve(err, "forward", palette.FORWARD)
        self.central_error_curve = self._curve(err, "central", palette.CENTRAL, style=Qt.PenStyle.DashLine)
        self.eps_error_line = self._eps_marker(err)
        self.loss_curve = self._curve(loss, "L", palette.GREY)
        self.tangent_curve = self._curve(loss, "tangent", palette.ANALYTIC, style=Qt.PenStyle.DashLine)
        self.current_marker = self._curve(loss, "value", palette.SOURCE, symbol="o", line=False)
        self.nudged_marker = self._curve(loss, "value + ε", palette.CENTRAL, symbol="t", line=False)
        fd.addItem(self.analytic_line)

        charts = QWidget()
        charts.setLayout(row)
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

    def _make_plot(self, name: str) -> QVBoxLayout:
        plot = pg.PlotWidget()
        plot.setObjectName(name)
        plot.setBackground("w")
        plot.setMinimumWidth(PLOT_MIN_WIDTH)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        plot.setMenuEnabled(True)  # the view menu, and with it the scene's Export… (PNG, SVG…)
        plot.scene().contextMenu[0].setEnabled(True)
        plot.showGrid(x=False, y=False)  # grid lines on log axes cost ~30 ms a repaint; the ticks suffice
        plot.addLegend(offset=(-10, 10), labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 170))
        plot.scene().sigMouseMoved.connect(partial(self._mouse_moved, name))
        labels = {
            "fd-plot": ("ε (cell units)", "ΔL/Δε (loss per cell unit)"),
            "error-plot": ("ε (cell units)", "|quotient − analytic| (loss per cell unit)"),
            "loss-plot": ("cell value (cell units)", "L (loss units)"),
        }[name]
        for side, text in zip(("bottom", "left"), labels):
            plot.setLabel(side, text)
            plot.getAxis(side).enableAutoSIPrefix(False)  # ticks show the numbers themselves, never "(x0.001)"
        readout = QLabel("")
        readout.setObjectName(f"{name}-readout")
        readout.setWordWrap(True)
        readout.setMinimumWidth(PLOT_MIN_WIDTH)
        self.plots[name], self.readouts[name] = plot, readout
        column = QVBoxLayout()
        column.addWidget(plot, 1)
        column.addWidget(readout)
        return column

    def _curve(self, plot: pg.PlotWidget, label: str, colour: str, symbol: str | None = None, line: bool = True,
               style: Qt.PenStyle = Qt.PenStyle.SolidLine, in_plot: bool = True) -> pg.PlotDataItem:
        item = pg.PlotDataItem([], [], name=label, antialias=True, symbol=symbol, symbolBrush=colour,
                               symbolPen=None)
        self._styles.append((item, colour, line, style))
        if in_plot:
            plot.addItem(item)
        else:  # a legend key standing for a line that is not a curve
            plot.getPlotItem().legend.addItem(item, label)
        return item

    def _eps_marker(self, plot: pg.PlotWidget) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False, label="ε", labelOpts={"position": 0.05, "color": "k", "fill": (255, 255, 255, 200)})
        plot.addItem(line)
        return line

    # -- following the session -------------------------------------------------------

    @property
    def eps(self) -> float:
        return self.session.eps

    def set_epsilon(self, eps: float) -> None:
        """Set the session's ε: the ε markers move at once, the loss plot's ε point at the next ``refresh``."""
        self.session.set_eps(eps)

    def _move_eps_markers(self) -> None:
        for line in (self.eps_line, self.eps_error_line):  # log axes: the line lives at log10(ε)
            line.setValue(math.log10(self.eps))

    def _on_change(self, change: Change) -> None:
        if change.kind == "eps":
            self._move_eps_markers()
            self._eps_timer.start()
        elif change.kind not in ("selected", "explained"):
            self._eps_timer.stop()
            self.refresh()

    def refresh(self) -> None:
        """Redraw every chart from the session's current state, or show the empty state."""
        if self.session.inspected is None:
            self.clear()
            return
        derived = self.session.derived
        sw = derived.sweep
        self._sweep_shown = sw
        finite_fwd, finite_cen = np.isfinite(sw.forward), np.isfinite(sw.central)
        self.forward_curve.setData(sw.eps[finite_fwd], sw.forward[finite_fwd])
        self.central_curve.setData(sw.eps[finite_cen], sw.central[finite_cen])
        self.analytic_line.setValue(sw.analytic)
        self.analytic_line.setVisible(self._analytic_key.isVisible())
        self.forward_error_curve.setData(*_positive(sw.eps, sw.error("forward")))
        self.central_error_curve.setData(*_positive(sw.eps, sw.error("central")))

        n = derived.nudge(self.eps)
        values, losses = derived.loss_curve(loss_half_width(n.value, self.eps), LOSS_POINTS)
        tangent = derived.tangent(values)
        self.loss_curve.setData(values, losses)
        self.tangent_curve.setData(values, tangent)
        self.current_marker.setData([n.value], [n.loss])
        self.nudged_marker.setData([n.value + n.step_plus], [n.loss_plus])
        cell = cell_name(*self.session.inspected)
        self._loss_shown = (cell, values, losses, tangent)
        label = f"{cell} (cell units)"
        if self._loss_axis_label != label:  # a new label re-lays the plot out: only when it changes
            self._loss_axis_label = label
            self.plots["loss-plot"].setLabel("bottom", label)
        self._pages.setCurrentWidget(self._charts_page)
        finite_errors = np.concatenate([_positive(sw.eps, sw.error(s))[1] for s in ("forward", "central")])
        quotients = np.concatenate([sw.forward[finite_fwd], sw.central[finite_cen], [sw.analytic]])
        log_eps = np.log10(sw.eps)
        self._keep_in_view("fd-plot", log_eps, quotients)
        self._keep_in_view("error-plot", log_eps, np.log10(finite_errors) if finite_errors.size else np.zeros(1))
        self._keep_in_view("loss-plot", values, np.concatenate([losses, [n.loss_plus]]))

    def _keep_in_view(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        """Move a plot's range only when its data leaves the view or shrinks to a small part of it.

        Steady axes are easier to read while nudging, and a range that does not move
        lets pyqtgraph reuse its drawn axes instead of laying the ticks out again."""
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if not x.size or not y.size:
            return
        box = self.plots[name].getViewBox()
        box.disableAutoRange()
        (vx0, vx1), (vy0, vy1) = box.viewRange()
        wanted = ((float(x.min()), float(x.max())), (float(y.min()), float(y.max())))
        stale = False
        for (lo, hi), (vlo, vhi) in zip(wanted, ((vx0, vx1), (vy0, vy1))):
            span = max(hi - lo, 1e-12 * max(abs(lo), abs(hi), 1e-300))
            stale |= lo < vlo or hi > vhi or (vhi - vlo) > 4 * span
        if stale:
            box.setRange(xRange=wanted[0], yRange=wanted[1], padding=0.08)

    def clear(self) -> None:
        """Empty every curve and show the empty-state text."""
        for curve in (self.forward_curve, self.central_curve, self.forward_error_curve, self.central_error_curve,
                      self.loss_curve, self.tangent_curve, self.current_marker, self.nudged_marker):
            curve.setData([], [])
        self.analytic_line.setVisible(False)
        self._sweep_shown = self._loss_shown = None
        self._loss_axis_label = ""
        for readout in self.readouts.values():
            readout.setText("")
        self._pages.setCurrentWidget(self.empty_label)

    # -- exact values under the mouse -------------------------------------------------

    def readout_at(self, plot_name: str, x: float) -> str:
        """The numbers of the data point nearest to ``x`` (ε, or the cell's value), as the readout shows them."""
        self._plot(plot_name)
        if plot_name == "loss-plot":
            if self._loss_shown is None:
                return ""
            cell, values, losses, tangent = self._loss_shown
            i = int(np.argmin(np.abs(values - x)))
            return f"{cell} = {values[i]:.6g}  L = {losses[i]:.6g}  tangent = {tangent[i]:.6g}"
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
        self.readouts[plot_name].setText(self.readout_at(plot_name, x if plot_name == "loss-plot" else 10.0**x))

    # -- export and looks --------------------------------------------------------------

    def export(self, plot_name: str, path: str) -> None:
        """Write one chart to ``path``: a PNG or an SVG, by the file's extension."""
        item = self._plot(plot_name).getPlotItem()
        path = str(path)
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if extension == "png":
            pyqtgraph.exporters.ImageExporter(item).export(path)
        elif extension == "svg":
            QtSVGExporter(item).export(path)
        else:
            raise ValueError(f"charts can be exported as .png or .svg, not “{path}”")

    def set_theme(self, dark: bool) -> None:
        """White plots with black ink, or black plots with white ink."""
        self.foreground = "w" if dark else "k"
        for plot in self.plots.values():
            plot.setBackground("k" if dark else "w")
            legend = plot.getPlotItem().legend
            legend.setBrush(pg.mkBrush(0, 0, 0, 170) if dark else pg.mkBrush(255, 255, 255, 170))
            legend.setLabelTextColor(self.foreground)
        for line in (self.eps_line, self.eps_error_line):
            line.label.setColor(self.foreground)
            line.label.fill = pg.mkBrush(0, 0, 0, 200) if dark else pg.mkBrush(255, 255, 255, 200)
        self.set_font_scale(self.font_scale)

    def set_font_scale(self, scale: float) -> None:
        """Scale titles, axis labels, ticks, legends and pen widths together (1.0 is the default)."""
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"the font scale must be a positive number, not {scale}")
        self.font_scale = scale
        tick_font = QFont()
        tick_font.setPointSizeF(_TICK_PT * scale)
        for name, plot in self.plots.items():
            item = plot.getPlotItem()
            item.setTitle(_TITLES[name], color=self.foreground, size=f"{_TITLE_PT * scale:g}pt")
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(pg.mkPen(self.foreground, width=scale))
                axis.setTextPen(self.foreground)
                axis.setTickFont(tick_font)
                axis.setLabel(axis.labelText, color=self.foreground, **{"font-size": f"{_LABEL_PT * scale:g}pt"})
            item.legend.setLabelTextSize(f"{_LABEL_PT * scale:g}pt")  # stored only: existing labels need setText
            for _, label in item.legend.items:
                label.setText(label.text, size=f"{_LABEL_PT * scale:g}pt")
        width = _PEN_WIDTH * scale
        for curve, colour, line, style in self._styles:
            curve.setPen(pg.mkPen(colour, width=width, style=style) if line else None)
            curve.setSymbolSize(_SYMBOL_SIZE * scale * (1.0 if line else 1.5))  # a lone marker is drawn larger
        self.analytic_line.setPen(pg.mkPen(palette.ANALYTIC, width=width))
        for line in (self.eps_line, self.eps_error_line):
            line.setPen(pg.mkPen(palette.GREY, width=width, style=Qt.PenStyle.DotLine))
            line.label.setFont(tick_font)

    def _plot(self, plot_name: str) -> pg.PlotWidget:
        if plot_name not in self.plots:
            raise ValueError(f"there is no chart named “{plot_name}”; the charts are {', '.join(PLOT_NAMES)}")
        return self.plots[plot_name]
