"""The inspector's three nudge charts: data in the curves, readouts, export, fonts, the empty state."""

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QLabel

import gradlab
from gradlab.finite_diff import Sweep
from gradlab.session import Session
from gradlab.sheet import Sheet
from ui.charts import EMPTY_TEXT, PLOT_MIN_WIDTH, PLOT_NAMES, NudgeCharts, loss_half_width

CURVES = ("forward_curve", "central_curve", "forward_error_curve", "central_error_curve",
          "loss_curve", "tangent_curve", "current_marker", "nudged_marker")
LINES = ("analytic_line", "eps_line", "eps_error_line")


def make_charts(qtbot, dtype: str = "float64") -> NudgeCharts:
    session = Session(Sheet(gradlab.preset("lesson").astype(dtype)))
    session.inspect("w1", (0, 3))
    charts = NudgeCharts(session)
    qtbot.addWidget(charts)
    charts.refresh()
    return charts


def data(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """What was given to the curve, before log mapping."""
    x, y = item.getOriginalDataset()
    return np.asarray(x if x is not None else []), np.asarray(y if y is not None else [])


def test_three_named_plots_side_by_side(qtbot):
    charts = make_charts(qtbot)
    for name in PLOT_NAMES:
        plot = charts.findChild(pg.PlotWidget, name)
        assert plot is charts.plots[name] and plot.minimumWidth() == PLOT_MIN_WIDTH == 120
        assert plot.getPlotItem().titleLabel.text and plot.getPlotItem().legend is not None
    assert charts.plots["fd-plot"].getPlotItem().getAxis("bottom").logMode
    error_item = charts.plots["error-plot"].getPlotItem()
    assert error_item.getAxis("bottom").logMode and error_item.getAxis("left").logMode


def test_difference_quotients_come_from_the_sweep(qtbot):
    charts = make_charts(qtbot)
    sw = charts.session.derived.sweep
    for curve, quotient in ((charts.forward_curve, sw.forward), (charts.central_curve, sw.central)):
        finite = np.isfinite(quotient)
        x, y = data(curve)
        np.testing.assert_array_equal(x, sw.eps[finite])
        np.testing.assert_array_equal(y, quotient[finite])
        np.testing.assert_allclose(curve.getData()[0], np.log10(sw.eps[finite]))  # drawn on a log axis
    assert charts.analytic_line.value() == charts.sheet.p.grads["w1"][0, 3]


def test_error_curves_hold_the_error_with_what_a_log_axis_cannot_show_left_out(qtbot):
    charts = make_charts(qtbot)
    analytic = 0.5
    crafted = Sweep(eps=np.array([1e-8, 1e-6, 1e-4, 1e-2]), step_plus=np.array([0.0, 1e-6, 1e-4, 1e-2]),
                    forward=np.array([np.nan, 0.5, 0.25, 0.75]), backward=np.full(4, 0.5),
                    central=np.array([np.nan, 0.625, 0.5, 0.5 + 1e-3]), analytic=analytic)
    charts.session.derived.sweep = crafted  # NaN where the step vanished, 0 where a quotient hits exactly
    charts.refresh()
    np.testing.assert_array_equal(np.column_stack(data(charts.forward_error_curve)), [[1e-4, 0.25], [1e-2, 0.25]])
    x, y = data(charts.central_error_curve)
    np.testing.assert_array_equal(x, [1e-6, 1e-2])
    np.testing.assert_allclose(y, [0.125, 1e-3])


def test_error_curves_of_the_real_sweep(qtbot):
    charts = make_charts(qtbot)
    sw = charts.session.derived.sweep
    for curve, scheme in ((charts.forward_error_curve, "forward"), (charts.central_error_curve, "central")):
        error = sw.error(scheme)
        keep = np.isfinite(error) & (error > 0)
        x, y = data(curve)
        np.testing.assert_array_equal(x, sw.eps[keep])
        np.testing.assert_array_equal(y, error[keep])


def test_the_analytic_legend_entry_shows_and_hides_its_line(qtbot):
    charts = make_charts(qtbot)
    keys = {label.text: sample.item for sample, label in charts.plots["fd-plot"].getPlotItem().legend.items}
    assert set(keys) == {"forward", "central", "analytic"}
    keys["analytic"].setVisible(False)  # what a click on the legend entry does
    assert not charts.analytic_line.isVisible()
    charts.refresh()
    assert not charts.analytic_line.isVisible()
    keys["analytic"].setVisible(True)
    assert charts.analytic_line.isVisible()


def test_epsilon_lines_sit_at_log10_of_epsilon(qtbot):
    charts = make_charts(qtbot)
    charts.set_epsilon(2.5e-4)
    assert charts.eps == 2.5e-4
    assert charts.eps_line.value() == pytest.approx(math.log10(2.5e-4))
    assert charts.eps_error_line.value() == pytest.approx(math.log10(2.5e-4))
    for bad in (0.0, -1e-3, math.nan, math.inf):
        with pytest.raises(ValueError, match="positive finite"):
            charts.set_epsilon(bad)
    assert charts.eps == 2.5e-4


def test_an_edit_then_refresh_redraws_into_the_same_items(qtbot):
    charts = make_charts(qtbot)
    items = {name: getattr(charts, name) for name in CURVES + LINES}
    counts = {name: len(plot.getPlotItem().items) for name, plot in charts.plots.items()}
    before = {name: data(getattr(charts, name))[1].copy() for name in CURVES}
    old_analytic = charts.analytic_line.value()

    charts.sheet.set_cell("x", (1, 0), charts.sheet.net.x[1, 0] + 0.25)  # row 1 reaches w1[:, 3] past the ReLU
    charts.refresh()

    after = {name: data(getattr(charts, name))[1] for name in CURVES}
    for name in ("forward_curve", "central_curve", "loss_curve", "tangent_curve", "current_marker"):
        assert before[name].shape != after[name].shape or not np.array_equal(before[name], after[name]), name
    assert charts.analytic_line.value() == charts.sheet.p.grads["w1"][0, 3] != old_analytic
    charts.clear()
    charts.refresh()
    assert all(getattr(charts, name) is item for name, item in items.items())
    assert {name: len(plot.getPlotItem().items) for name, plot in charts.plots.items()} == counts


def test_loss_curve_passes_through_the_value_with_the_analytic_tangent(qtbot):
    charts = make_charts(qtbot)
    charts.set_epsilon(0.3)  # large enough that the central quotient is far from the analytic slope
    charts.refresh()
    sheet = charts.sheet
    value, loss, grad = sheet.net.tensor("w1")[0, 3], sheet.p.loss, sheet.p.grads["w1"][0, 3]
    x, y = data(charts.loss_curve)
    half = loss_half_width(value, 0.3)
    assert x[0] == pytest.approx(value - half) and x[-1] == pytest.approx(value + half)
    assert np.interp(value, x, y) == pytest.approx(loss, rel=1e-6)
    tx, ty = data(charts.tangent_curve)
    np.testing.assert_allclose(np.diff(ty) / np.diff(tx), grad, rtol=1e-9)
    assert np.interp(value, tx, ty) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(np.column_stack(data(charts.current_marker)), [[value, loss]])
    n = charts.session.derived.nudge(0.3)
    assert abs(n.central - grad) > 1e-3
    np.testing.assert_allclose(np.column_stack(data(charts.nudged_marker)), [[value + n.step_plus, n.loss_plus]])


def test_loss_half_width_keeps_value_plus_epsilon_inside_and_curvature_visible():
    assert loss_half_width(0.3, 1e-6) == pytest.approx(0.05 * 1.3)
    assert loss_half_width(-2.0, 0.5) == pytest.approx(2.0)
    assert loss_half_width(0.0, 1.0) > 1.0


def test_readout_reports_the_nearest_points_numbers(qtbot):
    charts = make_charts(qtbot)
    sw = charts.session.derived.sweep
    i = int(np.argmin(np.abs(np.log10(sw.eps) - math.log10(1.35e-3))))
    text = charts.readout_at("fd-plot", 1.35e-3)  # nearer 1.78e-3 than 1e-3 on the log axis the user sees
    assert text == (f"ε = {sw.eps[i]:.2e}  forward = {sw.forward[i]:.5g}  central = {sw.central[i]:.5g}"
                    f"  analytic = {sw.analytic:.5g}")
    assert text.startswith("ε = 1.78e-03")
    error_text = charts.readout_at("error-plot", 1.35e-3)
    assert f"|forward − analytic| = {sw.error('forward')[i]:.2e}" in error_text
    assert f"|central − analytic| = {sw.error('central')[i]:.2e}" in error_text
    x, y = data(charts.loss_curve)
    _, tangent = data(charts.tangent_curve)
    assert charts.readout_at("loss-plot", x[7] + 1e-9) == f"w1[0,3] = {x[7]:.6g}  L = {y[7]:.6g}  tangent = {tangent[7]:.6g}"
    with pytest.raises(ValueError, match="no chart named"):
        charts.readout_at("pie-chart", 1.0)
    with pytest.raises(ValueError, match="positive"):
        charts.readout_at("fd-plot", 0.0)


def test_readout_shows_a_dash_where_the_float32_step_vanished(qtbot):
    charts = make_charts(qtbot, "float32")
    assert "forward = —" in charts.readout_at("fd-plot", 1e-15)


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note on show(), not ours
def test_mouse_moves_update_the_readout_label(qtbot):
    charts = make_charts(qtbot)
    charts.resize(1000, 400)
    charts.show()
    qtbot.waitExposed(charts)
    for name in PLOT_NAMES:
        view = charts.plots[name].getPlotItem().getViewBox()
        centre = view.sceneBoundingRect().center()
        charts.plots[name].scene().sigMouseMoved.emit(centre)
        x = view.mapSceneToView(centre).x()
        expected = charts.readout_at(name, x if name in ("loss-plot", "secant-plot") else 10.0**x)
        label = charts.findChild(QLabel, f"{name}-readout")
        assert expected and label.text() == expected


def test_export_writes_png_and_svg_and_refuses_other_formats(qtbot, tmp_path):
    charts = make_charts(qtbot)
    charts.export("fd-plot", str(tmp_path / "fd.png"))
    charts.export("error-plot", str(tmp_path / "error.SVG"))
    assert (tmp_path / "fd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "error.SVG").read_bytes()
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        charts.export("loss-plot", str(tmp_path / "loss.bmp"))
    assert not (tmp_path / "loss.bmp").exists()
    for plot in charts.plots.values():
        assert plot.getPlotItem().menuEnabled()
        export_action = plot.scene().contextMenu[0]
        assert export_action.text() == "Export..." and export_action.isEnabled()


def test_float32_sweep_with_vanished_steps_plots_finite_data(qtbot):
    charts = make_charts(qtbot, "float32")  # warnings are errors, Qt warnings fail the test
    sw = charts.session.derived.sweep
    assert np.isnan(sw.forward).any() and (sw.step_plus == 0).any()
    assert len(data(charts.forward_curve)[0]) == np.isfinite(sw.forward).sum() > 0
    for curve in (charts.forward_error_curve, charts.central_error_curve):
        _, y = data(curve)
        assert len(y) > 0 and np.all(np.isfinite(y)) and np.all(y > 0)
    assert np.all(np.isfinite(data(charts.loss_curve)[1]))
    charts.set_epsilon(1e-9)  # below float32's spacing at 0.3: value + ε is stored as the value itself
    charts.refresh()
    assert data(charts.nudged_marker)[0][0] == data(charts.current_marker)[0][0] == charts.sheet.net.tensor("w1")[0, 3]


def test_clear_empties_the_curves_and_shows_the_empty_state(qtbot):
    charts = make_charts(qtbot)
    assert not charts.empty_label.isVisibleTo(charts)
    charts.session.inspect(None)
    charts.refresh()
    for name in CURVES:
        assert len(data(getattr(charts, name))[0]) == 0, name
    assert not charts.analytic_line.isVisible()
    assert charts.empty_label.text() == EMPTY_TEXT == "Select a cell of x, a w or a b to see its nudge charts"
    assert charts.empty_label.isVisibleTo(charts)
    assert not charts.plots["fd-plot"].isVisibleTo(charts)
    assert charts.readout_at("fd-plot", 1e-3) == "" and charts.readout_at("loss-plot", 0.0) == ""
    charts.session.inspect("b1", (2,))
    charts.refresh()
    assert charts.plots["fd-plot"].isVisibleTo(charts) and charts.analytic_line.isVisible()
    assert charts.analytic_line.value() == charts.sheet.p.grads["b1"][2]


def test_a_widget_made_with_nothing_inspected_starts_empty(qtbot):
    charts = NudgeCharts(Session(Sheet(gradlab.preset("lesson"))))
    qtbot.addWidget(charts)
    assert charts.empty_label.isVisibleTo(charts) and len(data(charts.forward_curve)[0]) == 0


def test_font_scale_grows_fonts_and_pens_together(qtbot):
    charts = make_charts(qtbot)
    axis = charts.plots["fd-plot"].getPlotItem().getAxis("left")
    tick_size, pen_width = axis.style["tickFont"].pointSizeF(), charts.forward_curve.opts["pen"].widthF()
    charts.set_font_scale(2.0)
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(2 * tick_size)
    assert charts.forward_curve.opts["pen"].widthF() == pytest.approx(2 * pen_width)
    assert charts.analytic_line.pen.widthF() == pytest.approx(2 * pen_width)
    assert axis.labelStyle["font-size"] == "18pt" and axis.labelText.startswith("ΔL/Δε")
    legend_labels = [label for _, label in charts.plots["error-plot"].getPlotItem().legend.items]
    assert legend_labels and all("font-size:18pt" in label.item.toHtml() for label in legend_labels)
    with pytest.raises(ValueError, match="font scale"):
        charts.set_font_scale(0.0)


def test_the_export_dialog_offers_an_svg_exporter_that_works(qtbot, tmp_path):
    """The context menu's Export… lists pyqtgraph's registry: its broken SVG exporter is replaced by one that works."""
    import pyqtgraph.exporters

    session = Session(Sheet(gradlab.preset("lesson")))
    session.inspect("w1", (0, 3))
    charts = NudgeCharts(session)
    qtbot.addWidget(charts)
    registry = pyqtgraph.exporters.Exporter.Exporters
    assert pyqtgraph.exporters.SVGExporter not in registry
    (svg,) = [e for e in registry if "SVG" in e.Name]
    path = tmp_path / "from-menu.svg"
    svg(charts.plots["error-plot"].getPlotItem()).export(str(path))
    text = path.read_text()
    assert "<svg" in text and "</svg>" in text and len(text) > 1000


def test_each_plot_leaves_room_right_of_it_for_half_its_last_tick_label(qtbot):
    """The last label of the x axis is centred on the axis's end: without room it is cut at the window's edge."""
    from PySide6.QtGui import QFontMetrics

    charts = make_charts(qtbot)
    charts.set_font_scale(2.0)
    for name, plot in charts.plots.items():
        axis = plot.getPlotItem().getAxis("bottom")
        half_label = QFontMetrics(axis.style["tickFont"]).horizontalAdvance("−0.000") / 2
        assert plot.getPlotItem().layout.getContentsMargins()[2] >= half_label, name
