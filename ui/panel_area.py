"""The panels under the sheet: side by side when the window is wide, as tabs when it is not.

Charts, the backward pass, training, the learner's own lines: a projector at
1024 × 768 has room for one at a time beside the inspector, a 1920-wide
screen for two.  ``PanelArea`` keeps every panel in a tab widget and, when its
width allows, lifts the *companion* panel (the backward pass) out to stand
beside the tabs; it puts it back before the area gets too narrow for both.
The switch has some slack, so a width near the threshold does not flip it back
and forth.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from ui.chart_pages import tab_bar_width

SLACK = 40  # px of hysteresis between lifting the companion out and putting it back
ROOMY = 1.6  # the companion stands beside panels only when they get this many times their minimum width
SHARE = 0.4  # the part of the width the companion takes when it stands beside the tabs


class PanelArea(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("panel-area")
        self.tabs = QTabWidget(objectName="panel-tabs")
        self.tabs.setDocumentMode(True)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="panel-splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._companion: tuple[QWidget, str] | None = None
        self._companion_index = 0  # where its tab goes back
        self._beside = False
        self._tabs_cache: tuple[tuple, int] | None = None

    def add(self, widget: QWidget, title: str, companion: bool = False) -> None:
        """Add a panel as a tab; the ``companion`` panel stands beside the tabs when there is room."""
        self.tabs.addTab(widget, title)
        if companion:
            self._companion = (widget, title)
            self._companion_index = self.tabs.indexOf(widget)
        self.updateGeometry()  # as narrow as the widest single panel: ``minimumSizeHint``, which follows the zoom
        self._arrange(self.width())

    @property
    def beside(self) -> bool:
        """Whether the companion panel stands beside the tabs (else it is one of them)."""
        return self._beside

    def show_panel(self, widget: QWidget) -> None:
        """Bring a panel into view: the tab holding it (or a scroll area round it) becomes current; the
        companion, when beside, is always in view."""
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is widget or page.isAncestorOf(widget):
                self.tabs.setCurrentIndex(index)
                return

    def _room_for_both(self) -> int:
        """The width at which both the tabs and the companion have room to be read, not merely to fit."""
        if self._companion is None:
            return 0
        others = self._others_minimum()
        return int(ROOMY * others) + self._companion[0].minimumSizeHint().width() + self.splitter.handleWidth() + 24

    def _others_minimum(self) -> int:
        """The width the panels other than the companion need, their tabs in view."""
        companion = self._companion[0] if self._companion is not None else None
        others = [i for i in range(self.tabs.count()) if self.tabs.widget(i) is not companion]
        widths = [self.tabs.widget(i).minimumSizeHint().width() for i in others]
        return max([*widths, self._tabs_width([self.tabs.tabText(i) for i in others])], default=0)

    def _arrange(self, width: int) -> None:
        if self._companion is None:
            return
        need = self._room_for_both()
        if not self._beside and width >= need + SLACK:
            self._lift_out()
        elif self._beside and width < need:
            self._put_back()

    def _lift_out(self) -> None:
        widget, _title = self._companion
        current = self.tabs.currentWidget()
        self.tabs.removeTab(self.tabs.indexOf(widget))
        self.splitter.addWidget(widget)
        widget.show()
        if current is not widget and current is not None:
            self.tabs.setCurrentWidget(current)
        total = max(self.width(), 1)
        # two fifths for the companion (the code's lines unwrapped), as long as the tabs keep room to be read
        side = min(max(widget.minimumSizeHint().width(), int(SHARE * total)), total - int(ROOMY * self._others_minimum()))
        self.splitter.setSizes([total - side, side])
        self._beside = True

    def _put_back(self) -> None:
        widget, title = self._companion
        self.tabs.insertTab(self._companion_index, widget, title)  # back in its place: the tabs keep their order
        self._beside = False

    def minimumSizeHint(self) -> QSize:
        """As narrow as the widest single panel, or the tab bar with every panel's tab in view: the companion
        goes back into the tabs before it would not fit."""
        hint = self.tabs.minimumSizeHint()
        widths = [self.tabs.widget(i).minimumSizeHint().width() for i in range(self.tabs.count())]
        titles = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        if self._companion is not None:
            widths.append(self._companion[0].minimumSizeHint().width())
            if self._beside:
                titles.append(self._companion[1])
        return QSize(max([hint.width(), *widths, self._tabs_width(titles)]), hint.height())

    def _tabs_width(self, titles: list[str]) -> int:
        """How wide the tab bar is with a tab for each of ``titles`` (layouts ask often: kept per font)."""
        bar = self.tabs.tabBar()
        key = (bar.font().key(), tuple(titles))
        if self._tabs_cache is None or self._tabs_cache[0] != key:
            self._tabs_cache = key, tab_bar_width(bar, titles)
        return self._tabs_cache[1]

    def resizeEvent(self, event) -> None:
        self._arrange(event.size().width())
        super().resizeEvent(event)
