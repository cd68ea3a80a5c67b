"""Hostile input and faults: refused before anything is allocated, in one sentence, and nothing lost.

Each test here is one of the ways the issue found to break the promise "bad
input changes nothing and gets one sentence"; ``test_fuzz_*.py`` drives the
loaders with generated and hand-written hostile files as a whole.
"""

import json
import os
import stat
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradlab import PRESETS, preset, random_network, run
from gradlab.atomic import STALE_SECONDS, write_text_atomically
from gradlab.cost import MAX_LAYERS, estimate, network_cost, numbers_text
from gradlab.csv_file import read_csv
from gradlab.errors import EditError, ScenarioError
from gradlab.layers import Linear
from gradlab.network import Network
from gradlab.npz_file import load_npz, save_npz
from gradlab.reading import printable, read_bytes
from gradlab.scenario import dumps, from_dict, load, loads, save, to_dict
from gradlab.session import Session
from gradlab.sheet import Sheet
from gradlab.spec import grid_cells, read_sizes
from gradlab.table_text import parse_number, parse_table

# -- the cost model ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_cost_model_knows_every_value_and_gradient_the_pass_makes(name):
    net = preset(name)
    p, cost = run(net), network_cost(net)
    assert cost.values == {k: v.shape for k, v in p.values.items()} == {k: v.shape for k, v in p.grads.items()}
    assert cost.cells == sum(v.size for v in p.values.values()) + sum(g.size for g in p.grads.values()) + net.y.size
    assert cost.bytes == cost.numbers * 8 and cost.problem() is None


def test_numbers_are_written_as_a_learner_reads_them():
    assert [numbers_text(n) for n in (12, 999_999, 10**6, 2 * 10**8, 10**12, 21_000_000)] == [
        "12", "999,999", "10⁶", "2·10⁸", "10¹²", "2.1·10⁷"]


def item_one(size: int = 10**6) -> dict:
    """The issue's first file: cross_entropy, x of size × 1 and w1 of 1 × size; l1 would be size × size."""
    return {"gradlab": 1, "x": [[0.0]] * size, "y": [0] * size, "loss": "cross_entropy",
            "layers": [{"type": "linear", "w": [[0.0] * size], "b": [0.0] * size}, {"type": "relu"},
                       {"type": "linear", "w": [[0.0, 0.0]] * size, "b": [0.0, 0.0]}]}


