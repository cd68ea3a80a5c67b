"""Charts laid out for the room they get: four across, two by two, two at a time, or one at a time.

A chart can be read only when its title, its axes and its legend fit: about ``CELL`` pixels at font
scale 1, more when zoomed.  ``ChartPages`` takes the charts in reading order and chooses how many go across
(4, 2 or 1) from its width and how many rows from its height.  When they don't all fit, it shows them a page
at a time under a small tab bar that names each page by its charts' short names ("Quotients · Error"), so
nothing is ever squeezed until its text is cut; the page shown stays shown as the window is resized.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QGridLayout, QTabBar, QVBoxLayout, QWidget

from ui.signals import signals_blocked

CELL = QSize(230, 200)  # the least one chart needs at font scale 1: title, ticks, axis labels, a legend
ACROSS = (4, 2, 1)  # charts per row: never three, which would leave the fourth alone on a page


def tab_bar_width(bar: QTabBar, titles: list[str]) -> int:
    """How wide ``bar`` is with a tab for each of ``titles``: each title's width and the padding of a tab
    (measured on the bar's first tab, or 24 px while it has none)."""
    metrics = bar.fontMetrics()
    padding = bar.tabSizeHint(0).width() - metrics.horizontalAdvance(bar.tabText(0)) if bar.count() else 24
    return sum(metrics.horizontalAdvance(title) + padding for title in titles)


class ChartPages(QWidget):
    def __init__(self, charts: list[QWidget], names: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        if len(charts) != len(names) or not charts:
            raise ValueError(f"every chart needs a name: {len(charts)} charts, {len(names)} names")
        self.setObjectName("chart-pages")
        self.charts, self.names = list(charts), list(names)
        self.scale = 1.0
        self.tabs = QTabBar(objectName="chart-page-tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setExpanding(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.currentChanged.connect(self._show_page)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(2)
        self.column.addWidget(self.tabs)
        self.column.addLayout(self.grid, 1)
        self.across, self.rows = 0, 0
        self._minimum: tuple[tuple, QSize] | None = None
        self._arrange(QSize(10**6, 10**6))

    # -- the shape --------------------------------------------------------------------

    @property
    def per_page(self) -> int:
        return self.across * self.rows

    @property
    def pages(self) -> int:
        return -(-len(self.charts) // self.per_page)

    def cell(self) -> QSize:
        """The least room one chart needs at the current scale."""
        return QSize(round(CELL.width() * self.scale), round(CELL.height() * self.scale))

    def shape_for(self, size: QSize) -> tuple[int, int]:
        """How many charts across and how many rows fit in ``size`` (at least one of each)."""
        cell, spacing = self.cell(), self.grid.spacing()
        across = next((n for n in ACROSS if n * cell.width() + (n - 1) * spacing <= size.width()), 1)
        across = min(across, len(self.charts))
        height = size.height()
        rows_needed = -(-len(self.charts) // across)
        if rows_needed * cell.height() + (rows_needed - 1) * spacing <= height:
            return across, rows_needed  # every chart at once: no tab bar
        height -= self.tabs.sizeHint().height() + self.column.spacing()
        rows = max(1, min(rows_needed, (height + spacing) // (cell.height() + spacing)))
        return across, rows

    def set_scale(self, scale: float) -> None:
        """The font scale: a chart needs more room when its text is bigger."""
        self.scale = scale
        self.updateGeometry()
        self._arrange(self.size())

    def minimumSizeHint(self) -> QSize:
        """One chart, under the tab bar that pages through the others one at a time (its every tab in view)."""
        key = (self.scale, self.tabs.font().key())  # layouts ask often; the answer changes only with the zoom
        if self._minimum is None or self._minimum[0] != key:
            cell = self.cell()
            self._minimum = key, QSize(max(cell.width(), self._tabs_width(self.names)),
                                       cell.height() + self.tabs.sizeHint().height() + self.column.spacing())
        return self._minimum[1]

    def _tabs_width(self, texts: list[str]) -> int:
        return tab_bar_width(self.tabs, texts)

    def sizeHint(self) -> QSize:
        cell, n = self.cell(), len(self.charts)
        return QSize(n * cell.width() + (n - 1) * self.grid.spacing(), cell.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange(event.size())

    # -- laying out -------------------------------------------------------------------

    def _arrange(self, size: QSize) -> None:
        shape = self.shape_for(size)
        if shape == (self.across, self.rows):
            return
        first_shown = self.tabs.currentIndex() * self.per_page if self.per_page else 0
        self.across, self.rows = shape
        with signals_blocked(self.tabs):
            while self.tabs.count():
                self.tabs.removeTab(0)
            for _page in range(self.pages):
                self.tabs.addTab("")
            self._name_pages()
            self.tabs.setCurrentIndex(min(max(first_shown, 0) // self.per_page, self.pages - 1))
        self.tabs.setVisible(self.pages > 1)
        self._show_page(self.tabs.currentIndex())

    def _show_page(self, page: int) -> None:
        """Put the charts of ``page`` in the grid and hide the rest."""
        for chart in self.charts:
            self.grid.removeWidget(chart)
        shown = self.charts[page * self.per_page:(page + 1) * self.per_page]
        for k, chart in enumerate(shown):
            row, column = divmod(k, self.across)
            self.grid.addWidget(chart, row, column)
        for column in range(4):
            self.grid.setColumnStretch(column, 1 if column < self.across else 0)
        for row in range(4):
            self.grid.setRowStretch(row, 1 if row < self.rows else 0)
        for chart in self.charts:
            chart.setVisible(chart in shown)

    def _name_pages(self) -> None:
        n = self.per_page
        for page in range(self.tabs.count()):
            self.tabs.setTabText(page, " · ".join(self.names[page * n:(page + 1) * n]))

    def show_chart(self, chart: QWidget) -> None:
        """Turn to the page that holds ``chart``."""
        self.tabs.setCurrentIndex(self.charts.index(chart) // self.per_page)

