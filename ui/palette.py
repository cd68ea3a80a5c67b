"""Colours that carry meaning, from the Okabe–Ito palette, which colour-blind viewers can tell apart.

No colour here is ever the only cue: blocked cells are also hatched, a
disagreement also carries a ✗, a positive value also has no minus sign.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

# Okabe & Ito (2008), "Color Universal Design"
ORANGE = "#E69F00"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

NEGATIVE = BLUE  # a value below zero
POSITIVE = VERMILLION  # a value above zero
SOURCE = YELLOW  # the inspected cell
INFLUENCED = BLUISH_GREEN  # a cell the inspected cell moves
BLOCKED = GREY  # a cell it reaches but cannot move (drawn hatched too)
AGREE = BLUISH_GREEN  # finite differences agree with the backward formulas (with ✓)
DISAGREE = VERMILLION  # they do not (with ✗)

READ = BLUE  # stepping: a tensor the current step reads (dashed outline, "◀ read")
WRITTEN = VERMILLION  # … and one it writes (solid outline, "✎ written")
MUTED = "#888888"  # a badge for what is pending (waiting, missing); never ink: text uses cell_look.muted

# chart series
FORWARD = ORANGE
CENTRAL = BLUE
ANALYTIC = BLUISH_GREEN


def color(hex_code: str, alpha: float = 1.0) -> QColor:
    c = QColor(hex_code)
    c.setAlphaF(alpha)
    return c
