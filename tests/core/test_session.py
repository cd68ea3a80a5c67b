"""The session: one home for each fact the app shows besides the network, each change announced once."""

import math

import pytest

from gradlab import preset, reshape
from gradlab.errors import EditError
from gradlab.session import LR_DEFAULT, MAX_ANSWER, Session
from gradlab.sheet import Sheet
from gradlab.train import train
from gradlab.watch import LOSS, Watched


@pytest.fixture
def session():
    return Session(Sheet(preset("lesson")))


def heard(session):
    kinds = []
    session.subscribe(lambda change: kinds.append(change.kind))
    return kinds


def test_selecting_a_cell_inspects_it_or_explains_its_gradient(session):
    kinds = heard(session)
    session.select("w1", (0, 3))
    assert session.inspected == ("w1", (0, 3)) and session.explained == ("w1", (0, 3))
    session.select("l1.g", (1, 2))
    assert session.inspected == ("w1", (0, 3)) and session.explained == ("l1", (1, 2))
    session.select("y", (0, 0))  # remembered only
    assert session.selected == ("y", (0, 0)) and session.explained == ("l1", (1, 2))
    session.select("b1", (2,))  # a new inspected cell has its own gradient explained again
    assert session.explained == ("b1", (2,))
    assert kinds == ["selected", "inspected", "selected", "explained", "selected", "selected", "inspected"]


def test_every_setter_checks_first_and_announces_only_a_change(session):
    kinds = heard(session)
    with pytest.raises(EditError, match="positive finite"):
        session.set_eps(0)
    with pytest.raises(EditError, match="no step 9"):
        session.set_step(9)
    with pytest.raises(EditError, match=r"has 8 steps \(4 of the backward pass, then 4 updates\)"):
        session.set_step(-1)
    with pytest.raises(EditError, match="scheme"):
        session.set_scheme("sideways")
    with pytest.raises(EditError, match="outside l1.g"):
        session.explain("l1", (9, 9))
    session.set_eps(session.eps)
    session.set_lr(session.lr)
    assert kinds == [] and session.eps == 1e-3 and session.lr == LR_DEFAULT
    session.set_eps(1e-6)
    session.set_step(2)
    session.set_lr(0.05)
    assert kinds == ["eps", "step", "lr"]


def test_a_new_network_drops_what_no_longer_exists(session):
    session.inspect("w2", (3, 0))
    session.watch("l2[1,3]")
    session.set_step(8)  # 4 calls of the backward pass, then 4 updates
    session.select("w2", (3, 0))
    session.sheet.replace(preset("neuron"))  # one layer: no w2, no l2, two calls and two updates
    assert session.inspected is None and session.watched == LOSS and session.step == 4 and session.selected is None


def test_a_watched_cell_must_be_computed(session):
    session.watch("out[1,0]")
    assert session.watched == Watched("out", (1, 0))
    session.watch("loss[2]")
    assert session.watched == Watched("loss", (2,))
    for bad, says in (("x[0,0]", "input"), ("l1[9,0]", "l1"), ("q", "q"), ("loss[7]", "row")):
        with pytest.raises(EditError, match=says):
            session.watch(bad)
    session.watch(None)
    assert session.watched == LOSS


def test_training_history_grows_with_steps_and_shrinks_with_undo(session):
    kinds = heard(session)
    net = session.sheet.net
    done = train(net, 0.1, 3)
    session.trained(net, done.losses)
    session.trained(done.net, train(done.net, 0.1, 2).losses)
    assert session.history.steps == 5 and session.history.start.tensor("w1").tobytes() == net.tensor("w1").tobytes()
    session.untrained(2)
    assert session.history.steps == 3
    session.untrained(3)
    assert session.history is None
    assert kinds == ["history"] * 4
    session.trained(net, done.losses)
    session.sheet.set_cell("x", (0, 0), 1.0)  # an edit keeps the steps taken
    assert session.history.steps == 3
    session.sheet.replace(reshape.add_input(session.sheet.net))  # another shape: those steps were on another network
    assert session.history is None


def test_the_learners_lines_live_here(session):
    kinds = heard(session)
    assert session.set_answer("w1.g", "  x.t() @ l1.g ") == ""
    assert session.answers == {"w1.g": "x.t() @ l1.g"}
    assert session.set_answer("w1.g", "") == "x.t() @ l1.g" and session.answers == {}
    with pytest.raises(EditError, match="characters long"):
        session.set_answer("b1.g", "x" * (MAX_ANSWER + 1))
    assert session.set_answers({"b1.g": "l1.g.sum(0)"}) == {} and session.answers == {"b1.g": "l1.g.sum(0)"}
    session.set_true_inputs(True)
    session.set_hide_true(True)
    assert session.true_inputs and session.hide_true
    assert kinds == ["answers"] * 5


def test_the_history_keeps_each_watched_cells_value_beside_the_losses(session):
    net = session.sheet.net
    first = train(net, 0.1, 3, watch=[("w1", (0, 0))])
    session.trained(net, first.losses, first.watched)
    assert session.history.watched == {("w1", (0, 0)): tuple(first.watched[("w1", (0, 0))])}
    second = train(first.net, 0.1, 2, watch=[("w2", (1, 0))])  # another cell inspected for the next run
    session.trained(first.net, second.losses, second.watched)
    history = session.history
    w1, w2 = history.watched[("w1", (0, 0))], history.watched[("w2", (1, 0))]
    assert len(w1) == len(w2) == len(history.losses) == 6
    assert w1[:4] == tuple(first.watched[("w1", (0, 0))]) and all(math.isnan(v) for v in w1[4:])
    assert all(math.isnan(v) for v in w2[:3]) and w2[3:] == tuple(second.watched[("w2", (1, 0))])  # the gap closes at the run's start
    session.untrained(2)
    kept = session.history.watched
    assert kept[("w1", (0, 0))] == tuple(first.watched[("w1", (0, 0))])
    assert kept[("w2", (1, 0))][3] == second.watched[("w2", (1, 0))][0]  # its value before the undone run is still known
    session.untrained(1)
    assert ("w2", (1, 0)) not in session.history.watched  # nothing of it is left
    with pytest.raises(ValueError, match="one per loss"):
        session.trained(net, first.losses, {("w1", (0, 0)): [1.0]})


def test_the_first_weight_is_where_the_lesson_starts(session):
    session.inspect_first_weight()
    assert session.inspected == ("w1", (0, 0))
