"""The network's output over the input plane, under the batch's points: TensorFlow Playground's picture.

For a network with exactly two inputs, ``output_plane`` (the core) feeds every
point of a grid covering the batch through the network; this view colours it
and draws the batch's points on top, coloured by their targets:

- ``cross_entropy``: each point of the plane takes the colour of the class the
  network predicts there, deeper where it is surer (white at a guess among
  equals); each batch point has its class's colour and shape.
- otherwise, the first output on a diverging scale, blue below 0, white at 0,
  vermillion above (as the grids colour signs), full at the largest size among
  the targets and the drawn outputs; the targets on the same scale.

It follows the session (every edit redraws it) and draws a run's network as it
trains (``show_network``).  Networks without two inputs get a one-line note.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gradlab.network import Network
from gradlab.plane import output_plane
from gradlab.session import Session
from gradlab.sheet import Change
from ui import palette
from ui.chart_look import LIGHT, chart_theme, style_plot
from ui.signals import DrawnInSight, follow

CLASS_COLOURS = (palette.BLUE, palette.ORANGE, palette.BLUISH_GREEN, palette.REDDISH_PURPLE,
                 palette.VERMILLION, palette.YELLOW, palette.GREY)  # Okabe–Ito, class 0, 1, 2, …
CLASS_SYMBOLS = ("o", "s", "t", "d", "star", "h", "p")  # a shape per class too: colour is never the only cue
SIZE = 64  # grid points along each axis
DEEPEST = 0.65  # how far a sure class's colour goes from white, so the points on top stay visible
POINT_SIZE = 11


def _rgb(hex_code: str) -> np.ndarray:
    c = QColor(hex_code)
    return np.array([c.red(), c.green(), c.blue()], dtype=float)


WHITE = np.full(3, 255.0)


def tint(colours: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """RGBA bytes: each colour (… × 3) taken from white by ``depth`` (0: white, 1: the colour itself)."""
    rgb = WHITE + (colours - WHITE) * np.clip(depth, 0.0, 1.0)[..., None]
    alpha = np.full(rgb.shape[:-1] + (1,), 255.0)
    return np.concatenate([rgb, alpha], -1).round().astype(np.ubyte)


def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """RGBA bytes for ``values`` on the sign scale: blue at −limit, white at 0, vermillion at +limit and beyond."""
    t = np.clip(np.nan_to_num(values / limit), -1.0, 1.0)
    colours = np.where((t < 0)[..., None], _rgb(palette.NEGATIVE), _rgb(palette.POSITIVE))
    return tint(colours, np.abs(t))


class OutputPlane(DrawnInSight, QWidget):
    """``output-plane-plot``: the output over the input plane, with the batch on top; or a note why not."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.sheet = session, session.sheet
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("output-plane-plot")
        self.plot.setMinimumWidth(200)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot.setAspectLocked(False)
        self.plot.setMenuEnabled(True)
        self.plot.setAccessibleName("Output over the input plane")
        self.plot.setToolTip("The network's output at every point (x[:,0], x[:,1]) around the batch, "
                             "under the batch's points coloured by their targets")
        self.plot.setLabel("bottom", "x[:,0]")
        self.plot.setLabel("left", "x[:,1]")
        for side in ("bottom", "left"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.image = pg.ImageItem()
        self.points = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen("k", width=1.2))
        self.plot.addItem(self.image)
        self.plot.addItem(self.points)
        self.note = QLabel(objectName="output-plane-note")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self._rect: QRectF | None = None
        self.theme, self.font_scale = LIGHT, 1.0
        self._style(1.0)
        follow(session, self, self._on_change)
        self.refresh()

    def set_theme(self, dark: bool) -> None:
        if chart_theme(dark) is self.theme:  # restyling costs milliseconds: the window starts by setting both
            return
        self.theme = chart_theme(dark)
        self._style(self.font_scale)

    def set_font_scale(self, scale: float) -> None:
        if scale != self.font_scale:
            self._style(scale)

    def _style(self, scale: float) -> None:
        self.font_scale = scale
        style_plot(self.plot, "Output over the inputs", self.theme, scale)

    @property
    def shown(self) -> bool:
        """Whether the plane is drawn (the network has two inputs)."""
        return not self.plot.isHidden()

    def _on_change(self, change: Change) -> None:
        if change.kind in ("values", "network"):
            self.changed()  # drawn when the Train tab is shown, not on every edit behind it

    def refresh(self) -> None:
        self.show_network(self.sheet.net)

    def show_network(self, net: Network) -> None:
        """Draw ``net``'s output over the plane and its batch (the sheet's, or a run's as it trains)."""
        inputs = net.x.shape[1]
        if inputs != 2:
            self.plot.hide()
            self.note.setText(f"The output is drawn over the input plane for networks with two inputs; this one has {inputs}.")
            return
        self.plot.show()
        plane = output_plane(net, SIZE)
        x0, x1 = plane.x0.astype(float), plane.x1.astype(float)
        if plane.classes is not None:
            colours = np.array([_rgb(CLASS_COLOURS[k % len(CLASS_COLOURS)]) for k in range(plane.out.shape[-1])])
            k = plane.out.shape[-1]
            sure = (plane.value - 1.0 / k) / (1.0 - 1.0 / k)  # 0 at a guess among equals, 1 at certainty
            rgba = tint(colours[plane.classes], DEEPEST * sure)
            targets = net.y.astype(int).ravel()
            brushes = [pg.mkBrush(CLASS_COLOURS[t % len(CLASS_COLOURS)]) for t in targets]
            symbols = [CLASS_SYMBOLS[t % len(CLASS_SYMBOLS)] for t in targets]
            self.note.setText("Shade: the class the network predicts there, deeper where it is surer; "
                              "points: the batch, by target class (colour and shape).")
        else:
            targets, value = net.y[:, 0].astype(float), plane.value.astype(float)
            limit = float(max(np.abs(targets).max(), np.abs(value[np.isfinite(value)]).max(initial=0.0))) or 1.0
            rgba = diverging(value, limit)
            brushes = [pg.mkBrush(*c) for c in diverging(targets, limit)]
            symbols = ["o"] * len(targets)
            self.note.setText(f"Shade: out[:,0] (blue below 0, vermillion above, full at ±{limit:.3g}); "
                              "points: the batch, by target y[:,0] on the same scale.")
        self.image.setImage(rgba.transpose(1, 0, 2), autoLevels=False)  # ImageItem's first axis is x: rows of the plane are x1
        dx, dy = x0[1] - x0[0], x1[1] - x1[0]
        rect = QRectF(x0[0] - dx / 2, x1[0] - dy / 2, dx * len(x0), dy * len(x1))  # each pixel centred on its grid point
        self.image.setRect(rect)
        if rect != self._rect:  # the view moves only when the batch does
            self._rect = rect
            self.plot.setRange(rect, padding=0)
        x = net.x.astype(float)
        self.points.setData(x=x[:, 0], y=x[:, 1], brush=brushes, symbol=symbols)
