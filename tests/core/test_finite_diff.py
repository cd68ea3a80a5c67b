"""Nudges, ε sweeps and the whole-network check."""

import numpy as np

from gradlab import check, loss_curve, nudge, preset, run, sweep
from gradlab.finite_diff import SWEEP_EPS


def test_a_nudge_reports_what_the_spreadsheet_recorded():
    net = preset("neuron")
    p = run(net)
    n = nudge(net, "x", (0, 0), 1e-3, p)
    assert n.value == 1.0
    assert n.step_plus == (1.0 + 1e-3) - 1.0 and n.step_minus == 1.0 - (1.0 - 1e-3)  # as stored, not 1e-3
    assert np.isclose(n.loss, p.loss)
    assert np.isclose(n.forward, (n.loss_plus - n.loss) / n.step_plus, rtol=1e-12)
    assert np.isclose(n.central, (n.loss_plus - n.loss_minus) / (n.step_plus + n.step_minus), rtol=1e-12)
    assert n.analytic == p.grads["x"][0, 0]
    # the thread's sheet: for one linear unit, dL/dx[0,0] = out.g[0,0] · w[0,0]
    assert np.isclose(n.analytic, p.grads["out"][0, 0] * net.layers[0].w[0, 0])
    assert n.rel_err < 1e-8 and not n.kink


def test_sweep_draws_the_v():
    """Truncation error falls with ε, round-off rises as ε shrinks: the minimum is in between."""
    net = preset("mazur")
    s = sweep(net, "w2", (0, 0))
    assert len(s.eps) == len(SWEEP_EPS) and s.eps[0] == 1e-15 and s.eps[-1] == 1.0
    err = s.error("forward")
    best = int(np.nanargmin(err))
    assert 1e-10 < s.eps[best] < 1e-5  # the forward scheme's sweet spot is near sqrt(machine epsilon)
    assert err[0] > 100 * err[best] and err[-1] > 100 * err[best]
    central = s.error("central")
    assert np.nanmin(central) < np.nanmin(err)  # central differences are more accurate
    assert np.isclose(s.analytic, 0.082167041, atol=1e-9)


def test_float32_steps_are_what_is_stored_and_can_vanish():
    net = preset("lesson").astype("float32")
    n = nudge(net, "x", (1, 0), 1e-3)
    assert n.step_plus != 1e-3 and abs(n.step_plus - 1e-3) < 1e-7  # (x+ε)−x in float32
    s = sweep(net, "x", (1, 0))
    vanished = s.step_plus == 0
    assert vanished[s.eps < 1e-8].all() and np.isnan(s.forward[vanished]).all()


def test_a_nudge_across_a_relu_kink_is_flagged():
    net = preset("lesson")
    p = run(net)
    pre = p.values["l1"][2, 3]  # 0.25: on, but a nudge of b1[3] by 0.3 turns it off
    assert 0.2 < pre < 0.3
    assert nudge(net, "b1", (3,), 0.3, p).kink
    assert not nudge(net, "b1", (3,), 1e-3, p).kink


def test_check_reports_kinks_not_failures():
    net = preset("lesson")
    net.layers[0].b[3] = -0.25 + 5e-7  # l1[2,3] sits 5e-7 above 0, inside ε = 1e-6
    result = check(net, eps=1e-6)
    assert result.tensors["b1"].kinks >= 1 and result.tensors["b1"].outcome[3] == "kink"
    assert result.count("disagree") == 0 and result.ok
    # The default step stays on one side of the kink, where the derivative is the backward pass's.
    default = check(net)
    assert default.count("kink") == 0 and default.tensors["b1"].outcome[3] == "agree"


def test_check_finds_a_wrong_gradient(monkeypatch):
    """Break lin_grad's bias line the way learners do (mean instead of sum): the check must fail."""
    import gradlab.layers as layers

    real = layers.lin_grad

    def wrong(inp, out_g, w):
        inp_g, w_g, b_g = real(inp, out_g, w)
        return inp_g, w_g, out_g.mean(0)

    monkeypatch.setattr(layers, "lin_grad", wrong)
    result = check(preset("lesson"))
    assert not result.ok and not result.tensors["b1"].ok and result.tensors["w1"].ok


def test_loss_curve_passes_through_the_current_loss():
    net = preset("mazur")
    p = run(net)
    w = net.layers[2].w[0, 0]
    values = np.array([w - 0.1, w, w + 0.1])
    curve = loss_curve(net, "w2", (0, 0), values, p)
    assert curve[1] == p.loss
    slope = (curve[2] - curve[0]) / 0.2
    assert abs(slope - p.grads["w2"][0, 0]) < 1e-3


def test_a_ladder_is_the_same_nudge_at_eps_eps_over_2_and_eps_over_4():
    from gradlab.finite_diff import RUNGS, ladder, plus_minus

    net = preset("mazur")
    p = run(net)
    cells = np.array([[0, 0], [1, 1]])
    eps = np.array([1e-3, 0.2])
    rungs = ladder(net, p, "w2", cells, eps)
    assert rungs.loss_plus.shape == (len(RUNGS), 2)
    for k, f in enumerate(RUNGS):
        lp, lm, sp, sm, _ = plus_minus(net, p, "w2", cells, eps * f)
        np.testing.assert_array_equal(rungs.loss_plus[k], lp)
        np.testing.assert_array_equal(rungs.step_minus[k], sm)
    fwd, _, cen = rungs.quotients()
    assert abs(cen[2, 0] - p.grads["w2"][0, 0]) < abs(cen[0, 1] - p.grads["w2"][1, 1])  # a smaller step, a smaller error


def test_a_nudge_carries_what_its_verdict_needs():
    net = preset("classifier")
    n = nudge(net, "w1", (0, 1), 1e-3)
    assert n.ladder is not None and n.ladder.loss_plus[0, 0] == n.loss_plus
    assert 0 < n.noise < 1e-12 and 0 < n.analytic_noise < 1e-12  # a few roundings of numbers near 1, in float64
    assert n.rate > 0  # w1 moves the logits the softmax bends over
    assert 0 < n.room < np.inf and n.dtype == "float64"  # and a ReLU's input, some way from 0
    assert nudge(preset("neuron"), "x", (0, 0), 1e-3).rate == 0  # one linear unit and mse: nothing bends
