"""Gradient descent: the update, training, the guard against numbers that are not finite, the update
steps of the stepper, and the output over the input plane."""

import numpy as np
import pytest

from gradlab import preset, random_network, run
from gradlab.layers import Linear
from gradlab.network import Network, backward_steps, update_steps
from gradlab.plane import extent, output_plane
from gradlab.scenario import ScenarioError, dumps, from_dict, loads, to_dict
from gradlab.train import MAX_STEPS, explain_update, train, update


def reference(net, lr, steps, frozen=None):
    """The definition, step by step: ``run`` then ``update``, over and over; the losses and the network."""
    losses = []
    for _ in range(steps):
        p = run(net)
        losses.append(p.loss)
        net = update(net, p, lr, frozen)
    losses.append(run(net).loss)
    return np.array(losses), net


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_network(a, b):
    for (name, u), (_, v) in zip(a.inputs().items(), b.inputs().items()):
        assert same_bits(u, v), name
    assert same_bits(a.y, b.y)


def snapshot(net):
    return {name: a.copy() for name, a in {**net.inputs(), "y": net.y}.items()}


NETWORKS = {
    "lesson": lambda: preset("lesson"),
    "mazur": lambda: preset("mazur"),
    "classifier-float32": lambda: preset("classifier").astype("float32"),
    "tanh-half-sum": lambda: random_network([3, 5, 2], batch=6, activation="tanh", loss="half_sse", reduction="sum", seed=2),
    "leaky-ce-float32": lambda: random_network([2, 4, 4, 3], batch=5, activation="leaky_relu", loss="cross_entropy",
                                               dtype="float32", seed=3, init="kaiming"),
}


@pytest.mark.parametrize("kind", NETWORKS)
def test_training_gives_the_bits_of_run_and_update_repeated(kind):
    net = NETWORKS[kind]()
    before = snapshot(net)
    result = train(net, 0.05, 23, every=5)  # chunks of 5 and a last one of 3
    losses, expected = reference(net, 0.05, 23)
    assert result.stopped is None and result.steps == 23
    assert same_bits(result.losses, losses.astype(net.dtype))
    assert_same_network(result.net, expected)
    assert all(same_bits(a, before[name]) for name, a in {**net.inputs(), "y": net.y}.items())  # net untouched


def test_training_resumes_where_it_stopped():
    net = preset("lesson")
    whole = train(net, 0.1, 250)
    first = train(net, 0.1, 170)
    rest = train(first.net, 0.1, 80)
    assert_same_network(rest.net, whole.net)
    assert same_bits(np.concatenate([first.losses, rest.losses[1:]]), whole.losses)


def test_an_update_is_w_minus_lr_times_w_g_and_never_changes_its_argument():
    net = preset("lesson")
    before = snapshot(net)
    p = run(net)
    new = update(net, p, 0.5)
    for name, a in net.parameters().items():
        assert same_bits(new.tensor(name), a - 0.5 * p.grads[name]), name
    assert same_bits(new.x, net.x) and same_bits(new.y, net.y)
    assert all(same_bits(a, before[name]) for name, a in {**net.inputs(), "y": net.y}.items())
    new.layers[0].w[0, 0] = 99.0
    assert net.layers[0].w[0, 0] == before["w1"][0, 0]  # the copy shares no array with the original


def test_float32_stays_float32():
    net = preset("mazur").astype("float32")
    result = train(net, np.float64(0.5), 3)  # a float64 learning rate does not turn the weights into float64
    assert result.losses.dtype == np.float32
    assert all(a.dtype == np.float32 for a in result.net.parameters().values())
    losses, expected = reference(net, 0.5, 3)
    assert same_bits(result.losses, losses) and same_bits(result.net.tensor("w1"), expected.tensor("w1"))


# Freezing


def test_frozen_parameters_keep_their_bits_and_the_rest_move():
    net = preset("lesson")
    result = train(net, 0.1, 20, frozen=["w1", "b2"])
    assert result.net.frozen == {"w1", "b2"}
    for name in ("w1", "b2"):
        assert same_bits(result.net.tensor(name), net.tensor(name))
    for name in ("b1", "w2"):
        assert not np.array_equal(result.net.tensor(name), net.tensor(name))
    assert same_bits(result.net.x, net.x) and same_bits(result.net.y, net.y)


