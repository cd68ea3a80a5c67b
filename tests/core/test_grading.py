"""Your turn: grading a learner's backward lines, their diagnoses, the hidden networks, and the answers field."""

import json

import numpy as np
import pytest
from hypothesis import given, settings

from gradlab import PRESETS, ScenarioError, check, dumps, loads, preset, random_network, run
from gradlab.diagnosis import targets
from gradlab.grading import AnswersError, grade, read_answers, reference_answers
from gradlab.hidden_networks import hidden_networks
from gradlab.layers import ACTIVATIONS
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.scenario import MAX_ANSWERS, answers_from_dict, from_dict, to_dict
from tests.core.test_formulas import networks

LESSON = preset("lesson")


def equivalent_answers(net):
    """Right answers written differently from the app's own lines: what a learner might write."""
    answers = {}
    for t in targets(net):
        n = t.names
        if t.role == "weight":
            answers[t.name] = f"{n.inp}.t() @ {n.out}.g"
        elif t.role == "bias":
            answers[t.name] = f"{n.out}.g.sum(0, keepdim=True).squeeze(0)"
        elif t.role == "input":
            answers[t.name] = f"({n.out}.g.unsqueeze(1) * {n.w}.unsqueeze(0)).sum(-1)"
        elif t.role == "activation" and t.layer.kind == "relu":
            answers[t.name] = f"torch.where({n.inp} > 0, {n.out}.g, 0)"
        elif t.role == "activation" and t.layer.kind == "sigmoid":
            answers[t.name] = f"torch.sigmoid({n.inp}) * (1 - torch.sigmoid({n.inp})) * {n.out}.g"
        elif t.role == "loss" and net.loss == "mse":
            answers[t.name] = "(out - y) * 2 / (out.shape[0] * out.shape[1])" if net.reduction == "mean" else "2 * (out - y)"
        else:
            answers[t.name] = t.reference
    return answers


def one_slip(net, target, expression, **options):
    """The app's own lines with one of them replaced; the grade of that line."""
    answers = reference_answers(net)
    answers[target] = expression
    return grade(net, answers, **options)[target]


# -- right lines are right ------------------------------------------------------------------------------

def test_the_lessons_lines_are_its_reference_answers():
    assert reference_answers(LESSON) == {
        "out.g": "2. * (out - y) / out.numel()",
        "l2.g": "out.g @ w2.t()",
        "w2.g": "(l2.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0)",
        "b2.g": "out.g.sum(0)",
        "l1.g": "(l1 > 0).float() * l2.g",
        "x.g": "l1.g @ w1.t()",
        "w1.g": "(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)",
        "b1.g": "l1.g.sum(0)",
    }
    assert [t.role for t in targets(LESSON)] == ["loss", "input", "weight", "bias", "activation", "input", "weight", "bias"]


