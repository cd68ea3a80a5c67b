"""Scenario files: round trips, and one clear sentence for every way a file can be wrong."""

import copy
import json

import numpy as np
import pytest

from gradlab import PRESETS, ScenarioError, dumps, load, loads, preset, random_network, run, save
from gradlab.scenario import from_dict


def good():
    return copy.deepcopy(PRESETS["lesson"])


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_save_then_load_is_bit_for_bit(tmp_path, name, dtype):
    net = preset(name).astype(dtype)
    save(net, tmp_path / "s.json")
    back = load(tmp_path / "s.json")
    assert back.dtype == net.dtype and back.loss == net.loss and back.title == net.title
    for (k, a), b in zip(net.inputs().items(), back.inputs().values()):
        assert a.tobytes() == b.tobytes(), k
    assert net.y.tobytes() == back.y.tobytes()


def test_random_values_round_trip_exactly(tmp_path):
    net = random_network([5, 4, 3], batch=6, seed=3, dtype="float32")
    assert loads(dumps(net)).x.tobytes() == net.x.tobytes()
    net = random_network([5, 4, 3], batch=6, seed=3)
    assert loads(dumps(net)).layers[0].w.tobytes() == net.layers[0].w.tobytes()


def test_float32_files_hold_short_numbers():
    text = dumps(preset("mazur").astype("float32"))
    assert "0.15," in text and "0.15000000596" not in text


def test_save_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "work.json"
    save(preset("lesson"), target)
    before = target.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(preset("mazur"), target)
    assert target.read_bytes() == before  # the old file is whole
    assert [p.name for p in tmp_path.iterdir()] == ["work.json"]  # and no temporary file is left


def edit(change):
    data = good()
    change(data)
    return data


BAD = {
    "unknown layer type": (
        edit(lambda d: d["layers"].__setitem__(1, {"type": "conv"})),
        'layer 2 has unknown type "conv"; the supported types are linear, relu, leaky_relu, sigmoid, tanh',
    ),
    "weight rows do not match input": (
        edit(lambda d: d["layers"][0].__setitem__("w", [[0.1, 0.2, 0.3, 0.4]] * 2)),
        "w1 is 2×4 but its input has 3 columns, so it needs 3 rows",
    ),
    "ragged x": (
        edit(lambda d: d["x"].__setitem__(1, [1.0])),
        "x[1] has 1 value where 3 are expected",
    ),
    "bias length": (
        edit(lambda d: d["layers"][0].__setitem__("b", [0.0])),
        "b1 has 1 value but w1 has 4 columns; a bias needs one per column",
    ),
    "a non-number": (
        edit(lambda d: d["x"][0].__setitem__(1, "abc")),
        'x[0][1] is "abc", not a number',
    ),
    "a boolean is not a number": (
        edit(lambda d: d["layers"][2]["w"][0].__setitem__(0, True)),
        "w2[0][0] is true, not a number",
    ),
    "NaN": (
        edit(lambda d: d["x"][2].__setitem__(0, float("nan"))),
        "x[2][0] is nan, but every value must be a finite number",
    ),
    "huge integer": (
        edit(lambda d: d["x"][2].__setitem__(0, 10**400)),
        "a whole number 401 digits long",
    ),
    "too large for float32": (
        edit(lambda d: (d.__setitem__("dtype", "float32"), d["x"][1].__setitem__(2, 1e39))),
        "x[1,2] is 1e+39, too large for float32",
    ),
    "unsupported version": (
        edit(lambda d: d.__setitem__("gradlab", 2)),
        "scenario version 2 is not supported; this GradLab reads version 1",
    ),
    "missing version": (
        edit(lambda d: d.pop("gradlab")),
        'this is not a GradLab scenario: the "gradlab" version field is missing',
    ),
    "unknown field": (
        edit(lambda d: d.__setitem__("lr", 0.1)),
        'unknown field "lr"',
    ),
    "y rows": (
        edit(lambda d: d.__setitem__("y", [1.0, 2.0])),
        "y has 2 rows where x has 4",
    ),
    "unknown loss": (
        edit(lambda d: d.__setitem__("loss", "hinge")),
        'loss is "hinge"; it must be one of mse, half_sse, cross_entropy',
    ),
    "no linear layer": (
        edit(lambda d: d.__setitem__("layers", [{"type": "relu"}])),
        "layers needs at least one linear layer",
    ),
    "not an object": ([1, 2, 3], "a scenario must be a JSON object"),
    "class out of range": (
        edit(lambda d: d.update(PRESETS["classifier"], y=[0, 1, 3, 2])),
        "y[2] is class 3, but the network has 3 outputs (classes 0 to 2)",
    ),
    "fractional class": (
        edit(lambda d: d.update(PRESETS["classifier"], y=[0, 1, 1.5, 2])),
        "y[2] is 1.5, but cross_entropy needs a whole-number class index",
    ),
    "too many numbers": (
        edit(lambda d: d.__setitem__("x", [[0.0] * 3] * 2_000_000)),
        "x, y and the parameters would be 8,000,021 numbers; a scenario holds up to 5,000,000",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_every_bad_scenario_says_what_is_wrong_in_one_sentence(case):
    data, message = BAD[case]
    with pytest.raises(ScenarioError) as raised:
        from_dict(data)
    text = str(raised.value)
    assert message in text
    assert "\n" not in text and "Traceback" not in text


def test_broken_files(tmp_path):
    cases = {
        "missing.json": (None, "does not exist"),
        "truncated.json": ('{"gradlab": 1, "x": [[1, 2]', "not valid JSON"),
        "binary.json": (b"\xff\xfe\x00\x01", "binary.json: the file is not UTF-8 text"),
        "deep.json": ("[" * 100_000 + "]" * 100_000, "deep.json: the file is nested 100,000 levels deep"),
        "empty.json": ("", "not valid JSON"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        with pytest.raises(ScenarioError, match=message):
            load(path)
    with pytest.raises(ScenarioError, match="is a folder"):
        load(tmp_path)


def test_a_flat_y_is_one_output_and_files_may_omit_defaults():
    data = good()
    for field in ("title", "notes", "reduction", "dtype"):
        data.pop(field)
    net = from_dict(data)
    assert net.y.shape == (4, 1) and net.dtype == np.float64 and net.reduction == "mean"
    assert json.loads(dumps(net))["y"] == [1.0, 0.0, 0.5, 1.5]


def test_presets_load_and_run():
    for name in PRESETS:
        p = run(preset(name))
        assert np.isfinite(p.loss)
    with pytest.raises(KeyError, match="the presets are lesson, mazur, neuron, classifier"):
        preset("nope")


def test_the_lesson_preset_has_a_dead_relu():
    p = run(preset("lesson"))
    assert ((p.values["l1"] <= 0).all(axis=0)).any()


def test_random_network_is_reproducible():
    a = random_network([4, 3, 2], batch=5, seed=11, init="kaiming")
    b = random_network([4, 3, 2], batch=5, seed=11, init="kaiming")
    assert a.x.tobytes() == b.x.tobytes() and a.layers[0].w.tobytes() == b.layers[0].w.tobytes()
    assert [layer.kind for layer in a.layers] == ["linear", "relu", "linear"]
    zeros = random_network([4, 3, 2], init="zeros")
    assert not zeros.layers[0].w.any()
