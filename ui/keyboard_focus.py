"""The keyboard's way through the window: an order for Tab, and a ring round the control that has the focus.

``next_stop`` is where Tab goes: through the window's parts in the order given (toolbar, stepper,
grids, inspector, panels), each part's controls in their own order.  Qt's focus chain alone follows
the order widgets were made in, so a rebuilt sheet's new grids, or a panel moved beside the tabs,
would be visited anywhere; and ``QWidget.setTabOrder`` cannot move a tab widget, which Qt always
keeps as a stop that hands its focus to its tab bar.  ``let_tab_leave``
keeps Tab from being caught in a chart: a ``QGraphicsView`` hands Tab to its scene, which cycles the
focus among its items (pyqtgraph's view box) and never lets go.

Styles draw focus faintly, if at all: Fusion a one-pixel line inside a button, nothing round a chart
or a text panel.  ``FocusRing`` is one transparent widget over the window that draws a ring in the
theme's highlight colour round whichever of the window's widgets the keyboard moved the focus to
(Qt marks the window when Tab or a shortcut moves it, and unmarks it at a click), wherever it sits:
it follows the focus as Tab moves it, and the widget as it moves, resizes or scrolls (it watches the
widget and every widget above it).  Where a scroll area shows only part of the widget, the ring goes
round the part that is shown.  It takes no clicks and no focus.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPalette, QRegion
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QGraphicsView, QWidget
from shiboken6 import isValid

WIDTH = 3  # px of ring, just outside the widget
MOVES = frozenset({QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.ParentChange})


def focus_chain(window: QWidget) -> list[QWidget]:
    """The window's widgets in the order of Qt's focus chain, starting after the window itself."""
    chain: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window and len(chain) < 100_000:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def tab_stops(window: QWidget, regions: list[QWidget]) -> list[QWidget]:
    """The controls Tab can reach now, region by region, each region's in the order of Qt's focus chain (a control
    in two regions goes with the first)."""
    usable = [w for w in focus_chain(window) if w.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
              and w.focusProxy() is None and w.isEnabled() and w.isVisibleTo(window)]
    return list(dict.fromkeys(w for region in regions for w in usable if region is w or region.isAncestorOf(w)))


def next_stop(window: QWidget, regions: list[QWidget], current: QWidget | None, forward: bool) -> QWidget | None:
    """The control Tab (``forward``) or Shift+Tab moves to from ``current``; None when there is none."""
    stops = tab_stops(window, regions)
    if not stops:
        return None
    here = current
    while here is not None and here not in stops:  # a grid's cell editor: the grid is the stop it is in
        here = here.parentWidget()
    if here is None:
        return stops[0] if forward else stops[-1]
    return stops[(stops.index(here) + (1 if forward else -1)) % len(stops)]


class _TabLeaves(QObject):
    """Tab and Shift+Tab go to the next and the previous control, never to the items inside a graphics view."""

    def eventFilter(self, view: QObject, event: QEvent) -> bool:
        if (isinstance(event, QKeyEvent) and isinstance(view, QWidget) and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
                and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)):
            leave_by_tab(view, event)
            return True
        return False


def leave_by_tab(widget: QWidget, event: QKeyEvent) -> None:
    """Move the focus past ``widget`` to the next control (Shift or Backtab: the previous), with Qt's own step
    past a scroll area rather than into its items."""
    back = event.key() == Qt.Key.Key_Backtab or bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
    QAbstractScrollArea.focusNextPrevChild(widget, not back)


def let_tab_leave(root: QWidget) -> None:
    """Let Tab leave every graphics view (chart) under ``root``."""
    for view in root.findChildren(QGraphicsView):
        view.installEventFilter(_TabLeaves(view))


class FocusRing(QWidget):
    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("focus-ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.target: QWidget | None = None
        self._watched: list[QWidget] = []
        self.hide()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Follow a focus the keyboard moved (Tab, a shortcut); a click shows where it went by itself."""
        window = self.window()
        ours = new is not None and new is not self and new.window() is window and new is not window
        self.follow(new if ours and window.testAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange) else None)

    def follow(self, widget: QWidget | None) -> None:
        """Ring ``widget`` (None: nothing), and keep the ring on it as it moves."""
        for watched in self._watched:
            if isValid(watched):  # a widget that went with a rebuilt sheet took its filter along
                watched.removeEventFilter(self)
        self._watched = []
        self.target = widget
        walker = widget
        while walker is not None and walker is not self.window():
            walker.installEventFilter(self)
            self._watched.append(walker)
            walker = walker.parentWidget()
        self.place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in MOVES:
            self.place()
        return False

    def place(self) -> None:
        """Put the ring round the part of the target that is shown (hidden when none is)."""
        target = self.target if self.target is not None and isValid(self.target) else None
        inner = self._shown(target) if target is not None and target.isVisible() else QRect()
        if inner.isEmpty():
            self.hide()
            return
        outer = inner.adjusted(-WIDTH, -WIDTH, WIDTH, WIDTH)
        self.setGeometry(outer)
        self.setMask(QRegion(self.rect()).subtracted(QRegion(self.rect().adjusted(WIDTH, WIDTH, -WIDTH, -WIDTH))))
        self.show()
        self.raise_()

    def _shown(self, target: QWidget) -> QRect:
        """The part of ``target`` its parents let show (a scroll area shows only some of the sheet), in the
        window's coordinates."""
        window = self.window()
        shown = QRect(target.mapTo(window, target.rect().topLeft()), target.size())
        parent = target.parentWidget()
        while parent is not None and parent is not window:
            shown &= QRect(parent.mapTo(window, parent.rect().topLeft()), parent.size())
            parent = parent.parentWidget()
        return shown

    def colour(self) -> QColor:
        """The theme's highlight: #0072B2 on the light theme's #F4F4F4 (4.9:1), #56B4E9 on the dark one's #101010."""
        return self.palette().color(QPalette.ColorRole.Highlight)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.colour())
        painter.end()
