"""How the window looks from the back of a room: zoom, light and dark high-contrast themes, presentation mode.

Zoom scales every font together: the grids and their headers (their cells
resize to fit), the formula panel, the inspector, the loss, and the charts'
axes, ticks, legends and line widths.  Ctrl+= / Ctrl+- / Ctrl+0 work in any
mode and the zoom is remembered.  Presentation mode (F5, Esc leaves) goes full
screen, hides the menu bar and zooms as far as the window still fits the screen
(at most half as much again; three times on a 4K screen).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from ui.preferences import Preferences

ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 0.6, 4.0, 1.15
PRESENTATION_ZOOM = 1.5  # the most presentation mode zooms in, beyond the user's zoom, on a screen of 1920 px
PRESENTATION_MAX = 3.0  # … and on a 4K one
FIT_STEP = 0.05  # presentation mode's zooms: the same screen always gets the same zoom
THEMES = {
    # window, base, text, button, highlight, highlighted text: high contrast either way
    "light": ("#F4F4F4", "#FFFFFF", "#000000", "#E6E6E6", "#0072B2", "#FFFFFF"),
    "dark": ("#101010", "#000000", "#FFFFFF", "#262626", "#56B4E9", "#000000"),
}


def _on_grid(zoom: float) -> float:
    """``zoom`` rounded down to a multiple of ``FIT_STEP`` (a hair of slack for 1.1 / 0.05 not being exact)."""
    return round(math.floor(zoom / FIT_STEP + 1e-6) * FIT_STEP, 2)


def _crossing(z0: float, a0: int, z1: float, a1: int, room: int) -> float:
    """Where the line through (z0, a0) and (z1, a1) reaches ``room``: the zoom at which a size grows to fill it."""
    slope = (a1 - a0) / (z1 - z0)
    return math.inf if slope <= 0 else z0 + (room - a0) / slope  # a side that does not grow never limits


class Appearance(QObject):
    """Zoom, theme and presentation mode of one window: ``root`` takes the font and the palette, every
    widget inside inherits them; what cannot inherit (the charts, the code listing) hears ``zoom_changed``
    and ``theme_changed``, and the window hides its chrome on ``presentation_changed``."""

    zoom_changed = Signal(float)
    theme_changed = Signal(str)
    presentation_changed = Signal(bool, bool)  # on, and whether to go full screen

    def __init__(self, root: QWidget, preferences: Preferences, needs: Callable[[], QSize] | None = None):
        super().__init__(root)
        self.root = root
        self.needs = needs or root.minimumSizeHint  # the least size at which the window shows its content
        self.preferences = preferences
        self.base_point_size = QApplication.font().pointSizeF()
        self.zoom = 1.0
        self.theme = "light"
        self._before_presentation: float | None = None

        self.zoom_in_action = QAction("Zoom &In", root)
        self.zoom_in_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl+=")])
        self.zoom_in_action.triggered.connect(lambda: self.set_zoom(self.zoom * ZOOM_STEP))
        self.zoom_out_action = QAction("Zoom &Out", root, shortcut=QKeySequence.StandardKey.ZoomOut)
        self.zoom_out_action.triggered.connect(lambda: self.set_zoom(self.zoom / ZOOM_STEP))
        self.zoom_reset_action = QAction("&Actual Size", root, shortcut=QKeySequence("Ctrl+0"))
        self.zoom_reset_action.triggered.connect(lambda: self.set_zoom(1.0))
        self.presentation_action = QAction("&Presentation Mode", root, checkable=True, objectName="presentation")
        self.presentation_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.FullScreen), QKeySequence("F5")])
        self.presentation_action.setToolTip("Full screen and bigger, for a projector (F5; Esc leaves)")
        self.presentation_action.toggled.connect(self.set_presentation)
        self._leave = QShortcut(QKeySequence("Esc"), root, lambda: self.presentation_action.setChecked(False))
        self._leave.setEnabled(False)
        self.theme_actions = QActionGroup(root)
        for name in THEMES:
            action = QAction(f"{name.title()} theme", root, checkable=True, objectName=f"theme-{name}")
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_actions.addAction(action)
        for action in (self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action, self.presentation_action):
            root.addAction(action)  # their shortcuts work with the menu bar hidden

    def start(self) -> None:
        """Apply the light theme and the remembered zoom (once everything that follows them is listening)."""
        self.set_theme("light")
        self.set_zoom(self.preferences.zoom())

    def fill_menu(self, menu: QMenu) -> None:
        """The View menu's part: zoom, the themes, presentation mode."""
        menu.addSeparator()
        menu.addActions([self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action])
        menu.addSeparator()
        menu.addActions(self.theme_actions.actions())
        menu.addSeparator()
        menu.addAction(self.presentation_action)

    # -- zoom ------------------------------------------------------------------------

    def set_zoom(self, zoom: float) -> None:
        """Scale every font in the window by ``zoom`` (1 is the desktop's own size), and remember it."""
        zoom = min(max(float(zoom), ZOOM_MIN), ZOOM_MAX)
        self.zoom = zoom
        font = QApplication.font()
        font.setPointSizeF(self.base_point_size * zoom)
        self.root.setFont(font)  # the grids, headers, inspector and labels inherit it
        if self._before_presentation is None:  # presentation's extra zoom is not the user's preference
            self.preferences.set_zoom(zoom)
        self.zoom_changed.emit(zoom)

    # -- presentation mode -----------------------------------------------------------

    def set_presentation(self, on: bool, full_screen: bool = True) -> None:
        """Enter or leave presentation mode (``full_screen=False`` keeps the window's size: for slides).

        The zoom is the largest that lets the window fit the screen (``zoom_to_fit``), never more than
        ``presentation_limit``; leaving gives the user's own zoom back."""
        if on == (self._before_presentation is not None):
            return
        if on:
            self._before_presentation = self.zoom
            self.presentation_changed.emit(True, full_screen)
            screen = self.root.screen()
            available = screen.geometry().size() if full_screen and screen is not None else self.root.size()
            self.zoom_to_fit(available)
            if not full_screen:  # a zoom tried on the way may have grown the window past its size
                QApplication.sendPostedEvents()
                if (layout := self.root.layout()) is not None:
                    layout.activate()
                self.root.resize(available)
        else:
            zoom, self._before_presentation = self._before_presentation, None
            self.presentation_changed.emit(False, full_screen)
            self.set_zoom(zoom)
        self._leave.setEnabled(on)
        if self.presentation_action.isChecked() != on:
            self.presentation_action.setChecked(on)

    @property
    def presenting(self) -> bool:
        return self._before_presentation is not None

    def presentation_limit(self, available: QSize) -> float:
        """The most presentation mode zooms on a screen of ``available``: half as much again as the user's
        zoom, three times on a 4K screen."""
        base = self._before_presentation if self._before_presentation is not None else self.zoom
        return min(base * (PRESENTATION_MAX if available.width() >= 3000 else PRESENTATION_ZOOM), ZOOM_MAX)

    def zoom_to_fit(self, available: QSize) -> None:
        """Set the largest zoom, on a grid of ``FIT_STEP``, at which the size the window needs (``needs``: its
        minimum size, unless told otherwise) fits ``available`` (at most ``presentation_limit``, at least ``ZOOM_MIN``).

        The window's minimum size grows about linearly with the zoom, so two measurements predict the
        answer; a step or two either way then confirms it (each zoom costs a relayout of every widget)."""
        limit = _on_grid(self.presentation_limit(available))
        z0, (w0, h0) = self.zoom, self._needed()
        z1 = _on_grid(min(limit, z0 * min(available.width() / max(w0, 1), available.height() / max(h0, 1))))
        if z1 != z0:
            self.set_zoom(z1)
        if abs(z1 - z0) >= FIT_STEP:
            w1, h1 = self._needed()
            guesses = [_crossing(z0, a0, z1, a1, room) for a0, a1, room in
                       ((w0, w1, available.width()), (h0, h1, available.height()))]
            self.set_zoom(max(ZOOM_MIN, _on_grid(min([limit, *guesses]))))
        if not self._fits(available):
            while self.zoom - FIT_STEP >= ZOOM_MIN - 1e-9 and not self._fits(available):
                self.set_zoom(round(self.zoom - FIT_STEP, 2))
            return
        while self.zoom + FIT_STEP <= limit + 1e-9:  # the prediction may fall short: a step more while it fits
            self.set_zoom(round(self.zoom + FIT_STEP, 2))
            if not self._fits(available):
                self.set_zoom(round(self.zoom - FIT_STEP, 2))
                return

    def _needed(self) -> tuple[int, int]:
        QApplication.sendPostedEvents()  # fonts and layout requests some widgets post to themselves
        hint = self.needs()
        return hint.width(), hint.height()

    def _fits(self, available: QSize) -> bool:
        width, height = self._needed()
        return width <= available.width() and height <= available.height()

    # -- themes ----------------------------------------------------------------------

    def set_theme(self, name: str) -> None:
        if name not in THEMES:
            raise ValueError(f"the themes are {', '.join(THEMES)}, not {name!r}")
        self.theme = name
        window_bg, base, text, button, highlight, highlighted_text = (QColor(c) for c in THEMES[name])
        colours = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, window_bg), (QPalette.ColorRole.Base, base),
                             (QPalette.ColorRole.AlternateBase, window_bg), (QPalette.ColorRole.Text, text),
                             (QPalette.ColorRole.WindowText, text), (QPalette.ColorRole.ButtonText, text),
                             (QPalette.ColorRole.Button, button), (QPalette.ColorRole.ToolTipBase, base),
                             (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.Highlight, highlight),
                             (QPalette.ColorRole.HighlightedText, highlighted_text),
                             (QPalette.ColorRole.PlaceholderText, QColor("#777777"))):
            colours.setColor(role, colour)
        self.root.setPalette(colours)
        self.theme_changed.emit(name)
        for action in self.theme_actions.actions():
            action.setChecked(action.objectName() == f"theme-{name}")
