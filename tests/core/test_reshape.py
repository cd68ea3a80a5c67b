"""Reshaping a network: what survives, bit for bit, what is refused, and that the result still checks out."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab import Network, check, preset, random_network, reshape, run
from gradlab.layers import ACTIVATIONS, Linear, ReLU, Tanh
from gradlab.losses import LOSSES


def arrays(net: Network) -> dict[str, np.ndarray]:
    return {"y": net.y, **net.inputs()}


def assert_same(a: Network, b: Network) -> None:
    """Equal bit for bit: every array with the same dtype, shape and bits, and every setting."""
    assert (a.loss, a.reduction, a.title, a.notes) == (b.loss, b.reduction, b.title, b.notes)
    assert [layer.spec() for layer in a.layers] == [layer.spec() for layer in b.layers]
    tensors_a, tensors_b = arrays(a), arrays(b)
    assert tensors_a.keys() == tensors_b.keys()
    for name, value in tensors_a.items():
        assert value.dtype == tensors_b[name].dtype, name
        np.testing.assert_array_equal(value, tensors_b[name], err_msg=name, strict=True)


def assert_healthy(net: Network) -> None:
    """The network runs and every analytic gradient agrees with finite differences."""
    p = run(net)
    assert np.isfinite(p.loss)
    result = check(net)
    for t in result.tensors.values():
        assert t.ok, f"{t.name}{list(t.worst)}: analytic {t.analytic[t.worst]} numeric {t.numeric[t.worst]}"


def shares_nothing(a: Network, b: Network) -> bool:
    return not any(np.shares_memory(u, v) for u in arrays(a).values() for v in arrays(b).values())


# Every operation, on every preset where it applies: the result runs, checks out, and owns its arrays.
OPERATIONS = [
    ("lesson", lambda n: reshape.add_batch_row(n, 1, values=[1.0, 2.0, 3.0], target=[0.5])),
    ("classifier", lambda n: reshape.add_batch_row(n, target=2)),
    ("lesson", lambda n: reshape.remove_batch_row(n, 2)),
    ("classifier", lambda n: reshape.remove_batch_row(n, 0)),
    ("lesson", lambda n: reshape.add_input(n, 0)),
    ("mazur", lambda n: reshape.remove_input(n, 1)),
    ("lesson", lambda n: reshape.add_hidden_unit(n, 1, 2, rng=np.random.default_rng(0))),
    ("mazur", lambda n: reshape.add_hidden_unit(n, 1, init=[0.3, -0.2])),
    ("lesson", lambda n: reshape.remove_hidden_unit(n, 1, 3)),
    ("lesson", lambda n: reshape.add_output(n, 0)),
    ("classifier", lambda n: reshape.add_output(n, 1)),
    ("mazur", lambda n: reshape.remove_output(n, 0)),
    ("lesson", lambda n: reshape.add_layer(n, 1, 4)),
    ("lesson", lambda n: reshape.add_layer(n, 0, 5, "tanh", rng=np.random.default_rng(1))),
    ("classifier", lambda n: reshape.add_layer(n, 1, 2, "sigmoid")),
    ("mazur", lambda n: reshape.remove_layer(n, 1)),
    ("lesson", lambda n: reshape.set_loss(n, "half_sse")),
    ("classifier", lambda n: reshape.set_loss(n, "mse")),
    ("mazur", lambda n: reshape.set_loss(n, "cross_entropy")),
    ("lesson", lambda n: reshape.set_reduction(n, "sum")),
    ("lesson", lambda n: reshape.set_dtype(n, "float32")),
    ("mazur", lambda n: reshape.set_activation(n, 3, "leaky_relu", 0.2)),
]


@pytest.mark.parametrize(("name", "operation"), OPERATIONS)
def test_every_operation_returns_a_new_healthy_network_and_leaves_its_argument_alone(name, operation):
    net = preset(name)
    before = net.copy()
    result = operation(net)
    assert_same(net, before)
    assert result is not net and shares_nothing(result, net)
    assert_healthy(result)


# Batch rows and inputs.

def test_batch_rows_are_inserted_and_removed_whole():
    net = preset("lesson")
    added = reshape.add_batch_row(net, 1)
    np.testing.assert_array_equal(added.x, np.insert(net.x, 1, 0.0, axis=0), strict=True)
    np.testing.assert_array_equal(added.y, np.insert(net.y, 1, 0.0, axis=0), strict=True)
    assert added.layers[0].w is not net.layers[0].w
    np.testing.assert_array_equal(added.layers[0].w, net.layers[0].w)
    filled = reshape.add_batch_row(net, values=[1.0, 2.0, 3.0], target=[7.0])
    np.testing.assert_array_equal(filled.x[-1], [1.0, 2.0, 3.0])
    assert filled.y[-1, 0] == 7.0
    removed = reshape.remove_batch_row(net, 0)
    np.testing.assert_array_equal(removed.x, net.x[1:], strict=True)
    np.testing.assert_array_equal(removed.y, net.y[1:], strict=True)
    classes = reshape.add_batch_row(preset("classifier"), 0)
    np.testing.assert_array_equal(classes.y, [0, 0, 1, 2, 2])
    assert classes.y.dtype == preset("classifier").y.dtype


def test_inputs_are_a_column_of_x_and_a_row_of_w1():
    net = preset("lesson")
    added = reshape.add_input(net, 1)
    np.testing.assert_array_equal(added.x, np.insert(net.x, 1, 0.0, axis=1), strict=True)
    np.testing.assert_array_equal(added.layers[0].w, np.insert(net.layers[0].w, 1, 0.0, axis=0), strict=True)
    np.testing.assert_allclose(run(added).values["out"], run(net).values["out"], rtol=1e-15)  # a zero weight row
    removed = reshape.remove_input(net, 2)
    np.testing.assert_array_equal(removed.x, net.x[:, :2], strict=True)
    np.testing.assert_array_equal(removed.layers[0].w, net.layers[0].w[:2], strict=True)
    for k in (0, 2):
        np.testing.assert_array_equal(removed.layers[k].b, net.layers[k].b, strict=True)
    np.testing.assert_array_equal(removed.layers[2].w, net.layers[2].w, strict=True)


def leading_activation() -> Network:
    """A network whose first layer is an activation: the input width is still w1's row count."""
    rng = np.random.default_rng(3)
    layers = [Tanh(), Linear(rng.normal(size=(3, 2)), rng.normal(size=2)),
              ReLU(), Linear(rng.normal(size=(2, 1)), rng.normal(size=1))]
    return Network(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), layers)


