"""One tensor as a CSV file: exact round trips, atomic writes, one sentence for every bad file."""

import numpy as np
import pytest

from gradlab import PRESETS, ScenarioError, preset
from gradlab.csv_file import read_csv, write_csv
from gradlab.npz_file import save_npz


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


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


