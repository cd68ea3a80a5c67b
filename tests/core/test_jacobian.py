"""Watch any cell: one-hot backward rows against finite differences, forward mode and torch; probes of
activations; the Jacobian of one layer with numbers; the round-off sentence."""

import numpy as np
import pytest

from gradlab import forward, influence, nudge, preset, random_network, run
from gradlab.finite_diff import nudged_values
from gradlab.jacobian import jacobian
from gradlab.layers import ACTIVATIONS, Linear, ReLU
from gradlab.local_jacobian import layer_jacobian
from gradlab.losses import LOSSES
from gradlab.network import Network
from gradlab.text import fmt
from gradlab.watch import (
    LOSS,
    Watched,
    WatchError,
    backprop,
    nudge_watched,
    parse_cell,
    sweep_watched,
    upstream,
    value,
    watched,
    watched_curve,
)

DTYPES = ("float64", "float32")


def network(kind: str, loss: str, dtype: str, seed: int = 0, sizes=(3, 4, 3, 2)) -> Network:
    """A random network whose biases are not 0, so that no ReLU input sits exactly on its kink."""
    net = random_network(list(sizes), batch=3, activation=kind, loss=loss, dtype="float64", seed=seed)
    rng = np.random.default_rng(seed + 100)
    for layer in net.linear_layers():
        layer.b = rng.normal(size=layer.b.shape)
    return net.astype(dtype)


def watched_cells(net: Network) -> list[str]:
    """Every value that can be watched: the loss, each row's share, every cell of every computed tensor."""
    p = forward(net)
    cells = ["loss", *(f"loss[{b}]" for b in range(net.batch))]
    return cells + [f"{a}[{b},{j}]" for a in net.activations() for b, j in np.ndindex(p.values[a].shape)]


def full_pass(net: Network, name: str, index: tuple[int, ...], eps: float):
    """The values and row losses of a whole forward pass with ``name[index]`` moved by ``eps``; a computed
    cell is moved as the pass reaches it, and the pass carries on from there."""
    nudged = net.copy()
    if name in nudged.inputs():
        nudged.tensor(name)[index] += np.asarray(eps, net.dtype)
    values = dict(nudged.inputs())
    for layer, names in nudged.named_layers():
        values[names.out] = layer.forward(values[names.inp])
        if names.out == name:
            values[name][index] += np.asarray(eps, net.dtype)
    return values, net.loss_kind.rows(values["out"], net.y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_every_watched_cell_has_an_analytic_row_equal_to_the_numeric_one(kind, loss, dtype):
    net = network(kind, loss, dtype)
    p = run(net)
    checked = 0
    for of in watched_cells(net):
        for wrt in upstream(net, watched(net, of)):
            j = jacobian(net, of, wrt, p=p)
            assert j.analytic.shape == net.tensor(wrt).shape if wrt in net.inputs() else p.values[wrt].shape
            assert not j.kink.any(), (of, wrt)
            # float32 cannot resolve every cell at ε = 1e-3: some are "can't be judged", none may disagree
            assert not j.disagrees.any(), f"∂{of}/∂{wrt}: {j.analytic} vs {j.numeric}"
            assert j.agree or (dtype == "float32" and j.unresolved.any()), f"∂{of}/∂{wrt}: {j.analytic} vs {j.numeric}"
            checked += j.analytic.size
    assert checked > 1000


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_the_one_hot_backward_pass_is_the_transpose_of_forward_mode(kind):
    """Reverse mode (a one-hot .g, backward) against forward mode (influence's tangents): ∂l[b,j]/∂θ both ways."""
    net = network(kind, "mse", "float64", seed=3)
    p = run(net)
    for name, tensor in net.inputs().items():
        for cell in np.ndindex(tensor.shape):
            tangents = influence(net, name, cell, p)
            for a, found in tangents.items():
                for b, j in np.ndindex(found.tangent.shape):
                    row = backprop(net, Watched(a, (b, j)), p)
                    assert row[name][cell] == pytest.approx(found.tangent[b, j], rel=1e-12, abs=1e-14), (a, b, j, name, cell)


def test_the_loss_row_is_the_backward_pass_and_the_rows_add_up_to_it():
    net = network("tanh", "cross_entropy", "float64")
    p = run(net)
    whole = backprop(net, LOSS, p)
    shares = [backprop(net, Watched("loss", (b,)), p) for b in range(net.batch)]
    for name in [*net.inputs(), *net.activations()]:
        np.testing.assert_array_equal(whole[name], p.grads[name])
        np.testing.assert_allclose(sum(s[name] for s in shares), p.grads[name], rtol=1e-12, atol=1e-15)
    assert sum(value(net, p, Watched("loss", (b,))) for b in range(net.batch)) == pytest.approx(float(p.loss), rel=1e-14)


def torch_jacobian(net: Network, of: Watched, wrt: str) -> np.ndarray:
    """∂of/∂wrt by torch.autograd.functional.jacobian over the network written out in torch."""
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    dtype = getattr(torch, net.dtype.name)
    tensors = {name: torch.tensor(a, dtype=dtype) for name, a in net.inputs().items()}
    y = torch.tensor(net.y) if net.loss == "cross_entropy" else torch.tensor(net.y, dtype=dtype)
    n_out = net.widths()[-1]
    n = 1 if net.reduction == "sum" else net.batch * n_out if net.loss == "mse" else net.batch

    def f(t):
        vals = {**tensors, wrt: t} if wrt in tensors else tensors
        h = vals["x"]
        for layer, names in net.named_layers():
            if isinstance(layer, Linear):
                h = h @ vals[names.w] + vals[names.b]
            elif layer.kind == "relu":
                h = torch.relu(h)
            elif layer.kind == "leaky_relu":
                h = functional.leaky_relu(h, layer.slope)
            elif layer.kind == "sigmoid":
                h = torch.sigmoid(h)
            else:
                h = torch.tanh(h)
            if names.out == wrt:
                h = t
            if names.out == of.tensor:
                return h[of.index]
        if net.loss == "mse":
            rows = ((h - y) ** 2).sum(-1)
        elif net.loss == "half_sse":
            rows = 0.5 * ((y - h) ** 2).sum(-1)
        else:
            rows = -torch.log_softmax(h, -1)[torch.arange(net.batch), y]
        return rows.sum() / n if not of.index else rows[of.index[0]] / n

    start = tensors[wrt] if wrt in tensors else torch.tensor(forward(net).values[wrt], dtype=dtype)
    return np.asarray(torch.autograd.functional.jacobian(f, start))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_every_watched_cell_matches_torch_autograd(kind, loss, dtype):
    pytest.importorskip("torch")
    net = network(kind, loss, dtype, seed=5)
    p = run(net)
    tol = {"float64": 1e-10, "float32": 1e-4}[dtype]
    for of in watched_cells(net):
        for wrt in upstream(net, watched(net, of)):
            ours = jacobian(net, of, wrt, p=p).analytic
            theirs = torch_jacobian(net, watched(net, of), wrt)
            np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, err_msg=f"∂{of}/∂{wrt}")