def test_inputs_and_layers_of_a_network_that_starts_with_an_activation():
    net = leading_activation()
    added = reshape.add_input(net, 3)
    assert added.x.shape == (4, 4) and added.layers[1].w.shape == (4, 2)
    assert_same(reshape.remove_input(added, 3), net)
    first = reshape.add_layer(net, 0, 3)
    assert [layer.kind for layer in first.layers[:3]] == ["linear", "relu", "tanh"]  # right after x
    assert_same(reshape.remove_layer(first, 1), net)
    assert_healthy(added)
    assert_healthy(first)


# Hidden units.

def test_removing_a_hidden_unit_removes_its_column_entry_and_row_and_nothing_else():
    net = preset("lesson")
    removed = reshape.remove_hidden_unit(net, 1, 1)
    w1, b1, w2, b2 = (net.layers[0].w, net.layers[0].b, net.layers[2].w, net.layers[2].b)
    np.testing.assert_array_equal(removed.layers[0].w, w1[:, [0, 2, 3]], strict=True)
    np.testing.assert_array_equal(removed.layers[0].b, b1[[0, 2, 3]], strict=True)
    np.testing.assert_array_equal(removed.layers[2].w, w2[[0, 2, 3]], strict=True)
    np.testing.assert_array_equal(removed.layers[2].b, b2, strict=True)
    np.testing.assert_array_equal(removed.x, net.x, strict=True)
    np.testing.assert_array_equal(removed.y, net.y, strict=True)
    assert_healthy(removed)


