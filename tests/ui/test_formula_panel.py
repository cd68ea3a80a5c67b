"""The formula panel: the backward pass in order, the line behind a gradient cell, its numbers."""

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel, QTextBrowser

import gradlab
from gradlab.network import backward_steps
from gradlab.session import Session
from gradlab.sheet import Sheet
from gradlab.text import fmt
from ui.formula_panel import HINT, MARKER, TITLE, FormulaPanel


def make_panel(qtbot, name: str = "lesson") -> tuple[Session, FormulaPanel]:
    session = Session(Sheet(gradlab.preset(name)))
    panel = FormulaPanel(session)
    qtbot.addWidget(panel)
    return session, panel


def listing(panel: FormulaPanel) -> str:
    return panel.findChild(QTextBrowser, "backward-code").toPlainText()


def explanation(panel: FormulaPanel) -> QLabel:
    return panel.findChild(QLabel, "explanation")


def test_lists_every_call_in_backward_order(qtbot):
    session, panel = make_panel(qtbot)
    assert panel.objectName() == "formula-panel"
    text = listing(panel)
    calls = [step.call for step in backward_steps(session.sheet.net)]
    assert calls[0] == "mse_grad(out, y)"
    positions = [text.index(f"# {call}") for call in calls]
    assert positions == sorted(positions)
    assert all(line in text for step in backward_steps(session.sheet.net) for line in step.code)
    assert TITLE in panel.findChild(QLabel, "formula-title").text()


def test_nothing_inspected_shows_the_hint(qtbot):
    _, panel = make_panel(qtbot)
    assert panel.highlighted_lines() == []
    assert MARKER not in listing(panel)
    assert HINT in explanation(panel).text()


def test_bias_cell_highlights_the_sum_over_rows(qtbot):
    session, panel = make_panel(qtbot)
    session.inspect("b1", (0,))
    assert panel.highlighted_lines() == ["b1.g = l1.g.sum(0)"]
    assert MARKER in listing(panel)
    shown = explanation(panel).text()
    assert "b1.g[0] = Σ_b l1.g[b,0] = (" in shown
    assert f"= {fmt(session.sheet.p.grads['b1'][0])}" in shown
    assert "sum(0)" in shown  # the note says why
    assert HINT not in shown


def test_input_cell_highlights_the_transpose(qtbot):
    session, panel = make_panel(qtbot)
    session.inspect("x", (1, 2))
    panel.refresh()
    assert panel.highlighted_lines() == ["x.g = l1.g @ w1.t()"]
    assert "Σ_j l1.g[1,j]·w1[2,j]" in explanation(panel).text()


def test_output_gradient_shows_the_loss_line_and_its_divisor(qtbot):
    session, panel = make_panel(qtbot)
    session.explain("out", (0, 0))
    assert panel.highlighted_lines() == ["out.g = 2. * (out - y) / out.numel()"]
    shown = explanation(panel).text()
    assert "out.g[0,0] = 2·(out[0,0] − y[0,0]) / 4" in shown
    assert "averaged" in shown


def test_relu_gradient_says_the_unit_is_off(qtbot):
    session, panel = make_panel(qtbot)
    session.inspect("w1", (0, 0))
    session.explain("l1.g", (0, 2))  # overrides the inspected cell
    assert panel.highlighted_lines() == ["l1.g = (l1 > 0).float() * l2.g"]
    assert "unit is off" in explanation(panel).text()
    session.explain(None)
    assert panel.highlighted_lines() == ["w1.g = (x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)"]


def test_moving_the_inspected_cell_clears_the_clicked_gradient(qtbot):
    session, panel = make_panel(qtbot)
    session.explain("out", (1, 0))
    session.inspect("b2", (0,))
    assert panel.highlighted_lines() == ["b2.g = out.g.sum(0)"]
    assert explanation(panel).text().startswith("<p>b2.g[0] =")


def test_a_gradient_cell_outside_the_network_is_refused_and_changes_nothing(qtbot):
    session, panel = make_panel(qtbot)
    session.explain("out", (0, 0))
    before = panel.html()
    with pytest.raises(ValueError, match="outside l1.g"):
        session.explain("l1", (9, 0))
    with pytest.raises(ValueError, match="no gradient named y.g"):
        session.explain("y", (0, 0))
    assert panel.html() == before


def test_numbers_follow_an_edit_after_refresh(qtbot):
    session, panel = make_panel(qtbot)
    session.inspect("b1", (0,))
    panel.refresh()
    before = explanation(panel).text()
    session.sheet.set_cell("x", (0, 0), 2.5)
    panel.refresh()
    after = explanation(panel).text()
    assert after != before
    assert f"= {fmt(session.sheet.p.grads['b1'][0])}" in after


def test_mazur_sigmoid_network(qtbot):
    session, panel = make_panel(qtbot, "mazur")
    assert "# half_sse_grad(out, y)" in listing(panel)
    session.inspect("w1", (0, 0))
    panel.refresh()
    assert panel.highlighted_lines() == ["w1.g = (x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)"]
    assert np.isclose(session.sheet.p.grads["w1"][0, 0], 0.000438568)
    assert explanation(panel).text().endswith(f"= {fmt(0.000438568)}</p><p><i>{session.derived.explanation.note}</i></p>")
    session.explain("l1", (0, 0))
    assert panel.highlighted_lines() == ["l1.g = l2 * (1 - l2) * l2.g"]
    assert "σ(1 − σ)" in explanation(panel).text()


def test_html_is_escaped_and_code_reads_literally(qtbot):
    net = gradlab.preset("lesson")
    net.title = "<b>not markup</b>"
    session = Session(Sheet(net))
    panel = FormulaPanel(session)
    qtbot.addWidget(panel)
    session.explain("l1", (0, 2))
    assert "<b>not markup</b>" not in panel.html()
    assert "(l1 &gt; 0).float()" in panel.html()
    assert "(l1 > 0).float() * l2.g" in listing(panel)
    assert "l1[0,2] &gt; 0" in explanation(panel).text()


def test_highlight_step_lights_every_line_of_that_step(qtbot):
    session, panel = make_panel(qtbot)
    session.inspect("b1", (0,))
    panel.refresh()
    third = backward_steps(session.sheet.net)[2]
    session.set_step(3)  # the stepper has run three calls: the third is marked
    assert panel.highlighted_lines() == list(third.code)
    assert "# reads l1, l2, l2.g · writes l1.g" in listing(panel)
    session.set_step(2)
    assert panel.highlighted_lines() == list(backward_steps(session.sheet.net)[1].code)
    session.set_step(None)
    assert panel.highlighted_lines() == ["b1.g = l1.g.sum(0)"]
    with pytest.raises(ValueError, match="no step 9"):  # 4 calls of the backward pass, then 4 updates
        session.set_step(9)


def test_font_scale_scales_the_code_and_the_explanation(qtbot):
    _, panel = make_panel(qtbot)
    code = panel.findChild(QTextBrowser, "backward-code")
    size, text_size = code.font().pointSizeF(), explanation(panel).font().pointSizeF()
    panel.set_font_scale(2.0)
    assert code.font().pointSizeF() == pytest.approx(2 * size)
    assert explanation(panel).font().pointSizeF() == pytest.approx(2 * text_size)
    with pytest.raises(ValueError, match="positive"):
        panel.set_font_scale(0)