def test_a_linear_output_cell_of_the_lesson():
    """∂l1[0,2]/∂b1 is the one-hot row, ∂l1[0,2]/∂x[0,:] is w1[:,2], ∂l1[0,2]/∂w1 is x[0,:] in column 2."""
    net = preset("lesson")
    w1, x = net.tensor("w1"), net.tensor("x")
    by_b = jacobian(net, "l1[0,2]", "b1")
    np.testing.assert_array_equal(by_b.analytic, [0, 0, 1, 0])
    by_x = jacobian(net, "l1[0,2]", "x")
    np.testing.assert_array_equal(by_x.analytic[0], w1[:, 2])
    np.testing.assert_array_equal(by_x.analytic[1:], 0)
    by_w = jacobian(net, "l1[0,2]", "w1")
    np.testing.assert_array_equal(by_w.analytic[:, 2], x[0])
    np.testing.assert_array_equal(np.delete(by_w.analytic, 2, axis=1), 0)
    for j in (by_b, by_x, by_w):
        assert j.agree and not j.kink.any()
        np.testing.assert_allclose(j.numeric, j.analytic, atol=1e-9)

    local = layer_jacobian(net, "l1[0,2]")
    assert local.formula == "l1 = x @ w1 + b1"
    np.testing.assert_array_equal(local.grid("bias").values, by_b.analytic)
    np.testing.assert_array_equal(local.grid("identity").values, np.eye(4))
    np.testing.assert_array_equal(local.grid("identity").values[:, 2], [0, 0, 1, 0])  # the identity column
    np.testing.assert_array_equal(local.grid("input").values, by_x.analytic)
    np.testing.assert_array_equal(local.grid("weight").values, by_w.analytic)
    assert "row 2 of w1.t()" in local.grid("input").text
    np.testing.assert_array_equal(local.grid("weight").mark[:, 2], True)


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_each_layers_grids_are_its_own_slice_of_the_one_hot_row(kind):
    """For every output cell of every layer: the local grids equal the one-hot backward row on that layer's own inputs."""
    net = network(kind, "half_sse", "float64", seed=7)
    p = run(net)
    for layer, names in net.named_layers():
        for cell in np.ndindex(p.values[names.out].shape):
            row = backprop(net, Watched(names.out, cell), p)
            local = layer_jacobian(net, Watched(names.out, cell), p)
            if isinstance(layer, Linear):
                np.testing.assert_array_equal(local.grid("input").values, row[names.inp])
                np.testing.assert_array_equal(local.grid("weight").values, row[str(names.w)])
                np.testing.assert_array_equal(local.grid("bias").values, row[str(names.b)])
            else:
                np.testing.assert_array_equal(local.grid("slope").values, row[names.inp])
                np.testing.assert_array_equal(local.grid("slopes").values[cell], row[names.inp][cell])


