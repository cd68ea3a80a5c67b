"""The whole-network check on hostile networks: no false alarms, and every broken formula caught.

The networks are drawn value by value (hypothesis shrinks the numbers themselves,
not a seed): both dtypes, weights from 1e-4 to 1e3, inputs up to 1e4, losses up
to 1e6, biases that switch units off or drive sigmoids into saturation.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gradlab.layers as layers
from gradlab import Network, check, losses, preset, random_network
from gradlab.layers import ACTIVATIONS, Linear, activation
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.overflow import first_non_finite, quiet_run
from gradlab.verdict import SAFETY

FLOATS = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def scaled(draw, shape: tuple[int, ...], lowest: int, highest: int) -> np.ndarray:
    """An array of ``shape`` whose values reach 10**lowest … 10**highest (drawn, then scaled by a drawn decade)."""
    decade = draw(st.integers(lowest, highest))
    return draw(arrays(np.float64, shape, elements=FLOATS)) * 10.0**decade


@st.composite
def networks(draw, widths=None, batch=None, kinds=None, loss=None, reduction=None):
    """A small network with hostile numbers; any choice can be pinned by the caller."""
    widths = widths or draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    loss = loss or draw(st.sampled_from(LOSSES))
    if loss == "cross_entropy":
        widths = [*widths[:-1], max(widths[-1], 2)]
    batch = batch or draw(st.integers(1, 3))
    built = []
    for k, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        w = draw(scaled((n_in, n_out), -5, 2))  # 1e-4 … 1e3
        b = draw(scaled((n_out,), -3, 2))  # up to ±1e3: units switched off, sigmoids saturated
        built.append(Linear(w, b))
        if k < len(widths) - 2:
            kind = kinds[k] if kinds else draw(st.sampled_from(list(ACTIVATIONS)))
            built.append(activation(kind, slope=0.1))
    x = draw(scaled((batch, widths[0]), -2, 3))  # up to 1e4
    if loss == "cross_entropy":
        y = np.array(draw(st.lists(st.integers(0, widths[-1] - 1), min_size=batch, max_size=batch)))
    else:
        y = draw(scaled((batch, widths[-1]), -2, 2))
    net = Network(x, y, built, loss, reduction or draw(st.sampled_from(REDUCTIONS)))
    net = net.astype(draw(st.sampled_from(["float64", "float32"])))
    p = quiet_run(net)
    assume(first_non_finite(net, p) is None and abs(float(p.loss)) <= 1e6)
    return net


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(networks())
def test_the_default_check_never_calls_a_correct_gradient_wrong(net):
    result = check(net)
    for t in result.tensors.values():
        assert t.disagree == 0, f"{t.name}{list(t.worst)}: {t.verdict(t.worst).reason}"
        assert t.agree + t.kinks + t.unresolved == t.analytic.size  # nothing dropped without a word


# -- mutations: each backward formula broken the way learners break it -------------------------------------------


def _drop_the_divisor(monkeypatch, net):
    kind = losses.KINDS[net.loss]
    real = kind.grad
    monkeypatch.setattr(kind, "grad", staticmethod(lambda out, y, n: real(out, y, n) * n))


def _transpose_w(monkeypatch, net):
    real = layers.lin_grad
    monkeypatch.setattr(layers, "lin_grad", lambda inp, out_g, w: (out_g @ w, *real(inp, out_g, w)[1:]))


def _forget_the_relu_mask(monkeypatch, net):
    monkeypatch.setattr(layers, "relu_grad", lambda inp, out_g: out_g)


def _drop_the_sum(monkeypatch, net):
    monkeypatch.setattr(layers, "lin_grad", lambda inp, out_g, w: (out_g @ w.T, inp[:1].T @ out_g[:1], out_g[0]))


def _flip_a_sign(monkeypatch, net):
    real = layers.lin_grad
    monkeypatch.setattr(layers, "lin_grad", lambda inp, out_g, w: (real(inp, out_g, w)[0], -(inp.T @ out_g), out_g.sum(0)))


MUTATIONS = {
    "drop the /n": (_drop_the_divisor, dict(reduction="mean", batch=2)),
    "transpose w in inp.g": (_transpose_w, dict(widths=[2, 2, 2])),
    "forget the ReLU mask": (_forget_the_relu_mask, dict(widths=[2, 3, 1], kinds=["relu"])),
    "drop the sum(0)": (_drop_the_sum, dict(batch=3)),
    "flip the sign of w.g": (_flip_a_sign, dict()),
}


def _broken_grads(net, mutate, monkeypatch) -> dict[str, np.ndarray]:
    with monkeypatch.context() as m:
        mutate(m, net)
        return quiet_run(net).grads


def _on_a_kink(net) -> bool:
    """Whether some ReLU's input sits exactly at 0: a nudge there is a kink, excused in the broken check too."""
    p = quiet_run(net)
    return any(layer.kinked and (p.values[names.inp] == 0).any()
               for layer, names in net.named_layers() if not isinstance(layer, Linear))


