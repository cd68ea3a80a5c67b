"""The live sheet the app views: typed numbers, validated edits, what it tells its subscribers, stepping."""

import re

import numpy as np
import pytest

from gradlab import preset, run
from gradlab.session import Session
from gradlab.sheet import EditError, Sheet, parse_number


@pytest.mark.parametrize(("text", "value"), [("1.5", 1.5), (" −2.25 ", -2.25), ("1e-3", 1e-3), ("-0", -0.0), ("7", 7.0)])
def test_numbers_as_people_type_them(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(("text", "message"), [("abc", "“abc” is not a number"), ("1,5", "has a comma"), ("", "is not a number")])
def test_text_that_is_not_a_number(text, message):
    with pytest.raises(EditError, match=message):
        parse_number(text)


def test_an_edit_recomputes_and_returns_what_it_replaced():
    sheet = Sheet(preset("lesson"))
    heard = []
    sheet.subscribe(heard.append)
    old = sheet.set_cell("w1", (0, 1), 0.25)
    assert old == -0.6
    net = preset("lesson")
    net.layers[0].w[0, 1] = 0.25
    assert sheet.p.loss == run(net).loss
    assert [(c.kind, c.tensor, c.top_left, c.shape) for c in heard] == [("values", "w1", (0, 1), (1, 1))]


@pytest.mark.parametrize(
    ("name", "top_left", "block", "message"),
    [
        ("x", (3, 2), np.ones((2, 1)), "a 2×1 block at x[3,2] does not fit in x, which is 4×3"),
        ("l1", (0, 0), np.ones((1, 1)), "l1 is computed by the network and cannot be edited"),
        ("x", (0, 0), np.array([[1.0, np.nan]]), "x[0,1] must be a finite number"),
        ("b1", (0,), np.ones((1, 1)), "b1 has 1 dimension, not 2"),
    ],
)
def test_a_bad_block_changes_nothing(name, top_left, block, message):
    sheet = Sheet(preset("lesson"))
    before = {k: v.copy() for k, v in sheet.net.inputs().items()}
    with pytest.raises(EditError, match=re.escape(message)):
        sheet.set_cells(name, top_left, block)
    for k, v in sheet.net.inputs().items():
        assert v.tobytes() == before[k].tobytes()


def test_class_targets_take_class_indices_only():
    sheet = Sheet(preset("classifier"))
    with pytest.raises(EditError, match="whole numbers from 0 to 2; 1.5 is not one"):
        sheet.set_cell("y", (0,), 1.5)
    sheet.set_cell("y", (0,), 2)
    assert sheet.net.y[0] == 2


def test_stepping_hides_what_has_not_run():
    sheet = Session(Sheet(preset("mazur")))
    assert sheet.computed("w1.g")
    sheet.set_step(0)
    assert not sheet.computed("out.g")
    sheet.set_step(1)
    assert sheet.computed("out.g") and not sheet.computed("l3.g")
    with pytest.raises(EditError, match="there is no step 9"):
        sheet.set_step(9)
    sheet.sheet.replace(preset("neuron"))  # fewer steps: the step shrinks to fit
    assert sheet.step == 1


def test_inspecting_only_what_can_be_nudged():
    session = Session(Sheet(preset("lesson")))
    session.inspect("w2", (3, 0))
    assert session.derived.nudge(1e-3).analytic == session.sheet.p.grads["w2"][3, 0]
    with pytest.raises(EditError, match="only a cell of x, a w or a b can be inspected"):
        session.inspect("out", (0, 0))
    session.sheet.replace(preset("neuron"))  # w2 is gone: nothing is inspected
    assert session.inspected is None


def test_the_loss_curve_and_its_tangent_meet_at_the_cell():
    session = Session(Sheet(preset("mazur")))
    session.inspect("w2", (0, 0))
    values, losses = session.derived.loss_curve(0.1, 11)
    tangent = session.derived.tangent(values)
    assert values[5] == session.sheet.net.layers[2].w[0, 0] and losses[5] == session.sheet.p.loss == tangent[5]
    assert (tangent[-1] - tangent[0]) / (values[-1] - values[0]) == pytest.approx(0.082167041, abs=1e-9)
    gap = np.abs(losses - tangent)  # curve and tangent part to second order: a fifth of the step, a 25th of the gap
    assert gap[6] < gap[-1] / 15
