"""Watching any cell, as a learner does it in the window: Alt+click a computed cell, click an input, nudge."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from gradlab.watch import Watched, backprop
from tests.ui.conftest import cell, grid, label
from ui.grid_model import MARK_ROLE
from ui.watch_controls import WATCH_MODIFIER


def click(window, qtbot, name: str, row: int, col: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    view = grid(window, name)
    view.scrollTo(cell(window, name, row, col))
    centre = view.visualRect(cell(window, name, row, col)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, centre)


def shown_number(window, name: str) -> float:
    return float(label(window, name).text().replace("−", "-").split()[0])


def plus_eps(window) -> QPushButton:
    return next(b for b in window.inspector.findChildren(QPushButton) if b.text() == "+ ε")


def test_watching_out_and_nudging_x_shows_the_quotient_against_the_analytic_value_and_marks_both(window, qtbot):
    click(window, qtbot, "out", 1, 0, WATCH_MODIFIER)
    assert window.session.watched == Watched("out", (1, 0))
    click(window, qtbot, "x", 1, 2)
    assert window.session.inspected == ("x", (1, 2))
    qtbot.mouseClick(plus_eps(window), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.inspector.watched_box.isVisible())
    analytic = backprop(window.sheet.net, Watched("out", (1, 0)))["x"][1, 2]
    assert analytic != 0
    assert window.inspector.watched_captions["watched-quotient"].text() == "Δout[1,0] / Δε"
    assert shown_number(window, "watched-quotient") == pytest.approx(analytic, rel=1e-3)  # 4 or more digits shown
    assert shown_number(window, "watched-analytic") == pytest.approx(analytic, rel=1e-3)
    out, x = grid(window, "out").model(), grid(window, "x").model()
    assert out.data(out.index(1, 0), MARK_ROLE) == "watched"
    assert x.data(x.index(1, 2), MARK_ROLE) == "source"


def test_a_tiny_eps_gets_the_round_off_sentence_for_the_watched_change(window, qtbot):
    window.sheet.set_cell("b2", (0,), 1000.0)  # out[1,0] near 1000, where float64's steps are 1e-13
    window.session.watch("out[1,0]")
    window.session.inspect("x", (1, 2))
    window.session.set_eps(1e-15)
    qtbot.waitUntil(lambda: "round-off" in label(window, "watched-note").text())
    note = label(window, "watched-note").text()
    assert "below float64's resolution" in note and "try a larger ε" in note
    assert label(window, "watched-note").isVisible()