def test_the_chain_rule_line_puts_the_users_numbers_in():
    net = preset("lesson")
    p = run(net)
    line = layer_jacobian(net, "l1[1,3]", p).grid("bias").chain
    g = p.grads["l1"][:, 3]
    assert line.startswith("dL/db1[3] = Σ_b dL/dl1[b,3] · 1 = ")
    assert line.endswith(f"= {float(p.grads['b1'][3]):.4g}".replace("-", "−"))
    assert line.count(" + ") == len(g) - 1
    assert p.grads["b1"][3] == pytest.approx(g.sum())


def test_relu_slopes_mark_the_kink():
    net = preset("lesson")
    net.layers[0].b[1] = -(net.x[0] @ net.layers[0].w[:, 1])  # l1[0,1] is exactly 0: on the kink
    local = layer_jacobian(net, "l2[0,1]")
    slopes = local.grid("slopes")
    z = run(net).values["l1"]
    assert z[0, 1] == 0
    np.testing.assert_array_equal(slopes.values, (z > 0).astype(float))
    np.testing.assert_array_equal(slopes.kink, z == 0)
    assert "kink" in slopes.text and "1 where l1 > 0, 0 where the unit is off" in slopes.text
    assert local.grid("slope").kink[0, 1]


def test_nudging_an_activation_measures_its_g():
    for kind in ACTIVATIONS:
        for loss in LOSSES:
            net = network(kind, loss, "float64", seed=11)
            p = run(net)
            for name in net.activations():
                for cell in np.ndindex(p.values[name].shape):
                    n = nudge(net, name, cell, 1e-6, p)
                    assert n.analytic == p.grads[name][cell]
                    assert n.central == pytest.approx(p.grads[name][cell], rel=1e-5, abs=1e-8), (kind, loss, name, cell)
                j = jacobian(net, "loss", name, p=p)
                assert j.agree and not j.kink.any()


def test_a_probe_of_an_activation_is_a_whole_forward_pass_carried_on_from_the_nudged_value():
    net = network("sigmoid", "cross_entropy", "float64", seed=2)
    before = [a.copy() for a in (net.x, *net.parameters().values())]
    p = run(net)
    for name in [*net.inputs(), *net.activations()]:
        for cell in np.ndindex(p.values[name].shape):
            values, rows = full_pass(net, name, cell, 0.3)
            for of in watched_cells(net)[1:]:
                w = watched(net, of)
                if name not in upstream(net, w):
                    continue
                moved, _, _ = nudged_values(net, p, name, np.array([cell]), np.array([0.3]), w.tensor, w.index)
                expected = rows[w.index[0]] / (net.batch if w.tensor == "loss" else 1) if w.tensor == "loss" \
                    else values[w.tensor][w.index]
                assert moved[0] == pytest.approx(expected, rel=1e-12, abs=1e-14), (name, cell, of)
    for a, b in zip(before, (net.x, *net.parameters().values())):
        np.testing.assert_array_equal(a, b)  # a probe edits nothing


def test_one_nudge_against_one_watched_cell():
    net = preset("lesson")
    n = nudge_watched(net, "x", (1, 2), "out[1,0]", 1e-6)
    assert (n.tensor, n.index, n.of, n.dtype) == ("x", (1, 2), "out[1,0]", "float64")
    assert n.watched == pytest.approx(float(run(net).values["out"][1, 0]))
    assert n.analytic == pytest.approx(float(backprop(net, Watched("out", (1, 0)))["x"][1, 2]))
    assert n.central == pytest.approx(n.analytic, rel=1e-8)
    assert n.forward == pytest.approx(n.analytic, rel=1e-5) and n.backward == pytest.approx(n.analytic, rel=1e-5)
    assert n.delta == n.watched_plus - n.watched and not n.kink and n.roundoff is None
    assert nudge_watched(net, "w1", (0, 3), "loss", 1e-6).analytic == run(net).grads["w1"][0, 3]