def test_the_networks_own_frozen_set_is_the_default_and_can_be_overridden():
    mazur = preset("mazur")
    assert mazur.frozen == {"b1", "b2"}
    assert same_bits(train(mazur, 0.5, 5).net.tensor("b1"), mazur.tensor("b1"))
    unfrozen = train(mazur, 0.5, 5, frozen=[])
    assert unfrozen.net.frozen == frozenset() and not np.array_equal(unfrozen.net.tensor("b1"), mazur.tensor("b1"))


def test_everything_frozen_changes_nothing():
    net = preset("classifier")
    result = train(net, 1.0, 4, frozen=list(net.parameters()))
    assert_same_network(result.net, net)
    assert np.all(result.losses == result.losses[0])


@pytest.mark.parametrize(("frozen", "message"), [
    (["w3"], r"no parameter named 'w3'; its parameters are w1, b1, w2, b2"),
    (["x"], r"x is data, not a parameter"),
    (["y"], r"y is data, not a parameter"),
    (["out"], r"no parameter named 'out'"),
    ([3], r"3 is not the name of a tensor"),
])
def test_only_parameters_can_be_frozen(frozen, message):
    with pytest.raises(ValueError, match=message):
        train(preset("lesson"), 0.1, 1, frozen=frozen)


# Bad arguments


@pytest.mark.parametrize(("lr", "steps", "message"), [
    (0.0, 1, "above 0, not 0"), (-0.5, 1, "above 0, not -0.5"), (float("nan"), 1, "not nan"), (float("inf"), 1, "not inf"),
    ("0.5", 1, "must be a number"), (True, 1, "must be a number"), (0.1, -1, "from 0 to"), (0.1, MAX_STEPS + 1, "from 0 to"),
    (0.1, 1.5, "whole number"), (0.1, True, "whole number"),
])
def test_bad_learning_rates_and_step_counts_are_refused(lr, steps, message):
    with pytest.raises(ValueError, match=message):
        train(preset("lesson"), lr, steps)


def test_zero_steps_give_the_loss_before():
    net = preset("mazur")
    result = train(net, 0.5, 0)
    assert result.steps == 0 and result.stopped is None and same_bits(result.losses, np.array([run(net).loss]))
    assert_same_network(result.net, net)


# The guard: a step that would make a number infinite or nan is not kept


@pytest.mark.parametrize("every", [1, 7, 100])
def test_a_loss_that_overflows_stops_training_at_the_last_finite_state(every):
    net = preset("lesson")
    result = train(net, 3.0, 1000, every=every)
    assert result.stopped == ("step 220 would make the loss infinite (inf), so training stopped after 219 steps, "
                              "at the last finite state: the learning rate 3 is too large")
    losses, expected = reference(net, 3.0, 219)
    assert same_bits(result.losses, losses) and np.isfinite(result.losses).all()
    assert_same_network(result.net, expected)
    with np.errstate(all="ignore"):
        assert not np.isfinite(run(update(expected, run(expected), 3.0)).loss)  # the next step really overflows


def test_a_weight_that_overflows_is_named_with_its_cell():
    net = preset("neuron")
    result = train(net, 1e308, 5)
    assert result.stopped.startswith("step 1 would make w1[1,0] infinite (inf), so training stopped after 0 steps")
    assert result.steps == 0 and len(result.losses) == 1
    assert_same_network(result.net, net)


def test_a_gradient_that_overflows_is_named_with_its_cell():
    """x is so large that w1.g = x·out.g overflows while the loss, out², is still finite."""
    net = Network(np.array([[2e154]]), np.array([[0.0]]), [Linear(np.array([[5e-155]]), np.array([0.0]))],
                  frozen=frozenset({"b1"}))
    result = train(net, 1e-307, 500, every=30)
    assert result.stopped.startswith("step 81 would make w1.g[0,0] infinite (−inf), so training stopped after 80 steps")
    losses, expected = reference(net, 1e-307, 80)
    assert same_bits(result.losses, losses) and np.isfinite(result.losses).all()
    assert_same_network(result.net, expected)
    with np.errstate(all="ignore"):
        assert not np.isfinite(run(update(expected, run(expected), 1e-307)).grads["w1"]).all()


def test_a_network_that_starts_out_of_range_is_not_trained():
    net = Network(np.array([[1e160]]), np.array([[0.0]]), [Linear(np.array([[1e-10]]), np.array([0.0]))])
    result = train(net, 0.1, 10)
    assert result.stopped == "w1.g[0,0] is already infinite (inf) before any step, so there is nothing to train"
    assert result.steps == 0
    assert_same_network(result.net, net)


