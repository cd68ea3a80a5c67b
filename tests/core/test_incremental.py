"""An edit brings the pass up to date without running it again: bit for bit what a full run gives."""

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gradlab import preset, random_network, run
from gradlab.errors import EditError
from gradlab.finite_diff import nudge
from gradlab.overflow import write_finite
from gradlab.sheet import Sheet

LARGE = [1e20, -1e20, 1e30, -3e37, 1e160, -1e200, 1e300]  # enough to overflow a value, the loss or a gradient


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_pass(p, q):
    assert p.values.keys() == q.values.keys() and p.grads.keys() == q.grads.keys()
    for name in q.values:
        assert same(p.values[name], q.values[name]), name
    for name in q.grads:
        assert same(p.grads[name], q.grads[name]), f"{name}.g"
    assert same(p.rows, q.rows) and same(p.loss, q.loss)


def draw_edit(data, sheet: Sheet, rng_values) -> tuple[str, tuple[int, ...], np.ndarray]:
    net = sheet.net
    name = data.draw(st.sampled_from([*net.inputs(), "y"]))
    shape = sheet.array(name).shape
    top_left = tuple(data.draw(st.integers(0, n - 1)) for n in shape)
    size = tuple(data.draw(st.integers(1, min(n - t, 3))) for n, t in zip(shape, top_left))
    if name == "y" and net.loss == "cross_entropy":
        classes = sheet.p.values["out"].shape[1]
        block = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=size[0], max_size=size[0])), float)
        return name, top_left, block
    largest = float(np.finfo(net.dtype).max)
    values = st.one_of(st.floats(-4, 4, allow_subnormal=False), st.sampled_from([v for v in LARGE if abs(v) < largest]),
                       st.sampled_from([0.0, -0.0]))
    cells = data.draw(st.lists(values, min_size=int(np.prod(size)), max_size=int(np.prod(size))))
    return name, top_left, np.array(cells, float).reshape(size)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.integers(1, 6),
       st.sampled_from(["relu", "leaky_relu", "sigmoid", "tanh"]), st.sampled_from(["mse", "half_sse", "cross_entropy"]),
       st.sampled_from(["float64", "float32"]), st.integers(0, 10_000), st.data())
def test_every_edit_gives_the_pass_a_full_run_gives(sizes, batch, act, loss, dtype, seed, data):
    if loss == "cross_entropy":
        sizes = [*sizes[:-1], max(sizes[-1], 2)]
    sheet = Sheet(random_network(sizes, batch=batch, activation=act, loss=loss, dtype=dtype, seed=seed))
    for _ in range(data.draw(st.integers(1, 6))):
        name, top_left, block = draw_edit(data, sheet, None)
        oracle = sheet.net.copy()  # the same edit, the old way: written in and run again from scratch
        try:
            expected, refused = write_finite(oracle, name, top_left, block)[1], None
        except EditError as e:
            expected, refused = None, str(e)
        if refused is not None:
            event("an edit refused")
            before = (sheet.p, sheet.columns, {k: v.copy() for k, v in {**sheet.net.inputs(), "y": sheet.net.y}.items()})
            with pytest.raises(EditError) as raised:
                sheet.set_cells(name, top_left, block)
            assert str(raised.value) == refused  # the same first cell named, in the same words
            assert sheet.p is before[0] and sheet.columns is before[1]
            for k, v in {**sheet.net.inputs(), "y": sheet.net.y}.items():
                assert same(v, before[2][k]), k
            assert_same_pass(sheet.p, run(sheet.net))
            continue
        event(f"an edit of {name.rstrip('0123456789')} taken")
        sheet.set_cells(name, top_left, block)
        assert_same_pass(sheet.p, expected)
        assert_same_pass(sheet.p, run(sheet.net))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_wide_layers_and_long_batches_too(name, dtype):
    """Widths and batches past a SIMD register, where a block and the whole array run different loops."""
    rng = np.random.default_rng(3)
    sheet = Sheet(random_network([37, 19, 3], batch=45, activation=name, dtype=dtype, seed=1))
    for tensor, top_left, size in [("x", (17, 5), (3, 30)), ("b1", (4,), (9,)), ("w1", (36, 18), (1, 1)),
                                   ("y", (40, 1), (5, 2)), ("b2", (1,), (1,)), ("w2", (0, 0), (19, 3))]:
        sheet.set_cells(tensor, top_left, rng.standard_normal(size))
        assert_same_pass(sheet.p, run(sheet.net))


