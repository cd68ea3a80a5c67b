"""One nudge's round-off bounds, worked out for its own cell instead of for every cell of the network."""

import numpy as np
import pytest

from gradlab import preset, random_network, run
from gradlab.finite_diff import nudge
from gradlab.roundoff import cell_roundoff, roundoff


@pytest.mark.parametrize("loss", ["mse", "half_sse", "cross_entropy"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_cells_bounds_are_the_whole_networks(loss, dtype):
    net = random_network([6, 5, 4, 3], batch=7, activation="tanh", loss=loss, dtype=dtype, seed=2)
    p = run(net)
    whole = roundoff(net, p)
    for name, tensor in net.inputs().items():
        for index in map(tuple, np.argwhere(np.ones(tensor.shape, bool))):
            bounds, cell = cell_roundoff(net, p, name, index)
            assert (bounds.unit, bounds.loss, bounds.per_loss) == (whole.unit, whole.loss, whole.per_loss)
            expected = float(whole.grads[name][index])
            if name.startswith("b"):
                assert cell == expected  # the same sum(0)
            else:  # the same sum, added in another order
                assert cell == pytest.approx(expected, rel=1e-13, abs=0)


def test_a_nudge_reads_its_cells_bound():
    net = preset("lesson")
    p = run(net)
    n = nudge(net, "w1", (1, 2), 1e-3, p)
    assert n.analytic_noise == pytest.approx(float(roundoff(net, p).grads["w1"][1, 2]), rel=1e-13)
    assert n.noise == pytest.approx(float(roundoff(net, p).difference(max(abs(n.loss), abs(n.loss_plus), abs(n.loss_minus)))))
