"""A whole scenario as .npz: exact round trips, and one sentence for every bad or hostile archive."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradlab import PRESETS, ScenarioError, preset, random_network
from gradlab.npz_file import load_npz, load_npz_scenario, save_npz


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def tensors(net):
    return {**net.inputs(), "y": net.y}


# -- .npz scenarios -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_npz_round_trip_of_every_preset(tmp_path, name, dtype):
    net = preset(name).astype(dtype)
    save_npz(net, tmp_path / "s.npz")
    back = load_npz(tmp_path / "s.npz")
    assert (back.title, back.notes, back.loss, back.reduction) == (net.title, net.notes, net.loss, net.reduction)
    assert [layer.kind for layer in back.layers] == [layer.kind for layer in net.layers]
    assert list(tensors(back)) == list(tensors(net))
    for tensor, a in tensors(net).items():
        assert_same_bits(tensors(back)[tensor], a)


def test_npz_keeps_the_frozen_parameters_and_the_learners_answers(tmp_path):
    net = preset("lesson")
    net.frozen = frozenset({"b1", "b2"})
    answers = {"out.g": "2. * (out - y) / out.numel()", "w1.g": "x.t() @ l1.g"}
    save_npz(net, tmp_path / "s.npz", answers)
    back = load_npz_scenario(tmp_path / "s.npz")
    assert back.net.frozen == net.frozen and back.answers == answers
    save_npz(net, tmp_path / "plain.npz")
    assert load_npz_scenario(tmp_path / "plain.npz").answers == {}


def test_npz_keeps_random_values_slopes_and_any_file_name(tmp_path):
    net = random_network([3, 5, 2], batch=7, activation="leaky_relu", seed=4, dtype="float32")
    net.layers[1].slope = 0.2
    net.title, net.notes = "Ünïcode — title", "line one\nline two"
    save_npz(net, tmp_path / "no_extension")
    back = load_npz(tmp_path / "no_extension")
    assert back.layers[1].slope == 0.2 and (back.title, back.notes) == (net.title, net.notes)
    assert_same_bits(back.layers[2].w, net.layers[2].w)
    assert [p.name for p in tmp_path.iterdir()] == ["no_extension"]


class _Hostile:
    marker: Path

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def rewrite(path: Path, change) -> None:
    """Re-save the .npz at ``path`` after ``change`` edits its dict of arrays."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    with path.open("wb") as f:
        np.savez(f, **arrays)


def broken(tmp_path, change):
    path = tmp_path / "bad.npz"
    save_npz(preset("mazur"), path)
    rewrite(path, change)
    return path


def test_a_pickled_object_array_is_refused_without_running_it(tmp_path):
    hostile = _Hostile()
    hostile.marker = tmp_path / "pwned"
    path = broken(tmp_path, lambda arrays: arrays.update(x=np.array([hostile], dtype=object)))
    with pytest.raises(ScenarioError) as raised:
        load_npz(path)
    assert str(raised.value) == ("bad.npz: the array x holds Python objects, and GradLab loads only plain numbers, "
                                 "never pickled data that could run code")
    assert not hostile.marker.exists()


BAD_NPZ = {
    "missing w2": (lambda a: a.pop("w2"), "bad.npz: the array w2 is missing, but the 2nd linear layer needs it"),
    "w1 of the wrong shape": (lambda a: a.update(w1=np.ones((3, 2))),
                              "bad.npz: w1 is 3×2 but its input has 2 columns, so it needs 2 rows"),
    "missing meta": (lambda a: a.pop("meta"), "bad.npz: it has no meta array, so it is not a GradLab scenario"),
    "meta not JSON": (lambda a: a.update(meta=np.array("{nope")), "bad.npz: its meta array is not valid JSON: expecting "
                      "property name enclosed in double quotes at line 1, column 2"),
    "meta not text": (lambda a: a.update(meta=np.zeros(3)), "bad.npz: its meta array must be one JSON text"),
    "an extra array": (lambda a: a.update(w3=np.ones((2, 2))), "bad.npz: it holds an array w3 that no layer uses"),
    "a 3-D x": (lambda a: a.update(x=np.ones((1, 2, 1))), "bad.npz: the array x is 3-D, but it must be 2-D"),
    "complex numbers": (lambda a: a.update(b1=np.ones(2, dtype=complex)),
                        "bad.npz: the array b1 holds complex128 values; GradLab reads float64, float32 and whole numbers"),
    "NaN in a weight": (lambda a: a["w2"].__setitem__((0, 0), np.nan),
                        "bad.npz: w2[0][0] is nan, but every value must be a finite number"),
}


@pytest.mark.parametrize("case", list(BAD_NPZ))
def test_every_bad_npz_says_what_is_wrong_in_one_sentence(tmp_path, case):
    change, message = BAD_NPZ[case]
    with pytest.raises(ScenarioError) as raised:
        load_npz(broken(tmp_path, change))
    assert str(raised.value) == message


def test_corrupt_and_foreign_files_are_one_sentence(tmp_path):
    good = tmp_path / "good.npz"
    save_npz(preset("lesson"), good)
    body = good.read_bytes()
    (tmp_path / "text.npz").write_text("x,y\n1,2\n")
    (tmp_path / "plain.npz").write_bytes(b"")
    np.save(tmp_path / "array.npy", np.ones(3))
    (tmp_path / "array.npy").rename(tmp_path / "array.npz")
    (tmp_path / "bitrot.npz").write_bytes(body[:60] + bytes(b ^ 0xFF for b in body[60:200]) + body[200:])
    members = io.BytesIO()
    with zipfile.ZipFile(members, "w") as z:
        z.writestr("meta.npy", b"\x93NUMPY garbage")
    (tmp_path / "header.npz").write_bytes(members.getvalue())
    cases = {
        "text.npz": "text.npz: it is not a .npz file, which is a zip archive of arrays",
        "plain.npz": "plain.npz: it is not a .npz file, which is a zip archive of arrays",
        "array.npz": "array.npz: it is not a .npz file, which is a zip archive of arrays",
        "bitrot.npz": "bitrot.npz: it is damaged: its arrays cannot be read",
        "header.npz": "header.npz: it is damaged: its arrays cannot be read",
    }
    for name, message in cases.items():
        with pytest.raises(ScenarioError) as raised:
            load_npz(tmp_path / name)
        assert str(raised.value) == message
    with pytest.raises(ScenarioError, match="does not exist"):
        load_npz(tmp_path / "missing.npz")
