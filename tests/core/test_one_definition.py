"""Each layer kind is defined once: the stepper's text, the running backward pass, the explanation and both
exported scripts all come from it, so changing the definition changes all of them together."""

import numpy as np

from gradlab import layers, preset, random_network, run
from gradlab.code_export import numpy_script, torch_script
from gradlab.explain import explain
from gradlab.network import backward_steps


def views(net, cell):
    """Everything that is said of the network's backward pass, in every place it is said (the explanation of
    ``l1.g[cell]``, a cell on the path the change takes)."""
    p = run(net)
    return {
        "stepper": [line for step in backward_steps(net) for line in step.code],
        "backward": {name: g.copy() for name, g in p.grads.items()},
        "explanation": explain(net, p, "l1", cell).text,
        "numpy": numpy_script(net),
        "torch": torch_script(net),
    }


def changed(before, after):
    return {key for key in before if key == "backward" and any(
        not np.array_equal(before[key][n], after[key][n]) for n in before[key]) or key != "backward" and before[key] != after[key]}


def test_one_number_of_a_layer_reaches_all_five():
    """A leaky ReLU's slope: the lesson's line, its gradient, its explanation and both scripts all read it."""
    net = random_network([3, 4, 2], batch=5, activation="leaky_relu", seed=3)
    off = tuple(int(i) for i in np.argwhere(run(net).values["l1"] < 0)[0])  # a unit the slope leaks through
    before = views(net, off)
    net.layers[1].slope = 0.3
    after = views(net, off)
    assert changed(before, after) == {"stepper", "backward", "explanation", "numpy", "torch"}
    assert "l1.g = torch.where(l1 > 0, 1, 0.3) * l2.g" in after["stepper"]
    assert "leaky_relu_grad(l1, l2_g, 0.3)" in after["numpy"] and "F.leaky_relu(l1, 0.3)" in after["torch"]


def doubled_relu_grad(inp, out_g):
    return 2 * (inp > 0) * out_g


def test_changing_the_relu_definition_changes_every_place_it_is_shown(monkeypatch):
    """Rewrite the ReLU kind (its gradient function and the text written beside it) and every view follows,
    including the NumPy script, which copies the core's own function."""
    net = preset("lesson")
    on = (0, 0)  # l1[0,0] = 0.42: the unit is on
    before = views(net, on)
    monkeypatch.setattr(layers, "relu_grad", doubled_relu_grad)
    monkeypatch.setattr(layers.ReLU, "code", ("{i}.g = 2 * ({i} > 0).float() * {o}.g",))
    monkeypatch.setattr(layers.ReLU, "torch_forward", "{o} = 2 * torch.relu({i}) - torch.relu({i})")
    after = views(net, on)
    assert changed(before, after) == {"stepper", "backward", "explanation", "numpy", "torch"}
    assert "l1.g = 2 * (l1 > 0).float() * l2.g" in after["stepper"]
    np.testing.assert_array_equal(after["backward"]["l1"], 2 * before["backward"]["l1"])
    assert "return 2 * (inp > 0) * out_g" in after["numpy"]
    script = {}
    exec(compile(after["numpy"].replace("print(", "(lambda *a: None)("), "numpy_script", "exec"), script)
    np.testing.assert_array_equal(script["l1_g"], after["backward"]["l1"])  # the script runs the new definition