RANDOM = [random_network([3, 5, 4, 2], batch=4, activation=kind, loss=loss, reduction=reduction, seed=k)
          for k, (kind, loss, reduction) in enumerate(
              (kind, loss, reduction) for kind in ACTIVATIONS for loss in LOSSES for reduction in REDUCTIONS)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("net", [*(preset(name) for name in PRESETS), *RANDOM],
                         ids=lambda n: n.title or "net")
def test_reference_and_equivalent_lines_are_right_everywhere(net, dtype):
    net = net.astype(dtype)
    for answers in (reference_answers(net), equivalent_answers(net)):
        for true_inputs in (False, True):
            result = grade(net, answers, true_inputs=true_inputs)
            wrong = [(g.target, g.message) for g in result.grades if g.verdict != "right"]
            assert result.ok and not wrong, wrong
            assert all(len(g.hidden) >= 2 and all(h.verdict == "right" for h in g.hidden) for g in result.grades)


@settings(max_examples=40, deadline=None)
@given(networks())
def test_reference_lines_are_right_on_any_network(net):
    """Any layout (no activation between linear layers, batch 1, width 1), either dtype."""
    result = grade(net, reference_answers(net))
    assert result.ok, [(g.target, g.message) for g in result.grades if g.verdict != "right"]


def test_the_lesson_form_and_x_t_at_l1_g_are_both_right():
    for form in ("x.t() @ l1.g", "(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)", "(x.T @ l1.g)"):
        assert one_slip(LESSON, "w1.g", form).verdict == "right"


def test_a_float32_network_is_graded_within_float32_round_off_but_catches_a_tenth_of_a_percent():
    net = random_network([60, 50, 40, 10], batch=64, loss="cross_entropy", dtype="float32", seed=3, init="kaiming")
    assert grade(net, equivalent_answers(net), hidden=False).ok
    g = one_slip(net, "w1.g", "x.t() @ l1.g * 1.001", hidden=False)
    assert g.verdict == "wrong" and "1.001 times the right value" in g.message


def test_the_learners_right_gradient_is_what_finite_differences_measure():
    """What the inspector nudges against: the learner's own w1.g, cell by cell, against ΔL/Δε."""
    result = grade(LESSON, equivalent_answers(LESSON))
    numeric = check(LESSON).tensors
    for name in ("x", "w1", "b1", "w2", "b2"):
        yours = result.array(f"{name}.g")
        assert yours is not None and yours.shape == numeric[name].numeric.shape
        np.testing.assert_allclose(yours, numeric[name].numeric, atol=1e-6)


# -- cells ---------------------------------------------------------------------------------------------

def test_wrong_cells_are_marked_with_their_difference_and_the_worst_one():
    p = run(LESSON)
    g = one_slip(LESSON, "l1.g", "l2.g", true_inputs=True)
    off_and_reached = (p.values["l1"] <= 0) & (p.grads["l2"] != 0)
    assert g.cells.match.shape == p.grads["l1"].shape
    np.testing.assert_array_equal(g.cells.match, ~off_and_reached)
    np.testing.assert_allclose(g.cells.difference, p.grads["l2"] - p.grads["l1"])
    worst = np.unravel_index(np.argmax(np.abs(g.cells.difference)), g.cells.difference.shape)
    assert g.cells.worst == tuple(worst) and g.cells.right == p.grads["l1"][worst] == 0
    assert g.cells.yours == p.grads["l2"][worst] and g.cells.wrong == off_and_reached.sum()


def test_the_learners_array_is_readable_only_when_it_has_the_right_shape():
    answers = reference_answers(LESSON) | {"w1.g": "l1.g.t() @ x", "b1.g": "l1.g.sum(0) * 2"}
    result = grade(LESSON, answers, true_inputs=True)
    assert result.array("w1.g") is None and result["w1.g"].result.shape == (4, 3)
    np.testing.assert_allclose(result.array("b1.g"), 2 * run(LESSON).grads["b1"])


# -- the diagnoses: one slip each ------------------------------------------------------------------------

def test_transpose_of_the_right_shape():
    g = one_slip(LESSON, "w1.g", "l1.g.t() @ x")
    assert g.verdict == "wrong" and g.cells is None
    assert g.message.startswith("your w1.g came out 4×3, the transpose of w1's 3×4: ")
    assert g.message.endswith("so put x first: x.t() @ l1.g")


def test_transpose_of_a_square_weight():
    g = one_slip(preset("mazur"), "w1.g", "l1.g.t() @ x")
    assert "is the transpose of the right one (its shape only matches because w1 is square)" in g.message


def test_not_divided_by_out_numel():
    g = one_slip(LESSON, "out.g", "2. * (out - y)")
    assert g.message == "your out.g is 4 times too large: divide by out.numel(), the loss is averaged over every element of out"


def test_divided_by_the_batch_size_where_every_element_counts():
    net = random_network([3, 4, 3], batch=2, seed=5)
    g = one_slip(net, "out.g", "2. * (out - y) / out.shape[0]")
    assert g.message == ("your out.g is 3 times too large: divide by out.numel(), not out.shape[0]: "
                         "the loss is averaged over every element of out")


def test_averaged_over_the_batch_where_the_rows_add_up():
    g = one_slip(LESSON, "b1.g", "l1.g.mean(0)")
    assert g.message.startswith("your b1.g is 4 times too small: the batch rows' gradients add up: sum over the batch with .sum(0)")


def test_a_cross_entropy_not_divided_by_the_batch():
    g = one_slip(preset("classifier"), "out.g", "softmax(out) - one_hot(y)")
    assert g.message == "your out.g is 4 times too large: divide by out.shape[0], the loss is averaged over the batch"


def test_divided_although_the_loss_is_summed():
    net = random_network([3, 4, 2], batch=3, reduction="sum", seed=1)
    g = one_slip(net, "out.g", "2. * (out - y) / out.numel()")
    assert g.message == "your out.g is 6 times too small: the loss is summed over the batch, so nothing divides it"


def test_the_2_of_the_square():
    assert one_slip(LESSON, "out.g", "(out - y) / out.numel()").message == \
        "your out.g is half the right value: the derivative of (out − y)² is 2·(out − y), so keep the 2"
    assert "twice the right value: the ½ of ½ Σ (y − out)² cancels the 2" in \
        one_slip(preset("mazur"), "out.g", "2 * (out - y) / out.shape[0]").message


def test_no_sum_over_the_batch():
    g = one_slip(LESSON, "b1.g", "l1.g")
    assert "came out a 4×4 matrix, one row per batch row, where b1 is a vector of 4; sum over the batch: .sum(0)" in g.message
    g = one_slip(LESSON, "w1.g", "x.unsqueeze(-1) * l1.g.unsqueeze(1)")
    assert "came out a 4×3×4 tensor, one matrix per batch row" in g.message and "sum over the batch: .sum(0)" in g.message


def test_sum_over_the_wrong_axis():
    g = one_slip(LESSON, "w1.g", "(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(1)")
    assert g.message.startswith("your w1.g is summed over dim 1 (the inputs) instead of over the batch")
    assert g.message.endswith("sum over dim 0, the batch rows: .sum(0)")
    g = one_slip(LESSON, "b1.g", "l1.g.sum(1)")  # a vector of 4 like b1, because the batch is 4 too
    assert g.cells is not None and "summed over dim 1 (across each row) instead of over the batch" in g.message
    assert "summed over every dimension" in one_slip(LESSON, "b1.g", "l1.g.sum()").message


def test_missing_relu_mask():
    g = one_slip(LESSON, "l1.g", "l2.g")
    assert g.message == ("your l1.g is right where the ReLU is on but wrong where it is off (l1 ≤ 0): an off unit passes "
                         "no gradient, so multiply by the mask (l1 > 0).float()")


def test_missing_leaky_slope():
    net = random_network([3, 5, 2], batch=4, activation="leaky_relu", seed=2)
    g = one_slip(net, "l1.g", "(l1 > 0).float() * l2.g")
    assert "wrong where it is off (l1 ≤ 0): there it passes only 0.01 of l2.g" in g.message


def test_wrong_only_where_the_relu_is_on():
    g = one_slip(LESSON, "l1.g", "(l1 > 0).float()")
    assert g.message.startswith("your l1.g is right where the ReLU is off but wrong where it is on (l1 > 0)")


def test_sign_flipped():
    assert one_slip(LESSON, "out.g", "2. * (y - out) / out.numel()").message == \
        "your out.g has the wrong sign in every cell: the loss's gradient with respect to out goes with (out − y), not (y − out)"
    assert one_slip(LESSON, "w1.g", "-(x.t() @ l1.g)").message.startswith("your w1.g has the wrong sign in every cell")


def test_broadcast_to_a_bigger_shape():
    g = one_slip(LESSON, "out.g", "2. * (out - y.squeeze()) / out.numel()")
    assert g.message.startswith("your out.g came out a 4×4 matrix, bigger than out (a 4×1 matrix): two tensors of "
                                "different shapes were broadcast into a bigger one")


def test_an_extra_dimension_with_the_right_numbers():
    g = one_slip(LESSON, "b1.g", "l1.g.sum(0, keepdim=True)")
    assert g.message.startswith("the numbers of your b1.g are right, but it came out a 1×4 matrix where b1 is a vector of 4")


def test_at_a_relu_kink():
    data = json.loads(dumps(LESSON))
    data["x"][0] = [0.0, 0.0, 0.0]
    data["layers"][0]["b"] = [0.0, 0.0, 0.0, 0.0]  # row 0 reaches the ReLU as exactly 0
    g = one_slip(from_dict(data), "l1.g", "(l1 >= 0).float() * l2.g")
    assert g.message.startswith("your l1.g is wrong only where l1 is exactly 0, at the ReLU's kink")
    assert g.message.endswith("so test l1 > 0, not l1 >= 0")


def test_when_no_slip_fits_it_says_where():
    p = run(LESSON)
    g = one_slip(LESSON, "w1.g", "x.t() @ l1.g + x.t() @ l1.g ** 2")
    at = g.cells.worst
    assert g.message.startswith(f"your w1.g is wrong in {g.cells.wrong} of 12 cells; the worst is w1.g[{at[0]},{at[1]}]: ")
    assert g.cells.right == p.grads["w1"][at]


def test_a_right_line_after_a_wrong_one_is_told_so_and_the_switch_grades_it_alone():
    answers = reference_answers(LESSON) | {"out.g": "2. * (out - y)"}
    own = grade(LESSON, answers)
    assert own["l2.g"].verdict == "wrong" and own["l2.g"].alone and own["l2.g"].inherits == ("out.g",)
    assert own["l2.g"].message.startswith("this line is right, but it reads your out.g, which is wrong")
    np.testing.assert_allclose(own["l2.g"].result, 4 * run(LESSON).grads["l2"])  # the mistake passed on
    alone = grade(LESSON, answers, true_inputs=True)
    assert [g.verdict for g in alone.grades] == ["wrong"] + ["right"] * 7


def test_a_wrong_line_after_a_wrong_one_is_diagnosed_on_the_true_inputs():
    answers = reference_answers(LESSON) | {"out.g": "2. * (out - y)", "l1.g": "l2.g"}
    g = grade(LESSON, answers)["l1.g"]
    assert "multiply by the mask (l1 > 0).float()" in g.message and g.message.endswith("(it also reads your l2.g, which is wrong)")


# -- right here, wrong on the hidden networks ----------------------------------------------------------------

def test_right_at_a_batch_of_4_wrong_at_a_batch_of_1():
    g = one_slip(LESSON, "b1.g", "l1.g.squeeze().sum(0)")
    assert g.right_here and g.cells.match.all() and g.verdict == "wrong"
    assert g.message.startswith("right here, but wrong when the batch has 1 row: your b1.g is summed over every dimension")
    assert [h.verdict for h in g.hidden] == ["wrong", "right", "right"]


def test_right_with_one_output_wrong_with_three():
    g = one_slip(LESSON, "out.g", "2. * (out - y) / out.shape[0]")
    assert g.right_here and g.verdict == "wrong"
    assert g.message == ("right here, but wrong with widths 5 → 7 → 3 and a batch of 2: your out.g is 3 times too large: "
                         "divide by out.numel(), not out.shape[0]: the loss is averaged over every element of out")


def test_right_here_but_the_relu_kink_catches_greater_or_equal():
    g = one_slip(LESSON, "l1.g", "torch.where(l1 < 0, 0, 1) * l2.g")
    assert g.right_here and g.message.startswith("right here, but wrong when a ReLU's input is exactly 0")


def test_a_hard_coded_batch_size_is_caught():
    g = one_slip(LESSON, "out.g", "2. * (out - y) / 4")
    assert g.right_here and g.message.startswith("right here, but wrong when the batch has 1 row: your out.g is 4 times too small")


def test_a_line_right_alone_but_not_on_a_hidden_network_says_so_after_a_wrong_one():
    answers = reference_answers(LESSON) | {"out.g": "2. * (out - y)", "b1.g": "l1.g.squeeze().sum(0)"}
    g = grade(LESSON, answers)["b1.g"]
    assert g.alone and g.verdict == "wrong" and g.inherits == ("l1.g",)
    assert g.message.startswith("with the true l1.g this line is right here, but wrong when the batch has 1 row: ")


def test_a_line_that_cannot_be_worked_out_on_a_hidden_network():
    g = one_slip(LESSON, "x.g", "l1.g @ w1.t().view(4, 3)")
    assert g.right_here and g.verdict == "wrong"
    assert g.message.startswith("right here, but it can't be worked out with widths 5 → 7 → 3 and a batch of 2: ")


def test_hidden_networks_are_deterministic_and_keep_the_layout():
    nudged = LESSON.copy()
    nudged.x[0, 0] += 1.0
    first, again = hidden_networks(LESSON), hidden_networks(nudged)
    assert [h.label for h in first] == ["a batch of 1 row", "odd widths (5 → 7 → 3, batch 2)", "inputs at a ReLU kink"]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.net.x, b.net.x)
        assert [layer.kind for layer in a.net.layers] == [layer.kind for layer in LESSON.layers]
        assert (a.net.loss, a.net.reduction, a.net.dtype) == (LESSON.loss, LESSON.reduction, LESSON.dtype)
    kink = first[2]
    assert (kink.p.values["l1"][0] == 0).all()
    assert len(hidden_networks(preset("mazur"))) == 2  # sigmoids have no kink