# Progress, cancelling, watching a cell


def test_progress_is_reported_and_a_cancelled_run_keeps_its_steps():
    net = preset("lesson")
    calls = []
    result = train(net, 0.1, 1000, every=100, progress=lambda *a: calls.append(a), cancelled=lambda: len(calls) == 3)
    assert [(done, total) for done, total, _ in calls] == [(100, 1000), (200, 1000), (300, 1000)]
    assert result.stopped == "cancelled after 300 of 1,000 steps" and result.steps == 300
    assert calls[-1][2] == result.losses[-1]
    assert_same_network(result.net, train(net, 0.1, 300).net)


def test_progress_reaches_the_end_and_a_last_short_chunk():
    calls = []
    train(preset("mazur"), 0.5, 250, every=100, progress=lambda *a: calls.append(a[:2]), cancelled=lambda: False)
    assert calls == [(100, 250), (200, 250), (250, 250)]


def test_a_watched_cell_is_kept_after_every_step():
    net = preset("lesson")
    result = train(net, 0.1, 40, watch=[("w1", (0, 3)), ("b2", (0,))], every=16)
    history = [net.tensor("w1")[0, 3]]
    for _ in range(40):
        net = update(net, run(net), 0.1)
        history.append(net.tensor("w1")[0, 3])
    assert same_bits(result.watched[("w1", (0, 3))], np.array(history))
    assert len(result.watched[("b2", (0,))]) == 41
    with pytest.raises(ValueError, match=r"w1\[3,0\] is not a cell of w1, which is 3×4"):
        train(net, 0.1, 1, watch=[("w1", (3, 0))])


# The stepper goes on into the update


def test_update_steps_read_the_parameter_and_its_gradient_and_write_the_parameter():
    net = preset("mazur")
    steps = update_steps(net, 0.5)
    assert [s.call for s in steps] == ["w1 -= lr * w1.g", "w2 -= lr * w2.g"]  # b1 and b2 are frozen
    assert [(s.reads, s.writes) for s in steps] == [(("w1", "w1.g"), ("w1",)), (("w2", "w2.g"), ("w2",))]
    assert [s.call for s in update_steps(net, 0.5, frozen=[])] == [f"{n} -= lr * {n}.g" for n in ("w1", "b1", "w2", "b2")]


def test_running_the_update_steps_after_the_backward_pass_gives_the_update():
    net = preset("lesson")
    before = snapshot(net)
    p = run(net)
    for step in update_steps(net, 0.5):
        step.run(p)
    expected = update(net, run(net), 0.5)
    for name in net.parameters():
        assert same_bits(p.values[name], expected.tensor(name)), name
        assert same_bits(net.tensor(name), before[name])  # the network's own arrays are never written


def test_one_updated_cell_is_written_out_with_the_learners_numbers():
    net = preset("lesson")
    p = run(net)
    e = explain_update(net, p, 0.5, "w1", (0, 3))
    assert e.text == "w1[0,3] = 0.3 − 0.5 × 0.2092 = 0.1954"
    assert e.value == update(net, p, 0.5).tensor("w1")[0, 3]
    assert e.line == "w1 -= lr * w1.g" and e.formula == "w1[0,3] − lr × w1.g[0,3]"
    assert e.step == len(backward_steps(net))  # the first step after the backward pass
    assert explain_update(net, p, 0.5, "b2", (0,)).step == len(backward_steps(net)) + 3
    negative = explain_update(net, p, 0.5, "b1", (0,))
    assert negative.terms == ("−0.2 − 0.5 × (−0.8844)",)
    with pytest.raises(KeyError, match="no step updates b1: it is frozen"):
        explain_update(preset("mazur"), run(preset("mazur")), 0.5, "b1", (0,))
    with pytest.raises(KeyError, match="only parameters are updated"):
        explain_update(net, p, 0.5, "x", (0, 0))


# The output over the input plane


@pytest.mark.parametrize("name", ["classifier", "neuron"])
def test_the_two_input_presets_draw_their_output_over_the_plane(name):
    net = preset(name)
    plane = output_plane(net, size=9)
    assert plane.x0.shape == plane.x1.shape == (9,) and plane.value.shape == (9, 9)
    assert plane.x0[0] < net.x[:, 0].min() and plane.x0[-1] > net.x[:, 0].max()
    assert plane.x1[0] < net.x[:, 1].min() and plane.x1[-1] > net.x[:, 1].max()
    # row r, column c is the point (x0[c], x1[r]): the network fed that one point
    for r, c in [(0, 0), (2, 7), (8, 3)]:
        point = np.array([[plane.x0[c], plane.x1[r]]])
        h = point
        for layer in net.layers:
            h = layer.forward(h)
        np.testing.assert_allclose(plane.out[r, c], h[0], rtol=1e-12, atol=1e-15)


