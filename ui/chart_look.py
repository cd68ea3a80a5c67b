"""How the nudge charts look: the ink of each theme, the size of every text, and pens that scale with it.

Ink is given to pyqtgraph as ``#RRGGBB``: axis labels are HTML, where pyqtgraph's own
shorthands (``"w"``, ``"k"``) are not colours, and would leave a label black on black.
Every text of a chart (title, axis label, tick, legend, the ε marker, the V's arm names),
the nudge charts', the training charts' and the output plane's alike, is drawn in the
theme's ink on the theme's background: 21:1 in both themes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

TICK_PT, LABEL_PT, TITLE_PT = 8.0, 9.0, 10.0
WIDE_TICK = "−0.000"  # as wide as the last tick label on a plot's x axis
PEN_WIDTH = 2.0  # at font scale 1
SYMBOL_SIZE = 6.0


@dataclass(frozen=True)
class ChartTheme:
    background: str
    ink: str
    legend_fill: tuple[int, int, int, int]

    @property
    def shorthand(self) -> str:
        """pyqtgraph's one-letter name of the ink, as the app has always called it."""
        return "w" if self.ink == "#FFFFFF" else "k"


LIGHT = ChartTheme("#FFFFFF", "#000000", (255, 255, 255, 200))
DARK = ChartTheme("#000000", "#FFFFFF", (0, 0, 0, 200))


def chart_theme(dark: bool) -> ChartTheme:
    return DARK if dark else LIGHT


def right_margin(tick_font: QFont) -> float:
    """Room right of a plot for half its last tick label, which is centred on the axis's end: without it the
    label is cut at the window's edge."""
    return QFontMetrics(tick_font).horizontalAdvance(WIDE_TICK) / 2 + 2


def style_plot(plot: pg.PlotWidget, title: str, theme: ChartTheme, scale: float) -> None:
    """Background, title, axes, ticks and legend of one plot, in the theme's ink and at the font scale."""
    tick_font = QFont()
    tick_font.setPointSizeF(TICK_PT * scale)
    plot.setBackground(theme.background)
    item = plot.getPlotItem()
    item.setTitle(title, color=theme.ink, size=f"{TITLE_PT * scale:g}pt")
    left, top, _, bottom = item.layout.getContentsMargins()
    item.layout.setContentsMargins(left, top, right_margin(tick_font), bottom)
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(theme.ink, width=scale))
        axis.setTextPen(theme.ink)
        axis.setTickFont(tick_font)
        axis.setLabel(axis.labelText, color=theme.ink, **{"font-size": f"{LABEL_PT * scale:g}pt"})
    legend = item.legend
    if legend is None:  # a plot without a legend (the training charts, the output plane)
        return
    legend.setBrush(pg.mkBrush(*theme.legend_fill))
    legend.setLabelTextColor(theme.ink)
    legend.setLabelTextSize(f"{LABEL_PT * scale:g}pt")  # stored only: the labels already made need setText
    for _, label in legend.items:
        label.setText(label.text, size=f"{LABEL_PT * scale:g}pt", color=theme.ink)


def style_text(item: pg.TextItem, theme: ChartTheme, scale: float) -> None:
    font = QFont()
    font.setPointSizeF(TICK_PT * scale)
    item.setFont(font)
    item.setColor(theme.ink)


def line_pen(colour: str, scale: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> pg.QtGui.QPen:
    return pg.mkPen(colour, width=PEN_WIDTH * scale, style=style)


def set_legend_columns(legend: pg.LegendItem, columns: int) -> None:
    """Lay the legend's entries out in ``columns`` columns.

    pyqtgraph's own ``setColumnCount`` keeps the grid's old columns (a ``QGraphicsGridLayout`` never
    forgets them) and adds the entries beyond them, so a legend made narrower stays as wide; here every
    entry is placed again and the unused columns take no room."""
    layout = legend.layout
    for i in range(layout.count() - 1, -1, -1):
        layout.removeAt(i)
    for k, (sample, label) in enumerate(legend.items):
        row, column = divmod(k, columns)
        layout.addItem(sample, row, 2 * column, alignment=Qt.AlignmentFlag.AlignVCenter)
        layout.addItem(label, row, 2 * column + 1)
    for column in range(layout.columnCount()):
        layout.setColumnMaximumWidth(column, 1e6 if column < 2 * columns else 0)
    legend.columnCount = columns
    legend.rowCount = -(-len(legend.items) // columns)
    layout.invalidate()
    legend.updateSize()
