"""SVG export of a chart that works: pyqtgraph 0.14's own SVG exporter cannot read the closed
paths recent Qt writes (pyqtgraph issue 3495), so the charts' Export… dialog offers this one,
which draws with Qt's own SVG generator, in its place.  PNG export is pyqtgraph's."""

from __future__ import annotations

import pyqtgraph as pg
import pyqtgraph.exporters
from pyqtgraph.parametertree import Parameter
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator


def render_svg(item: pg.GraphicsObject, path: str) -> None:
    """Draw ``item`` (a plot, or a whole scene's item) into an SVG file with Qt's own generator."""
    source = item.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    painter = QPainter(generator)
    try:
        item.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()


class QtSVGExporter(pyqtgraph.exporters.Exporter):
    Name = "Scalable Vector Graphics (SVG)"
    allowCopy = False

    def __init__(self, item):
        super().__init__(item)
        self.params = Parameter.create(name="params", type="group", children=[])

    def parameters(self) -> Parameter:
        return self.params

    def export(self, fileName: str | None = None, toBytes: bool = False, copy: bool = False):
        if fileName is None:  # asked from the Export… dialog: ask where, then come back here
            self.fileSaveDialog(filter=["*.svg"])
            return None
        item = self.item.getPlotItem() if hasattr(self.item, "getPlotItem") else self.item
        render_svg(item, str(fileName))
        return None


def install() -> None:
    """Put the working SVG exporter in the Export… dialog, in place of pyqtgraph's (once)."""
    registry = pyqtgraph.exporters.Exporter.Exporters
    registry[:] = [e for e in registry if e is not pyqtgraph.exporters.SVGExporter]
    if QtSVGExporter not in registry:
        QtSVGExporter.register()
