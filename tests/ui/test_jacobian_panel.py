"""The Jacobian panel, the watch helpers and the inspector's watched rows, each built from a Session alone."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QTableView, QWidget

from gradlab import layers, preset, random_network
from gradlab.session import Session
from gradlab.sheet import Sheet
from gradlab.text import fmt
from gradlab.watch import LOSS, Watched, backprop
from ui import palette
from ui.cell_look import MARK_CUES
from ui.commands import Editor
from ui.jacobian_panel import HINT, MARK_ROLE, JacobianPanel, elide
from ui.watch_controls import (
    WATCH_MODIFIER,
    WATCHED_COLOUR,
    watch_action,
    watch_click,
    watched_rows,
    watched_state,
)

DISPLAY, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole


@pytest.fixture
def session(qtbot):
    s = Session(Sheet(preset("lesson")))
    yield s
    s.close()


@pytest.fixture
def panel(session, qtbot):
    view = JacobianPanel(session)
    qtbot.addWidget(view)
    return view


def table(panel, kind: str) -> np.ndarray:
    """What a grid of the panel shows, read back through its model as numbers."""
    view = panel.findChild(QTableView, f"jacobian:{kind}")
    assert view is not None and view.isVisibleTo(panel), f"no grid jacobian:{kind} is shown"
    model = view.model()
    return np.array([[float(model.data(model.index(r, c), DISPLAY).replace("−", "-").removeprefix("⚠ "))
                      for c in range(model.columnCount())] for r in range(model.rowCount())])


def marks(panel, kind: str) -> np.ndarray:
    model = panel.grid_view(kind).model()
    return np.array([[model.data(model.index(r, c), MARK_ROLE) for c in range(model.columnCount())]
                     for r in range(model.rowCount())])


def text(panel, name: str) -> str:
    label = panel.findChild(QLabel, name)
    assert label is not None, f"no label {name}"
    return label.text()


def test_without_a_layer_output_cell_it_says_how_to_pick_one(session, panel):
    assert HINT in text(panel, "jacobian-heading") and not panel.sections
    session.select("w1", (0, 2))  # an input: inspected, not a layer output
    assert HINT in text(panel, "jacobian-heading") and panel.jacobian is None


def test_l1_cell_shows_the_identity_the_transpose_and_the_input_row(session, panel, qtmodeltester):
    net, p = session.sheet.net, session.sheet.p
    session.select("l1", (0, 2))
    assert "l1[0,2]" in text(panel, "jacobian-heading") and "l1 = x @ w1 + b1" in text(panel, "jacobian-heading")
    np.testing.assert_array_equal(table(panel, "bias"), [[0, 0, 1, 0]])  # the one-hot row, 1 in column 2
    assert marks(panel, "bias").tolist() == [[None, None, "mark", None]]
    assert text(panel, "jacobian-title:bias") == "<b>∂l1[0,2]/∂b1</b>"
    np.testing.assert_array_equal(table(panel, "identity"), np.eye(4))  # for all j: the identity, row 2 marked
    assert (marks(panel, "identity") == "mark").nonzero()[0].tolist() == [2] * 4
    by_x = table(panel, "input")
    np.testing.assert_allclose(by_x[0], net.tensor("w1")[:, 2], atol=5e-5)  # w1[:,2] for x[0,:]
    assert not by_x[1:].any() and "transpose" in text(panel, "jacobian-text:input")
    by_w = table(panel, "weight")
    np.testing.assert_allclose(by_w[:, 2], net.x[0], atol=5e-5)  # x[0,:] in column 2 of ∂l1[0,2]/∂w1
    assert not np.delete(by_w, 2, axis=1).any()
    tip = panel.grid_view("input").model().data(panel.grid_view("input").model().index(0, 1), TIP)
    assert tip == f"∂l1[0,2]/∂x at [0,1] = {float(net.tensor('w1')[1, 2])!r} — what the line below is about"
    chain = text(panel, "jacobian-chain:bias")  # the chain rule with the user's numbers
    assert chain.startswith("dL/db1[2] = Σ_b dL/dl1[b,2] · 1 = ") and chain.endswith(f"= {fmt(p.grads['b1'][2])}")
    for kind in ("bias", "identity", "input", "weight"):
        qtmodeltester.check(panel.grid_view(kind).model())


def test_an_edit_changes_the_numbers_and_the_chain_rule(session, panel, qtbot):
    editor = Editor(session.sheet, QUndoStack(panel))
    session.select("l1", (0, 2))
    before = text(panel, "jacobian-chain:input")
    changed = []
    panel.grid_view("weight").model().dataChanged.connect(lambda tl, br, _roles: changed.append((tl.row(), br.row())))
    editor.set_cell("x", (0, 0), 2.0)
    p = session.sheet.p
    after = text(panel, "jacobian-chain:input")
    assert after != before and after.endswith("= [" + ", ".join(fmt(v) for v in p.grads["x"][0]) + "]")
    assert fmt(p.grads["l1"][0, 0]) in after
    assert table(panel, "weight")[0, 2] == 2.0 and changed == [(0, 0)]  # only the cell that moved


def test_an_off_relu_shows_a_slope_of_0_and_why(session, panel):
    session.select("l1", (0, 2))
    session.select("l2.g", (0, 2))  # l1[0,2] = −0.51: the unit is off on the lesson preset
    assert set(panel.jacobian.grid("slope").values.flat) == {0}
    slope = table(panel, "slope")
    assert slope[0, 2] == 0 and marks(panel, "slope")[0, 2] == "mark"
    assert "slope 0" in text(panel, "jacobian-text:slope") and "the unit is off" in text(panel, "jacobian-text:slope")
    np.testing.assert_array_equal(table(panel, "slopes"), session.sheet.p.values["l1"] > 0)
    assert not panel.findChild(QTableView, "jacobian:bias").isVisibleTo(panel)  # the linear grids are put away
    assert panel.grid_view("bias").model().rowCount() == 0


def test_a_kink_is_marked_with_a_sign_as_well_as_a_colour(session, panel):
    session.sheet.set_cells("x", (1, 0), np.zeros((1, 3)))  # l1[1,:] is b1, and b1[0] = 0: on the kink
    session.sheet.set_cell("b1", (0,), 0.0)
    row = 1
    assert session.sheet.p.values["l1"][row, 0] == 0
    session.select("l2", (row, 0))
    model = panel.grid_view("slopes").model()
    assert model.data(model.index(row, 0), DISPLAY).startswith("⚠ ") and model.data(model.index(row, 0), MARK_ROLE) == "kink"
    assert "kink" in text(panel, "jacobian-text:slopes")


def test_the_slope_wording_is_the_layers_own(qtbot, monkeypatch):
    net = random_network([3, 4, 2], batch=3, activation="leaky_relu", seed=1)
    session = Session(Sheet(net))
    monkeypatch.setattr(layers.LeakyReLU, "slope_words", "leaks {slope:g} below 0 in {i}")
    panel = JacobianPanel(session)
    qtbot.addWidget(panel)
    session.select("l2", (0, 1))
    assert "leaks 0.01 below 0 in l1" in text(panel, "jacobian-text:slopes")
    session.close()


def test_a_network_without_the_cell_clears_the_panel(session, panel):
    session.select("l1", (0, 2))
    session.sheet.replace(preset("neuron"))  # one linear layer, out only: l1 is gone
    assert panel.jacobian is None and HINT in text(panel, "jacobian-heading")
    assert all(not s.isVisibleTo(panel) for s in panel.sections.values())
    session.select("out", (1, 0))
    assert "out = x @ w1 + b1" in text(panel, "jacobian-heading")
    np.testing.assert_array_equal(table(panel, "bias"), [[1]])


def test_long_lines_are_shortened_in_the_middle():
    assert elide("short") == "short"
    long = "a" * 500 + "b" * 500
    shown = elide(long, 100)
    assert len(shown) == 100 and shown.startswith("a") and shown.endswith("b") and " … " in shown


# -- watching a cell from the grids -----------------------------------------------------------------------


def test_the_watch_action_toggles_the_watched_cell(session, qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    said = []
    action = watch_action(session, "l1", (0, 2), host, said.append)
    assert action.text() == "Watch l1[0,2]"
    action.trigger()
    assert session.watched == Watched("l1", (0, 2)) and said == ["Watching l1[0,2]: the inspector measures the "
                                                                 "nudge by how l1[0,2] moves."]
    again = watch_action(session, "l1", (0, 2), host, said.append)
    assert again.text() == "Stop watching l1[0,2]"
    again.trigger()
    assert session.watched == LOSS and said[-1].startswith("Stopped watching l1[0,2]")
    rows = watch_action(session, "loss", (1,), host)
    assert rows.text() == "Watch loss[1]"
    rows.trigger()
    assert session.watched == Watched("loss", (1,))
    assert watch_action(session, "loss", (), host).text() == "Watch the loss"
    session.watch(None)
    assert watch_action(session, "loss", (), host) is None  # the loss is watched already


def test_inputs_and_gradients_offer_no_watch_action(session):
    for grid, cell in (("x", (0, 0)), ("w1", (0, 0)), ("b1", (1,)), ("y", (0,)), ("w2", (1, 0)), ("l1.g", (0, 2)),
                       ("out.g", (1, 0))):
        assert watch_action(session, grid, cell) is None, grid
        assert watch_click(session, grid, cell, WATCH_MODIFIER) is None
    assert session.watched == LOSS


def test_alt_click_watches_and_a_plain_click_does_not(session):
    assert watch_click(session, "out", (1, 0), Qt.KeyboardModifier.NoModifier) is None and session.watched == LOSS
    assert watch_click(session, "out", (1, 0), WATCH_MODIFIER | Qt.KeyboardModifier.ShiftModifier).startswith("Watching")
    assert session.watched == Watched("out", (1, 0))


def test_the_watched_mask_marks_one_cell_of_its_own_grid(session):
    assert watched_state(session, "l1") is None  # the loss is watched: no grid is marked
    session.watch("l1[0,2]")
    mask = watched_state(session, "l1")
    assert mask.shape == session.sheet.p.values["l1"].shape and mask.nonzero() == ([0], [2])
    assert watched_state(session, "l2") is None and watched_state(session, "l1.g") is None
    session.watch("loss[3]")
    assert watched_state(session, "loss").tolist() == [False, False, False, True]
    assert watched_state(session, "out") is None


def test_the_watched_mark_is_a_colour_of_its_own_and_font_cues():
    assert MARK_CUES["watched"] == ("bold", "overlined", "outlined")
    taken = {palette.SOURCE, palette.INFLUENCED, palette.BLOCKED, palette.POSITIVE, palette.NEGATIVE, palette.ORANGE,
             palette.READ, palette.WRITTEN}
    assert WATCHED_COLOUR not in taken  # no other meaning's colour


# -- the inspector's rows for the watched value ----------------------------------------------------------


def rows_by_key(rows):
    return {r.key: r for r in rows.rows}


def number(s: str) -> float:
    return float(s.replace("−", "-"))


def test_watching_out_and_nudging_x_measures_the_one_hot_backward_pass(session):
    assert watched_rows(session) is None  # nothing inspected
    session.watch("out[1,0]")
    session.inspect("x", (1, 2))
    rows = watched_rows(session)
    shown = rows_by_key(rows)
    analytic = backprop(session.sheet.net, Watched("out", (1, 0)))["x"][1, 2]
    assert number(shown["watched-analytic"].value) == pytest.approx(analytic, abs=1e-10)
    assert analytic != 0 and number(shown["watched-quotient"].value) == pytest.approx(analytic, rel=1e-6)
    assert number(shown["watched-central"].value) == pytest.approx(analytic, rel=1e-6)
    assert shown["watched-quotient"].caption == "Δout[1,0] / Δε" and shown["watched-analytic"].caption == "∂out[1,0]/∂x[1,2]"
    assert number(shown["watched-delta"].value) == pytest.approx(analytic * 1e-3, rel=1e-6)
    assert rows.roundoff is None and rows.problem is None and rows.title.startswith("Watching out[1,0] while x[1,2]")


def test_a_change_below_the_dtypes_resolution_is_said_in_words(session):
    session.sheet.set_cell("b2", (0,), 1000.0)  # out[1,0] is now about 1000, where float64's steps are 1e-13
    session.watch("out[1,0]")
    session.inspect("x", (1, 2))
    assert watched_rows(session).roundoff is None  # at ε = 1e-3 the change is recorded
    session.set_eps(1e-15)
    rows = watched_rows(session)
    assert rows.roundoff.startswith("Δ out[1,0] is 1.2e-16, below float64's resolution")
    assert "lost in round-off — try a larger ε" in rows.roundoff


def test_a_step_that_vanishes_is_said_in_words(session):
    session.sheet.set_cell("x", (1, 2), 64.0)  # float64's steps at 64 are 1.4e-14: ε = 1e-15 cannot move it
    session.watch("out[1,0]")
    session.inspect("x", (1, 2))
    session.set_eps(1e-15)
    assert watched_rows(session).roundoff.startswith("ε = 1e-15 is below float64's resolution at x[1,2] = 64")


def test_a_cell_downstream_of_the_watched_value_gets_a_sentence_not_numbers(session):
    session.watch("l1[0,2]")
    session.inspect("w2", (1, 0))
    rows = watched_rows(session)
    assert rows.problem == ("w2 is downstream of l1[0,2]: nudging it cannot move l1[0,2]; "
                            "choose one of x, w1, b1, l1.")
    assert {r.value for r in rows.rows} == {"—"} and rows.nudge is None


def test_the_loss_watched_gives_the_loss_rows(session):
    session.inspect("w1", (0, 0))
    shown = rows_by_key(watched_rows(session))
    assert number(shown["watched-analytic"].value) == pytest.approx(session.sheet.p.grads["w1"][0, 0], abs=1e-10)
    assert shown["watched-delta"].caption == "ΔL"