def test_a_zero_unit_leaves_the_output_alone_and_starts_dead_under_relu():
    net = preset("lesson")
    added = reshape.add_hidden_unit(net, 1, 1)
    np.testing.assert_array_equal(added.layers[0].w, np.insert(net.layers[0].w, 1, 0.0, axis=1), strict=True)
    np.testing.assert_array_equal(added.layers[0].b, np.insert(net.layers[0].b, 1, 0.0), strict=True)
    np.testing.assert_array_equal(added.layers[2].w, np.insert(net.layers[2].w, 1, 0.0, axis=0), strict=True)
    p, p0 = run(added), run(net)
    np.testing.assert_allclose(p.values["out"], p0.values["out"], rtol=1e-15)
    # dead: no gradient reaches any of its weights
    assert not p.grads["w1"][:, 1].any() and p.grads["b1"][1] == 0 and not p.grads["w2"][1].any()


def test_a_unit_from_an_rng_is_live_but_still_leaves_the_output_alone():
    net = preset("lesson")
    added = reshape.add_hidden_unit(net, 1, 4, rng=np.random.default_rng(5))
    column = added.layers[0].w[:, 4]
    assert column.all() and np.abs(column).max() < 4 * np.sqrt(2 / 3)  # Kaiming scale for 3 inputs
    assert added.layers[0].b[4] == 0 and not added.layers[2].w[4].any()
    p = run(added)
    np.testing.assert_allclose(p.values["out"], run(net).values["out"], rtol=1e-15)
    assert p.grads["w2"][4].any()  # training can move its outgoing weight, and then its incoming ones
    given_init = reshape.add_hidden_unit(net, 1, 0, init=[0.1, 0.2, 0.3])
    np.testing.assert_array_equal(given_init.layers[0].w[:, 0], [0.1, 0.2, 0.3])


# Outputs.

def test_outputs_of_a_regression_net_are_columns_of_the_last_layer_and_of_y():
    net = preset("mazur")
    removed = reshape.remove_output(net, 0)
    np.testing.assert_array_equal(removed.layers[2].w, net.layers[2].w[:, 1:], strict=True)
    np.testing.assert_array_equal(removed.layers[2].b, net.layers[2].b[1:], strict=True)
    np.testing.assert_array_equal(removed.y, net.y[:, 1:], strict=True)
    np.testing.assert_array_equal(removed.layers[0].w, net.layers[0].w, strict=True)
    added = reshape.add_output(net, 1)
    np.testing.assert_array_equal(added.y, np.insert(net.y, 1, 0.0, axis=1), strict=True)
    np.testing.assert_array_equal(added.layers[2].w, np.insert(net.layers[2].w, 1, 0.0, axis=1), strict=True)


def test_classes_shift_so_every_row_keeps_its_class():
    net = preset("classifier")  # y = [0, 1, 2, 2]
    added = reshape.add_output(net, 1)
    np.testing.assert_array_equal(added.y, [0, 2, 3, 3])
    assert added.y.dtype == net.y.dtype
    unused = net.copy()
    unused.y = np.array([0, 0, 2, 2])
    removed = reshape.remove_output(unused, 1)
    np.testing.assert_array_equal(removed.y, [0, 0, 1, 1])
    np.testing.assert_array_equal(removed.layers[2].w, net.layers[2].w[:, [0, 2]], strict=True)
    assert_healthy(removed)


# Layers.

def test_a_layer_as_wide_as_its_input_after_a_relu_leaves_the_output_unchanged_bit_for_bit():
    net = preset("lesson")
    added = reshape.add_layer(net, 1, 4)
    assert [layer.kind for layer in added.layers] == ["linear", "relu", "linear", "relu", "linear"]
    np.testing.assert_array_equal(added.layers[2].w, np.eye(4), strict=True)
    np.testing.assert_array_equal(added.layers[2].b, np.zeros(4), strict=True)
    np.testing.assert_array_equal(added.layers[4].w, net.layers[2].w, strict=True)  # the old w2, now w3
    np.testing.assert_array_equal(run(added).values["out"], run(net).values["out"], strict=True)


def test_a_first_layer_passes_x_through_when_x_is_non_negative():
    net = preset("lesson")
    net.x = np.abs(net.x)
    added = reshape.add_layer(net, 0, 3)
    np.testing.assert_array_equal(run(added).values["out"], run(net).values["out"], strict=True)
    signed = reshape.add_layer(preset("lesson"), 0, 3)  # relu zeroes the negative inputs: the output moves
    assert not np.array_equal(run(signed).values["out"], run(preset("lesson")).values["out"])


