"""Matt Mazur's published step-by-step example, to the digits he prints."""

import numpy as np

from gradlab import check, preset, run
from gradlab.train import train


def test_total_error_and_gradients_match_the_published_numbers():
    net = preset("mazur")
    p = run(net)
    assert round(float(p.loss), 9) == 0.298371109
    assert round(float(p.grads["w2"][0, 0]), 9) == 0.082167041  # his ∂E/∂w5
    assert round(float(p.grads["w1"][0, 0]), 9) == 0.000438568  # his ∂E/∂w1
    # his forward pass: out_h1 = 0.593269992, out_o1 = 0.75136507
    assert round(float(p.values["l2"][0, 0]), 9) == 0.593269992
    assert round(float(p.values["out"][0, 0]), 8) == 0.75136507


def test_his_updated_weights_after_one_step():
    """With learning rate 0.5 he gets w5+ = 0.35891648 and w1+ = 0.149780716."""
    p = run(preset("mazur"))
    w2 = preset("mazur").layers[2].w - 0.5 * p.grads["w2"]
    w1 = preset("mazur").layers[0].w - 0.5 * p.grads["w1"]
    assert round(float(w2[0, 0]), 8) == 0.35891648
    assert round(float(w1[0, 0]), 9) == 0.149780716


def test_every_cell_agrees():
    result = check(preset("mazur"))
    assert result.ok
    assert not any(t.kinks for t in result.tensors.values())
    np.testing.assert_allclose(result.tensors["w2"].numeric, result.tensors["w2"].analytic, rtol=1e-8)


def test_one_step_of_training_gives_his_updated_weights():
    """His biases stay fixed, as the preset's frozen b1 and b2 keep them."""
    net = preset("mazur")
    result = train(net, 0.5, 1)
    assert abs(result.net.tensor("w2")[0, 0] - 0.35891648) < 1e-8  # his w5+
    assert abs(result.net.tensor("w1")[0, 0] - 0.149780716) < 1e-8  # his w1+
    assert result.net.tensor("b1").tobytes() == net.tensor("b1").tobytes()
    assert result.net.tensor("b2").tobytes() == net.tensor("b2").tobytes()
    # His "0.291027924 after the first round" does not follow from his own numbers; this does.
    assert abs(result.losses[1] - 0.291027774) < 1e-9


def test_his_error_after_ten_thousand_rounds():
    """His 10,000 rounds print the error before each update: the loss after 9,999 updates."""
    result = train(preset("mazur"), 0.5, 10_000)
    assert result.stopped is None
    assert abs(result.losses[9_999] - 0.0000351085) < 1e-9
    assert result.losses[0] == run(preset("mazur")).loss