# -- refused, waiting, missing ---------------------------------------------------------------------------

def test_a_refused_line_has_the_evaluators_sentence_and_caret():
    g = one_slip(LESSON, "b1.g", "l1.g.sum(0")
    assert g.verdict == "refused" and g.message == "this ( is never closed"
    assert g.caret == "l1.g.sum(0\n        ^"


@pytest.mark.parametrize(("line", "message", "column"), [
    ("w1.g", "x.g can't use w1.g: the backward pass computes w1.g in the same step as x.g; "
             "it may use out.g, l2.g, w2.g, b2.g and l1.g", 0),
    ("b1.g + l1.g", "x.g can't use b1.g: the backward pass computes b1.g in the same step as x.g", 0),
    ("l1.g @ w1.t() + 0 * x.g", "x.g can't be worked out from itself", 20),
    ("y.g", "y.g is never computed: the backward pass sets out.g, l2.g", 0),
])
def test_a_line_reads_only_the_gradients_computed_before_it(line, message, column):
    g = one_slip(LESSON, "x.g", line, true_inputs=True)
    assert g.verdict == "refused" and g.message.startswith(message) and g.error.offset == column


def test_out_g_reads_no_gradient():
    assert one_slip(LESSON, "out.g", "l2.g").message.endswith("out.g comes first and uses no other .g")


