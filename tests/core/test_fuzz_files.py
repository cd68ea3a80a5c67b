"""Hostile files against every loader and ``gradlab check``, in a process limited to 1 GB of address space.

The hand-written corpus in ``tests/data/hostile``, big inputs made here (the
issue's 10⁶ × 10⁶ pass, 10⁴ layers, a zip bomb, deep nesting, a sparse 250 MB
file, FIFOs, a socket, ``/dev/zero``) and a few hundred seeded mutations of good
files all go to one child process, which loads each and says how it ended.
Every input must end in a network (or a table) or in a refusal of one line;
through ``gradlab check``, in exit code 0 or 1 or in exit code 2 with one line
on stderr.  A traceback, a MemoryError or a hang is a failure.  The timeouts
are a safety net only: nothing here measures time.
"""

import contextlib
import io
import json
import os
import resource
import socket
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "hostile"
GOOD = {"good.json", "good.npz", "bom.json", "good_tabs.txt", "unicode_minus.txt",
        "wide_cells.csv", "wide_cells.txt", "quoted_wide_cells.csv"}  # wide, but tables all the same
ADDRESS_SPACE = 1 << 30
KINDS = {".json": ("scenario", "check"), ".npz": ("npz",), ".csv": ("csv",), ".txt": ("clipboard",)}


# -- the child: load each input, say how it ended -----------------------------------------------------


def _outcome(kind: str, path: str) -> dict:
    from gradlab.cli import main as command
    from gradlab.csv_file import read_csv
    from gradlab.errors import EditError, ScenarioError
    from gradlab.npz_file import load_npz
    from gradlab.reading import read_text
    from gradlab.scenario import load
    from gradlab.table_text import parse_table

    if kind == "check":
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = command(["check", path])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 2
        return {"outcome": "exit", "code": code, "stderr": err.getvalue(), "stdout": out.getvalue()[-200:]}
    try:
        if kind == "scenario":
            load(path)
        elif kind == "npz":
            load_npz(path)
        elif kind == "csv":
            read_csv(path)
        else:
            parse_table(read_text(path, 2**27, "clipboard texts"))
    except (ScenarioError, EditError) as e:
        return {"outcome": "refused", "message": str(e)}
    return {"outcome": "loaded"}


def drive() -> None:
    """Read jobs (``[id, kind, path]``) from stdin; print one JSON line per job, whatever happens in it."""
    for job_id, kind, path in json.load(sys.stdin):
        try:
            result = _outcome(kind, path)
        except BaseException as e:  # noqa: BLE001 (the point is to report anything at all)
            result = {"outcome": "crash", "error": f"{type(e).__name__}: {e}"[:300], "traceback": traceback.format_exc()[-1500:]}
        print(json.dumps({"id": job_id, **result}), flush=True)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_jobs(jobs: list[tuple[str, str, str]], cwd: Path) -> dict[str, dict]:
    done = subprocess.run([sys.executable, "-c", "from tests.core.test_fuzz_files import drive; drive()"],
                          input=json.dumps(jobs), capture_output=True, text=True, timeout=300, cwd=ROOT,
                          preexec_fn=_limit_memory, env={**os.environ, "PYTHONPATH": str(ROOT)})
    results = {r["id"]: r for r in map(json.loads, done.stdout.splitlines()) if r}
    missing = [job for job in jobs if job[0] not in results]
    assert not missing, f"the child stopped at {missing[0]}: exit {done.returncode}, {done.stderr[-2000:]}"
    assert "UNPICKLED" not in done.stdout + done.stderr
    return results


