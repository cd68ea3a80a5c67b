"""The legend of the grids' marks, in the status bar: a sample of each mark, and a sentence that names every cue.

Each sample is drawn as the cells draw the mark, in the window's theme: the same colour (a sign tint laid
over the theme's base, as in a grid), ink chosen for contrast, and the same non-colour cues, which
``cell_look.MARK_CUES`` holds for the grids and the legend alike.  The tooltip, which is also the accessible
name, says each mark in words, colour and cues together ("moves: green, underlined: a cell the inspected
cell moves"), so it reads the same without colour and to a screen reader.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from ui import palette
from ui.cell_look import MARK_CUES, TINT_LEVELS, badge, mix, over
from ui.grid_model import STRONG, TINTS

# (mark, the word under its sample, its colour in words, a sample value, what it means)
MARKS = (
    ("source", "inspected", "yellow", "0.3", "the cell the inspector nudges (select a cell of x, a w or a b)"),
    ("influenced", "moves", "green", "0.7", "a cell the inspected cell moves"),
    ("blocked", "blocked", "grey", "0.0", "a cell the inspected cell reaches but cannot move, because a derivative "
     "on the way is 0 (a ReLU that is off, a saturated sigmoid); its tooltip says where"),
    ("kink", "kink", "orange", "0.0", "a cell behind a ReLU whose input a nudge of ±ε carries across 0, so it moves "
     "one way only"),
    ("watched", "watched", "purple", "0.4", "the value the inspector measures the nudge by (Alt+click or right-click "
     "a computed cell)"),
)
SIGNS = (
    "negative: a blue tint, deeper the larger the value, and a minus sign",
    "positive: a vermillion tint, deeper the larger the value, and no minus sign",
)


def _listed(words: tuple[str, ...]) -> str:
    if len(words) < 2:
        return words[0] if words else "no other cue"
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _styled(text: str, cues: tuple[str, ...]) -> str:
    """``text`` in rich text with the font's cues: bold, italic, underlined, overlined."""
    for cue, (start, end) in (("bold", ("<b>", "</b>")), ("italic", ("<i>", "</i>")), ("underlined", ("<u>", "</u>")),
                              ("overlined", ("<span style='text-decoration: overline'>", "</span>"))):
        if cue in cues:
            text = f"{start}{text}{end}"
    return text


def description() -> str:
    """Every mark in words: its colour and every cue that tells it without colour, and what it means."""
    sentences = [f"{word}: {colour}, {_listed(MARK_CUES[mark])}: {meaning}" for mark, word, colour, _, meaning in MARKS]
    return ". ".join(sentences + list(SIGNS)) + "."


class CellLegend(QLabel):
    """``influence-legend``: a sample of every mark of the grids, drawn as the cells draw it in this theme."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("influence-legend")
        self.setToolTip(description())
        self.setAccessibleName(f"legend: {description()}")
        self._draw()

    def _draw(self) -> None:
        base = self.palette().color(QPalette.ColorRole.Base)
        colours = dict(STRONG, blocked=mix(QColor(palette.BLOCKED), base, 0.35))  # the hatch's grey, as a patch
        samples = [f"{badge(_styled(value, MARK_CUES[mark]), colours[mark].name())} {word}"
                   for mark, word, _, value, _ in MARKS]
        negative, positive = (over(TINTS[level], base) for level in (-TINT_LEVELS, TINT_LEVELS))
        samples.append(f"{badge('−0.5', negative.name())}{badge('0.5', positive.name())} sign")
        self.setText(" ".join(samples))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a new theme: the tints are laid over its base
            self._draw()