def test_waiting_for_a_missing_or_refused_line():
    answers = reference_answers(LESSON)
    del answers["out.g"]
    result = grade(LESSON, answers)
    assert result["out.g"].verdict == "missing" and result.missing == ["out.g"]
    assert result["l2.g"].verdict == "waiting" and result["l2.g"].message == "waiting for out.g: write its line first"
    assert result["l1.g"].message == "waiting for l2.g: its line is waiting too, for out.g"
    assert not result.ok
    answers["out.g"] = "out -"
    assert grade(LESSON, answers)["b2.g"].message == "waiting for out.g: its line can't be worked out yet"
    assert all(g.verdict in ("right", "refused") for g in grade(LESSON, answers, true_inputs=True).grades)


def test_a_shape_problem_from_an_earlier_line():
    answers = reference_answers(LESSON) | {"out.g": "2. * (out - y.squeeze()) / out.numel()"}
    g = grade(LESSON, answers)["l2.g"]
    assert g.verdict == "refused"
    assert g.message.endswith("; with the true out.g this line works, so the shape of your out.g is the problem")


def test_a_line_for_a_gradient_the_network_does_not_have():
    result = grade(LESSON, reference_answers(LESSON) | {"w3.g": "x"})
    assert result["w3.g"].verdict == "refused" and not result.ok
    assert result["w3.g"].message.startswith("this network has no w3.g to write; its backward lines set out.g, l2.g")


