"""One verdict per quotient row: agree, disagree, can't be judged at this ε (and why), or kink."""

from dataclasses import replace

import numpy as np
import pytest

from gradlab import Network, check, losses, nudge, preset, run
from gradlab.layers import Linear
from gradlab.verdict import SCHEMES, judge, tolerance


def test_at_eps_0_1_the_forward_row_cannot_be_judged_while_the_central_row_agrees():
    """The lesson's w1[0,3]: ΔL/Δε = 0.219 against the backward pass's 0.20919.  The forward row is off by its
    truncation error, h·L''/2 ≈ 0.01, far more than the tolerance: it must not say agree."""
    n = nudge(preset("lesson"), "w1", (0, 3), 0.1)
    assert round(n.forward, 3) == 0.219 and n.analytic == pytest.approx(0.20919)
    rows = judge(n)
    assert set(rows) == set(SCHEMES)
    for one_sided in ("forward", "backward"):
        v = rows[one_sided]
        assert v.outcome == "unresolved"
        assert "truncation error at this ε is about 0.0098" in v.reason and "make ε smaller" in v.reason
        assert v.truncation == pytest.approx(abs(n.forward - n.analytic), rel=0.05)  # the estimate is the real error
        assert 0 < v.better_eps < 1e-3
    assert rows["central"].outcome == "agree" and rows["central"].reason.startswith("agrees")


def test_the_suggested_eps_does_resolve_the_forward_row():
    net = preset("lesson")
    better = judge(nudge(net, "w1", (0, 3), 0.1))["forward"].better_eps
    assert judge(nudge(net, "w1", (0, 3), better))["forward"].outcome == "agree"


def test_at_eps_1e_15_round_off_swamps_every_row():
    n = nudge(preset("lesson"), "w1", (0, 3), 1e-15)
    for v in judge(n).values():
        assert v.outcome == "unresolved"
        assert "round-off at this ε is about" in v.reason and "make ε larger" in v.reason
        assert v.roundoff > v.tolerance and v.better_eps > 1e-15


def test_a_vanished_step_is_named_not_a_nan():
    net = preset("lesson").astype("float32")
    net.x[1, 0] = 1e5
    n = nudge(net, "x", (1, 0), 1e-4)  # 1e5 + 1e-4 is 1e5 in float32: spacing there is 0.0078
    assert n.step_plus == 0
    for v in judge(n).values():
        assert v.outcome == "unresolved"
        assert v.reason.startswith("can't be judged: the step vanished: θ+ε rounds back to θ = 100000 in float32")
        assert v.better_eps is not None and net.x[1, 0] + np.float32(v.better_eps) != net.x[1, 0]
        assert "nan" not in v.reason


def test_a_nudge_across_a_kink_is_a_kink_in_every_row():
    n = nudge(preset("lesson"), "b1", (3,), 0.3)  # l1[2,3] = 0.25 is carried below 0
    for v in judge(n).values():
        assert v.outcome == "kink" and "crosses 0" in v.reason


def test_a_wrong_gradient_disagrees_in_every_row_that_can_see_it():
    n = nudge(preset("mazur"), "w2", (0, 0), 1e-5)
    wrong = replace(n, analytic=n.analytic * 1.1)
    rows = judge(wrong)
    assert all(v.outcome == "disagree" and v.reason.startswith("disagrees: off by") for v in rows.values())


def _tiny_gradient_network() -> Network:
    """One float32 weight whose gradient is 6.1e-5: L = (w·1 − y)², dL/dw = 2·(0 + 3.05e-5)."""
    return Network(np.ones((1, 1)), np.array([[-3.05e-5]]), [Linear(np.zeros((1, 1)), np.zeros(1))]).astype("float32")


def test_a_small_gradient_is_not_hidden_by_an_absolute_floor():
    """The old float32 atol of 1e-3 let a gradient of 1.6e-5 "agree" with a measured 6.1e-5."""
    net = _tiny_gradient_network()
    n = nudge(net, "w1", (0, 0), 1e-3)
    assert n.central == pytest.approx(6.1e-5, rel=1e-3)
    assert judge(n)["central"].outcome == "agree"
    assert judge(replace(n, analytic=1.6e-5))["central"].outcome == "disagree"
    assert tolerance("float32")[0] == 0


def test_the_check_catches_a_small_wrong_gradient(monkeypatch):
    real = losses.MSE.grad
    monkeypatch.setattr(losses.MSE, "grad", staticmethod(lambda out, y, n: real(out, y, n) * 16 / 61))
    result = check(_tiny_gradient_network())
    assert result.tensors["w1"].outcome[0, 0] == "disagree" and not result.ok


def test_every_cell_of_every_preset_agrees_at_the_inspectors_default_eps():
    for name in ("lesson", "mazur", "neuron", "classifier"):
        net = preset(name)
        p = run(net)
        for tensor, values in net.inputs().items():
            for index in np.ndindex(values.shape):
                v = judge(nudge(net, tensor, index, 1e-3, p))["central"]
                assert v.outcome == "agree", (name, tensor, index, v.reason)


def test_a_structural_zero_agrees_without_a_tolerance():
    """Hidden unit 2 of the lesson is off in every row: its weights' gradients are exactly 0, and so is ΔL."""
    n = nudge(preset("lesson"), "w1", (0, 2), 1e-6)
    assert n.analytic == 0 and n.loss_plus == n.loss == n.loss_minus
    assert judge(n)["central"].outcome == "agree" and "exactly 0" in judge(n)["central"].reason


def test_a_tighter_tolerance_turns_agreement_into_a_question_of_eps():
    n = nudge(preset("mazur"), "w2", (0, 0), 1e-3)
    assert judge(n)["central"].outcome == "agree"
    tight = judge(n, atol=0, rtol=1e-12)["central"]
    assert tight.outcome == "unresolved" and tight.better_eps is not None


def test_a_nudge_made_by_hand_without_its_ladder_is_refused():
    n = nudge(preset("lesson"), "x", (0, 0), 1e-3)
    with pytest.raises(ValueError, match="ladder"):
        judge(replace(n, ladder=None))
