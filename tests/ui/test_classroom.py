"""Classroom mode: zoom, presentation, themes, the palette's cues, and the backward pass step by step."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from gradlab import backward_steps, preset, run
from tests.ui.conftest import DISPLAY, cell, grid, label
from ui import INFLUENCE_ROLE, MainWindow, palette
from ui.appearance import PRESENTATION_ZOOM


def sizes(window) -> dict[str, float]:
    """The point size each part of the window draws its text in."""
    charts = window.charts.plots["fd-plot"].getPlotItem()
    return {
        "grid": grid(window, "w1").font().pointSizeF(),
        "header": grid(window, "w1").horizontalHeader().font().pointSizeF(),
        "formula": window.formula.findChild(type(window.formula._code), "backward-code").font().pointSizeF(),
        "chart ticks": charts.getAxis("left").style["tickFont"].pointSizeF(),
        "loss": label(window, "loss").font().pointSizeF(),
        "inspector": label(window, "fd-quotient").font().pointSizeF(),
    }


def test_zoom_scales_every_part_together_and_persists(window, qtbot):
    before = sizes(window)
    cell_width = grid(window, "w1").horizontalHeader().defaultSectionSize()
    window.appearance.zoom_in_action.trigger()
    window.appearance.zoom_in_action.trigger()
    ratio = window.appearance.zoom
    assert ratio > 1.3
    expected = {part: pytest.approx(size * ratio, rel=0.05) for part, size in before.items()}
    qtbot.waitUntil(lambda: sizes(window) == expected)  # fonts reach some children through posted events
    assert grid(window, "w1").horizontalHeader().defaultSectionSize() > cell_width * 1.2  # cells grow to fit
    window.appearance.zoom_reset_action.trigger()
    qtbot.waitUntil(lambda: sizes(window) == pytest.approx(before))
    window.appearance.set_zoom(1.7)
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.appearance.zoom == pytest.approx(1.7)


def test_presentation_mode_goes_full_screen_and_esc_leaves(window, qtbot):
    zoom = window.appearance.zoom
    window.appearance.presentation_action.trigger()
    assert window.isFullScreen() and not window.menuBar().isVisible()
    screen = window.screen().geometry()  # the zoom is the largest that lets the window fit the screen
    hint = window.minimumSizeHint()
    assert hint.width() <= screen.width() and hint.height() <= screen.height()
    assert window.appearance.zoom <= zoom * PRESENTATION_ZOOM
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isFullScreen() and window.menuBar().isVisible()
    assert window.appearance.zoom == pytest.approx(zoom)
    assert not window.appearance.presentation_action.isChecked()


def test_themes_switch_the_charts_and_the_window(window):
    window.appearance.set_theme("dark")
    assert window.palette().color(window.palette().ColorRole.Base).name() == "#000000"
    assert window.charts.foreground == "w"
    window.appearance.set_theme("light")
    assert window.palette().color(window.palette().ColorRole.Base).name() == "#ffffff"
    with pytest.raises(ValueError, match="the themes are light, dark"):
        window.appearance.set_theme("neon")


def test_palette_roles_are_distinct_and_never_colour_only(window):
    meaning = [palette.NEGATIVE, palette.POSITIVE, palette.SOURCE, palette.INFLUENCED, palette.BLOCKED]
    assert len(set(meaning)) == len(meaning)
    assert len({palette.AGREE, palette.DISAGREE}) == 2 and len({palette.READ, palette.WRITTEN}) == 2
    window.inspect("x", (1, 0))
    l2, out = grid(window, "l2").model(), grid(window, "out").model()
    font = Qt.ItemDataRole.FontRole
    cues = {}
    for model, r, c in ((l2, 1, 3), (l2, 1, 0), (grid(window, "x").model(), 1, 0)):
        index = model.index(r, c)
        cues[model.data(index, INFLUENCE_ROLE)] = (model.data(index, font), model.data(index, Qt.ItemDataRole.BackgroundRole))
    assert set(cues) == {"influenced", "blocked", "source"}
    assert cues["influenced"][0].underline() and not cues["influenced"][0].italic()
    assert cues["blocked"][0].italic() and isinstance(cues["blocked"][1], QBrush)
    assert cues["blocked"][1].style() == Qt.BrushStyle.BDiagPattern  # hatched, not just grey
    assert cues["source"][0].bold() and cues["source"][0].underline()
    assert out.data(out.index(1, 0), DISPLAY).startswith(("0", "−"))  # negative numbers carry their sign
    assert label(window, "verdict").text().count("✓") == 1  # agreement has a symbol, not only a colour


def marks(window) -> dict[str, str]:
    return {name: box.mark for name, box in window.sheet_view.boxes.items() if box.mark}


@pytest.mark.parametrize("name", ["lesson", "mazur"])
def test_every_step_shows_what_it_reads_and_writes_and_hides_the_rest(qtbot, name):
    window = MainWindow(preset(name))
    qtbot.addWidget(window)
    steps = window.session.steps()  # the backward pass, then gradient descent's update of each parameter
    assert steps[:len(backward_steps(window.sheet.net))] == backward_steps(window.sheet.net)
    p = run(window.sheet.net)
    forward_button = window.stepper.forward_button
    qtbot.mouseClick(forward_button, Qt.MouseButton.LeftButton)
    assert window.session.step == 0 and marks(window) == {}
    for gradient in p.grads:  # step 0: the forward pass done, every .g empty
        model = grid(window, f"{gradient}.g").model()
        assert model.data(model.index(0, 0), DISPLAY) == ""
    for k, step in enumerate(steps, start=1):
        qtbot.mouseClick(forward_button, Qt.MouseButton.LeftButton)
        assert window.session.step == k
        expected = {t: "written" for t in step.writes} | {t: "read" for t in step.reads if t not in step.writes}
        assert marks(window) == {t: m for t, m in expected.items() if t in window.sheet_view.boxes}
        written_so_far = {w for s in steps[:k] for w in s.writes}
        for gradient in p.grads:
            model = grid(window, f"{gradient}.g").model()
            shown = model.data(model.index(0, 0), DISPLAY)
            assert (shown != "") == (f"{gradient}.g" in written_so_far), (k, gradient)
        assert window.formula.highlighted_lines() == list(step.code)
        assert step.call in label(window, "step-label").text()
    assert not forward_button.isEnabled()
    window.stepper.done_button.click()
    assert window.session.step is None and marks(window) == {}


def test_step_one_shows_the_divisor_that_averages(window, qtbot):
    window.stepper.forward()
    window.stepper.forward()
    assert window.formula.highlighted_lines() == ["out.g = 2. * (out - y) / out.numel()"]
    assert "mse_grad" in label(window, "step-label").text()


def test_editing_while_stepping_keeps_the_step(window):
    window.session.set_step(2)
    grid(window, "w2").model().setData(cell(window, "w2", 0, 0), "0.5", Qt.ItemDataRole.EditRole)
    assert window.session.step == 2
    model = grid(window, "w2.g").model()
    assert float(model.data(model.index(0, 0), Qt.ItemDataRole.EditRole)) == float(window.sheet.p.grads["w2"][0, 0])
    assert grid(window, "l1.g").model().data(cell(window, "l1.g", 0, 0), DISPLAY) == ""


def test_play_advances_on_a_timer_and_stops_at_the_end(window, qtbot):
    window.stepper.speed.setValue(0.2)
    window.stepper.play_button.click()
    assert window.stepper.timer.isActive() and window.session.step == 0
    qtbot.waitUntil(lambda: window.session.step == len(window.session.steps()), timeout=5000)
    qtbot.waitUntil(lambda: not window.stepper.timer.isActive(), timeout=2000)


def test_headers_explain_each_tensor_with_its_shape(window):
    model = grid(window, "l1.g").model()
    tip = model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("l1.g — ∂L/∂l1") and "batch × 4" in tip
    x_tip = grid(window, "x.g").model().headerData(0, Qt.Orientation.Vertical, Qt.ItemDataRole.ToolTipRole)
    assert "style transfer" in x_tip
    b_tip = grid(window, "b1.g").model().headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "sum(0)" in b_tip


def test_the_stepper_runs_on_into_the_update_and_writes_it_with_the_numbers(window):
    window.session.inspect("w1", (0, 3))
    backward = window.session.backward_count()
    window.session.set_step(backward + 1)  # the first update: w1 -= lr * w1.g
    assert marks(window) == {"w1": "written", "w1.g": "read"}
    assert window.formula.highlighted_lines() == ["w1 -= lr * w1.g"]
    assert "w1[0,3] = 0.3 − 0.5 × 0.2092 = 0.1954" in label(window, "explanation").text()
    assert window.sheet.net.tensor("w1")[0, 3] == 0.3  # stepping only shows: nothing is updated


def test_stepping_shows_nothing_the_current_step_has_not_written(window):
    window.session.inspect("w1", (0, 3))
    window.session.set_step(1)  # mse_grad has written out.g; w1.g comes at step 4
    assert "written at step 4" in label(window, "analytic-gradient").text()
    assert "✓" not in label(window, "verdict").text() and "w1.g is written at step 4" in label(window, "verdict").text()
    assert "w1.g is written at step 4" in label(window, "explanation").text()
    assert "0.2092" not in label(window, "explanation").text()
    window.session.set_step(4)
    assert label(window, "analytic-gradient").text() == "0.20919"