def test_blank_answers_are_missing():
    result = grade(LESSON, reference_answers(LESSON) | {"w1.g": "   "})
    assert result["w1.g"].verdict == "missing" and result.missing == ["w1.g"]


# -- a text file of answers -------------------------------------------------------------------------------

def test_read_answers_skips_blanks_and_comments():
    text = "# my pass\n\nout.g = 2. * (out - y) / out.numel()\n  # indented comment\r\nw1.g=x.t() @ l1.g\n"
    assert read_answers(text) == {"out.g": "2. * (out - y) / out.numel()", "w1.g": "x.t() @ l1.g"}


@pytest.mark.parametrize(("text", "message"), [
    ("out.g = 1\nprint('hi')\n", "line 2: a backward line starts with the gradient it sets, like w1.g = …"),
    ("\n\nw1.g =\n", "line 3: write what w1.g equals after the ="),
    ("w1.g = x\n# again\nw1.g = x.t()\n", "line 3 sets w1.g again; line 1 already set it"),
    ("".join(f"w{k}.g = x\n" for k in range(MAX_ANSWERS + 1)), f"line {MAX_ANSWERS + 1}: there are more than {MAX_ANSWERS}"),
])
def test_read_answers_refuses_with_the_line_number(text, message):
    with pytest.raises(AnswersError) as e:
        read_answers(text)
    assert str(e.value).startswith(message)


