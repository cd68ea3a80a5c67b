"""The sentences behind each grid's header."""

import pytest

from gradlab import preset
from gradlab.describe import describe


def test_every_tensor_of_every_preset_is_described_with_its_shape():
    for name in ("lesson", "mazur", "neuron", "classifier"):
        net = preset(name)
        tensors = ["x", "y", *net.parameters(), *net.activations()]
        for t in tensors:
            for full in (t, f"{t}.g") if t != "y" else (t,):
                text = describe(net, full)
                assert text.startswith(f"{full} — ")
                assert "×" in text or "entries" in text or "(batch = " in text


def test_the_lessons_questions_are_answered():
    net = preset("lesson")
    assert describe(net, "l1.g").startswith("l1.g — ∂L/∂l1, the gradient of the loss with respect to the output of layer 1")
    assert "batch × 4" in describe(net, "l1.g")
    assert "style transfer" in describe(net, "x.g")
    assert "sum(0)" in describe(net, "b1.g")
    assert "x.t() @ l1.g" in describe(net, "w1.g")
    assert "written first, by the loss's gradient" in describe(net, "out.g")
    assert "class" in describe(preset("classifier"), "y")


def test_an_unknown_tensor_is_an_error():
    with pytest.raises(KeyError, match="no tensor named z"):
        describe(preset("lesson"), "z.g")