def test_a_wider_layer_adds_units_with_zero_outgoing_rows():
    net = preset("lesson")
    added = reshape.add_layer(net, 1, 6, rng=np.random.default_rng(2))
    w = added.layers[2].w
    np.testing.assert_array_equal(w[:, :4], np.eye(4), strict=True)
    assert w[:, 4:].all()  # random incoming weights: live units
    np.testing.assert_array_equal(added.layers[4].w[:4], net.layers[2].w, strict=True)
    assert not added.layers[4].w[4:].any()
    np.testing.assert_allclose(run(added).values["out"], run(net).values["out"], rtol=1e-15)
    zeros = reshape.add_layer(net, 1, 6)
    assert not zeros.layers[2].w[:, 4:].any()


def test_a_narrower_layer_keeps_the_first_inputs_and_drops_the_rest():
    net = preset("lesson")
    added = reshape.add_layer(net, 1, 2)
    np.testing.assert_array_equal(added.layers[2].w, np.eye(4, 2), strict=True)
    np.testing.assert_array_equal(added.layers[4].w, net.layers[2].w[:2], strict=True)
    assert_healthy(added)


def test_removing_a_square_layer_keeps_every_other_layer():
    net = preset("mazur")
    removed = reshape.remove_layer(net, 1)
    assert [layer.kind for layer in removed.layers] == ["linear", "sigmoid"]
    np.testing.assert_array_equal(removed.layers[0].w, net.layers[2].w, strict=True)
    np.testing.assert_array_equal(removed.layers[0].b, net.layers[2].b, strict=True)


# Whole-network switches.

def test_losses_convert_y_only_when_the_kind_of_target_changes():
    lesson = preset("lesson")
    np.testing.assert_array_equal(reshape.set_loss(lesson, "half_sse").y, lesson.y, strict=True)
    classifier = preset("classifier")
    one_hot = reshape.set_loss(classifier, "mse")
    np.testing.assert_array_equal(one_hot.y, np.eye(3)[[0, 1, 2, 2]], strict=True)
    assert_same(reshape.set_loss(one_hot, "cross_entropy"), classifier)  # nothing lost
    mazur = reshape.set_loss(preset("mazur"), "cross_entropy")  # y = [[0.01, 0.99]]
    np.testing.assert_array_equal(mazur.y, [1])
    ties = preset("mazur")
    ties.y = np.array([[0.5, 0.5]])
    np.testing.assert_array_equal(reshape.set_loss(ties, "cross_entropy").y, [0])  # the first, on a tie


def test_reduction_dtype_and_activation_switches():
    net = preset("lesson")
    assert reshape.set_reduction(net, "sum").reduction == "sum"
    assert run(reshape.set_reduction(net, "sum")).loss == 4 * run(net).loss
    single = reshape.set_dtype(net, "float32")
    assert all(a.dtype == np.float32 for a in arrays(single).values())
    np.testing.assert_array_equal(single.x, net.x.astype(np.float32), strict=True)
    classes = reshape.set_dtype(preset("classifier"), "float32")
    assert classes.y.dtype.kind == "i"
    leaky = reshape.set_activation(net, 1, "leaky_relu", 0.2)
    assert leaky.layers[1].spec() == {"type": "leaky_relu", "slope": 0.2}
    np.testing.assert_array_equal(leaky.layers[0].w, net.layers[0].w, strict=True)


# Refusals: each impossible change raises one sentence and builds nothing.

