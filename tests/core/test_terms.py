"""A long sum's terms: written only when read, worked out as printed for all of them at once."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab import explain, random_network, run
from gradlab.explain import MAX_TERMS, evaluate
from gradlab.terms import Terms, printed
from gradlab.text import digits, fmt


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50), st.integers(1, 12))
def test_printed_is_what_the_text_reads_back_as(values, places):
    a = np.array(values)
    with digits(places):
        expected = np.array([float(fmt(v).replace("−", "-")) for v in values])
    found = printed(a, places)
    assert np.array_equal(found, expected, equal_nan=True) and not (np.signbit(found) & (found == 0)).any()


@pytest.mark.parametrize("places", [4, 5, 8])
def test_printed_near_halfway_and_near_powers_of_ten(places):
    """Where a shortcut would round the wrong way: exact ties, a hair either side of them, powers of ten."""
    ties = np.array([0.125, 0.0625, 2.5, 1.5e-3, 999.95, 9.99995, 0.00099999999, 99999.5, 1e22, 1e23, 1e-22, 5e-324])
    near = np.concatenate([ties, np.nextafter(ties, 0), np.nextafter(ties, np.inf)])
    powers = 10.0 ** np.arange(-30, 31)
    a = np.concatenate([near, -near, powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf)])
    assert np.array_equal(printed(a, places), [float(f"{v:.{places}g}") for v in a])


def test_terms_are_written_when_read_and_compare_as_their_text():
    terms = Terms(np.array([0.3, -0.12345]), np.array([2.0, 1 / 3]), places=4)
    assert len(terms) == 2 and terms[1] == "(−0.1235)(0.3333)" and terms[-1] == terms[1]
    assert terms == ("(0.3)(2)", "(−0.1235)(0.3333)") and list(terms[:1]) == ["(0.3)(2)"]
    assert terms.at(6)[1] == "(−0.12345)(0.333333)"
    assert terms.printed(4).tolist() == [evaluate(t) for t in terms]
    with pytest.raises(IndexError):
        terms[2]


def test_a_sum_over_a_large_batch_shows_its_first_terms_and_the_last():
    net = random_network([5, 3, 1], batch=20_000, dtype="float32", seed=1)
    p = run(net)
    e = explain(net, p, "w1", (4, 2))
    assert len(e.terms) == 20_000
    shown = e.expansion.split(" + ")
    assert len(shown) == MAX_TERMS and shown[MAX_TERMS - 2] == f"… {20_000 - MAX_TERMS + 1} more …"
    with digits(e.digits):
        assert shown[0] == f"({fmt(net.x[0, 4])})({fmt(p.grads['l1'][0, 2])})"
        assert shown[-1] == f"({fmt(net.x[-1, 4])})({fmt(p.grads['l1'][-1, 2])})"
    assert e.adds_up == (f"{sum(evaluate(t) for t in e.terms) + 0.0:.{e.digits}g}" == f"{e.value + 0.0:.{e.digits}g}")
