"""Which cells one cell moves, and which it reaches but cannot move."""

import numpy as np
import pytest

from gradlab import forward, influence, preset, run


def test_x_cell_in_the_lesson_net_moves_its_row_and_stops_at_dead_relus():
    net = preset("lesson")
    p = run(net)
    b = 1  # in row 1 only hidden unit 3 is on
    found = influence(net, "x", (b, 0), p)
    assert list(found) == ["l1", "l2", "out"]
    l1, l2, out = found["l1"], found["l2"], found["out"]
    expected_l1 = np.zeros_like(l1.moved)
    expected_l1[b] = True
    np.testing.assert_array_equal(l1.moved, expected_l1)  # every cell of row b: x[b,0] feeds each through w1[0,j]
    on = p.values["l1"][b] > 0
    np.testing.assert_array_equal(l2.moved[b], on)
    np.testing.assert_array_equal(l2.blocked[b], ~on)
    assert not l2.moved[np.arange(4) != b].any() and not l2.blocked[np.arange(4) != b].any()
    assert out.moved[b, 0] and out.moved.sum() == 1


def test_a_row_with_every_relu_off_reaches_out_but_cannot_move_it():
    net = preset("lesson")
    net.layers[0].b[:] = -10.0  # every hidden unit off for every row
    found = influence(net, "x", (2, 1))
    assert found["l1"].moved[2].all()
    assert found["l2"].blocked[2].all() and not found["l2"].moved.any()
    assert found["out"].blocked[2, 0] and not found["out"].moved.any()


def test_a_weight_moves_its_column_then_what_that_column_feeds():
    net = preset("lesson")
    p = run(net)
    found = influence(net, "w1", (0, 3), p)
    assert "l1" in found and found["l1"].moved[:, [0, 1, 2]].sum() == 0
    rows_on = p.values["l1"][:, 3] > 0
    np.testing.assert_array_equal(found["l2"].moved[:, 3], rows_on & (net.x[:, 0] != 0))
    np.testing.assert_array_equal(found["out"].moved[:, 0], rows_on)
    np.testing.assert_array_equal(found["out"].blocked[:, 0], ~rows_on)


def test_second_layer_parameters_start_at_their_own_layer():
    net = preset("mazur")
    found = influence(net, "b2", (1,))
    assert list(found) == ["l3", "out"]
    np.testing.assert_array_equal(found["out"].moved, [[False, True]])


def test_moved_cells_are_exactly_those_a_nudge_changes():
    """The Jacobian's pattern against brute force: nudge, run forward, see what changed."""
    for name in ("lesson", "classifier", "mazur"):
        net = preset(name)
        p = forward(net)
        for tensor, index in (("x", (0, 1)), ("w1", (1, 0)), ("b1", (1,))):
            found = influence(net, tensor, index, p)
            nudged = net.copy()
            nudged.tensor(tensor)[index] += 1e-4
            q = forward(nudged)
            for t, inf in found.items():
                np.testing.assert_array_equal(inf.moved, q.values[t] != p.values[t], err_msg=f"{name} {tensor} {t}")


def test_a_cell_outside_the_tensor_is_an_error():
    with pytest.raises(IndexError):
        influence(preset("lesson"), "x", (9, 0))