REFUSALS = [
    ("neuron", lambda n: reshape.remove_batch_row(reshape.remove_batch_row(reshape.remove_batch_row(n, 0), 0), 0),
     "last batch row"),
    ("lesson", lambda n: reshape.remove_batch_row(n, 4), r"no batch row 4: the network has 4, numbered 0 to 3"),
    ("lesson", lambda n: reshape.remove_batch_row(n, -1), "no batch row -1"),
    ("lesson", lambda n: reshape.add_batch_row(n, 5), r"position 5: the positions run from 0 to 4"),
    ("lesson", lambda n: reshape.add_batch_row(n, values=[1.0, 2.0]), "needs 3 values, not 2"),
    ("lesson", lambda n: reshape.add_batch_row(n, values=[1.0, np.nan, 2.0]), "finite"),
    ("lesson", lambda n: reshape.add_batch_row(n, values=["one", 2.0, 3.0]), "must hold numbers only"),
    ("classifier", lambda n: reshape.add_batch_row(n, target=3), "0 to 2, not 3"),
    ("neuron", lambda n: reshape.remove_input(reshape.remove_input(reshape.remove_input(n, 0), 0), 0),
     "last input"),
    ("lesson", lambda n: reshape.remove_input(n, 3), "no input 3"),
    ("lesson", lambda n: reshape.add_input(n, 4), "position 4"),
    ("lesson", lambda n: reshape.add_hidden_unit(n, 2), "layer 2 is not a hidden linear layer"),
    ("lesson", lambda n: reshape.add_hidden_unit(n, 0), "layer 0 is not a hidden linear layer"),
    ("neuron", lambda n: reshape.add_hidden_unit(n, 1), "no hidden layer"),
    ("lesson", lambda n: reshape.add_hidden_unit(n, 1, 5), "position 5"),
    ("lesson", lambda n: reshape.add_hidden_unit(n, 1, init=[1.0]), "needs 3 values, not 1"),
    ("lesson", lambda n: reshape.add_hidden_unit(n, 1, init=[1.0] * 3, rng=np.random.default_rng()), "not both"),
    ("lesson", lambda n: reshape.remove_hidden_unit(n, 1, 4), r"no unit 4: layer 1 has 4"),
    ("lesson", lambda n: reshape.remove_hidden_unit(reshape.add_layer(n, 1, 1), 2, 0), "only unit of layer 2"),
    ("neuron", lambda n: reshape.remove_output(n, 0), "last output"),
    ("mazur", lambda n: reshape.remove_output(n, 2), "no output 2"),
    ("mazur", lambda n: reshape.add_output(n, 3), "position 3"),
    ("classifier", lambda n: reshape.remove_output(n, 2), r"class 2: it is still the target of batch rows 2, 3"),
    ("classifier", lambda n: reshape.remove_output(n, 1), r"class 1: it is still the target of batch row 1;"),
    ("classifier", lambda n: reshape.add_layer(n, 2, 3), "after linear layer 0 .* to 1, not 2"),
    ("lesson", lambda n: reshape.add_layer(n, 1, 0), "at least 1 unit"),
    ("lesson", lambda n: reshape.add_layer(n, 1, 3, "softplus"), "'softplus' is not an activation"),
    ("lesson", lambda n: reshape.remove_layer(n, 1), "turns 3 values into 4"),
    ("lesson", lambda n: reshape.remove_layer(n, 2), "layer 2 is not a hidden linear layer"),
    ("neuron", lambda n: reshape.remove_layer(n, 1), "only linear layer"),
    ("lesson", lambda n: reshape.set_loss(n, "cross_entropy"), "at least 2 outputs .* has 1"),
    ("lesson", lambda n: reshape.set_loss(n, "l1"), "'l1' is not a loss"),
    ("lesson", lambda n: reshape.set_reduction(n, "max"), "'max' is not a reduction"),
    ("lesson", lambda n: reshape.set_dtype(n, "float16"), "'float16' is not a dtype"),
    ("lesson", lambda n: reshape.set_activation(n, 0, "tanh"), r"layer 0 is not an activation.* positions 1$"),
    ("lesson", lambda n: reshape.set_activation(n, 3, "tanh"), "layer 3 is not an activation"),
    ("lesson", lambda n: reshape.set_activation(n, 1, "gelu"), "'gelu' is not an activation"),
    ("lesson", lambda n: reshape.set_activation(n, 1, "leaky_relu", np.inf), "finite"),
]


@pytest.mark.parametrize(("name", "operation", "sentence"), REFUSALS)
def test_impossible_changes_are_refused_with_a_sentence(name, operation, sentence):
    net = preset(name)
    before = net.copy()
    with pytest.raises(ValueError, match=sentence) as error:
        operation(net)
    message = str(error.value)
    assert "\n" not in message and message.count(". ") == 0  # one sentence
    assert_same(net, before)


