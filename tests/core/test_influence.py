"""Which cells one cell moves, and which it reaches but cannot move."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradlab.layers as layers
from gradlab import forward, influence, preset, run
from gradlab.influence import CANCEL, FLOWS, UPSTREAM, ZERO_WEIGHT, _linear_stops


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


from gradlab.influence import blocked_reason  # noqa: E402


def _blocked(found):
    return {(t, tuple(int(i) for i in idx)): blocked_reason(inf, tuple(idx))
            for t, inf in found.items() for idx in np.argwhere(inf.blocked)}


def test_moved_kink_and_blocked_split_what_is_reached():
    for name in ("lesson", "classifier", "mazur"):
        net = preset(name)
        for tensor, index in (("x", (0, 1)), ("w1", (1, 0)), ("b1", (1,))):
            for inf in influence(net, tensor, index).values():
                parts = inf.moved.astype(int) + inf.at_kink + inf.blocked
                np.testing.assert_array_equal(parts, inf.reached.astype(int))


def test_a_blocked_cell_says_which_relu_is_off_and_by_how_much():
    net = preset("lesson")
    reasons = _blocked(influence(net, "x", (1, 0)))
    assert reasons[("l2", (1, 0))] == "blocked at l2[1,0]: relu input −0.3 < 0, so the unit is off and passes no change"
    assert reasons[("l2", (1, 2))].startswith("blocked at l2[1,2]: relu input −0.99 < 0")
    assert all(r.startswith("blocked at l2[1,") for r in reasons.values())  # out[1,0] moves through unit 3


def test_a_cell_behind_off_relus_is_traced_back_to_one_of_them():
    net = preset("lesson")
    net.layers[0].b[:] = -10.0
    reasons = _blocked(influence(net, "x", (2, 1)))
    assert reasons[("out", (2, 0))].startswith("blocked at l2[2,0]: relu input ")


def test_blocked_by_a_saturated_sigmoid_says_so():
    """Mazur's network with its hidden sigmoids driven to 1: σ′ = σ(1 − σ) is exactly 0 in float64."""
    net = preset("mazur")
    net.layers[0].b[:] = 40.0
    p = run(net)
    assert (p.values["l2"] == 1.0).all()
    reasons = _blocked(influence(net, "x", (0, 0), p))
    assert reasons[("l2", (0, 0))] == "blocked at l2[0,0]: sigmoid saturated at input 40.03, σ′ = σ(1 − σ) = 0"
    assert reasons[("out", (0, 1))].startswith("blocked at l2[0,0]: sigmoid saturated")
    assert not any("relu" in r for r in reasons.values())


def test_blocked_by_a_saturated_tanh_says_so():
    net = preset("mazur")
    net.layers[1] = layers.Tanh()
    net.layers[0].b[:] = -30.0
    reasons = _blocked(influence(net, "w1", (1, 0)))
    assert reasons[("l2", (0, 0))].startswith("blocked at l2[0,0]: tanh saturated at input −29.97, 1 − tanh² = 0")


def test_zero_weights_and_zero_inputs_block_too():
    net = preset("lesson")
    net.layers[0].w[1, 3] = 0.0
    assert _blocked(influence(net, "x", (1, 1)))[("l1", (1, 3))] == \
        "blocked at l1[1,3]: w1[1,3] is 0, so what moves in x[1,1] does not pass"
    net = preset("lesson")
    net.x[2, 0] = 0.0
    reasons = _blocked(influence(net, "w1", (0, 3)))
    assert reasons[("l1", (2, 3))] == "blocked at l1[2,3]: x[2,0] is 0, so w1[0,3] scales nothing here"
    assert reasons[("out", (2, 0))] == reasons[("l1", (2, 3))]  # and everything downstream of it


def test_a_relu_input_exactly_at_0_is_a_kink_not_blocked():
    """+ε moves relu(0) although its derivative there is 0: the cell and what it feeds sit at a kink."""
    net = preset("lesson")
    net.layers[0].b[1] -= run(net).values["l1"][1, 1]  # l1[1,1] is now exactly 0
    p = run(net)
    assert p.values["l1"][1, 1] == 0
    found = influence(net, "x", (1, 0), p)
    assert found["l2"].at_kink[1, 1] and not found["l2"].blocked[1, 1]
    assert blocked_reason(found["l2"], (1, 1)) is None
    nudged = net.copy()
    nudged.x[1, 0] += 1e-6 * np.sign(net.layers[0].w[0, 1])
    assert forward(nudged).values["l2"][1, 1] > 0  # the nudge does move it


def test_with_eps_a_relu_within_reach_is_a_kink():
    net = preset("lesson")
    net.layers[0].b[1] -= run(net).values["l1"][1, 1] + 1e-7  # l1[1,1] = −1e-7: off, but ε = 1e-6 reaches 0
    p = run(net)
    assert influence(net, "x", (1, 0), p)["l2"].blocked[1, 1]
    within = influence(net, "x", (1, 0), p, eps=1e-6)
    assert within["l2"].at_kink[1, 1] and not within["l2"].blocked[1, 1]
    assert influence(net, "x", (1, 0), p, eps=1e-9)["l2"].blocked[1, 1]


def test_cells_that_are_not_blocked_have_no_reason():
    found = influence(preset("lesson"), "x", (1, 0))
    assert blocked_reason(found["l1"], (1, 0)) is None  # moved
    assert blocked_reason(found["l1"], (0, 0)) is None  # not reached


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_linear_stops_match_their_definition_cell_by_cell(batch, n_in, n_out, seed):
    """``_linear_stops`` against the rule written out one output at a time, on tangents, reach and weights with
    many exact zeros (where every reason arises)."""
    rng = np.random.default_rng(seed)
    tangent = rng.choice([0.0, 0.0, 1.0, -1.0, 0.5], size=(batch, n_in))
    reached = (tangent != 0) | rng.choice([False, True], size=(batch, n_in))
    w = rng.choice([0.0, 0.0, 1.0, -1.0, 2.0], size=(n_in, n_out))
    new = tangent @ w
    stop, via = _linear_stops(tangent, reached, w, new)
    for b in range(batch):
        moving = np.flatnonzero(tangent[b])
        for j in range(n_out):
            carried = [i for i in moving if w[i, j] != 0]
            weighed = [i for i in range(n_in) if reached[b, i] and w[i, j] != 0]
            if new[b, j] != 0:
                want = FLOWS
            elif carried:
                want = CANCEL
            elif len(moving):
                want = ZERO_WEIGHT
            elif weighed:
                want = UPSTREAM
            else:
                want = ZERO_WEIGHT
            assert stop[b, j] == want
            assert via[b, j] == (weighed[0] if want == UPSTREAM else (moving[0] if len(moving) else 0))