def test_a_classifier_shows_the_predicted_class_and_its_probability():
    net = preset("classifier")
    plane = output_plane(net, size=16)
    scores = plane.out
    assert np.array_equal(plane.classes, scores.argmax(-1))
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(plane.value, p.max(-1), rtol=1e-12)
    assert (plane.value >= 1 / 3).all() and (plane.value <= 1).all()


def test_a_single_linear_unit_is_a_tilted_plane():
    net = preset("neuron")
    plane = output_plane(net, size=5, margin=0.0)
    assert plane.x0[0] == net.x[:, 0].min() and plane.x0[-1] == net.x[:, 0].max()
    (w0,), (w1,) = net.layers[0].w
    expected = w0 * plane.x0[None, :] + w1 * plane.x1[:, None] + net.layers[0].b[0]
    np.testing.assert_allclose(plane.value, expected, rtol=1e-12, atol=1e-12)
    assert plane.classes is None


def test_one_point_still_gets_a_plane_around_it():
    lo, hi = extent(preset("mazur").x, 0.5)  # one batch row: no spread, so a spread of 1 is used
    np.testing.assert_allclose(lo, [0.05 - 0.5, 0.10 - 0.5])
    np.testing.assert_allclose(hi, [0.05 + 0.5, 0.10 + 0.5])
    assert output_plane(preset("mazur"), size=3, output=1).value.shape == (3, 3)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("lesson", {}, "only for two inputs; this network has 3"),
    ("neuron", {"size": 1}, "from 2 to 1000 points"),
    ("neuron", {"margin": -1.0}, "from 0 up"),
    ("neuron", {"output": 1}, "1 output, numbered 0 to 0, so there is no output 1"),
])
def test_the_plane_refuses_what_it_cannot_draw(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        output_plane(preset(name), **kwargs)


# Frozen parameters in scenario files


def test_scenarios_keep_their_frozen_parameters():
    mazur = preset("mazur")
    data = to_dict(mazur)
    assert data["frozen"] == ["b1", "b2"]
    assert loads(dumps(mazur)).frozen == {"b1", "b2"}
    trained = train(preset("lesson"), 0.1, 3, frozen=["b2", "w1"]).net
    assert to_dict(trained)["frozen"] == ["w1", "b2"]  # in layer order
    assert loads(dumps(trained)).frozen == {"w1", "b2"}


def test_a_scenario_without_frozen_reads_and_writes_as_before():
    data = to_dict(preset("lesson"))
    assert "frozen" not in data and list(data)[-1] == "dtype"
    assert from_dict(data).frozen == frozenset()
    assert from_dict({**data, "frozen": []}).frozen == frozenset()


@pytest.mark.parametrize(("frozen", "message"), [
    ("b1", r'frozen must be a list of parameter names, such as \["b1", "b2"\]'),
    ([1], "frozen must be a list of parameter names"),
    (["b1", "b1"], 'frozen names "b1" twice'),
    (["w3"], "frozen: the network has no parameter named 'w3'; its parameters are w1, b1, w2, b2"),
    (["x"], "frozen: x is data, not a parameter"),
    (["l1"], "frozen: the network has no parameter named 'l1'"),
])
def test_a_bad_frozen_list_is_refused_with_one_sentence(frozen, message):
    with pytest.raises(ScenarioError, match=message):
        from_dict({**to_dict(preset("lesson")), "frozen": frozen})


def test_a_run_in_chunks_counts_its_steps_on_from_those_taken():
    """The panel trains in chunks, each a call; the guard's sentence counts the whole run's steps."""
    net = preset("lesson")
    first = train(net, 3.0, 200)
    rest = train(first.net, 3.0, 800, taken=200)
    assert rest.stopped == ("step 220 would make the loss infinite (inf), so training stopped after 219 steps, "
                            "at the last finite state: the learning rate 3 is too large")
    assert_same_network(rest.net, train(net, 3.0, 1000).net)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="steps taken before"):
            train(net, 0.1, 1, taken=bad)
