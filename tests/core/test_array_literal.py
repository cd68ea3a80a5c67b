"""Copy tensor as NumPy or PyTorch literal: one line of code that rebuilds the tensor exactly."""

import numpy as np
import pytest

from gradlab import preset, run
from gradlab.code_export import array_literal


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


# -- code -------------------------------------------------------------------------------------------


def test_numpy_literal_rebuilds_the_tensor_exactly():
    w1 = preset("lesson").layers[0].w
    code = array_literal("w1", w1, "numpy")
    assert code.splitlines()[0] == "w1 = np.array([[0.4, -0.6, 0.2, 0.3],"
    assert code.splitlines()[1] == "               [-0.2, 0.5, -0.3, 0.7],"
    space = {"np": np}
    exec(code, space)
    assert_same_bits(space["w1"], w1)


def test_float32_literals_say_their_dtype_and_keep_short_numbers():
    net = preset("mazur").astype("float32")
    code = array_literal("w1", net.layers[0].w, "numpy")
    assert code == "w1 = np.array([[0.15, 0.25],\n               [0.2, 0.3]], dtype=np.float32)"
    space = {"np": np}
    exec(code, space)
    assert_same_bits(space["w1"], net.layers[0].w)
    p = run(net)
    exec(array_literal("g", p.grads["w1"], "numpy"), space)
    assert_same_bits(space["g"], p.grads["w1"])


def test_torch_literals():
    net = preset("mazur")
    assert array_literal("w2", net.layers[2].w, "torch") == (
        "w2 = torch.tensor([[0.4, 0.5],\n                   [0.45, 0.55]], dtype=torch.float64)")
    assert array_literal("b1", net.layers[0].b.astype(np.float32), "torch") == (
        "b1 = torch.tensor([0.35, 0.35], dtype=torch.float32)")
    assert array_literal("y", preset("classifier").y, "torch") == "y = torch.tensor([0, 1, 2, 2])"


def test_literals_refuse_unknown_flavours_and_names():
    with pytest.raises(ValueError, match="must be one of numpy, torch"):
        array_literal("w1", np.zeros(2), "jax")
    with pytest.raises(ValueError, match="cannot be assigned"):
        array_literal("w 1", np.zeros(2), "numpy")