def test_the_sheets_zero_is_explained():
    net = preset("lesson")
    lost = nudge_watched(net, "x", (0, 0), "out[0,0]", 1e-16)  # out[0,0] should move by 0.32 · 1.1e-16
    assert lost.step_plus != 0 and lost.analytic != 0 and lost.delta in (0, np.spacing(lost.watched))
    assert lost.roundoff is not None
    assert lost.roundoff.startswith("Δ out[0,0] is 3.6e-17, below float64's resolution at 0.436 (5.6e-17)")
    assert lost.roundoff.endswith(f"recorded as {fmt(lost.delta)}: the step was lost in round-off — try a larger ε")
    zero = nudge_watched(net, "x", (1, 2), "out[1,0]", 1e-16)
    assert zero.delta == 0 and zero.central == 0 and zero.analytic == pytest.approx(-0.12)
    assert "so it was recorded as 0: the step was lost in round-off" in (zero.roundoff or "")
    assert nudge_watched(net, "x", (0, 0), "out[0,0]", 1e-3).roundoff is None
    vanished = nudge_watched(net, "x", (0, 0), "out[0,0]", 1e-30)
    assert vanished.step_plus == 0 and "the cell did not move" in (vanished.roundoff or "")
    in_float32 = nudge_watched(net.astype("float32"), "w1", (1, 0), "l1[2,0]", 1e-9)
    assert "below float32's resolution" in (in_float32.roundoff or "")
    j = jacobian(net, "out[0,0]", "w1", eps=1e-16)
    assert j.lost.any() and "lost in round-off" in (j.roundoff or "")
    assert jacobian(net, "out[0,0]", "w1").roundoff is None


def test_charts_follow_the_watched_cell():
    net = preset("classifier")
    p = run(net)
    s = sweep_watched(net, "w1", (1, 2), "l2[3,2]", np.array([1e-4, 1e-6]), p)
    assert s.analytic == pytest.approx(float(backprop(net, Watched("l2", (3, 2)), p)["w1"][1, 2]))
    np.testing.assert_allclose(s.central, s.analytic, rtol=1e-6)
    values = p.values["w1"][1, 2] + np.array([-0.5, 0.0, 0.5])
    curve = watched_curve(net, "w1", (1, 2), values, "l2[3,2]", p)
    assert curve[1] == p.values["l2"][3, 2]
    for v, c in zip(values, curve):
        moved = net.copy()
        moved.tensor("w1")[1, 2] = v
        assert c == pytest.approx(float(forward(moved).values["l2"][3, 2]), abs=1e-15)


def test_cells_and_names_are_read_and_refused_in_one_sentence():
    net = preset("lesson")
    assert parse_cell(" l1 [0, 2] ") == ("l1", (0, 2)) and parse_cell("loss") == ("loss", ())
    assert str(watched(net, "loss[3]")) == "loss[3]" and watched(net, "loss") == LOSS
    assert upstream(net, watched(net, "l2[0,0]")) == ["x", "w1", "b1", "l1", "l2"]
    refused = {
        "l1[0,": "does not name a cell",
        "x[0,0]": "x is an input, not a computed value",
        "l9[0,0]": "l9 is not a tensor of this network",
        "l1[4,0]": "l1[4,0] is outside l1, which is 4×4",
        "l1[-1,0]": "outside l1",
        "out[0]": "out is 4×1, so a cell of it has 2 indices",
        "loss[4]": "loss[4] is not a row of the loss",
    }
    for cell, message in refused.items():
        with pytest.raises(WatchError, match=message.replace("[", r"\[").replace("]", r"\]")):
            watched(net, cell)
    with pytest.raises(WatchError, match="w2 is downstream of l1"):
        jacobian(net, "l1[0,2]", "w2")
    with pytest.raises(WatchError, match="l2 is downstream of l1"):
        nudge_watched(net, "l2", (0, 0), "l1[0,2]", 1e-6)
    with pytest.raises(WatchError, match="no tensor named 'w9'"):
        jacobian(net, "loss", "w9")
    with pytest.raises(WatchError, match="outside w1"):
        nudge_watched(net, "w1", (3, 0), "loss", 1e-6)
    with pytest.raises(WatchError, match="above 0"):
        jacobian(net, "loss", "x", eps=0.0)
    with pytest.raises(WatchError, match="not a layer's output"):
        layer_jacobian(net, "loss[0]")
    for message in refused.values():
        assert "\n" not in message


def test_a_watched_cell_of_the_tensor_nudged_moves_itself_alone():
    net = Network(np.array([[1.0, -2.0]]), np.array([[0.5]]), [Linear(np.array([[0.3], [0.4]]), np.array([0.1])), ReLU()])
    j = jacobian(net, "out[0,0]", "out")
    np.testing.assert_array_equal(j.analytic, [[1.0]])
    np.testing.assert_allclose(j.numeric, [[1.0]])
    on = jacobian(net, "out[0,0]", "l1")
    assert on.analytic[0, 0] == 0 and on.numeric[0, 0] == 0  # l1[0,0] = −0.4: the ReLU is off
