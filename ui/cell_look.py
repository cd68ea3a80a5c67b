"""How a cell looks: its number in a width that never elides, its colour, and ink that can be read on it.

- ``format_value`` writes every number in at most ``CELL_CHARS`` characters: four
  decimals where they fit (``−0.4412``), fewer for larger numbers (``123.45``),
  and a short scientific form for the very small and very large (``4.39e-4``,
  ``−1.23e5``).  Columns are as wide as the widest such text, so nothing is cut;
  the tooltip has every digit (``full_precision``).
- Sign tints come in a few strengths (``TINT_LEVELS``), each a colour made once.
- ``ink_for`` picks black or white text for a background by contrast (WCAG), so
  a tinted or marked cell stays readable in the light and the dark theme.
- ``MARK_CUES`` says how each mark shows without colour (bold, italic, underlined,
  overlined, hatched, outlined): the grids' fonts and the legend both read it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QFont

CELL_CHARS = 7
WIDEST_TEXT = "−0.0000"  # as wide as any text format_value writes (digits are the widest characters)
TINT_LEVELS = 8  # strengths of the sign tints, from faint to strong
MINUS = "−"


def format_value(v: float) -> str:
    """A number in at most ``CELL_CHARS`` characters, with a real minus sign; every digit is in the tooltip."""
    v = float(v) + 0.0  # no −0
    if not np.isfinite(v):
        return str(v)
    magnitude = abs(v)
    if v == 0 or 1e-3 <= magnitude < 1e4:
        decimals = 4 - max(0, int(np.floor(np.log10(magnitude)))) if v else 4  # 0.4412, 12.345, 123.45, 1234.5
        text = f"{v:.{max(decimals, 1)}f}"
        if len(text) > CELL_CHARS:  # rounding carried into another digit (9.99996 → 10.0000)
            text = f"{v:.{max(decimals - 1, 0)}f}"
    else:
        text = _scientific(v)
    return MINUS + text[1:] if text.startswith("-") else text  # a real minus; the exponent's stays narrow


def _scientific(v: float) -> str:
    """The most significant digits that fit: 4.39e-4, -4.4e-4, 1.2e-12, -1e-300, 1.23e5 (no padding, no +)."""
    for digits in (2, 1, 0):
        mantissa, exponent = f"{v:.{digits}e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
        if len(text) <= CELL_CHARS:
            return text
    return text


def full_precision(v: float | np.floating) -> str:
    """Every digit that matters: the shortest text that reads back as the same number in its dtype."""
    return str(v) if isinstance(v, np.float32) else repr(float(v))


def relative_luminance(colour: QColor) -> float:
    """WCAG 2's relative luminance of an opaque colour."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio, 1 to 21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def over(colour: QColor, background: QColor) -> QColor:
    """``colour`` (with its alpha) painted over an opaque ``background``: the colour the eye sees."""
    return mix(colour, background, colour.alphaF())


BLACK, WHITE = QColor("#000000"), QColor("#FFFFFF")

# Marks are never told by colour alone, nor from each other by colour alone: each has its own set of cues.
# The delegate draws "hatched" (in the cell's margin, never across the digits) and "outlined"; the font the rest.
MARK_CUES: dict[str, tuple[str, ...]] = {
    "source": ("bold", "underlined"),  # the inspected cell
    "influenced": ("underlined",),  # a cell it moves
    "blocked": ("italic", "hatched"),  # a cell it reaches but cannot move
    "kink": ("italic", "underlined"),  # a cell behind a ReLU at its kink
    "watched": ("bold", "overlined", "outlined"),  # the watched value
}


def cued_font(font: QFont, cues: tuple[str, ...]) -> QFont:
    """``font`` with the cues a font can carry: bold, italic, underlined, overlined."""
    variant = QFont(font)
    variant.setBold("bold" in cues)
    variant.setItalic("italic" in cues)
    variant.setUnderline("underlined" in cues)
    variant.setOverline("overlined" in cues)
    return variant


def ink_for(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background`` (opaque)."""
    return BLACK if contrast(BLACK, background) >= contrast(WHITE, background) else WHITE


def tint_level(v: np.ndarray, scale: float) -> np.ndarray:
    """The strength of each value's sign tint, 1 to ``TINT_LEVELS`` (0: no tint, for 0 or a zero scale)."""
    if scale <= 0:
        return np.zeros(np.shape(v), np.int8)
    level = np.ceil(np.minimum(np.abs(v) / scale, 1.0) * TINT_LEVELS).astype(np.int8)
    return np.where(v == 0, 0, np.maximum(level, 1)).astype(np.int8)


def tint_alpha(level: int) -> float:
    """The opacity of a tint level: faint values faint, the largest at half strength."""
    return 0.08 + 0.42 * level / TINT_LEVELS


def mix(a: QColor, b: QColor, share: float) -> QColor:
    """``share`` of ``a`` and the rest of ``b``."""
    return QColor.fromRgbF(*(share * getattr(a, f"{c}F")() + (1 - share) * getattr(b, f"{c}F")()
                             for c in ("red", "green", "blue")))


def muted(text: QColor, base: QColor) -> QColor:
    """Secondary text (a shape, a code comment): the ink toned toward the background, yet at least 7:1 on it."""
    for share in (0.7, 0.8, 0.9, 1.0):
        colour = mix(text, base, share)
        if contrast(colour, base) >= 7:
            return colour
    return text


def badge(symbol: str, colour: str) -> str:
    """A symbol on a badge of ``colour`` in the ink that reads best on it, as rich text: the same in both themes."""
    return f"<span style='background:{colour}; color:{ink_for(QColor(colour)).name()}'>&nbsp;{symbol}&nbsp;</span>"
