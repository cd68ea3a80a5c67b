"""Matt Mazur's published step-by-step example, to the digits he prints."""

import numpy as np

from gradlab import check, preset, run


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
