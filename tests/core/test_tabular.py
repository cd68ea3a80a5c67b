"""Copy, paste, CSV and .npz: exact round trips, and one clear sentence for every bad input."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradlab import PRESETS, ScenarioError, preset, random_network, run
from gradlab.errors import EditError
from gradlab.tabular import array_literal, load_npz, parse_table, read_csv, save_npz, to_tsv, write_csv

SHAPES = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6)


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


# -- copying out ----------------------------------------------------------------------------------


def test_tsv_of_a_block_is_exact():
    block = np.array([[0.15, -1.0, 1e-7], [2.5, 0.1 + 0.2, -0.0]])
    assert to_tsv(block) == "0.15\t-1.0\t1e-07\n2.5\t0.30000000000000004\t-0.0\n"


def test_tsv_writes_float32_short_integers_plain_and_a_vector_as_one_row():
    assert to_tsv(np.array([[0.15, 0.1]], dtype=np.float32)) == "0.15\t0.1\n"
    assert to_tsv(np.array([0, 1, 2, 2])) == "0\t1\t2\t2\n"


@given(hnp.arrays(np.float64, SHAPES, elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_float64_blocks_paste_back_bit_for_bit(a):
    assert_same_bits(parse_table(to_tsv(a)), np.atleast_2d(a))


@given(hnp.arrays(np.float32, SHAPES, elements=st.floats(allow_nan=False, allow_infinity=False, width=32)))
def test_float32_blocks_paste_back_bit_for_bit(a):
    assert_same_bits(parse_table(to_tsv(a)).astype(np.float32), np.atleast_2d(a))


# -- pasting in -----------------------------------------------------------------------------------

BLOCK = np.array([[0.5, -1.2, 3.0], [1.0, 0.4, -0.7]])

CLIPBOARDS = {
    "LibreOffice Calc (TSV, trailing \\n)": "0.5\t-1.2\t3\n1\t0.4\t-0.7\n",
    "Google Sheets (TSV, \\r\\n)": "0.5\t-1.2\t3\r\n1\t0.4\t-0.7",
    "Excel (TSV, \\r\\n, trailing)": "0.5\t-1.2\t3\r\n1\t0.4\t-0.7\r\n",
    "old Mac line ends": "0.5\t-1.2\t3\r1\t0.4\t-0.7\r",
    "comma-separated": "0.5,-1.2,3\n1,0.4,-0.7\n",
    "quoted CSV fields": '"0.5","-1.2",3\r\n"1", 0.4 ,"-0.7"\r\n',
    "a BOM, spaces and unicode minus": "\ufeff 0.5 \t−1.2\t 3\n1\t0.4 \t −0.7 \n",
    "semicolons, as European Excel saves CSV": "0.5;-1.2;3\n1;0.4;-0.7\n",
    "a quoted TSV field": '"0.5"\t-1.2\t3\n1\t0.4\t-0.7\n',
}


@pytest.mark.parametrize("source", list(CLIPBOARDS))
def test_clipboard_text_as_spreadsheets_write_it(source):
    assert_same_bits(parse_table(CLIPBOARDS[source]), BLOCK)


def test_one_value_per_line_is_one_column():
    assert_same_bits(parse_table("1\n2.5\n-3e2\n"), np.array([[1.0], [2.5], [-300.0]]))
    assert_same_bits(parse_table("7"), np.array([[7.0]]))


REFUSALS = {
    "empty": ("", "the text is empty: there are no numbers in it"),
    "only a newline": ("\r\n", "the text is empty: there are no numbers in it"),
    "only spaces": ("  \t ", "the text is empty: there are no numbers in it"),
    "ragged rows": ("1\t2\n3\t4\t5\n", "row 2 has 3 values but row 1 has 2"),
    "a short row": ("1,2\n3\n", "row 2 has 1 value but row 1 has 2"),
    "a non-number": ("1\t2\t3\n4\t5\tabc\n", "row 2, column 3 is “abc”, not a number"),
    "decimal commas in TSV": ("1.5\t2,25\n", "row 1, column 2 is “2,25”, which uses a decimal comma; "
                                             "GradLab reads 2.25 with a point"),
    "a decimal comma in quoted CSV": ('"1,5","2"\n', "row 1, column 1 is “1,5”, which uses a decimal comma; "
                                                     "GradLab reads 1.5 with a point"),
    "a negative decimal comma": ("−0,5\t1\n", "row 1, column 1 is “-0,5”, which uses a decimal comma; "
                                              "GradLab reads -0.5 with a point"),
    "thousands separators": ("1,234.5\t1\n", "row 1, column 1 is “1,234.5”, not a number"),
    "NaN": ("1\tnan\n", "row 1, column 2 is “nan”, not a finite number"),
    "infinity": ("1\n-inf\n", "row 2, column 1 is “-inf”, not a finite number"),
    "overflow": ("1e999\n", "row 1, column 1 is “1e999”, not a finite number"),
    "an empty cell": ("1\t\t3\n", "row 1, column 2 is empty"),
    "a blank row": ("1\n\n3\n", "row 2 is empty"),
    "a second trailing newline": ("1\n2\n\n", "row 3 is empty"),
    "an unclosed quote": ('1,"2\n3\n', "row 1, column 2 is “2 3”, not a number"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_text_is_refused_with_one_sentence(case):
    text, message = REFUSALS[case]
    with pytest.raises(EditError) as raised:
        parse_table(text)
    assert str(raised.value) == message


# -- code -------------------------------------------------------------------------------------------


def test_numpy_literal_rebuilds_the_tensor_exactly():
    w1 = preset("lesson").layers[0].w
    code = array_literal("w1", w1, "numpy")
    assert code.splitlines()[0] == "w1 = np.array([[0.4, -0.6, 0.2, 0.3],"
    assert code.splitlines()[1] == "               [-0.2, 0.5, -0.3, 0.7],"
    space = {"np": np}
    exec(code, space)
    assert_same_bits(space["w1"], w1)


def test_float32_literals_say_their_dtype_and_keep_short_numbers():
    net = preset("mazur").astype("float32")
    code = array_literal("w1", net.layers[0].w, "numpy")
    assert code == "w1 = np.array([[0.15, 0.25],\n               [0.2, 0.3]], dtype=np.float32)"
    space = {"np": np}
    exec(code, space)
    assert_same_bits(space["w1"], net.layers[0].w)
    p = run(net)
    exec(array_literal("g", p.grads["w1"], "numpy"), space)
    assert_same_bits(space["g"], p.grads["w1"])


def test_torch_literals():
    net = preset("mazur")
    assert array_literal("w2", net.layers[2].w, "torch") == (
        "w2 = torch.tensor([[0.4, 0.5],\n                   [0.45, 0.55]], dtype=torch.float64)")
    assert array_literal("b1", net.layers[0].b.astype(np.float32), "torch") == (
        "b1 = torch.tensor([0.35, 0.35], dtype=torch.float32)")
    assert array_literal("y", preset("classifier").y, "torch") == "y = torch.tensor([0, 1, 2, 2])"


def test_literals_refuse_unknown_flavours_and_names():
    with pytest.raises(ValueError, match="must be one of numpy, torch"):
        array_literal("w1", np.zeros(2), "jax")
    with pytest.raises(ValueError, match="cannot be assigned"):
        array_literal("w 1", np.zeros(2), "numpy")


# -- CSV files ----------------------------------------------------------------------------------------


def tensors(net):
    return {**net.inputs(), "y": net.y}


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_csv_round_trip_of_every_tensor_of_every_preset(tmp_path, name, dtype):
    for tensor, a in tensors(preset(name).astype(dtype)).items():
        path = tmp_path / f"{tensor}.csv"
        write_csv(path, a)
        assert_same_bits(read_csv(path).astype(a.dtype).reshape(a.shape), a)


def test_csv_file_text_is_plain(tmp_path):
    write_csv(tmp_path / "w1.csv", preset("mazur").astype("float32").layers[0].w)
    assert (tmp_path / "w1.csv").read_text() == "0.15,0.25\n0.2,0.3\n"
    write_csv(tmp_path / "b1.csv", preset("mazur").layers[0].b)
    assert (tmp_path / "b1.csv").read_text() == "0.35,0.35\n"


def test_read_csv_takes_tsv_and_excel_utf8_files(tmp_path):
    (tmp_path / "a.tsv").write_bytes("\ufeff1\t2\r\n3\t4\r\n".encode())
    assert_same_bits(read_csv(tmp_path / "a.tsv"), np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_bad_csv_files_name_the_file(tmp_path):
    (tmp_path / "comma.csv").write_text('"0,5","1"\n')
    (tmp_path / "blank.csv").write_text("\n")
    (tmp_path / "latin.csv").write_bytes(b"0.5,\xe9\n")
    cases = {
        "comma.csv": "comma.csv: row 1, column 1 is “0,5”, which uses a decimal comma; GradLab reads 0.5 with a point",
        "blank.csv": "blank.csv is empty: there are no numbers in it",
        "latin.csv": "latin.csv is not a UTF-8 text file",
    }
    for name, message in cases.items():
        with pytest.raises(ScenarioError) as raised:
            read_csv(tmp_path / name)
        assert str(raised.value) == message
    with pytest.raises(ScenarioError, match="does not exist"):
        read_csv(tmp_path / "missing.csv")
    with pytest.raises(ScenarioError, match="is a folder"):
        read_csv(tmp_path)


@pytest.mark.parametrize("save", [
    lambda path: write_csv(path, np.ones((2, 2))),
    lambda path: save_npz(preset("mazur"), path),
])
def test_writes_are_atomic(tmp_path, monkeypatch, save):
    target = tmp_path / "work.out"
    target.write_bytes(b"the old file")

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(ScenarioError, match="work.out cannot be written: No space left on device"):
        save(target)
    assert target.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["work.out"]


def test_writing_into_a_missing_folder_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot be written"):
        write_csv(tmp_path / "nope" / "w1.csv", np.ones(2))


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
    "meta not JSON": (lambda a: a.update(meta=np.array("{nope")), "bad.npz: its meta array must be one JSON text"),
    "meta not text": (lambda a: a.update(meta=np.zeros(3)), "bad.npz: its meta array must be one JSON text"),
    "an extra array": (lambda a: a.update(w3=np.ones((2, 2))), "bad.npz: it holds an array w3 that no layer uses"),
    "a 3-D x": (lambda a: a.update(x=np.ones((1, 2, 1))), "bad.npz: the array x is 3-D, but it must be 2-D"),
    "complex numbers": (lambda a: a.update(b1=np.ones(2, dtype=complex)),
                        "bad.npz: the array b1 holds complex128 values, not real numbers"),
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
