"""The app driven as a learner drives it: through its named grids, labels, buttons and spin box."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

from gradlab import nudge, preset, run, save
from gradlab.finite_diff import loss_curve
from tests.ui.conftest import DISPLAY, EDIT, cell, grid, label, number
from ui import INFLUENCE_ROLE, MainWindow
from ui.grid_model import format_value


def test_opens_on_the_lesson_preset_with_every_grid(window):
    net = preset("lesson")
    p = run(net)
    for name in ["x", "y", "w1", "b1", "w2", "b2", "l1", "l2", "out"] + [f"{n}.g" for n in p.grads]:
        grid(window, name)
    assert number(label(window, "loss").text()) == pytest.approx(float(p.loss), rel=1e-7)
    assert grid(window, "x").model().data(cell(window, "x", 0, 1), EDIT) == -1.2
    assert grid(window, "b1").model().columnCount() == 4  # a bias is one row under its weight's columns
    assert grid(window, "y").model().rowCount() == 4  # y is one column beside out


def test_starts_with_the_lessons_first_weight_inspected_and_keeps_a_cell_inspected_across_networks(window):
    assert window.session.inspected == ("w1", (0, 0))
    assert window.inspector.title.text() == "Inspecting w1[0,0]"
    window.session.inspect("w2", (3, 0))
    assert window.load_preset("neuron")  # one weight column: w2[3,0] is gone with the lesson
    assert window.session.inspected == ("w1", (0, 0)) and window.inspector.title.text() == "Inspecting w1[0,0]"


def test_every_model_passes_qts_model_tester(window, qtmodeltester):
    for name in ("x", "w1", "b1", "l1", "out", "y", "w1.g", "b2.g"):
        qtmodeltester.check(grid(window, name).model())


def test_an_edit_recomputes_the_loss_and_every_dependent_grid(window):
    model = grid(window, "w1").model()
    assert model.setData(cell(window, "w1", 0, 1), "0.25", EDIT)
    net = preset("lesson")
    net.layers[0].w[0, 1] = 0.25
    p = run(net)
    assert number(label(window, "loss").text()) == pytest.approx(float(p.loss), rel=1e-7)
    for name in ("l1", "l2", "out", "l1.g", "w1.g", "b1.g", "x.g", "w2.g"):
        array = p.grads[name[:-2]] if name.endswith(".g") else p.values[name]
        m = grid(window, name).model()
        shown = np.array([[m.data(m.index(r, c), EDIT) for c in range(m.columnCount())] for r in range(m.rowCount())])
        np.testing.assert_array_equal(shown.reshape(array.shape), array, err_msg=name)
    assert m.data(m.index(0, 0), DISPLAY) == format_value(array.reshape(shown.shape)[0, 0])


def test_an_edit_tells_views_just_what_moved(window, qtbot):
    """The edited grid repaints one cell; x, which the edit cannot move, hears nothing."""
    w1, x = grid(window, "w1").model(), grid(window, "x").model()
    seen = {"w1": [], "x": []}
    w1.dataChanged.connect(lambda a, b, roles: seen["w1"].append((a.row(), a.column(), b.row(), b.column())))
    x.dataChanged.connect(lambda a, b, roles: seen["x"].append((a.row(), a.column())))
    window.session.inspect(None)
    w1.setData(cell(window, "w1", 2, 1), 0.5, EDIT)
    assert (2, 1, 2, 1) in seen["w1"]
    assert seen["x"] == []


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "1,5", "1e999"])
def test_bad_text_leaves_the_cell_and_says_why(window, text):
    model = grid(window, "x").model()
    before = float(window.sheet.p.loss)
    assert not model.setData(cell(window, "x", 1, 1), text, EDIT)
    assert model.data(cell(window, "x", 1, 1), EDIT) == 0.4
    assert float(window.sheet.p.loss) == before
    message = label(window, "status-message").text()
    assert "x[1,1] keeps 0.4" in message
    assert window.undo_stack.count() == 0


def test_a_refusal_clears_from_the_status_bar_at_the_next_change_that_goes_through(window):
    model = grid(window, "w1").model()
    assert not model.setData(cell(window, "w1", 1, 1), "nan", EDIT)
    assert "keeps" in label(window, "status-message").text()
    assert model.setData(cell(window, "w1", 1, 1), "0.75", EDIT)
    assert label(window, "status-message").text() == ""
    assert not model.setData(cell(window, "w1", 1, 1), "abc", EDIT)
    window.undo_stack.undo()  # undo is a change too
    assert label(window, "status-message").text() == ""


def test_computed_grids_are_read_only(window):
    for name in ("l1", "out", "w1.g"):
        model = grid(window, name).model()
        assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable
        assert not model.setData(model.index(0, 0), 1.0, EDIT)


def select(window, name, row, col):
    view = grid(window, name)
    view.setCurrentIndex(view.model().index(row, col))


def test_selecting_a_weight_inspects_it_and_the_inspector_agrees_with_the_core(window, qtbot):
    select(window, "w1", 2, 0)
    assert window.session.inspected == ("w1", (2, 0))
    window.findChild(type(window.inspector.epsilon), "epsilon").setValue(1e-4)
    qtbot.waitUntil(lambda: "w1[2,0]" in label(window, "inspected-cell").text())
    expected = nudge(preset("lesson"), "w1", (2, 0), 1e-4)
    qtbot.waitUntil(lambda: number(label(window, "fd-quotient").text()) == pytest.approx(expected.forward, rel=1e-9))
    assert number(label(window, "analytic-gradient").text()) == pytest.approx(expected.analytic, rel=1e-9)
    assert number(label(window, "central-quotient").text()) == pytest.approx(expected.central, rel=1e-9)
    assert "agree" in label(window, "verdict").text()


def test_nudge_buttons_move_the_cell_by_epsilon_and_the_charts_follow(window, qtbot):
    select(window, "x", 0, 0)
    eps = window.inspector.epsilon.value()
    charts = window.charts
    charts.chart_pages.show_chart(charts.plots["loss-plot"].parentWidget())  # at 1280 wide, on the second page
    qtbot.waitUntil(lambda: window.charts.forward_curve.getData()[0] is not None)
    qtbot.waitUntil(lambda: window.charts.loss_curve.getData()[1] is not None)
    before_chart = np.array(window.charts.loss_curve.getData()[1], copy=True)
    plus = window.findChild(QPushButton, "nudge-plus")
    qtbot.mouseClick(plus, Qt.MouseButton.LeftButton)
    assert window.sheet.net.x[0, 0] == 0.5 + eps
    qtbot.waitUntil(lambda: not np.array_equal(window.charts.loss_curve.getData()[1], before_chart))
    qtbot.mouseClick(window.findChild(QPushButton, "nudge-minus"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.findChild(QPushButton, "nudge-minus"), Qt.MouseButton.LeftButton)
    assert window.sheet.net.x[0, 0] == pytest.approx(0.5 - eps, abs=1e-15)
    assert "Last nudge" in label(window, "last-nudge").text()


def test_influence_of_an_x_cell_stops_at_a_dead_relu(window):
    select(window, "x", 1, 0)  # row 1: only hidden unit 3 is on
    role = lambda name, r, c: grid(window, name).model().data(cell(window, name, r, c), INFLUENCE_ROLE)  # noqa: E731
    assert role("x", 1, 0) == "source"
    assert [role("l1", 1, j) for j in range(4)] == ["influenced"] * 4
    assert [role("l1", 0, j) for j in range(4)] == [None] * 4
    assert [role("l2", 1, j) for j in range(4)] == ["blocked", "blocked", "blocked", "influenced"]
    assert role("out", 1, 0) == "influenced"
    assert role("out", 0, 0) is None
    assert role("w1", 0, 0) is None and role("x.g" if False else "x", 0, 0) is None
    window.sheet.set_cell("b1", (3,), -5.0)  # turn unit 3 off too: out[1] is reached but cannot move
    assert role("out", 1, 0) == "blocked"


def test_reduction_and_dtype_switches_recompute_everything(window):
    reduction = window.findChild(QComboBox, "reduction")
    reduction.setCurrentText("sum")
    reduction.activated.emit(reduction.currentIndex())
    net = preset("lesson")
    net.reduction = "sum"
    assert number(label(window, "loss").text()) == pytest.approx(float(run(net).loss), rel=1e-7)
    dtype = window.findChild(QComboBox, "dtype")
    dtype.setCurrentText("float32")
    dtype.activated.emit(dtype.currentIndex())
    assert window.sheet.net.dtype == np.float32
    assert grid(window, "w1.g").model().data(cell(window, "w1.g", 0, 0), EDIT) == float(run(net.astype("float32")).grads["w1"][0, 0])


def test_presets_and_files(window, tmp_path):
    window.load_preset("mazur")
    assert grid(window, "w2").model().rowCount() == 2
    assert label(window, "loss").text().startswith("0.29837111")
    path = tmp_path / "neuron.json"
    save(preset("neuron"), path)
    assert window.open_file(path)
    assert window.findChild(type(grid(window, "x")), "grid:l1") is None  # one linear layer: no l1
    assert "neuron.json" in window.windowTitle()


def test_a_broken_file_changes_nothing_and_says_why(window, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"gradlab": 1, "x": [[1, 2]')
    before = window.sheet.net
    assert not window.open_file(path)
    assert window.sheet.net is before
    assert "not valid JSON" in label(window, "status-message").text()


def test_window_constructs_with_no_arguments(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.sheet.net.title == preset("lesson").title


def open_editor(view) -> QLineEdit:
    """The editor now open on the view (a closed one may linger until Qt deletes it)."""
    (editor,) = [e for e in view.findChildren(QLineEdit) if e.isVisible()]
    return editor


def test_typing_into_a_cell_keeps_every_digit_and_negative_numbers(window, qtbot):
    view = grid(window, "w1")
    view.setFocus()
    view.setCurrentIndex(cell(window, "w1", 1, 1))
    for text, value in (("5.125", 5.125), ("-0.123456789012", -0.123456789012), ("1e-7", 1e-7), ("-2.5", -2.5)):
        qtbot.keyClick(view, Qt.Key.Key_F2)
        editor = open_editor(view)
        assert editor.text() == repr(float(window.sheet.net.layers[0].w[1, 1]))  # opens with every digit
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)  # Qt commits on its next event loop turn
        qtbot.waitUntil(lambda v=value: window.sheet.net.layers[0].w[1, 1] == v)
        view.setCurrentIndex(cell(window, "w1", 1, 1))


def test_typing_replaces_the_cell_as_in_a_spreadsheet(window, qtbot):
    view = grid(window, "x")
    view.setFocus()
    view.setCurrentIndex(cell(window, "x", 2, 2))
    qtbot.keyClick(view, "-")  # the first key opens an editor holding just that key …
    assert open_editor(view).text() == "-"
    qtbot.keyClicks(open_editor(view), "7.25")  # … and the rest go where the focus now is
    qtbot.keyClick(open_editor(view), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.sheet.net.x[2, 2] == -7.25)


def test_the_train_tabs_charts_wait_behind_another_tab_and_catch_up_when_shown(qtbot):
    w = MainWindow(preset("classifier"))
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    charts, plane = w.training.charts, w.training.plane
    assert not charts.isVisible()  # the Charts tab is in front
    drawn: list[str] = []
    charts._draw = lambda *args, **kwargs: drawn.append("charts")
    plane.show_network = lambda net: drawn.append("plane")
    w.editor.set_cell("w1", (0, 0), 0.25)
    assert drawn == []  # nothing is drawn out of sight
    w.panels.show_panel(w.training)
    qtbot.waitUntil(lambda: sorted(drawn) == ["charts", "plane"])  # both catch up as the tab is shown
    w.editor.set_cell("w1", (0, 0), 0.5)
    assert sorted(drawn) == ["charts", "charts", "plane", "plane"]  # in sight, each edit draws at once


def test_the_teachers_switch_hides_the_true_gradient_everywhere_until_the_line_is_right(window, qtbot):
    """With the true .g grids hidden, the backward-pass listing, its explanation, the inspector and the nudge
    charts must not give the answer away either; a right line brings them all back."""
    session = window.session
    session.inspect("w1", (0, 3))
    true_line = "w1.g = (x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)"
    assert true_line in window.formula.html()
    session.set_hide_true(True)
    window.charts.refresh()
    assert true_line not in window.formula.html() and "w1.g = …  (hidden until your line for it is right)" in window.formula.html()
    assert "0.2092" not in window.formula.html()  # nor its explanation's numbers
    assert window.inspector.fields["analytic-gradient"].text() == "— (hidden until your w1.g line is right)"
    assert "0.2092" not in window.inspector.fields["abs-error"].text()
    assert "hidden until your line for it is right" in window.charts.empty_label.text()
    assert window.charts.forward_curve.getData()[0] is None or len(window.charts.forward_curve.getData()[0]) == 0

    window.panels.show_panel(window.exercise)  # the learner writes the line in Your turn
    session.set_true_inputs(True)  # it reads the true l1.g: no other line is written yet
    session.set_answers({"w1.g": "x.t() @ l1.g"})
    qtbot.waitUntil(lambda: session.revealed("w1.g"))
    window.panels.show_panel(window.charts)  # the charts draw only what is in sight
    window.charts.refresh()
    assert true_line in window.formula.html() and "0.2092" in window.formula.html()
    assert window.inspector.fields["analytic-gradient"].text() == "0.20919"
    assert len(window.charts.forward_curve.getData()[0]) > 0


def test_a_chart_page_behind_the_other_is_drawn_when_turned_to(window, qtbot):
    """At 1280 wide the charts are two pages of two: an edit draws the page in front, the other when shown."""
    charts = window.charts
    assert charts.chart_pages.per_page == 2 and charts.plots["fd-plot"].isVisible()
    assert not charts.plots["loss-plot"].isVisible()
    window.editor.set_cell("x", (0, 0), 0.7)
    qtbot.waitUntil(lambda: charts.forward_curve.getData()[0] is not None and bool(charts._unseen))
    assert charts._unseen == {"loss-plot", "secant-plot"}  # left undrawn
    value = window.sheet.net.tensor("w1")[0, 0]  # the inspected cell
    charts.chart_pages.show_chart(charts.plots["loss-plot"].parentWidget())
    qtbot.waitUntil(lambda: "loss-plot" not in charts._unseen)  # drawn as it came to the front
    x, y = charts.loss_curve.getData()
    assert x.min() < value < x.max()
    expected = loss_curve(window.sheet.net, "w1", (0, 0), x)
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_a_chart_on_the_page_behind_is_drawn_before_it_is_exported(window, qtbot, tmp_path):
    charts = window.charts
    window.editor.set_cell("x", (0, 0), 0.7)
    qtbot.waitUntil(lambda: "loss-plot" in charts._unseen)
    charts.export("loss-plot", str(tmp_path / "loss.png"))
    assert (tmp_path / "loss.png").stat().st_size > 0 and not charts._unseen
    x, y = charts.loss_curve.getData()
    np.testing.assert_allclose(y, loss_curve(window.sheet.net, "w1", (0, 0), x), rtol=1e-12)


def test_the_freeze_toggle_over_a_weight_freezes_it_but_not_while_training_runs(window, qtbot):
    from PySide6.QtWidgets import QToolButton

    window.findChild(QToolButton, "freeze-toggle:w1").click()
    assert "w1" in window.sheet.net.frozen and "Froze w1" in label(window, "status-message").text()
    assert window.training.train_steps(100_000)  # a long run, under way over many turns
    toggle = window.findChild(QToolButton, "freeze-toggle:w1")
    toggle.click()  # unfreeze: refused while the run holds the network
    assert "w1" in window.sheet.net.frozen and toggle.isChecked()
    assert "Training is under way" in label(window, "status-message").text()
    window.training.cancel()
