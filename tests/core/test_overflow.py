"""An edit that would make a value, the loss or a gradient non-finite is refused, and nothing changes."""

import warnings

import numpy as np
import pytest

from gradlab import preset, run
from gradlab.overflow import first_non_finite, quiet_run
from gradlab.sheet import EditError, Sheet


def snapshot(sheet):
    return ({k: v.copy() for k, v in sheet.net.inputs().items()}, sheet.net.y.copy(), sheet.p)


def assert_unchanged(sheet, before):
    tensors, y, p = before
    for name, value in sheet.net.inputs().items():
        np.testing.assert_array_equal(value, tensors[name], strict=True)
    np.testing.assert_array_equal(sheet.net.y, y, strict=True)
    assert sheet.p is p


def test_1e200_in_a_weight_is_refused_with_one_sentence_and_nothing_changes():
    sheet = Sheet(preset("lesson"))
    heard = []
    sheet.subscribe(heard.append)
    before = snapshot(sheet)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        with pytest.raises(EditError) as refused:
            sheet.set_cell("w1", (0, 0), 1e200)
    assert str(refused.value) == "w1[0,0] = 1e200 makes the loss overflow float64; w1[0,0] keeps 0.4"
    assert_unchanged(sheet, before)
    assert heard == []


def test_the_first_cell_that_overflows_is_named():
    sheet = Sheet(preset("lesson"))
    before = snapshot(sheet)
    with pytest.raises(EditError, match=r"^w1\[2,0\] = 1\.7e308 makes l1\[2,0\] overflow float64; w1\[2,0\] keeps 0\.6$"):
        sheet.set_cell("w1", (2, 0), 1.7e308)  # x[2,2] = 1.1 times it is past float64's largest, 1.8e308
    assert_unchanged(sheet, before)


def test_a_pasted_block_and_float32_and_targets_are_refused_too():
    sheet = Sheet(preset("mazur").astype("float32"))
    before = snapshot(sheet)
    with pytest.raises(EditError, match=r"^the 1×2 block at y\[0,0\] makes the loss overflow float32; y keeps its values$"):
        sheet.set_cells("y", (0, 0), np.array([[1e20, 1e20]]))
    with pytest.raises(EditError, match=r"^y\[0,1\] = 1e\+?30 makes the loss overflow float32; y\[0,1\] keeps 0\.99$"):
        sheet.set_cell("y", (0, 1), 1e30)
    assert_unchanged(sheet, before)


def test_a_large_but_harmless_edit_still_goes_through():
    sheet = Sheet(preset("mazur"))
    sheet.set_cell("w1", (0, 0), 1e100)  # the sigmoid saturates: every value stays finite
    assert np.isfinite(sheet.p.loss) and sheet.net.layers[0].w[0, 0] == 1e100


def test_first_non_finite_checks_a_whole_network_for_loaders():
    net = preset("classifier")
    assert first_non_finite(net) is None
    net.x[0, 0] = 1e308
    net.layers[0].w[0, 0] = 10.0
    assert first_non_finite(net) == "l1[0,0] overflows float64"
    net = preset("neuron")
    net.layers[0].w[:] = 1e300
    net.x[:] = 1e10
    assert first_non_finite(net, quiet_run(net)).endswith("overflows float64")
    assert first_non_finite(preset("neuron"), run(preset("neuron"))) is None
