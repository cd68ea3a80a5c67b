"""Explain text: the formula behind a gradient cell, with the numbers put in."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab import backward_steps, explain, preset, random_network, run


@pytest.fixture
def lesson():
    net = preset("lesson")
    return net, run(net)


def test_bias_cell_is_a_sum_over_the_batch(lesson):
    net, p = lesson
    e = explain(net, p, "b1", (0,))
    assert e.target == "b1.g[0]"
    assert e.formula == "Σ_b l1.g[b,0]"
    assert len(e.terms) == net.batch  # one term per batch row: the sum(0)
    assert e.line == "b1.g = l1.g.sum(0)"
    assert "sum(0)" in e.note
    assert np.isclose(e.value, p.grads["l1"][:, 0].sum())
    assert e.text.startswith("b1.g[0] = Σ_b l1.g[b,0] = (")
    assert e.text.endswith(f"= {float(p.grads['b1'][0]):.4g}".replace("-", "−"))


def test_weight_cell_lists_each_rows_product(lesson):
    net, p = lesson
    e = explain(net, p, "w1", (2, 0))
    assert e.formula == "Σ_b x[b,2]·l1.g[b,0]"
    x, g = net.x[:, 2], p.grads["l1"][:, 0]
    assert e.terms[0] == f"({x[0]:.4g})({g[0] + 0.0:.4g})".replace("-", "−")
    assert np.isclose(e.value, (x * g).sum())
    assert "x.t() @ l1.g" in e.note and "(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)" in e.note


def test_input_cell_shows_the_transpose(lesson):
    net, p = lesson
    e = explain(net, p, "x", (1, 2))
    assert e.formula == "Σ_j l1.g[1,j]·w1[2,j]"
    assert e.line == "x.g = l1.g @ w1.t()"
    assert "column 2 of w1.t()" in e.note


def test_relu_cell_says_whether_the_unit_is_on(lesson):
    net, p = lesson
    e = explain(net, p, "l1", (0, 2))  # hidden unit 2 is off
    assert e.terms == ("0·(" + f"{float(p.grads['l2'][0, 2]) + 0.0:.4g}".replace("-", "−") + ")",)
    assert "off" in e.note and e.value == 0


def test_loss_cell_shows_the_divisor_that_averages_the_batch(lesson):
    net, p = lesson
    e = explain(net, p, "out", (0, 0))
    assert e.formula == "2·(out[0,0] − y[0,0]) / 4"
    assert "averaged" in e.note
    net.reduction = "sum"
    e = explain(net, run(net), "out", (0, 0))
    assert e.formula == "2·(out[0,0] − y[0,0]) / 1" and "summed" in e.note


def test_every_gradient_cell_names_the_step_that_wrote_it():
    for name in ("lesson", "mazur", "classifier", "neuron"):
        net = preset(name)
        p = run(net)
        steps = backward_steps(net)
        for tensor, g in p.grads.items():
            e = explain(net, p, tensor, (0,) * g.ndim)
            assert f"{tensor}.g" in steps[e.step].writes
            assert e.line in steps[e.step].code


def test_long_sums_are_shortened():
    net = random_network([3, 2], batch=30)
    e = explain(net, run(net), "b1", (0,))
    assert len(e.terms) == 30 and "more" in e.expansion and e.expansion.count("+") < 10


def worked_out(term: str) -> float:
    """A printed term worked out from its digits, independently of gradlab: only numbers and + − · / ( ) ² allowed."""
    python = term.replace("−", "-").replace("·", "*").replace(")(", ")*(").replace("²", "**2")
    assert re.fullmatch(r"[0-9e.+\-*/() ]+", python), term
    return float(eval(python, {"__builtins__": {}}))  # noqa: S307 (checked above: digits and operators only)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # shared machines are slow
@given(st.sampled_from([[3, 4, 1], [2, 3, 3], [4, 2], [2, 5, 4, 2]]), st.integers(1, 6),
       st.sampled_from(["relu", "sigmoid", "tanh", "leaky_relu"]), st.sampled_from(["mse", "half_sse", "cross_entropy"]),
       st.sampled_from(["float64", "float32"]), st.integers(0, 10_000), st.data())
def test_printed_terms_add_up_to_the_printed_total(sizes, batch, act, loss, dtype, seed, data):
    if loss == "cross_entropy":
        sizes = [*sizes[:-1], max(sizes[-1], 2)]
    net = random_network(sizes, batch=batch, activation=act, loss=loss, dtype=dtype, seed=seed)
    p = run(net)
    name = data.draw(st.sampled_from(sorted(p.grads)))
    index = tuple(data.draw(st.integers(0, n - 1)) for n in p.grads[name].shape)
    e = explain(net, p, name, index)
    if "≈" in e.text:  # the terms come near the total only: the total is written in full beside it
        exact = re.search(r"\(exactly (\S+)\)$", e.text).group(1).replace("−", "-")
        assert np.asarray(float(exact), p.grads[name].dtype) == p.grads[name][index]
        return
    printed_total = e.text.rsplit(" = ", 1)[1]
    total = sum(worked_out(term) for term in e.terms)
    assert f"{total + 0.0:.{e.digits}g}".replace("-", "−") == printed_total, e.text
    numbers = re.findall(r"\d[\d.]*", " ".join(e.terms) + " " + printed_total)
    assert max(len(n.replace(".", "").lstrip("0")) for n in numbers) <= e.digits  # one precision for all


def test_a_sum_that_needs_more_digits_gets_them():
    """The lesson's w1.g[0,1] = (−0.3)(0.13775): to four digits (−0.3)(0.1378) would give −0.04134, not −0.04133."""
    net = preset("lesson")
    e = explain(net, run(net), "w1", (0, 1))
    assert e.digits == 5 and e.text.endswith("(−0.3)(0.13775) + (0.9)(0) = −0.041325")


def test_a_total_the_terms_cannot_reach_is_marked_approximate():
    """Thirds never add up at any number of printed digits: the neuron's w1.g[0,0] sums terms of ±0.8333…."""
    net = preset("neuron")
    e = explain(net, run(net), "w1", (0, 0))
    assert not e.adds_up and e.text.endswith("≈ 0.6667 (exactly 0.6666666666666669)")