def one_sentence(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text.strip() and "Traceback" not in text and len(text) < 400


# -- the inputs ---------------------------------------------------------------------------------------


def corpus_jobs() -> list[tuple[str, str, str]]:
    return [(f"{kind}:{path.name}", kind, str(path)) for path in sorted(CORPUS.iterdir())
            for kind in KINDS.get(path.suffix, ())]


def big_inputs(folder: Path) -> dict[str, Path]:
    """The issue's big hostile inputs, made here so the corpus stays small."""
    made: dict[str, Path] = {}

    def write(name: str, data: str | bytes) -> None:
        made[name] = folder / name
        made[name].write_bytes(data if isinstance(data, bytes) else data.encode())

    n = 10**6  # item 1: cross_entropy, x 10⁶ × 1 and w1 1 × 10⁶: l1 would be 10¹² numbers
    write("item_one.json", '{"gradlab": 1, "loss": "cross_entropy", "x": [' + ",".join(["[0]"] * n) + '], "y": ['
          + ",".join(["0"] * n) + '], "layers": [{"type": "linear", "w": [[' + ",".join(["0"] * n) + ']], "b": ['
          + ",".join(["0"] * n) + "]}]}")
    meta = json.dumps({"gradlab": 1, "loss": "cross_entropy", "layers": [{"type": "linear"}]})
    made["item_one.npz"] = folder / "item_one.npz"
    np.savez_compressed(made["item_one.npz"], x=np.zeros((n, 1)), y=np.zeros(n, np.int64), w1=np.zeros((1, n)),
                        b1=np.zeros(n), meta=np.array(meta))
    rows = 20_000  # a 200 KB file whose l1 is 4·10⁸ numbers
    write("rows_2e4.json", '{"gradlab": 1, "x": [' + ",".join(["[0.5]"] * rows) + '], "y": [' + ",".join(["0.5"] * rows)
          + '], "layers": [{"type": "linear", "w": [[' + ",".join(["0.5"] * rows) + ']], "b": [' + ",".join(["0.5"] * rows)
          + ']}, {"type": "linear", "w": [' + ",".join(["[0.5]"] * rows) + '], "b": [0.5]}]}')
    layer = '{"type": "linear", "w": [[1.5]], "b": [0.25]}'
    write("layers_1e4.json", '{"gradlab": 1, "x": [[1]], "y": [[1]], "layers": [' + ",".join([layer] * 10_000) + "]}")
    made["zip_bomb.npz"] = folder / "zip_bomb.npz"  # 80 MB of zeros in about 80 KB
    np.savez_compressed(made["zip_bomb.npz"], x=np.zeros((10**7, 1)), y=np.zeros((10**7, 1)), meta=np.array(meta))
    made["many_members.npz"] = folder / "many_members.npz"
    with zipfile.ZipFile(made["many_members.npz"], "w") as archive:
        for k in range(2000):
            archive.writestr(f"a{k}.npy", b"")
    write("deep_1e5.json", "[" * 100_000 + "]" * 100_000)
    write("empty_lists.json", "[" + "[]," * 6_000_000 + "[]]")  # 18 MB that would take 400 MB as Python lists
    write("objects.json", '{"gradlab": 1, "notes": [' + ",".join(["{}"] * 200_000) + "]}")
    made["sparse_250mb.json"] = folder / "sparse_250mb.json"
    with made["sparse_250mb.json"].open("wb") as f:
        f.truncate(250 * 2**20)
    wide = "0." + "0" * 130_000 + "1"
    table = "\n".join(",".join([wide] + ["1"] * 99) for _ in range(5)) + "\n"
    write("wide_cells.csv", table)
    write("wide_cells.txt", table.replace(",", "\t"))
    write("quoted_wide_cells.csv", table.replace(wide, f'"{wide}"'))
    write("overlong_cell.csv", "1" * 200_000 + "\n")
    for suffix in (".json", ".npz", ".csv", ".txt"):
        made[f"fifo{suffix}"] = folder / f"fifo{suffix}"
        os.mkfifo(made[f"fifo{suffix}"])
    made["folder.json"] = folder / "folder.json"
    made["folder.json"].mkdir()
    return made


def mutations(seed: int, count: int) -> list[tuple[str, bytes]]:
    """Seeded damage to good files: bytes flipped, cut short, hostile tokens spliced in."""
    rng = np.random.default_rng(seed)
    sources = {".json": (CORPUS / "good.json").read_bytes(), ".npz": (CORPUS / "good.npz").read_bytes(),
               ".csv": b"0.5,-1.25,3\n1e-3,4,5.5\n", ".txt": "0.5\t−1.25\t3\n1e-3\t4\t5.5\n".encode()}
    tokens = [b"[", b"]", b"{", b"}", b",", b'"', b"1e999", b"-0", b"NaN", b"\\ud800", b"\xff", b"\x00", b"9" * 400,
              b"1_0", "１".encode(), b"0,5", b'"loss": 1, "loss": 2', b"true", b"\r", b"\t", b"[" * 50]
    made = []
    for k in range(count):
        suffix = list(sources)[k % len(sources)]
        data = bytearray(sources[suffix])
        for _ in range(int(rng.integers(1, 4))):
            at = int(rng.integers(0, len(data) + 1))
            action = int(rng.integers(0, 4))
            if action == 0 and at < len(data):
                data[at] ^= int(rng.integers(1, 256))
            elif action == 1:
                del data[at:]
            elif action == 2:
                data[at:at] = tokens[int(rng.integers(0, len(tokens)))]
            else:
                del data[at: at + int(rng.integers(1, 20))]
        made.append((f"mutant{k:03d}{suffix}", bytes(data)))
    return made


# -- the tests ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    jobs = corpus_jobs()
    for name, path in big_inputs(folder).items():
        jobs += [(f"{kind}:{name}", kind, str(path)) for kind in KINDS[Path(name).suffix]]
    for name, data in mutations(seed=10, count=320):
        (folder / name).write_bytes(data)
        jobs += [(f"{kind}:{name}", kind, str(folder / name)) for kind in KINDS[Path(name).suffix]]
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket.json"))
    jobs += [("scenario:socket.json", "scenario", str(folder / "socket.json")),
             ("check:socket.json", "check", str(folder / "socket.json"))]
    jobs += [(f"{kind}:/dev/zero", kind, "/dev/zero") for kind in ("scenario", "npz", "csv", "clipboard", "check")]
    try:
        return run_jobs(jobs, folder)
    finally:
        server.close()


def test_every_input_ends_in_a_network_or_one_sentence(results):
    crashes = {k: r for k, r in results.items() if r["outcome"] == "crash"}
    assert not crashes, json.dumps(next(iter(crashes.items())), indent=1)
    for job, r in results.items():
        if r["outcome"] == "refused":
            assert one_sentence(r["message"]), (job, r["message"])
        elif r["outcome"] == "exit":
            assert r["code"] in (0, 1, 2), (job, r)
            if r["code"] == 2:
                assert one_sentence(r["stderr"]) and r["stderr"].startswith("gradlab check: "), (job, r["stderr"])
            else:
                assert r["stderr"] == "", (job, r["stderr"])


def test_the_good_files_load_and_every_hostile_one_is_refused(results):
    for job, r in results.items():
        name = job.split(":", 1)[1]
        if name.startswith("mutant"):
            continue  # a mutation may still be a good file
        good = Path(name).name in GOOD
        if r["outcome"] == "exit":
            assert (r["code"] != 2) == good, (job, r["stderr"])
        else:
            assert (r["outcome"] == "loaded") == good, (job, r)


@pytest.mark.parametrize(("name", "message"), [
    ("item_one.json", "item_one.json: out would be 1,000,000 × 1,000,000 = 10¹² numbers; GradLab works up to 10⁸"),
    ("item_one.npz", "item_one.npz: out would be 1,000,000 × 1,000,000 = 10¹² numbers; GradLab works up to 10⁸"),
    ("rows_2e4.json", "rows_2e4.json: l1 would be 20,000 × 20,000 = 4·10⁸ numbers; GradLab works up to 10⁸"),
    ("layers_1e4.json", "layers_1e4.json: the network has 10,000 layers; GradLab works up to 64"),
    ("zip_bomb.npz", "zip_bomb.npz: it unpacks to 153 MB; GradLab reads .npz scenarios of up to 42 MB unpacked"),
    ("many_members.npz", "many_members.npz: it lists 2,000 files; a scenario has at most 131 arrays"),
    ("deep_1e5.json", "deep_1e5.json: the file is nested 100,000 levels deep; GradLab reads JSON nested up to 32 deep"),
    ("empty_lists.json", "empty_lists.json: the file holds about 12,000,003 numbers and lists; GradLab reads JSON of up "
                         "to 8,000,000 (save a large scenario as .npz)"),
    ("objects.json", "objects.json: the file holds 200,001 JSON objects; GradLab reads up to 100,000"),
    ("sparse_250mb.json", "sparse_250mb.json is 250 MB; GradLab reads scenarios of up to 64 MB"),
    ("fifo.json", "fifo.json is a named pipe (FIFO), not a file"),
    ("fifo.npz", "fifo.npz is a named pipe (FIFO), not a file"),
    ("fifo.csv", "fifo.csv is a named pipe (FIFO), not a file"),
    ("socket.json", "socket.json is a socket or a device, not a file"),
    ("folder.json", "folder.json is a folder, not a file"),
    ("/dev/zero", "/dev/zero is a device, not a file"),
    ("overlong_cell.csv", "overlong_cell.csv: a cell is longer than 131,072 characters, far too long to be a number"),
    ("decimal_comma.txt", "“0,5” reads as a decimal comma, 0.5, or as values separated by commas; GradLab reads "
                          "decimals with a point, and cells copied from a spreadsheet come separated by tabs"),
    ("version_true.json", 'version_true.json: the "gradlab" version is true, but it must be the whole number 1'),
    ("long_int.json", "long_int.json: the file has a whole number 5,000 digits long (777777777777…); GradLab reads "
                      "whole numbers of up to 20 digits (write a large number as 1e25)"),
    ("float128.npz", "float128.npz: the array x holds float128 values; GradLab reads float64, float32 and whole numbers"),
    ("lying_header.npz", "lying_header.npz: it is damaged: the array x is not the size its header says"),
    ("pickled_object.npz", "pickled_object.npz: the array x holds Python objects, and GradLab loads only plain numbers, "
                           "never pickled data that could run code"),
])
def test_the_issue_inputs_get_their_sentence(results, name, message):
    found = [r for job, r in results.items() if job.split(":", 1)[1] == name or job.endswith("/" + name)]
    assert found
    for r in found:
        told = r["stderr"].removeprefix("gradlab check: ").strip() if r["outcome"] == "exit" else r["message"]
        assert told.endswith(message), (name, told)


def test_gradlab_check_itself_exits_2_with_one_line_under_the_limit(results, tmp_path):
    """The real command, as a shell runs it, for a few of the inputs above."""
    (tmp_path / "pipe.json").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "deep.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "long.json").write_text('{"gradlab": 1, "x": [[' + "9" * 5000 + "]]}")
    for path in (tmp_path / "pipe.json", tmp_path / "deep.json", tmp_path / "long.json", Path("/dev/zero")):
        done = subprocess.run([sys.executable, "-m", "gradlab", "check", str(path)], capture_output=True, text=True,
                              timeout=120, cwd=ROOT, preexec_fn=_limit_memory)
        assert done.returncode == 2 and one_sentence(done.stderr) and done.stdout == "", (path, done.stderr)