def test_a_bias_edit_multiplies_nothing_again():
    """An edit of b1 adds the new bias to the kept x @ w1 and leaves every other column of l1 as it was."""
    sheet = Sheet(random_network([5, 4, 2], batch=6, seed=2))
    sheet.set_cell("w1", (0, 0), 0.5)  # x @ w1 is worked out, and kept
    before, kept = sheet.p, sheet._products["l1"]
    sheet.set_cell("b1", (2,), 0.75)
    assert sheet._products["l1"] is kept  # the product itself, not made again
    assert_same_pass(sheet.p, run(sheet.net))
    moved = np.flatnonzero((sheet.p.values["l1"] != before.values["l1"]).any(0))
    assert moved.tolist() == [2]


def test_an_edit_that_moves_nothing_downstream_keeps_its_arrays():
    """A ReLU that stays off stops the spread: l2 and everything after it keep the very arrays they had."""
    net = preset("lesson")
    sheet = Sheet(net)
    off = int(np.flatnonzero((sheet.p.values["l1"] <= 0).all(0))[0])  # a hidden unit off in every row
    before = sheet.p
    sheet.set_cell("b1", (off,), float(net.layers[0].b[off]) - 0.5)  # further off
    assert sheet.p.values["l1"] is not before.values["l1"]
    for name in ("l2", "out"):
        assert sheet.p.values[name] is before.values[name]
    assert sheet.p.grads["x"] is before.grads["x"]
    assert_same_pass(sheet.p, run(sheet.net))


def test_the_column_cache_outlives_an_edit_of_another_tensor():
    sheet = Sheet(random_network([6, 5, 2], batch=8, seed=4))
    nudge(sheet.net, "w1", (3, 2), 1e-3, sheet.p, sheet.columns)  # reads x[:,3], l1[:,2], l2[:,2]
    read = sheet.columns.kept()
    assert read["x"] == [3] and read["l1"] == [2] and read["l2"] == [2]

    sheet.set_cell("w2", (1, 0), 0.25)  # moves out only: x, l1 and l2 are as they were
    assert sheet.columns.kept() == read
    sheet.set_cell("y", (0, 1), 2.0)  # moves the loss only
    assert sheet.columns.kept() == read

    sheet.set_cell("b1", (4,), 0.1)  # moves l1 and l2 (column 4) and everything after: their columns are read afresh
    assert sheet.columns.kept() == {"x": [3]}
    sheet.set_cell("x", (0, 0), 0.1)  # the edited tensor itself
    assert sheet.columns.kept() == {}


def test_kept_columns_are_the_pass_own():
    """A nudge through the carried cache gives what a nudge with no cache at all gives."""
    sheet = Sheet(random_network([6, 5, 2], batch=8, activation="tanh", seed=5))
    nudge(sheet.net, "w1", (3, 2), 1e-3, sheet.p, sheet.columns)
    for name, index, value in [("w2", (1, 0), 0.25), ("b1", (2,), -0.5), ("y", (3, 0), 1.0)]:
        sheet.set_cell(name, index, value)
        carried = nudge(sheet.net, "w1", (3, 2), 1e-3, sheet.p, sheet.columns)
        fresh = nudge(sheet.net, "w1", (3, 2), 1e-3, run(sheet.net))
        assert (carried.loss_plus, carried.loss_minus, carried.analytic) == (fresh.loss_plus, fresh.loss_minus, fresh.analytic)


def test_a_network_swapped_in_starts_with_nothing_kept():
    sheet = Sheet(preset("lesson"))
    nudge(sheet.net, "w1", (0, 0), 1e-3, sheet.p, sheet.columns)
    sheet.replace(preset("mazur"))
    assert sheet.columns.kept() == {}
    sheet.set_cell("w1", (0, 0), 0.2)
    assert_same_pass(sheet.p, run(sheet.net))


def test_the_sheet_says_what_an_edit_moved():
    """A view can redraw only the blocks that moved: a y edit moves no value, a b1 edit one column of l1."""
    sheet = Sheet(random_network([5, 4, 2], batch=6, seed=2))
    assert sheet.moved is None
    sheet.set_cell("y", (2, 1), 0.5)
    assert set(sheet.moved) == {"y", "out.g", "l2.g", "w2.g", "b2.g", "l1.g", "x.g", "w1.g", "b1.g"}
    assert (sheet.moved["y"].r0, sheet.moved["y"].r1, sheet.moved["out.g"].r0, sheet.moved["out.g"].r1) == (2, 3, 2, 3)
    before = run(sheet.net)
    sheet.set_cell("b1", (3,), 9.0)
    l1 = sheet.moved["l1"]
    assert (l1.c0, l1.c1) == (3, 4)
    for name in ("l1", "l2", "out"):
        unmoved = np.ones(before.values[name].shape, bool)
        if name in sheet.moved:
            unmoved[sheet.moved[name].index(2)] = False
        assert same(sheet.p.values[name][unmoved], before.values[name][unmoved])
    sheet.replace(preset("lesson"))
    assert sheet.moved is None