def _visible(net, mutate, monkeypatch) -> dict[str, np.ndarray]:
    """The cells, per tensor, whose gradient the mutation moves by far more than the correct check could miss,
    among those that check judged "agree" (none on a network with a ReLU input exactly at its kink, which
    either check reports as a kink)."""
    if _on_a_kink(net):
        return {}
    honest, broken = check(net), _broken_grads(net, mutate, monkeypatch)
    moved = {}
    for name, t in honest.tensors.items():
        a, wrong = t.judged, broken[name].reshape(-1)
        missable = a.tolerance + honest.rtol * np.abs(wrong) + SAFETY * (a.roundoff + a.truncation)
        cells = (t.outcome.reshape(-1) == "agree") & (np.abs(wrong - a.analytic) > 10 * missable)
        if cells.any():
            moved[name] = cells
    return moved


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_broken_formula_is_caught(mutation, data, monkeypatch):
    mutate, pinned = MUTATIONS[mutation]
    net = data.draw(networks(**pinned))
    moved = _visible(net, mutate, monkeypatch)
    assume(moved)
    with monkeypatch.context() as m:
        mutate(m, net)
        result = check(net)
    for name, cells in moved.items():  # a cell the break visibly moved is never passed as "agree" ...
        assert not (result.tensors[name].outcome.reshape(-1)[cells] == "agree").any(), (mutation, name)
    assert not result.ok, mutation  # ... and the check as a whole fails
    # Mostly it says "disagree"; in float32 the broken gradient can be too small to resolve at any step short of
    # a kink, and then the cell "can't be judged" instead, which leaves the check inconclusive, not passed.


PLAIN = [preset("lesson"), *(random_network([3, 3, 3], batch=4, activation=a, seed=s, init="kaiming")
                              for s, a in ((1, "relu"), (2, "sigmoid"), (3, "tanh"), (4, "leaky_relu")))]


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_broken_formula_is_caught_on_plain_networks(mutation, dtype, monkeypatch):
    """The same mutations on ordinary networks: wherever one changes a gradient, the check catches it."""
    mutate, _ = MUTATIONS[mutation]
    tried = 0
    for net in PLAIN:
        net = net.astype(dtype)
        if mutation == "transpose w in inp.g" and any(w.shape[0] != w.shape[1] for w in net.parameters().values() if w.ndim == 2):
            continue  # out.g @ w needs a square w to run at all
        correct, broken = quiet_run(net).grads, _broken_grads(net, mutate, monkeypatch)
        if all(np.allclose(broken[name], g, rtol=0.05, atol=0) for name, g in correct.items()):
            continue  # this network does not show this mistake (no ReLU to forget, one batch row …)
        tried += 1
        with monkeypatch.context() as m:
            mutate(m, net)
            result = check(net)
        assert result.count("disagree") >= 1 and not result.ok, (mutation, net.title)
    assert tried >= 2, mutation


def test_the_default_step_is_scaled_to_each_cell():
    """Weights near 1e-4 and inputs near 1e4: each cell is nudged in proportion to its size (and no more than
    its ReLUs allow), so in float64 every cell is judged and agrees."""
    net = random_network([3, 4, 2], batch=4, seed=3)
    for layer in net.linear_layers():
        layer.w *= 1e-4
    net.x *= 1e4
    result = check(net)
    assert result.count("agree") == result.cells and result.ok
    x = result.tensors["x"]
    ratio = x.step / (1e-6 * np.abs(net.x))
    assert np.median(ratio) == pytest.approx(1) and (ratio > 1e-3).all()  # a few tried again at a wider step
    in_float32 = check(net.astype("float32"))
    assert in_float32.count("disagree") == 0 and in_float32.tensors["w2"].agree == 8