def test_cross_entropy_keeps_two_classes():
    net = random_network([2, 2], loss="cross_entropy", seed=1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        reshape.remove_output(net, 0)


# Random networks: every change runs and checks out, and adding then removing gives back the original.

@st.composite
def networks(draw) -> Network:
    loss = draw(st.sampled_from(LOSSES))
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    return random_network(sizes, batch=draw(st.integers(1, 4)), activation=draw(st.sampled_from(list(ACTIVATIONS))),
                          loss=loss, reduction=draw(st.sampled_from(["mean", "sum"])), seed=draw(st.integers(0, 999)))


def round_trips(net: Network, data: st.DataObject) -> list:
    """(add, remove) pairs that must undo each other on ``net``."""
    n_linear = sum(layer.kind == "linear" for layer in net.layers)
    n_out = net.layers[-1].w.shape[1]
    row = data.draw(st.integers(0, net.batch), label="row")
    column = data.draw(st.integers(0, net.x.shape[1]), label="input")
    output = data.draw(st.integers(0, n_out), label="output")
    seed = data.draw(st.integers(0, 99), label="seed")
    pairs = [
        (lambda n: reshape.add_batch_row(n, row), lambda n: reshape.remove_batch_row(n, row)),
        (lambda n: reshape.add_input(n, column), lambda n: reshape.remove_input(n, column)),
        (lambda n: reshape.add_output(n, output), lambda n: reshape.remove_output(n, output)),
    ]
    if n_linear > 1:
        layer = data.draw(st.integers(1, n_linear - 1), label="layer")
        width = net.layers[2 * layer - 2].w.shape[1]
        unit = data.draw(st.integers(0, width), label="unit")
        rng = np.random.default_rng(seed)
        pairs.append((lambda n: reshape.add_hidden_unit(n, layer, unit, rng=rng),
                      lambda n: reshape.remove_hidden_unit(n, layer, unit)))
    after = data.draw(st.integers(0, n_linear - 1), label="after")
    n = net.layers[2 * after].w.shape[0]
    kind = data.draw(st.sampled_from(list(ACTIVATIONS)), label="activation")
    pairs.append((lambda n_: reshape.add_layer(n_, after, n, kind), lambda n_: reshape.remove_layer(n_, after + 1)))
    return pairs


@settings(max_examples=60, deadline=None)
@given(networks(), st.data())
def test_adding_then_removing_at_the_same_place_gives_back_the_original(net, data):
    before = net.copy()
    for add, remove in round_trips(net, data):
        grown = add(net)
        assert_same(net, before)
        assert_healthy(grown)
        shrunk = remove(grown)
        assert_same(shrunk, net)
        assert_healthy(shrunk)


@settings(max_examples=60, deadline=None)
@given(networks(), st.data())
def test_removals_and_switches_on_random_networks_run_and_check_out(net, data):
    before = net.copy()
    n_linear = sum(layer.kind == "linear" for layer in net.layers)
    n_out = net.layers[-1].w.shape[1]
    candidates = []
    if net.batch > 1:
        candidates.append(lambda n: reshape.remove_batch_row(n, data.draw(st.integers(0, n.batch - 1))))
    if net.x.shape[1] > 1:
        candidates.append(lambda n: reshape.remove_input(n, data.draw(st.integers(0, n.x.shape[1] - 1))))
    if n_linear > 1 and net.layers[0].w.shape[1] > 1:
        candidates.append(lambda n: reshape.remove_hidden_unit(n, 1, data.draw(st.integers(0, n.layers[0].w.shape[1] - 1))))
    if net.loss != "cross_entropy" and n_out > 1:
        candidates.append(lambda n: reshape.remove_output(n, data.draw(st.integers(0, n_out - 1))))
    candidates.append(lambda n: reshape.add_layer(n, 0, data.draw(st.integers(1, 5)), rng=np.random.default_rng(0)))
    if n_out > 1 or net.loss == "cross_entropy":
        candidates.append(lambda n: reshape.set_loss(n, data.draw(st.sampled_from(LOSSES))))
    candidates.append(lambda n: reshape.set_activation(n, 1, data.draw(st.sampled_from(list(ACTIVATIONS))), 0.1)
                      if n_linear > 1 else reshape.set_reduction(n, "sum"))
    operation = data.draw(st.sampled_from(candidates))
    result = operation(net)
    assert_same(net, before)
    assert shares_nothing(result, net)
    assert_healthy(result)