def test_a_network_too_large_to_run_is_refused_from_its_shapes_before_any_array_is_built():
    data = item_one()
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as raised:
            from_dict(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(raised.value) == "l1 would be 1,000,000 × 1,000,000 = 10¹² numbers; GradLab works up to 10⁸"
    assert peak < 2**20  # not even x was built: a megabyte, against the 7 TiB l1 would take


def test_too_many_layers_and_too_much_work_are_refused():
    deep = {"gradlab": 1, "x": [[1.0]], "y": [[1.0]], "layers": [{"type": "linear", "w": [[1.0]], "b": [0.0]}] * 10_000}
    with pytest.raises(ScenarioError, match=f"^the network has 10,000 layers; GradLab works up to {MAX_LAYERS}$"):
        from_dict(deep)
    assert estimate(1000, 1000, [1000, "relu", 1]).problem() == (
        "one pass through it would take 3·10⁹ multiply-adds; GradLab works up to 2·10⁹, about a quarter of a second on a laptop")
    assert estimate(10**6, 1, [50, "relu", 1]).problem() == (  # l1 and l2 are 5·10⁷ each, and so are their .g
        "its values, gradients and nudges would be 3.1·10⁸ numbers (2.5 GB); GradLab works up to 10⁸")


def test_the_new_network_dialog_asks_the_cost_model():
    assert grid_cells(4, [3, 4, 1], "mse") == 2 * (4 * 3 + (3 * 4 + 4) + (4 * 1 + 1) + 4 * (2 * 4 + 1)) + 4
    with pytest.raises(ValueError, match=r"^One pass through it would take 3·10⁹ multiply-adds; .*laptop\.$"):
        read_sizes("1000", "1000", "1000", "1", "mse")
    with pytest.raises(ValueError, match=r"^The network has 81 layers; GradLab works up to 64\.$"):
        read_sizes("1", "1", ", ".join(["1"] * 40), "1", "mse")
    assert read_sizes("4", "3", "4", "1", "mse") == (4, [3, 4, 1])


# -- loading is all or nothing ----------------------------------------------------------------------


def huge_network() -> Network:
    """Small arrays (16 MB), an impossible pass: l1 would be 10⁶ × 10⁶."""
    n = 10**6
    return Network(np.zeros((n, 1)), np.zeros(n, np.intp), [Linear(np.zeros((1, n)), np.zeros(n))], "cross_entropy")


@pytest.mark.parametrize("case", ["too large", "not finite", "out of memory"])
def test_a_network_that_cannot_run_leaves_the_sheet_exactly_as_it_was(monkeypatch, case):
    sheet = Sheet(preset("lesson"))
    session = Session(sheet)
    session.inspect("w1", (0, 1))
    session.set_step(2)
    before = (sheet.net, sheet.p, sheet.columns, session.inspected, session.step)
    heard = []
    session.subscribe(heard.append)
    net = preset("mazur")
    if case == "too large":
        net = huge_network()
    elif case == "not finite":
        net.layers[0].w[1, 0] = np.inf
    else:
        monkeypatch.setattr("gradlab.sheet.run", lambda net: np.zeros(10**15))  # what numpy says to a 8 PB pass
    with pytest.raises(EditError) as raised:
        sheet.replace(net)
    assert (sheet.net, sheet.p, sheet.columns, session.inspected, session.step) == before and heard == []
    assert {"too large": "out would be 1,000,000 × 1,000,000 = 10¹² numbers", "not finite": "w1[1,0] is inf",
            "out of memory": "not enough memory"}[case] in str(raised.value)
    assert "\n" not in str(raised.value)


def test_prepare_runs_without_swapping_and_replace_takes_its_pass():
    sheet = Sheet(preset("lesson"))
    net = preset("mazur")
    p = Sheet.prepare(net)
    assert sheet.net.title == preset("lesson").title
    sheet.replace(net, p)
    assert sheet.net is net and sheet.p is p


# -- strict JSON ------------------------------------------------------------------------------------


def lesson_text(**changes) -> str:
    data = to_dict(preset("lesson"))
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(("text", "message"), [
    (lesson_text(gradlab=True), 'the "gradlab" version is true, but it must be the whole number 1'),
    (lesson_text(gradlab=1.0), 'the "gradlab" version is 1.0, but it must be the whole number 1'),
    (lesson_text().replace('"loss": "mse"', '"loss": "mse", "loss": "half_sse"'),
     'the key "loss" appears twice in one object'),
    (lesson_text().replace("[[", "[[" + "9" * 5000 + ", ", 1), "the file has a whole number 5,000 digits long (999999999999…)"),
    (lesson_text(loss="[" * 990 + "]" * 990).replace('"[[[', "[[[").replace(']]]"', "]]]"),
     "the file is nested 991 levels deep; GradLab reads JSON nested up to 32 deep"),
    (lesson_text(title="\ud800"), "title has a lone surrogate, \\ud800, at character 1"),
    (lesson_text(notes="ok\udfff"), "notes has a lone surrogate, \\udfff, at character 3"),
    (lesson_text(loss=[[["deep"]] * 3]), "loss is a list of 1; it must be one of mse, half_sse, cross_entropy"),
    (lesson_text(loss="x" * 10_000), 'loss is "' + "x" * 40 + '…"; it must be one of'),
])
def test_strict_json_refuses_with_one_bounded_sentence(text, message):
    with pytest.raises(ScenarioError) as raised:
        loads(text)
    assert message in str(raised.value)
    assert len(str(raised.value)) < 300 and "\n" not in str(raised.value)


def test_a_byte_order_mark_is_accepted_and_a_surrogate_can_never_reach_save(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + dumps(preset("lesson")).encode())
    assert load(path).title == preset("lesson").title
    net = preset("lesson")
    net.title = "half a character \ud800"
    with pytest.raises(UnicodeEncodeError):  # what Save used to hit after such a title loaded
        save(net, tmp_path / "never.json")
    with pytest.raises(ScenarioError, match="lone surrogate"):
        loads(json.dumps(to_dict(net)))


def test_a_file_name_with_a_newline_is_shown_on_one_line(tmp_path):
    path = tmp_path / "two\nlines.json"
    path.write_text("{")
    with pytest.raises(ScenarioError) as raised:
        load(path)
    assert str(raised.value).startswith("two\\nlines.json: the file is not valid JSON")
    with pytest.raises(ScenarioError, match=r"missing\\n\.json does not exist$"):
        load(tmp_path / "missing\n.json")
    assert printable("a\tb\x00\u2028c") == "a\\tb\\x00\\u2028c"


# -- files that are not files -----------------------------------------------------------------------


@pytest.mark.parametrize("reader", [load, load_npz, read_csv])
def test_devices_and_folders_are_refused_without_reading(tmp_path, reader):
    for path, what in (("/dev/zero", "is a device, not a file"), (tmp_path, "is a folder, not a file")):
        with pytest.raises(ScenarioError, match=f"{what}$"):
            reader(path)


def test_a_file_is_read_up_to_its_limit_and_no_further(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1001)
    with pytest.raises(ScenarioError, match="^big.json is 1001 bytes; GradLab reads scenarios of up to 1000 bytes$"):
        read_bytes(path, 1000, "scenarios")
    assert read_bytes(path, 1001, "scenarios") == b" " * 1001


# -- numbers as text --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["１２", "1_000", "1\x00", "0x10", "١", "1e5\x00", "nan\x00", "½"])
def test_only_ascii_numbers_as_spreadsheets_write_them_are_numbers(text):
    with pytest.raises(EditError, match="is not a number"):
        parse_number(text)
    with pytest.raises(EditError, match="not a number"):
        parse_table(f"1\t{text}\n")


@pytest.mark.parametrize(("text", "number"), [("0,5", "0.5"), ("1,000", "1.000"), ("-0,25", "-0.25"),
                                              ("0,5\n1,25\n", "0.5"), ("1.000,5", "1000.5")])
def test_a_decimal_comma_on_the_clipboard_is_refused_by_name(text, number):
    with pytest.raises(EditError) as raised:
        parse_table(text)
    assert str(raised.value).startswith(f"“{text.splitlines()[0]}” reads as a decimal comma, {number}")


def test_commas_separate_in_a_csv_file_and_in_clearly_point_decimal_text(tmp_path):
    (tmp_path / "a.csv").write_text("0,5\n1,25\n")
    assert read_csv(tmp_path / "a.csv").tolist() == [[0.0, 5.0], [1.0, 25.0]]
    assert parse_table("0.5,1\n2,3.25\n").tolist() == [[0.5, 1.0], [2.0, 3.25]]
    assert parse_table("1, 2, 3").tolist() == [[1.0, 2.0, 3.0]]  # a space after each comma: a list, not decimals


@pytest.mark.parametrize("quoted", [False, True])
def test_a_table_costs_what_its_text_costs(quoted):
    wide = "0." + "0" * 130_000 + "1"  # one cell of 130,000 characters, under the csv module's field limit
    cell = f'"{wide}"' if quoted else wide
    text = "\n".join("\t".join([cell] + ["1"] * 99) for _ in range(3)) + "\n" + "\n".join(["\t".join(["2"] * 100)] * 2000)
    tracemalloc.start()
    try:
        table = parse_table(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.shape == (2003, 100) and table[0, 0] == 0.0 and table[-1, -1] == 2
    assert peak < 12 * len(text)  # a grid of strings as wide as the widest cell would be 2003·100·130,003·4 bytes


# -- .npz archives ----------------------------------------------------------------------------------


def test_an_npz_that_unpacks_far_beyond_its_size_is_refused_from_its_directory(tmp_path):
    path = tmp_path / "bomb.npz"
    net = random_network([3, 2], batch=2)
    arrays = {"x": np.zeros((10_000_000, 1)), "y": net.y, **net.parameters(), "meta": np.array(json.dumps(
        {"gradlab": 1, "layers": [{"type": "linear"}]}))}
    np.savez_compressed(path, **arrays)
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as raised:
            load_npz(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(raised.value) == "bomb.npz: it unpacks to 76 MB; GradLab reads .npz scenarios of up to 42 MB unpacked"
    assert peak < 2**20


@pytest.mark.parametrize(("dtype", "shown"), [(np.longdouble, "float128"), (np.complex64, "complex64"),
                                              (np.bool_, "bool"), ("S3", "|S3")])
def test_an_npz_of_numbers_gradlab_does_not_read_is_one_sentence(tmp_path, dtype, shown):
    path = tmp_path / "odd.npz"
    save_npz(preset("mazur"), path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["x"] = arrays["x"].astype(dtype)
    np.savez(path, **arrays)
    with pytest.raises(ScenarioError) as raised:
        load_npz(path)
    assert str(raised.value) == f"odd.npz: the array x holds {shown} values; GradLab reads float64, float32 and whole numbers"


def test_an_npz_whose_header_claims_more_than_it_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "liar.npz"
    save_npz(preset("mazur"), path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    body = members["x.npy"]
    start, end = body.index(b"{'descr'"), body.index(b"\n")
    header = body[start:end]
    claim = header.replace(b"(1, 2)", b"(10000000000, 10000000000)").rstrip(b" ").ljust(len(header))
    assert len(claim) == len(header) and claim != header  # 10²⁰ numbers claimed, in the room the header had
    members["x.npy"] = body[:start] + claim + body[end:]
    with zipfile.ZipFile(path, "w") as archive:  # a sound archive with honest checksums around the lying header
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ScenarioError) as raised:
        load_npz(path)
    assert str(raised.value) == "liar.npz: it is damaged: the array x is not the size its header says"


# -- saving keeps the file's identity ---------------------------------------------------------------


@pytest.fixture
def umask():
    def set_to(value: int) -> None:
        os.umask(value)

    old = os.umask(0o022)
    yield set_to
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("save_as", [save, lambda net, path: save_npz(net, path)])
def test_a_save_keeps_the_mode_of_the_file_it_replaces_and_new_files_follow_the_umask(tmp_path, umask, save_as):
    for kept in (0o664, 0o644, 0o600):
        path = tmp_path / f"shared-{kept:o}"
        path.write_text("old")
        path.chmod(kept)
        save_as(preset("lesson"), path)
        assert mode(path) == kept
    for mask, expected in ((0o022, 0o644), (0o002, 0o664)):
        umask(mask)
        path = tmp_path / f"new-{mask:o}"
        save_as(preset("lesson"), path)
        assert mode(path) == expected


def test_a_save_through_a_symbolic_link_writes_its_target_and_the_link_stays(tmp_path):
    target = tmp_path / "real" / "work.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    save(preset("mazur"), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target).title == preset("mazur").title
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real"]


def test_a_save_syncs_the_file_and_its_folder(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_text_atomically(tmp_path / "a.txt", "hello")
    assert synced == [False, True]


def test_temporaries_an_interrupted_save_left_behind_are_removed(tmp_path):
    target = tmp_path / "work.json"
    dead = tmp_path / ".work.json.999999999.0badf00d.tmp"  # no such process
    live = tmp_path / f".work.json.{os.getpid()}.0badf00d.tmp"  # a save in progress, in this very process
    old = tmp_path / ".work.json.k2j4h5g6.tmp"  # tempfile.mkstemp's name, from an older GradLab
    young = tmp_path / ".work.json.a1b2c3d4.tmp"
    other = tmp_path / ".other.json.999999999.0badf00d.tmp"
    for path in (dead, live, old, young, other):
        path.write_text("half a file")
    os.utime(old, (1e9, 1e9))
    assert STALE_SECONDS < 10**9
    write_text_atomically(target, "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, live.name, young.name, other.name])
