"""The inspector judges each quotient it shows, grids say why a cell is blocked, overflow is refused."""

import numpy as np
from PySide6.QtCore import Qt

from gradlab.layers import Linear, Sigmoid
from gradlab.network import Network
from tests.ui.conftest import EDIT, cell, grid, label, shown
from ui import MainWindow


def test_each_quotient_row_has_its_own_verdict_at_a_coarse_eps(window, qtbot):
    window.session.inspect("w1", (0, 3))
    window.session.set_eps(0.1)
    qtbot.waitUntil(lambda: "?" in shown(window, "fd-verdict"))
    forward, central = shown(window, "fd-verdict"), shown(window, "central-verdict")
    assert "?" in forward and "can't be judged: truncation error at this ε" in forward and "make ε smaller" in forward
    assert "✓" in central and "agrees" in central
    assert "✓" in shown(window, "verdict")  # the headline judges the central row, as the scheme says


def test_round_off_at_a_tiny_eps_is_named_and_a_larger_eps_suggested(window, qtbot):
    window.session.inspect("w1", (0, 3))
    window.session.set_eps(1e-15)
    qtbot.waitUntil(lambda: "round-off" in shown(window, "central-verdict"))
    for row in ("fd-verdict", "central-verdict"):
        text = shown(window, row)
        assert "?" in text and "round-off at this ε" in text and "make ε larger" in text
    assert "✓" not in shown(window, "verdict") and "✗" not in shown(window, "verdict")


def test_the_one_sided_row_follows_the_button_pressed(window):
    window.session.inspect("b1", (0,))
    window.inspector.nudge(-1e-3)
    assert label(window, "fd-quotient").text() != ""
    captions = window.inspector.captions
    assert captions["fd-quotient"].text() == "ΔL / Δε (−ε)"
    window.inspector.nudge(1e-3)
    assert captions["fd-quotient"].text() == "ΔL / Δε"


def test_a_vanished_step_shows_a_dash_not_nan(window, qtbot):
    window.set_dtype("float32")
    window.sheet.set_cell("x", (0, 0), 1e5)
    window.session.inspect("x", (0, 0))
    window.session.set_eps(1e-6)
    qtbot.waitUntil(lambda: label(window, "abs-error").text() == "—")
    assert label(window, "abs-error").text() == "—"
    assert "the step vanished" in shown(window, "central-verdict")


def test_a_blocked_cell_says_where_and_why(qtbot):
    """A sigmoid saturated to exactly 1 in float64: its slope σ(1 − σ) is 0, so nothing passes it."""
    x = np.array([[1.0, 0.5], [0.2, -0.3]])
    net = Network(x, np.array([[0.5], [0.1]]), [Linear(np.array([[40.0], [0.5]]), np.array([0.0])), Sigmoid(),
                                                 Linear(np.array([[1.0]]), np.array([0.0]))], "mse")
    net.layers[0].w = np.array([[40.0, 0.3], [0.5, 0.2]])
    net.layers[0].b = np.array([0.0, 0.0])
    net.layers[2].w = np.array([[1.0], [1.0]])
    window = MainWindow(net)
    qtbot.addWidget(window)
    window.session.inspect("w1", (0, 0))
    l2 = grid(window, "l2").model()
    tip = l2.data(l2.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert l2.data(l2.index(0, 0), Qt.ItemDataRole.UserRole + 1) == "blocked"
    assert "sigmoid saturated" in tip and "σ′" in tip


def test_an_edit_that_overflows_is_refused_and_changes_nothing(window):
    model = grid(window, "w1").model()
    before, loss, steps = window.sheet.net.tensor("w1").copy(), float(window.sheet.p.loss), window.undo_stack.count()
    assert not model.setData(cell(window, "w1", 0, 0), "1e200", EDIT)
    message = label(window, "status-message").text()
    assert "w1[0,0] = 1e200 makes" in message and "overflow float64" in message and "keeps 0.4" in message
    assert window.sheet.net.tensor("w1").tobytes() == before.tobytes() and float(window.sheet.p.loss) == loss
    assert window.undo_stack.count() == steps


def test_the_error_chart_names_its_two_arms(window):
    window.session.inspect("w1", (0, 3))
    window.charts.refresh()
    assert window.charts.round_off_label.toPlainText() == "round-off"
    assert window.charts.truncation_label.toPlainText() == "truncation"
