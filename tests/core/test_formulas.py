"""The lesson's backward formulas against finite differences, and against the lesson's own forms."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradlab import Network, check, forward, nudge, run
from gradlab.layers import ACTIVATIONS, Linear, ReLU, activation, lin_grad
from gradlab.losses import LOSSES, REDUCTIONS


def lesson_lin_grad(inp, out_g, w):
    """The lesson's lin_grad, word for word, in numpy (unsqueeze(-1) is [:, :, None])."""
    return out_g @ w.T, (inp[:, :, None] * out_g[:, None, :]).sum(0), out_g.sum(0)


def test_lin_grad_is_the_lessons_three_lines():
    rng = np.random.default_rng(1)
    inp, out_g, w = rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    for ours, lessons in zip(lin_grad(inp, out_g, w), lesson_lin_grad(inp, out_g, w)):
        np.testing.assert_allclose(ours, lessons, rtol=1e-14, atol=1e-15)


def values(shape):
    """Arrays drawn value by value, so a failing network shrinks to small, simple numbers."""
    return arrays(np.float64, shape, elements=st.floats(-2, 2, width=32, allow_subnormal=False))  # exact in float32 too


@st.composite
def networks(draw):
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    loss = draw(st.sampled_from(LOSSES))
    if loss == "cross_entropy":
        widths[-1] = max(widths[-1], 2)
    batch = draw(st.integers(1, 5))
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        layers.append(Linear(draw(values((n_in, n_out))), draw(values((n_out,)))))
        kind = draw(st.sampled_from([*ACTIVATIONS, None]))
        if kind:
            layers.append(activation(kind, slope=draw(st.sampled_from([0.01, 0.2]))))
    if loss == "cross_entropy":
        y = draw(arrays(np.intp, (batch,), elements=st.integers(0, widths[-1] - 1)))
    else:
        y = draw(values((batch, widths[-1])))
    net = Network(draw(values((batch, widths[0]))), y, layers, loss, draw(st.sampled_from(REDUCTIONS)))
    return net.astype(draw(st.sampled_from(["float64", "float32"])))


@settings(max_examples=150, deadline=None)
@given(networks())
def test_every_gradient_agrees_with_central_differences(net):
    net = net.astype("float64")
    result = check(net)
    for t in result.tensors.values():
        assert t.ok, f"{t.name}{list(t.worst)}: analytic {t.analytic[t.worst]} numeric {t.numeric[t.worst]}"


@settings(max_examples=100, deadline=None)
@given(networks())
def test_float32_end_to_end(net):
    """In float32 every array stays float32, the gradients are float64's to float32 precision, and
    finite differences agree to within float32 round-off: about eps32·|L| / ε on the quotient."""
    net32, net64 = net.astype("float32"), net.astype("float64")
    p32, p64 = run(net32), run(net64)
    assert all(a.dtype == np.float32 for a in [*p32.values.values(), *p32.grads.values(), p32.loss.reshape(1)])
    for name, g in p64.grads.items():
        scale = float(np.abs(g).max()) + float(np.abs(p64.values[name]).max()) + 1
        np.testing.assert_allclose(p32.grads[name], g, atol=1e-4 * scale, rtol=1e-3, err_msg=f"{name}.g")
    result = check(net32, atol=1e-3 + 1e-2 * float(abs(p32.loss)))
    for t in result.tensors.values():
        assert t.ok, f"{t.name}{list(t.worst)}: analytic {t.analytic[t.worst]} numeric {t.numeric[t.worst]}"


@settings(max_examples=60, deadline=None)
@given(networks(), st.data())
def test_a_nudge_costs_what_a_whole_forward_pass_says(net, data):
    """The patch machinery's L(θ+ε) is the loss of a full forward pass on the nudged network."""
    p = run(net)
    name = data.draw(st.sampled_from(list(net.inputs())))
    index = tuple(data.draw(st.integers(0, n - 1)) for n in net.tensor(name).shape)
    eps = data.draw(st.sampled_from([1e-3, -0.5, 2.0]))
    result = nudge(net, name, index, eps, p)
    nudged = net.copy()
    nudged.tensor(name)[index] += np.asarray(eps, net.dtype)
    full = forward(nudged)
    # The two differ only by round-off, which grows with the size of the numbers the layers carry.
    size = max(1.0, *(float(np.abs(v).max()) for v in full.values.values()))
    assert abs(result.loss_plus - float(full.loss)) <= 64 * np.finfo(net.dtype).eps * max(1.0, abs(full.loss)) * size**2


def test_the_lessons_network_by_hand():
    """lin → relu → lin → mse, each .g written out as in the lesson, against run()."""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=6)
    w1, b1, w2, b2 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 1)), rng.normal(size=1)
    l1 = x @ w1 + b1
    l2 = np.maximum(l1, 0)
    out = l2 @ w2 + b2
    loss = ((out.squeeze(-1) - y) ** 2).mean()
    out_g = 2.0 * (out.squeeze() - y)[:, None] / out.shape[0]  # mse_grad
    l2_g, w2_g, b2_g = lesson_lin_grad(l2, out_g, w2)
    l1_g = (l1 > 0) * l2_g  # relu_grad
    x_g, w1_g, b1_g = lesson_lin_grad(x, l1_g, w1)

    net = Network(x, y[:, None], [Linear(w1, b1), ReLU(), Linear(w2, b2)])
    p = run(net)
    assert np.isclose(p.loss, loss, rtol=1e-15)
    expected = {"out": out_g, "l2": l2_g, "l1": l1_g, "x": x_g, "w1": w1_g, "b1": b1_g, "w2": w2_g, "b2": b2_g}
    for name, g in expected.items():
        np.testing.assert_allclose(p.grads[name], g, rtol=1e-13, atol=1e-15, err_msg=f"{name}.g")