# -- the scenario's "answers" field ---------------------------------------------------------------------

def test_answers_round_trip_through_a_scenario_file():
    answers = {"out.g": "2. * (out - y) / out.numel()", "w1.g": "x.t() @ l1.g", "b1.g": ""}
    text = dumps(LESSON, answers)
    data = json.loads(text)
    assert answers_from_dict(data) == answers
    net = loads(text)
    np.testing.assert_array_equal(net.x, LESSON.x)


def test_files_without_answers_open_and_save_unchanged():
    data = to_dict(LESSON)
    assert "answers" not in data and answers_from_dict(data) == {}
    assert dumps(LESSON) == dumps(LESSON, {}) and data["gradlab"] == 1


BAD_ANSWERS = {
    "a list": (["w1.g = x"], 'answers must be an object of backward lines, such as {"w1.g": "x.t() @ l1.g"}'),
    "a bad key": ({"w1": "x"}, 'answers has the key "w1", but each key names a gradient, such as "w1.g"'),
    "a hidden key": ({"__class__.g": "x"}, 'answers has the key "__class__.g"'),
    "a number": ({"w1.g": 3}, 'answers["w1.g"] is 3, but it must be text: the right side of w1.g = …'),
    "too long": ({"w1.g": "x" * 2001}, 'answers["w1.g"] is 2,001 characters long; the most is 2,000'),
    "too many": ({f"w{k}.g": "x" for k in range(MAX_ANSWERS + 1)}, f"answers has {MAX_ANSWERS + 1} lines, more than the {MAX_ANSWERS}"),
}


@pytest.mark.parametrize("case", BAD_ANSWERS)
def test_bad_answers_are_refused_with_one_sentence(case):
    value, message = BAD_ANSWERS[case]
    data = to_dict(LESSON) | {"answers": value}
    for read in (answers_from_dict, from_dict):
        with pytest.raises(ScenarioError) as e:
            read(data)
        assert str(e.value).startswith(message) and "\n" not in str(e.value)
    with pytest.raises(ScenarioError):
        to_dict(LESSON, value) if isinstance(value, dict) else to_dict(LESSON, {"w1": "x"})
